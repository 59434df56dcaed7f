"""The autograder on exercise 04 (ethics & data governance): full marks, zero, one plausible wrong answer per task."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_course.grading.checks import governance as governance_checks
from mlops_course.grading.checks import load_checks
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits, find_exercise

UNIT = "04_ethics_data_governance"
SOLUTION = REPO_ROOT / "solutions" / f"{UNIT}.ipynb"
EXERCISE = REPO_ROOT / "exercises" / f"{UNIT}.ipynb"
POINTS = {"gov-quality": 3.0, "gov-policy": 3.0, "gov-lineage": 3.0, "gov-card": 3.0}
LIMITS = Limits(cell_seconds=5.0, call_seconds=20.0, total_seconds=120.0, memory_bytes=2 * 2**30, processes=32)


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader(UNIT, limits=LIMITS)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(nb: dict, gid: str) -> str:
    (cell,) = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid]
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _with(tmp_path: Path, changes: dict[str, tuple[str, str]]) -> Path:
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


def test_checks_module_is_discovered():
    from mlops_course.grading.checks import check_modules

    assert check_modules(strict=True)[UNIT] == governance_checks.__name__


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
    report = grader.grade(_with(tmp_path, {gid: WRONG[gid]}))
    got = scores(report)
    assert got[gid] <= POINTS[gid] - 1.0, (gid, got[gid])
    assert {g: s for g, s in got.items() if g != gid} == {g: p for g, p in POINTS.items() if g != gid}


def test_ethics_answers_are_released_as_free_text():
    exercise = _load(EXERCISE)
    for gid in ("gov-q-consent", "gov-q-accountability", "gov-q-misuse", "gov-q-impact"):
        assert _source(exercise, gid).strip() == "YOUR ANSWER HERE"
        assert "BEGIN SOLUTION" in _source(_load(SOLUTION), gid)


def test_checks_are_exact_not_statistical():
    assert sum(c.points for c in governance_checks.CHECKS) == 12.0
    assert all(any(p.visible for p in c.properties) and any(not p.visible for p in c.properties)
               for c in governance_checks.CHECKS)
