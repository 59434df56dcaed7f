"""Exact Shapley values by enumerating every coalition of features.

A prediction is a "payout" shared among the features. With the *interventional* value function
(Lundberg & Lee 2017; Janzing, Minorics & Blöbaum 2020) a coalition ``S`` of features is
"present" when it keeps the instance's values and "absent" features take values from a
background data set::

    v(S) = (1/|B|) Σ_{b ∈ B} f(x_S, b_{S̄})          (v(∅) = E_B f,  v(all) = f(x))

and the Shapley value of feature ``i`` (Shapley 1953) is its average marginal contribution::

    φ_i = Σ_{S ⊆ N∖{i}}  |S|! (M − |S| − 1)! / M!  · (v(S ∪ {i}) − v(S)).

Guarantees (the Shapley axioms): *efficiency* ``Σ_i φ_i = f(x) − E_B f``, *symmetry*, *null
player* (a feature the model ignores gets 0) and *linearity*; for a linear model
``φ_i = w_i (x_i − mean_B x_i)``. Cost: ``2^M · |B|`` model evaluations, so only for small ``M``
(this module refuses more than ``max_features``). This is what ``shap.explainers.Exact`` computes
with a background masker (``shap.maskers.Independent``).

Coalitions are encoded as bit masks: bit ``i`` of the integer ``mask`` is set when feature ``i``
is in the coalition, so ``values[mask] = v(S)``.

References
----------
L. S. Shapley, "A value for n-person games", 1953. S. Lundberg and S.-I. Lee, "A unified approach
to interpreting model predictions", NeurIPS 2017. C. Molnar, *Interpretable Machine Learning*,
2nd ed., ch. 9.5 (Shapley values).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array, check_int
from mlops_course.explain._checks import Predict, check_matrix, check_predict, check_rows, model_output

__all__ = ["ShapleyExplanation", "coalition_masks", "coalition_values", "masked_values", "shapley_from_values", "exact_shapley"]

MAX_FEATURES = 14


@dataclass(frozen=True)
class ShapleyExplanation:
    """Shapley values of one or several instances.

    Parameters
    ----------
    values : numpy.ndarray, shape (n, M)
        ``values[k, i]`` is feature ``i``'s contribution to instance ``k``'s prediction.
    base_value : float
        ``E_B f`` — the average prediction over the background (``v(∅)``).
    fx : numpy.ndarray, shape (n,)
        The model's predictions ``f(x)`` (``v(all)``); ``base_value + values.sum(1) == fx``.


    """

    values: np.ndarray
    base_value: float
    fx: np.ndarray

    def efficiency_gap(self) -> float:
        """``max_k |base + Σ_i φ_ki − f(x_k)|`` — zero up to rounding for exact values."""
        return float(np.max(np.abs(self.base_value + self.values.sum(axis=1) - self.fx)))


def coalition_masks(n_features: int) -> np.ndarray:
    """Boolean matrix ``(2^M, M)``: row ``mask`` marks the features in coalition ``mask``.

    Examples
    --------
    >>> coalition_masks(2).astype(int).tolist()
    [[0, 0], [1, 0], [0, 1], [1, 1]]
    """
    m = check_int("n_features", n_features, minimum=1, maximum=30)
    return ((np.arange(2**m)[:, None] >> np.arange(m)) & 1).astype(bool)


def coalition_values(predict: Predict, x: Any, background: Any, *, max_features: int = MAX_FEATURES) -> np.ndarray:
    """Interventional value function ``v(S) = mean_b f(x_S, b_S̄)`` for every coalition.

    Parameters
    ----------
    predict : callable
        ``predict(X) -> (n,)`` model output (probability, score, ...).
    x : array_like, shape (M,) or (n, M)
        The instance(s) to explain.
    background : array_like, shape (|B|, M)
        Reference rows that absent features are drawn from (e.g. a sample of the training data).
    max_features : int
        Refuse ``M`` above this (the cost is ``2^M · |B|`` model evaluations).

    Returns
    -------
    numpy.ndarray, shape (2^M,) or (n, 2^M)
        ``values[..., mask]`` = ``v(S)`` with ``S`` = the set bits of ``mask``.

    Raises
    ------
    ValueError, TypeError
        Non-finite or empty data, mismatched feature counts, too many features, a model that
        does not return one finite number per row.

    Examples
    --------
    >>> f = lambda X: X[:, 0] * X[:, 1]
    >>> coalition_values(f, [2.0, 3.0], [[0.0, 1.0]]).tolist()   # v(∅), v({0}), v({1}), v({0,1})
    [0.0, 2.0, 0.0, 6.0]
    """
    predict = check_predict(predict)
    bg = check_matrix("background", background)
    m = bg.shape[1]
    check_int("max_features", max_features, minimum=1, maximum=30)
    if m > max_features:
        raise ValueError(f"background has {m} features; exact enumeration needs 2^{m} coalitions, more than "
                         f"max_features={max_features} allows: use kernel_shap for many features")
    rows, single = check_rows("x", x, m)
    masks = coalition_masks(m)
    out = np.stack([masked_values(predict, row, bg, masks) for row in rows])
    return out[0] if single else out


def masked_values(predict: Predict, row: np.ndarray, background: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``v(S) = mean_b f(x_S, b_S̄)`` for each row of the boolean ``masks`` (no validation: internal).

    One batch of ``len(masks) · |B|`` rows: present features from ``row``, absent ones from ``background``.

    Parameters
    ----------
    predict : callable
        The model, ``predict(X) -> (n,)``.
    row : numpy.ndarray, shape (M,)
        The instance ``x``.
    background : numpy.ndarray, shape (B, M)
        Background rows ``b`` that fill in the absent features.
    masks : numpy.ndarray of bool, shape (K, M)
        One coalition ``S`` per row (True = feature present).

    Returns
    -------
    numpy.ndarray, shape (K,)
        ``v(S)`` for each mask.
    """
    batch = np.where(masks[:, None, :], row[None, None, :], background[None, :, :]).reshape(-1, row.size)
    return model_output(predict, batch).reshape(masks.shape[0], background.shape[0]).mean(axis=1)


