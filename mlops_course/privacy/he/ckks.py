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
outside that interval it diverges: for R = 6 the cubic ``0.5 + c1 z + c3 z³`` (c1 > 0 > c3) crosses
0.5 again at ``|z| = sqrt(-c1/c3) ≈ 7.6``, so a *confident* negative with z = −9 comes out as a
positive. The server cannot clip an encrypted z (CKKS has no comparison), but it can bound it:
with features clipped by the data owner to ``|x_j| <= B`` (public), ``|z| <= Z = Σ|w_j|·B + |b|``
(:func:`logistic_z_bound`), and ``encrypted_logistic_scores(..., feature_bound=B)`` multiplies the
weights and bias by ``s = min(1, R/Z)`` (a plaintext factor: no extra depth), so the polynomial is
only evaluated on ``[-R, R]`` where its decision ``p(s·z) > 1/2`` equals ``z > 0``. The score is
then ``σ̃(s·z)``, a tempered probability; decisions agree with the exact sigmoid except within
the CKKS error of 1/2. Degree-3 approximations of this kind are used by Kim et al. (2018) and by
TenSEAL's tutorials.

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
           "logistic_z_bound", "encrypted_logistic_scores", "plain_logistic_scores", "ciphertext_size"]


def _check_vector(enc: Any, name: str = "enc") -> ts.CKKSVector:
    if not isinstance(enc, ts.CKKSVector):
        raise TypeError(f"{name} must be a tenseal.CKKSVector, got {type(enc).__name__}")
    return enc


def encrypt_columns(context: ts.Context, X: Any) -> list[ts.CKKSVector]:
    """Encrypt a matrix column by column: ciphertext ``j`` holds feature ``j`` of every sample.

    Parameters
    ----------
    context : tenseal.Context
        A CKKS context (with a global scale set).
    X : array_like, shape (n, d)
        Finite data, ``n <= N/2``.

    Returns
    -------
    list of tenseal.CKKSVector
        ``d`` ciphertexts, one per column, each with ``n`` slots.

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
    """``Enc(Σ x_i / n)`` (a 1-slot vector); needs Galois keys; depth 1. ``n`` is public.

    Parameters
    ----------
    enc : tenseal.CKKSVector
        Encrypted values ``x_1..x_n``.
    n : int
        Public number of values (>= 1).

    Returns
    -------
    tenseal.CKKSVector
        A 1-slot ciphertext of the mean.

    Raises
    ------
    TypeError
        If ``enc`` is not a CKKSVector or ``n`` not an integer.
    ValueError
        If ``n < 1``.
    """
    n = check_int("n", n, minimum=1)
    return _check_vector(enc).sum() * (1.0 / n)


def encrypted_variance(enc: ts.CKKSVector, n: int) -> ts.CKKSVector:
    """Population variance ``Σ x_i²/n - (Σ x_i/n)²`` (1 slot); needs Galois keys; depth 2.

    Parameters
    ----------
    enc : tenseal.CKKSVector
        Encrypted values ``x_1..x_n``.
    n : int
        Public number of values (>= 1).

    Returns
    -------
    tenseal.CKKSVector
        A 1-slot ciphertext of the population variance.

    Raises
    ------
    TypeError
        If ``enc`` is not a CKKSVector or ``n`` not an integer.
    ValueError
        If ``n < 1``.
    """
    n = check_int("n", n, minimum=1)
    enc = _check_vector(enc)
    mean_sq = enc.square().sum() * (1.0 / n)
    mean = encrypted_mean(enc, n)
    return mean_sq - mean.square()


def sigmoid_coefficients(degree: int = 3, radius: float = 6.0) -> np.ndarray:
    """Least-squares odd polynomial ``Σ c_k z^k`` (ascending powers) for ``1/(1+e^-z)`` on ``[-R, R]``.

    Fitted on 2001 equally spaced points; the constant is 1/2 and even coefficients are 0.

    Parameters
    ----------
    degree : int, default 3
        Odd polynomial degree in [1, 15].
    radius : float, default 6.0
        Half-width ``R`` of the fitting interval (> 0).

    Returns
    -------
    numpy.ndarray, shape (degree + 1,)
        Coefficients ``c_0..c_degree`` in ascending powers.

    Raises
    ------
    TypeError
        If ``degree`` is not an integer or ``radius`` not a real number.
    ValueError
        If ``degree`` is even or outside [1, 15], or ``radius <= 0``.

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
    """Evaluate the polynomial in plaintext (the reference the encrypted result is compared with).

    Parameters
    ----------
    z : array_like
        Finite points at which to evaluate.
    coeffs : sequence of float
        Coefficients in ascending powers (as from :func:`sigmoid_coefficients`).

    Returns
    -------
    numpy.ndarray
        ``Σ_k coeffs[k] · z^k``, same shape as ``z``.

    Raises
    ------
    ValueError, TypeError
        If ``z`` is empty, non-numeric or holds NaN/inf.
    """
    z = check_finite_array("z", z)
    return np.polynomial.polynomial.polyval(z, np.asarray(coeffs, dtype=float))


