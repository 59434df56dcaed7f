"""Grading of exercise 01: full marks for the solution under two grading keys, 0 for the untouched
exercise, exactly the done tasks for a partial submission, and plausible wrong or lazy answers lose
the task they answer (the judgment tasks, 'membership_audit' and 'size_rate_limit', each get several).

Grader runs go through the isolated worker; the many lazy variants of the judgment tasks are run
through :class:`LocalRemote` (the same properties, in this process), and the statistical properties are
run for the solution under several grading keys (their false-fail rate is stated for *any* key).
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mlops_course.grading.checks import LocalRemote, run_property
from mlops_course.grading.checks import threats as threat_checks
from mlops_course.grading.harness import Limits
from tests._grading import (
    assert_full_marks,
    assert_hidden_inputs_depend_on_the_key,
    assert_manual_questions,
    assert_partial_scores_the_done_tasks,
    assert_registry_matches,
    assert_released_blank,
    assert_solution_passes_every_property,
    exec_answers,
    grader_fixture,
    load_notebook,
    local_score,
    scores,
    unit_notebooks,
    use_key,
    with_answers,
    write_notebook,
)
from tests._judgment import assert_zero_auto

STEM = "01_security_threats"
SOLUTION, EXERCISE = unit_notebooks(STEM)
POINTS = {"threats-fgsm": 3.0, "threats-extract": 3.0, "threats-membership": 3.0, "threats-audit": 4.0,
          "threats-flip": 2.0, "threats-injection": 2.0, "threats-bucket": 2.0, "threats-ratelimit": 3.0}
MANUAL_POINTS = {"threats-audit-written": 3.0}
JUDGMENT = ("threats-audit", "threats-ratelimit")
# generous: a loaded 2-core machine
LIMITS = Limits(cell_seconds=30.0, call_seconds=120.0, total_seconds=900.0, memory_bytes=2 * 2**30, processes=32)
KEYS = (None, "course key A: 7f3c", "course key B: 91d0")

WRONG = {
    "threats-fgsm": '''
def fgsm_linear(X, y, W, b, epsilon):
    if epsilon < 0:
        raise ValueError("epsilon")
    z = X @ W.T + b
    p = np.exp(z - z.max(axis=1, keepdims=True)); p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return X + epsilon * np.sign(p @ W)          # forgot to clip to [0, 1]
''',
    "threats-extract": '''
def steal_logreg(X, p):
    A = np.hstack([X, np.ones((len(p), 1))])
    theta = np.linalg.lstsq(A, p, rcond=None)[0]  # regressed p, not logit(p)
    return theta[:-1], float(theta[-1])
''',
    "threats-membership": '''
def yeom_advantage(p_members, y_members, p_nonmembers, y_nonmembers):
    li = -np.log(p_members[np.arange(len(y_members)), y_members])
    lo = -np.log(p_nonmembers[np.arange(len(y_nonmembers)), y_nonmembers])
    return float(np.mean(li < li.mean()) - np.mean(lo < li.mean()))   # strict <
''',
    "threats-audit": '''
def membership_audit(p_members, y_members, p_nonmembers, y_nonmembers, confidence):
    return {"threshold": 0.2, "advantage": 0.35, "ci": (0.3, 0.4)}   # numbers, no audit
''',
    "threats-flip": '''
def flip_labels(y, rate, rng):
    out = np.array(y).copy()
    m = int(round(rate * len(out)))
    out[:m] = 1 - out[:m]                          # always the first m labels
    return out
''',
    "threats-injection": '''
def injection_filter(text):
    return any(p in text.lower() for p in PHRASES)  # no normalisation
''',
    "threats-bucket": '''
class TokenBucket:
    def __init__(self, rate, capacity):
        self.rate, self.tokens, self.last = rate, capacity, 0.0
    def allow(self, t, amount=1.0):
        self.tokens += self.rate * (t - self.last)   # no cap at capacity
        self.last = t
        if self.tokens >= amount:
            self.tokens -= amount
            return True
        return False
''',
    "threats-ratelimit": '''
def size_rate_limit(traces, horizon):
    capacity = float(max(len(t) for t in traces))   # a quota: serves everyone, ignores the horizon
    return {"rate": 0.0, "capacity": capacity, "worst_case": capacity}
''',
}

# lazy or plausible-but-wrong answers to the judgment tasks, each must lose points on its task
LAZY_AUDIT = {
    "constant report": '''
def membership_audit(p_members, y_members, p_nonmembers, y_nonmembers, confidence):
    return {"threshold": 0.2, "advantage": 0.35, "ci": (0.28, 0.42)}
''',
    "an interval that always covers": '''
def membership_audit(p_members, y_members, p_nonmembers, y_nonmembers, confidence):
    li = -np.log(p_members[np.arange(len(y_members)), y_members])
    lo = -np.log(p_nonmembers[np.arange(len(y_nonmembers)), y_nonmembers])
    tau = li.mean(); adv = float(np.mean(li <= tau) - np.mean(lo <= tau))
    return {"threshold": float(tau), "advantage": adv, "ci": (-1.0, 1.0)}
''',
    "one standard error instead of z": '''
def membership_audit(p_members, y_members, p_nonmembers, y_nonmembers, confidence):
    li = -np.log(p_members[np.arange(len(y_members)), y_members])
    lo = -np.log(p_nonmembers[np.arange(len(y_nonmembers)), y_nonmembers])
    n1, n0 = len(li) // 2, len(lo) // 2
    tau = li[:n1].mean(); tpr = np.mean(li[n1:] <= tau); fpr = np.mean(lo[n0:] <= tau)
    se = math.sqrt(tpr * (1 - tpr) / (len(li) - n1) + fpr * (1 - fpr) / (len(lo) - n0))
    return {"threshold": float(tau), "advantage": float(tpr - fpr), "ci": (tpr - fpr - se, tpr - fpr + se)}
''',
    "a threshold that never fires": '''
def membership_audit(p_members, y_members, p_nonmembers, y_nonmembers, confidence):
    return {"threshold": -1.0, "advantage": 0.0, "ci": (0.0, 0.0)}
''',
    "ignores the confidence level": '''
def membership_audit(p_members, y_members, p_nonmembers, y_nonmembers, confidence):
    li = -np.log(p_members[np.arange(len(y_members)), y_members])
    lo = -np.log(p_nonmembers[np.arange(len(y_nonmembers)), y_nonmembers])
    n1, n0 = len(li) // 2, len(lo) // 2
    tau = li[:n1].mean(); tpr = np.mean(li[n1:] <= tau); fpr = np.mean(lo[n0:] <= tau)
    se = math.sqrt(tpr * (1 - tpr) / (len(li) - n1) + fpr * (1 - fpr) / (len(lo) - n0))
    return {"threshold": float(tau), "advantage": float(tpr - fpr), "ci": (tpr - fpr - 1.96 * se, tpr - fpr + 1.96 * se)}
''',
}
LAZY_RATELIMIT = {
    "a quota (rate 0)": WRONG["threats-ratelimit"],
    "constant parameters": '''
def size_rate_limit(traces, horizon):
    return {"rate": 0.5, "capacity": 20.0, "worst_case": 20.0 + 0.5 * horizon}
''',
    "average rate plus a guessed burst": '''
def size_rate_limit(traces, horizon):
    rate = max(len(t) / (max(t) - min(t)) for t in traces)
    return {"rate": rate, "capacity": 15.0, "worst_case": 15.0 + rate * horizon}
''',
    "worst case misreported": '''
def size_rate_limit(traces, horizon):
    capacity = float(max(len(t) for t in traces))
    return {"rate": 0.0, "capacity": capacity, "worst_case": 1.0}
''',
}


grader = grader_fixture(STEM, LIMITS)


def _namespace(changes: dict[str, str] | None = None) -> dict:
    """The solution's imports and answer cells executed here (with some answers replaced)."""
    return exec_answers(load_notebook(SOLUTION), ("threats-imports", *POINTS), changes=changes)


