"""Statistical auditing helpers for noise mechanisms (used by the tests; private).

* :func:`dp_ratio_violations` — an empirical pure-DP check on neighbouring inputs: for every bin
  ``i``, with counts ``a_i ~ Bin(n_a, p_i)`` (input D) and ``b_i ~ Bin(n_b, q_i)`` (input D'), it
  flags the bin if a one-sided Clopper–Pearson lower bound on ``p_i`` exceeds ``e^ε`` times the
  upper bound on ``q_i`` (or vice versa). Every bound has level ``α/(4k)`` for ``k`` bins, so by
  the union bound a mechanism that really satisfies ``p_i <= e^ε q_i`` and ``q_i <= e^ε p_i`` is
  flagged with probability at most ``α`` (default 1e-6), whatever bins are skipped for low mass.
* :func:`chisquare_pvalue` — Pearson's chi-square goodness of fit of integer samples to exact
  probabilities, pooling cells whose expected count is below 5.

Reference: C. J. Clopper and E. S. Pearson, Biometrika 26(4), 1934; Z. Ding et al.,
"Detecting Violations of Differential Privacy", CCS 2018 (the idea of testing counts on events).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats


def clopper_pearson_lower(k: np.ndarray, n: int, alpha: float) -> np.ndarray:
    """One-sided lower confidence bound on a binomial proportion (level ``1 - alpha``)."""
    k = np.asarray(k, dtype=float)
    with np.errstate(invalid="ignore"):
        lo = stats.beta.ppf(alpha, k, n - k + 1)
    return np.where(k > 0, lo, 0.0)


def clopper_pearson_upper(k: np.ndarray, n: int, alpha: float) -> np.ndarray:
    """One-sided upper confidence bound on a binomial proportion (level ``1 - alpha``)."""
    k = np.asarray(k, dtype=float)
    with np.errstate(invalid="ignore"):
        hi = stats.beta.ppf(1.0 - alpha, k + 1, n - k)
    return np.where(k < n, hi, 1.0)


def dp_ratio_violations(
    counts_a: Any,
    counts_b: Any,
    epsilon: float,
    *,
    alpha: float = 1e-6,
    min_count: int = 30,
) -> dict[str, Any]:
    """Bins whose empirical probability ratio provably exceeds ``e^ε`` (see module docstring).

    Parameters
    ----------
    counts_a, counts_b : array_like of int, shape (k,)
        Bin counts of the outputs on D and D' (each should sum to its sample size; include
        overflow bins so that they do).
    epsilon : float
        The claimed ε.
    alpha : float, default 1e-6
        Overall false-alarm probability for a mechanism that is ε-DP.
    min_count : int, default 30
        Bins where both counts are below ``min_count`` are skipped (they cannot show anything).

    Returns
    -------
    dict
        ``violations`` (indices of flagged bins), ``tested`` (number of bins tested),
        ``max_ratio_lower`` (largest lower bound on a ratio over tested bins, compare with e^ε).
    """
    a = np.asarray(counts_a, dtype=np.int64)
    b = np.asarray(counts_b, dtype=np.int64)
    n_a, n_b = int(a.sum()), int(b.sum())
    level = alpha / (4 * a.size)
    tested = (a >= min_count) | (b >= min_count)
    lo_a, hi_a = clopper_pearson_lower(a, n_a, level), clopper_pearson_upper(a, n_a, level)
    lo_b, hi_b = clopper_pearson_lower(b, n_b, level), clopper_pearson_upper(b, n_b, level)
    bound = math.exp(epsilon)
    bad = tested & ((lo_a > bound * hi_b) | (lo_b > bound * hi_a))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_lo = np.maximum(lo_a / hi_b, lo_b / hi_a)
    return {
        "violations": np.flatnonzero(bad),
        "tested": int(tested.sum()),
        "max_ratio_lower": float(np.max(np.where(tested, ratio_lo, 0.0))),
    }


def chisquare_pvalue(samples: Any, support: Any, probs: Any) -> float:
    """Chi-square p-value of integer ``samples`` against exact ``probs`` on ``support``.

    Values outside ``support`` form one extra cell with probability ``1 - sum(probs)``; cells with
    an expected count below 5 are pooled into that cell (and the pool into the smallest cell if it
    is still below 5).
    """
    x = np.asarray(samples).ravel()
    sup = np.asarray(support)
    p = np.asarray(probs, dtype=float)
    n = x.size
    order = np.argsort(sup)
    sup, p = sup[order], p[order]
    pos = np.searchsorted(sup, x)
    inside = (pos < sup.size) & (sup[np.minimum(pos, sup.size - 1)] == x)
    counts = np.bincount(pos[inside], minlength=sup.size).astype(float)
    keep = p * n >= 5
    obs = list(counts[keep])
    exp = list(p[keep] * n)
    rest_obs = n - sum(obs)
    rest_exp = max(n - sum(exp), 0.0)
    if rest_exp >= 5:
        obs.append(rest_obs)
        exp.append(rest_exp)
    else:
        i = int(np.argmin(exp))
        obs[i] += rest_obs
        exp[i] += rest_exp
    obs_arr, exp_arr = np.asarray(obs), np.asarray(exp)
    exp_arr *= n / exp_arr.sum()  # guard against rounding in 1 - sum(probs)
    return float(stats.chisquare(obs_arr, exp_arr).pvalue)
