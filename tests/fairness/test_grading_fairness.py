"""Grading of exercise 05 (bias): the solution gets full marks, the untouched exercise 0, and one
wrong-but-plausible answer per task loses exactly that task's points (or the properties it breaks)."""
from __future__ import annotations

import pytest

from mlops_course.grading.checks import LocalRemote, run_property
from mlops_course.grading.checks import fairness as fair_checks
from mlops_course.grading.harness import REPO_ROOT, Grader
from tests._grading import (
    answer_source,
    assert_registry_matches,
    load_notebook,
    scores,
    with_answers,
    write_notebook,
)
from tests.grading.conftest import TEST_LIMITS

UNIT = "05_bias"
SOLUTION = REPO_ROOT / "solutions" / f"{UNIT}.ipynb"
EXERCISE = REPO_ROOT / "exercises" / f"{UNIT}.ipynb"
POINTS = {"fair-selection-rates": 2.0, "fair-dp": 2.0, "fair-eod": 3.0, "fair-reweighing": 3.0,
          "fair-thresholds": 3.0, "fair-chouldechova": 2.0}
TOTAL = sum(POINTS.values())


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader("05", limits=TEST_LIMITS)


def test_registry_points_match_the_notebook():
    assert_registry_matches(UNIT, POINTS, SOLUTION)
    assert fair_checks.UNIT == UNIT


def test_solution_full_marks_and_exercise_zero(grader):
    report = grader.grade(SOLUTION)
    assert (report.score, report.max_score) == (TOTAL, TOTAL), [t.output for t in report.tests if not t.score]
    assert scores(report) == POINTS
    report = grader.grade(EXERCISE)
    assert (report.score, report.max_score) == (0.0, TOTAL)


# one wrong-but-plausible answer per task: (grade_id, source, points it should still get); task 2 calls
# task 1's selection_rates, so the counts mutant also costs fair-dp its formula points (see OTHERS)
SOLUTION_NB = load_notebook(SOLUTION)
MUTANTS = {
    "counts instead of rates": ("fair-selection-rates", answer_source(SOLUTION_NB, "fair-selection-rates").replace(
        "float(y_pred[groups == g].mean())", "float(y_pred[groups == g].sum())"), 0.5),
    "ratio instead of difference": ("fair-dp", answer_source(SOLUTION_NB, "fair-dp").replace(
        "return max(rates) - min(rates)", "return min(rates) / max(rates)"), 0.5),
    "mean instead of worst case": ("fair-eod", answer_source(SOLUTION_NB, "fair-eod").replace(
        "return float(max(max(tpr) - min(tpr), max(fpr) - min(fpr)))",
        "return float((max(tpr) - min(tpr) + max(fpr) - min(fpr)) / 2)"), 1.0),
    "inverted weights": ("fair-reweighing", answer_source(SOLUTION_NB, "fair-reweighing").replace(
        "w[cell] = (groups == g).sum() * (y == label).sum() / (n * cell.sum())",
        "w[cell] = n * cell.sum() / ((groups == g).sum() * (y == label).sum())"), 0.5),
    "one global threshold": ("fair-thresholds", answer_source(SOLUTION_NB, "fair-thresholds").replace(
        "s = np.sort(scores[groups == g])[::-1]", "s = np.sort(scores)[::-1]"), 0.5),
    "forgets (1 - FNR)": ("fair-chouldechova", answer_source(SOLUTION_NB, "fair-chouldechova").replace(
        "* (1.0 - fnr)", "* fnr"), 0.5),
}

OTHERS = {"counts instead of rates": {"fair-dp": 0.5}}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_wrong_answer_loses_its_points(grader, tmp_path, name):
    gid, text, kept = MUTANTS[name]
    assert text != answer_source(SOLUTION_NB, gid)  # the mutation applied
    report = grader.grade(write_notebook(tmp_path, with_answers(SOLUTION, {gid: text})))
    assert scores(report) == {**POINTS, gid: kept, **OTHERS.get(name, {})}


def test_self_check_runs_locally():
    ns: dict = {}
    exec("import math\nimport numpy as np\n" + answer_source(SOLUTION_NB, "fair-selection-rates")
         + "\n" + answer_source(SOLUTION_NB, "fair-dp"), ns)
    check = {c.grade_id: c for c in fair_checks.CHECKS}["fair-dp"]
    remote = LocalRemote({"demographic_parity_difference": ns["demographic_parity_difference"]})
    assert all(run_property(p, remote, check.name)[0] for p in check.properties)