def _shapley_weights(m: int) -> np.ndarray:
    """``w[s] = s! (M − s − 1)! / M!`` for a coalition of size ``s`` not containing the feature."""
    return np.array([math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) for s in range(m)])


def shapley_from_values(values: Any) -> np.ndarray:
    """Shapley values of a cooperative game given by its value on every coalition.

    Formula: ``φ_i = Σ_{S ∌ i} |S|!(M−|S|−1)!/M! · (v(S ∪ {i}) − v(S))`` (Shapley 1953).

    Parameters
    ----------
    values : array_like, shape (2^M,) or (n, 2^M)
        ``values[mask] = v(S)``, bit ``i`` of ``mask`` set iff feature ``i`` ∈ ``S``.

    Returns
    -------
    numpy.ndarray, shape (M,) or (n, M)

    Raises
    ------
    ValueError, TypeError
        If the length is not a power of two >= 2 or values are not finite.

    Examples
    --------
    >>> shapley_from_values([0.0, 2.0, 0.0, 6.0]).tolist()   # v = x0·x1 at x = (2, 3), background (0, 1)
    [4.0, 2.0]
    """
    v = check_finite_array("values", values)
    if v.ndim not in (1, 2):
        raise ValueError(f"values must be 1-D or 2-D, got shape {v.shape}")
    size = v.shape[-1]
    m = size.bit_length() - 1
    if size < 2 or size != 2**m:
        raise ValueError(f"values must have 2^M entries (one per coalition) with M >= 1, got {size}")
    masks = coalition_masks(m)
    sizes = masks.sum(axis=1)
    w = _shapley_weights(m)
    phi = np.zeros(v.shape[:-1] + (m,))
    for i in range(m):
        without = np.flatnonzero(~masks[:, i])  # coalitions S not containing i
        phi[..., i] = (v[..., without | (1 << i)] - v[..., without]) @ w[sizes[without]]
    return phi


def exact_shapley(predict: Predict, X: Any, background: Any, *,
                  max_features: int = MAX_FEATURES) -> ShapleyExplanation:
    """Exact (interventional) Shapley values of ``predict`` at the rows of ``X``.

    Formula: ``φ_i`` of :func:`shapley_from_values` applied to ``v(S) = mean_b f(x_S, b_S̄)``.

    Guarantee: efficiency ``Σ_i φ_i = f(x) − E_B f`` exactly (up to rounding), symmetry, null
    player, linearity; equals ``shap.explainers.Exact(predict, background)`` (tested).

    Parameters
    ----------
    predict : callable
        ``predict(X) -> (n,)``.
    X : array_like, shape (M,) or (n, M)
        Instance(s) to explain.
    background : array_like, shape (|B|, M)
        Reference data for absent features.
    max_features : int
        Largest ``M`` accepted (cost ``2^M · |B|`` evaluations per instance).

    Returns
    -------
    ShapleyExplanation
        ``values`` of shape (n, M) (n = 1 for a single instance), ``base_value``, ``fx``.

    Raises
    ------
    ValueError, TypeError
        See :func:`coalition_values`.

    Examples
    --------
    >>> f = lambda X: 2.0 * X[:, 0] - X[:, 1]
    >>> e = exact_shapley(f, [1.0, 1.0], [[0.0, 0.0], [2.0, 4.0]])
    >>> e.values.round(6).tolist(), e.base_value, e.fx.tolist()   # φ_i = w_i (x_i − mean b_i)
    ([[0.0, 1.0]], 0.0, [1.0])
    """
    v = coalition_values(predict, X, background, max_features=max_features)
    v = np.atleast_2d(v)
    phi = shapley_from_values(v)
    return ShapleyExplanation(values=phi, base_value=float(v[0, 0]), fx=v[:, -1].copy())
