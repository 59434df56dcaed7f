"""What goes wrong with RLWE-based HE, measured: CKKS error vs depth, exhausted depth, BFV noise.

* **CKKS error vs depth — mostly a scale bias, not noise.** TenSEAL rescales by the prime ``p``
  but keeps labelling the result with the global scale ``2^s``, so after ``k`` multiplications the
  decryption is multiplied by ``Π 2^s/p`` (:func:`mlops_course.privacy.he.params.rescale_bias`).
  With 40-bit primes that factor is ``1 + O(1e-6)`` per rescale and, accumulated over the chain,
  it dominates the measured error; the CKKS noise itself (encoding/encryption noise amplified by
  each multiplication plus the rescale rounding) grows much more slowly.
  :func:`ckks_error_by_depth` reports both curves.
* **Depth exhausted.** With ``L`` middle primes, the ``(L+1)``-th multiplication has no prime left
  to rescale by; TenSEAL raises ``ValueError: scale out of bounds`` (the scale ``2^(2·scale_bits)``
  no longer fits in the remaining modulus) — :func:`exhaust_ckks_depth`.
* **BFV noise budget.** BFV is exact while the noise stays below ``q/(2t)``; SEAL measures the
  remaining *invariant noise budget* in bits. Each ciphertext multiplication spends a large part of
  it; at 0 bits decryption returns garbage *without any error* (:func:`bfv_noise_budgets`).
* **Scale bias**: see :func:`mlops_course.privacy.he.params.rescale_bias`.

References
----------
J. H. Cheon, A. Kim, M. Kim, Y. Song, ASIACRYPT 2017 (CKKS noise analysis). J. Fan,
F. Vercauteren, ePrint 2012/144 (BFV noise growth). Microsoft SEAL, ``Decryptor::invariant_noise_budget``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tenseal as ts

from mlops_course._validation import check_finite_array, check_int

__all__ = ["ckks_error_by_depth", "rescale_factors", "exhaust_ckks_depth", "bfv_noise_budgets", "noise_budget",
           "ntt_prime_count", "measure_ckks_parameters"]


def rescale_factors(context: ts.Context, depth: int) -> np.ndarray:
    """Cumulative TenSEAL rescale factor ``Π_{j<=k} 2^s/p_j`` after ``k = 0..depth`` multiplications.

    Formula: the ``j``-th rescale divides by the ``j``-th prime from the end of the data-level chain
    ``[q_0, q_1, ..., q_L]`` of ``context`` while the result keeps the label ``global_scale = 2^s``,
    so the decrypted value is multiplied by ``F_k = Π_{j=1..k} 2^s / q_{L+1-j}`` (same model as
    :func:`mlops_course.privacy.he.params.rescale_bias`, read from the context itself).

    Parameters
    ----------
    context : tenseal.Context
        A CKKS context with at least ``depth`` middle primes.
    depth : int
        Number of multiplications (>= 0).

    Returns
    -------
    numpy.ndarray, shape (depth + 1,)
        ``F_0 = 1, F_1, ..., F_depth``.

    Raises
    ------
    ValueError
        If ``depth`` exceeds the number of middle primes.
    """
    depth = check_int("depth", depth, minimum=0)
    primes = [m.value() for m in context.seal_context().data.first_context_data().parms().coeff_modulus()]
    middle = primes[1:][::-1]
    if depth > len(middle):
        raise ValueError(f"depth must be <= the {len(middle)} middle primes of the context, got {depth}")
    factors = [1.0]
    for p in middle[:depth]:
        factors.append(factors[-1] * context.global_scale / p)
    return np.array(factors)


def ckks_error_by_depth(context: ts.Context, x: Any, y: Any, depth: int) -> dict[str, np.ndarray]:
    """Max absolute error of ``x·y^k`` (all encrypted) for ``k = 0..depth``, raw and de-biased.

    Formula: with ``d_k`` the decryption after ``k`` multiplications and ``F_k`` the cumulative
    rescale factor (:func:`rescale_factors`),

        raw_k = max |d_k − x·y^k|,     debiased_k = max |d_k / F_k − x·y^k|.

    ``raw − debiased`` is the deterministic TenSEAL scale bias (about ``(F_k − 1)·max|x·y^k|``);
    ``debiased`` is the CKKS noise proper (Cheon et al. 2017: encoding/encryption noise, amplified
    by the multiplications, plus the rounding of each rescale).

    Parameters
    ----------
    context : tenseal.Context
        A private CKKS context with at least ``depth`` middle primes.
    x, y : array_like, shape (m,)
        Plain values; ``|y| ≈ 1`` keeps the products in range.
    depth : int
        Number of multiplications.

    Returns
    -------
    dict of numpy.ndarray, each of shape (depth + 1,)
        ``"raw"`` and ``"debiased"`` errors, and ``"bias"`` = ``F_k − 1``.

    Raises
    ------
    ValueError
        If ``x`` and ``y`` differ in shape, are not finite, or ``depth`` exceeds the chain.
    """
    xs = check_finite_array("x", x, ndim=1)
    ys = check_finite_array("y", y, ndim=1)
    if xs.shape != ys.shape:
        raise ValueError(f"x and y must have the same shape, got {xs.shape} and {ys.shape}")
    factors = rescale_factors(context, depth)
    enc, enc_y = ts.ckks_vector(context, xs.tolist()), ts.ckks_vector(context, ys.tolist())
    plain, raw, debiased = xs.copy(), [], []
    for k in range(len(factors)):
        if k:
            enc, plain = enc * enc_y, plain * ys
        dec = np.array(enc.decrypt())
        raw.append(float(np.max(np.abs(dec - plain))))
        debiased.append(float(np.max(np.abs(dec / factors[k] - plain))))
    return {"raw": np.array(raw), "debiased": np.array(debiased), "bias": factors - 1.0}


def exhaust_ckks_depth(context: ts.Context, value: float = 1.0, max_steps: int = 64) -> tuple[int, str]:
    """Square an encrypted value until TenSEAL refuses; return ``(multiplications done, error text)``.

    Parameters
    ----------
    context : tenseal.Context
        A CKKS context (its modulus chain fixes the depth).
    value : float, default 1.0
        The value to encrypt and square.
    max_steps : int, default 64
        Stop after this many squarings (>= 1).

    Returns
    -------
    steps : int
        Multiplications that succeeded before TenSEAL raised (``max_steps`` if it never did).
    error : str
        TenSEAL's error message ("" if none was raised).
    """
    max_steps = check_int("max_steps", max_steps, minimum=1)
    enc = ts.ckks_vector(context, [float(value)])
    for step in range(max_steps):
        try:
            enc = enc * enc
        except ValueError as exc:
            return step, str(exc)
    return max_steps, ""


def noise_budget(context: ts.Context, enc: ts.BFVVector) -> int:
    """SEAL's invariant noise budget (bits) of a BFV ciphertext; needs the secret key.

    Parameters
    ----------
    context : tenseal.Context
        The BFV context holding the secret key.
    enc : tenseal.BFVVector
        The ciphertext.

    Returns
    -------
    int
        Remaining invariant noise budget in bits (0 means decryption is no longer correct).

    Raises
    ------
    ValueError
        If ``context`` has no secret key.
    """
    import tenseal.sealapi as sealapi

    if not context.is_private():
        raise ValueError("the noise budget can only be measured with the secret key")
    decryptor = sealapi.Decryptor(context.seal_context().data, context.secret_key().data)
    return int(decryptor.invariant_noise_budget(enc.ciphertext()[0]))


def bfv_noise_budgets(context: ts.Context, values: Sequence[int], steps: int) -> list[dict[str, Any]]:
    """Multiply an encrypted vector by itself ``steps`` times; record budget and correctness.

    Parameters
    ----------
    context : tenseal.Context
        A private BFV context (the secret key is needed to read the budget).
    values : sequence of int
        Non-empty plaintext vector ``x``.
    steps : int
        Number of multiplications by ``x`` (>= 0).

    Returns
    -------
    list of dict
        One row per step ``k = 0..steps``: ``multiplications``, ``budget_bits``, ``decrypted``
        (first entries), ``expected`` (exact ``values^(k+1) mod t``, centred) and ``correct``.
    """
    vals = [int(v) for v in values]
    if not vals:
        raise ValueError("values must not be empty")
    steps = check_int("steps", steps, minimum=0)
    t = context.seal_context().data.first_context_data().parms().plain_modulus().value()
    enc_x = ts.bfv_vector(context, vals)
    enc, rows = enc_x, []
    for k in range(steps + 1):
        if k:
            enc = enc * enc_x
        exact = [pow(v, k + 1, t) for v in vals]
        exact = [e - t if e > t // 2 else e for e in exact]
        got = [int(v) for v in enc.decrypt()]
        rows.append({"multiplications": k, "budget_bits": noise_budget(context, enc), "decrypted": got[:3],
                     "expected": exact[:3], "correct": got == exact})
    return rows


def ntt_prime_count(poly_degree: int, bits: int, stop: int | None = None) -> int:
    """Number of primes p ≡ 1 (mod 2N) with exactly ``bits`` bits, 2^(bits−1) < p < 2^bits.

    These are the primes SEAL's ``CoeffModulus.Create`` may pick for a ``bits``-bit element of the
    modulus chain (the NTT needs a primitive 2N-th root of unity mod p, i.e. 2N | p − 1).
    Counting goes down from 2^bits and stops after ``stop`` primes (``None``: count all).

    Parameters
    ----------
    poly_degree : int
        N, a power of two >= 2.
    bits : int
        Bit length, 2 to 61.
    stop : int, optional
        Stop once this many primes are found.

    Returns
    -------
    int
        The count (at most ``stop``).

    Examples
    --------
    >>> ntt_prime_count(32768, 20), ntt_prime_count(32768, 21)
    (1, 3)
    """
    from mlops_course.privacy.he.params import _is_prime

    n = check_int("poly_degree", poly_degree, minimum=2)
    if n & (n - 1):
        raise ValueError(f"poly_degree must be a power of two, got {n}")
    b = check_int("bits", bits, minimum=2, maximum=61)
    limit = None if stop is None else check_int("stop", stop, minimum=1)
    m = 2 * n
    count, k = 0, (2**b - 2) // m  # largest k with k·2N + 1 < 2^b
    while k >= 1 and k * m + 1 > 2 ** (b - 1):
        if _is_prime(k * m + 1):
            count += 1
            if limit is not None and count >= limit:
                break
        k -= 1
    return count


def measure_ckks_parameters(log2_degree: int, scale_bits: int, depth: int = 2, slots: int = 64) -> dict[str, Any]:
    """What a CKKS parameter choice costs: security, precision, ciphertext size and time per step.

    The modulus chain is ``[first, scale_bits × depth, first]`` with ``first = min(scale_bits + 20, 60)``
    (20 bits of integer room, SEAL's 60-bit prime limit). Security compares its total bits with the
    HomomorphicEncryption.org 128-bit limit for ``N = 2^log2_degree`` (:data:`~.params.HE_STANDARD_128`);
    an insecure set is *not* measured. Otherwise the errors of :func:`ckks_error_by_depth` on ``slots``
    values ``x ∈ [−1, 1]`` times ``1.01^k`` are measured, with the wall time per multiplication step
    and the size of one serialized ciphertext. Time varies by machine; do not print it in checked cells.

    Parameters
    ----------
    log2_degree : int
        ``log2 N``, 12 to 15.
    scale_bits : int
        Bits of the scale and of each middle prime, 20 to 59.
    depth : int
        Multiplications to measure (middle primes in the chain).
    slots : int
        Number of encrypted values.

    Returns
    -------
    dict
        ``n``, ``bits`` (the chain), ``total_bits``, ``limit_bits``, ``secure``, ``feasible`` and
        ``reason`` (empty when feasible, otherwise why the setting cannot be measured: below 128-bit
        security, or too few NTT-friendly primes — SEAL needs each prime of ``b`` bits to be
        ≡ 1 mod 2N and lie in (2^(b−1), 2^b); for N = 2^15 there is a single such 20-bit prime,
        786433, so a chain with two 20-bit primes does not exist). When feasible also ``error``
        (the dict of :func:`ckks_error_by_depth`), ``seconds_per_step`` and ``ciphertext_bytes``.

    Raises
    ------
    ValueError, TypeError
        If an argument is out of range.

    Examples
    --------
    >>> m = measure_ckks_parameters(12, 40)
    >>> m["total_bits"], m["limit_bits"], m["secure"], m["feasible"]
    (200, 109, False, False)
    >>> m = measure_ckks_parameters(15, 20)
    >>> m["secure"], m["feasible"], m["primes_available"]
    (True, False, {40: 2, 20: 1})
    """
    import time
    import warnings

    from mlops_course.privacy.he.params import HE_STANDARD_128, ckks_context

    log2_degree = check_int("log2_degree", log2_degree, minimum=12, maximum=15)
    scale_bits = check_int("scale_bits", scale_bits, minimum=20, maximum=59)
    depth = check_int("depth", depth, minimum=1, maximum=8)
    slots = check_int("slots", slots, minimum=1, maximum=2**(log2_degree - 1))
    n, first = 2**log2_degree, min(scale_bits + 20, 60)
    bits = [first, *([scale_bits] * depth), first]
    out: dict[str, Any] = {"n": n, "bits": bits, "total_bits": sum(bits), "limit_bits": HE_STANDARD_128[n]}
    out["secure"] = out["total_bits"] <= out["limit_bits"]
    out["feasible"], out["reason"] = out["secure"], ""
    if not out["secure"]:
        out["reason"] = (f"insecure: the chain has {out['total_bits']} bits > {out['limit_bits']}, the 128-bit "
                         f"limit for N = {n}; not measured")
        return out
    need = {b: bits.count(b) for b in dict.fromkeys(bits)}
    have = {b: ntt_prime_count(n, b, stop=k) for b, k in need.items()}
    out["primes_available"] = have
    short = [b for b in need if have[b] < need[b]]
    if short:
        out["feasible"] = False
        out["reason"] = "; ".join(
            f"the chain needs {need[b]} primes of {b} bits ≡ 1 mod 2N = {2 * n}, only {have[b]} exist"
            for b in short) + " (use a larger scale or a smaller N)"
        return out
    with warnings.catch_warnings():  # demo=True only admits a biased scale, never an insecure chain here
        warnings.simplefilter("ignore")
        ctx = ckks_context(n, bits, scale_bits, galois_keys=False, demo=True)
    start = time.perf_counter()
    out["error"] = ckks_error_by_depth(ctx, np.linspace(-1, 1, slots), np.full(slots, 1.01), depth=depth)
    out["seconds_per_step"] = (time.perf_counter() - start) / depth
    out["ciphertext_bytes"] = len(ts.ckks_vector(ctx, [1.0]).serialize())
    return out
