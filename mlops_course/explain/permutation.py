"""Permutation feature importance: how much worse is the model when one feature is scrambled?

For a fitted model ``f``, data ``(X, y)`` and a score ``s`` (higher is better, e.g. accuracy),
shuffle column ``j`` with a random permutation ``π`` and measure the drop (Breiman 2001;
Fisher, Rudin & Dominici 2019, "model reliance")::

    I_j = s(y, f(X)) − (1/R) Σ_{r=1..R} s(y, f(X^{(j, π_r)})),     X^{(j,π)}[:, j] = X[π, j].

Guarantee / meaning: a *global*, model-agnostic importance in units of the score; ``I_j = 0``
for a feature the model ignores. Caveats: with correlated features the permuted rows are
unrealistic and the importance of each correlated feature is split or hidden; on training data it
measures what the model *uses*, on held-out data what *generalises*. The same quantity as
``sklearn.inspection.permutation_importance`` (tested with identical permutations).

References
----------
L. Breiman, "Random forests", Machine Learning 45, 2001. A. Fisher, C. Rudin, F. Dominici, "All
models are wrong, but many are useful", JMLR 20, 2019. C. Molnar, *Interpretable Machine
Learning*, ch. 8.5.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array, check_int, check_rng
from mlops_course.explain._checks import Predict, check_matrix, check_predict, check_same_length

__all__ = ["PermutationImportance", "accuracy", "neg_mse", "permutation_importance"]

Score = Callable[[np.ndarray, np.ndarray], float]


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of correct labels (a score: higher is better).

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n,)
        True and predicted labels.

    Returns
    -------
    float
        ``mean(y_true == y_pred)``, in [0, 1].
    """
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def neg_mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Negative mean squared error (a score: higher is better), for regression.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n,)
        True and predicted values.

    Returns
    -------
    float
        ``−mean((y_true − y_pred)²)``, <= 0.
    """
    return -float(np.mean((np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)) ** 2))


@dataclass(frozen=True)
class PermutationImportance:
    """Result of :func:`permutation_importance`.

    Parameters
    ----------
    baseline : float
        ``s(y, f(X))`` on the unshuffled data.
    importances : numpy.ndarray, shape (M, R)
        Score drop for feature ``j`` under permutation ``r``.

    Attributes
    ----------
    mean, std : numpy.ndarray, shape (M,)
        Mean and (population) standard deviation over the ``R`` repeats.
    """

    baseline: float
    importances: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.importances.mean(axis=1)

    @property
    def std(self) -> np.ndarray:
        return self.importances.std(axis=1)


def permutation_importance(predict: Predict, X: Any, y: Any, *, score: Score = accuracy, n_repeats: int = 5,
                           rng: np.random.Generator | int | None = None,
                           permutations: Any = None) -> PermutationImportance:
    """Permutation importance of every feature.

    Formula: ``I_jr = s(y, f(X)) − s(y, f(X^{(j, π_r)}))`` with ``X^{(j,π)}[:, j] = X[π, j]``.

    Parameters
    ----------
    predict : callable
        ``predict(X)`` returning what ``score`` compares with ``y`` (labels for accuracy).
    X : array_like, shape (n, M)
    y : array_like, shape (n,)
    score : callable
        ``score(y_true, y_pred) -> float``, higher is better (:func:`accuracy`, :func:`neg_mse`).
    n_repeats : int
        Number of permutations ``R`` per feature (ignored when ``permutations`` is given).
    rng : numpy.random.Generator or int, optional
        Draws ``π_r = rng.permutation(n)`` for each feature ``j`` then repeat ``r``.
    permutations : array_like of int, shape (R, n), optional
        Explicit permutations, the same for every feature (reproduces another library's draws).
        Give exactly one of ``rng`` and ``permutations``.

    Returns
    -------
    PermutationImportance

    Raises
    ------
    ValueError, TypeError
        Mismatched lengths of ``X`` and ``y``, NaN/inf, empty data, ``n_repeats < 1``, rows of
        ``permutations`` that are not permutations of ``0..n-1``, both or neither of ``rng`` and
        ``permutations``.

    Examples
    --------
    >>> X = np.array([[0.0, 5.0], [1.0, 5.0], [0.0, 7.0], [1.0, 7.0]])
    >>> y = X[:, 0].copy()
    >>> pi = permutation_importance(lambda Z: Z[:, 0], X, y, permutations=[[1, 0, 3, 2]])
    >>> pi.mean.tolist()                     # feature 1 is ignored by the model
    [1.0, 0.0]
    """
    predict = check_predict(predict)
    X = check_matrix("X", X)
    y = check_finite_array("y", y, ndim=1)
    check_same_length(X=X, y=y)
    if not callable(score):
        raise TypeError(f"score must be a callable score(y_true, y_pred), got {type(score).__name__}")
    n, m = X.shape
    if (rng is None) == (permutations is None):
        raise ValueError("give exactly one of rng (random permutations) and permutations (explicit ones)")
    if permutations is not None:
        perms = check_finite_array("permutations", permutations, ndim=2, dtype=float)
        if perms.shape[1] != n or not np.all(np.sort(perms, axis=1) == np.arange(n)):
            raise ValueError(f"permutations must be rows that permute 0..{n - 1}, got shape {perms.shape}")
        perms = perms.astype(int)
        draw = lambda j, r: perms[r]  # noqa: E731
        repeats = perms.shape[0]
    else:
        rng = check_rng(rng)
        repeats = check_int("n_repeats", n_repeats, minimum=1)
        draw = lambda j, r: rng.permutation(n)  # noqa: E731
    baseline = float(score(y, predict(X)))
    drops = np.empty((m, repeats))
    for j in range(m):
        Xp = X.copy()
        for r in range(repeats):
            Xp[:, j] = X[draw(j, r), j]
            drops[j, r] = baseline - float(score(y, predict(Xp)))
    return PermutationImportance(baseline=baseline, importances=drops)
