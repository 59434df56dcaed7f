"""KernelSHAP: Shapley values from a weighted linear regression over sampled coalitions.

Exact Shapley values need all ``2^M`` coalitions. Lundberg & Lee (2017, Thm. 2) show that they are
also the solution of a weighted least-squares problem over coalitions ``z ∈ {0,1}^M``::

    φ = argmin_φ  Σ_z  π(z) · (v(z) − v(∅) − zᵀφ)²    subject to   Σ_i φ_i = f(x) − v(∅)

with the *Shapley kernel* ``π(z) = (M − 1) / (C(M, |z|) · |z| · (M − |z|))`` (infinite for the
empty and full coalitions, which is why they enter as the constraint). Summing over *all*
coalitions gives the exact Shapley values (Charnes et al. 1988); KernelSHAP samples coalitions
with probability ∝ ``π`` (here *paired*: each coalition together with its complement, which
reduces the variance, Covert & Lee 2021) and solves the constrained regression in closed form::

    A = Zᵀ Z / n,  b = Zᵀ (v(Z) − v(∅)) / n,
    φ = A⁻¹ (b − 1 · (1ᵀ A⁻¹ b − (f(x) − v(∅))) / (1ᵀ A⁻¹ 1)).

Guarantee: efficiency holds exactly for any sample; the estimate is consistent (it converges to
the exact values as the number of coalitions grows) and equals them when every coalition is
enumerated (``n_coalitions >= 2^M − 2``), as ``shap.KernelExplainer`` does.

References
----------
S. Lundberg and S.-I. Lee, "A unified approach to interpreting model predictions", NeurIPS 2017.
I. Covert and S.-I. Lee, "Improving KernelSHAP: practical Shapley value estimation using linear
regression", AISTATS 2021. A. Charnes, B. Golany, M. Keane, J. Rousseau, "Extremal principle
solutions of games in characteristic function form", 1988.
"""
from __future__ import annotations

from math import comb
from typing import Any

import numpy as np

from mlops_course._validation import check_int, check_rng
from mlops_course.explain._checks import Predict, check_matrix, check_predict, check_rows, model_output
from mlops_course.explain.shapley import ShapleyExplanation, coalition_masks, masked_values

__all__ = ["shapley_kernel_weight", "kernel_shap", "solve_constrained_wls"]


def shapley_kernel_weight(n_features: int, size: int) -> float:
    """The Shapley kernel ``π(s) = (M − 1) / (C(M, s) · s · (M − s))`` of one coalition of size ``s``.

    Returns ``inf`` for ``s = 0`` and ``s = M`` (those coalitions are imposed as constraints).

    Parameters
    ----------
    n_features : int
        Number of features ``M`` (>= 1).
    size : int
        Coalition size ``s`` in ``[0, M]``.

    Returns
    -------
    float
        The kernel weight ``π(s)``; ``inf`` for ``s = 0`` or ``s = M``.

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If ``n_features < 1`` or ``size`` is outside ``[0, n_features]``.

    Examples
    --------
    >>> shapley_kernel_weight(4, 1), shapley_kernel_weight(4, 2)
    (0.25, 0.125)
    """
    m = check_int("n_features", n_features, minimum=1)
    s = check_int("size", size, minimum=0, maximum=m)
    if s in (0, m):
        return float("inf")
    return (m - 1) / (comb(m, s) * s * (m - s))


def solve_constrained_wls(Z: np.ndarray, y: np.ndarray, weights: np.ndarray, total: float) -> np.ndarray:
    """``argmin_φ Σ_k w_k (y_k − Z_k φ)²`` subject to ``Σ_i φ_i = total`` (Lagrange / KKT closed form).

    Closed form: with ``A = Zᵀ W Z`` and ``b = Zᵀ W y``,
    ``φ = A⁻¹b − A⁻¹1 · (1ᵀA⁻¹b − total) / (1ᵀA⁻¹1)``; if ``A`` is singular, least squares
    (minimum-norm) solves replace ``A⁻¹``. No validation (internal).

    Parameters
    ----------
    Z : numpy.ndarray, shape (K, M)
        Coalition indicator matrix (one row per sampled coalition).
    y : numpy.ndarray, shape (K,)
        Value of each coalition minus the base value.
    weights : numpy.ndarray, shape (K,)
        Kernel weights ``w_k``.
    total : float
        Required sum of the solution, ``f(x) − E f``.

    Returns
    -------
    numpy.ndarray, shape (M,)
        The constrained weighted-least-squares solution ``φ``.
    """
    A = Z.T @ (weights[:, None] * Z)
    b = Z.T @ (weights * y)
    ones = np.ones(Z.shape[1])
    try:
        Ainv_b, Ainv_1 = np.linalg.solve(A, np.column_stack([b, ones])).T
    except np.linalg.LinAlgError:  # too few distinct coalitions: minimum-norm solution
        Ainv_b, Ainv_1 = np.linalg.lstsq(A, np.column_stack([b, ones]), rcond=None)[0].T
    return Ainv_b - Ainv_1 * (Ainv_b.sum() - total) / Ainv_1.sum()


