"""Batched Paillier: pack many fixed-point values into one plaintext, randomise cheaply.

Encrypting a 10,000-value model update value by value with ``phe`` costs 10,000 modular
exponentiations ``r^n mod n²`` (about 10 ms each for a 2048-bit key) and sends 10,000 ciphertexts
of 4096 bits, although each value needs only a few dozen bits. Two classic optimisations:

**Packing (slots with room for carries).** Values ``x`` with ``|x| <= bound`` are encoded in fixed
point exactly as ``phe`` does, ``q = round(x · 16^-e)`` (exponent ``e < 0``), shifted to be
non-negative, ``m = q + Q`` with ``Q = ceil(bound · 16^-e)``, and placed in slots of ``w`` bits:

    M = Σ_i m_i · 2^(w·i),      w = bitlength(2·Q·K),      slots = floor((|n| - 1) / w).

Adding ``K`` packed ciphertexts adds the slots independently as long as each slot sum stays below
``2^w`` (``K·2Q < 2^w``: the *room for carries*), and ``M < 2^(|n|-1) <= n`` so nothing wraps
mod ``n``. Decrypting once and cutting ``M`` into ``w``-bit slots gives every sum
``Σ q = slot - K·Q``, hence exactly the integer sums that the naive ``phe`` path (with the same
precision) computes: the decoded floats are identical. (Ge & Zdonik 2007; Pedrouzo-Ulloa et al.
2019 give a survey of packing for Paillier.)

**Cheaper randomisation (Damgård–Jurik–Nielsen).** Instead of ``r^n`` with a fresh ``r < n``
(an ``|n|``-bit exponent), use a fixed public ``h_s = h^n mod n²`` with ``h = -x² mod n`` and the
randomiser ``h_s^a`` with a random ``a`` of ``ceil(|n|/2)`` bits; because the base is fixed, a
table of ``h_s^(d·2^(v·j))`` (window ``v`` bits) turns each exponentiation into about ``|n|/(2v)``
multiplications mod ``n²`` (fixed-base windowing, Brickell, Gordon, McCurley & Wilson 1992).
Security: IND-CPA under DCR plus the assumption that short exponents of ``h_s`` look random
(Damgård, Jurik & Nielsen 2010, Sec. 4); the ciphertexts are ordinary Paillier ciphertexts that
``phe``'s private key decrypts.

**Binding and checks.** A :class:`PackedCiphertext` carries its ``layout`` (a fingerprint of the
key's modulus, the exponent, offset, slot width and slot count) and its term count: adding
packings of another key or layout is refused (it would silently mix incompatible slots), and
decryption checks that the private key matches and that every decrypted plaintext lies in
range — no bits above the last slot, every slot sum at most ``terms·2Q``, padding slots exactly
``terms·Q`` (an encoded 0) — so a wrong ``terms`` count, a foreign key or a tampered ciphertext
raises instead of decoding to garbage. Keys below 2048 bits need ``demo=True``, as
:func:`mlops_course.privacy.he.paillier.generate_keypair` does.

What the key owner learns: the decryption reveals each *slot* sum (here, each coordinate of the
summed vectors — exactly what a federated aggregate needs); when a single vector is folded into
one ciphertext to compute its mean, the owner sees partial sums over strided chunks, not only the
total.

References
----------
T. Ge, S. Zdonik, "Answering aggregation queries in a secure system model", VLDB 2007.
I. Damgård, M. Jurik, J. B. Nielsen, "A generalization of Paillier's public-key system with
applications to electronic voting", Int. J. Inf. Secur. 9 (2010) 371–385.
E. F. Brickell, D. M. Gordon, K. S. McCurley, D. B. Wilson, "Fast exponentiation with
precomputation", EUROCRYPT 1992.
"""
from __future__ import annotations

import hashlib
import math
import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gmpy2
import numpy as np
import phe

from mlops_course._validation import check_finite_array, check_int, check_positive
from mlops_course.privacy.he.paillier import MIN_KEY_BITS, InsecureKeyWarning

__all__ = ["pack_slots", "unpack_slots", "slot_bits_for", "FixedBaseRandomizer", "PackedCiphertext",
           "BatchedPaillier"]


