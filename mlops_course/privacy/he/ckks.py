"""Encrypted statistics and logistic-regression inference with TenSEAL CKKS.

CKKS (Cheon, Kim, Kim & Song 2017) encrypts a vector of ``N/2`` real numbers as
``Δ·x + e`` in a polynomial ring (``Δ = 2^scale_bits``, ``e`` small noise): results are
*approximate* (error about ``|e|/Δ``) and every multiplication consumes one prime of the modulus
chain (its *depth*, see :mod:`.params`).

* mean: ``Σ x / n`` = rotation-and-add ``sum`` (Galois keys) then a plaintext multiplication (depth 1);
* variance: ``E[x²] - E[x]²`` (depth 2: one square, one plaintext multiplication);
* logistic-regression inference on encrypted features: the server computes
  ``z = Σ_j w_j·Enc(x_j) + b`` (features stored column-wise: one ciphertext per feature holds
  that feature for up to N/2 samples, so no rotations are needed; depth 1) and the odd polynomial
  ``σ(z) ≈ c0 + c1 z + c3 z³`` (depth 2), because a sigmoid is not a polynomial: total depth 3.

The polynomial is the least-squares fit of the sigmoid on ``[-R, R]`` (here computed, not copied);
outside that interval it diverges, so features must be scaled so that ``|w·x + b| <= R``.
Degree-3 approximations of this kind are used by Kim et al. (2018) and by TenSEAL's tutorials.

References
----------
J. H. Cheon, A. Kim, M. Kim, Y. Song, ASIACRYPT 2017. A. Kim, Y. Song, M. Kim, K. Lee, J. H.
Cheon, "Logistic regression model training based on the approximate homomorphic encryption",
BMC Med. Genomics 11 (2018). A. Benaissa et al., "TenSEAL: a library for encrypted tensor
operations using homomorphic encryption", ICLR PPML workshop 2021.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tenseal as ts

from mlops_course._validation import check_finite_array, check_int, check_positive

__all__ = ["encrypt_columns", "encrypted_mean", "encrypted_variance", "sigmoid_coefficients", "sigmoid_poly",
           "encrypted_logistic_scores", "plain_logistic_scores", "ciphertext_size"]


def _check_vector(enc: Any, name: str = "enc") -> ts.CKKSVector:
    if not isinstance(enc, ts.CKKSVector):
        raise TypeError(f"{name} must be a tenseal.CKKSVector, got {type(enc).__name__}")
    return enc


def encrypt_columns(context: ts.Context, X: Any) -> list[ts.CKKSVector]:
    """Encrypt a matrix column by column: ciphertext ``j`` holds feature ``j`` of every sample.

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array or has more rows than the context's slots (N/2).
    """
    arr = check_finite_array("X", X, ndim=2)
    slots = context.seal_context().data.first_context_data().parms().poly_modulus_degree() // 2
    if arr.shape[0] > slots:
        raise ValueError(f"X must have at most {slots} rows (N/2 slots), got {arr.shape[0]}")
    return [ts.ckks_vector(context, arr[:, j].tolist()) for j in range(arr.shape[1])]


def encrypted_mean(enc: ts.CKKSVector, n: int) -> ts.CKKSVector:
    """``Enc(Σ x_i / n)`` (a 1-slot vector); needs Galois keys; depth 1. ``n`` is public."""
    n = check_int("n", n, minimum=1)
    return _check_vector(enc).sum() * (1.0 / n)


def encrypted_variance(enc: ts.CKKSVector, n: int) -> ts.CKKSVector:
    """Population variance ``Σ x_i²/n - (Σ x_i/n)²`` (1 slot); needs Galois keys; depth 2."""
    n = check_int("n", n, minimum=1)
    enc = _check_vector(enc)
    mean_sq = enc.square().sum() * (1.0 / n)
    mean = encrypted_mean(enc, n)
    return mean_sq - mean.square()


def sigmoid_coefficients(degree: int = 3, radius: float = 6.0) -> np.ndarray:
    """Least-squares odd polynomial ``Σ c_k z^k`` (ascending powers) for ``1/(1+e^-z)`` on ``[-R, R]``.

    Fitted on 2001 equally spaced points; the constant is 1/2 and even coefficients are 0.

    Examples
    --------
    >>> c = sigmoid_coefficients(3, 6.0)
    >>> float(c[0]), float(c[2])
    (0.5, 0.0)
    """
    degree = check_int("degree", degree, minimum=1, maximum=15)
    if degree % 2 == 0:
        raise ValueError(f"degree must be odd (the sigmoid minus 1/2 is odd), got {degree}")
    r = check_positive("radius", radius)
    z = np.linspace(-r, r, 2001)
    odd = np.arange(1, degree + 1, 2)
    design = z[:, None] ** odd[None, :]
    sol, *_ = np.linalg.lstsq(design, 1.0 / (1.0 + np.exp(-z)) - 0.5, rcond=None)
    coeffs = np.zeros(degree + 1)
    coeffs[0] = 0.5
    coeffs[odd] = sol
    return coeffs


def sigmoid_poly(z: Any, coeffs: Sequence[float]) -> np.ndarray:
    """Evaluate the polynomial in plaintext (the reference the encrypted result is compared with)."""
    z = check_finite_array("z", z)
    return np.polynomial.polynomial.polyval(z, np.asarray(coeffs, dtype=float))


def encrypted_logistic_scores(columns: Sequence[ts.CKKSVector], weights: Any, bias: float,
                              coeffs: Sequence[float]) -> ts.CKKSVector:
    """Server side: ``Enc(σ̃(X w + b))`` from column-encrypted features; depth 1 + depth(polyval).

    Raises
    ------
    ValueError
        If the number of weights differs from the number of columns.
    """
    cols = [_check_vector(c, "columns[i]") for c in columns]
    w = check_finite_array("weights", weights, ndim=1)
    if w.size != len(cols) or not cols:
        raise ValueError(f"weights must have one entry per encrypted column ({len(cols)}), got {w.size}")
    z = cols[0] * float(w[0])
    for c, wj in zip(cols[1:], w[1:], strict=True):
        z = z + c * float(wj)
    z = z + float(bias)
    return z.polyval([float(c) for c in coeffs])


def plain_logistic_scores(X: Any, weights: Any, bias: float, coeffs: Sequence[float] | None = None) -> np.ndarray:
    """Plaintext reference: exact sigmoid (``coeffs=None``) or the polynomial of ``X w + b``."""
    z = check_finite_array("X", X, ndim=2) @ check_finite_array("weights", weights, ndim=1) + float(bias)
    return 1.0 / (1.0 + np.exp(-z)) if coeffs is None else sigmoid_poly(z, coeffs)


def ciphertext_size(enc: ts.CKKSVector | ts.BFVVector) -> int:
    """Serialized size in bytes (what would be uploaded)."""
    if not isinstance(enc, (ts.CKKSVector, ts.BFVVector)):
        raise TypeError(f"enc must be a TenSEAL vector, got {type(enc).__name__}")
    return len(enc.serialize())