def test_registry_matches_the_notebook():
    assert_registry_matches(STEM, POINTS, SOLUTION)
    assert sum(POINTS.values()) == 22.0


def test_manual_questions_have_answer_and_rubric_cells():
    assert_manual_questions(STEM, MANUAL_POINTS, min_words=100)


@pytest.mark.parametrize("key", KEYS[:2], ids=["development key", "course key"])
def test_solution_full_marks_under_two_keys(grader, monkeypatch, key):
    use_key(monkeypatch, key)
    assert_full_marks(grader.grade(SOLUTION), POINTS)


def test_untouched_exercise_gets_zero(grader):
    report = grader.grade(EXERCISE)
    assert_zero_auto(report, POINTS, MANUAL_POINTS)
    assert all("manual" in t.output for t in report.tests if t.manual)


def test_partial_submission_scores_exactly_the_tasks_done(grader, tmp_path):
    done = ("threats-extract", "threats-audit", "threats-ratelimit")
    assert_partial_scores_the_done_tasks(grader, tmp_path, STEM, POINTS, done)


def test_each_wrong_answer_loses_its_points(grader, tmp_path):
    nb = with_answers(SOLUTION, {gid: text.strip("\n") for gid, text in WRONG.items()})
    got = scores(grader.grade(write_notebook(tmp_path, nb, f"{STEM}.ipynb")))
    for gid, full in POINTS.items():
        lost = 0.5 if gid in ("threats-injection", "threats-bucket") else 1.0  # their hidden property: 0.5
        assert got[gid] <= full - lost, (gid, got[gid])


@pytest.mark.parametrize("key", KEYS[1:], ids=["key A", "key B"])
@pytest.mark.parametrize(("gid", "variant"), [("threats-audit", v) for v in LAZY_AUDIT]
                         + [("threats-ratelimit", v) for v in LAZY_RATELIMIT])
def test_lazy_judgment_answers_lose_the_task(monkeypatch, key, gid, variant):
    use_key(monkeypatch, key)
    text = (LAZY_AUDIT if gid == "threats-audit" else LAZY_RATELIMIT)[variant]
    assert local_score(threat_checks.CHECKS, gid, _namespace({gid: text.strip("\n")})) <= POINTS[gid] - 1.0