def slot_bits_for(offset: int, max_terms: int) -> int:
    """Slot width ``w = bitlength(2·offset·max_terms)``: room for ``max_terms`` additions without carry.

    Parameters
    ----------
    offset : int
        Shift that makes encoded values non-negative: a slot value lies in ``[0, 2·offset]`` (>= 1).
    max_terms : int
        Most values that will be added into one slot (>= 1).

    Returns
    -------
    int
        The slot width ``w`` in bits.

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If an argument is < 1.

    Examples
    --------
    >>> slot_bits_for(1000, 1)  # one value in [0, 2000] needs 11 bits
    11
    >>> slot_bits_for(1000, 16)  # 16 of them sum to at most 32000: 15 bits
    15
    """
    offset = check_int("offset", offset, minimum=1)
    max_terms = check_int("max_terms", max_terms, minimum=1)
    return (2 * offset * max_terms).bit_length()


def pack_slots(values: Sequence[int], slot_bits: int) -> int:
    """``M = Σ_i values[i] · 2^(slot_bits·i)`` for non-negative integers ``values[i] < 2^slot_bits``.

    Parameters
    ----------
    values : sequence of int
        Slot values, least significant slot first; each in ``[0, 2^slot_bits)``.
    slot_bits : int
        Width ``w`` of a slot in bits (>= 1).

    Returns
    -------
    int
        The packed plaintext ``M``.

    Raises
    ------
    TypeError
        If ``slot_bits`` is not an integer.
    ValueError
        If ``slot_bits < 1`` or a value does not fit in its slot.

    Examples
    --------
    >>> pack_slots([1, 2, 3], 8) == 1 + (2 << 8) + (3 << 16)
    True
    """
    w = check_int("slot_bits", slot_bits, minimum=1)
    out = 0
    for i, v in enumerate(values):
        v = int(v)
        if not 0 <= v < (1 << w):
            raise ValueError(f"values[{i}] must be in [0, 2^{w}), got {v}")
        out |= v << (w * i)
    return out


def unpack_slots(plaintext: int, slot_bits: int, n_slots: int) -> list[int]:
    """Cut an integer into ``n_slots`` slots of ``slot_bits`` bits, least significant first.

    Parameters
    ----------
    plaintext : int
        The packed integer ``M >= 0``.
    slot_bits : int
        Width ``w`` of a slot in bits (>= 1).
    n_slots : int
        Number of slots to read (>= 1).

    Returns
    -------
    list of int
        ``[(M >> w·i) & (2^w − 1) for i in range(n_slots)]``.

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If ``plaintext < 0``, ``slot_bits < 1`` or ``n_slots < 1``.

    Examples
    --------
    >>> unpack_slots(1 + (2 << 8) + (3 << 16), 8, 3)
    [1, 2, 3]
    """
    m = check_int("plaintext", plaintext, minimum=0)
    w = check_int("slot_bits", slot_bits, minimum=1)
    k = check_int("n_slots", n_slots, minimum=1)
    mask = (1 << w) - 1
    return [(m >> (w * i)) & mask for i in range(k)]


class FixedBaseRandomizer:
    """DJN randomisers ``h_s^a mod n²`` from a precomputed fixed-base table.

    Parameters
    ----------
    public_key : phe.PaillierPublicKey
    window : int, default 6
        Bits per table window ``v``: ``ceil(|n|/(2v))`` windows of ``2^v`` entries each
        (``2^v · |n|/(2v)`` numbers of ``2|n|`` bits: about 5.6 MB for a 2048-bit key and v = 6).

    Notes
    -----
    ``h = -x² mod n`` for a random ``x`` (from :mod:`secrets`) and ``h_s = h^n mod n²``; a call
    draws ``a`` uniformly from ``[0, 2^ceil(|n|/2))`` with :mod:`secrets` and returns
    ``Π_j table[j][digit_j(a)] = h_s^a``.
    """

    def __init__(self, public_key: phe.PaillierPublicKey, window: int = 6) -> None:
        if not isinstance(public_key, phe.PaillierPublicKey):
            raise TypeError(f"public_key must be a phe.PaillierPublicKey, got {type(public_key).__name__}")
        self.window = check_int("window", window, minimum=1, maximum=12)
        n = gmpy2.mpz(public_key.n)
        self.nsquare = n * n
        self.exponent_bits = math.ceil(public_key.n.bit_length() / 2)
        x = gmpy2.mpz(secrets.randbelow(public_key.n - 2) + 2)
        h = (-x * x) % n
        base = gmpy2.powmod(h, n, self.nsquare)
        self.table: list[list[Any]] = []
        for _ in range(math.ceil(self.exponent_bits / self.window)):
            row = [gmpy2.mpz(1)]
            for _ in range((1 << self.window) - 1):
                row.append(row[-1] * base % self.nsquare)
            self.table.append(row)
            base = row[-1] * base % self.nsquare  # base^(2^v)

    def power(self, a: int) -> Any:
        """``h_s^a mod n²`` for ``0 <= a < 2^exponent_bits`` from the table (tests compare with powmod)."""
        mask = (1 << self.window) - 1
        out = gmpy2.mpz(1)
        for row in self.table:
            digit = a & mask
            if digit:
                out = out * row[digit] % self.nsquare
            a >>= self.window
        return out

    def __call__(self) -> Any:
        """A fresh randomiser ``h_s^a`` with ``a`` drawn by :func:`secrets.randbits`."""
        return self.power(secrets.randbits(self.exponent_bits))


