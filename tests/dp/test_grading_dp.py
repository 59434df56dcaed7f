"""The autograder on exercise 07's judgment tasks (dp-plan, dp-audit) and its written answer (dp-interpret).

The formula tasks 1-6 are covered by tests/grading/test_grading.py; here: full marks under several course
keys, zero for the blank exercise, partial credit, lazy or wrong judgment answers lose their task, the
harness's references agree with scipy, and the statistical claims of checks/dp.py hold for many keys.
"""
from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from scipy import stats

from mlops_course.grading.checks import GRADING_KEY_ENV, LocalRemote, run_property
from mlops_course.grading.checks import dp as dp_checks
from mlops_course.grading.harness import Limits
from tests import _grading
from tests._grading import (
    answer_cell,
    answer_source,
    assert_failures_explain_themselves,
    assert_full_marks,
    assert_hidden_checks_pass,
    assert_manual_questions,
    assert_only_task_lost,
    assert_partial_scores_the_done_tasks,
    assert_registry_matches,
    assert_released_blank,
    exec_answers,
    grader_fixture,
    load_notebook,
    scores,
    unit_notebooks,
    write_notebook,
)

UNIT = "07_differential_privacy"
SOLUTION, EXERCISE = unit_notebooks(UNIT)
POINTS = {"dp-laplace": 3.0, "dp-gaussian-sigma": 2.0, "dp-rr": 2.0, "dp-mean": 3.0, "dp-ledger": 3.0,
          "dp-halfwidth": 2.0, "dp-plan": 4.0, "dp-audit": 4.0}
JUDGMENT = ("dp-plan", "dp-audit")
# generous: a loaded 2-core machine; the audit sends 100,000 floats per call
LIMITS = Limits(cell_seconds=20.0, call_seconds=60.0, total_seconds=400.0, memory_bytes=3 * 2**30, processes=32)
MANUAL = {"dp-interpret": 4.0}
grader = grader_fixture(UNIT, LIMITS)


def solution_functions() -> dict:
    """The solution's answer cells for the judgment tasks, executed here (numpy, math, scipy.stats)."""
    return exec_answers(load_notebook(SOLUTION), JUDGMENT, {"np": np, "math": math, "stats": stats})


run_check = partial(_grading.run_check, dp_checks.CHECKS)


# ----------------------------------------------------------------------------- structure
def test_registry_and_manual_question_match_the_notebook():
    assert_registry_matches(UNIT, POINTS, SOLUTION)
    assert_manual_questions(UNIT, MANUAL, answer_contains="Model answer")


def test_task_text_has_no_verbatim_formula():
    nb = load_notebook(SOLUTION)
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "\\hat\\pi = \\frac" not in text  # task 3 asks to derive the estimator
    assert "\\mathrm{Lap}\\!\\left(\\frac{U - L}" not in text  # task 4 asks for the sensitivity
    assert "h = b \\ln" not in text  # task 6 asks to solve for h
    hints = [p.hint for c in dp_checks.CHECKS for p in c.properties]
    assert not [h for h in hints if "rng.laplace(" in h or "np.clip(" in h or "math.log(" in h]


# ----------------------------------------------------------------------------- solution / blank / partial
@pytest.mark.parametrize("key", ["course-key-A", "another course key 2"])
def test_solution_gets_full_marks_under_two_course_keys(grader, monkeypatch, key):
    monkeypatch.setenv(GRADING_KEY_ENV, key)
    assert_full_marks(grader.grade(SOLUTION), POINTS, manual=list(MANUAL.values()))


def test_blank_exercise_gets_zero_for_the_judgment_tasks(grader):
    report = grader.grade(EXERCISE)
    got = scores(report)
    assert all(got[g] == 0.0 for g in POINTS) and report.score == 0.0
    assert_released_blank(UNIT, MANUAL)


@pytest.mark.parametrize("done", [("dp-plan",), ("dp-audit", "dp-rr")])
def test_partial_submission_gets_exactly_the_done_tasks(grader, tmp_path, done):
    assert_partial_scores_the_done_tasks(grader, tmp_path, UNIT, POINTS, done)


