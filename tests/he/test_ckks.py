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