@dataclass(frozen=True)
class PackedCiphertext:
    """Packed ciphertexts of one vector of slot sums.

    ``ciphertexts`` are Paillier ciphertexts (integers mod n²); decrypting them gives ``length``
    slot values, each the sum of ``terms`` encoded values (``terms`` grows with every addition).
    ``layout`` identifies the key and packing that made them (:attr:`BatchedPaillier.layout`).

    Parameters
    ----------
    ciphertexts : tuple of int
        The Paillier ciphertexts.
    length : int
        Number of slot values they hold in total.
    terms : int
        Number of encoded values summed in each slot.
    layout : tuple, default ()
        Key and packing identifier (see :attr:`BatchedPaillier.layout`).
    """

    ciphertexts: tuple[int, ...]
    length: int
    terms: int
    layout: tuple[Any, ...] = ()

    @property
    def nbytes(self) -> int:
        """Bytes to send (each ciphertext as a big-endian integer of ``ceil(bits/8)`` bytes)."""
        return sum(math.ceil(int(c).bit_length() / 8) for c in self.ciphertexts)


class BatchedPaillier:
    """Encrypt, add and decrypt packed fixed-point vectors under a ``phe`` Paillier key.

    Parameters
    ----------
    public_key : phe.PaillierPublicKey
    exponent : int, default -6
        Base-16 fixed-point exponent ``e < 0`` (as ``phe``'s ``precision=16**e``): resolution ``16^e``.
    bound : float, default 1000.0
        Public bound on ``|x|``; larger values are refused (they would overflow a slot).
    max_terms : int, default 1024
        How many encoded values a slot may accumulate (vectors added + chunks folded).
    window : int, default 6
        Window of the fixed-base randomiser table.
    demo : bool, default False
        Allow a key below 2048 bits (with an :class:`~.paillier.InsecureKeyWarning`).

    Raises
    ------
    ValueError
        If a slot would not fit in the key (``bound``, ``exponent``, ``max_terms`` too large), or
        the key is below 2048 bits without ``demo=True``.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     pub, priv = phe.generate_paillier_keypair(n_length=512)
    ...     bp = BatchedPaillier(pub, exponent=-4, bound=10.0, max_terms=8, window=4, demo=True)
    >>> total = bp.add(bp.encrypt([0.5, -1.25, 3.0]), bp.encrypt([1.0, 1.0, 1.0]))
    >>> bp.decrypt(priv, total).tolist()
    [1.5, -0.25, 4.0]
    """

    def __init__(self, public_key: phe.PaillierPublicKey, *, exponent: int = -6, bound: float = 1000.0,
                 max_terms: int = 1024, window: int = 6, demo: bool = False) -> None:
        if not isinstance(public_key, phe.PaillierPublicKey):
            raise TypeError(f"public_key must be a phe.PaillierPublicKey, got {type(public_key).__name__}")
        if not isinstance(demo, bool):
            raise TypeError(f"demo must be a bool, got {type(demo).__name__} {demo!r}")
        key_bits = public_key.n.bit_length()
        if key_bits < MIN_KEY_BITS:
            if not demo:
                raise ValueError(f"public_key has a {key_bits}-bit modulus, below the {MIN_KEY_BITS}-bit policy "
                                 "(NIST SP 800-57); pass demo=True for a deliberately insecure demo key")
            warnings.warn(f"{key_bits}-bit Paillier key: insecure, for demos only", InsecureKeyWarning, stacklevel=2)
        self.public_key = public_key
        self.exponent = check_int("exponent", exponent, minimum=-64, maximum=0)
        self.bound = check_positive("bound", bound)
        self.max_terms = check_int("max_terms", max_terms, minimum=1)
        self.scale = 16 ** (-self.exponent)
        if self.bound * self.scale >= 2.0**52:
            raise ValueError(f"bound·16^-exponent must be < 2^52 for exact fixed point, got {self.bound * self.scale:g}")
        self.offset = math.ceil(self.bound * self.scale)
        self.slot_bits = slot_bits_for(self.offset, self.max_terms)
        self.slots = (public_key.n.bit_length() - 1) // self.slot_bits
        if self.slots < 1:
            raise ValueError(f"a {self.slot_bits}-bit slot does not fit a {public_key.n.bit_length()}-bit key: "
                             "lower bound, precision or max_terms")
        self._n = gmpy2.mpz(public_key.n)
        self._nsquare = self._n * self._n
        self._randomizer = FixedBaseRandomizer(public_key, window)
        fingerprint = hashlib.sha256(public_key.n.to_bytes((key_bits + 7) // 8, "big")).hexdigest()[:16]
        #: what a ciphertext is bound to: key fingerprint, exponent, offset, slot bits, slots
        self.layout: tuple[Any, ...] = (fingerprint, self.exponent, self.offset, self.slot_bits, self.slots)

    # ------------------------------------------------------------------ encoding
    def encode(self, values: Any) -> list[int]:
        """Signed fixed-point integers ``round(x·16^-e)`` (round half to even, as phe)."""
        arr = check_finite_array("values", values, ndim=1)
        if np.any(np.abs(arr) > self.bound):
            raise ValueError(f"values must satisfy |x| <= bound = {self.bound:g}, got max |x| = {np.abs(arr).max():g}")
        return [int(q) for q in np.rint(arr * float(self.scale))]

    def _encrypt_plaintext(self, m: int) -> int:
        nude = (1 + self._n * m) % self._nsquare
        return int(nude * self._randomizer() % self._nsquare)

    def encrypt(self, values: Any) -> PackedCiphertext:
        """Encode, pack ``self.slots`` values per plaintext and encrypt (one ciphertext per chunk)."""
        shifted = [q + self.offset for q in self.encode(values)]
        cts = []
        for start in range(0, len(shifted), self.slots):
            chunk = shifted[start:start + self.slots]
            chunk += [self.offset] * (self.slots - len(chunk))  # padding encodes 0
            cts.append(self._encrypt_plaintext(pack_slots(chunk, self.slot_bits)))
        return PackedCiphertext(tuple(cts), len(shifted), 1, self.layout)

    # ------------------------------------------------------------------ homomorphic operations
    def _check_packed(self, packed: Any, name: str) -> PackedCiphertext:
        if not isinstance(packed, PackedCiphertext):
            raise TypeError(f"{name} must be a PackedCiphertext, got {type(packed).__name__}")
        if packed.layout != self.layout:
            what = "key" if not packed.layout or packed.layout[0] != self.layout[0] else "layout"
            raise ValueError(f"{name} was packed under another {what}: its layout {packed.layout} differs from "
                             f"this packer's {self.layout} (key fingerprint, exponent, offset, slot bits, slots)")
        check_int(f"{name}.terms", packed.terms, minimum=1, maximum=self.max_terms)
        return packed

    def add(self, a: PackedCiphertext, b: PackedCiphertext) -> PackedCiphertext:
        """Slot-wise sum ``Enc(M_a)·Enc(M_b) = Enc(M_a + M_b)``; refuses to overflow a slot."""
        a, b = self._check_packed(a, "a"), self._check_packed(b, "b")
        if a.length != b.length:
            raise ValueError(f"a and b must pack vectors of the same length, got {a.length} and {b.length}")
        terms = a.terms + b.terms
        if terms > self.max_terms:
            raise ValueError(f"slot overflow: {terms} terms exceed max_terms = {self.max_terms}")
        cts = tuple(int(gmpy2.mpz(x) * y % self._nsquare) for x, y in zip(a.ciphertexts, b.ciphertexts, strict=True))
        return PackedCiphertext(cts, a.length, terms, self.layout)

    def sum_vectors(self, packed: Sequence[PackedCiphertext]) -> PackedCiphertext:
        """Slot-wise sum of several packed vectors (e.g. model updates of several clients)."""
        if not packed:
            raise ValueError("packed must hold at least one PackedCiphertext")
        total = self._check_packed(packed[0], "packed[0]")
        for item in packed[1:]:
            total = self.add(total, item)
        return total

    def fold(self, packed: PackedCiphertext) -> PackedCiphertext:
        """Add the chunks of one packed vector into a single ciphertext (for its total or mean).

        The result decrypts to ``min(length, slots)`` slot sums over strided chunks; their sum is
        the total of the vector.
        """
        packed = self._check_packed(packed, "packed")
        terms = packed.terms * len(packed.ciphertexts)
        if terms > self.max_terms:
            raise ValueError(f"slot overflow: folding gives {terms} terms > max_terms = {self.max_terms}")
        out = gmpy2.mpz(1)
        for c in packed.ciphertexts:
            out = out * c % self._nsquare
        return PackedCiphertext((int(out),), min(packed.length, self.slots), terms, self.layout)

    # ------------------------------------------------------------------ decryption
    def decrypt_integers(self, private_key: phe.PaillierPrivateKey, packed: PackedCiphertext) -> list[int]:
        """Signed fixed-point sums ``Σ q`` of every slot (exact integers), range-checked.

        Raises
        ------
        ValueError
            If ``private_key`` does not belong to this packer's key, ``packed`` comes from another
            key or layout, or a decrypted plaintext is out of range: bits above the last slot, a
            slot sum above ``terms·2Q``, or a padding slot that is not an encoded 0 (a wrong
            ``terms`` count or a tampered ciphertext).
        """
        if not isinstance(private_key, phe.PaillierPrivateKey):
            raise TypeError(f"private_key must be a phe.PaillierPrivateKey, got {type(private_key).__name__}")
        if private_key.public_key.n != self.public_key.n:
            raise ValueError("private_key does not match this packer's public key")
        packed = self._check_packed(packed, "packed")
        out: list[int] = []
        shift = packed.terms * self.offset
        top = self.slots * self.slot_bits
        expected_slots = len(packed.ciphertexts) * self.slots
        if not packed.length <= expected_slots or (packed.ciphertexts and packed.length <= expected_slots - self.slots):
            raise ValueError(f"packed.length {packed.length} does not fit {len(packed.ciphertexts)} ciphertexts "
                             f"of {self.slots} slots")
        for c in packed.ciphertexts:
            m = private_key.raw_decrypt(int(c))
            if m >> top:
                raise ValueError("decrypted plaintext has bits above the last slot: a tampered ciphertext "
                                 "or one from another key")
            slots = unpack_slots(m, self.slot_bits, self.slots)
            if max(slots) > 2 * shift:
                raise ValueError(f"a decrypted slot exceeds terms*2Q = {2 * shift}: the ciphertext holds more "
                                 f"than terms={packed.terms} terms, or was tampered with")
            out.extend(s - shift for s in slots)
        if any(v != 0 for v in out[packed.length:]):
            raise ValueError(f"padding slots do not decrypt to 0 with terms={packed.terms}: wrong term count "
                             "or tampered ciphertext")
        return out[:packed.length]

    def decrypt(self, private_key: phe.PaillierPrivateKey, packed: PackedCiphertext) -> np.ndarray:
        """Decrypted slot sums as floats, decoded like ``phe`` (``mantissa / 16^-e``)."""
        return np.array([q / self.scale for q in self.decrypt_integers(private_key, packed)], dtype=float)

    def decrypt_total(self, private_key: phe.PaillierPrivateKey, packed: PackedCiphertext) -> float:
        """Sum of all slot sums, decoded like ``phe`` decodes an encrypted sum."""
        return sum(self.decrypt_integers(private_key, packed)) / self.scale

    def mean(self, private_key: phe.PaillierPrivateKey, values_packed: PackedCiphertext, count: int) -> float:
        """Mean of a packed vector: fold, decrypt the total, divide by the public ``count``."""
        count = check_int("count", count, minimum=1)
        return self.decrypt_total(private_key, self.fold(values_packed)) / count
