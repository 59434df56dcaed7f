"""A per-group table of fairness rates with confidence intervals, and intervals on disparities.

For each group ``g`` (or each intersection of several sensitive features) the table lists its
size and the rates of :data:`mlops_course.fairness.metrics.RATES` (selection rate, TPR, FPR, FNR,
PPV, accuracy...). Every rate is a proportion ``k/n`` (``n`` = the rows in its denominator, e.g.
the group's positives for TPR), so its interval is a binomial one:

* ``interval="wilson"`` (default when intervals are asked for): the Wilson score interval
  ``(k + z²/2)/(n + z²) ± z/(n + z²)·sqrt(k(n−k)/n + z²/4)``, z the normal quantile
  (Wilson 1927; recommended by Brown, Cai & DasGupta 2001). It never has zero width and stays
  inside [0, 1]: 0 of 53 selected gives [0, 0.068] at 95%.
* ``interval="clopper-pearson"``: the exact interval from Beta quantiles,
  ``[B((1−c)/2; k, n−k+1), B((1+c)/2; k+1, n−k)]``; coverage >= c for every p (conservative).
* ``interval="bootstrap"``: the earlier percentile bootstrap (stratified, ``n_boot`` resamples).
  Kept for teaching: it under-covers for small groups and extreme rates (a group with 0 of 53
  selected always resamples to 0: the interval [0, 0] has zero width).

With ``reference=<group>`` the table also gives each group's difference to the reference group,
``rate_g − rate_ref``, with Newcombe's hybrid score interval for a difference of independent
proportions (Newcombe 1998, method 10): with Wilson limits ``(l₁, u₁)``, ``(l₂, u₂)``,

    [d − sqrt((p₁ − l₁)² + (u₂ − p₂)²),  d + sqrt((u₁ − p₁)² + (p₂ − l₂)²)].

The point estimates equal ``fairlearn.metrics.MetricFrame(...).by_group`` and the intervals equal
``scipy.stats.binomtest(k, n).proportion_ci`` (tested); coverage is checked by simulation.

References
----------
E. B. Wilson, JASA 22 (1927). C. J. Clopper, E. S. Pearson, Biometrika 26 (1934). L. D. Brown,
T. T. Cai, A. DasGupta, "Interval Estimation for a Binomial Proportion", Statistical Science 16
(2001). R. G. Newcombe, "Interval estimation for the difference between independent proportions:
comparison of eleven methods", Statistics in Medicine 17 (1998). Efron & Tibshirani 1993, §13.3.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlops_course._validation import check_choice, check_int, check_probability, check_rng
from mlops_course.fairness._inputs import check_binary, check_groups
from mlops_course.fairness.metrics import RATES, _rate

__all__ = ["DEFAULT_METRICS", "INTERVALS", "group_table", "wilson_interval", "clopper_pearson_interval",
           "newcombe_interval"]

#: Interval methods of :func:`group_table`.
INTERVALS: tuple[str, ...] = ("wilson", "clopper-pearson", "bootstrap")

DEFAULT_METRICS: tuple[str, ...] = (
    "selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
    "positive_predictive_value", "accuracy",
)


def _z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + check_probability("confidence", confidence) / 2.0))


def _check_counts(k: Any, n: Any) -> tuple[int, int]:
    k = check_int("k", k, minimum=0)
    n = check_int("n", n, minimum=1)
    if k > n:
        raise ValueError(f"k must be <= n, got k={k}, n={n}")
    return k, n


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n.

    Formula: ``(k + z²/2)/(n + z²) ± z/(n + z²) · sqrt(k(n − k)/n + z²/4)``.

    Parameters
    ----------
    k, n : int
        Successes and trials, 0 <= k <= n, n >= 1.
    confidence : float
        Level in (0, 1).

    Returns
    -------
    (low, high) : tuple of float

    Raises
    ------
    ValueError, TypeError
        If the counts or the level are out of range.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(0, 53)]
    [0.0, 0.0676]
    """
    k, n = _check_counts(k, n)
    z = _z(confidence)
    centre = (k + z * z / 2.0) / (n + z * z)
    half = z / (n + z * z) * np.sqrt(k * (n - k) / n + z * z / 4.0)
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def clopper_pearson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval: Beta quantiles, coverage >= ``confidence`` for every p.

    Formula: ``low = B((1−c)/2; k, n−k+1)`` (0 if k = 0), ``high = B((1+c)/2; k+1, n−k)`` (1 if k = n).

    Parameters
    ----------
    k, n : int
        Successes and trials, 0 <= k <= n, n >= 1.
    confidence : float
        Level in (0, 1).

    Returns
    -------
    (low, high) : tuple of float

    Raises
    ------
    ValueError, TypeError
        If the counts or the level are out of range.

    Examples
    --------
    >>> [round(v, 4) for v in clopper_pearson_interval(0, 53)]
    [0.0, 0.0672]
    """
    from scipy.stats import beta

    k, n = _check_counts(k, n)
    c = check_probability("confidence", confidence)
    low = 0.0 if k == 0 else float(beta.ppf((1 - c) / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf((1 + c) / 2, k + 1, n - k))
    return low, high


def newcombe_interval(k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Newcombe's hybrid score interval for ``p₁ − p₂`` (independent samples; Newcombe 1998, method 10).

    Formula: with ``d = k₁/n₁ − k₂/n₂`` and Wilson limits ``(l₁, u₁)``, ``(l₂, u₂)``,
    ``[d − sqrt((p₁ − l₁)² + (u₂ − p₂)²), d + sqrt((u₁ − p₁)² + (p₂ − l₂)²)]``.

    Parameters
    ----------
    k1, n1, k2, n2 : int
        Successes and trials of the two groups.
    confidence : float
        Level in (0, 1).

    Returns
    -------
    (difference, low, high) : tuple of float

    Raises
    ------
    ValueError, TypeError
        If the counts or the level are out of range.

    Examples
    --------
    >>> [round(v, 4) for v in newcombe_interval(56, 70, 48, 80)]  # Newcombe 1998, Table II (a)
    [0.2, 0.0524, 0.3339]
    """
    k1, n1 = _check_counts(k1, n1)
    k2, n2 = _check_counts(k2, n2)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, confidence)
    l2, u2 = wilson_interval(k2, n2, confidence)
    d = p1 - p2
    return d, d - float(np.hypot(p1 - l1, u2 - p2)), d + float(np.hypot(u1 - p1, p2 - l2))


