"""The autograder on exercise 02 (safeguards): full marks under two grading keys, zero, exactly the done
tasks for a partial submission, one plausible mistake per task, and several lazy or wrong answers to each
judgment task ('watermark_plan', 'alert_threshold') losing that task.

The checks module is found by the registry's auto-discovery (``checks.check_modules()``).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from mlops_course.grading import check
from mlops_course.grading.checks import LocalRemote, check_modules, run_property
from mlops_course.grading.checks import safeguards as sg
from mlops_course.grading.harness import Limits
from tests._grading import (
    answer_source,
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

UNIT = "02_safeguards"
SOLUTION, EXERCISE = unit_notebooks(UNIT)
POINTS = {"sg-verify": 3.0, "sg-policy": 3.0, "sg-ks": 2.0, "sg-ownership": 2.0, "sg-plan": 3.0, "sg-alert": 3.0,
          "sg-vault": 3.0, "sg-ber": 2.0}
MANUAL_POINTS = {"sg-written": 3.0}
# generous: a loaded 2-core machine
LIMITS = Limits(cell_seconds=30.0, call_seconds=120.0, total_seconds=900.0, memory_bytes=2 * 2**30, processes=32)
KEYS = (None, "course key A: 7f3c", "course key B: 91d0")
grader = grader_fixture(UNIT, LIMITS)


def _namespace(changes: dict[str, str] | None = None) -> dict:
    return exec_answers(load_notebook(SOLUTION), ("sg-imports", *POINTS), changes=changes)


def test_registry_points_match_the_notebook():
    assert check_modules()[UNIT] == "mlops_course.grading.checks.safeguards"
    assert_registry_matches(UNIT, POINTS, SOLUTION)
    assert all(c.unit == sg.UNIT for c in sg.CHECKS)


def test_manual_question_has_answer_and_rubric_cells():
    assert_manual_questions(UNIT, MANUAL_POINTS, min_words=100)


@pytest.mark.parametrize("key", KEYS[:2], ids=["development key", "course key"])
def test_solution_full_marks_under_two_keys(grader, monkeypatch, key):
    use_key(monkeypatch, key)
    assert_full_marks(grader.grade(SOLUTION), POINTS)


def test_exercise_zero(grader):
    assert_zero_auto(grader.grade(EXERCISE), POINTS, MANUAL_POINTS)


def test_partial_submission_scores_exactly_the_tasks_done(grader, tmp_path):
    assert_partial_scores_the_done_tasks(grader, tmp_path, UNIT, POINTS, ("sg-policy", "sg-plan", "sg-alert"))


SOL = load_notebook(SOLUTION)
WRONG = {
    # only the signature is checked: a swapped artefact next to a genuine manifest passes
    "sg-verify": ("sg-verify", lambda s: s.replace(
        'return (manifest.get("sha256") == hashlib.sha256(artifact).hexdigest()\n'
        '            and manifest.get("size") == len(artifact))', "return True"), 1.0),
    # forgets the MFA rule for privileged actions
    "sg-policy": ("sg-policy", lambda s: s.replace(
        'if action in PRIVILEGED and not request["mfa"]:', "if False:"), 1.0),
    # evaluates the CDFs only on the reference's points
    "sg-ks": ("sg-ks", lambda s: s.replace("grid = np.concatenate([a, b])", "grid = a"), 1.0),
    # off by one: P(X > k) instead of P(X >= k)
    "sg-ownership": ("sg-ownership", lambda s: s.replace("range(matches, ", "range(matches + 1, "), 2.0),
    # ignores the power requirement: the smallest K that can meet the budget at all
    "sg-plan": ("sg-plan", lambda s: s.replace("if k is not None and stolen[k] >= power:", "if k is not None:"), 1.0),
    # the plain empirical quantile: right on average, over budget half of the time
    "sg-alert": ("sg-alert", lambda s: s.replace("return float(x[n - m - 1])",
                                                 "return float(np.quantile(x, 1 - max_false_alarm))"), 1.0),
    # a fixed nonce: same token for the same text
    "sg-vault": ("sg-vault", lambda s: s.replace("nonce = os.urandom(12)", "nonce = bytes(12)"), 0.5),
    # averages over the inputs instead of the hidden units
    "sg-ber": ("sg-ber", lambda s: s.replace("W1.mean(axis=1)", "W1.mean(axis=0)"), 1.5),
}


@pytest.mark.parametrize("task", list(WRONG))
def test_a_plausible_mistake_loses_points_of_that_task_only(grader, tmp_path, task):
    gid, rewrite, lost_at_least = WRONG[task]
    original = answer_source(SOL, gid)
    changed = rewrite(original)
    assert changed != original, "the mutation did not apply"
    path = write_notebook(tmp_path, with_answers(SOLUTION, {gid: changed}), f"{UNIT}.ipynb")
    got = scores(grader.grade(path))
    assert got[gid] <= POINTS[gid] - lost_at_least, got
    assert all(got[g] == POINTS[g] for g in POINTS if g != gid), got


LAZY = {
    "sg-plan": {
        "constant plan": '''
def watermark_plan(n_classes, alpha, retention, power):
    return {"n_triggers": 54, "threshold": 19}
''',
        "many triggers to be safe": '''
def watermark_plan(n_classes, alpha, retention, power):
    K = 2000
    k = next(k for k in range(K + 1) if sum(math.comb(K, i) * (1 / n_classes) ** i * (1 - 1 / n_classes) ** (K - i)
                                             for i in range(k, min(K, k + 400) + 1)) <= alpha)
    return {"n_triggers": K, "threshold": k}
''',
        "threshold at the expected chance matches": '''
def watermark_plan(n_classes, alpha, retention, power):
    K = 50
    return {"n_triggers": K, "threshold": int(K / n_classes) + 1}
''',
    },
    "sg-alert": {
        "empirical quantile": '''
def alert_threshold(benign_scores, max_false_alarm):
    return float(np.quantile(benign_scores, 1 - max_false_alarm))
''',
        "never fires": '''
def alert_threshold(benign_scores, max_false_alarm):
    return float(np.max(benign_scores)) * 10
''',
        "constant": '''
def alert_threshold(benign_scores, max_false_alarm):
    return 8.0
''',
        "half the budget, no guarantee": '''
def alert_threshold(benign_scores, max_false_alarm):
    return float(np.quantile(benign_scores, 1 - max_false_alarm / 2.2))
''',
    },
}


@pytest.mark.parametrize("key", KEYS[1:], ids=["key A", "key B"])
@pytest.mark.parametrize(("gid", "variant"), [(g, v) for g in LAZY for v in LAZY[g]])
def test_lazy_judgment_answers_lose_the_task(monkeypatch, key, gid, variant):
    use_key(monkeypatch, key)
    assert local_score(sg.CHECKS, gid, _namespace({gid: LAZY[gid][variant].strip("\n")})) <= POINTS[gid] - 1.0


@pytest.mark.parametrize("key", KEYS + ("random key 3", "random key 4"))
def test_solution_passes_every_property_for_any_key(monkeypatch, key):
    """The false-fail rate is stated for any key: the solution passes under several (incl. hidden inputs)."""
    use_key(monkeypatch, key)
    assert_solution_passes_every_property(sg.CHECKS, _namespace(), key)


def test_hidden_inputs_depend_on_the_key(monkeypatch):
    tags = ["02/sg-plan/hidden", "02/sg-alert/hidden", "02/sg-verify/hidden", "02/sg-ks/hidden"]
    assert_hidden_inputs_depend_on_the_key(monkeypatch, tags, KEYS[1:])


def test_stated_false_fail_bounds():
    """The reference alert rule's margins, as the module docstring states them."""
    from scipy import stats

    n = sg.ALERT_N
    z = stats.norm.isf(1e-8)
    assert 5.6 < z < 5.7
    for budget in (0.02, 0.05, 0.1):
        # the rule's count m of scores above t is at least n·budget − z·sd, so its FPR stays above budget/2
        assert budget - 2 * z * math.sqrt(budget * (1 - budget) / n) >= budget / 2
    assert 12 * 2e-8 < sg.ALPHA_TOTAL


