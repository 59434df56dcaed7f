"""Paillier with phe: key policy, encrypted sum/mean/weighted sum/linear score, encoding."""
from __future__ import annotations

import math
import warnings

import numpy as np
import phe
import pytest

from mlops_course.privacy.he.paillier import (
    MIN_KEY_BITS,
    InsecureKeyWarning,
    ciphertext_bytes,
    decrypt_vector,
    describe_encoding,
    encrypt_vector,
    encrypted_dot,
    encrypted_linear_score,
    encrypted_mean,
    encrypted_sum,
    encrypted_weighted_sum,
    generate_keypair,
)


def test_default_key_is_2048_bits_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pub, priv = generate_keypair()
    assert pub.n.bit_length() == MIN_KEY_BITS == 2048
    assert priv.decrypt(pub.encrypt(-7)) == -7


def test_small_key_refused_without_demo_flag():
    with pytest.raises(ValueError, match="n_length must be >= 2048"):
        generate_keypair(1024)


def test_small_key_with_demo_flag_warns():
    with pytest.warns(InsecureKeyWarning, match="insecure"):
        pub, _ = generate_keypair(512, demo=True)
    assert pub.n.bit_length() == 512


@pytest.mark.parametrize("bad", [128, 1001])
def test_key_size_bad_values(bad):
    with pytest.raises(ValueError):
        generate_keypair(bad, demo=True)


def test_key_size_type():
    with pytest.raises(TypeError):
        generate_keypair(2048.0)


def test_encrypted_sum_mean_match_numpy(demo_keys):
    pub, priv = demo_keys
    x = np.random.default_rng(0).normal(0.0, 100.0, size=20)
    enc = encrypt_vector(pub, x)
    assert priv.decrypt(encrypted_sum(enc)) == pytest.approx(x.sum(), rel=1e-12, abs=1e-9)
    assert priv.decrypt(encrypted_mean(enc)) == pytest.approx(x.mean(), rel=1e-12, abs=1e-9)
    np.testing.assert_allclose(decrypt_vector(priv, enc), x, rtol=0, atol=0)


def test_weighted_sum_dot_and_linear_score(demo_keys):
    pub, priv = demo_keys
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=8), rng.normal(size=8)
    enc = encrypt_vector(pub, x)
    assert priv.decrypt(encrypted_weighted_sum(enc, w)) == pytest.approx(x @ w, rel=1e-12, abs=1e-12)
    assert priv.decrypt(encrypted_dot(enc, w)) == pytest.approx(x @ w, rel=1e-12, abs=1e-12)
    assert priv.decrypt(encrypted_linear_score(enc, w, -0.25)) == pytest.approx(x @ w - 0.25, rel=1e-12, abs=1e-12)


def test_ciphertexts_are_randomised_and_hide_the_value(demo_keys):
    pub, _ = demo_keys
    a, b = pub.encrypt(5), pub.encrypt(5)
    # equal ciphertexts would need equal randomisers r (probability ~1/n ≈ 2^-1023)
    assert a.ciphertext() != b.ciphertext()
    assert a.ciphertext() not in (5, pub.n + 5)


def test_describe_encoding_matches_phe_formula(demo_keys):
    pub, _ = demo_keys
    d = describe_encoding(pub, -2.5, precision=16**-3)
    assert d["exponent"] == -3 and d["mantissa"] == -2.5 * 16**3
    assert d["plaintext"] == pub.n - 10240 and d["negative_wrapped"] and d["decoded"] == -2.5
    assert d["max_int"] == pub.n // 3 - 1
    pos = describe_encoding(pub, 0.1)
    assert pos["decoded"] == 0.1 and pos["plaintext"] == pos["mantissa"] > 0
    assert pos["mantissa"] * 16.0 ** pos["exponent"] == pytest.approx(0.1, rel=1e-15)


def test_ciphertext_bytes(demo_keys):
    pub, _ = demo_keys
    assert ciphertext_bytes(pub, 3) == 3 * math.ceil(pub.nsquare.bit_length() / 8)
    assert ciphertext_bytes(pub) in (256, 255)


def test_bad_inputs(demo_keys):
    pub, priv = demo_keys
    with pytest.raises(TypeError):
        encrypt_vector("key", [1.0])
    with pytest.raises(ValueError):
        encrypt_vector(pub, [])
    with pytest.raises(ValueError):
        encrypt_vector(pub, [1.0, np.nan])
    with pytest.raises(ValueError):
        encrypt_vector(pub, [[1.0]])
    with pytest.raises(ValueError):
        encrypt_vector(pub, [1.0], precision=0.0)
    with pytest.raises(ValueError):
        encrypted_sum([])
    with pytest.raises(TypeError):
        encrypted_sum([1, 2])
    with pytest.raises(TypeError):
        encrypted_sum(pub.encrypt(1))
    enc = encrypt_vector(pub, [1.0, 2.0])
    with pytest.raises(ValueError, match="one entry per ciphertext"):
        encrypted_weighted_sum(enc, [1.0])
    with pytest.raises(ValueError):
        encrypted_linear_score(enc, [1.0, 2.0], math.inf)
    with pytest.raises(TypeError):
        decrypt_vector(pub, enc)


def test_mixed_keys_refused(demo_keys):
    pub, _ = demo_keys
    other, _ = phe.generate_paillier_keypair(n_length=256)
    with pytest.raises(ValueError, match="same public key"):
        encrypted_sum([pub.encrypt(1), other.encrypt(1)])
