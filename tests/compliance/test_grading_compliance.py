"""The autograder on exercise 03 (GDPR & CCPA): full marks, zero, one plausible wrong answer per task."""
from __future__ import annotations

import pytest

from mlops_course.grading.checks import compliance as compliance_checks
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits
from tests._grading import (
    assert_full_marks,
    assert_only_task_lost,
    assert_registry_matches,
    assert_zero,
    with_replacements,
    write_notebook,
)

UNIT = "03_gdpr_ccpa"
SOLUTION = REPO_ROOT / "solutions" / f"{UNIT}.ipynb"
EXERCISE = REPO_ROOT / "exercises" / f"{UNIT}.ipynb"
POINTS = {"gdpr-purpose": 3.0, "gdpr-kanon": 3.0, "gdpr-erasure": 3.0, "gdpr-audit": 3.0, "gdpr-cards": 3.0}
LIMITS = Limits(cell_seconds=5.0, call_seconds=20.0, total_seconds=120.0, memory_bytes=2 * 2**30, processes=32)


@pytest.fixture(scope="module", autouse=True)
def registered(monkeypatch_module):
    """Make sure the unit's checks are found whether or not the registry lists them yet."""
    import mlops_course.grading.checks as checks

    if hasattr(checks, "CHECK_MODULES"):
        monkeypatch_module.setitem(checks.CHECK_MODULES, UNIT, compliance_checks.__name__)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader(UNIT, limits=LIMITS)


def test_registry_points_match_the_notebook():
    assert_registry_matches(UNIT, POINTS, SOLUTION)


def test_solution_gets_full_marks(grader):
    assert_full_marks(grader.grade(SOLUTION), POINTS)


def test_untouched_exercise_gets_zero(grader):
    assert_zero(grader.grade(EXERCISE), POINTS)


WRONG = {
    # no data minimisation: whole rows of consenting subjects
    "gdpr-purpose": ("return [{c: row[c] for c in columns} for row in rows", "return [dict(row) for row in rows"),
    # bands one year too wide
    "gdpr-kanon": ('return f"{lo}-{lo + w - 1}"', 'return f"{lo}-{lo + w}"'),
    # the data is deleted but the model is not retrained
    "gdpr-erasure": ('"weights": train(X_rest, y_rest)}', '"weights": train(X, y)}'),
    # the head is ignored: a cut-off tail goes unnoticed
    "gdpr-audit": ("return None if prev == head else len(entries)", "return None"),
    # no Luhn check: every 13-19 digit number is masked
    "gdpr-cards": ("if not luhn_ok(\"\".join(digits)):", "if False:"),
}


@pytest.mark.parametrize("gid", sorted(WRONG))
def test_plausible_wrong_answer_loses_that_tasks_points(grader, tmp_path, gid):
    nb = with_replacements(SOLUTION, {gid: WRONG[gid]})
    report = grader.grade(write_notebook(tmp_path, nb, f"{UNIT}.ipynb"))
    assert_only_task_lost(report, POINTS, gid)


def test_checks_are_exact_not_statistical():
    # every property compares with a reference on harness-chosen data; none draws random outputs
    assert all("distribution" not in p.func.__name__ for c in compliance_checks.CHECKS for p in c.properties)
    assert sum(c.points for c in compliance_checks.CHECKS) == 15.0
