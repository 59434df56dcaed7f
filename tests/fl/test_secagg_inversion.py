"""Secure aggregation (masked sums equal plain sums; one masked update reveals nothing) and gradient inversion."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlops_course.privacy.fl.inversion import batch_gradient, invert_gradient, reconstruction_error
from mlops_course.privacy.fl.secagg import (
    MODULUS,
    SecureAggregation,
    dequantize,
    pairwise_masks,
    prg,
    quantize,
    secure_sum,
    shamir_reconstruct,
    shamir_share,
)
from mlops_course.privacy.fl.task import init_params, load_digits_task

ALPHA = 1e-6  # per statistical test


def test_pairwise_masks_cancel_and_follow_the_definition():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 2**40, size=(5, 5))
    s = np.triu(s, 1) + np.triu(s, 1).T
    m = pairwise_masks(s, 16)
    assert m.dtype == np.uint64 and np.all(m < MODULUS)
    assert np.all(m.sum(axis=0) % MODULUS == 0)
    want = (prg(s[1, 2], 16) + prg(s[1, 3], 16) + prg(s[1, 4], 16) + 3 * MODULUS - prg(s[0, 1], 16)) % MODULUS
    np.testing.assert_array_equal(m[1], want)


def test_pairwise_masks_bad_input():
    with pytest.raises(ValueError, match="square"):
        pairwise_masks(np.zeros((2, 3), dtype=int), 4)
    with pytest.raises(ValueError, match="symmetric"):
        pairwise_masks(np.array([[0, 1], [2, 0]]), 4)
    with pytest.raises(ValueError, match="symmetric"):
        pairwise_masks(np.array([[0.0, 1.0], [1.0, 0.0]]), 4)


def test_quantization_round_trip():
    x = np.array([[-1.0, 0.0, 0.5], [1.0, 0.25, -0.5]])
    total = quantize(x[0], 1.0) + quantize(x[1], 1.0)
    np.testing.assert_allclose(dequantize(total, 2, 1.0), x.sum(0), atol=2 * 1.0 / (2**16 - 1))


def test_shamir_threshold():
    rng = np.random.default_rng(1)
    secret = 123456789 << 200
    shares = shamir_share(secret, 5, 3, rng)
    assert shamir_reconstruct(shares[:3]) == secret == shamir_reconstruct([shares[4], shares[0], shares[2]])
    assert shamir_reconstruct(shares[:2]) != secret  # below the threshold: a random-looking value


@pytest.mark.parametrize("dropped", [(), (2,), (0, 4)])
def test_masked_sum_equals_plain_sum_with_dropouts(dropped):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 2**16, size=(6, 10)).astype(np.uint64)
    protocol = SecureAggregation(6, 3, np.random.default_rng(3))
    received = {u: protocol.masked_input(u, x[u]) for u in range(6) if u not in dropped}
    survivors = [u for u in range(6) if u not in dropped]
    np.testing.assert_array_equal(protocol.unmask(received), x[survivors].sum(0) % MODULUS)


def test_secure_sum_of_real_updates():
    u = np.random.default_rng(4).normal(scale=0.2, size=(5, 8))
    total, seen = secure_sum(u, 1.0, np.random.default_rng(5), dropped=[1])
    np.testing.assert_allclose(total, np.delete(u, 1, 0).sum(0), atol=4 / (2**16 - 1))
    assert set(seen) == {0, 2, 3, 4}


def test_secure_sum_refuses_a_setting_whose_modular_sum_could_wrap():
    # 300 clients x (2^24 - 1) = 5.03e9 >= 2^32: the old code returned -212 instead of 300.
    with pytest.raises(ValueError, match="wrap"):
        secure_sum(np.ones((300, 3)), 1.0, np.random.default_rng(1), bits=24)
    # 257 is the first n for which 24 bits can wrap (256 * (2^24 - 1) < 2^32 <= 257 * (2^24 - 1)).
    assert 256 * (2**24 - 1) < MODULUS <= 257 * (2**24 - 1)
    with pytest.raises(ValueError, match="bits <= 23"):
        secure_sum(np.ones((257, 1)), 1.0, np.random.default_rng(1), bits=24)


def test_secure_sum_at_full_scale_is_exact():
    # every client at +clip: each quantizes to 2^bits - 1, the sum must decode to n * clip exactly
    total, _ = secure_sum(np.full((4, 3), 2.0), 2.0, np.random.default_rng(2), bits=24)
    np.testing.assert_allclose(total, 8.0, atol=1e-9)


@pytest.mark.parametrize("dropped, match", [([7], r"\[0, 5\)"), ([-1], r"\[0, 5\)"), ([1, 1], "repeat")])
def test_secure_sum_rejects_invalid_dropped_ids(dropped, match):
    with pytest.raises(ValueError, match=match):
        secure_sum(np.ones((5, 2)), 1.0, np.random.default_rng(3), dropped=dropped)


def test_secure_sum_rejects_non_integer_dropped_ids():
    with pytest.raises(TypeError, match="dropped"):
        secure_sum(np.ones((5, 2)), 1.0, np.random.default_rng(3), dropped=[1.5])


def test_too_many_dropouts_fail():
    protocol = SecureAggregation(4, 3, np.random.default_rng(6))
    received = {u: protocol.masked_input(u, np.zeros(3)) for u in (0, 1)}
    with pytest.raises(ValueError, match="threshold"):
        protocol.unmask(received)


def test_one_masked_update_reveals_nothing_about_its_input():
    # The server's view of client 0 is uniform on Z_2^32 whatever x_0 is: for an all-zero and an
    # all-maximal input, 1000 fresh protocol runs x 50 coordinates pass a chi-square uniformity test
    # on 256 bins (top byte) and a two-sample KS test cannot tell the two inputs apart (alpha 1e-6 each).
    views = {}
    for value in (0, 2**16 - 1):
        x = np.full(50, value, dtype=np.uint64)
        views[value] = np.concatenate([
            SecureAggregation(3, 2, np.random.default_rng(1000 * value + r)).masked_input(0, x) for r in range(200)])
    for v in views.values():
        counts = np.bincount((v >> np.uint64(24)).astype(np.int64), minlength=256)
        assert stats.chisquare(counts).pvalue > ALPHA
    assert stats.ks_2samp(views[0].astype(float), views[2**16 - 1].astype(float)).pvalue > ALPHA


# ----------------------------------------------------------------------------- gradient inversion
@pytest.fixture(scope="module")
def digits():
    return load_digits_task(0)


def test_single_example_gradient_reveals_input_and_label_exactly(digits):
    rng = np.random.default_rng(7)
    params = [p + rng.normal(scale=0.01, size=p.shape) for p in init_params(64, 10, rng)]
    for i in range(5):
        x, y = digits.X_test[i], digits.y_test[i]
        gW, gb = batch_gradient(params, x[None, :], [y])
        x_hat, label = invert_gradient(gW, gb)
        assert reconstruction_error(x, x_hat) < 1e-12 and label == y


def test_first_layer_of_an_mlp_leaks_too(digits):
    rng = np.random.default_rng(8)
    params = init_params(64, 10, rng, hidden=(16,))
    x = digits.X_test[3]
    grads = batch_gradient(params, x[None, :], [digits.y_test[3]])
    assert reconstruction_error(x, invert_gradient(grads[0], grads[1])[0]) < 1e-10


def test_averaging_and_noise_stop_the_inversion(digits):
    params = init_params(64, 10, np.random.default_rng(9))
    X, y = digits.X_test[:32], digits.y_test[:32]
    gW, gb = batch_gradient(params, X, y)
    x_hat, _ = invert_gradient(gW, gb)
    assert min(reconstruction_error(x, x_hat) for x in X) > 0.3  # a blend, not any one person
    gW1, gb1 = batch_gradient(params, X[:1], y[:1])
    noisy = invert_gradient(gW1 + np.random.default_rng(10).normal(scale=0.5, size=gW1.shape), gb1)[0]
    assert reconstruction_error(X[0], noisy) > 0.5


def test_inversion_bad_inputs():
    with pytest.raises(ValueError, match="columns"):
        invert_gradient(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="zero"):
        invert_gradient(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="same shape"):
        reconstruction_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="one label per row"):
        batch_gradient(init_params(2, 2, np.random.default_rng(0)), np.zeros((2, 2)), [0])
