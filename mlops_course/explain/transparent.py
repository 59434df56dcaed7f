"""Transparent (interpretable-by-design) models: standardised coefficients and trees as rules.

*Logistic regression.* ``log-odds(y=1 | x) = β₀ + Σ_j β_j x_j``: one more unit of ``x_j`` multiplies
the odds by ``e^{β_j}``. Raw coefficients are not comparable across features measured in
different units; the *standardised* coefficient ``β_j · sd(x_j)`` is the change in log-odds for
a one-standard-deviation change of ``x_j`` (equivalently, the coefficient of a model fitted to
z-scored features), and ``e^{β_j sd(x_j)}`` the odds ratio per standard deviation (Agresti,
*Categorical Data Analysis*, 3rd ed., §5.1; Menard 2004). ``sd`` is the population standard
deviation (``ddof=0``), as in ``sklearn.preprocessing.StandardScaler``.

*Shallow decision tree.* Every leaf is one IF-THEN rule — the conjunction of the tests on the path
from the root — and the rules partition the input space, so every row satisfies exactly one rule
and the rule's prediction is the tree's (Quinlan 1987; Molnar, *Interpretable Machine Learning*,
ch. 5.4). A depth-``d`` tree has at most ``2^d`` rules of at most ``d`` conditions: readable
when ``d`` is small.

References
----------
A. Agresti, *Categorical Data Analysis*, 3rd ed., 2013. J. R. Quinlan, "Generating production
rules from decision trees", IJCAI 1987. C. Molnar, *Interpretable Machine Learning*, 2nd ed., 2022.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array, check_int
from mlops_course.explain._checks import check_matrix

__all__ = ["standardized_coefficients", "odds_ratios_per_sd", "Rule", "tree_rules", "rules_predict"]


def standardized_coefficients(coef: Any, X: Any) -> np.ndarray:
    """Standardised coefficients ``β_j · sd(x_j)`` (change in the linear predictor per 1 SD of ``x_j``).

    Parameters
    ----------
    coef : array_like, shape (M,) or (1, M)
        Coefficients of a linear / logistic model fitted on the *raw* features ``X``.
    X : array_like, shape (n, M)
        The data the standard deviations are computed from (``ddof=0``).

    Returns
    -------
    numpy.ndarray, shape (M,)

    Raises
    ------
    ValueError, TypeError
        NaN/inf, empty data, or a length mismatch between ``coef`` and the columns of ``X``.

    Examples
    --------
    >>> standardized_coefficients([0.5, 2.0], [[0.0, 0.0], [4.0, 1.0]]).tolist()
    [1.0, 1.0]
    """
    beta = check_finite_array("coef", coef)
    if beta.ndim == 2 and beta.shape[0] == 1:
        beta = beta[0]
    if beta.ndim != 1:
        raise ValueError(f"coef must have shape (M,) or (1, M), got {beta.shape}")
    X = check_matrix("X", X, n_features=beta.size)
    return beta * X.std(axis=0)


def odds_ratios_per_sd(coef: Any, X: Any) -> np.ndarray:
    """Odds ratio for a one-SD increase of each feature: ``exp(β_j · sd(x_j))`` (logistic models).

    Parameters
    ----------
    coef : array_like, shape (M,)
        Logistic-regression coefficients ``β``.
    X : array_like, shape (n, M)
        Data whose per-feature standard deviations scale the coefficients.

    Returns
    -------
    numpy.ndarray, shape (M,)
        ``exp(β_j · sd(x_j))`` for each feature.
    """
    return np.exp(standardized_coefficients(coef, X))


@dataclass(frozen=True)
class Rule:
    """One leaf of a tree as a rule: ``IF all conditions THEN prediction``.

    Parameters
    ----------
    conditions : tuple of (feature index, "<=" or ">", threshold)
    prediction : float
        Predicted class (classifier) or value (regressor) of the leaf.
    confidence : float
        Fraction of the leaf's training samples in the predicted class (1.0 for a regressor).
    samples : int
        Training samples that reached the leaf.
    classification : bool
        Whether the rule comes from a classifier (``prediction`` is a class label).


    """

    conditions: tuple[tuple[int, str, float], ...]
    prediction: float
    confidence: float
    samples: int
    classification: bool = True

    def matches(self, X: Any) -> np.ndarray:
        """Boolean mask of the rows of ``X`` that satisfy every condition."""
        # scikit-learn compares float32 features with float64 thresholds: do the same
        X = check_matrix("X", X).astype(np.float32).astype(float)
        ok = np.ones(X.shape[0], dtype=bool)
        for j, op, t in self.conditions:
            ok &= X[:, j] <= t if op == "<=" else X[:, j] > t
        return ok

    def text(self, feature_names: Sequence[str] | None = None, decimals: int = 2,
             class_names: Sequence[str] | None = None) -> str:
        """``"IF a <= 1.5 AND b > 0.2 THEN benign (97% of 120)"`` (a regression rule: ``(120 samples)``)."""
        def name(j: int) -> str:
            return feature_names[j] if feature_names is not None else f"x{j}"

        cond = " AND ".join(f"{name(j)} {op} {t:.{decimals}f}" for j, op, t in self.conditions) or "always"
        label = class_names[int(self.prediction)] if class_names is not None else f"{self.prediction:.{decimals}g}"
        support = f"{self.confidence:.0%} of {self.samples}" if self.classification else f"{self.samples} samples"
        return f"IF {cond} THEN {label} ({support})"


def tree_rules(tree: Any) -> list[Rule]:
    """The rules of a fitted scikit-learn decision tree, one per leaf (left-to-right).

    Parameters
    ----------
    tree : sklearn.tree.DecisionTreeClassifier or DecisionTreeRegressor
        A fitted tree (single output).

    Returns
    -------
    list of Rule
        They partition the input space: every row satisfies exactly one rule, whose prediction
        equals ``tree.predict`` (scikit-learn sends ``x_j <= threshold`` left).

    Raises
    ------
    TypeError
        If ``tree`` is not a fitted scikit-learn tree.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> [r.text() for r in tree_rules(DecisionTreeClassifier(max_depth=1).fit(X, y))]
    ['IF x0 <= 1.50 THEN 0 (100% of 2)', 'IF x0 > 1.50 THEN 1 (100% of 2)']
    """
    t = getattr(tree, "tree_", None)
    if t is None or not hasattr(t, "children_left"):
        raise TypeError(f"tree must be a fitted sklearn DecisionTreeClassifier/Regressor, got {type(tree).__name__}")
    if t.n_outputs != 1:
        raise ValueError(f"tree must have a single output, got {t.n_outputs}")
    classes = getattr(tree, "classes_", None)
    rules: list[Rule] = []

    def walk(node: int, path: tuple[tuple[int, str, float], ...]) -> None:
        left, right = t.children_left[node], t.children_right[node]
        if left == right:  # leaf
            value = t.value[node][0]
            if classes is not None:
                k = int(np.argmax(value))
                rules.append(Rule(path, float(classes[k]), float(value[k] / value.sum()),
                                  int(t.n_node_samples[node])))
            else:
                rules.append(Rule(path, float(value[0]), 1.0, int(t.n_node_samples[node]), classification=False))
            return
        j, thr = int(t.feature[node]), float(t.threshold[node])
        walk(left, path + ((j, "<=", thr),))
        walk(right, path + ((j, ">", thr),))

    walk(0, ())
    return rules


def rules_predict(rules: Sequence[Rule], X: Any) -> np.ndarray:
    """Predict with a rule list: the prediction of the (unique) rule each row satisfies.

    Parameters
    ----------
    rules : sequence of Rule
        Rules that partition the feature space (e.g. the leaves of one tree).
    X : array_like, shape (n, M)
        Rows to predict.

    Returns
    -------
    numpy.ndarray, shape (n,)
        The prediction of the rule each row satisfies.

    Raises
    ------
    ValueError
        If a row satisfies no rule or several (the rules do not partition the space).
    """
    X = check_matrix("X", X)
    check_int("number of rules", len(rules), minimum=1)
    hits = np.stack([r.matches(X) for r in rules])
    counts = hits.sum(axis=0)
    if np.any(counts != 1):
        raise ValueError(f"rules must cover every row exactly once; row {int(np.argmax(counts != 1))} "
                         f"matches {int(counts[np.argmax(counts != 1)])} rules")
    return np.array([r.prediction for r in rules])[np.argmax(hits, axis=0)]
