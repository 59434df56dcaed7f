"""Partial dependence (PD) and individual conditional expectation (ICE) curves.

ICE (Goldstein, Kapelner, Bleich & Pitkin 2015) follows one instance while feature ``j`` is set
to each grid value ``z``; the PD curve (Friedman 2001) is their average::

    ICE_k(z) = f(x_k with x_kj := z),          PD(z) = (1/n) Σ_k ICE_k(z).

Meaning: PD shows the *average* effect of a feature on the prediction; ICE shows whether that
average hides heterogeneity (crossing or diverging curves = interactions). Centred ICE
``ICE_k(z) − ICE_k(z_0)`` makes the differences visible. Caveat: like permutation importance, it
evaluates the model on combinations that may never occur when features are correlated.
The grid follows ``sklearn.inspection.partial_dependence``: the unique values when fewer than
``resolution``, else ``resolution`` equally spaced points between two percentiles
(``scipy.stats.mstats.mquantiles``); the curves equal scikit-learn's ``method="brute"`` (tested).

References
----------
J. H. Friedman, "Greedy function approximation: a gradient boosting machine", Ann. Statist. 29,
2001. A. Goldstein, A. Kapelner, J. Bleich, E. Pitkin, "Peeking inside the black box", JCGS 24, 2015.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array, check_int, check_probability
from mlops_course.explain._checks import Predict, check_feature, check_matrix, check_predict, model_output

__all__ = ["PartialDependence", "pdp_grid", "ice_curves", "partial_dependence", "centered_ice"]


@dataclass(frozen=True)
class PartialDependence:
    """PD and ICE of one feature: ``grid`` (g,), ``ice`` (n, g), ``average`` = ``ice.mean(0)``.

    Parameters
    ----------
    feature : int
        Index of the feature.
    grid : numpy.ndarray, shape (g,)
        Feature values at which the model was evaluated.
    ice : numpy.ndarray, shape (n, g)
        ``ice[k, t]``: model output for instance ``k`` with the feature set to ``grid[t]``.
    """

    feature: int
    grid: np.ndarray
    ice: np.ndarray

    @property
    def average(self) -> np.ndarray:
        return self.ice.mean(axis=0)


def pdp_grid(values: Any, resolution: int = 20, percentiles: tuple[float, float] = (0.05, 0.95)) -> np.ndarray:
    """Grid of a feature: its unique values if fewer than ``resolution``, else ``resolution``
    equally spaced points between the two ``percentiles`` (scikit-learn's rule).

    Parameters
    ----------
    values : array_like, shape (n,)
        Observed values of the feature.
    resolution : int, default 20
        Number of grid points (>= 2) when the feature has at least that many unique values.
    percentiles : tuple of (float, float), default (0.05, 0.95)
        Lower and upper quantile (in [0, 1]) bounding the equally spaced grid.

    Returns
    -------
    numpy.ndarray
        The sorted unique values, or ``resolution`` equally spaced points.

    Raises
    ------
    ValueError, TypeError
        Non-finite or empty values, ``resolution < 2``, percentiles not ``0 <= lo < hi <= 1``, or
        percentiles so close that the grid collapses.

    Examples
    --------
    >>> pdp_grid([0, 1, 1, 0]).tolist()
    [0.0, 1.0]
    """
    x = check_finite_array("values", values, ndim=1)
    resolution = check_int("resolution", resolution, minimum=2)
    if not isinstance(percentiles, (tuple, list)) or len(percentiles) != 2:
        raise TypeError(f"percentiles must be a pair (low, high), got {percentiles!r}")
    lo = check_probability("percentiles[0]", percentiles[0], open_low=False, open_high=False)
    hi = check_probability("percentiles[1]", percentiles[1], open_low=False, open_high=False)
    if not lo < hi:
        raise ValueError(f"percentiles must be increasing, got {percentiles!r}")
    uniques = np.unique(x)
    if uniques.size < resolution:
        return uniques
    from scipy.stats.mstats import mquantiles

    q = np.asarray(mquantiles(x, prob=[lo, hi]), dtype=float)
    if np.isclose(q[0], q[1]):
        raise ValueError(f"percentiles {percentiles!r} give the same value {q[0]!r}: choose them further apart")
    return np.linspace(q[0], q[1], resolution)


def ice_curves(predict: Predict, X: Any, feature: int, grid: Any) -> np.ndarray:
    """ICE curves ``ICE[k, g] = f(x_k with x_kj := grid[g])``.

    Parameters
    ----------
    predict : callable
        ``predict(X) -> (n,)``.
    X : array_like, shape (n, M)
    feature : int
        Column ``j``.
    grid : array_like, shape (g,)

    Returns
    -------
    numpy.ndarray, shape (n, g)

    Examples
    --------
    >>> ice_curves(lambda Z: Z[:, 0] * Z[:, 1], [[1.0, 2.0], [1.0, -1.0]], 0, [0.0, 1.0]).tolist()
    [[0.0, 2.0], [-0.0, -1.0]]
    """
    predict = check_predict(predict)
    X = check_matrix("X", X)
    j = check_feature(feature, X.shape[1])
    grid = check_finite_array("grid", grid, ndim=1)
    batch = np.repeat(X[None, :, :], grid.size, axis=0)  # (g, n, M)
    batch[:, :, j] = grid[:, None]
    out = model_output(predict, batch.reshape(-1, X.shape[1]))
    return out.reshape(grid.size, X.shape[0]).T


def partial_dependence(predict: Predict, X: Any, feature: int, grid: Any = None, *, resolution: int = 20,
                       percentiles: tuple[float, float] = (0.05, 0.95)) -> PartialDependence:
    """Partial dependence of ``predict`` on one feature, with its ICE curves.

    Formula: ``PD(z) = (1/n) Σ_k f(x_k with x_kj := z)``.

    Parameters
    ----------
    predict : callable
    X : array_like, shape (n, M)
    feature : int
    grid : array_like, optional
        Values of the feature; default :func:`pdp_grid` of ``X[:, feature]``.
    resolution, percentiles
        Passed to :func:`pdp_grid` when ``grid`` is None.

    Returns
    -------
    PartialDependence

    Examples
    --------
    >>> pd_ = partial_dependence(lambda Z: Z[:, 0] + Z[:, 1], [[0.0, 1.0], [1.0, 3.0]], 0)
    >>> pd_.grid.tolist(), pd_.average.tolist()
    ([0.0, 1.0], [2.0, 3.0])
    """
    X = check_matrix("X", X)
    j = check_feature(feature, X.shape[1])
    grid = pdp_grid(X[:, j], resolution, percentiles) if grid is None else check_finite_array("grid", grid, ndim=1)
    return PartialDependence(feature=j, grid=grid, ice=ice_curves(predict, X, j, grid))


def centered_ice(ice: Any) -> np.ndarray:
    """Centred ICE ``ICE_k(z) − ICE_k(z_0)``: every curve starts at 0 (Goldstein et al. 2015)."""
    ice = check_finite_array("ice", ice, ndim=2)
    return ice - ice[:, :1]