# ----------------------------------------------------------------------------- lazy and wrong judgment answers
PLAN_HEAD = "def plan_mean_release(public_sample, n, target_error, budget, confidence=0.95):\n"
AUDIT_HEAD = "def audit_epsilon(outputs_d, outputs_d_prime, confidence):\n"
LAZY = {
    # the numbers that pass the visible scenario, returned as constants
    "plan constant": ("dp-plan", PLAN_HEAD + "    return {'epsilon': 0.0277, 'upper': 156.5}\n"),
    # accurate but spends the whole budget
    "plan spends all": ("dp-plan", lambda s: s.replace('return {"epsilon": float(best_eps)',
                                                        'return {"epsilon": float(budget)')),
    # clips at the public maximum (no bias, but far too much noise), with the right epsilon for that bound
    "plan clips at max": ("dp-plan", lambda s: s.replace("np.linspace(0.5, 1.0, 201)", "[1.0]")),
    # ignores the clipping bias: plans the noise only
    "plan ignores bias": ("dp-plan", lambda s: s.replace("bias = public.mean() - np.clip(public, 0.0, upper).mean()",
                                                          "bias = 0.0")),
    # never refuses: spends the budget on a release that cannot be accurate
    "plan never refuses": ("dp-plan", lambda s: s.replace("    if best_eps > budget:\n        raise ValueError(",
                                                           "    if False:\n        raise ValueError(")),
    "audit zero": ("dp-audit", AUDIT_HEAD + "    return 0.0\n"),
    "audit constant": ("dp-audit", AUDIT_HEAD + "    return 0.9\n"),
    # point estimate, best threshold picked on the same data, no confidence interval
    "audit point estimate": ("dp-audit", AUDIT_HEAD + (
        "    d0, d1 = np.asarray(outputs_d), np.asarray(outputs_d_prime)\n    best = 0.0\n"
        "    for t in np.quantile(np.concatenate([d0, d1]), np.linspace(0.5, 0.99999, 2000)):\n"
        "        p0, p1 = np.mean(d0 > t), np.mean(d1 > t)\n"
        "        if p0 > 0 and p1 > 0:\n            best = max(best, math.log(p1 / p0))\n    return best\n")),
}
LOST = {"plan never refuses": 0.5}


@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_or_wrong_judgment_answer_loses_its_task(grader, tmp_path, name):
    gid, change = LAZY[name]
    nb = load_notebook(SOLUTION)
    old = answer_source(nb, gid)
    new = change(old) if callable(change) else change
    assert new != old
    answer_cell(nb, gid)["source"] = new
    report = grader.grade(write_notebook(tmp_path, nb, f"{UNIT}.ipynb"))
    assert_only_task_lost(report, POINTS, gid, at_least=LOST.get(name, 1.0))
    assert_failures_explain_themselves(report, gid)


def test_feedback_shows_inputs_and_expected_property():
    # a plan that ignores bias fails the visible accuracy check with the numbers that explain why
    functions = solution_functions()
    src = answer_source(load_notebook(SOLUTION), "dp-plan").replace(
        "bias = public.mean() - np.clip(public, 0.0, upper).mean()", "bias = 0.0")
    namespace = {"np": np, "math": math}
    exec(src, namespace)  # noqa: S102
    results = run_check("dp-plan", {"plan_mean_release": namespace["plan_mean_release"]}, visible=True)
    (name, passed, message) = results[0]
    assert not passed and "n=" in message and "target_error=" in message and "clipping bias" in message \
        and "below 0.95" in message
    audit = run_check("dp-audit", {"audit_epsilon": lambda d0, d1, c: 0.0}, visible=True)
    assert "at least 0.6 × ε = 0.6" in audit[0][2] and "ε = 1" in audit[0][2]
    assert all(ok for _, ok, _ in run_check("dp-audit", functions, visible=True))


# ----------------------------------------------------------------------------- references and statistical claims
def test_plan_success_agrees_with_scipy_laplace():
    rng = np.random.default_rng(3)
    x = rng.gamma(3.0, 10.0, 4000)
    for upper, eps, target in ((60.0, 0.05, 1.0), (200.0, 0.5, 0.3), (40.0, 1.0, 0.5)):
        c = float(np.mean(np.clip(x, 0, upper)) - np.mean(x))
        b = upper / (x.size * eps)
        law = stats.laplace(loc=c, scale=b)
        want = max(0.0, law.cdf(target) - law.cdf(-target)) if abs(c) < target else 0.0
        assert math.isclose(dp_checks.plan_success(x, upper, eps, target), want, abs_tol=1e-12)
        # and by simulation (200,000 draws: sd of the estimate <= 0.0012, tolerance 6 sd)
        sim = np.mean(np.abs(c + rng.laplace(0, b, 200_000)) <= target)
        assert abs(sim - want) < 0.007


def test_cheapest_plan_is_the_minimum_over_clipping_bounds():
    x = np.random.default_rng(4).gamma(2.5, 8.0, 5000)
    best_eps, best_upper = dp_checks.cheapest_plan(x, 0.6)
    assert dp_checks.plan_success(x, best_upper, best_eps, 0.6) >= 0.95 - 1e-9
    assert dp_checks.plan_success(x, best_upper, best_eps * 0.97, 0.6) < 0.95  # no cheaper eps at that bound
    for upper in np.quantile(x, [0.6, 0.8, 0.9, 0.99, 1.0]):  # no other bound meets the target with less
        assert dp_checks.plan_success(x, upper, best_eps * 0.97, 0.6) < 0.95


def test_judgment_hidden_checks_pass_for_the_solution_under_many_keys(monkeypatch):
    # the only chance for an honest plan to fail is the data draw; for the audit, the confidence level
    keys = [f"key-{k}" for k in range(6)]
    assert_hidden_checks_pass(monkeypatch, dp_checks.CHECKS, JUDGMENT, solution_functions(), keys)


