"""Paillier encryption with ``phe``: key-size policy, encrypted sums, means and linear scores.

Paillier (1999) is *additively* homomorphic. With public key ``n = p·q`` and ``g = n + 1``,

    Enc(m; r) = (1 + n)^m · r^n  mod n²,        r uniform in Z_n^*,

so that ``Enc(a)·Enc(b) = Enc(a + b)`` and ``Enc(a)^k = Enc(k·a)`` (mod n²). Anyone holding the
public key can therefore add ciphertexts and multiply them by *plaintext* constants; only the
holder of ``λ = lcm(p-1, q-1)`` can decrypt. Security: IND-CPA under the decisional composite
residuosity (DCR) assumption, so an honest-but-curious server learns nothing about the inputs.

Encoding of floats and negative numbers (as ``phe`` does it). Plaintexts are integers mod ``n``.
A real ``x`` is stored as ``mantissa · 16^exponent`` with an integer ``mantissa = round(x·16^-exponent)``;
a negative mantissa is wrapped to ``n + mantissa``. Decoding reads ``[0, n/3)`` as positive,
``(2n/3, n)`` as negative and the middle third as *overflow*. Sums of numbers with different
exponents are first brought to the smaller exponent (multiplying the mantissa by a power of 16).

References
----------
P. Paillier, "Public-key cryptosystems based on composite degree residuosity classes",
EUROCRYPT 1999. CSIRO Data61, *python-paillier* (``phe``) documentation, "Encoding".
NIST SP 800-57 Part 1 Rev. 5 (2020), Table 2: a 2048-bit factoring modulus gives 112-bit
security, 3072 bits give 128-bit security; smaller moduli are disallowed.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import phe

from mlops_course._validation import check_finite_array, check_int

__all__ = [
    "MIN_KEY_BITS",
    "InsecureKeyWarning",
    "generate_keypair",
    "encrypt_vector",
    "decrypt_vector",
    "encrypted_sum",
    "encrypted_mean",
    "encrypted_weighted_sum",
    "encrypted_dot",
    "encrypted_linear_score",
    "describe_encoding",
    "ciphertext_bytes",
]

#: smallest modulus size (bits) accepted without ``demo=True`` (NIST SP 800-57: 112-bit security)
MIN_KEY_BITS = 2048


class InsecureKeyWarning(UserWarning):
    """A key below :data:`MIN_KEY_BITS` was generated in demo mode: fine for a lecture, never for data."""


def generate_keypair(n_length: int = MIN_KEY_BITS, *, demo: bool = False
                     ) -> tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey]:
    """Generate a Paillier key pair with ``phe`` under a key-size policy.

    Policy: ``n_length >= 2048`` bits (112-bit security, NIST SP 800-57 Table 2; use 3072 for
    128-bit). Smaller keys (down to 256 bits, for fast demos and tests) need ``demo=True`` and emit
    an :class:`InsecureKeyWarning`. Key generation uses the operating system's CSPRNG (phe uses
    ``random.SystemRandom``), never a seeded generator.

    Parameters
    ----------
    n_length : int, default 2048
        Bit length of the modulus ``n = p·q``; a multiple of 8.
    demo : bool, default False
        Allow ``n_length < 2048`` (with a warning).

    Returns
    -------
    (phe.PaillierPublicKey, phe.PaillierPrivateKey)

    Raises
    ------
    ValueError
        If ``n_length < 2048`` without ``demo=True``, ``n_length < 256`` or not a multiple of 8.
    TypeError
        If ``n_length`` is not an integer.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     pub, priv = generate_keypair(512, demo=True)
    >>> priv.decrypt(pub.encrypt(3) + pub.encrypt(4))
    7
    """
    bits = check_int("n_length", n_length, minimum=256)
    if bits % 8:
        raise ValueError(f"n_length must be a multiple of 8, got {bits}")
    if bits < MIN_KEY_BITS:
        if not demo:
            raise ValueError(f"n_length must be >= {MIN_KEY_BITS} bits (NIST SP 800-57), got {bits}; "
                             "pass demo=True for a deliberately insecure demo key")
        warnings.warn(f"{bits}-bit Paillier key: insecure, for demos only (policy: >= {MIN_KEY_BITS} bits)",
                      InsecureKeyWarning, stacklevel=2)
    return phe.generate_paillier_keypair(n_length=bits)


def _check_public_key(public_key: Any) -> phe.PaillierPublicKey:
    if not isinstance(public_key, phe.PaillierPublicKey):
        raise TypeError(f"public_key must be a phe.PaillierPublicKey, got {type(public_key).__name__}")
    return public_key


def _check_ciphertexts(ciphertexts: Any, name: str = "ciphertexts") -> list[phe.EncryptedNumber]:
    if isinstance(ciphertexts, phe.EncryptedNumber) or not isinstance(ciphertexts, Sequence):
        raise TypeError(f"{name} must be a sequence of phe.EncryptedNumber, got {type(ciphertexts).__name__}")
    items = list(ciphertexts)
    if not items:
        raise ValueError(f"{name} must not be empty")
    if not all(isinstance(c, phe.EncryptedNumber) for c in items):
        raise TypeError(f"{name} must hold only phe.EncryptedNumber values")
    key = items[0].public_key
    if any(c.public_key != key for c in items):
        raise ValueError(f"{name} must all be encrypted under the same public key")
    return items


def encrypt_vector(public_key: phe.PaillierPublicKey, values: Any, precision: float | None = None
                   ) -> list[phe.EncryptedNumber]:
    """Encrypt each value separately (the *naive* path: one ciphertext of ``log2(n²)`` bits per value).

    Parameters
    ----------
    public_key : phe.PaillierPublicKey
    values : array_like of float, shape (k,)
        Finite values.
    precision : float, optional
        Fixed-point precision passed to ``phe`` (exponent ``floor(log16(precision))``); ``None``
        keeps every float's full precision.

    Returns
    -------
    list of phe.EncryptedNumber

    Raises
    ------
    TypeError, ValueError
        For a wrong key type, empty/non-finite/non-1-D values or ``precision <= 0``.
    """
    pub = _check_public_key(public_key)
    arr = check_finite_array("values", values, ndim=1)
    if precision is not None and not precision > 0:
        raise ValueError(f"precision must be > 0, got {precision!r}")
    return [pub.encrypt(float(v), precision=precision) for v in arr]


def decrypt_vector(private_key: phe.PaillierPrivateKey, ciphertexts: Sequence[phe.EncryptedNumber]) -> np.ndarray:
    """Decrypt a list of ciphertexts into a float array (only the key owner can do this).

    Parameters
    ----------
    private_key : phe.PaillierPrivateKey
        The key owner's private key.
    ciphertexts : sequence of phe.EncryptedNumber
        Non-empty list of ciphertexts under the matching public key.

    Returns
    -------
    numpy.ndarray, shape (len(ciphertexts),)
        The decrypted values as floats.

    Raises
    ------
    TypeError
        If ``ciphertexts`` is not a sequence of phe.EncryptedNumber.
    ValueError
        If ``ciphertexts`` is empty or mixes public keys.
    """
    if not isinstance(private_key, phe.PaillierPrivateKey):
        raise TypeError(f"private_key must be a phe.PaillierPrivateKey, got {type(private_key).__name__}")
    return np.array([private_key.decrypt(c) for c in _check_ciphertexts(ciphertexts)], dtype=float)


def encrypted_sum(ciphertexts: Sequence[phe.EncryptedNumber]) -> phe.EncryptedNumber:
    """``Enc(Σ x_i) = Π Enc(x_i) mod n²`` computed without the private key.

    Raises
    ------
    TypeError, ValueError
        If ``ciphertexts`` is empty, not EncryptedNumbers, or mixes keys.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     pub, priv = generate_keypair(512, demo=True)
    >>> priv.decrypt(encrypted_sum(encrypt_vector(pub, [1.5, -2.0, 4.0])))
    3.5
    """
    items = _check_ciphertexts(ciphertexts)
    total = items[0]
    for c in items[1:]:
        total = total + c
    return total


def encrypted_mean(ciphertexts: Sequence[phe.EncryptedNumber]) -> phe.EncryptedNumber:
    """``Enc(mean) = Enc(Σ x_i) · (1/k)``: a plaintext multiplication by the public count ``k``.

    ``1/k`` is encoded with a float's precision, so the decrypted mean has relative error of the
    order of 1e-16 (it is computed in fixed point, not by an exact division).
    """
    items = _check_ciphertexts(ciphertexts)
    return encrypted_sum(items) * (1.0 / len(items))


def encrypted_weighted_sum(ciphertexts: Sequence[phe.EncryptedNumber], weights: Any) -> phe.EncryptedNumber:
    """``Enc(Σ w_i·x_i) = Π Enc(x_i)^{w_i}`` with *plaintext* weights ``w`` (any sign, floats allowed).

    Parameters
    ----------
    ciphertexts : sequence of phe.EncryptedNumber
        Non-empty ``Enc(x_1..x_n)`` under one public key.
    weights : array_like, shape (n,)
        Finite plaintext weights.

    Returns
    -------
    phe.EncryptedNumber
        ``Enc(Σ w_i·x_i)``.

    Raises
    ------
    ValueError
        If the number of weights differs from the number of ciphertexts or a weight is not finite.
    """
    items = _check_ciphertexts(ciphertexts)
    w = check_finite_array("weights", weights, ndim=1)
    if w.size != len(items):
        raise ValueError(f"weights must have one entry per ciphertext ({len(items)}), got {w.size}")
    total = items[0] * float(w[0])
    for c, wi in zip(items[1:], w[1:], strict=True):
        total = total + c * float(wi)
    return total


def encrypted_dot(ciphertexts: Sequence[phe.EncryptedNumber], weights: Any) -> phe.EncryptedNumber:
    """Dot product ``⟨Enc(x), w⟩`` with a plaintext vector ``w`` (alias of :func:`encrypted_weighted_sum`).

    Parameters
    ----------
    ciphertexts : sequence of phe.EncryptedNumber
        Non-empty ``Enc(x_1..x_n)`` under one public key.
    weights : array_like, shape (n,)
        Finite plaintext vector ``w``.

    Returns
    -------
    phe.EncryptedNumber
        ``Enc(Σ w_i·x_i)``.

    Raises
    ------
    TypeError
        If ``ciphertexts`` is not a sequence of phe.EncryptedNumber.
    ValueError
        If ``ciphertexts`` is empty or mixes public keys.
        Also if ``weights`` has the wrong length or a non-finite entry.
    """
    return encrypted_weighted_sum(ciphertexts, weights)


def encrypted_linear_score(ciphertexts: Sequence[phe.EncryptedNumber], weights: Any, bias: float
                           ) -> phe.EncryptedNumber:
    """Private inference of a linear model: ``Enc(w·x + b)`` from encrypted features ``Enc(x)``.

    Threat model: the *client* encrypts its features with its own public key and sends them; the
    *server* holds the plaintext model ``(w, b)`` and returns ``Enc(w·x + b)`` without learning
    ``x``; only the client decrypts the score (and applies e.g. a sigmoid itself). The server's
    model is not hidden from a client that queries many times (model extraction, unit 01).

    Parameters
    ----------
    ciphertexts : sequence of phe.EncryptedNumber
        The client's encrypted features ``Enc(x_1..x_n)``.
    weights : array_like, shape (n,)
        The server's plaintext weights ``w``.
    bias : float
        The server's plaintext intercept ``b`` (finite).

    Returns
    -------
    phe.EncryptedNumber
        ``Enc(w·x + b)``.

    Raises
    ------
    TypeError
        If ``ciphertexts`` is not a sequence of phe.EncryptedNumber.
    ValueError
        If ``ciphertexts`` is empty or mixes public keys.
        Also if ``bias`` is not a finite number, or ``weights`` has the wrong length or a non-finite entry.
    """
    if isinstance(bias, bool) or not isinstance(bias, (int, float, np.floating, np.integer)) or \
            not math.isfinite(float(bias)):
        raise ValueError(f"bias must be a finite number, got {bias!r}")
    return encrypted_weighted_sum(ciphertexts, weights) + float(bias)


def describe_encoding(public_key: phe.PaillierPublicKey, value: float, precision: float | None = None
                      ) -> dict[str, Any]:
    """How ``phe`` turns ``value`` into the integer plaintext that is encrypted.

    Parameters
    ----------
    public_key : phe.PaillierPublicKey
        Key whose modulus ``n`` defines the plaintext space.
    value : float
        Finite value to encode.
    precision : float or None, default None
        Passed to ``phe.EncodedNumber.encode`` (None: phe chooses the exponent).

    Returns
    -------
    dict
        ``mantissa`` (signed integer), ``exponent`` (base 16), ``plaintext`` (integer in
        ``[0, n)``; negative mantissas wrapped to ``n + mantissa``), ``negative_wrapped`` (bool),
        ``decoded`` (``mantissa·16^exponent`` as phe decodes it) and ``max_int`` (``n//3 - 1``).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     pub, _ = generate_keypair(512, demo=True)
    >>> d = describe_encoding(pub, -1.5, precision=16**-2)
    >>> d["mantissa"], d["exponent"], d["plaintext"] == pub.n - 384
    (-384, -2, True)
    """
    pub = _check_public_key(public_key)
    x = float(check_finite_array("value", value, ndim=0))
    enc = phe.EncodedNumber.encode(pub, x, precision=precision)
    mantissa = enc.encoding if enc.encoding <= pub.max_int else enc.encoding - pub.n
    return {"mantissa": int(mantissa), "exponent": int(enc.exponent), "plaintext": int(enc.encoding),
            "negative_wrapped": bool(mantissa < 0), "decoded": enc.decode(), "max_int": int(pub.max_int)}


def ciphertext_bytes(public_key: phe.PaillierPublicKey, count: int = 1) -> int:
    """Bytes needed to send ``count`` ciphertexts (each an integer mod ``n²``: ``ceil(2·|n|/8)`` bytes).

    Parameters
    ----------
    public_key : phe.PaillierPublicKey
        The key (its ``n²`` sets the ciphertext size).
    count : int, default 1
        Number of ciphertexts (>= 0).

    Returns
    -------
    int
        ``count · ceil(bitlength(n²) / 8)``.

    Raises
    ------
    TypeError
        If ``public_key`` is not a phe.PaillierPublicKey or ``count`` not an integer.
    ValueError
        If ``count < 0``.
    """
    pub = _check_public_key(public_key)
    count = check_int("count", count, minimum=0)
    return count * math.ceil(pub.nsquare.bit_length() / 8)
