"""LIME for tabular data — and how stable it is across random seeds.

LIME (Ribeiro, Singh & Guestrin 2016) explains one prediction ``f(x)`` by a *local* linear
surrogate: sample perturbations ``z`` around the data, weight each by its proximity to ``x``
and fit a weighted ridge regression of ``f(z)`` on the standardised features::

    z = μ + σ ⊙ ε,  ε ~ N(0, I)            (ε_0 = (x − μ)/σ: the instance itself is sample 0)
    π_x(z) = sqrt(exp(−‖(z − x)/σ‖² / w²)),   w = 0.75 √M      (kernel of the ``lime`` package)
    g = argmin_g  Σ π_x(z) (f(z) − g((z − μ)/σ))² + α‖β‖²,   g(u) = β₀ + βᵀu.

The coefficients ``β_j`` are the local effect of one training-SD change of feature ``j``.
This follows ``lime.lime_tabular.LimeTabularExplainer`` with ``discretize_continuous=False``
and all features kept (Ridge ``alpha = 1``).

Guarantee: none beyond local fidelity on the sample — and the explanation is *random*. Different
seeds give different samples and can give different coefficients, even different top features
or signs, a known complaint (Alvarez-Melis & Jaakkola 2018; Visani et al. 2022).
:func:`lime_stability` measures it: spread of each coefficient and agreement of the top-k sets.

References
----------
M. T. Ribeiro, S. Singh, C. Guestrin, "Why should I trust you?", KDD 2016. D. Alvarez-Melis,
T. Jaakkola, "On the robustness of interpretability methods", 2018. G. Visani, E. Bagli,
F. Chesani, A. Poluzzi, D. Capuzzo, "Statistical stability indices for LIME", JORS 73, 2022.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from mlops_course._validation import check_int, check_nonnegative, check_positive, check_rng
from mlops_course.explain._checks import Predict, check_matrix, check_predict, check_rows, model_output

__all__ = ["LimeExplanation", "weighted_ridge", "lime_explain", "LimeStability", "lime_stability"]


@dataclass(frozen=True)
class LimeExplanation:
    """A local linear surrogate ``g(u) = intercept + coef · u`` on standardised features ``u``.

    ``local_prediction`` is ``g`` at the instance, ``score`` the weighted R² of ``g`` on the sample.

    Parameters
    ----------
    coef : numpy.ndarray, shape (M,)
        Slopes of ``g`` per standardised feature.
    intercept : float
        Intercept of ``g``.
    local_prediction : float
        ``g`` evaluated at the instance.
    score : float
        Weighted R² of ``g`` on the perturbation sample (1.0 if the sample's outputs are constant).
    """

    coef: np.ndarray
    intercept: float
    local_prediction: float
    score: float


def weighted_ridge(U: np.ndarray, y: np.ndarray, weights: np.ndarray, alpha: float = 1.0) -> tuple[np.ndarray, float]:
    """Weighted ridge regression with an unpenalised intercept (as ``sklearn.linear_model.Ridge``).

    Formula: centre by the weighted means ``ū = Σw u / Σw``, ``ȳ``; then
    ``β = (U_cᵀ W U_c + α I)⁻¹ U_cᵀ W y_c`` and ``β₀ = ȳ − ūᵀ β``.

    Parameters
    ----------
    U : numpy.ndarray, shape (n, M)
        Design matrix.
    y : numpy.ndarray, shape (n,)
        Targets.
    weights : numpy.ndarray, shape (n,)
        Non-negative sample weights ``W = diag(weights)`` with a positive sum.
    alpha : float, default 1.0
        Ridge penalty ``α`` on the slopes (not the intercept).

    Returns
    -------
    beta : numpy.ndarray, shape (M,)
        The slopes.
    intercept : float
        ``β₀``.
    """
    sw = weights / weights.sum()
    u_bar, y_bar = sw @ U, sw @ y
    Uc, yc = U - u_bar, y - y_bar
    A = Uc.T @ (weights[:, None] * Uc) + alpha * np.eye(U.shape[1])
    beta = np.linalg.solve(A, Uc.T @ (weights * yc))
    return beta, float(y_bar - u_bar @ beta)


def lime_explain(predict: Predict, x: Any, X_train: Any, *, rng: np.random.Generator | int,
                 n_samples: int = 5000, kernel_width: float | None = None, alpha: float = 1.0,
                 around_instance: bool = False) -> LimeExplanation:
    """LIME explanation of ``predict`` at one instance ``x``.

    Parameters
    ----------
    predict : callable
        ``predict(X) -> (n,)`` (e.g. the probability of the positive class).
    x : array_like, shape (M,)
    X_train : array_like, shape (n, M)
        Training data: gives the mean ``μ`` and scale ``σ`` of the perturbations (σ = 1 for a
        constant column).
    rng : numpy.random.Generator or int
        Randomness of the perturbations (the explanation depends on it!).
    n_samples : int
        Number of perturbations (>= M + 2).
    kernel_width : float, optional
        Kernel width ``w`` (default ``0.75 √M``).
    alpha : float
        Ridge penalty (``lime`` uses 1).
    around_instance : bool
        Centre the perturbations at ``x`` instead of ``μ`` (``sample_around_instance`` in ``lime``).

    Returns
    -------
    LimeExplanation

    Raises
    ------
    ValueError, TypeError
        NaN/inf or empty data, mismatched features, ``n_samples < M + 2``, ``kernel_width <= 0``,
        ``alpha < 0``, a bad ``rng``.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> e = lime_explain(lambda Z: 3 * Z[:, 0] - Z[:, 1], X[0], X, rng=1, alpha=0.0)
    >>> np.allclose(e.coef, [3, -1] * X.std(axis=0))     # a linear model is recovered exactly
    True
    """
    predict = check_predict(predict)
    X_train = check_matrix("X_train", X_train)
    m = X_train.shape[1]
    rows, single = check_rows("x", x, m)
    if not single and rows.shape[0] != 1:
        raise ValueError(f"x must be one instance (shape ({m},)), got shape {rows.shape}")
    x = rows[0]
    rng = check_rng(rng)
    n = check_int("n_samples", n_samples, minimum=m + 2)
    width = 0.75 * math.sqrt(m) if kernel_width is None else check_positive("kernel_width", kernel_width)
    alpha = check_nonnegative("alpha", alpha)
    mu = X_train.mean(axis=0)
    sigma = X_train.std(axis=0)
    sigma[sigma == 0] = 1.0
    center = x if around_instance else mu
    Z = rng.normal(size=(n, m)) * sigma + center
    Z[0] = x
    U = (Z - mu) / sigma
    u_x = (x - mu) / sigma
    d2 = np.sum((U - u_x) ** 2, axis=1)
    weights = np.sqrt(np.exp(-d2 / width**2))
    y = model_output(predict, Z)
    beta, b0 = weighted_ridge(U, y, weights, alpha)
    fitted = b0 + U @ beta
    sw = weights / weights.sum()
    ss_tot = float(sw @ (y - sw @ y) ** 2)
    score = 1.0 - float(sw @ (y - fitted) ** 2) / ss_tot if ss_tot > 0 else 1.0
    return LimeExplanation(coef=beta, intercept=b0, local_prediction=float(b0 + u_x @ beta), score=score)


@dataclass(frozen=True)
class LimeStability:
    """LIME coefficients of one instance across seeds, and summaries of their agreement.

    Parameters
    ----------
    coefficients : numpy.ndarray, shape (n_seeds, M)
    top_k : int
    top_k_agreement : float
        Mean Jaccard similarity of the top-k features (by |coef|) over all pairs of seeds (1 = stable).
    sign_agreement : numpy.ndarray, shape (M,)
        Fraction of seeds that agree with the majority sign of each coefficient.


    """

    coefficients: np.ndarray
    top_k: int
    top_k_agreement: float
    sign_agreement: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.coefficients.mean(axis=0)

    @property
    def std(self) -> np.ndarray:
        return self.coefficients.std(axis=0, ddof=1)


def lime_stability(predict: Predict, x: Any, X_train: Any, *, seeds: Any = range(10), top_k: int = 3,
                   **lime_kwargs: Any) -> LimeStability:
    """Run :func:`lime_explain` once per seed and measure how much the explanation changes.

    Formula: ``top_k_agreement = mean_{s < t} |T_s ∩ T_t| / |T_s ∪ T_t|`` with ``T_s`` the ``k``
    features with the largest ``|β_j|`` for seed ``s`` (Jaccard index, as in Visani et al.'s
    variables stability index); ``sign_agreement_j`` = share of seeds with the majority sign.

    Parameters
    ----------
    predict, x, X_train
        As in :func:`lime_explain`.
    seeds : iterable of int
        At least two seeds.
    top_k : int
        Size of the top-feature sets compared (1 <= k <= M).
    **lime_kwargs
        ``n_samples``, ``kernel_width``, ``alpha``, ``around_instance``.

    Returns
    -------
    LimeStability

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> s = lime_stability(lambda Z: Z[:, 0] ** 2, X[0], X, seeds=range(5), top_k=1, n_samples=50)
    >>> s.coefficients.shape
    (5, 3)
    """
    seeds = [check_int("seed", s, minimum=0) for s in seeds]
    if len(seeds) < 2:
        raise ValueError(f"seeds must hold at least 2 seeds to measure stability, got {len(seeds)}")
    X_train = check_matrix("X_train", X_train)
    k = check_int("top_k", top_k, minimum=1, maximum=X_train.shape[1])
    coefs = np.stack([lime_explain(predict, x, X_train, rng=np.random.default_rng(s), **lime_kwargs).coef
                      for s in seeds])
    tops = [set(np.argsort(-np.abs(c), kind="stable")[:k].tolist()) for c in coefs]
    jaccard = [len(a & b) / len(a | b) for a, b in combinations(tops, 2)]
    positive = (coefs > 0).mean(axis=0)
    return LimeStability(coefficients=coefs, top_k=k, top_k_agreement=float(np.mean(jaccard)),
                         sign_agreement=np.maximum(positive, 1.0 - positive))
