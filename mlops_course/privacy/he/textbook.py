"""Multiplicative PHE, textbook style: RSA and ElGamal in a few lines. INSECURE AS WRITTEN.

**Textbook RSA** (Rivest, Shamir & Adleman 1978). ``n = p·q``, ``e·d ≡ 1 (mod λ(n))``,
``Enc(m) = m^e mod n``, ``Dec(c) = c^d mod n``. Multiplicative homomorphism:

    Enc(a)·Enc(b) = a^e·b^e = (a·b)^e = Enc(a·b)  (mod n).

Insecure as written because it has no padding: encryption is *deterministic* (anyone can encrypt
candidate messages and compare: a small message space is searched in seconds, see
:func:`rsa_guess_attack`), *malleable* (``c·2^e`` decrypts to ``2m``) and small messages with a
small ``e`` leak (``m^e < n`` is inverted by an integer root). Real RSA uses OAEP (PKCS #1 v2.2,
RFC 8017), which destroys exactly the homomorphism shown here.

**Textbook ElGamal** (ElGamal 1985). A safe prime ``p = 2q + 1``, a generator ``g`` of the
subgroup of quadratic residues (order ``q``), secret ``x``, public ``h = g^x``:

    Enc(m; r) = (g^r, m·h^r),   Dec(c1, c2) = c2 · c1^(-x)   (mod p),
    Enc(a)·Enc(b) = (g^(r+s), a·b·h^(r+s)) = Enc(a·b)   (component-wise).

It is randomised, but as written (messages anywhere in ``Z_p^*``) it is *not* IND-CPA: ``h^r`` is
a quadratic residue, so the Legendre symbol of ``c2`` equals that of ``m`` and leaks one bit of
every message (Boneh, Joux & Nguyen 2000; see :func:`elgamal_residuosity_leak`). Messages must be
encoded into the order-``q`` subgroup, and the toy key sizes here are far below the 2048-bit
minimum. Both schemes are malleable: homomorphism *is* malleability.

References
----------
R. Rivest, A. Shamir, L. Adleman, CACM 21(2), 1978. T. ElGamal, IEEE Trans. Inf. Theory 31(4),
1985. D. Boneh, A. Joux, P. Nguyen, "Why textbook ElGamal and RSA encryption are insecure",
ASIACRYPT 2000. RFC 8017 (PKCS #1 v2.2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import gmpy2
import numpy as np

from mlops_course._validation import check_int, check_rng

__all__ = ["RSAKey", "ElGamalKey", "rsa_keygen", "rsa_encrypt", "rsa_decrypt", "rsa_multiply",
           "rsa_guess_attack", "elgamal_keygen", "elgamal_encrypt", "elgamal_decrypt", "elgamal_multiply",
           "elgamal_residuosity_leak", "legendre"]


def _random_bits(bits: int, rng: np.random.Generator) -> int:
    words = rng.integers(0, 2**32, size=math.ceil(bits / 32), dtype=np.uint64)
    value = 0
    for w in words:
        value = (value << 32) | int(w)
    return (value >> (32 * len(words) - bits)) | (1 << (bits - 1))  # exactly `bits` bits


def _uniform_below(n: int, rng: np.random.Generator) -> int:
    """Exactly uniform integer in ``[0, n)`` for any ``n >= 1`` (rejection sampling on raw bits).

    Draws ``k = bit_length(n - 1)`` random bits from ``rng`` and rejects values ``>= n``
    (acceptance probability > 1/2), so there is no 2⁶² cap and no modulo bias; seeded ``rng``
    gives reproducible demos (``secrets.randbelow`` would be the choice for real keys).
    """
    if n <= 1:
        return 0
    k = (n - 1).bit_length()
    words = math.ceil(k / 32)
    while True:
        raw = rng.integers(0, 2**32, size=words, dtype=np.uint64)
        value = 0
        for w in raw:
            value = (value << 32) | int(w)
        value >>= 32 * words - k
        if value < n:
            return value


def _prime(bits: int, rng: np.random.Generator) -> int:
    return int(gmpy2.next_prime(_random_bits(bits, rng)))


@dataclass(frozen=True)
class RSAKey:
    """Toy RSA key: public ``(n, e)``, private ``d``.

    Parameters
    ----------
    n : int
        Modulus ``p·q``.
    e : int
        Public exponent.
    d : int
        Private exponent, ``e·d ≡ 1 mod λ(n)``.
    """

    n: int
    e: int
    d: int


@dataclass(frozen=True)
class ElGamalKey:
    """Toy ElGamal key: safe prime ``p = 2q + 1``, generator ``g`` of order ``q``, public ``h = g^x``, secret ``x``.

    Parameters
    ----------
    p : int
        Safe prime ``2q + 1``.
    q : int
        Prime order of the subgroup.
    g : int
        Generator of the order-``q`` subgroup.
    h : int
        Public key ``g^x mod p``.
    x : int
        Secret key in ``[1, q)``.
    """

    p: int
    q: int
    g: int
    h: int
    x: int


def rsa_keygen(bits: int, rng: np.random.Generator, e: int = 65537) -> RSAKey:
    """Toy textbook-RSA key with a ``bits``-bit modulus (seeded for reproducible demos: INSECURE).

    Parameters
    ----------
    bits : int
        Modulus size, 64 <= bits <= 4096.
    rng : numpy.random.Generator
        Source of the primes (a seeded generator: never do this for a real key).
    e : int, default 65537
        Public exponent (odd, >= 3).

    Returns
    -------
    RSAKey
    """
    bits = check_int("bits", bits, minimum=64, maximum=4096)
    e = check_int("e", e, minimum=3)
    if e % 2 == 0:
        raise ValueError(f"e must be odd, got {e}")
    rng = check_rng(rng)
    while True:
        p, q = _prime(bits // 2, rng), _prime(bits - bits // 2, rng)
        lam = math.lcm(p - 1, q - 1)
        if p != q and math.gcd(e, lam) == 1:
            return RSAKey(p * q, e, pow(e, -1, lam))


def _check_message(name: str, m: int, modulus: int, minimum: int = 0) -> int:
    m = check_int(name, m, minimum=minimum)
    if m >= modulus:
        raise ValueError(f"{name} must be < the modulus {modulus}, got {m}")
    return m


def rsa_encrypt(key: RSAKey, m: int) -> int:
    """``m^e mod n`` (deterministic: no padding, no randomness).

    Parameters
    ----------
    key : RSAKey
        The key (only ``n`` and ``e`` are used).
    m : int
        Message in ``[0, n)``.

    Returns
    -------
    int
        The ciphertext ``m^e mod n``.

    Raises
    ------
    TypeError
        If ``m`` is not an integer.
    ValueError
        If ``m`` is outside ``[0, n)``.
    """
    return pow(_check_message("m", m, key.n), key.e, key.n)


def rsa_decrypt(key: RSAKey, c: int) -> int:
    """``c^d mod n``.

    Parameters
    ----------
    key : RSAKey
        The key (``n`` and ``d`` are used).
    c : int
        Ciphertext in ``[0, n)``.

    Returns
    -------
    int
        The message ``c^d mod n``.

    Raises
    ------
    TypeError
        If ``c`` is not an integer.
    ValueError
        If ``c`` is outside ``[0, n)``.
    """
    return pow(_check_message("c", c, key.n), key.d, key.n)


def rsa_multiply(key: RSAKey, c1: int, c2: int) -> int:
    """``c1·c2 mod n`` = Enc(m1·m2 mod n), computed from the public key only.

    Parameters
    ----------
    key : RSAKey
        The key (only ``n`` is used).
    c1, c2 : int
        Ciphertexts in ``[0, n)``.

    Returns
    -------
    int
        ``c1·c2 mod n``.

    Raises
    ------
    TypeError
        If a ciphertext is not an integer.
    ValueError
        If a ciphertext is outside ``[0, n)``.
    """
    return _check_message("c1", c1, key.n) * _check_message("c2", c2, key.n) % key.n


def rsa_guess_attack(key: RSAKey, c: int, candidates: range | list[int]) -> int | None:
    """Recover ``m`` from ``c`` by encrypting every candidate with the *public* key (determinism).

    Returns the candidate with ``Enc(m') == c``, or ``None``.

    Parameters
    ----------
    key : RSAKey
        The key (only the public ``n``, ``e`` are used).
    c : int
        The intercepted ciphertext.
    candidates : range or list of int
        Messages to try.

    Returns
    -------
    int or None
        The first candidate that encrypts to ``c``, or None.

    Raises
    ------
    TypeError
        If ``c`` is not an integer.
    ValueError
        If ``c`` is outside ``[0, n)``.
    """
    c = _check_message("c", c, key.n)
    for m in candidates:
        if pow(int(m), key.e, key.n) == c:
            return int(m)
    return None


def legendre(a: int, p: int) -> int:
    """Legendre symbol ``(a/p)`` in {-1, 0, 1} (Euler's criterion ``a^((p-1)/2) mod p``).

    Parameters
    ----------
    a : int
        The integer.
    p : int
        An odd prime.

    Returns
    -------
    int
        1 if ``a`` is a non-zero square mod ``p``, -1 if not a square, 0 if ``p`` divides ``a``.
    """
    s = pow(a, (p - 1) // 2, p)
    return -1 if s == p - 1 else int(s)


def elgamal_keygen(bits: int, rng: np.random.Generator) -> ElGamalKey:
    """Toy ElGamal key over a ``bits``-bit safe prime (seeded for reproducible demos: INSECURE).

    The secret ``x`` is uniform in ``[1, q)`` (drawn from ``rng``, no cap).

    ``g = 4 = 2²`` generates the quadratic residues (order ``q``) of ``Z_p^*`` for a safe prime
    ``p = 2q + 1`` with ``q > 2``.

    Parameters
    ----------
    bits : int
        Size of the safe prime ``p``, in [16, 1024].
    rng : numpy.random.Generator or int
        Source of the primes and of the secret ``x``.

    Returns
    -------
    ElGamalKey
        The key with ``g = 4``.

    Raises
    ------
    TypeError
        If ``bits`` is not an integer or ``rng`` not a Generator/seed.
    ValueError
        If ``bits`` is outside [16, 1024].
    """
    bits = check_int("bits", bits, minimum=16, maximum=1024)
    rng = check_rng(rng)
    while True:
        q = _prime(bits - 1, rng)
        p = 2 * q + 1
        if gmpy2.is_prime(p):
            break
    x = _uniform_below(q - 1, rng) + 1  # uniform in [1, q)
    return ElGamalKey(p, q, 4, pow(4, x, p), x)


def elgamal_encrypt(key: ElGamalKey, m: int, rng: np.random.Generator) -> tuple[int, int]:
    """``(g^r, m·h^r) mod p`` with ``r`` uniform in [1, q).

    ``r`` is drawn exactly uniformly from ``[1, q)`` with the given ``rng`` (rejection sampling,
    no cap), so a seeded ``rng`` makes the demo reproducible — which is exactly why this toy must
    not encrypt real data (a real implementation draws ``r`` with ``secrets.randbelow(q - 1) + 1``).

    Parameters
    ----------
    key : ElGamalKey
        The key (public ``p``, ``q``, ``g``, ``h`` are used).
    m : int
        Message in ``[1, p)``.
    rng : numpy.random.Generator or int
        Source of the ephemeral ``r``.

    Returns
    -------
    tuple of (int, int)
        The ciphertext ``(c1, c2)``.

    Raises
    ------
    TypeError
        If ``m`` is not an integer or ``rng`` not a Generator/seed.
    ValueError
        If ``m`` is outside ``[1, p)``.
    """
    m = _check_message("m", m, key.p, minimum=1)
    r = _uniform_below(key.q - 1, check_rng(rng)) + 1
    return pow(key.g, r, key.p), m * pow(key.h, r, key.p) % key.p


def elgamal_decrypt(key: ElGamalKey, c: tuple[int, int]) -> int:
    """``c2 · c1^(-x) mod p``.

    Parameters
    ----------
    key : ElGamalKey
        The key (secret ``x`` and ``p`` are used).
    c : tuple of (int, int)
        The ciphertext ``(c1, c2)``.

    Returns
    -------
    int
        The message ``m``.
    """
    c1, c2 = c
    return c2 * pow(c1, -key.x, key.p) % key.p


def elgamal_multiply(key: ElGamalKey, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """Component-wise product = Enc(m_a·m_b mod p), from public values only.

    Parameters
    ----------
    key : ElGamalKey
        The key (only ``p`` is used).
    a, b : tuple of (int, int)
        Two ciphertexts.

    Returns
    -------
    tuple of (int, int)
        ``(a1·b1 mod p, a2·b2 mod p)``.
    """
    return a[0] * b[0] % key.p, a[1] * b[1] % key.p


def elgamal_residuosity_leak(key: ElGamalKey, c: tuple[int, int]) -> int:
    """The Legendre symbol of the *plaintext*, read from the ciphertext alone: ``(c2/p) = (m/p)``.

    Parameters
    ----------
    key : ElGamalKey
        The key (only the public ``p`` is used).
    c : tuple of (int, int)
        The ciphertext ``(c1, c2)``.

    Returns
    -------
    int
        ``(c2/p)`` in {-1, 0, 1}, equal to ``(m/p)`` because ``h^r`` is a quadratic residue.
    """
    return legendre(c[1], key.p)
