"""Checks of exercise 05 (bias): one :class:`Check` per answer cell.

Every property calls the student's function on data chosen here (seeded generators, fixed
seeds: grading is deterministic) and compares the plain data returned with the reference
implementation in :mod:`mlops_course.fairness` (itself tested against fairlearn to 1e-9) or with
a property that any correct answer has (weighted independence after reweighing, achieved
selection rates of thresholds, Chouldechova's identity on confusion matrices). Comparisons use an
absolute tolerance of 1e-9. No property is statistical, so an honest solution never fails by
chance (false-fail rate 0).

Groups are sent as Python lists of strings (the worker's plain-data protocol has no string
arrays); answers that return dicts must use the group labels (strings) as keys.
"""
from __future__ import annotations

import math

import numpy as np

from mlops_course.fairness import metrics as M
from mlops_course.fairness.reweighing import reweighing_weights as _ref_weights
from mlops_course.grading.checks import BadResult, Check, Property, Remote, as_array, as_float, raises

__all__ = ["CHECKS", "UNIT", "TOL"]

UNIT = "05_bias"
TOL = 1e-9


def _data(seed: int, n: int, groups: tuple[str, ...], probs: tuple[float, ...]):
    """Seeded labels, decisions, scores and groups with group-dependent base and selection rates."""
    rng = np.random.default_rng(seed)
    g = rng.choice(np.array(groups), size=n, p=np.array(probs) / sum(probs))
    shift = {name: 0.15 * i for i, name in enumerate(groups)}
    base = np.array([0.55 - shift[x] for x in g])
    y = (rng.random(n) < base).astype(np.int64)
    score = np.clip(0.3 * y + np.array([0.1 - shift[x] / 2 for x in g]) + rng.normal(0.35, 0.2, n), 0.0, 1.0)
    pred = (score >= 0.5).astype(np.int64)
    return y, pred, score.round(6), [str(x) for x in g]


