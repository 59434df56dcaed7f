"""Grading of exercise 01: the solution gets full marks, the untouched exercise 0, and a plausible
wrong answer to each task loses points on that task only (one submission with all six mistakes)."""
from __future__ import annotations

import pytest

from mlops_course.grading.checks import LocalRemote, load_checks, run_property
from mlops_course.grading.checks import threats as threat_checks
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits, find_exercise
from tests._grading import scores, with_answers, write_notebook

STEM = "01_security_threats"
SOLUTION = REPO_ROOT / "solutions" / f"{STEM}.ipynb"
EXERCISE = REPO_ROOT / "exercises" / f"{STEM}.ipynb"
POINTS = {"threats-fgsm": 3.0, "threats-extract": 3.0, "threats-membership": 3.0, "threats-flip": 2.0,
          "threats-injection": 2.0, "threats-bucket": 2.0}
LIMITS = Limits(cell_seconds=5.0, call_seconds=20.0, total_seconds=120.0, memory_bytes=2 * 2**30, processes=32)

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
}


@pytest.fixture(scope="module")
def grader():
    return Grader(STEM, limits=LIMITS)


def test_registry_matches_the_notebook():
    exercise = find_exercise(STEM)
    checks = load_checks(STEM)
    assert [c.grade_id for c in checks] == list(exercise.answer_ids) == list(POINTS)
    assert {c.grade_id: c.points for c in checks} == exercise.points == POINTS


def test_solution_full_exercise_zero(grader):
    report = grader.grade(SOLUTION)
    assert report.status == "graded"
    assert scores(report) == POINTS, [t.output for t in report.tests if t.score < t.max_score]
    empty = grader.grade(EXERCISE)
    assert empty.score == 0.0 and empty.max_score == sum(POINTS.values())


def test_each_wrong_answer_loses_its_points(grader, tmp_path):
    nb = with_answers(SOLUTION, {gid: text.strip("\n") for gid, text in WRONG.items()})
    got = scores(grader.grade(write_notebook(tmp_path, nb, f"{STEM}.ipynb")))
    for gid, full in POINTS.items():
        assert got[gid] < full, gid


def test_self_check_visible_properties_pass_on_the_reference():
    """The package's reference implementations pass every visible and hidden property locally."""
    import numpy as np

    from mlops_course.security.evasion import fgsm
    from mlops_course.security.exhaustion import TokenBucket
    from mlops_course.security.models import SoftmaxModel
    from mlops_course.security.prompt_injection import detect_injection

    def fgsm_linear(X, y, W, b, epsilon):
        return fgsm(SoftmaxModel(W, b, np.inf, 1e-5, 0.0), X, y, epsilon, lower=0.0, upper=1.0)

    objects = {"fgsm_linear": fgsm_linear, "TokenBucket": TokenBucket,
               "injection_filter": lambda t: detect_injection(t, threat_checks.PHRASES)}
    for check in threat_checks.CHECKS:
        if check.name not in objects:
            continue
        remote = LocalRemote({check.name: objects[check.name]})
        for prop in check.properties:
            passed, message, _ = run_property(prop, remote, check.name)
            assert passed, (check.grade_id, prop.name, message)
