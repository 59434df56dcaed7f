"""Textbook RSA and ElGamal: multiplicative homomorphism and why they are insecure as written."""
from __future__ import annotations

import gmpy2
import numpy as np
import pytest

from mlops_course.privacy.he.textbook import (
    elgamal_decrypt,
    elgamal_encrypt,
    elgamal_keygen,
    elgamal_multiply,
    elgamal_residuosity_leak,
    legendre,
    rsa_decrypt,
    rsa_encrypt,
    rsa_guess_attack,
    rsa_keygen,
    rsa_multiply,
)


@pytest.fixture(scope="module")
def rsa():
    return rsa_keygen(512, np.random.default_rng(0))


@pytest.fixture(scope="module")
def elgamal():
    return elgamal_keygen(128, np.random.default_rng(1))


def test_rsa_key_is_valid(rsa):
    assert rsa.n.bit_length() in (511, 512)
    for m in (2, 12345, rsa.n - 1):
        assert rsa_decrypt(rsa, rsa_encrypt(rsa, m)) == m


def test_rsa_multiplicative(rsa):
    a, b = 1234, 5678
    assert rsa_decrypt(rsa, rsa_multiply(rsa, rsa_encrypt(rsa, a), rsa_encrypt(rsa, b))) == a * b
    assert rsa_encrypt(rsa, a) * rsa_encrypt(rsa, b) % rsa.n == rsa_encrypt(rsa, a * b)


def test_rsa_is_deterministic_so_guessable(rsa):
    c = rsa_encrypt(rsa, 73)
    assert rsa_encrypt(rsa, 73) == c
    assert rsa_guess_attack(rsa, c, range(1, 121)) == 73
    assert rsa_guess_attack(rsa, c, range(100, 120)) is None


def test_elgamal_key(elgamal):
    assert elgamal.p == 2 * elgamal.q + 1 and gmpy2.is_prime(elgamal.p) and gmpy2.is_prime(elgamal.q)
    assert pow(elgamal.g, elgamal.q, elgamal.p) == 1 and elgamal.g != 1


def test_elgamal_multiplicative_and_randomised(elgamal):
    rng = np.random.default_rng(2)
    ca, cb = elgamal_encrypt(elgamal, 21, rng), elgamal_encrypt(elgamal, 2, rng)
    assert elgamal_decrypt(elgamal, elgamal_multiply(elgamal, ca, cb)) == 42
    assert elgamal_encrypt(elgamal, 21, rng) != ca


def test_elgamal_leaks_the_legendre_symbol(elgamal):
    rng = np.random.default_rng(3)
    for m in range(2, 40):
        c = elgamal_encrypt(elgamal, m, rng)
        # peer: gmpy2's Legendre symbol of the plaintext
        assert elgamal_residuosity_leak(elgamal, c) == gmpy2.legendre(m, elgamal.p) == legendre(m, elgamal.p)


def test_bad_inputs(rsa, elgamal):
    with pytest.raises(ValueError):
        rsa_keygen(32, np.random.default_rng(0))
    with pytest.raises(ValueError):
        rsa_keygen(256, np.random.default_rng(0), e=4)
    with pytest.raises(TypeError):
        rsa_keygen(256, "seed")
    with pytest.raises(ValueError):
        rsa_encrypt(rsa, rsa.n)
    with pytest.raises(ValueError):
        rsa_encrypt(rsa, -1)
    with pytest.raises(ValueError):
        elgamal_encrypt(elgamal, 0, np.random.default_rng(0))


def test_uniform_below_has_no_cap_and_no_bias():
    from scipy import stats

    from mlops_course.privacy.he.textbook import _uniform_below

    rng = np.random.default_rng(5)
    n = 3 * 2**100
    draws = [_uniform_below(n, rng) for _ in range(2000)]
    assert all(0 <= d < n for d in draws)
    # under a 2^62 cap every draw would be < 2^62; uniform on [0, n) gives P(d < 2^62) ≈ 2^-40
    assert min(draws) > 2**62
    # fraction below n/2 ~ Binomial(2000, 1/2): two-sided test rejects at p < 1e-6
    below = sum(d < n // 2 for d in draws)
    assert stats.binomtest(below, 2000, 0.5).pvalue > 1e-6
    small = np.bincount([_uniform_below(3, rng) for _ in range(30_000)], minlength=3)
    assert stats.chisquare(small).pvalue > 1e-6  # rejects at p < 1e-6
    assert _uniform_below(1, rng) == 0


def test_elgamal_exponents_use_the_whole_group(elgamal):
    # x and r are uniform in [1, q) with q ≈ 2^127: P(x < 2^62) ≈ 2^-65 (never by chance)
    assert elgamal.x > 2**62
    rng = np.random.default_rng(8)
    # r itself is hidden, but g^r for r uniform in [1, q) is (almost surely) not g^r' for any r' < 2^16
    small = {pow(elgamal.g, r, elgamal.p) for r in range(1, 2**16)}
    assert all(elgamal_encrypt(elgamal, 5, rng)[0] not in small for _ in range(50))
