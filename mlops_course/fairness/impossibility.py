"""Impossibility results: why the fairness criteria cannot all hold at once.

**Chouldechova (2017).** For any binary decision in a group with prevalence ``p = P(Y=1)``,
the confusion matrix forces

    FPR = p/(1 − p) · (1 − PPV)/PPV · (1 − FNR).

(Proof: ``FP = TP·(1−PPV)/PPV``, ``TP = p·n·(1−FNR)`` and ``FPR = FP/((1−p)·n)``.) So if two groups
have different prevalences, a decision rule with equal PPV (predictive parity) in both must
have unequal FPR or unequal FNR: predictive parity and error-rate balance are incompatible.

**Kleinberg, Mullainathan & Raghavan (2017).** For a score ``s ∈ [0, 1]`` *calibrated* in a group
(``P(Y=1 | s) = s``), the generalized error rates ``gFPR = E[s | Y=0]`` and ``gFNR = 1 − E[s | Y=1]``
satisfy

    (1 − p)·gFPR = p·gFNR,   i.e.   gFPR = p/(1 − p) · gFNR

(because ``E[s] = p`` and ``E[s·Y] = p·(1 − gFNR)``). Each group lies on its own line through the
origin with slope ``p/(1−p)``; unless prevalences are equal or prediction is perfect
(``gFPR = gFNR = 0``) no calibrated score has balanced errors for both classes.

References: A. Chouldechova, "Fair prediction with disparate impact: a study of bias in
recidivism prediction instruments", Big Data 5(2) (2017) 153-163, eq. (2.6); J. Kleinberg,
S. Mullainathan, M. Raghavan, "Inherent trade-offs in the fair determination of risk scores",
ITCS 2017, Thm 1.1 and §3.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlops_course._validation import check_int, check_probability
from mlops_course.fairness._inputs import check_binary, check_groups, check_scores
from mlops_course.fairness.metrics import _rate

__all__ = ["chouldechova_fpr", "chouldechova_table", "calibrate_within_groups", "kmr_table"]


def chouldechova_fpr(prevalence: float, ppv: float, fnr: float) -> float:
    """The false-positive rate forced by prevalence, PPV and FNR (Chouldechova 2017, eq. 2.6).

    ``FPR = p/(1 − p) · (1 − PPV)/PPV · (1 − FNR)``.

    Parameters
    ----------
    prevalence : float
        ``p = P(Y=1)`` in (0, 1).
    ppv : float
        Positive predictive value in (0, 1].
    fnr : float
        False-negative rate in [0, 1].

    Returns
    -------
    float
        The implied false-positive rate.

    Raises
    ------
    TypeError
        If an argument is not a real number.
    ValueError
        If an argument is outside its interval.

    Examples
    --------
    >>> round(chouldechova_fpr(0.5, 0.8, 0.2), 6)
    0.2
    """
    p = check_probability("prevalence", prevalence)
    ppv = check_probability("ppv", ppv, open_high=False)
    fnr = check_probability("fnr", fnr, open_low=False, open_high=False)
    return p / (1.0 - p) * (1.0 - ppv) / ppv * (1.0 - fnr)


def chouldechova_table(y_true: Any, y_pred: Any, *, sensitive_features: Any) -> pd.DataFrame:
    """Per group: prevalence, PPV, FNR, the observed FPR and the FPR the identity predicts.

    The two FPR columns agree to rounding error in every group (an algebraic identity); the
    table shows that equal PPV with unequal prevalence forces unequal FPR or FNR.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels.
    y_pred : array_like of 0/1, shape (n,)
        Decisions.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row: 1-D for one attribute, a DataFrame or 2-D array for intersectional groups.

    Returns
    -------
    pandas.DataFrame
        Index: group; columns ``count``, ``prevalence``, ``ppv``, ``fnr``, ``fpr``, ``fpr_identity``.

    Raises
    ------
    ValueError
        A group where the identity is undefined (no positives, no negatives or nothing selected).
    """
    yt = check_binary("y_true", y_true)
    yp = check_binary("y_pred", y_pred, yt.size, "y_true")
    groups = check_groups(sensitive_features, yt.size, min_groups=1)
    rows = []
    for i, label in enumerate(groups.labels):
        m = groups.codes == i
        p = float(yt[m].mean())
        ppv = _rate(yt[m], yp[m], None, "positive_predictive_value")
        if not 0 < p < 1 or np.isnan(ppv) or ppv == 0:
            raise ValueError(f"group {label!r}: the identity needs 0 < prevalence < 1 and PPV > 0 "
                             f"(prevalence {p:.3g}, PPV {ppv:.3g})")
        fnr = _rate(yt[m], yp[m], None, "false_negative_rate")
        fpr = _rate(yt[m], yp[m], None, "false_positive_rate")
        rows.append((label, int(m.sum()), p, ppv, fnr, fpr, chouldechova_fpr(p, ppv, fnr)))
    frame = pd.DataFrame(rows, columns=["group", "count", "prevalence", "ppv", "fnr", "fpr", "fpr_identity"])
    return frame.set_index("group")


def calibrate_within_groups(y_true: Any, scores: Any, *, sensitive_features: Any, n_bins: int = 10) -> np.ndarray:
    """Histogram-binning calibration per group: replace each score by the observed ``P(Y=1)``
    of its (group, bin) cell (Zadrozny & Elkan 2001).

    The result is calibrated within every group *on these data* exactly: among rows of group ``g``
    with calibrated score ``c``, the fraction with ``Y=1`` is ``c``. Bins: ``n_bins`` equal-width
    intervals of the score's range.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels.
    scores : array_like, shape (n,)
        Finite scores to calibrate.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row: 1-D for one attribute, a DataFrame or 2-D array for intersectional groups.
    n_bins : int, default 10
        Number of equal-width bins (>= 1).

    Returns
    -------
    numpy.ndarray
        Calibrated scores in [0, 1], shape ``(n,)``.
    """
    yt = check_binary("y_true", y_true)
    s = check_scores("scores", scores, yt.size)
    groups = check_groups(sensitive_features, yt.size, min_groups=1)
    n_bins = check_int("n_bins", n_bins, minimum=1)
    lo, hi = float(s.min()), float(s.max())
    edges = np.linspace(lo, hi, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], s, side="right")
    cell = groups.codes * n_bins + bins
    total = np.bincount(cell, minlength=groups.k * n_bins).astype(float)
    pos = np.bincount(cell, weights=yt, minlength=groups.k * n_bins)
    return pos[cell] / total[cell]


def kmr_table(y_true: Any, scores: Any, *, sensitive_features: Any) -> pd.DataFrame:
    """Per group: prevalence ``p``, generalized FPR/FNR and the KMR line ``p/(1−p)·gFNR``.

    For scores calibrated within groups, ``gfpr`` equals ``gfpr_kmr`` (Kleinberg et al. 2017).

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
        True labels.
    scores : array_like, shape (n,)
        Probability scores in [0, 1].
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row: 1-D for one attribute, a DataFrame or 2-D array for intersectional groups.

    Returns
    -------
    pandas.DataFrame
        Index: group; columns ``count``, ``prevalence``, ``mean_score``, ``gfpr``, ``gfnr``, ``gfpr_kmr``.

    Raises
    ------
    ValueError
        A group with only one class, or the usual input errors.
    """
    yt = check_binary("y_true", y_true)
    s = check_scores("scores", scores, yt.size, probability=True)
    groups = check_groups(sensitive_features, yt.size, min_groups=1)
    rows = []
    for i, label in enumerate(groups.labels):
        m = groups.codes == i
        p = float(yt[m].mean())
        if not 0 < p < 1:
            raise ValueError(f"group {label!r} needs both classes (prevalence {p:.3g})")
        gfpr = float(s[m & (yt == 0)].mean())
        gfnr = 1.0 - float(s[m & (yt == 1)].mean())
        rows.append((label, int(m.sum()), p, float(s[m].mean()), gfpr, gfnr, p / (1 - p) * gfnr))
    frame = pd.DataFrame(rows, columns=["group", "count", "prevalence", "mean_score", "gfpr", "gfnr", "gfpr_kmr"])
    return frame.set_index("group")
