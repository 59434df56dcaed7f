"""Group-specific decision thresholds: a post-processing mitigation.

A score ``s`` (e.g. a predicted probability of repaying) becomes a decision ``ŷ = 1[s ≥ t_g]``
with one threshold per group ``g``. Moving the thresholds trades accuracy for a fairness
criterion without retraining:

* **demographic parity** — choose ``t_g`` so every group is selected at the same rate ``q``:
  in a group of ``m`` scores select the ``k = ⌊q·m + ½⌋`` highest, i.e. ``t_g`` = the ``k``-th
  largest score (achieved rate within ``1/(2m)`` of ``q`` when scores are distinct);
* **equal opportunity** — the same with the scores of the qualified (``Y=1``) rows: every group
  gets the same true-positive rate;
* **equalized odds** — equal TPR *and* FPR: with deterministic thresholds this is usually only
  approximately possible; :func:`equalized_odds_thresholds` searches for the most accurate
  thresholds whose equalized-odds difference on the data is at most ``tolerance`` (exact equalized odds needs randomised thresholds, Hardt, Price & Srebro 2016,
  which fairlearn's ``ThresholdOptimizer`` implements).

Using the group at decision time is *disparate treatment* in some jurisdictions (e.g. US lending
law); the notebook discusses it. Thresholds are fitted on training data and evaluated held-out.

Reference: M. Hardt, E. Price, N. Srebro, "Equality of opportunity in supervised learning",
NeurIPS 2016.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mlops_course._validation import check_int, check_nonnegative, check_probability
from mlops_course.fairness._inputs import check_binary, check_groups, check_scores

__all__ = ["apply_thresholds", "threshold_for_rate", "demographic_parity_thresholds",
           "equal_opportunity_thresholds", "equalized_odds_thresholds"]


def _groups_and_scores(scores: Any, sensitive_features: Any, min_groups: int = 1):
    s = check_scores("scores", scores)
    groups = check_groups(sensitive_features, s.size, ref_name="scores", min_groups=min_groups)
    return s, groups


def apply_thresholds(scores: Any, sensitive_features: Any, thresholds: Mapping[Any, float]) -> np.ndarray:
    """Decisions ``ŷ_i = 1[s_i ≥ t_{g_i}]``.

    Parameters
    ----------
    scores : array_like of float
    sensitive_features : array_like
        Group of each row; every group must have a threshold.
    thresholds : mapping group -> float
        ``inf`` selects nobody, ``-inf`` everybody.

    Returns
    -------
    numpy.ndarray of int (0/1)

    Raises
    ------
    ValueError
        A group without a threshold, a NaN threshold, mismatched lengths.

    Examples
    --------
    >>> apply_thresholds([0.2, 0.6, 0.2, 0.6], ["a", "a", "b", "b"], {"a": 0.5, "b": 0.1}).tolist()
    [0, 1, 1, 1]
    """
    s, groups = _groups_and_scores(scores, sensitive_features)
    if not isinstance(thresholds, Mapping):
        raise TypeError(f"thresholds must be a mapping group -> threshold, got {type(thresholds).__name__}")
    t = np.empty(groups.k)
    for i, label in enumerate(groups.labels):
        if label not in thresholds:
            raise ValueError(f"thresholds has no entry for group {label!r} (groups: {groups.labels})")
        value = float(thresholds[label])
        if np.isnan(value):
            raise ValueError(f"thresholds[{label!r}] must be a number, got nan")
        t[i] = value
    return (s >= t[groups.codes]).astype(int)


def threshold_for_rate(scores: Any, rate: float) -> float:
    """Threshold ``t`` such that ``mean(scores ≥ t)`` is as close to ``rate`` as the scores allow.

    ``k = ⌊rate·m + ½⌋`` scores are selected: ``t`` is the ``k``-th largest score (``inf`` if
    ``k = 0``). With tied scores more than ``k`` may pass.

    Parameters
    ----------
    scores : array_like, shape (m,)
        Finite scores.
    rate : float
        Target selection rate in [0, 1].

    Returns
    -------
    float
        The threshold ``t``.

    Raises
    ------
    TypeError
        If the scores are not numeric or ``rate`` not a real number.
    ValueError
        Empty or non-finite scores, or ``rate`` outside [0, 1].

    Examples
    --------
    >>> threshold_for_rate([0.1, 0.4, 0.35, 0.8], 0.5)
    0.4
    """
    s = check_scores("scores", scores)
    rate = check_probability("rate", rate, open_low=False, open_high=False)
    k = int(np.floor(rate * s.size + 0.5))
    if k == 0:
        return float("inf")
    return float(np.sort(s)[::-1][k - 1])


def demographic_parity_thresholds(scores: Any, sensitive_features: Any,
                                  target_rate: float | None = None) -> dict[Any, float]:
    """Per-group thresholds that select every group at the same rate (demographic parity).

    Parameters
    ----------
    scores : array_like of float
    sensitive_features : array_like
    target_rate : float, optional
        Common selection rate in [0, 1]; default: the overall share of scores ≥ 0.5 (the rate of
        the single-threshold policy, so the total number selected stays about the same).

    Returns
    -------
    dict group -> threshold

    Examples
    --------
    >>> demographic_parity_thresholds([0.1, 0.9, 0.2, 0.3], ["a", "a", "b", "b"], 0.5)
    {'a': 0.9, 'b': 0.3}
    """
    s, groups = _groups_and_scores(scores, sensitive_features, min_groups=2)
    if target_rate is None:
        target_rate = float(np.mean(s >= 0.5))
    target_rate = check_probability("target_rate", target_rate, open_low=False, open_high=False)
    return {label: threshold_for_rate(s[groups.codes == i], target_rate) for i, label in enumerate(groups.labels)}


def equal_opportunity_thresholds(scores: Any, y_true: Any, sensitive_features: Any,
                                 target_tpr: float | None = None) -> dict[Any, float]:
    """Per-group thresholds giving every group the same true-positive rate (equal opportunity).

    ``t_g`` = :func:`threshold_for_rate` of the scores of group ``g``'s positives (``Y=1``) at
    ``target_tpr`` (default: the overall TPR of the 0.5 threshold).

    Parameters
    ----------
    scores : array_like, shape (n,)
        Finite scores.
    y_true : array_like of 0/1, shape (n,)
        True labels.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row: 1-D for one attribute, a DataFrame or 2-D array for intersectional groups.
    target_tpr : float or None, default None
        Common true-positive rate in [0, 1].

    Returns
    -------
    dict
        Group label -> threshold ``t_g``.

    Raises
    ------
    ValueError
        A group without positives, plus the usual input errors.
    """
    s, groups = _groups_and_scores(scores, sensitive_features, min_groups=2)
    yt = check_binary("y_true", y_true, s.size, "scores")
    if target_tpr is None:
        if not yt.any():
            raise ValueError("y_true has no positive: the true-positive rate is undefined")
        target_tpr = float(np.mean(s[yt == 1] >= 0.5))
    target_tpr = check_probability("target_tpr", target_tpr, open_low=False, open_high=False)
    out = {}
    for i, label in enumerate(groups.labels):
        pos = s[(groups.codes == i) & (yt == 1)]
        if pos.size == 0:
            raise ValueError(f"group {label!r} has no positive (Y=1) row: its TPR is undefined")
        out[label] = threshold_for_rate(pos, target_tpr)
    return out


def _roc_points(s: np.ndarray, y: np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TPR, FPR and number of correct decisions at each candidate threshold (``ŷ = 1[s ≥ t]``)."""
    pos, neg = np.sort(s[y == 1]), np.sort(s[y == 0])
    tp = pos.size - np.searchsorted(pos, candidates, side="left")
    fp = neg.size - np.searchsorted(neg, candidates, side="left")
    tpr = tp / pos.size
    fpr = fp / neg.size
    correct = tp + (neg.size - fp)
    return tpr, fpr, correct


