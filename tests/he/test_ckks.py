"""CKKS statistics, logistic-regression inference and the data-owner/server split."""
from __future__ import annotations

import numpy as np
import pytest
import tenseal as ts

from mlops_course.privacy.he.ckks import (
    ciphertext_size,
    encrypt_columns,
    encrypted_logistic_scores,
    encrypted_mean,
    encrypted_variance,
    plain_logistic_scores,
    sigmoid_coefficients,
    sigmoid_poly,
)
from mlops_course.privacy.he.params import ckks_context, plan_ckks
from mlops_course.privacy.he.roles import DataOwner, Server


def test_mean_and_variance_within_precision(ckks_ctx):
    x = np.random.default_rng(0).normal(50.0, 10.0, size=1000)
    enc = ts.ckks_vector(ckks_ctx, x.tolist())
    # stated precision: 2^40 scale, values < 2^20: absolute error well below 1e-3 on these statistics
    assert encrypted_mean(enc, x.size).decrypt()[0] == pytest.approx(x.mean(), abs=1e-4)
    assert encrypted_variance(enc, x.size).decrypt()[0] == pytest.approx(x.var(), abs=1e-2)


def test_sigmoid_fit_close_on_interval():
    c = sigmoid_coefficients(3, 6.0)
    z = np.linspace(-6, 6, 101)
    assert np.max(np.abs(sigmoid_poly(z, c) - 1 / (1 + np.exp(-z)))) < 0.085
    c5 = sigmoid_coefficients(5, 6.0)
    assert np.max(np.abs(sigmoid_poly(z, c5) - 1 / (1 + np.exp(-z)))) < 0.035
    # peer: numpy's polyfit on the same grid gives the same odd coefficients
    zz = np.linspace(-6, 6, 2001)
    full = np.polynomial.polynomial.polyfit(zz, 1 / (1 + np.exp(-zz)), 3)
    np.testing.assert_allclose(c, full, atol=1e-10)
    with pytest.raises(ValueError):
        sigmoid_coefficients(2)


def test_encrypted_logistic_inference_matches_plaintext_polynomial():
    plan = plan_ckks(3)
    ctx = ckks_context(plan.poly_degree, plan.coeff_mod_bit_sizes, plan.scale_bits, galois_keys=False)
    rng = np.random.default_rng(1)
    X, w, b = rng.normal(size=(64, 4)), np.array([0.8, -0.5, 0.3, 1.0]), 0.2
    c = sigmoid_coefficients(3, 6.0)
    got = np.array(encrypted_logistic_scores(encrypt_columns(ctx, X), w, b, c).decrypt())
    np.testing.assert_allclose(got, plain_logistic_scores(X, w, b, c), atol=1e-4)
    assert np.mean((got > 0.5) == (plain_logistic_scores(X, w, b) > 0.5)) == 1.0


def test_roles_round_trip_without_secret_key(ckks_ctx):
    owner = DataOwner(ckks_ctx)
    public = owner.public_context()
    server = Server(public)
    assert not server.can_decrypt and server.context.is_public()
    x = np.arange(10.0)
    result = server.compute(lambda v: encrypted_mean(v, 10), owner.encrypt(x))
    assert isinstance(result, bytes)
    assert owner.decrypt(result)[0] == pytest.approx(4.5, abs=1e-5)
    with pytest.raises(ValueError):  # the server cannot decrypt
        server.load(result).decrypt()
    assert not ts.context_from(public).is_private()


def test_server_refuses_secret_key_and_owner_needs_it(ckks_ctx):
    with pytest.raises(ValueError, match="must not receive the secret key"):
        Server(ckks_ctx.serialize(save_secret_key=True))
    public_ctx = ts.context_from(ckks_ctx.serialize(save_secret_key=False))
    with pytest.raises(ValueError, match="secret key"):
        DataOwner(public_ctx)


def test_server_columns(ckks_ctx):
    owner = DataOwner(ckks_ctx)
    server = Server(owner.public_context())
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    out = server.compute_columns(lambda cols, w: cols[0] * w[0] + cols[1] * w[1], owner.encrypt_columns(X), w=[1.0, -1.0])
    np.testing.assert_allclose(owner.decrypt(out), [-1.0, -1.0], atol=1e-5)


def test_bad_inputs(ckks_ctx):
    with pytest.raises(TypeError):
        encrypted_mean([1.0], 1)
    enc = ts.ckks_vector(ckks_ctx, [1.0])
    with pytest.raises(ValueError):
        encrypted_mean(enc, 0)
    with pytest.raises(ValueError):
        encrypt_columns(ckks_ctx, np.zeros((5000, 1)))
    with pytest.raises(ValueError):
        encrypted_logistic_scores([enc], [1.0, 2.0], 0.0, [0.5, 0.2])
    with pytest.raises(TypeError):
        ciphertext_size(b"abc")
    with pytest.raises(TypeError):
        DataOwner("ctx")
    with pytest.raises(TypeError):
        Server("ctx")
    with pytest.raises(TypeError):
        DataOwner(ckks_ctx).decrypt("payload")
    assert ciphertext_size(enc) > 100_000


def test_confident_negatives_outside_the_fit_range_flip_unless_z_is_scaled():
    # notebook 08's flips: the cubic fitted on [-6, 6] crosses 1/2 again at |z| = sqrt(-c1/c3) ~ 7.6, so
    # confident negatives (z ~ -9) came out positive. With features clipped to a public bound B and the
    # weights scaled by s = min(1, 6/Z), Z = sum|w|B + |b|, the encrypted decision equals the exact
    # sigmoid's for every sample whose encrypted score is more than MARGIN = 1e-3 from 1/2 (the CKKS error
    # at scale 2^40 is below 1e-5 here, the margin leaves two orders of magnitude).
    from mlops_course.privacy.he.ckks import logistic_z_bound

    margin = 1e-3
    c = sigmoid_coefficients(3, 6.0)
    assert 7.0 < np.sqrt(-c[1] / c[3]) < 8.0
    plan = plan_ckks(3)
    ctx = ckks_context(plan.poly_degree, plan.coeff_mod_bit_sizes, plan.scale_bits, galois_keys=False)
    rng = np.random.default_rng(8)
    bound = 3.0
    X = np.clip(rng.normal(size=(256, 4)) * 1.5, -bound, bound)  # the owner clips to the public bound
    w, b = np.array([2.0, -1.5, 1.0, 0.8]), -0.5
    z = X @ w + b
    assert np.abs(z).max() > 9 and logistic_z_bound(w, b, bound) == pytest.approx(16.4)
    exact = plain_logistic_scores(X, w, b) > 0.5
    unscaled = np.array(encrypted_logistic_scores(encrypt_columns(ctx, X), w, b, c).decrypt())
    assert np.sum((unscaled > 0.5) != exact) > 0  # the defect: confident samples flip
    flipped = (unscaled > 0.5) != exact
    assert np.all(np.abs(z[flipped]) > 7.0)  # ... and they are far from 1/2, not "near 0.5"
    got = np.array(encrypted_logistic_scores(encrypt_columns(ctx, X), w, b, c, feature_bound=bound).decrypt())
    np.testing.assert_allclose(got, plain_logistic_scores(X, w, b, c, feature_bound=bound), atol=1e-4)
    clear = np.abs(got - 0.5) > margin
    assert clear.mean() > 0.95
    assert np.all((got[clear] > 0.5) == exact[clear])
