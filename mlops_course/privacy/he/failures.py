"""What goes wrong with RLWE-based HE, measured: CKKS error vs depth, exhausted depth, BFV noise.

* **CKKS error grows with depth.** Every multiplication multiplies the noise by the operands and
  adds rounding noise of the rescale; the decrypted error grows with each level
  (:func:`ckks_error_by_depth`).
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

__all__ = ["ckks_error_by_depth", "exhaust_ckks_depth", "bfv_noise_budgets", "noise_budget"]


def ckks_error_by_depth(context: ts.Context, x: Any, y: Any, depth: int) -> np.ndarray:
    """Max absolute error of ``x·y^k`` (all encrypted) for ``k = 0..depth``, vs float64.

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
    numpy.ndarray, shape (depth + 1,)
    """
    xs = check_finite_array("x", x, ndim=1)
    ys = check_finite_array("y", y, ndim=1)
    if xs.shape != ys.shape:
        raise ValueError(f"x and y must have the same shape, got {xs.shape} and {ys.shape}")
    depth = check_int("depth", depth, minimum=0)
    enc, enc_y = ts.ckks_vector(context, xs.tolist()), ts.ckks_vector(context, ys.tolist())
    plain, errors = xs.copy(), []
    for k in range(depth + 1):
        if k:
            enc, plain = enc * enc_y, plain * ys
        errors.append(float(np.max(np.abs(np.array(enc.decrypt()) - plain))))
    return np.array(errors)


def exhaust_ckks_depth(context: ts.Context, value: float = 1.0, max_steps: int = 64) -> tuple[int, str]:
    """Square an encrypted value until TenSEAL refuses; return ``(multiplications done, error text)``."""
    max_steps = check_int("max_steps", max_steps, minimum=1)
    enc = ts.ckks_vector(context, [float(value)])
    for step in range(max_steps):
        try:
            enc = enc * enc
        except ValueError as exc:
            return step, str(exc)
    return max_steps, ""


def noise_budget(context: ts.Context, enc: ts.BFVVector) -> int:
    """SEAL's invariant noise budget (bits) of a BFV ciphertext; needs the secret key."""
    import tenseal.sealapi as sealapi

    if not context.is_private():
        raise ValueError("the noise budget can only be measured with the secret key")
    decryptor = sealapi.Decryptor(context.seal_context().data, context.secret_key().data)
    return int(decryptor.invariant_noise_budget(enc.ciphertext()[0]))


def bfv_noise_budgets(context: ts.Context, values: Sequence[int], steps: int) -> list[dict[str, Any]]:
    """Multiply an encrypted vector by itself ``steps`` times; record budget and correctness.

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
