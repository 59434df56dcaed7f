"""A per-group table of fairness rates with bootstrap confidence intervals.

For each group ``g`` (or each intersection of several sensitive features) the table lists its
size and the rates of :data:`mlops_course.fairness.metrics.RATES` (selection rate, TPR, FPR, FNR,
PPV, accuracy...). With ``n_boot > 0`` every rate also gets a percentile bootstrap interval:
the rows of each group are resampled with replacement ``n_boot`` times (a *stratified*
bootstrap: group sizes stay fixed, as in a design where the groups are given), the rate is
recomputed on each resample, and the interval is the ``(1−c)/2`` and ``(1+c)/2`` percentiles of
those values (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, §13.3). Small groups
get wide intervals: the point of the table is to show how uncertain a disparity measured on
51 black women really is.

The point estimates equal ``fairlearn.metrics.MetricFrame(...).by_group`` (tested).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlops_course._validation import check_int, check_probability, check_rng
from mlops_course.fairness._inputs import check_binary, check_groups
from mlops_course.fairness.metrics import RATES, _rate

__all__ = ["DEFAULT_METRICS", "group_table"]

DEFAULT_METRICS: tuple[str, ...] = (
    "selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
    "positive_predictive_value", "accuracy",
)


def _rates_matrix(yt: np.ndarray, yp: np.ndarray, kind: str) -> np.ndarray:
    """Rate ``kind`` of each row of the ``(B, m)`` matrices ``yt``, ``yp`` (NaN when undefined)."""
    if kind == "selection_rate":
        return yp.mean(axis=1)
    if kind == "accuracy":
        return (yt == yp).mean(axis=1)
    cond, num = {
        "true_positive_rate": (yt == 1, yp == 1),
        "false_positive_rate": (yt == 0, yp == 1),
        "false_negative_rate": (yt == 1, yp == 0),
        "true_negative_rate": (yt == 0, yp == 0),
        "positive_predictive_value": (yp == 1, yt == 1),
    }[kind]
    den = cond.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (cond & num).sum(axis=1) / den, np.nan)


def group_table(y_true: Any, y_pred: Any, *, sensitive_features: Any,
                metrics: Sequence[str] = DEFAULT_METRICS, n_boot: int = 0, confidence: float = 0.95,
                rng: np.random.Generator | int | None = None) -> pd.DataFrame:
    """Per-group rates (one row per group) with optional bootstrap confidence intervals.

    Parameters
    ----------
    y_true, y_pred : array_like of 0/1
        True labels and decisions.
    sensitive_features : array_like, Series or DataFrame
        One attribute or several (intersectional groups; the index is then a MultiIndex).
    metrics : sequence of str
        Keys of :data:`mlops_course.fairness.metrics.RATES`.
    n_boot : int
        Bootstrap resamples per group (0: no intervals). 1,000-2,000 for a report, a few dozen
        in tests.
    confidence : float
        Level of the percentile intervals, in (0, 1).
    rng : numpy.random.Generator or int
        Required when ``n_boot > 0``.

    Returns
    -------
    pandas.DataFrame
        Column ``count``, one column per metric and, with ``n_boot > 0``, ``<metric>_low`` and
        ``<metric>_high``. A rate undefined in a group (no positives, nothing selected) is NaN;
        its interval ignores resamples where it is undefined.

    Raises
    ------
    ValueError
        Unknown metric, bad labels or lengths, missing values, ``n_boot < 0``, ``confidence``
        outside (0, 1), or ``n_boot > 0`` without an ``rng``.

    Examples
    --------
    >>> t = group_table([1, 0, 1, 1], [1, 0, 0, 1], sensitive_features=["a", "a", "b", "b"],
    ...                 metrics=["selection_rate", "accuracy"])
    >>> t["accuracy"].tolist()
    [1.0, 0.5]
    """
    yt = check_binary("y_true", y_true)
    yp = check_binary("y_pred", y_pred, yt.size, "y_true")
    groups = check_groups(sensitive_features, yt.size, min_groups=1)
    if isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    if not metrics:
        raise ValueError("metrics must name at least one rate")
    for m in metrics:
        if m not in RATES:
            raise ValueError(f"metrics: unknown rate {m!r}; allowed: {sorted(RATES)}")
    n_boot = check_int("n_boot", n_boot, minimum=0)
    confidence = check_probability("confidence", confidence)
    if n_boot > 0:
        if rng is None:
            raise ValueError("rng must be given when n_boot > 0 (a numpy.random.Generator or an int seed)")
        rng = check_rng(rng)
    lo_q, hi_q = 100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2
    rows = []
    for i in range(groups.k):
        idx = np.flatnonzero(groups.codes == i)
        row: dict[str, Any] = {"count": idx.size}
        for m in metrics:
            row[m] = _rate(yt[idx], yp[idx], None, m)
        if n_boot > 0:
            draws = idx[rng.integers(0, idx.size, size=(n_boot, idx.size))]
            for m in metrics:
                values = _rates_matrix(yt[draws], yp[draws], m)
                values = values[~np.isnan(values)]
                row[f"{m}_low"] = float(np.percentile(values, lo_q)) if values.size else np.nan
                row[f"{m}_high"] = float(np.percentile(values, hi_q)) if values.size else np.nan
        rows.append(row)
    if len(groups.names) == 1:
        index = pd.Index(groups.labels, name=groups.names[0])
    else:
        index = pd.MultiIndex.from_tuples(groups.labels, names=groups.names)
    columns = ["count"]
    for m in metrics:
        columns += [m] + ([f"{m}_low", f"{m}_high"] if n_boot > 0 else [])
    return pd.DataFrame(rows, index=index)[columns]
