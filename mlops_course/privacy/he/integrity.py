"""Homomorphic encryption gives confidentiality, not integrity: Paillier malleability and a MAC.

Anyone holding a Paillier *public* key can change what a ciphertext decrypts to, without
learning or knowing it:

    Enc(m) · Enc(δ) = Enc(m + δ),       Enc(m)^k = Enc(k·m)     (mod n²).

The result is a perfectly valid ciphertext, indistinguishable from an honest one (IND-CPA
schemes that are homomorphic are necessarily malleable, hence never IND-CCA2). What to add:

* **authenticity of inputs**: the sender attaches a MAC (or a signature) over the exact
  ciphertext bytes; the receiver rejects anything that does not verify (:func:`tag_ciphertext`,
  :func:`verify_ciphertext`, HMAC-SHA256 from the standard library). This stops a
  man-in-the-middle, not a server that computes wrongly on authentic inputs;
* **integrity of the computation**: verifiable computation / zero-knowledge proofs of correct
  evaluation, or redundancy (several non-colluding servers, spot checks with known answers).

References
----------
P. Paillier, EUROCRYPT 1999. RFC 2104 (HMAC). D. Boneh, V. Shoup, *A Graduate Course in Applied
Cryptography*, ch. 9 (authenticated encryption; malleability and chosen-ciphertext attacks).
"""
from __future__ import annotations

import hashlib
import hmac
import math
import numbers

import phe

__all__ = ["tamper_add", "tamper_scale", "ciphertext_to_bytes", "tag_ciphertext", "verify_ciphertext"]


def _check_encrypted(value: object, name: str = "encrypted") -> phe.EncryptedNumber:
    if not isinstance(value, phe.EncryptedNumber):
        raise TypeError(f"{name} must be a phe.EncryptedNumber, got {type(value).__name__}")
    return value


def _check_number(name: str, value: object) -> float | int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def tamper_add(public_key: phe.PaillierPublicKey, encrypted: phe.EncryptedNumber, delta: float) -> phe.EncryptedNumber:
    """The attack: ``Enc(m)·Enc(δ) = Enc(m + δ)`` using only the public key.

    Parameters
    ----------
    public_key : phe.PaillierPublicKey
        The public key (all an attacker needs).
    encrypted : phe.EncryptedNumber
        Ciphertext ``Enc(m)``.
    delta : float
        Finite amount ``δ`` to add.

    Returns
    -------
    phe.EncryptedNumber
        A valid ciphertext of ``m + δ``.

    Raises
    ------
    TypeError
        If ``public_key`` or ``encrypted`` has the wrong type.
    ValueError
        If ``delta`` is not a finite number.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     pub, priv = phe.generate_paillier_keypair(n_length=512)
    >>> priv.decrypt(tamper_add(pub, pub.encrypt(100), 1_000_000))
    1000100
    """
    if not isinstance(public_key, phe.PaillierPublicKey):
        raise TypeError(f"public_key must be a phe.PaillierPublicKey, got {type(public_key).__name__}")
    enc = _check_encrypted(encrypted)
    return enc + public_key.encrypt(_check_number("delta", delta))


def tamper_scale(encrypted: phe.EncryptedNumber, factor: float) -> phe.EncryptedNumber:
    """The attack: ``Enc(m)^k = Enc(k·m)`` (no key needed at all).

    Parameters
    ----------
    encrypted : phe.EncryptedNumber
        Ciphertext ``Enc(m)``.
    factor : float
        Finite multiplier ``k``.

    Returns
    -------
    phe.EncryptedNumber
        A valid ciphertext of ``k·m``.

    Raises
    ------
    TypeError
        If ``encrypted`` is not a phe.EncryptedNumber.
    ValueError
        If ``factor`` is not a finite number.
    """
    return _check_encrypted(encrypted) * _check_number("factor", factor)


def ciphertext_to_bytes(encrypted: phe.EncryptedNumber) -> bytes:
    """Canonical bytes of a ciphertext: modulus, exponent and ciphertext as length-prefixed integers."""
    enc = _check_encrypted(encrypted)
    parts = [enc.public_key.n, enc.exponent, enc.ciphertext(be_secure=False)]
    out = b""
    for p in parts:
        raw = int(p).to_bytes((abs(int(p)).bit_length() + 8) // 8 + 1, "big", signed=True)
        out += len(raw).to_bytes(4, "big") + raw
    return out


def tag_ciphertext(key: bytes, encrypted: phe.EncryptedNumber) -> bytes:
    """HMAC-SHA256 of :func:`ciphertext_to_bytes` under a shared secret ``key`` (>= 16 bytes).

    Parameters
    ----------
    key : bytes
        Shared secret, at least 16 bytes.
    encrypted : phe.EncryptedNumber
        The ciphertext to authenticate.

    Returns
    -------
    bytes
        The 32-byte tag.

    Raises
    ------
    ValueError
        If ``key`` is not bytes of length >= 16.
    """
    if not isinstance(key, (bytes, bytearray)) or len(key) < 16:
        raise ValueError("key must be bytes of length >= 16 (e.g. secrets.token_bytes(32))")
    return hmac.new(bytes(key), ciphertext_to_bytes(encrypted), hashlib.sha256).digest()


def verify_ciphertext(key: bytes, encrypted: phe.EncryptedNumber, tag: bytes) -> bool:
    """Constant-time check that ``tag`` authenticates exactly this ciphertext.

    Parameters
    ----------
    key : bytes
        Shared secret used by :func:`tag_ciphertext`.
    encrypted : phe.EncryptedNumber
        The ciphertext received.
    tag : bytes
        The tag received with it.

    Returns
    -------
    bool
        True if ``tag`` equals the HMAC of ``encrypted`` under ``key``.

    Raises
    ------
    TypeError
        If ``tag`` is not bytes.
    ValueError
        If ``key`` is not bytes of length >= 16.
    """
    if not isinstance(tag, (bytes, bytearray)):
        raise TypeError(f"tag must be bytes, got {type(tag).__name__}")
    return hmac.compare_digest(tag_ciphertext(key, encrypted), bytes(tag))
