"""Global surrogate: a transparent model trained to imitate the black box, and its fidelity.

Fit an interpretable model ``g`` (here a shallow decision tree) to the *black box's predictions*
``f(X)`` — not to the true labels — and read ``g`` as an approximate explanation of ``f``
(Craven & Shavlik 1996; Molnar, *Interpretable Machine Learning*, ch. 8.6). How far to trust
it is measured by its **fidelity** to ``f``::

    R² fidelity  = 1 − Σ (f(x_k) − g(x_k))² / Σ (f(x_k) − mean f)²     (scores / probabilities)
    agreement    = (1/n) Σ 1{ decision_f(x_k) = decision_g(x_k) }       (decisions)

Guarantee: none about ``f`` itself — a surrogate with 80% fidelity explains 80% of the black
box's variation and says nothing about the rest; measure fidelity on held-out data too. The R²
fidelity equals ``sklearn.metrics.r2_score(f(X), g(X))`` (tested).

References
----------
M. Craven and J. Shavlik, "Extracting tree-structured representations of trained networks",
NeurIPS 1996. C. Molnar, *Interpretable Machine Learning*, 2nd ed., 2022, ch. 8.6.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array, check_int
from mlops_course.explain._checks import (
    Predict,
    check_binary,
    check_matrix,
    check_predict,
    check_same_length,
    model_output,
)

__all__ = ["fidelity_r2", "fidelity_agreement", "GlobalSurrogate", "global_surrogate"]


def fidelity_r2(black_box: Any, surrogate: Any) -> float:
    """R² of the surrogate's outputs with respect to the black box's: ``1 − SSE/SST``.

    Parameters
    ----------
    black_box : array_like, shape (n,)
        Outputs ``f`` of the black-box model.
    surrogate : array_like, shape (n,)
        Outputs ``g`` of the surrogate on the same instances.

    Returns
    -------
    float
        ``1 − Σ(f − g)² / Σ(f − f̄)²`` (1 = perfect; can be negative).

    Raises
    ------
    ValueError, TypeError
        Mismatched lengths, NaN/inf, empty arrays, or a constant black box (SST = 0).

    Examples
    --------
    >>> fidelity_r2([0.0, 1.0, 2.0], [0.0, 1.0, 1.0])
    0.5
    """
    f = check_finite_array("black_box", black_box, ndim=1)
    g = check_finite_array("surrogate", surrogate, ndim=1)
    check_same_length(black_box=f, surrogate=g)
    sst = float(np.sum((f - f.mean()) ** 2))
    if sst == 0.0:
        raise ValueError("black_box outputs are constant: R² fidelity is undefined (use fidelity_agreement)")
    return 1.0 - float(np.sum((f - g) ** 2)) / sst


def fidelity_agreement(black_box_labels: Any, surrogate_labels: Any) -> float:
    """Share of instances where the surrogate's 0/1 decision equals the black box's.

    Parameters
    ----------
    black_box_labels : array_like of 0/1, shape (n,)
        Decisions of the black box.
    surrogate_labels : array_like of 0/1, shape (n,)
        Decisions of the surrogate on the same instances.

    Returns
    -------
    float
        Fraction of equal decisions, in [0, 1].

    Raises
    ------
    ValueError, TypeError
        Non-binary or non-finite labels, empty arrays or mismatched lengths.

    Examples
    --------
    >>> fidelity_agreement([1, 0, 1, 1], [1, 0, 0, 1])
    0.75
    """
    a = check_binary("black_box_labels", black_box_labels)
    b = check_binary("surrogate_labels", surrogate_labels)
    check_same_length(black_box_labels=a, surrogate_labels=b)
    return float(np.mean(a == b))


@dataclass(frozen=True)
class GlobalSurrogate:
    """A fitted surrogate tree and its training-set fidelity (R² or agreement, see ``kind``).

    Parameters
    ----------
    tree : sklearn.tree.DecisionTreeRegressor or DecisionTreeClassifier
        The fitted surrogate.
    kind : {"r2", "agreement"}
        ``"r2"`` for a regression tree imitating the outputs, ``"agreement"`` for a classification
        tree imitating the decisions ``f >= threshold``.
    threshold : float or None
        Decision threshold (None for ``kind="r2"``).
    fidelity : float
        Fidelity on the training data: :func:`fidelity_r2` or :func:`fidelity_agreement`.
    """

    tree: Any
    kind: str
    threshold: float | None
    fidelity: float

    def fidelity_on(self, predict: Predict, X: Any) -> float:
        """Fidelity on other data (e.g. held out): the same measure as ``fidelity``."""
        X = check_matrix("X", X)
        f = model_output(check_predict(predict), X)
        if self.kind == "agreement":
            return fidelity_agreement((f >= self.threshold).astype(float), self.tree.predict(X))
        return fidelity_r2(f, self.tree.predict(X))


def global_surrogate(predict: Predict, X: Any, *, max_depth: int = 3, threshold: float | None = None,
                     random_state: int = 0) -> GlobalSurrogate:
    """Fit a depth-limited decision tree to the black box's outputs on ``X``.

    Parameters
    ----------
    predict : callable
        ``predict(X) -> (n,)`` black-box scores.
    X : array_like, shape (n, M)
    max_depth : int
        Depth of the surrogate tree (readability: <= 4).
    threshold : float, optional
        If given, imitate the *decisions* ``f(X) >= threshold`` with a classification tree
        (fidelity = agreement); else regress on the scores (fidelity = R²).
    random_state : int
        Tie-breaking of the tree (deterministic).

    Returns
    -------
    GlobalSurrogate

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> s = global_surrogate(lambda Z: (Z[:, 0] > 0).astype(float), X, max_depth=1, threshold=0.5)
    >>> s.kind, s.fidelity
    ('agreement', 1.0)
    """
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    predict = check_predict(predict)
    X = check_matrix("X", X)
    depth = check_int("max_depth", max_depth, minimum=1)
    f = model_output(predict, X)
    if threshold is None:
        tree = DecisionTreeRegressor(max_depth=depth, random_state=random_state).fit(X, f)
        return GlobalSurrogate(tree, "r2", None, fidelity_r2(f, tree.predict(X)))
    thr = float(check_finite_array("threshold", threshold, ndim=0))
    labels = (f >= thr).astype(float)
    tree = DecisionTreeClassifier(max_depth=depth, random_state=random_state).fit(X, labels)
    return GlobalSurrogate(tree, "agreement", thr, fidelity_agreement(labels, tree.predict(X)))
