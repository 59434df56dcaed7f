"""Checks of exercise 05 (bias): one :class:`Check` per answer cell.

Formula tasks (1–6) compare the plain data returned with the reference implementation in
:mod:`mlops_course.fairness` (itself tested against fairlearn to 1e-9) or with a property any correct
answer has (weighted independence after reweighing, achieved selection rates of thresholds,
Chouldechova's identity on confusion matrices), with an absolute tolerance of 1e-9. They are exact:
false-fail rate 0.

Judgment tasks (7–8) are graded on what the student's decision *does*, not on one expected value:

* ``fair-equal-opportunity`` — ``choose_thresholds(scores, y_true, groups)`` is fitted on a training
  sample of :data:`N_TRAIN` applicants; the harness evaluates the returned per-group thresholds exactly on
  the population the sample was drawn from (:func:`eo_population`, normal scores, no second sample) and
  requires **both** a true-positive-rate gap ≤ :data:`TPR_GAP_MAX` (equal opportunity, the scenario's
  criterion) **and** an accuracy ≥ (best accuracy of any exactly-equal-TPR policy, :func:`eo_best_accuracy`)
  − :data:`ACC_SLACK`. One threshold for everybody breaks the first; "approve everybody" (or equal TPRs
  near 1) the second.
* ``fair-gap-interval`` — ``selection_gap_interval(y_pred, groups, group_a, group_b, confidence)`` is
  called on ``R`` independent samples drawn by the harness from known selection rates; the interval must
  cover the true gap in at least :func:`coverage_floor` of them **and** its mean width must lie within
  [0.8, 1.25] × the normal-theory width 2·z·SE (an interval [−1, 1] always covers but says nothing; a
  point estimate never covers; z = 1.96 at 99 % is too narrow).

Real data (task 9):

* ``fair-adult-audit`` — ``four_fifths_audit(y_pred, groups, protected, reference, confidence)`` is called on
  samples of :data:`ADULT_SAMPLE` rows of :func:`adult_decisions` (the exercise's logistic model on the UCI
  Adult test file; a fixed public sample, others drawn with ``secret_rng``), by sex and by race in both
  directions. The impact ratio ``SR_p / SR_r`` is compared with counts taken in this module (not with the
  package's ``four_fifths_rule``) to :data:`TOL`, the verdict must be ``IR ≥ 0.8`` (either is accepted within
  :data:`TOL` of 0.8); the gap interval must contain the sample gap and be 0.8–1.25 × as wide as the
  normal-theory interval ``2·z·SE`` of that sample, at 95 % (visible), 80 % and 99 % (hidden). These properties
  are deterministic given the sample: the solution (normal theory) passes with ratio 1.00 and false-fail
  rate 0; ``tests/fairness/test_adult_audit.py`` shows Newcombe's interval passes too.

False-fail rate of an honest solution (the notebook's), for any grading key
-------------------------------------------------------------------------
*Equal opportunity, TPR gap.* A sample has 100 000 rows, the smaller group ≥ 30 % of them with a base
rate ≥ 0.25, hence ≥ 6 000 training positives per group except with probability < 1e-30 (Chernoff). The
solution gives both groups the same training TPR (up to 1/n); by the Dvoretzky–Kiefer–Wolfowitz inequality
(Massart's constant) each group's true TPR is within ε = 0.04 of its training TPR except with probability
2·exp(−2·6000·0.04²) = 9e-9, so the true gap is ≤ 0.08 + 1/n < 0.1 except with probability
:func:`tpr_false_fail_bound` = 1.1e-7 over the three graded samples (a proven bound).
*Equal opportunity, accuracy.* The solution maximises training accuracy over a grid of common TPRs; its
loss against the population optimum is second order in the threshold error. This part is **measured, not
proven**: over 200 simulated populations (seeds 1000–1199 of :func:`eo_secret_params`) the loss had mean
0.0000, sd 0.0011 and maximum 0.0027, so the slack 0.01 is > 9 sd away (normal approximation: < 1e-18);
``tests/fairness`` repeats this on 20 populations. (On the same 200 populations one threshold for everybody
never passed, and demographic-parity thresholds failed 166 times.)
*Gap interval.* The notebook's Wald interval has true coverage ≥ nominal − 0.012 for the harness's rates
(p ∈ [0.2, 0.8], n ≥ 300 per group: the exact coverage is computed by enumeration in the tests). The
count of covering replications is then ≥ Binomial(R, c − 0.012) stochastically and the floor is its 1e-8
quantile (:func:`coverage_floor`): ≤ 1e-8 per case, three cases. The mean width of a Wald interval is
within 2 % of 2·z·SE at these sizes (relative sd of one width < 3 %, of the mean over R ≥ 200 < 0.3 %),
far inside [0.8, 1.25] (a departure needs > 60 sd).

Union over the unit's statistical properties: ≤ 2e-7 < 1e-6 for any key (``tests/fairness`` also runs the
solution under several keys).

Hidden properties draw every input (data, group names, rates, confidence) from
:func:`~mlops_course.grading.checks.secret_rng` with the tag ``"05/<grade_id>/<property>"``.

Groups are sent as Python lists of strings (the worker's plain-data protocol has no string
arrays); answers that return dicts must use the group labels (strings) as keys.
"""
from __future__ import annotations

import functools
import math
from statistics import NormalDist

import numpy as np