@pytest.mark.parametrize("key", KEYS)
def test_solution_passes_every_property_for_any_key(monkeypatch, key):
    """The false-fail rate is stated for any key: the solution passes under several (incl. all hidden inputs)."""
    use_key(monkeypatch, key)
    assert_solution_passes_every_property(threat_checks.CHECKS, _namespace(), key)


@pytest.mark.parametrize("key", [f"random key {i}" for i in range(4)])
def test_statistical_properties_hold_for_more_keys(monkeypatch, key):
    use_key(monkeypatch, key)
    ns = _namespace()
    for gid in ("threats-audit", "threats-flip"):
        assert local_score(threat_checks.CHECKS, gid, ns) == POINTS[gid], (key, gid)


def test_hidden_inputs_depend_on_the_key(monkeypatch):
    tags = ["01/threats-audit/coverage", "01/threats-ratelimit/hidden", "01/threats-flip/uniform"]
    assert len(set(assert_hidden_inputs_depend_on_the_key(monkeypatch, tags, KEYS[1:]))) == 3


def test_stated_bounds():
    """The numbers the module docstring states: coverage thresholds and interval widths."""
    from scipy import stats

    for conf, need in ((0.9, threat_checks._min_covering(100, 0.9)), (0.95, threat_checks._min_covering(100, 0.95)),
                       (0.99, threat_checks._min_covering(100, 0.99))):
        assert stats.binom.cdf(need - 1, 100, conf - 0.02) <= threat_checks.ALPHA_PER_TEST
        assert stats.binom.cdf(need, 100, conf - 0.02) > threat_checks.ALPHA_PER_TEST
    assert [round(threat_checks._max_width(c), 3) for c in (0.9, 0.95, 0.99)] == [0.19, 0.226, 0.297]
    assert threat_checks.N_STATISTICAL_TESTS * threat_checks.ALPHA_PER_TEST + 3e-12 <= threat_checks.ALPHA_TOTAL
    # Chernoff bound on Yeom's threshold over 300 members: s = mean(Exp(1)) outside [0.6, 1.5]
    assert math.exp(-300 * (0.5 - math.log(1.5))) + math.exp(-300 * (-0.4 - math.log(0.6))) < 1e-12
    # the worst ratio of Yeom's threshold to the best one over the stated parameter box, s in [0.6, 1.5]
    worst = min((math.exp(-s / ai) ** ao - math.exp(-s / ai) ** ai) / threat_checks._best_advantage(ai, ao)
                for ai in np.linspace(4, 7, 13) for ao in np.linspace(1.2, 2.5, 14) for s in np.linspace(0.6, 1.5, 10))
    assert worst > 0.6


def test_true_advantage_matches_simulation():
    """The harness's exact advantage of a threshold agrees with a large simulation of its own laws."""
    g = np.random.default_rng(5)
    (pi, yi, po, yo), a_in, a_out = threat_checks._audit_case(g, n=200_000)
    li, lo = -np.log(pi[np.arange(yi.size), yi]), -np.log(po[np.arange(yo.size), yo])
    for tau in (0.05, 0.2, 0.6):
        empirical = np.mean(li <= tau) - np.mean(lo <= tau)
        assert abs(empirical - threat_checks._true_advantage(tau, a_in, a_out)) < 0.006  # > 5 sd of the estimate
    assert np.allclose(pi.sum(axis=1), 1.0) and np.allclose(po.sum(axis=1), 1.0)


def test_best_worst_case_matches_brute_force():
    """The harness's optimum of capacity + rate·T agrees with a fine grid over rates."""
    traces = threat_checks._traces(np.random.default_rng(3), 3)
    for horizon in (10.0, 60.0):
        rates = np.linspace(0.0, max(t.size for t in traces) / horizon, 4001)
        grid = min(threat_checks._needed_capacity(traces, r) + r * horizon for r in rates)
        best = threat_checks._best_worst_case(traces, horizon)
        assert best <= grid + 1e-9 and best >= grid - 0.01 * grid


def test_feedback_shows_inputs_and_expected_property():
    ns = _namespace({"threats-ratelimit": LAZY_RATELIMIT["constant parameters"].strip("\n")})
    check = {c.grade_id: c for c in threat_checks.CHECKS}["threats-ratelimit"]
    passed, message, _ = run_property(check.properties[0], LocalRemote({check.name: ns[check.name]}), check.name)
    assert not passed and "4 traces" in message and "60 s" in message and "capacity + rate·" in message
    for check in threat_checks.CHECKS:
        for prop in check.properties:
            assert prop.hint and "np." not in prop.hint and "rng." not in prop.hint, (check.grade_id, prop.name)


def test_solution_answers_are_json_plain():
    ns = _namespace()
    g = np.random.default_rng(0)
    (pi, yi, po, yo), _, _ = threat_checks._audit_case(g)
    json.dumps({k: (list(v) if isinstance(v, tuple) else v) for k, v in
                ns["membership_audit"](pi, yi, po, yo, 0.9).items()})


def test_released_exercise_has_the_answer_stub_and_no_rubric():
    assert_released_blank(STEM, MANUAL_POINTS)
