"""The autograder on exercise 03 (GDPR & CCPA): full marks, zero, one plausible wrong answer per task."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_course.grading.checks import compliance as compliance_checks
from mlops_course.grading.checks import load_checks
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits, find_exercise

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


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(nb: dict, gid: str) -> str:
    (cell,) = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid]
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _with(tmp_path: Path, changes: dict[str, str]) -> Path:
    nb = _load(SOLUTION)
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in changes:
            old = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            old_text, new_text = changes[gid]
            assert old_text in old, (gid, old_text)
            cell["source"] = old.replace(old_text, new_text)
    path = tmp_path / f"{UNIT}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def scores(report) -> dict[str, float]:
    return {gid: s for gid, (s, _) in report.by_grade_id().items()}


def test_registry_points_match_the_notebook():
    exercise = find_exercise(UNIT)
    checks = load_checks(UNIT)
    assert [c.grade_id for c in checks] == list(exercise.answer_ids) == list(POINTS)
    assert {c.grade_id: c.points for c in checks} == exercise.points == POINTS
    for c in checks:
        assert f"def {c.name}(" in _source(_load(SOLUTION), c.grade_id)


def test_solution_gets_full_marks(grader):
    report = grader.grade(SOLUTION)
    assert report.status == "graded"
    assert scores(report) == POINTS, [t.output for t in report.tests if t.score < t.max_score]


def test_untouched_exercise_gets_zero(grader):
    report = grader.grade(EXERCISE)
    assert report.score == 0.0 and report.max_score == sum(POINTS.values())
    assert all("not implemented yet" in t.output for t in report.tests)


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
    report = grader.grade(_with(tmp_path, {gid: WRONG[gid]}))
    got = scores(report)
    assert got[gid] <= POINTS[gid] - 1.0, (gid, got[gid])
    assert {g: s for g, s in got.items() if g != gid} == {g: p for g, p in POINTS.items() if g != gid}


def test_checks_are_exact_not_statistical():
    # every property compares with a reference on harness-chosen data; none draws random outputs
    assert all("distribution" not in p.func.__name__ for c in compliance_checks.CHECKS for p in c.properties)
    assert sum(c.points for c in compliance_checks.CHECKS) == 15.0
