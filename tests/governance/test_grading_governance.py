"""The autograder on exercise 04 (ethics & data governance): full marks, zero, one plausible wrong answer per task."""
from __future__ import annotations

import pytest

from mlops_course.grading.checks import governance as governance_checks
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits
from tests._grading import (
    answer_source,
    assert_full_marks,
    assert_only_task_lost,
    assert_registry_matches,
    assert_zero,
    load_notebook,
    with_replacements,
    write_notebook,
)

UNIT = "04_ethics_data_governance"
SOLUTION = REPO_ROOT / "solutions" / f"{UNIT}.ipynb"
EXERCISE = REPO_ROOT / "exercises" / f"{UNIT}.ipynb"
POINTS = {"gov-quality": 3.0, "gov-policy": 3.0, "gov-lineage": 3.0, "gov-card": 3.0}
LIMITS = Limits(cell_seconds=5.0, call_seconds=20.0, total_seconds=120.0, memory_bytes=2 * 2**30, processes=32)


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader(UNIT, limits=LIMITS)


def test_checks_module_is_discovered():
    from mlops_course.grading.checks import check_modules

    assert check_modules(strict=True)[UNIT] == governance_checks.__name__


def test_registry_points_match_the_notebook():
    assert_registry_matches(UNIT, POINTS, SOLUTION)


def test_solution_gets_full_marks(grader):
    assert_full_marks(grader.grade(SOLUTION), POINTS)


def test_untouched_exercise_gets_zero(grader):
    assert_zero(grader.grade(EXERCISE), POINTS)


WRONG = {
    # every copy of a repeated row counted, including the first
    "gov-quality": ("        if row in seen:\n            duplicates += 1",
                    "        if row in seen or rows.count(row) > 1:\n            duplicates += 1"),
    # special-category data allowed without an Art. 9(2) condition
    "gov-policy": ('elif classifications[column] == "special-category" and art9_condition is None:',
                   "elif False:"),
    # only direct children of the sources, not the transitive closure
    "gov-lineage": ("                stack.append(child)", "                pass"),
    # FPR computed over all rows of the group instead of the true negatives
    "gov-card": ('"fpr": float(np.mean(p[t == 0]))', '"fpr": float(np.mean(p))'),
}


@pytest.mark.parametrize("gid", sorted(WRONG))
def test_plausible_wrong_answer_loses_that_tasks_points(grader, tmp_path, gid):
    nb = with_replacements(SOLUTION, {gid: WRONG[gid]})
    report = grader.grade(write_notebook(tmp_path, nb, f"{UNIT}.ipynb"))
    assert_only_task_lost(report, POINTS, gid)


def test_ethics_answers_are_released_as_free_text():
    exercise = load_notebook(EXERCISE)
    for gid in ("gov-q-consent", "gov-q-accountability", "gov-q-misuse", "gov-q-impact"):
        assert answer_source(exercise, gid).strip() == "YOUR ANSWER HERE"
        assert "BEGIN SOLUTION" in answer_source(load_notebook(SOLUTION), gid)


def test_checks_are_exact_not_statistical():
    assert sum(c.points for c in governance_checks.CHECKS) == 12.0
    assert all(any(p.visible for p in c.properties) and any(not p.visible for p in c.properties)
               for c in governance_checks.CHECKS)
