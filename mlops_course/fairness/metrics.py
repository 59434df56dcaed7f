"""Group fairness metrics for a binary decision ``ŷ ∈ {0, 1}`` (1 = favourable: loan approved).

Per-group rates (``g`` a group, ``Y`` the true label):

=========================== ==================================== =================================
rate                        formula                              a.k.a.
=========================== ==================================== =================================
``selection_rate``          ``P(ŷ=1 | A=g)``                     positive rate
``true_positive_rate``      ``P(ŷ=1 | Y=1, A=g)``                recall, sensitivity
``false_positive_rate``     ``P(ŷ=1 | Y=0, A=g)``
``false_negative_rate``     ``P(ŷ=0 | Y=1, A=g) = 1 − TPR``      miss rate
``true_negative_rate``      ``P(ŷ=0 | Y=0, A=g)``                specificity
``positive_predictive_value`` ``P(Y=1 | ŷ=1, A=g)``              precision
``accuracy``                ``P(ŷ=Y | A=g)``
=========================== ==================================== =================================

Disparities. **Conventions (fairlearn's, which this module follows exactly):** a *difference*
is unsigned, ``max_g r_g − min_g r_g`` (``method="between_groups"``) or
``max_g |r_g − r_overall|`` (``method="to_overall"``); a *ratio* is ``min_g r_g / max_g r_g`` (or
``min_g min(r_g/r, r/r_g)`` against the overall rate ``r``), so 0 and 1 mean "fair". Equalized
odds combines the TPR and FPR disparities with ``agg="worst_case"`` (the larger difference /
the smaller ratio) or ``agg="mean"`` (their average).

**AIF360 differs:** its metrics are *signed* and compare an ``unprivileged`` group with a
``privileged`` one: ``statistical_parity_difference = P(ŷ=1|unpriv) − P(ŷ=1|priv)`` (negative =
the unprivileged group is selected less), ``disparate_impact = P(ŷ=1|unpriv) / P(ŷ=1|priv)``
(can exceed 1) and ``average_odds_difference = ½[(FPR_u − FPR_p) + (TPR_u − TPR_p)]`` (a mean,
not a worst case). :func:`statistical_parity_difference`, :func:`disparate_impact` and
:func:`average_odds_difference` below follow AIF360's conventions and say so.

Sources: M. Hardt, E. Price, N. Srebro, "Equality of opportunity in supervised learning",
NeurIPS 2016 (equalized odds, equal opportunity); A. Chouldechova, "Fair prediction with
disparate impact", Big Data 5(2) 2017 (predictive parity, error-rate balance); US EEOC Uniform
Guidelines on Employee Selection Procedures, 29 CFR § 1607.4(D) (the four-fifths rule);
S. Bird et al., "Fairlearn: a toolkit for assessing and improving fairness in AI", Microsoft
Tech. Rep. MSR-TR-2020-32; R. K. E. Bellamy et al., "AI Fairness 360", arXiv:1810.01943.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlops_course._validation import check_choice, check_int
from mlops_course.fairness._inputs import check_binary, check_groups, check_scores, check_weights

__all__ = [
    "RATES", "selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
    "true_negative_rate", "positive_predictive_value", "accuracy", "by_group", "difference", "ratio",
    "demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
    "equalized_odds_ratio", "equal_opportunity_difference", "equal_opportunity_ratio",
    "predictive_parity_difference", "predictive_parity_ratio", "false_positive_rate_difference",
    "false_negative_rate_difference", "statistical_parity_difference", "disparate_impact",
    "average_odds_difference", "FourFifths", "four_fifths_rule", "calibration_by_group",
]


# --------------------------------------------------------------------------- rates
def _wmean(values: np.ndarray, w: np.ndarray | None) -> float:
    """(Weighted) mean; NaN when there is nothing to average (an undefined rate)."""
    if values.size == 0:
        return float("nan")
    if w is None:
        return float(np.mean(values))
    total = float(np.sum(w))
    return float(np.sum(w * values) / total) if total > 0 else float("nan")


def _rate(y_true: np.ndarray, y_pred: np.ndarray, w: np.ndarray | None, kind: str) -> float:
    """Unvalidated rate ``kind`` of the rows given (NaN if its denominator is empty)."""
    if kind == "selection_rate":
        return _wmean(y_pred, w)
    if kind == "accuracy":
        return _wmean((y_pred == y_true).astype(float), w)
    cond, num = {
        "true_positive_rate": (y_true == 1, y_pred == 1),
        "false_positive_rate": (y_true == 0, y_pred == 1),
        "false_negative_rate": (y_true == 1, y_pred == 0),
        "true_negative_rate": (y_true == 0, y_pred == 0),
        "positive_predictive_value": (y_pred == 1, y_true == 1),
    }[kind]
    return _wmean(num[cond].astype(float), None if w is None else w[cond])


#: rate name -> its definition
RATES: dict[str, str] = {
    "selection_rate": "P(ŷ=1)",
    "true_positive_rate": "P(ŷ=1 | Y=1)",
    "false_positive_rate": "P(ŷ=1 | Y=0)",
    "false_negative_rate": "P(ŷ=0 | Y=1)",
    "true_negative_rate": "P(ŷ=0 | Y=0)",
    "positive_predictive_value": "P(Y=1 | ŷ=1)",
    "accuracy": "P(ŷ=Y)",
}


def _check_metric(metric: Any) -> str:
    return check_choice("metric", metric, sorted(RATES))


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    yt = check_binary("y_true", y_true)
    return yt, check_binary("y_pred", y_pred, yt.size, "y_true")


def _overall(kind: str, y_true: Any, y_pred: Any, sample_weight: Any) -> float:
    yt, yp = _pair(y_true, y_pred)
    value = _rate(yt, yp, check_weights(sample_weight, yt.size), kind)
    if np.isnan(value):
        raise ValueError(f"{kind} is undefined: no rows with {RATES[kind].split('|')[1].strip(' )')}")
    return value


def selection_rate(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """Share of favourable decisions ``P(ŷ=1) = mean(ŷ)``; ``y_true`` is ignored (fairlearn's signature).

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,), or None
        Only length-checked (None skips the check).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The (weighted) share of ``ŷ = 1``, in [0, 1].

    Raises
    ------
    ValueError
        ``y_pred`` not binary 0/1, empty, with NaN, or a length differing from ``y_true``.

    Examples
    --------
    >>> selection_rate([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    """
    yp = check_binary("y_pred", y_pred)
    if y_true is not None:
        check_binary("y_true", y_true, yp.size, "y_pred")
    return _wmean(yp.astype(float), check_weights(sample_weight, yp.size))


def true_positive_rate(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """``TPR = TP / (TP + FN) = P(ŷ=1 | Y=1)`` (ValueError if there is no positive).

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The (weighted) TPR, in [0, 1].

    Raises
    ------
    ValueError
        Mismatched lengths, non-binary labels, missing values or bad weights. Also if there is no positive (Y=1) row (the rate is undefined).
    """
    return _overall("true_positive_rate", y_true, y_pred, sample_weight)


def false_positive_rate(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """``FPR = FP / (FP + TN) = P(ŷ=1 | Y=0)`` (ValueError if there is no negative).

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The (weighted) FPR, in [0, 1].

    Raises
    ------
    ValueError
        Mismatched lengths, non-binary labels, missing values or bad weights. Also if there is no negative (Y=0) row (the rate is undefined).
    """
    return _overall("false_positive_rate", y_true, y_pred, sample_weight)


def false_negative_rate(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """``FNR = FN / (TP + FN) = 1 − TPR``.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The (weighted) FNR, in [0, 1].

    Raises
    ------
    ValueError
        Mismatched lengths, non-binary labels, missing values or bad weights. Also if there is no positive (Y=1) row (the rate is undefined).
    """
    return _overall("false_negative_rate", y_true, y_pred, sample_weight)


def true_negative_rate(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """``TNR = TN / (TN + FP) = 1 − FPR``.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The (weighted) TNR, in [0, 1].

    Raises
    ------
    ValueError
        Mismatched lengths, non-binary labels, missing values or bad weights. Also if there is no negative (Y=0) row (the rate is undefined).
    """
    return _overall("true_negative_rate", y_true, y_pred, sample_weight)


def positive_predictive_value(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """``PPV = TP / (TP + FP) = P(Y=1 | ŷ=1)`` (precision; ValueError if nothing is selected).

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The (weighted) PPV, in [0, 1].

    Raises
    ------
    ValueError
        Mismatched lengths, non-binary labels, missing values or bad weights. Also if no row is selected (ŷ=1) (the rate is undefined).
    """
    return _overall("positive_predictive_value", y_true, y_pred, sample_weight)


def accuracy(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """``P(ŷ = Y)``.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The (weighted) accuracy, in [0, 1].

    Raises
    ------
    ValueError
        Mismatched lengths, non-binary labels, missing values or bad weights.
    """
    return _overall("accuracy", y_true, y_pred, sample_weight)


# --------------------------------------------------------------------------- per group
def _group_values(metric: str, yt: np.ndarray, yp: np.ndarray, w: np.ndarray | None,
                  codes: np.ndarray, k: int) -> np.ndarray:
    return np.array([_rate(yt[codes == i], yp[codes == i], None if w is None else w[codes == i], metric)
                     for i in range(k)])


def _prepare(y_true: Any, y_pred: Any, sensitive_features: Any, sample_weight: Any, min_groups: int = 2):
    yt, yp = _pair(y_true, y_pred)
    groups = check_groups(sensitive_features, yt.size, min_groups=min_groups)
    return yt, yp, groups, check_weights(sample_weight, yt.size)


def _index(groups) -> pd.Index:
    if len(groups.names) == 1:
        return pd.Index(groups.labels, name=groups.names[0])
    return pd.MultiIndex.from_tuples(groups.labels, names=groups.names)


def by_group(metric: str, y_true: Any, y_pred: Any, *, sensitive_features: Any,
             sample_weight: Any = None) -> pd.Series:
    """The rate ``metric`` in every group (like ``fairlearn.metrics.MetricFrame(...).by_group``).

    Parameters
    ----------
    metric : str
        A key of :data:`RATES` (``"selection_rate"``, ``"true_positive_rate"``, ...).
    y_true, y_pred : array_like of 0/1
    sensitive_features : array_like, pandas Series or DataFrame
        One attribute (1-D) or several (DataFrame / 2-D): intersectional groups, one per observed
        combination (a MultiIndex in the result).
    sample_weight : array_like, optional

    Returns
    -------
    pandas.Series
        Indexed by group; NaN where the rate is undefined (e.g. TPR in a group without positives).

    Raises
    ------
    ValueError
        Unknown metric; mismatched lengths; non-binary labels; missing values.

    Examples
    --------
    >>> by_group("selection_rate", [1, 0, 1, 0], [1, 1, 0, 0], sensitive_features=["a", "a", "b", "b"]).tolist()
    [1.0, 0.0]
    """
    metric = _check_metric(metric)
    yt, yp, groups, w = _prepare(y_true, y_pred, sensitive_features, sample_weight, min_groups=1)
    values = _group_values(metric, yt, yp, w, groups.codes, groups.k)
    return pd.Series(values, index=_index(groups), name=metric)


_METHODS = ("between_groups", "to_overall")


def _values_and_overall(metric, y_true, y_pred, sensitive_features, sample_weight):
    metric = _check_metric(metric)
    yt, yp, groups, w = _prepare(y_true, y_pred, sensitive_features, sample_weight)
    values = _group_values(metric, yt, yp, w, groups.codes, groups.k)
    if np.isnan(values).any():
        missing = [groups.labels[i] for i in np.flatnonzero(np.isnan(values))]
        raise ValueError(f"{metric} is undefined in group(s) {missing}: no rows with "
                         f"{RATES[metric].split('|')[-1].strip(' )')} there")
    return values, _rate(yt, yp, w, metric)


def _check_method(method: Any) -> str:
    return check_choice("method", method, _METHODS)


def _diff(values: np.ndarray, overall: float, method: str) -> float:
    if method == "between_groups":
        return float(values.max() - values.min())
    return float(np.max(np.abs(values - overall)))


def _ratio(values: np.ndarray, overall: float, method: str) -> float:
    if method == "between_groups":
        hi = values.max()
        return float(values.min() / hi) if hi > 0 else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.minimum(values / overall, overall / values)
    return float(np.min(r))


def difference(metric: str, y_true: Any, y_pred: Any, *, sensitive_features: Any,
               method: str = "between_groups", sample_weight: Any = None) -> float:
    """Unsigned disparity of a rate: ``max_g r_g − min_g r_g`` (or ``max_g |r_g − r|`` ``to_overall``).

    Equals ``fairlearn.metrics.MetricFrame(metrics=..., ...).difference(method)``.

    Parameters
    ----------
    metric : str
        A rate name, one of :data:`RATES` (e.g. ``"selection_rate"``).
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The difference, >= 0.

    Raises
    ------
    ValueError
        Fewer than two groups, a rate undefined in some group, bad labels (see :func:`by_group`).
    """
    method = _check_method(method)
    values, overall = _values_and_overall(metric, y_true, y_pred, sensitive_features, sample_weight)
    return _diff(values, overall, method)


def ratio(metric: str, y_true: Any, y_pred: Any, *, sensitive_features: Any,
          method: str = "between_groups", sample_weight: Any = None) -> float:
    """Disparity as a ratio in [0, 1]: ``min_g r_g / max_g r_g`` (or vs the overall rate).

    Equals ``fairlearn.metrics.MetricFrame(...).ratio(method)``; NaN when all rates are 0.

    Parameters
    ----------
    metric : str
        A rate name, one of :data:`RATES`.
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The ratio in [0, 1], or NaN.

    Raises
    ------
    ValueError
        Unknown ``metric`` or ``method``, fewer than two groups, a rate undefined in some group, bad labels.
    """
    method = _check_method(method)
    values, overall = _values_and_overall(metric, y_true, y_pred, sensitive_features, sample_weight)
    return _ratio(values, overall, method)


def demographic_parity_difference(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                                  method: str = "between_groups", sample_weight: Any = None) -> float:
    """Demographic (statistical) parity difference ``max_g P(ŷ=1|g) − min_g P(ŷ=1|g)``.

    0 means every group is selected at the same rate. Unsigned, fairlearn's convention (AIF360's
    signed version is :func:`statistical_parity_difference`). ``y_true`` is only length-checked.

    Parameters
    ----------
    y_true, y_pred : array_like of 0/1
    sensitive_features : array_like or DataFrame
    method : {"between_groups", "to_overall"}
    sample_weight : array_like, optional

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        Mismatched lengths, non-binary labels, missing values, a single group.

    Examples
    --------
    >>> demographic_parity_difference([0, 0, 0, 0], [1, 1, 1, 0], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    return difference("selection_rate", y_true, y_pred, sensitive_features=sensitive_features,
                      method=method, sample_weight=sample_weight)


def demographic_parity_ratio(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                             method: str = "between_groups", sample_weight: Any = None) -> float:
    """Demographic parity ratio ``min_g P(ŷ=1|g) / max_g P(ŷ=1|g)`` in [0, 1] (1 = parity).

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The ratio in [0, 1] (NaN if no group is selected).

    Raises
    ------
    ValueError
        Fewer than two groups, a rate undefined in some group, or bad labels, weights or ``method``.

    Examples
    --------
    >>> demographic_parity_ratio([0, 0, 0, 0], [1, 1, 1, 0], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    return ratio("selection_rate", y_true, y_pred, sensitive_features=sensitive_features,
                 method=method, sample_weight=sample_weight)


def _check_agg(agg: Any) -> str:
    return check_choice("agg", agg, ("worst_case", "mean"))


def equalized_odds_difference(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                              method: str = "between_groups", sample_weight: Any = None,
                              agg: str = "worst_case") -> float:
    """Equalized-odds difference (Hardt, Price & Srebro 2016).

    ``d_TPR = max_g TPR_g − min_g TPR_g`` and ``d_FPR`` likewise; the result is
    ``max(d_TPR, d_FPR)`` for ``agg="worst_case"`` and ``(d_TPR + d_FPR)/2`` for ``agg="mean"``
    (fairlearn's convention; AIF360's :func:`average_odds_difference` is a signed mean).
    0 means equal error rates in every group.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).
    agg : {"worst_case", "mean"}, default "worst_case"
        How the TPR and FPR disparities are combined.

    Returns
    -------
    float
        The disparity, >= 0.

    Raises
    ------
    ValueError
        Bad ``agg``/``method``, or a group without positives or negatives, plus the usual input errors.

    Examples
    --------
    >>> y = [1, 1, 0, 0, 1, 1, 0, 0]
    >>> p = [1, 1, 0, 0, 1, 0, 1, 0]
    >>> equalized_odds_difference(y, p, sensitive_features=list("aaaabbbb"))
    0.5
    """
    agg = _check_agg(agg)
    method = _check_method(method)
    tpr, tpr_all = _values_and_overall("true_positive_rate", y_true, y_pred, sensitive_features, sample_weight)
    fpr, fpr_all = _values_and_overall("false_positive_rate", y_true, y_pred, sensitive_features, sample_weight)
    d = (_diff(tpr, tpr_all, method), _diff(fpr, fpr_all, method))
    return max(d) if agg == "worst_case" else (d[0] + d[1]) / 2.0


def equalized_odds_ratio(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                         method: str = "between_groups", sample_weight: Any = None,
                         agg: str = "worst_case") -> float:
    """Equalized-odds ratio: ``min(r_TPR, r_FPR)`` (``worst_case``) or their mean, each ``min/max``.

    A ratio is NaN when its rate is 0 in every group (0/0, e.g. no false positives anywhere).
    As in fairlearn, ``agg="mean"`` averages the ratios that are defined (pandas' NaN-skipping
    mean: a perfect classifier gives r_TPR = 1, r_FPR = 0/0, mean 1.0) and is NaN only if both
    are; ``agg="worst_case"`` is Python's ``min(r_TPR, r_FPR)`` like fairlearn's.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).
    agg : {"worst_case", "mean"}, default "worst_case"
        How the TPR and FPR disparities are combined.

    Returns
    -------
    float
        The ratio in [0, 1], or NaN.

    Raises
    ------
    ValueError
        Bad ``agg`` or ``method``, a group without positives or negatives, or bad labels.
    """
    agg = _check_agg(agg)
    method = _check_method(method)
    tpr, tpr_all = _values_and_overall("true_positive_rate", y_true, y_pred, sensitive_features, sample_weight)
    fpr, fpr_all = _values_and_overall("false_positive_rate", y_true, y_pred, sensitive_features, sample_weight)
    r = (_ratio(tpr, tpr_all, method), _ratio(fpr, fpr_all, method))
    if agg == "worst_case":
        return min(r)
    defined = [v for v in r if not np.isnan(v)]
    return sum(defined) / len(defined) if defined else float("nan")


def equal_opportunity_difference(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                                 method: str = "between_groups", sample_weight: Any = None) -> float:
    """Equal-opportunity difference ``max_g TPR_g − min_g TPR_g`` (Hardt et al. 2016): the qualified
    (``Y=1``) are accepted at equal rates. Unsigned (AIF360's version is ``TPR_unpriv − TPR_priv``).

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        ``max_g TPR_g − min_g TPR_g`` (or vs the overall TPR), >= 0.

    Raises
    ------
    ValueError
        Fewer than two groups, a rate undefined in some group, or bad labels, weights or ``method``.
    """
    return difference("true_positive_rate", y_true, y_pred, sensitive_features=sensitive_features,
                      method=method, sample_weight=sample_weight)


def equal_opportunity_ratio(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                            method: str = "between_groups", sample_weight: Any = None) -> float:
    """Equal-opportunity ratio ``min_g TPR_g / max_g TPR_g``.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The ratio in [0, 1], or NaN.

    Raises
    ------
    ValueError
        Fewer than two groups, a rate undefined in some group, or bad labels, weights or ``method``.
    """
    return ratio("true_positive_rate", y_true, y_pred, sensitive_features=sensitive_features,
                 method=method, sample_weight=sample_weight)


def predictive_parity_difference(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                                 method: str = "between_groups", sample_weight: Any = None) -> float:
    """Predictive-parity difference ``max_g PPV_g − min_g PPV_g`` (Chouldechova 2017): a favourable
    decision means the same chance of ``Y=1`` in every group.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The difference, >= 0.

    Raises
    ------
    ValueError
        Fewer than two groups, a rate undefined in some group, or bad labels, weights or ``method``.
    """
    return difference("positive_predictive_value", y_true, y_pred, sensitive_features=sensitive_features,
                      method=method, sample_weight=sample_weight)


def predictive_parity_ratio(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                            method: str = "between_groups", sample_weight: Any = None) -> float:
    """Predictive-parity ratio ``min_g PPV_g / max_g PPV_g``.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The ratio in [0, 1], or NaN.

    Raises
    ------
    ValueError
        Fewer than two groups, a rate undefined in some group, or bad labels, weights or ``method``.
    """
    return ratio("positive_predictive_value", y_true, y_pred, sensitive_features=sensitive_features,
                 method=method, sample_weight=sample_weight)


def false_positive_rate_difference(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                                   method: str = "between_groups", sample_weight: Any = None) -> float:
    """``max_g FPR_g − min_g FPR_g`` (fairlearn's ``false_positive_rate_difference``).

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The difference, >= 0.

    Raises
    ------
    ValueError
        Fewer than two groups, a rate undefined in some group, or bad labels, weights or ``method``.
    """
    return difference("false_positive_rate", y_true, y_pred, sensitive_features=sensitive_features,
                      method=method, sample_weight=sample_weight)


def false_negative_rate_difference(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                                   method: str = "between_groups", sample_weight: Any = None) -> float:
    """``max_g FNR_g − min_g FNR_g`` (fairlearn's ``false_negative_rate_difference``).

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare the groups with each other, or each group with the overall rate.
    sample_weight : array_like, shape (n,), optional
        Non-negative row weights with a positive sum (None = equal weights).

    Returns
    -------
    float
        The difference, >= 0.

    Raises
    ------
    ValueError
        Fewer than two groups, a rate undefined in some group, or bad labels, weights or ``method``.
    """
    return difference("false_negative_rate", y_true, y_pred, sensitive_features=sensitive_features,
                      method=method, sample_weight=sample_weight)


# --------------------------------------------------------------------------- AIF360-style (signed)
def _two_groups(y_true, y_pred, sensitive_features, privileged, unprivileged):
    yt, yp, groups, _ = _prepare(y_true, y_pred, sensitive_features, None)
    check_choice("privileged", privileged, groups.labels, note=" (the groups in sensitive_features)")
    priv = groups.codes == groups.labels.index(privileged)
    if unprivileged is None:
        unpriv = ~priv
    else:
        if unprivileged not in groups.labels or unprivileged == privileged:
            raise ValueError(f"unprivileged must be another of the groups {groups.labels}, got {unprivileged!r}")
        unpriv = groups.codes == groups.labels.index(unprivileged)
    return yt, yp, priv, unpriv


def statistical_parity_difference(y_pred: Any, *, sensitive_features: Any, privileged: Any,
                                  unprivileged: Any = None) -> float:
    """AIF360's **signed** statistical parity difference ``P(ŷ=1 | unpriv) − P(ŷ=1 | priv)``.

    Negative values mean the unprivileged group is selected less often. ``unprivileged=None`` means
    every row outside the privileged group, as ``aif360.sklearn.metrics`` does (``priv_group``
    against all others); the classic ``aif360.metrics.ClassificationMetric`` instead requires
    ``unprivileged_groups`` to be given. Its absolute value equals
    :func:`demographic_parity_difference` when there are two groups.

    Parameters
    ----------
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    privileged : object
        Label of the privileged group (one of the groups in ``sensitive_features``).
    unprivileged : object, optional
        Label of the unprivileged group; None = every row outside the privileged group.

    Returns
    -------
    float
        The signed difference, in [-1, 1].

    Raises
    ------
    ValueError
        ``privileged``/``unprivileged`` not among the groups (or equal), or bad labels.

    Examples
    --------
    >>> statistical_parity_difference([1, 1, 1, 0], sensitive_features=["m", "m", "f", "f"], privileged="m")
    -0.5
    """
    yp = check_binary("y_pred", y_pred)
    _, yp, priv, unpriv = _two_groups(np.zeros_like(yp), yp, sensitive_features, privileged, unprivileged)
    return float(yp[unpriv].mean() - yp[priv].mean())


def disparate_impact(y_pred: Any, *, sensitive_features: Any, privileged: Any, unprivileged: Any = None) -> float:
    """AIF360's disparate impact ``P(ŷ=1 | unpriv) / P(ŷ=1 | priv)`` (may exceed 1).

    The EEOC four-fifths rule flags adverse impact when this is below 0.8 (see :func:`four_fifths_rule`).

    Parameters
    ----------
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    privileged : object
        Label of the privileged group (one of the groups in ``sensitive_features``).
    unprivileged : object, optional
        Label of the unprivileged group; None = every row outside the privileged group.

    Returns
    -------
    float
        The ratio, >= 0.

    Raises
    ------
    ValueError
        If the privileged group is never selected (the ratio is undefined), or the usual input errors.

    Examples
    --------
    >>> disparate_impact([1, 1, 1, 0], sensitive_features=["m", "m", "f", "f"], privileged="m")
    0.5
    """
    yp = check_binary("y_pred", y_pred)
    _, yp, priv, unpriv = _two_groups(np.zeros_like(yp), yp, sensitive_features, privileged, unprivileged)
    base = yp[priv].mean()
    if base == 0:
        raise ValueError("disparate impact is undefined: the privileged group is never selected")
    return float(yp[unpriv].mean() / base)


def average_odds_difference(y_true: Any, y_pred: Any, *, sensitive_features: Any, privileged: Any,
                            unprivileged: Any = None) -> float:
    """AIF360's signed average odds difference ``½[(FPR_u − FPR_p) + (TPR_u − TPR_p)]``.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels (1 = favourable).
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    privileged : object
        Label of the privileged group (one of the groups in ``sensitive_features``).
    unprivileged : object, optional
        Label of the unprivileged group; None = every row outside the privileged group.

    Returns
    -------
    float
        The signed average odds difference, in [-1, 1].

    Raises
    ------
    ValueError
        A compared group without positives or negatives, ``privileged``/``unprivileged`` not among the
        groups, or bad labels.
    """
    yt, yp, priv, unpriv = _two_groups(y_true, y_pred, sensitive_features, privileged, unprivileged)
    rates = {}
    for name, mask in (("p", priv), ("u", unpriv)):
        tpr = _rate(yt[mask], yp[mask], None, "true_positive_rate")
        fpr = _rate(yt[mask], yp[mask], None, "false_positive_rate")
        if np.isnan(tpr) or np.isnan(fpr):
            raise ValueError("average odds difference is undefined: a group lacks positives or negatives")
        rates[name] = (tpr, fpr)
    return 0.5 * ((rates["u"][1] - rates["p"][1]) + (rates["u"][0] - rates["p"][0]))


@dataclass(frozen=True)
class FourFifths:
    """Result of :func:`four_fifths_rule`.

    Parameters
    ----------
    selection_rates : pandas.Series
        ``P(ŷ=1 | g)`` per group.
    impact_ratios : pandas.Series
        Each group's rate divided by the highest rate.
    reference : Any
        The group with the highest selection rate.
    adverse : list
        Groups whose impact ratio is below ``threshold``.
    threshold : float
        0.8 by default.


    """

    selection_rates: pd.Series
    impact_ratios: pd.Series
    reference: Any
    adverse: list
    threshold: float

    @property
    def passes(self) -> bool:
        """True when no group's impact ratio is below the threshold."""
        return not self.adverse


def four_fifths_rule(y_pred: Any, *, sensitive_features: Any, threshold: float = 0.8) -> FourFifths:
    """The EEOC four-fifths (80%) rule of adverse impact.

    "A selection rate for any race, sex, or ethnic group which is less than four-fifths (4/5) (or
    eighty percent) of the rate for the group with the highest rate will generally be regarded ...
    as evidence of adverse impact" (29 CFR § 1607.4(D)). Impact ratio ``r_g / max_h r_h``; a group is
    adverse when its ratio ``< threshold``. ``min`` of the impact ratios = the demographic parity ratio.

    Parameters
    ----------
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    threshold : float, default 0.8
        Impact ratio below which a group is adverse, in [0, 1].

    Returns
    -------
    FourFifths
        Selection rates, impact ratios, the reference group and the adverse groups.

    Raises
    ------
    ValueError
        No group is ever selected, fewer than two groups, bad labels or ``threshold``.

    Examples
    --------
    >>> res = four_fifths_rule([1, 1, 1, 0, 1, 1, 0, 0], sensitive_features=list("aaaabbbb"))
    >>> res.adverse, round(float(res.impact_ratios["b"]), 4)
    (['b'], 0.6667)
    """
    from mlops_course._validation import check_probability

    threshold = check_probability("threshold", threshold, open_low=False, open_high=False)
    yp = check_binary("y_pred", y_pred)
    rates = by_group("selection_rate", yp, yp, sensitive_features=sensitive_features)
    check_groups(sensitive_features, yp.size)  # at least two groups
    top = float(rates.max())
    if top == 0:
        raise ValueError("the four-fifths rule is undefined: no group is ever selected")
    impact = rates / top
    return FourFifths(rates, impact, rates.idxmax(), [g for g, r in impact.items() if r < threshold], threshold)


# --------------------------------------------------------------------------- calibration
def calibration_by_group(y_true: Any, y_prob: Any, *, sensitive_features: Any, n_bins: int = 10) -> pd.DataFrame:
    """Calibration within groups: in each group and score bin, mean score vs observed ``P(Y=1)``.

    A score is *calibrated within groups* (Kleinberg, Mullainathan & Raghavan 2017) when
    ``P(Y=1 | s, A=g) = s`` for every group: a score of 0.7 means a 70% chance whoever you are.
    Bins are ``n_bins`` equal-width intervals of [0, 1], assigned as scikit-learn's
    ``calibration_curve(strategy="uniform")`` does (``searchsorted`` on the inner edges); empty
    bins are omitted.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels.
    y_prob : array_like, shape (n,)
        Predicted probabilities in [0, 1].
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row (a DataFrame or 2-D array gives intersectional groups).
    n_bins : int, default 10
        Number of equal-width bins of [0, 1] (>= 1).

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``bin``, ``mean_predicted``, ``fraction_positive``, ``count``; one row per
        non-empty (group, bin).

    Raises
    ------
    ValueError
        Scores outside [0, 1], NaN, mismatched lengths, non-binary labels, ``n_bins < 1``.
    """
    yt = check_binary("y_true", y_true)
    prob = check_scores("y_prob", y_prob, yt.size, probability=True)
    groups = check_groups(sensitive_features, yt.size, min_groups=1)
    n_bins = check_int("n_bins", n_bins, minimum=1)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], prob)
    rows = []
    for i, label in enumerate(groups.labels):
        m = groups.codes == i
        for b in np.unique(bins[m]):
            mb = m & (bins == b)
            rows.append((label, int(b), float(prob[mb].mean()), float(yt[mb].mean()), int(mb.sum())))
    return pd.DataFrame(rows, columns=["group", "bin", "mean_predicted", "fraction_positive", "count"])