from mlops_course.fairness import metrics as M
from mlops_course.fairness.reweighing import reweighing_weights as _ref_weights
from mlops_course.grading.checks import (
    BadResult,
    Check,
    ManualQuestion,
    Property,
    Remote,
    as_array,
    as_float,
    raises,
    secret_rng,
)

__all__ = ["CHECKS", "MANUAL", "UNIT", "TOL", "TPR_GAP_MAX", "ACC_SLACK", "coverage_floor",
           "tpr_false_fail_bound", "eo_sample", "eo_population",
           "eo_best_accuracy", "eo_secret_params", "adult_decisions", "adult_sample", "ADULT_SAMPLE",
           "ADULT_CASES"]

UNIT = "05_bias"
TOL = 1e-9
TPR_GAP_MAX = 0.1
ACC_SLACK = 0.01
N_TRAIN = 100_000
NAMES = ("north", "south", "east", "west", "urban", "rural", "x", "y", "p", "q", "r", "s")


def _show(values, limit: int = 6) -> str:
    """A short, readable rendering of an input (first ``limit`` entries)."""
    seq = list(np.asarray(values).ravel().tolist()) if not isinstance(values, list) else values
    head = ", ".join(f"{v:.4g}" if isinstance(v, float) else repr(v) for v in seq[:limit])
    return f"[{head}{', …' if len(seq) > limit else ''}] ({len(seq)} values)"


def _data(rng: np.random.Generator, n: int, groups: tuple[str, ...], probs: tuple[float, ...]):
    """Labels, decisions, scores and groups with group-dependent base and selection rates."""
    g = rng.choice(np.array(groups), size=n, p=np.array(probs) / sum(probs))
    shift = {name: 0.15 * i for i, name in enumerate(groups)}
    base = np.array([0.55 - shift[x] for x in g])
    y = (rng.random(n) < base).astype(np.int64)
    score = np.clip(0.3 * y + np.array([0.1 - shift[x] / 2 for x in g]) + rng.normal(0.35, 0.2, n), 0.0, 1.0)
    pred = (score >= 0.5).astype(np.int64)
    return y, pred, score.round(6), [str(x) for x in g]