def _as_rate_dict(value: object, what: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise BadResult(f"{what} should be a dict group -> number, got a {type(value).__name__}")
    return {str(k): as_float(v, f"{what}[{k!r}]") for k, v in value.items()}


# --------------------------------------------------------------------------- fair-selection-rates
def _selection_case(remote: Remote, seed: int, groups: tuple[str, ...], probs: tuple[float, ...]):
    _, pred, _, g = _data(seed, 600, groups, probs)
    got = _as_rate_dict(remote.call("selection_rates", pred, g), "selection_rates(...)")
    want = M.by_group("selection_rate", pred, pred, sensitive_features=g)
    if set(got) != set(want.index):
        return False, f"expected one entry per group {sorted(want.index)}, got keys {sorted(got)}"
    for grp, rate in want.items():
        if not abs(got[grp] - rate) <= TOL:
            return False, f"selection rate of group {grp!r} should be {rate:.6g}, got {got[grp]:.6g}"
    return True, "P(ŷ=1 | group) for every group"


def selection_rates_visible(remote: Remote) -> tuple[bool, str]:
    return _selection_case(remote, 50_101, ("a", "b"), (0.6, 0.4))


def selection_rates_hidden(remote: Remote) -> tuple[bool, str]:
    return _selection_case(remote, 50_102, ("white", "black", "hispanic"), (0.7, 0.2, 0.1))


def selection_rates_lengths(remote: Remote) -> tuple[bool, str]:
    if not raises(lambda: remote.call("selection_rates", np.array([1, 0, 1]), ["a", "b"])):
        return False, "no ValueError when y_pred and groups have different lengths"
    return True, "ValueError for mismatched lengths"


# --------------------------------------------------------------------------- fair-dp
def _dp_case(remote: Remote, seed: int, groups: tuple[str, ...], probs: tuple[float, ...]):
    y, pred, _, g = _data(seed, 800, groups, probs)
    got = as_float(remote.call("demographic_parity_difference", pred, g), "demographic_parity_difference(...)")
    want = M.demographic_parity_difference(y, pred, sensitive_features=g)
    if not abs(got - want) <= TOL:
        return False, f"expected max − min selection rate = {want:.6g}, got {got:.6g}"
    return True, "max_g P(ŷ=1|g) − min_g P(ŷ=1|g)"


def dp_visible(remote: Remote) -> tuple[bool, str]:
    return _dp_case(remote, 50_201, ("m", "f"), (0.5, 0.5))


def dp_hidden(remote: Remote) -> tuple[bool, str]:
    return _dp_case(remote, 50_202, ("a", "b", "c", "d"), (0.4, 0.3, 0.2, 0.1))


def dp_single_group(remote: Remote) -> tuple[bool, str]:
    if not raises(lambda: remote.call("demographic_parity_difference", np.array([1, 0, 1, 1]), ["a"] * 4)):
        return False, "no ValueError when there is only one group (nothing to compare)"
    return True, "ValueError for a single group"


# --------------------------------------------------------------------------- fair-eod
def _eod_case(remote: Remote, seed: int, groups: tuple[str, ...], probs: tuple[float, ...]):
    y, pred, _, g = _data(seed, 1_000, groups, probs)
    got = as_float(remote.call("equalized_odds_difference", y, pred, g), "equalized_odds_difference(...)")
    want = M.equalized_odds_difference(y, pred, sensitive_features=g, agg="worst_case")
    if not abs(got - want) <= TOL:
        tpr = M.equal_opportunity_difference(y, pred, sensitive_features=g)
        fpr = M.false_positive_rate_difference(y, pred, sensitive_features=g)
        return False, (f"expected max(TPR gap {tpr:.4g}, FPR gap {fpr:.4g}) = {want:.6g}, got {got:.6g}")
    return True, "max of the TPR and FPR gaps between groups"


def eod_visible(remote: Remote) -> tuple[bool, str]:
    return _eod_case(remote, 50_301, ("a", "b"), (0.6, 0.4))


def eod_hidden(remote: Remote) -> tuple[bool, str]:
    return _eod_case(remote, 50_302, ("w", "b", "h"), (0.6, 0.25, 0.15))


def eod_binary(remote: Remote) -> tuple[bool, str]:
    y = np.array([1, 0, 2, 0])
    if not raises(lambda: remote.call("equalized_odds_difference", y, np.array([1, 0, 1, 0]), ["a", "a", "b", "b"])):
        return False, "no ValueError for y_true containing 2 (labels must be 0/1)"
    return True, "ValueError for non-binary labels"


def eod_lengths(remote: Remote) -> tuple[bool, str]:
    y = np.array([1, 0, 1, 0])
    if not raises(lambda: remote.call("equalized_odds_difference", y, np.array([1, 0, 1]), ["a", "a", "b", "b"])):
        return False, "no ValueError when y_true and y_pred have different lengths"
    return True, "ValueError for mismatched lengths"


# --------------------------------------------------------------------------- fair-reweighing
def _weights(remote: Remote, y: np.ndarray, g: list[str]) -> np.ndarray:
    return as_array(remote.call("reweighing_weights", y, g), (len(y),), "reweighing_weights(...)")


def reweighing_formula(remote: Remote) -> tuple[bool, str]:
    y, _, _, g = _data(50_401, 500, ("a", "b"), (0.7, 0.3))
    got, want = _weights(remote, y, g), _ref_weights(y, g)
    if not np.allclose(got, want, rtol=0, atol=TOL):
        i = int(np.argmax(np.abs(got - want)))
        return False, f"row {i} (group {g[i]!r}, y={y[i]}) should weigh {want[i]:.6g}, got {got[i]:.6g}"
    return True, "w = P(g)·P(y) / P(g, y)"


def reweighing_independence_hidden(remote: Remote) -> tuple[bool, str]:
    y, _, _, g = _data(50_402, 900, ("x", "y", "z"), (0.5, 0.3, 0.2))
    w = _weights(remote, y, g)
    groups = np.array(g)
    for grp in ("x", "y", "z"):
        m = groups == grp
        rate = float(np.sum(w[m] * y[m]) / np.sum(w[m]))
        if not abs(rate - y.mean()) <= 1e-9:
            return False, f"after weighting, P(y=1 | {grp!r}) = {rate:.6g} but P(y=1) = {y.mean():.6g}"
    if not abs(float(np.mean(w)) - 1.0) <= 1e-9:
        return False, f"the weights should average 1, got {float(np.mean(w)):.6g}"
    return True, "weighted labels are independent of the group (three groups)"


def reweighing_validates(remote: Remote) -> tuple[bool, str]:
    if not raises(lambda: remote.call("reweighing_weights", np.array([1, 0, 1]), ["a", "a", "a"])):
        return False, "no ValueError for a single group"
    if not raises(lambda: remote.call("reweighing_weights", np.array([1, 0, 1]), ["a", "b"])):
        return False, "no ValueError for mismatched lengths"
    return True, "ValueError for a single group and mismatched lengths"


# --------------------------------------------------------------------------- fair-thresholds
def _threshold_case(remote: Remote, seed: int, groups: tuple[str, ...], probs: tuple[float, ...],
                    target: float) -> tuple[bool, str]:
    _, _, score, g = _data(seed, 1_200, groups, probs)
    got = _as_rate_dict(remote.call("demographic_parity_thresholds", score, g, target),
                        "demographic_parity_thresholds(...)")
    garr = np.array(g)
    if set(got) != set(groups):
        return False, f"expected one threshold per group {sorted(groups)}, got keys {sorted(got)}"
    for grp in groups:
        s = score[garr == grp]
        rate = float(np.mean(s >= got[grp])) if not math.isnan(got[grp]) else float("nan")
        if not abs(rate - target) <= 1 / (2 * s.size) + 1e-12:
            return False, (f"group {grp!r}: selecting scores >= {got[grp]:.6g} gives a selection rate of "
                           f"{rate:.4g}, not {target:g} (within 1/(2·{s.size}))")
    return True, f"every group is selected at rate {target:g}"


def thresholds_visible(remote: Remote) -> tuple[bool, str]:
    return _threshold_case(remote, 50_501, ("a", "b"), (0.6, 0.4), 0.3)


def thresholds_hidden(remote: Remote) -> tuple[bool, str]:
    for target in (0.0, 0.55, 1.0):
        ok, msg = _threshold_case(remote, 50_502, ("p", "q", "r"), (0.5, 0.3, 0.2), target)
        if not ok:
            return ok, msg
    return True, "three groups, target rates 0, 0.55 and 1"


def thresholds_validates(remote: Remote) -> tuple[bool, str]:
    for bad in (-0.1, 1.5):
        if not raises(lambda b=bad: remote.call("demographic_parity_thresholds", np.array([0.1, 0.9]), ["a", "b"], b)):
            return False, f"no ValueError for target_rate={bad}"
    return True, "ValueError for a target rate outside [0, 1]"


# --------------------------------------------------------------------------- fair-chouldechova
def _fpr_formula(p: float, ppv: float, fnr: float) -> float:
    return p / (1 - p) * (1 - ppv) / ppv * (1 - fnr)


def chouldechova_formula(remote: Remote) -> tuple[bool, str]:
    for args in ((0.5, 0.8, 0.2), (0.3, 0.6, 0.1)):
        got = as_float(remote.call("chouldechova_fpr", *args), f"chouldechova_fpr{args}")
        if not math.isclose(got, _fpr_formula(*args), rel_tol=1e-9, abs_tol=1e-12):
            return False, f"chouldechova_fpr{args} returned {got:.6g}, expected {_fpr_formula(*args):.6g}"
    return True, "FPR = p/(1−p) · (1−PPV)/PPV · (1−FNR)"


def chouldechova_confusion_hidden(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(50_601)
    for _ in range(5):
        tp, fp, fn, tn = (int(v) for v in rng.integers(1, 400, size=4))
        n = tp + fp + fn + tn
        got = as_float(remote.call("chouldechova_fpr", (tp + fn) / n, tp / (tp + fp), fn / (tp + fn)))
        if not math.isclose(got, fp / (fp + tn), rel_tol=1e-9):
            return False, f"for the confusion matrix TP={tp}, FP={fp}, FN={fn}, TN={tn} the FPR is {fp / (fp + tn):.6g}"
    return True, "reproduces the FPR of random confusion matrices"


def chouldechova_validates(remote: Remote) -> tuple[bool, str]:
    for args in ((0.0, 0.5, 0.5), (1.0, 0.5, 0.5), (0.5, 0.0, 0.5)):
        if not raises(lambda a=args: remote.call("chouldechova_fpr", *a)):
            return False, f"no ValueError for (prevalence, ppv, fnr) = {args}"
    return True, "ValueError for prevalence outside (0, 1) or PPV = 0"


CHECKS: tuple[Check, ...] = (
    Check("fair-selection-rates", "selection_rates", (
        Property("selection rate per group (two groups)", 1.0, selection_rates_visible,
                 "for each group g: the mean of y_pred over the rows of g; return {group: rate}"),
        Property("selection rate per group (three groups)", 0.5, selection_rates_hidden,
                 "loop over np.unique(groups)", visible=False),
        Property("ValueError for mismatched lengths", 0.5, selection_rates_lengths,
                 "compare len(y_pred) and len(groups) first"),
    ), UNIT),
    Check("fair-dp", "demographic_parity_difference", (
        Property("max − min selection rate (two groups)", 1.0, dp_visible,
                 "the largest minus the smallest group selection rate (unsigned)"),
        Property("max − min selection rate (four groups)", 0.5, dp_hidden,
                 "works for any number of groups", visible=False),
        Property("ValueError for a single group", 0.5, dp_single_group,
                 "raise ValueError when np.unique(groups) has fewer than 2 values"),
    ), UNIT),
    Check("fair-eod", "equalized_odds_difference", (
        Property("worst-case equalized-odds difference (two groups)", 1.0, eod_visible,
                 "max(TPR_max − TPR_min, FPR_max − FPR_min); TPR = mean(ŷ | y=1), FPR = mean(ŷ | y=0)"),
        Property("worst-case equalized-odds difference (three groups)", 1.0, eod_hidden,
                 "take the max and min over all groups", visible=False),
        Property("ValueError for non-binary labels", 0.5, eod_binary,
                 "check that y_true and y_pred only contain 0 and 1"),
        Property("ValueError for mismatched lengths", 0.5, eod_lengths,
                 "check that y_true, y_pred and groups have the same length"),
    ), UNIT),
    Check("fair-reweighing", "reweighing_weights", (
        Property("w = P(g)·P(y) / P(g, y)", 1.5, reweighing_formula,
                 "count n_g, n_y and n_gy; w = n_g·n_y / (n·n_gy)"),
        Property("weighted labels independent of the group (three groups)", 1.0, reweighing_independence_hidden,
                 "the same formula for any number of groups", visible=False),
        Property("ValueError for a single group or mismatched lengths", 0.5, reweighing_validates,
                 "validate before computing"),
    ), UNIT),
    Check("fair-thresholds", "demographic_parity_thresholds", (
        Property("equal selection rates (two groups)", 1.5, thresholds_visible,
                 "in each group select the k = floor(target·m + 0.5) highest scores: t = k-th largest score"),
        Property("equal selection rates (three groups, rates 0 / 0.55 / 1)", 1.0, thresholds_hidden,
                 "k = 0 needs a threshold above every score (np.inf)", visible=False),
        Property("ValueError for target_rate outside [0, 1]", 0.5, thresholds_validates,
                 "check 0 <= target_rate <= 1"),
    ), UNIT),
    Check("fair-chouldechova", "chouldechova_fpr", (
        Property("FPR = p/(1−p)·(1−PPV)/PPV·(1−FNR)", 1.0, chouldechova_formula, "mind the (1 − FNR) factor"),
        Property("matches the FPR of confusion matrices", 0.5, chouldechova_confusion_hidden,
                 "the identity is exact for any confusion matrix", visible=False),
        Property("ValueError for prevalence outside (0, 1) or PPV = 0", 0.5, chouldechova_validates,
                 "the formula divides by 1 − p and by PPV"),
    ), UNIT),
)
