"""CKKS/BFV parameters: the 128-bit security table, depth and scale planning, a checked context factory.

**Security.** RLWE-based schemes (BFV, CKKS) are as hard to break as the lattice problem defined
by the polynomial degree ``N`` and the total bit size ``log2 q`` of the coefficient modulus: for a
fixed ``N`` a *larger* ``q`` is *less* secure. The HomomorphicEncryption.org standard (Albrecht et
al. 2018, Table 1, ternary secrets, classical 128-bit security) allows at most

    N      1024  2048  4096  8192  16384  32768
    log2 q   27    54   109   218    438    881

and Microsoft SEAL's ``CoeffModulus::MaxBitCount(N, sec_level_type::tc128)`` returns exactly these
numbers (the tests compare with it). :func:`check_security` refuses a parameter set above the
table unless ``demo=True``.

**Depth.** A CKKS coefficient modulus ``[q_0, q_1, ..., q_L, P]`` (bit sizes) allows ``L`` rescaled
multiplications (plaintext or ciphertext): each one consumes a middle prime. The first prime must
hold the scale plus the integer part of the result (``bits(q_0) = scale_bits + integer_bits``);
the last one is the special key-switching prime (conventionally as large as ``q_0``). The middle
primes must have ``scale_bits`` bits: TenSEAL rescales by the prime but keeps labelling the
result with the global scale, so a prime ``p ≠ 2^scale_bits`` multiplies every product by
``2^scale_bits / p`` (:func:`rescale_bias`) — the reason 3·3 decrypts to 10.57 with
``N = 8192``, bits ``[40, 21, 21, 21, 21, 21, 21, 40]`` and scale ``2^21``: the only 21-bit primes
``≡ 1 mod 2N`` lie well below ``2^21``.

References
----------
M. Albrecht et al., "Homomorphic Encryption Security Standard", HomomorphicEncryption.org,
Toronto, 2018, Table 1. Microsoft SEAL 3.x/4.x, ``native/src/seal/util/hestdparms.h`` and
``CoeffModulus::MaxBitCount``. J. H. Cheon, A. Kim, M. Kim, Y. Song, "Homomorphic encryption for
arithmetic of approximate numbers" (CKKS), ASIACRYPT 2017. J. Fan, F. Vercauteren, "Somewhat
practical fully homomorphic encryption" (BFV), ePrint 2012/144.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import tenseal as ts

from mlops_course._validation import check_choice, check_int

__all__ = [
    "HE_STANDARD_128",
    "MAX_PRIME_BITS",
    "MAX_RESCALE_BIAS",
    "InsecureParametersError",
    "InsecureParametersWarning",
    "max_coeff_modulus_bits",
    "check_security",
    "CKKSPlan",
    "plan_ckks",
    "ckks_depth",
    "ckks_context",
    "bfv_context",
    "rescale_bias",
]

#: polynomial degree N -> max total bits of the coefficient modulus for 128-bit classical security
#: (HomomorphicEncryption.org standard 2018, Table 1; = SEAL's CoeffModulus::MaxBitCount(N, tc128))
HE_STANDARD_128: dict[int, int] = {1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881}
#: SEAL's largest prime in a coefficient modulus
MAX_PRIME_BITS = 60
#: largest relative bias |2^scale/p - 1| of a *single* rescale accepted without demo mode. The bias
#: accumulates over the chain: after k multiplications results are off by the factor
#: Π_k 2^scale/p_k (:func:`rescale_bias`), i.e. up to about k·MAX_RESCALE_BIAS. Real chains are far
#: below the limit, but 40-bit primes still give 1.4e-6 after one and a cumulative 2.3e-5 after six
#: rescales with N = 16384 (``plan_ckks(6)``), 8.0e-7 after two with N = 8192, [60, 40, 40, 60] —
#: more than the CKKS noise at scale 2^40 (~1e-8 to 5e-8), so divide it out (:func:`rescale_bias`)
#: when the last digits matter.
MAX_RESCALE_BIAS = 1e-3


class InsecureParametersError(ValueError):
    """A parameter set below 128-bit security (or otherwise unusable) without ``demo=True``."""


class InsecureParametersWarning(UserWarning):
    """A parameter set that is refused by default was built in demo mode."""


def _check_degree(poly_degree: Any) -> int:
    n = check_int("poly_degree", poly_degree)
    return check_choice("poly_degree", n, sorted(HE_STANDARD_128))


def _check_bits(coeff_mod_bit_sizes: Any) -> list[int]:
    if isinstance(coeff_mod_bit_sizes, (str, bytes)) or not isinstance(coeff_mod_bit_sizes, Sequence):
        raise TypeError(f"coeff_mod_bit_sizes must be a sequence of ints, got {type(coeff_mod_bit_sizes).__name__}")
    bits = [check_int(f"coeff_mod_bit_sizes[{i}]", b, minimum=2, maximum=MAX_PRIME_BITS)
            for i, b in enumerate(coeff_mod_bit_sizes)]
    if not bits:
        raise ValueError("coeff_mod_bit_sizes must not be empty")
    return bits


def max_coeff_modulus_bits(poly_degree: int) -> int:
    """Largest ``log2 q`` with 128-bit security for degree ``N`` (HE standard, Table 1).

    Examples
    --------
    >>> max_coeff_modulus_bits(8192)
    218
    """
    return HE_STANDARD_128[_check_degree(poly_degree)]


def check_security(poly_degree: int, coeff_mod_bit_sizes: Sequence[int], *, demo: bool = False
                   ) -> dict[str, Any]:
    """Validate ``(N, [bits...])`` against the 128-bit table; refuse weaker sets unless ``demo``.

    Parameters
    ----------
    poly_degree : int
        Ring degree ``N``, a key of :data:`HE_STANDARD_128`.
    coeff_mod_bit_sizes : sequence of int
        Bit sizes of the coefficient-modulus primes.
    demo : bool, default False
        Warn instead of raising for parameters above the limit.

    Returns
    -------
    dict
        ``poly_degree``, ``total_bits``, ``max_bits``, ``secure`` (bool) and ``margin_bits``.

    Raises
    ------
    InsecureParametersError
        If ``total_bits > max_bits`` and not ``demo`` (with ``demo`` an
        :class:`InsecureParametersWarning` is emitted instead).
    ValueError, TypeError
        For an unknown degree or malformed bit sizes.

    Examples
    --------
    >>> check_security(8192, [60, 40, 40, 60])["secure"]
    True
    """
    n = _check_degree(poly_degree)
    bits = _check_bits(coeff_mod_bit_sizes)
    total, limit = sum(bits), HE_STANDARD_128[n]
    report = {"poly_degree": n, "total_bits": total, "max_bits": limit, "secure": total <= limit,
              "margin_bits": limit - total}
    if total > limit:
        msg = (f"coefficient modulus of {total} bits exceeds {limit} bits, the 128-bit security limit for "
               f"poly_degree {n} (HomomorphicEncryption.org standard); use a larger poly_degree or fewer bits")
        if not demo:
            raise InsecureParametersError(msg + ", or demo=True for a deliberately insecure demo")
        warnings.warn(msg, InsecureParametersWarning, stacklevel=2)
    return report


def ckks_depth(coeff_mod_bit_sizes: Sequence[int]) -> int:
    """Multiplicative depth of a CKKS modulus chain: the number of middle primes, ``len - 2``."""
    bits = _check_bits(coeff_mod_bit_sizes)
    if len(bits) < 2:
        raise ValueError(f"a CKKS modulus needs at least 2 primes (first and special), got {len(bits)}")
    return len(bits) - 2


@dataclass(frozen=True)
class CKKSPlan:
    """A CKKS parameter set for a multiplicative depth (see :func:`plan_ckks`).

    Parameters
    ----------
    depth : int
        Number of rescaled multiplications supported.
    scale_bits : int
        Bits of the scale ``2^s`` (size of the middle primes).
    integer_bits : int
        Bits above the scale kept for the integer part (first and last primes are ``s + i`` bits).
    poly_degree : int
        Ring degree ``N``.
    coeff_mod_bit_sizes : tuple of int
        The coefficient-modulus bit sizes ``[s + i] + [s]·depth + [s + i]``.
    """

    depth: int
    scale_bits: int
    integer_bits: int
    poly_degree: int
    coeff_mod_bit_sizes: tuple[int, ...]

    @property
    def total_bits(self) -> int:
        return sum(self.coeff_mod_bit_sizes)

    @property
    def slots(self) -> int:
        """Numbers packed in one ciphertext: ``N/2``."""
        return self.poly_degree // 2


def plan_ckks(depth: int, scale_bits: int = 40, integer_bits: int = 20) -> CKKSPlan:
    """Smallest secure CKKS parameters for ``depth`` rescaled multiplications.

    Formula: ``bits = [s + i] + [s]·depth + [s + i]`` (``s`` = scale bits, ``i`` = integer bits of
    the largest intermediate value), ``N`` = the smallest degree of the HE-standard table with
    ``Σ bits <= max bits(N)``.

    Parameters
    ----------
    depth : int
        Rescaled multiplications needed (>= 0).
    scale_bits : int, default 40
        Scale bits ``s`` in [10, 60].
    integer_bits : int, default 20
        Integer bits ``i`` (>= 1).

    Returns
    -------
    CKKSPlan
        The plan with the smallest secure ``N``.

    Raises
    ------
    ValueError
        If ``s + i > 60`` (SEAL's largest prime) or no degree up to 32768 is secure for the depth.

    Examples
    --------
    >>> plan = plan_ckks(2)
    >>> plan.poly_degree, plan.coeff_mod_bit_sizes
    (8192, (60, 40, 40, 60))
    """
    depth = check_int("depth", depth, minimum=0)
    s = check_int("scale_bits", scale_bits, minimum=10, maximum=MAX_PRIME_BITS)
    i = check_int("integer_bits", integer_bits, minimum=1)
    if s + i > MAX_PRIME_BITS:
        raise ValueError(f"scale_bits + integer_bits must be <= {MAX_PRIME_BITS} (largest prime), got {s + i}")
    bits = (s + i,) + (s,) * depth + (s + i,)
    for n in sorted(HE_STANDARD_128):
        if sum(bits) <= HE_STANDARD_128[n]:
            return CKKSPlan(depth, s, i, n, bits)
    raise ValueError(f"depth {depth} with {s}-bit scale needs {sum(bits)} bits: more than the "
                     f"{HE_STANDARD_128[32768]} bits allowed at poly_degree 32768; lower the depth or the scale")


def ckks_context(poly_degree: int = 8192, coeff_mod_bit_sizes: Sequence[int] = (60, 40, 40, 60),
                 scale_bits: int = 40, *, galois_keys: bool = True, demo: bool = False) -> ts.Context:
    """A TenSEAL CKKS context with checked parameters (secret key included: the data owner's).

    Checks: 128-bit security (:func:`check_security`), middle primes of exactly ``scale_bits``
    bits, and middle primes within a relative :data:`MAX_RESCALE_BIAS` of ``2^scale_bits``
    (otherwise every rescale silently biases results, see :func:`rescale_bias`); all are refused
    unless ``demo=True``. The check is per rescale: the accepted bias still *accumulates* over the
    chain (the product of the per-prime factors, see :data:`MAX_RESCALE_BIAS` for typical values). ``scale_bits`` must not exceed the first prime's size.

    Parameters
    ----------
    poly_degree : int
        Ring degree N (slots = N/2).
    coeff_mod_bit_sizes : sequence of int
        Bit sizes of the modulus chain ``[first, middle..., special]``.
    scale_bits : int
        ``global_scale = 2**scale_bits``.
    galois_keys : bool
        Generate rotation keys (needed by ``sum``/``dot``; they dominate the context's size).
    demo : bool
        Allow insecure or biased parameters, with an :class:`InsecureParametersWarning`.

    Returns
    -------
    tenseal.Context

    Raises
    ------
    InsecureParametersError
        For parameters below 128-bit security or with mismatched scale (without ``demo``).
    """
    n = _check_degree(poly_degree)
    bits = _check_bits(coeff_mod_bit_sizes)
    check_security(n, bits, demo=demo)
    ckks_depth(bits)  # at least a first and a special prime
    s = check_int("scale_bits", scale_bits, minimum=10, maximum=MAX_PRIME_BITS)
    if s >= bits[0]:
        raise ValueError(f"scale_bits must be < the first prime's {bits[0]} bits, got {s}")
    mismatched = [b for b in bits[1:-1] if b != s]
    if mismatched:
        msg = (f"middle primes of {sorted(set(mismatched))} bits differ from scale_bits = {s}: every rescale "
               "would scale results by 2^scale_bits / prime")
        if not demo:
            raise InsecureParametersError(msg)
        warnings.warn(msg, InsecureParametersWarning, stacklevel=2)
    if len(bits) > 2:
        worst = max(abs(2.0**s / p - 1.0) for p in _middle_primes(n, bits))
        if worst > MAX_RESCALE_BIAS:
            msg = (f"the {s}-bit middle primes differ from 2^{s} by up to {worst:.2%}: every rescale would bias "
                   f"results by that much (see rescale_bias); use >= 30-bit scale primes")
            if not demo:
                raise InsecureParametersError(msg)
            warnings.warn(msg, InsecureParametersWarning, stacklevel=2)
    ctx = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=n, coeff_mod_bit_sizes=bits)
    ctx.global_scale = 2.0**s
    if galois_keys:
        ctx.generate_galois_keys()
    return ctx


def _is_prime(n: int) -> bool:
    """Deterministic Miller–Rabin: exact for n < 3.3·10^24 with the first 13 prime bases.

    (Bases 2..41 are a proven witness set below 3,317,044,064,679,887,385,961,981; Sorenson &
    Webster 2015.) SEAL's plain moduli are at most 60 bits, far inside that range.
    """
    if n < 2:
        return False
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    for b in bases:
        if n % b == 0:
            return n == b
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def bfv_context(poly_degree: int = 8192, plain_modulus: int = 1032193,
                coeff_mod_bit_sizes: Sequence[int] | None = None, *, demo: bool = False) -> ts.Context:
    """A TenSEAL BFV context (exact integer arithmetic mod ``plain_modulus``) with checked security.

    ``coeff_mod_bit_sizes=None`` uses SEAL's ``BFVDefault(N)`` modulus, which is exactly the
    128-bit limit of the table. ``plain_modulus`` must be a prime ``≡ 1 mod 2N`` for batching
    (1032193 = 63·2^14 + 1 works up to N = 8192).

    Parameters
    ----------
    poly_degree : int, default 8192
        Ring degree ``N``, a key of :data:`HE_STANDARD_128`.
    plain_modulus : int, default 1032193
        Plaintext modulus ``t`` (>= 2), a prime ≡ 1 mod 2N.
    coeff_mod_bit_sizes : sequence of int or None, default None
        Coefficient-modulus bit sizes (None: SEAL's BFVDefault for ``N``).
    demo : bool, default False
        Allow insecure parameters with a warning.

    Returns
    -------
    tenseal.Context
        A private BFV context.

    Raises
    ------
    InsecureParametersError
        For parameters above the 128-bit limit without ``demo``.
    ValueError
        If ``plain_modulus`` is not a prime ≡ 1 mod 2N (e.g. 16385 = 5·29·113 ≡ 1 mod 16384 is
        refused: batching needs a prime, the slots are the 2N-th roots of unity mod t).
    """
    import tenseal.sealapi as sealapi

    n = _check_degree(poly_degree)
    t = check_int("plain_modulus", plain_modulus, minimum=2)
    if coeff_mod_bit_sizes is None:
        bits = [p.bit_count() for p in sealapi.CoeffModulus.BFVDefault(n, sealapi.SEC_LEVEL_TYPE.TC128)]
    else:
        bits = _check_bits(coeff_mod_bit_sizes)
    check_security(n, bits, demo=demo)
    if (t - 1) % (2 * n) or not _is_prime(t):
        why = "not prime" if not (t - 1) % (2 * n) else f"≢ 1 mod {2 * n}"
        raise ValueError(f"plain_modulus must be a prime ≡ 1 mod 2·poly_degree = {2 * n} for batching, "
                         f"got {t} ({why})")
    return ts.context(ts.SCHEME_TYPE.BFV, poly_modulus_degree=n, plain_modulus=t, coeff_mod_bit_sizes=bits)


def _middle_primes(poly_degree: int, bits: Sequence[int]) -> list[int]:
    """The middle primes SEAL picks for this chain (``≡ 1 mod 2N``, just below ``2^bits``)."""
    import tenseal.sealapi as sealapi

    return [p.value() for p in sealapi.CoeffModulus.Create(poly_degree, list(bits))][1:-1]


def rescale_bias(poly_degree: int, coeff_mod_bit_sizes: Sequence[int], scale_bits: int,
                 multiplications: int = 1) -> float:
    """Factor by which TenSEAL's CKKS results are off after ``multiplications`` rescales.

    SEAL picks the primes (``≡ 1 mod 2N``, close to but below ``2^bits``); the ``k``-th rescale
    divides by the ``k``-th prime from the end of the middle chain while TenSEAL keeps the scale
    label ``2^scale_bits``, so the decrypted value is multiplied by ``Π_k 2^scale_bits / p_k``.

    Parameters
    ----------
    poly_degree : int
        Ring degree ``N``.
    coeff_mod_bit_sizes : sequence of int
        Coefficient-modulus bit sizes (SEAL picks the primes from them).
    scale_bits : int
        Bits of the scale label ``2^scale_bits``.
    multiplications : int, default 1
        Number of rescales, in ``[0, depth]`` of the chain.

    Returns
    -------
    float
        ``Π_k 2^scale_bits / p_k`` over the first ``multiplications`` rescale primes.

    Raises
    ------
    ValueError, TypeError
        For an unknown degree, malformed bit sizes or ``multiplications`` outside ``[0, depth]``.

    Examples
    --------
    >>> round(9 * rescale_bias(8192, [40, 21, 21, 21, 21, 21, 21, 40], 21), 2)
    10.57
    """
    n = _check_degree(poly_degree)
    bits = _check_bits(coeff_mod_bit_sizes)
    k = check_int("multiplications", multiplications, minimum=0, maximum=ckks_depth(bits))
    primes = _middle_primes(n, bits)
    factor = 1.0
    for p in primes[::-1][:k]:
        factor *= 2.0**scale_bits / p
    return factor