def equalized_odds_thresholds(scores: Any, y_true: Any, sensitive_features: Any, *,
                              tolerance: float = 0.02, n_candidates: int = 101) -> dict[Any, float]:
    """Deterministic per-group thresholds that (approximately) equalise TPR and FPR.

    Search: ``n_candidates`` thresholds per group (score quantiles, plus ``inf``). For every
    candidate of the largest group (the reference), each other group takes the candidate whose
    ``(TPR, FPR)`` is closest to the reference's in max-norm. Among these combinations the most
    accurate one whose equalized-odds difference ``max(d_TPR, d_FPR)`` is at most ``tolerance`` is
    returned (if none is, the one with the smallest difference). Note that the trivial rules
    "accept nobody" and "accept everybody" always have difference 0: a tolerance of 0 usually
    returns one of them, which is why the default allows 0.02.
    Parameters
    ----------
    scores : array_like of float
    y_true : array_like of 0/1
    sensitive_features : array_like
    tolerance : float
        Largest equalized-odds difference (on these data) accepted, >= 0.
    n_candidates : int
        Thresholds tried per group (>= 2).

    Returns
    -------
    dict group -> threshold

    Raises
    ------
    ValueError
        A group lacking positives or negatives, plus the usual input errors.
    """
    s, groups = _groups_and_scores(scores, sensitive_features, min_groups=2)
    yt = check_binary("y_true", y_true, s.size, "scores")
    tolerance = check_nonnegative("tolerance", tolerance)
    n_candidates = check_int("n_candidates", n_candidates, minimum=2)
    per_group = []
    for i, label in enumerate(groups.labels):
        m = groups.codes == i
        if yt[m].all() or not yt[m].any():
            raise ValueError(f"group {label!r} needs both positive and negative rows for equalized odds")
        cand = np.unique(np.concatenate([np.quantile(s[m], np.linspace(0, 1, n_candidates)), [np.inf]]))
        per_group.append((cand, *_roc_points(s[m], yt[m], cand)))
    ref = int(np.argmax(np.bincount(groups.codes)))
    r_cand, r_tpr, r_fpr, r_correct = per_group[ref]
    choice = np.zeros((r_cand.size, groups.k), dtype=int)
    correct = r_correct.astype(float).copy()
    tprs = np.zeros((r_cand.size, groups.k))
    fprs = np.zeros((r_cand.size, groups.k))
    for g, (_cand, tpr, fpr, corr) in enumerate(per_group):
        if g == ref:
            choice[:, g] = np.arange(r_cand.size)
            tprs[:, g], fprs[:, g] = r_tpr, r_fpr
            continue
        dist = np.maximum(np.abs(tpr[None, :] - r_tpr[:, None]), np.abs(fpr[None, :] - r_fpr[:, None]))
        best = np.argmin(dist, axis=1)
        choice[:, g] = best
        tprs[:, g], fprs[:, g] = tpr[best], fpr[best]
        correct += corr[best]
    eod = np.maximum(tprs.max(axis=1) - tprs.min(axis=1), fprs.max(axis=1) - fprs.min(axis=1))
    ok = eod <= tolerance + 1e-12
    if not ok.any():
        ok = eod <= eod.min() + 1e-12
    pick = int(np.flatnonzero(ok)[np.argmax(correct[ok])])
    return {label: float(per_group[g][0][choice[pick, g]]) for g, label in enumerate(groups.labels)}