def _counts(yt: np.ndarray, yp: np.ndarray, kind: str) -> tuple[int, int]:
    """``(k, n)`` with rate = k/n for the rates of :data:`RATES` (n = 0 when undefined)."""
    if kind == "selection_rate":
        return int(yp.sum()), yp.size
    if kind == "accuracy":
        return int((yt == yp).sum()), yt.size
    cond, num = {
        "true_positive_rate": (yt == 1, yp == 1),
        "false_positive_rate": (yt == 0, yp == 1),
        "false_negative_rate": (yt == 1, yp == 0),
        "true_negative_rate": (yt == 0, yp == 0),
        "positive_predictive_value": (yp == 1, yt == 1),
    }[kind]
    return int((cond & num).sum()), int(cond.sum())


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
                rng: np.random.Generator | int | None = None, interval: str | None = None,
                reference: Any = None) -> pd.DataFrame:
    """Per-group rates (one row per group) with optional confidence intervals and disparities.

    Parameters
    ----------
    y_true, y_pred : array_like of 0/1
        True labels and decisions.
    sensitive_features : array_like, Series or DataFrame
        One attribute or several (intersectional groups; the index is then a MultiIndex).
    metrics : sequence of str
        Keys of :data:`mlops_course.fairness.metrics.RATES`.
    n_boot : int
        Bootstrap resamples per group for ``interval="bootstrap"``. For backwards compatibility
        ``n_boot > 0`` without ``interval`` asks for (Wilson) intervals; the generator is then
        not used.
    confidence : float
        Level of the intervals, in (0, 1).
    rng : numpy.random.Generator or int
        Required for ``interval="bootstrap"``.
    interval : {"wilson", "clopper-pearson", "bootstrap"}, optional
        Interval method (module docstring). Default: no intervals, or Wilson when ``n_boot > 0``.
    reference : group label, optional
        Adds ``<metric>_diff`` = rate − rate of this group and, with intervals, Newcombe's
        ``<metric>_diff_low`` / ``<metric>_diff_high`` (a tuple for intersectional groups).

    Returns
    -------
    pandas.DataFrame
        Column ``count``, one column per metric and, with intervals, ``<metric>_low`` and
        ``<metric>_high`` (then the ``_diff`` columns if ``reference`` is given). A rate
        undefined in a group (no positives, nothing selected) is NaN, as are its interval and
        difference.

    Raises
    ------
    ValueError
        Unknown metric or interval, bad labels or lengths, missing values, ``n_boot < 0``,
        ``confidence`` outside (0, 1), a bootstrap without ``n_boot > 0`` and an ``rng``, or a
        ``reference`` that is not a group.

    Examples
    --------
    >>> t = group_table([1, 0, 1, 1], [1, 0, 0, 1], sensitive_features=["a", "a", "b", "b"],
    ...                 metrics=["selection_rate", "accuracy"])
    >>> t["accuracy"].tolist()
    [1.0, 0.5]
    >>> t = group_table([0] * 53, [0] * 53, sensitive_features=["b"] * 53, metrics=["selection_rate"],
    ...                 interval="wilson")
    >>> t[["selection_rate_low", "selection_rate_high"]].round(3).values.tolist()
    [[0.0, 0.068]]
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
    if interval is None:
        interval = "wilson" if n_boot > 0 else None
    else:
        check_choice("interval", interval, INTERVALS, note=" or None")
    if interval == "bootstrap":
        if n_boot == 0:
            raise ValueError("n_boot must be > 0 for interval='bootstrap'")
        if rng is None:
            raise ValueError("rng must be given when n_boot > 0 (a numpy.random.Generator or an int seed)")
        rng = check_rng(rng)
    ref_index = None
    if reference is not None:
        check_choice("reference", reference, list(groups.labels), note=" (the groups in sensitive_features)")
        ref_index = list(groups.labels).index(reference)
    lo_q, hi_q = 100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2
    one_interval = {"wilson": wilson_interval, "clopper-pearson": clopper_pearson_interval}.get(interval or "")
    rows, counts = [], []
    for i in range(groups.k):
        idx = np.flatnonzero(groups.codes == i)
        row: dict[str, Any] = {"count": idx.size}
        counts.append({m: _counts(yt[idx], yp[idx], m) for m in metrics})
        for m in metrics:
            row[m] = _rate(yt[idx], yp[idx], None, m)
        if one_interval is not None:
            for m in metrics:
                k, n = counts[-1][m]
                row[f"{m}_low"], row[f"{m}_high"] = one_interval(k, n, confidence) if n else (np.nan, np.nan)
        elif interval == "bootstrap":
            draws = idx[rng.integers(0, idx.size, size=(n_boot, idx.size))]
            for m in metrics:
                values = _rates_matrix(yt[draws], yp[draws], m)
                values = values[~np.isnan(values)]
                row[f"{m}_low"] = float(np.percentile(values, lo_q)) if values.size else np.nan
                row[f"{m}_high"] = float(np.percentile(values, hi_q)) if values.size else np.nan
        rows.append(row)
    if ref_index is not None:
        for i, row in enumerate(rows):
            for m in metrics:
                (k1, n1), (k2, n2) = counts[i][m], counts[ref_index][m]
                if n1 == 0 or n2 == 0:
                    row[f"{m}_diff"] = row[f"{m}_diff_low"] = row[f"{m}_diff_high"] = np.nan
                    continue
                d, lo, hi = newcombe_interval(k1, n1, k2, n2, confidence)
                row[f"{m}_diff"], row[f"{m}_diff_low"], row[f"{m}_diff_high"] = d, lo, hi
    if len(groups.names) == 1:
        index = pd.Index(groups.labels, name=groups.names[0])
    else:
        index = pd.MultiIndex.from_tuples(groups.labels, names=groups.names)
    columns = ["count"]
    for m in metrics:
        columns += [m] + ([f"{m}_low", f"{m}_high"] if interval is not None else [])
    if ref_index is not None:
        for m in metrics:
            columns += [f"{m}_diff"] + ([f"{m}_diff_low", f"{m}_diff_high"] if interval is not None else [])
    return pd.DataFrame(rows, index=index)[columns]