def _sample_masks(m: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` coalitions (n even): sizes ∝ (M−1)/(s(M−s)), uniform subset of that size, plus complements."""
    sizes = np.arange(1, m)
    p = (m - 1) / (sizes * (m - sizes))
    half = n // 2
    drawn = rng.choice(sizes, size=half, p=p / p.sum())
    keys = rng.random((half, m))
    # the s smallest random keys pick a uniform subset of size s
    masks = np.argsort(np.argsort(keys, axis=1), axis=1) < drawn[:, None]
    return np.concatenate([masks, ~masks])


def kernel_shap(predict: Predict, X: Any, background: Any, *, n_coalitions: int | str = "auto",
                rng: np.random.Generator | int | None = None) -> ShapleyExplanation:
    """KernelSHAP estimate of the interventional Shapley values of ``predict`` at the rows of ``X``.

    Formula: the constrained Shapley-kernel regression of the module docstring, with
    ``v(S) = mean_b f(x_S, b_S̄)`` (the same value function as :func:`.shapley.exact_shapley`).

    Guarantee: ``Σ_i φ_i = f(x) − E_B f`` exactly; exact Shapley values when
    ``n_coalitions >= 2^M − 2`` (all coalitions enumerated with their kernel weights); otherwise a
    consistent estimate from ``n_coalitions`` paired samples.

    Parameters
    ----------
    predict : callable
        ``predict(X) -> (n,)``.
    X : array_like, shape (M,) or (n, M)
        Instance(s) to explain.
    background : array_like, shape (|B|, M)
        Reference data for absent features.
    n_coalitions : int or "auto"
        Coalitions evaluated per instance (``"auto"``: ``2M + 2048`` as in ``shap``); rounded up to
        an even number for paired sampling; at least 2.
    rng : numpy.random.Generator or int, optional
        Randomness of the sampled coalitions; required unless all coalitions are enumerated.

    Returns
    -------
    ShapleyExplanation

    Raises
    ------
    ValueError, TypeError
        Bad data (see :func:`.shapley.coalition_values`), ``n_coalitions < 2``, fewer than two
        features, or a missing ``rng`` when sampling.

    Examples
    --------
    >>> f = lambda X: X[:, 0] * X[:, 1] + X[:, 2]
    >>> e = kernel_shap(f, [1.0, 2.0, 3.0], [[0.0, 0.0, 0.0]])   # 3 features: enumerated exactly
    >>> e.values.round(6).tolist()
    [[1.0, 1.0, 3.0]]
    """
    predict = check_predict(predict)
    bg = check_matrix("background", background)
    m = bg.shape[1]
    if m < 2:
        raise ValueError(f"kernel_shap needs at least 2 features, got {m} (with one feature φ = f(x) − E f)")
    rows, _ = check_rows("X", X, m)
    n = 2 * m + 2048 if n_coalitions == "auto" else check_int("n_coalitions", n_coalitions, minimum=2)
    full = m <= 30 and n >= 2**m - 2
    if full:
        masks = coalition_masks(m)[1:-1]
        sizes = masks.sum(axis=1)
        weights = np.array([shapley_kernel_weight(m, int(s)) for s in sizes])
    else:
        if rng is None:
            raise ValueError(f"rng is required when sampling coalitions (n_coalitions={n} < 2^{m} - 2)")
        rng = check_rng(rng)
        n += n % 2
    base = float(model_output(predict, bg).mean())
    phi = np.empty(rows.shape)
    fx = model_output(predict, rows)
    for k, row in enumerate(rows):
        if not full:
            masks = _sample_masks(m, n, rng)
            weights = np.ones(n)
        v = masked_values(predict, row, bg, masks)
        phi[k] = solve_constrained_wls(masks.astype(float), v - base, weights, fx[k] - base)
    return ShapleyExplanation(values=phi, base_value=base, fx=fx)