def test_smallest_plan_against_a_direct_computation():
    """smallest_plan agrees with a direct exact computation (fractions) for a small case."""
    from fractions import Fraction

    def tail(k, K, p):
        return sum(math.comb(K, i) * p**i * (1 - p) ** (K - i) for i in range(k, K + 1))

    C, alpha, retention, power = 4, Fraction(1, 1000), Fraction(7, 10), Fraction(95, 100)
    for K in range(1, 200):
        k = next((k for k in range(K + 1) if tail(k, K, Fraction(1, C)) <= alpha), None)
        if k is not None and tail(k, K, retention) >= power:
            break
    assert sg.smallest_plan(C, 1e-3, 0.7, 0.95) == (K, k)


def test_alert_truth_matches_simulation():
    from scipy import stats

    scores_, a = sg._alert_data(np.random.default_rng(0))
    t = float(np.quantile(scores_, 0.95))
    assert abs(float(stats.gamma.sf(t, a)) - 0.05) < 0.006  # > 4 sd of the sample quantile's coverage


def test_feedback_shows_inputs_and_hints_point_at_concepts():
    ns = _namespace({"sg-alert": LAZY["sg-alert"]["never fires"].strip("\n")})
    c = {c.grade_id: c for c in sg.CHECKS}["sg-alert"]
    passed, message, _ = run_property(c.properties[1], LocalRemote({c.name: ns[c.name]}), c.name)
    assert not passed and "30000 calibration scores" in message and "budget of 0.05" in message
    for c in sg.CHECKS:
        for prop in c.properties:
            assert prop.hint and not any(s in prop.hint for s in ("np.", "os.urandom", "AESGCM(", "math.comb")), prop.name


def test_self_check_runs_visible_properties(capsys):
    namespace: dict = {}
    exec(answer_source(SOL, "sg-imports"), namespace)  # noqa: S102 - our own solution notebook
    exec(answer_source(SOL, "sg-ownership"), namespace)  # noqa: S102
    check("sg-ownership", namespace["ownership_pvalue"])
    out = capsys.readouterr().out
    assert "2/2 visible checks pass" in out
    remote = LocalRemote({"ownership_pvalue": lambda k, n, c: 0.5})
    passed, message, _ = run_property(sg.CHECKS[3].properties[0], remote, "ownership_pvalue")
    assert not passed and "chance" in message


def test_released_exercise_has_the_answer_stub_and_no_rubric():
    assert_released_blank(UNIT, MANUAL_POINTS)