def logistic_z_bound(weights: Any, bias: float, feature_bound: Any) -> float:
    """Public bound ``Z = Σ_j |w_j|·B_j + |b|`` on ``|z| = |x·w + b|`` when ``|x_j| <= B_j``.

    Parameters
    ----------
    weights : array_like, shape (d,)
    bias : float
    feature_bound : float or array_like of shape (d,)
        B (> 0), the bound the data owner clipped each feature to.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``feature_bound`` is not positive or has the wrong length.

    Examples
    --------
    >>> logistic_z_bound([1.0, -2.0], 0.5, 3.0)
    9.5
    """
    w = check_finite_array("weights", weights, ndim=1)
    bound = np.broadcast_to(check_finite_array("feature_bound", feature_bound), w.shape) \
        if np.ndim(feature_bound) == 0 else check_finite_array("feature_bound", feature_bound, ndim=1)
    if bound.shape != w.shape or np.any(bound <= 0):
        raise ValueError(f"feature_bound must be > 0, a scalar or one per weight ({w.size}), got {feature_bound!r}")
    return float(np.abs(w) @ bound + abs(float(bias)))


def encrypted_logistic_scores(columns: Sequence[ts.CKKSVector], weights: Any, bias: float,
                              coeffs: Sequence[float], *, feature_bound: Any = None,
                              fit_radius: float = 6.0) -> ts.CKKSVector:
    """Server side: ``Enc(σ̃(s·(X w + b)))`` from column-encrypted features; depth 1 + depth(polyval).

    Formula: ``s = min(1, R / Z)`` with ``Z = logistic_z_bound(w, b, feature_bound)`` and R =
    ``fit_radius`` (the interval ``coeffs`` were fitted on), ``s = 1`` without ``feature_bound``.
    The scaling keeps the polynomial inside its fit range, where ``p(s·z) > 1/2`` iff ``z > 0``
    (module docstring); it is applied to the plaintext weights, so it costs no depth.

    Parameters
    ----------
    columns : sequence of tenseal.CKKSVector
        One ciphertext per feature (:func:`encrypt_columns`).
    weights : array_like, shape (d,)
    bias : float
    coeffs : sequence of float
        Polynomial coefficients (:func:`sigmoid_coefficients`).
    feature_bound : float or array_like, optional
        Public bound B with ``|x_j| <= B`` (the data owner clips its features to it). Without it
        nothing is scaled and a ``|z| > fit_radius`` is evaluated outside the fit range.
    fit_radius : float, default 6.0
        R of the fit of ``coeffs``.

    Returns
    -------
    tenseal.CKKSVector

    Raises
    ------
    ValueError
        If the number of weights differs from the number of columns, or a bound is invalid.
    """
    cols = [_check_vector(c, "columns[i]") for c in columns]
    w = check_finite_array("weights", weights, ndim=1)
    if w.size != len(cols) or not cols:
        raise ValueError(f"weights must have one entry per encrypted column ({len(cols)}), got {w.size}")
    radius = check_positive("fit_radius", fit_radius)
    scale = 1.0 if feature_bound is None else min(1.0, radius / logistic_z_bound(w, bias, feature_bound))
    w, b = w * scale, float(bias) * scale
    z = cols[0] * float(w[0])
    for c, wj in zip(cols[1:], w[1:], strict=True):
        z = z + c * float(wj)
    z = z + b
    return z.polyval([float(c) for c in coeffs])


def plain_logistic_scores(X: Any, weights: Any, bias: float, coeffs: Sequence[float] | None = None, *,
                          feature_bound: Any = None, fit_radius: float = 6.0) -> np.ndarray:
    """Plaintext reference: exact sigmoid (``coeffs=None``) or the polynomial of ``s·(X w + b)``.

    ``s`` is the scale of :func:`encrypted_logistic_scores` (1 without ``feature_bound``); it is
    only applied to the polynomial, the exact sigmoid is always of ``X w + b``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Finite features.
    weights : array_like, shape (d,)
        Model weights ``w``.
    bias : float
        Intercept ``b``.
    coeffs : sequence of float or None, default None
        Polynomial coefficients (ascending); None for the exact sigmoid.
    feature_bound : array_like or None, default None
        Bound on ``|x_j|`` used to compute the scale ``s = min(1, fit_radius / z_bound)``.
    fit_radius : float, default 6.0
        Radius the polynomial was fitted on (> 0).

    Returns
    -------
    numpy.ndarray, shape (n,)
        The scores.
    """
    w = check_finite_array("weights", weights, ndim=1)
    z = check_finite_array("X", X, ndim=2) @ w + float(bias)
    if coeffs is None:
        return 1.0 / (1.0 + np.exp(-z))
    radius = check_positive("fit_radius", fit_radius)
    scale = 1.0 if feature_bound is None else min(1.0, radius / logistic_z_bound(w, bias, feature_bound))
    return sigmoid_poly(scale * z, coeffs)


def ciphertext_size(enc: ts.CKKSVector | ts.BFVVector) -> int:
    """Serialized size in bytes (what would be uploaded)."""
    if not isinstance(enc, (ts.CKKSVector, ts.BFVVector)):
        raise TypeError(f"enc must be a TenSEAL vector, got {type(enc).__name__}")
    return len(enc.serialize())