def _secret_groups(rng: np.random.Generator, k: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    names = tuple(str(v) for v in rng.choice(np.array(NAMES), size=k, replace=False))
    probs = tuple(float(p) for p in rng.uniform(0.15, 1.0, size=k))
    return names, probs


def _as_rate_dict(value: object, what: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise BadResult(f"{what} should be a dict group -> number, got a {type(value).__name__}")
    return {str(k): as_float(v, f"{what}[{k!r}]") for k, v in value.items()}


# --------------------------------------------------------------------------- fair-selection-rates
def _selection_case(remote: Remote, rng, groups, probs, where: str):
    _, pred, _, g = _data(rng, 600, groups, probs)
    got = _as_rate_dict(remote.call("selection_rates", pred, g), "selection_rates(...)")
    want = M.by_group("selection_rate", pred, pred, sensitive_features=g)
    if set(got) != set(want.index):
        return False, f"{where}: expected one entry per group {sorted(want.index)}, got keys {sorted(got)}"
    for grp, rate in want.items():
        if not abs(got[grp] - rate) <= TOL:
            n_g = int(np.sum(np.array(g) == grp))
            return False, (f"{where}: group {grp!r} has {n_g} rows of which {int(pred[np.array(g) == grp].sum())} "
                           f"are selected, so its selection rate should be {rate:.6g}, got {got[grp]:.6g}")
    return True, "P(ŷ=1 | group) for every group"


def selection_rates_visible(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(50_101)
    return _selection_case(remote, rng, ("a", "b"), (0.6, 0.4), "y_pred and groups of 600 rows, groups 'a'/'b'")


def selection_rates_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("05/fair-selection-rates/hidden")
    return _selection_case(remote, rng, *_secret_groups(rng, 3), "three groups")


def selection_rates_lengths(remote: Remote) -> tuple[bool, str]:
    if not raises(lambda: remote.call("selection_rates", np.array([1, 0, 1]), ["a", "b"])):
        return False, "selection_rates([1, 0, 1], ['a', 'b']) returned instead of raising ValueError"
    return True, "ValueError for mismatched lengths"


# --------------------------------------------------------------------------- fair-dp
def _dp_case(remote: Remote, rng, groups, probs, where: str):
    y, pred, _, g = _data(rng, 800, groups, probs)
    got = as_float(remote.call("demographic_parity_difference", pred, g), "demographic_parity_difference(...)")
    want = M.demographic_parity_difference(y, pred, sensitive_features=g)
    if not abs(got - want) <= TOL:
        rates = M.by_group("selection_rate", pred, pred, sensitive_features=g)
        shown = ", ".join(f"{k}: {v:.4g}" for k, v in rates.items())
        return False, f"{where}: the selection rates are {{{shown}}}, so the difference should be {want:.6g}, got {got:.6g}"
    return True, "largest minus smallest selection rate"


def dp_visible(remote: Remote) -> tuple[bool, str]:
    return _dp_case(remote, np.random.default_rng(50_201), ("m", "f"), (0.5, 0.5), "800 rows, groups 'm'/'f'")


def dp_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("05/fair-dp/hidden")
    return _dp_case(remote, rng, *_secret_groups(rng, 4), "four groups")


def dp_single_group(remote: Remote) -> tuple[bool, str]:
    if not raises(lambda: remote.call("demographic_parity_difference", np.array([1, 0, 1, 1]), ["a"] * 4)):
        return False, "demographic_parity_difference([1, 0, 1, 1], ['a'] * 4) returned instead of raising ValueError"
    return True, "ValueError for a single group"


# --------------------------------------------------------------------------- fair-eod
def _eod_case(remote: Remote, rng, groups, probs, where: str):
    y, pred, _, g = _data(rng, 1_000, groups, probs)
    got = as_float(remote.call("equalized_odds_difference", y, pred, g), "equalized_odds_difference(...)")
    want = M.equalized_odds_difference(y, pred, sensitive_features=g, agg="worst_case")
    if not abs(got - want) <= TOL:
        tpr = M.equal_opportunity_difference(y, pred, sensitive_features=g)
        fpr = M.false_positive_rate_difference(y, pred, sensitive_features=g)
        return False, (f"{where}: the TPR gap is {tpr:.4g} and the FPR gap {fpr:.4g}; the worst-case difference "
                       f"should be {want:.6g}, got {got:.6g}")
    return True, "worst of the TPR and FPR gaps between groups"


def eod_visible(remote: Remote) -> tuple[bool, str]:
    return _eod_case(remote, np.random.default_rng(50_301), ("a", "b"), (0.6, 0.4), "1000 rows, groups 'a'/'b'")


def eod_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("05/fair-eod/hidden")
    return _eod_case(remote, rng, *_secret_groups(rng, 3), "three groups")


def eod_binary(remote: Remote) -> tuple[bool, str]:
    y = np.array([1, 0, 2, 0])
    if not raises(lambda: remote.call("equalized_odds_difference", y, np.array([1, 0, 1, 0]), ["a", "a", "b", "b"])):
        return False, "y_true = [1, 0, 2, 0] was accepted: labels other than 0/1 should raise ValueError"
    return True, "ValueError for non-binary labels"


def eod_lengths(remote: Remote) -> tuple[bool, str]:
    y = np.array([1, 0, 1, 0])
    if not raises(lambda: remote.call("equalized_odds_difference", y, np.array([1, 0, 1]), ["a", "a", "b", "b"])):
        return False, "y_true of 4 rows with y_pred of 3 rows was accepted: should raise ValueError"
    return True, "ValueError for mismatched lengths"


# --------------------------------------------------------------------------- fair-reweighing
def _weights(remote: Remote, y: np.ndarray, g: list[str]) -> np.ndarray:
    return as_array(remote.call("reweighing_weights", y, g), (len(y),), "reweighing_weights(...)")


def reweighing_formula(remote: Remote) -> tuple[bool, str]:
    y, _, _, g = _data(np.random.default_rng(50_401), 500, ("a", "b"), (0.7, 0.3))
    got, want = _weights(remote, y, g), _ref_weights(y, g)
    if not np.allclose(got, want, rtol=0, atol=TOL):
        i = int(np.argmax(np.abs(got - want)))
        garr = np.array(g)
        n_g, n_y, n_gy = int(np.sum(garr == g[i])), int(np.sum(y == y[i])), int(np.sum((garr == g[i]) & (y == y[i])))
        return False, (f"500 rows: row {i} (group {g[i]!r}, y={y[i]}) is in a cell of {n_gy} rows; its group has "
                       f"{n_g} rows and its label {n_y}: it should weigh {want[i]:.6g}, got {got[i]:.6g}")
    return True, "expected / observed frequency of each (group, label) cell"


def reweighing_independence_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("05/fair-reweighing/independence")
    names, probs = _secret_groups(rng, 3)
    y, _, _, g = _data(rng, 900, names, probs)
    w = _weights(remote, y, g)
    groups = np.array(g)
    for grp in names:
        m = groups == grp
        rate = float(np.sum(w[m] * y[m]) / np.sum(w[m]))
        if not abs(rate - y.mean()) <= 1e-9:
            return False, f"after weighting, P(y=1 | {grp!r}) = {rate:.6g} but P(y=1) = {y.mean():.6g}"
    if not abs(float(np.mean(w)) - 1.0) <= 1e-9:
        return False, f"the weights should average 1, got {float(np.mean(w)):.6g}"
    return True, "weighted labels are independent of the group (three groups)"


def reweighing_validates(remote: Remote) -> tuple[bool, str]:
    if not raises(lambda: remote.call("reweighing_weights", np.array([1, 0, 1]), ["a", "a", "a"])):
        return False, "reweighing_weights([1, 0, 1], ['a', 'a', 'a']) returned: a single group should raise ValueError"
    if not raises(lambda: remote.call("reweighing_weights", np.array([1, 0, 1]), ["a", "b"])):
        return False, "reweighing_weights([1, 0, 1], ['a', 'b']) returned: mismatched lengths should raise ValueError"
    return True, "ValueError for a single group and mismatched lengths"


# --------------------------------------------------------------------------- fair-thresholds
def _threshold_case(remote: Remote, rng, groups, probs, target: float, where: str) -> tuple[bool, str]:
    _, _, score, g = _data(rng, 1_200, groups, probs)
    got = _as_rate_dict(remote.call("demographic_parity_thresholds", score, g, target),
                        "demographic_parity_thresholds(...)")
    garr = np.array(g)
    if set(got) != set(groups):
        return False, f"{where}: expected one threshold per group {sorted(groups)}, got keys {sorted(got)}"
    for grp in groups:
        s = score[garr == grp]
        rate = float(np.mean(s >= got[grp])) if not math.isnan(got[grp]) else float("nan")
        if not abs(rate - target) <= 1 / (2 * s.size) + 1e-12:
            return False, (f"{where}, target_rate={target:g}: group {grp!r} has {s.size} scores; selecting scores >= "
                           f"{got[grp]:.6g} gives a selection rate of {rate:.4g}, which should be within "
                           f"1/(2·{s.size}) of {target:g}")
    return True, f"every group is selected at rate {target:g}"


def thresholds_visible(remote: Remote) -> tuple[bool, str]:
    return _threshold_case(remote, np.random.default_rng(50_501), ("a", "b"), (0.6, 0.4), 0.3,
                           "1200 scores, groups 'a'/'b'")


def thresholds_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("05/fair-thresholds/hidden")
    names, probs = _secret_groups(rng, 3)
    for target in (0.0, round(float(rng.uniform(0.1, 0.9)), 3), 1.0):
        ok, msg = _threshold_case(remote, rng, names, probs, target, "three groups")
        if not ok:
            return ok, msg
    return True, "three groups, target rates 0, in between and 1"


def thresholds_validates(remote: Remote) -> tuple[bool, str]:
    for bad in (-0.1, 1.5):
        if not raises(lambda b=bad: remote.call("demographic_parity_thresholds", np.array([0.1, 0.9]), ["a", "b"], b)):
            return False, f"target_rate={bad} was accepted: it should raise ValueError"
    return True, "ValueError for a target rate outside [0, 1]"


# --------------------------------------------------------------------------- fair-chouldechova
def _fpr_formula(p: float, ppv: float, fnr: float) -> float:
    return p / (1 - p) * (1 - ppv) / ppv * (1 - fnr)


def chouldechova_formula(remote: Remote) -> tuple[bool, str]:
    for args in ((0.5, 0.8, 0.2), (0.3, 0.6, 0.1)):
        got = as_float(remote.call("chouldechova_fpr", *args), f"chouldechova_fpr{args}")
        if not math.isclose(got, _fpr_formula(*args), rel_tol=1e-9, abs_tol=1e-12):
            return False, f"chouldechova_fpr{args} returned {got:.6g}, expected {_fpr_formula(*args):.6g}"
    return True, "the FPR forced by prevalence, PPV and FNR"


def chouldechova_confusion_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("05/fair-chouldechova/confusion")
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
            return False, f"(prevalence, ppv, fnr) = {args} was accepted: it should raise ValueError"
    return True, "ValueError for prevalence outside (0, 1) or PPV = 0"


# --------------------------------------------------------------------------- fair-equal-opportunity
def eo_sample(rng: np.random.Generator, n: int, names: tuple[str, str], share_b: float, base: tuple[float, float],
              shift_b: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lending population: score ~ N(+1, 1) if y = 1, N(−1, 1) if y = 0; qualified members of the second
    group score ``shift_b`` lower (the model under-scores them: measurement bias).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the sample.
    n : int
        Number of applicants.
    names : tuple of str
        The two group labels (the second is under-scored).
    share_b : float
        Probability that an applicant belongs to the second group.
    base : tuple of float
        Repayment rates ``P(y = 1)`` of the two groups.
    shift_b : float
        Score shift of the second group's qualified (y = 1) applicants.

    Returns
    -------
    tuple of numpy.ndarray
        ``(scores, y_true, groups)`` (scores rounded to 6 decimals, 0/1 labels, groups as a str array).
    """
    g = np.where(rng.random(n) < share_b, names[1], names[0])
    y = (rng.random(n) < np.where(g == names[0], base[0], base[1])).astype(np.int64)
    mean = np.where(y == 1, 1.0, -1.0) + np.where((g == names[1]) & (y == 1), shift_b, 0.0)
    return rng.normal(mean, 1.0).round(6), y, g


def eo_population(thresholds: tuple[float, float], share_b: float, base: tuple[float, float],
                  shift_b: float) -> tuple[tuple[float, float], float]:
    """Exact ``((TPR_A, TPR_B), accuracy)`` of the thresholds on the population :func:`eo_sample` draws from.

    TPR_g(t) = 1 − Φ(t − μ_g), μ_A = 1, μ_B = 1 + shift_b; TNR(t) = Φ(t + 1);
    accuracy = Σ_g share_g · (base_g · TPR_g + (1 − base_g) · TNR_g).

    Parameters
    ----------
    thresholds : tuple of float
        Thresholds of the first and the second group.
    share_b : float
        Share of the second group.
    base : tuple of float
        Repayment rates of the two groups.
    shift_b : float
        Score shift of the second group's qualified applicants.

    Returns
    -------
    tuple
        ``((TPR_A, TPR_B), accuracy)`` on the population.
    """
    from scipy.special import ndtr

    shares, mus = (1.0 - share_b, share_b), (1.0, 1.0 + shift_b)
    tpr = tuple(float(1.0 - ndtr(t - mu)) for t, mu in zip(thresholds, mus, strict=True))
    acc = sum(w * (p * tp + (1.0 - p) * float(ndtr(t + 1.0)))
              for w, p, tp, t in zip(shares, base, tpr, thresholds, strict=True))
    return tpr, float(acc)


def eo_best_accuracy(share_b: float, base: tuple[float, float], shift_b: float) -> float:
    """Best population accuracy of a policy with exactly equal TPRs (a grid of 20 001 common TPRs r).

    Equal TPR r means t_g = μ_g + Φ⁻¹(1 − r) in both groups; the accuracy is that of :func:`eo_population`.

    Parameters
    ----------
    share_b : float
        Share of the second group.
    base : tuple of float
        Repayment rates of the two groups.
    shift_b : float
        Score shift of the second group's qualified applicants.

    Returns
    -------
    float
        The largest population accuracy on the grid.
    """
    from scipy.special import ndtr, ndtri

    q = ndtri(1.0 - np.linspace(1e-4, 1 - 1e-4, 20_001))
    acc = np.zeros_like(q)
    for w, p, mu in zip((1.0 - share_b, share_b), base, (1.0, 1.0 + shift_b), strict=True):
        acc += w * (p * (1.0 - ndtr(q)) + (1.0 - p) * ndtr(mu + q + 1.0))
    return float(acc.max())


def _eo_case(remote: Remote, rng: np.random.Generator, names: tuple[str, str], share_b: float,
             base: tuple[float, float], shift_b: float, where: str) -> tuple[bool, str]:
    scores, y, g = eo_sample(rng, N_TRAIN, names, share_b, base, shift_b)
    got = _as_rate_dict(remote.call("choose_thresholds", scores, y, [str(v) for v in g]), "choose_thresholds(...)")
    if set(got) != set(names):
        return False, f"{where}: expected one threshold per group {sorted(names)}, got keys {sorted(got)}"
    if any(math.isnan(v) for v in got.values()):
        return False, f"{where}: a threshold is NaN: {got}"
    tpr, acc = eo_population((got[names[0]], got[names[1]]), share_b, base, shift_b)
    gap, best = abs(tpr[0] - tpr[1]), eo_best_accuracy(share_b, base, shift_b)
    shown = ", ".join(f"{k}: t = {got[k]:.4g} → TPR {r:.3f}" for k, r in zip(names, tpr, strict=True))
    facts = (f"{where}: on the whole population your thresholds give {{{shown}}}, TPR gap {gap:.3f}, "
             f"accuracy {acc:.4f}")
    if gap > TPR_GAP_MAX:
        return False, f"{facts}; the TPR gap should be ≤ {TPR_GAP_MAX}"
    if acc < best - ACC_SLACK:
        return False, (f"{facts}; the accuracy should be ≥ {best - ACC_SLACK:.4f} (the best equal-opportunity "
                       f"policy reaches {best:.4f})")
    return True, f"{facts}: equal opportunity at near-best accuracy"


def eo_visible(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(50_701)
    return _eo_case(remote, rng, ("A", "B"), 0.4, (0.7, 0.3), -1.4,
                    f"a training sample of {N_TRAIN} applicants, groups 'A'/'B'")


def eo_secret_params(rng: np.random.Generator) -> tuple[tuple[str, str], float, tuple[float, float], float]:
    """Group names, share of the second group, base rates and score shift of a hidden population."""
    names = tuple(str(v) for v in rng.choice(np.array(NAMES), size=2, replace=False))
    return (names, float(rng.uniform(0.3, 0.45)), (float(rng.uniform(0.65, 0.8)), float(rng.uniform(0.25, 0.35))),
            float(rng.uniform(-1.6, -1.3)))


def eo_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("05/fair-equal-opportunity/hidden")
    for _ in range(2):
        ok, msg = _eo_case(remote, rng, *eo_secret_params(rng), "another population")
        if not ok:
            return ok, msg
    return True, "equal opportunity at near-best accuracy on two other populations"


def tpr_false_fail_bound(n_pos: int = 6_000, eps: float = 0.04, samples: int = 3) -> float:
    """DKW union bound: P(some group's true TPR at its fitted threshold is > ``eps`` off its training TPR).

    Per group and sample, ``P(sup_t |F̂_n(t) − F(t)| > ε) ≤ 2·exp(−2nε²)`` (Massart 1990), with ``n`` the
    group's training positives; two groups, ``samples`` graded samples.

    Parameters
    ----------
    n_pos : int
        Training positives per group (a lower bound).
    eps : float
        Allowed distance between the true and the training TPR.
    samples : int
        Number of graded samples.

    Returns
    -------
    float
        ``samples · 2 · 2·exp(−2·n_pos·eps²)``.
    """
    return samples * 2 * 2 * math.exp(-2 * n_pos * eps**2)


# --------------------------------------------------------------------------- fair-gap-interval
def coverage_floor(reps: int, confidence: float, slack: float = 0.012, alpha: float = 1e-8) -> int:
    """Smallest number of covering replications the check accepts: the ``alpha``-quantile of
    Binomial(reps, confidence − slack).

    Parameters
    ----------
    reps : int
        Number of replications.
    confidence : float
        Nominal confidence level of the intervals.
    slack : float
        Largest coverage deficit of the honest interval (computed exactly in the tests).
    alpha : float
        Accepted false-fail probability per case.

    Returns
    -------
    int
        The floor on the number of covering replications.
    """
    from scipy.stats import binom

    return int(binom.ppf(alpha, reps, confidence - slack))


def _gap_case(remote: Remote, rng: np.random.Generator, names: tuple[str, str], n: tuple[int, int],
              rates: tuple[float, float], confidence: float, reps: int, where: str) -> tuple[bool, str]:
    true_gap = rates[0] - rates[1]
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    se = math.sqrt(rates[0] * (1 - rates[0]) / n[0] + rates[1] * (1 - rates[1]) / n[1])
    covered, widths = 0, []
    for _ in range(reps):
        groups = [names[0]] * n[0] + [names[1]] * n[1]
        pred = np.concatenate([rng.random(n[0]) < rates[0], rng.random(n[1]) < rates[1]]).astype(np.int64)
        order = rng.permutation(n[0] + n[1])
        got = remote.call("selection_gap_interval", pred[order], [groups[i] for i in order], names[0], names[1],
                          confidence)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise BadResult("selection_gap_interval should return a pair (lower, upper)")
        lo, hi = as_float(got[0], "lower"), as_float(got[1], "upper")
        if not lo <= hi:
            return False, f"{where}: lower {lo:.4g} > upper {hi:.4g}"
        covered += lo <= true_gap <= hi
        widths.append(hi - lo)
    floor = coverage_floor(reps, confidence)
    ratio = float(np.mean(widths)) / (2 * z * se)
    facts = (f"{where}: {reps} samples of {n[0]} + {n[1]} decisions with true selection rates "
             f"{names[0]!r} {rates[0]:.3f}, {names[1]!r} {rates[1]:.3f} (gap {true_gap:+.3f}), confidence "
             f"{confidence:g}: your intervals covered the true gap {covered} times; mean width {np.mean(widths):.4f}")
    if covered < floor:
        return False, f"{facts}; at {confidence:.0%} confidence at least {floor} of {reps} should cover it"
    if not 0.8 <= ratio <= 1.25:
        return False, (f"{facts}, {ratio:.2f} × the normal-theory width 2·z·SE = {2 * z * se:.4f}; it should be "
                       f"between 0.8 and 1.25 times that")
    return True, f"{facts} (≥ {floor} needed), width {ratio:.2f} × 2·z·SE"


def gap_visible(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(50_801)
    return _gap_case(remote, rng, ("A", "B"), (500, 300), (0.62, 0.5), 0.95, 200, "visible case")


def gap_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("05/fair-gap-interval/hidden")
    for confidence in (0.8, 0.99):
        names = tuple(str(v) for v in rng.choice(np.array(NAMES), size=2, replace=False))
        n = (int(rng.integers(300, 900)), int(rng.integers(300, 900)))
        rates = (float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.2, 0.8)))
        ok, msg = _gap_case(remote, rng, names, n, rates, confidence, 250, "another audit")
        if not ok:
            return ok, msg
    return True, "coverage and width right at confidence 0.8 and 0.99 on other audits"


def gap_validates(remote: Remote) -> tuple[bool, str]:
    pred, groups = np.array([1, 0, 1, 1]), ["a", "a", "b", "b"]
    for bad in (0.0, 1.0, 95.0):
        if not raises(lambda c=bad: remote.call("selection_gap_interval", pred, groups, "a", "b", c)):
            return False, f"confidence={bad} was accepted: it should raise ValueError (allowed: 0 < confidence < 1)"
    if not raises(lambda: remote.call("selection_gap_interval", pred, groups, "a", "c", 0.9)):
        return False, "group_b='c', which is not among the groups ['a', 'b'], was accepted: it should raise ValueError"
    return True, "ValueError for a confidence outside (0, 1) or an absent group"

# --------------------------------------------------------------------------- fair-adult-audit
ADULT_SAMPLE = 4_000
ADULT_CASES = (("sex", "Female", "Male"), ("sex", "Male", "Female"), ("race", "Black", "White"),
               ("race", "Asian-Pac-Islander", "White"))


@functools.lru_cache(maxsize=1)
def adult_decisions() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Decisions of the exercise's model on the UCI Adult test file, and the protected attributes.

    The model is :func:`mlops_course.fairness.adult.adult_income_decisions` (the course's deterministic logistic
    regression on the standardised default features of the training file; sex and race are not inputs,
    ``ŷ = 1[σ(x·w + b) ≥ 0.5]``, "income > $50K"), the same call the exercise's data cell makes. These are the
    *inputs* of the task; the audit quantities are computed independently in this module.

    Returns
    -------
    tuple
        ``(y_pred, {"sex": ..., "race": ...})``: 0/1 decisions (int array, 15,315 rows) and str arrays.
    """
    from mlops_course.fairness.adult import adult_income_decisions

    decisions = adult_income_decisions()
    return decisions.y_pred, decisions.sensitive


def adult_sample(rng: np.random.Generator, n: int = ADULT_SAMPLE) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``n`` rows of :func:`adult_decisions` drawn without replacement by ``rng`` (kept in file order).

    Parameters
    ----------
    rng : numpy.random.Generator
        Public (``default_rng(50_901)``) or secret (:func:`~mlops_course.grading.checks.secret_rng`) source.
    n : int
        Sample size.

    Returns
    -------
    tuple
        ``(y_pred, {"sex": ..., "race": ...})`` for the sampled rows.
    """
    pred, attrs = adult_decisions()
    rows = np.sort(rng.choice(pred.size, size=n, replace=False))
    return pred[rows], {col: values[rows] for col, values in attrs.items()}


def _counts(pred: np.ndarray, groups: np.ndarray, group: str) -> tuple[int, int]:
    member = groups == group
    return int(pred[member].sum()), int(member.sum())


def _audit_result(value: object) -> tuple[float, bool, tuple[float, float]]:
    if not isinstance(value, dict):
        raise BadResult(f"four_fifths_audit(...) should return a dict, got a {type(value).__name__}")
    missing = {"impact_ratio", "four_fifths_met", "gap_interval"} - set(value)
    if missing:
        raise BadResult(f"four_fifths_audit(...) returned a dict without the key(s) {sorted(missing)}")
    met, interval = value["four_fifths_met"], value["gap_interval"]
    if not isinstance(met, bool):
        raise BadResult(f"'four_fifths_met' should be True or False, got a {type(met).__name__}")
    if not isinstance(interval, (tuple, list)) or len(interval) != 2:
        raise BadResult("'gap_interval' should be a pair (lower, upper)")
    return (as_float(value["impact_ratio"], "'impact_ratio'"), met,
            (as_float(interval[0], "the lower end"), as_float(interval[1], "the upper end")))


def _ratio_case(remote: Remote, pred: np.ndarray, attrs: dict[str, np.ndarray], case: tuple[str, str, str],
                where: str) -> tuple[bool, str]:
    col, protected, reference = case
    groups = attrs[col]
    ratio, met, _ = _audit_result(remote.call("four_fifths_audit", pred, groups.tolist(), protected, reference))
    (k_p, n_p), (k_r, n_r) = _counts(pred, groups, protected), _counts(pred, groups, reference)
    want = (k_p / n_p) / (k_r / n_r)  # impact ratio SR_p / SR_r
    facts = (f"{where}, {col}: {k_p} of {n_p} {protected!r} and {k_r} of {n_r} {reference!r} rows are selected, "
             f"so the impact ratio is {want:.6g}")
    if not abs(ratio - want) <= TOL:
        return False, f"{facts}; got {ratio:.6g}"
    if met != (want >= 0.8) and abs(want - 0.8) > TOL:
        return False, f"{facts}, and the four-fifths rule is {'met' if want >= 0.8 else 'not met'}; got {met}"
    return True, f"{facts}: {'met' if met else 'not met'}"


def adult_ratio_visible(remote: Remote) -> tuple[bool, str]:
    pred, attrs = adult_sample(np.random.default_rng(50_901))
    for case in ADULT_CASES[:2]:
        ok, msg = _ratio_case(remote, pred, attrs, case, f"a public sample of {ADULT_SAMPLE} Adult decisions")
        if not ok:
            return ok, msg
    return True, "impact ratio and verdict, women vs men and men vs women"


def adult_ratio_hidden(remote: Remote) -> tuple[bool, str]:
    pred, attrs = adult_sample(secret_rng("05/fair-adult-audit/hidden"))
    for case in ADULT_CASES:
        ok, msg = _ratio_case(remote, pred, attrs, case, "another sample")
        if not ok:
            return ok, msg
    return True, "impact ratio and verdict by sex and by race on another sample"


def _interval_case(remote: Remote, pred: np.ndarray, attrs: dict[str, np.ndarray], case: tuple[str, str, str],
                   confidence: float, where: str) -> tuple[bool, str]:
    col, protected, reference = case
    groups = attrs[col]
    _, _, (lo, hi) = _audit_result(remote.call("four_fifths_audit", pred, groups.tolist(), protected, reference,
                                               confidence))
    (k_p, n_p), (k_r, n_r) = _counts(pred, groups, protected), _counts(pred, groups, reference)
    p, r = k_p / n_p, k_r / n_r
    # normal theory: gap ± z·SE, SE² = p(1−p)/n_p + r(1−r)/n_r
    width = 2 * NormalDist().inv_cdf(0.5 + confidence / 2) * math.sqrt(p * (1 - p) / n_p + r * (1 - r) / n_r)
    facts = (f"{where}, {col}, confidence {confidence:g}: SR({protected!r}) − SR({reference!r}) = {p - r:+.4f}; "
             f"your interval [{lo:.4f}, {hi:.4f}]")
    if not lo <= p - r <= hi:
        return False, f"{facts} does not contain the estimated gap"
    if not 0.8 <= (hi - lo) / width <= 1.25:
        return False, (f"{facts} is {(hi - lo) / width:.2f} × as wide as the normal-theory interval (width "
                       f"{width:.4f}); it should be between 0.8 and 1.25 times that")
    return True, f"{facts}, width {(hi - lo) / width:.2f} × normal theory"


def adult_interval_visible(remote: Remote) -> tuple[bool, str]:
    pred, attrs = adult_sample(np.random.default_rng(50_901))
    return _interval_case(remote, pred, attrs, ADULT_CASES[0], 0.95, f"a public sample of {ADULT_SAMPLE} decisions")


def adult_interval_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("05/fair-adult-audit/interval")
    for confidence, case in ((0.8, ADULT_CASES[2]), (0.99, ADULT_CASES[0])):
        pred, attrs = adult_sample(rng)
        ok, msg = _interval_case(remote, pred, attrs, case, confidence, "another sample")
        if not ok:
            return ok, msg
    return True, "80 % (race) and 99 % (sex) intervals on other samples"


def adult_validates(remote: Remote) -> tuple[bool, str]:
    pred, groups = np.array([1, 0, 1, 1]), ["a", "a", "b", "b"]
    if not raises(lambda: remote.call("four_fifths_audit", pred, groups, "c", "a")):
        return False, "protected='c', which is not among the groups ['a', 'b'], was accepted: it should raise ValueError"
    for bad in (0.0, 95.0):
        if not raises(lambda c=bad: remote.call("four_fifths_audit", pred, groups, "a", "b", c)):
            return False, f"confidence={bad} was accepted: it should raise ValueError (allowed: 0 < confidence < 1)"
    return True, "ValueError for an absent group or a confidence outside (0, 1)"


CHECKS: tuple[Check, ...] = (
    Check("fair-selection-rates", "selection_rates", (
        Property("selection rate per group (two groups)", 1.0, selection_rates_visible,
                 "a group's selection rate is the share of its members who get the favourable decision"),
        Property("selection rate per group (three groups)", 0.5, selection_rates_hidden,
                 "the group labels come from the data: do not assume how many there are or what they are called",
                 visible=False),
        Property("ValueError for mismatched lengths", 0.5, selection_rates_lengths,
                 "one decision per group label: inputs that do not pair up are an error, not something to guess"),
    ), UNIT),
    Check("fair-dp", "demographic_parity_difference", (
        Property("max − min selection rate (two groups)", 1.0, dp_visible,
                 "the difference is unsigned: the distance between the most and the least selected group"),
        Property("max − min selection rate (four groups)", 0.5, dp_hidden,
                 "with more than two groups, compare the extremes, not neighbours", visible=False),
        Property("ValueError for a single group", 0.5, dp_single_group,
                 "a disparity needs at least two groups to compare"),
    ), UNIT),
    Check("fair-eod", "equalized_odds_difference", (
        Property("worst-case equalized-odds difference (two groups)", 1.0, eod_visible,
                 "equalized odds constrains two error rates; the worst case is the larger of the two gaps"),
        Property("worst-case equalized-odds difference (three groups)", 1.0, eod_hidden,
                 "each gap is between the extreme groups, whatever their number", visible=False),
        Property("ValueError for non-binary labels", 0.5, eod_binary,
                 "TPR and FPR are only defined for 0/1 labels and decisions"),
        Property("ValueError for mismatched lengths", 0.5, eod_lengths,
                 "labels, decisions and groups describe the same rows"),
    ), UNIT),
    Check("fair-reweighing", "reweighing_weights", (
        Property("expected / observed cell frequency", 1.5, reweighing_formula,
                 "a cell that is rarer than independence predicts gets more weight, a common one less"),
        Property("weighted labels independent of the group (three groups)", 1.0, reweighing_independence_hidden,
                 "the weights must make P_w(y=1 | g) equal for every group, however many", visible=False),
        Property("ValueError for a single group or mismatched lengths", 0.5, reweighing_validates,
                 "reweighing compares groups: one group or misaligned inputs are errors"),
    ), UNIT),
    Check("fair-thresholds", "demographic_parity_thresholds", (
        Property("equal selection rates (two groups)", 1.5, thresholds_visible,
                 "a group's threshold decides how many of its own members are selected"),
        Property("equal selection rates (three groups, rates 0 / in between / 1)", 1.0, thresholds_hidden,
                 "at rate 0 nobody may pass the threshold, at rate 1 everybody", visible=False),
        Property("ValueError for target_rate outside [0, 1]", 0.5, thresholds_validates,
                 "a rate is a probability"),
    ), UNIT),
    Check("fair-chouldechova", "chouldechova_fpr", (
        Property("the FPR forced by prevalence, PPV and FNR", 1.0, chouldechova_formula,
                 "write the confusion-matrix cells in terms of p, PPV and FNR and solve for FP/(FP+TN)"),
        Property("matches the FPR of confusion matrices", 0.5, chouldechova_confusion_hidden,
                 "the identity is exact for any confusion matrix", visible=False),
        Property("ValueError for prevalence outside (0, 1) or PPV = 0", 0.5, chouldechova_validates,
                 "the identity divides by the share of negatives and by PPV"),
    ), UNIT),
    Check("fair-equal-opportunity", "choose_thresholds", (
        Property("population: TPR gap ≤ 0.1 and accuracy within 0.01 of the best equal-opportunity policy", 1.5,
                 eo_visible,
                 "the scenario protects qualified applicants: equalise what happens to y = 1 in each group, then "
                 "among such policies pick the most accurate one (fit on the training sample only)"),
        Property("the same on two other populations", 1.5, eo_hidden,
                 "fit the thresholds to the data you are given; nothing about the groups' names, sizes or score "
                 "shifts is fixed", visible=False),
    ), UNIT),
    Check("fair-gap-interval", "selection_gap_interval", (
        Property("95 %: covers the true gap often enough, width ≈ normal theory", 1.0, gap_visible,
                 "a gap between two sample proportions has a standard error from both groups' sizes and rates"),
        Property("80 % and 99 % on other audits", 1.5, gap_hidden,
                 "the width must follow the requested confidence level", visible=False),
        Property("ValueError for a bad confidence or an absent group", 0.5, gap_validates,
                 "a confidence level is strictly between 0 and 1; both compared groups must be present"),
    ), UNIT),
    Check("fair-adult-audit", "four_fifths_audit", (
        Property("impact ratio and four-fifths verdict on a public Adult sample (sex, both directions)", 1.0,
                 adult_ratio_visible,
                 "the impact ratio divides the protected group's selection rate by the reference group's; the rule "
                 "is met when it is at least 0.8"),
        Property("the same by sex and race on another sample", 0.5, adult_ratio_hidden,
                 "the verdict must follow from the data: a ratio above 1 meets the rule too", visible=False),
        Property("95 %: the gap interval contains the estimate, width ≈ normal theory", 0.5, adult_interval_visible,
                 "an interval for SR(protected) − SR(reference) needs the standard error of both groups' rates"),
        Property("80 % and 99 % intervals on other samples", 0.5, adult_interval_hidden,
                 "the width must follow the requested confidence level", visible=False),
        Property("ValueError for an absent group or a bad confidence", 0.5, adult_validates,
                 "both compared groups must be present; a confidence level is strictly between 0 and 1"),
    ), UNIT),
)

MANUAL: tuple[ManualQuestion, ...] = (
    ManualQuestion("fair-q-criterion", 3, UNIT, "defend the criterion for the lending scenario"),
)