def test_hidden_inputs_change_with_the_key(monkeypatch):
    from mlops_course.grading.checks import secret_rng

    monkeypatch.setenv(GRADING_KEY_ENV, "one")
    a = dp_checks.plan_population(secret_rng("07/dp-plan/hidden"))
    monkeypatch.setenv(GRADING_KEY_ENV, "two")
    b = dp_checks.plan_population(secret_rng("07/dp-plan/hidden"))
    assert a["n"] != b["n"] or not np.array_equal(a["x"][:10], b["x"][:10])


def test_plan_margins_over_many_scenarios():
    # checks/dp.py: an honest plan with a 20% margin keeps P >= 0.95 and spends <= 2 x the cheapest.
    # Over 150 scenarios (keys) the worst case stays clear of both limits.
    plan = solution_functions()["plan_mean_release"]
    worst_p, worst_ratio = 1.0, 0.0
    for seed in range(150):
        case = dp_checks.plan_population(np.random.default_rng(10_000 + seed))
        chosen = plan(case["public"], case["n"], case["target"], 10.0)
        best, _ = dp_checks.cheapest_plan(case["x"], case["target"])
        worst_p = min(worst_p, dp_checks.plan_success(case["x"], chosen["upper"], chosen["epsilon"], case["target"]))
        worst_ratio = max(worst_ratio, chosen["epsilon"] / best)
    assert worst_p > 0.96 and worst_ratio < 1.6, (worst_p, worst_ratio)


def test_audit_bound_margins_and_false_fail_budget():
    # honest bound at confidence 1 - 2e-8: about 0.85-0.9 of the true eps, sd small; the informative
    # threshold (0.6) is far below, and soundness fails with probability <= AUDIT_MISS per case
    audit = solution_functions()["audit_epsilon"]
    ratios = []
    for seed in range(12):
        gen = np.random.default_rng(20_000 + seed)
        eps = float(gen.uniform(0.4, 2.0))
        d0, d1 = dp_checks.audit_outputs(gen, 1.0 / eps)
        ratios.append(audit(d0, d1, 1 - dp_checks.AUDIT_MISS) / eps)
    ratios = np.array(ratios)
    assert ratios.max() <= 1.0 and ratios.min() > 0.7
    assert (ratios.mean() - dp_checks.AUDIT_POWER) / ratios.std(ddof=1) > 6  # > 6 sd above the threshold
    total = dp_checks.N_STATISTICAL_TESTS * dp_checks.ALPHA_PER_TEST + dp_checks.ALPHA_AUDIT
    assert total <= dp_checks.ALPHA_TOTAL * (1 + 1e-12) and dp_checks.ALPHA_TOTAL == 1e-6


# ----------------------------------------------------------------------------- secret hidden inputs (units 07-09)
class RecordingRemote(LocalRemote):
    """A LocalRemote that records every argument a property sends to the student's code."""

    def __init__(self, objects: dict) -> None:
        super().__init__(objects)
        self.log: list[str] = []

    def _record(self, *parts) -> None:
        from mlops_course.grading.checks import encode_args

        self.log.append(repr(encode_args(list(parts))))

    def call(self, name, *args, **kwargs):
        self._record(name, args, kwargs)
        return super().call(name, *args, **kwargs)

    def repeat(self, n, name, *args, **kwargs):
        self._record(n, name, args, kwargs)
        return super().repeat(n, name, *args, **kwargs)

    def new(self, name, *args, **kwargs):
        self._record(name, args, kwargs)
        return super().new(name, *args, **kwargs)

    def method(self, handle, method, *args, **kwargs):
        self._record(handle, method, args, kwargs)
        return super().method(handle, method, *args, **kwargs)


def all_solution_objects(unit: str) -> dict:
    """Every answer cell of a unit's solution executed after its imports cell (the names the checks call)."""
    from mlops_course.grading.checks import load_checks

    nb = load_notebook(unit_notebooks(unit)[0])
    imports = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id", "").endswith("-imports"))
    checks = load_checks(unit)
    namespace = exec_answers(nb, [imports["metadata"]["nbgrader"]["grade_id"], *(c.grade_id for c in checks)])
    return {c.name: namespace[c.name] for c in checks}


@pytest.mark.parametrize("unit", ["07_differential_privacy", "08_homomorphic_encryption", "09_federated_learning"])
def test_every_hidden_property_draws_its_inputs_from_the_course_key(monkeypatch, unit):
    # a replay table recorded under the public development key must not match the inputs under a course key:
    # every hidden property sends different arguments under two keys, and the solution passes under both
    from mlops_course.grading.checks import load_checks

    objects = all_solution_objects(unit)
    hidden = [(c, p) for c in load_checks(unit) for p in c.properties if not p.visible]
    assert hidden
    logs = {}
    for key in ("course key one", "course key two"):
        monkeypatch.setenv(GRADING_KEY_ENV, key)
        for check, prop in hidden:
            remote = RecordingRemote({check.name: objects[check.name]})
            passed, message, _ = run_property(prop, remote, check.name)
            assert passed, (key, check.grade_id, prop.name, message)
            logs.setdefault((check.grade_id, prop.name), []).append(remote.log)
    same = [k for k, (a, b) in logs.items() if a == b]
    assert not same, same
