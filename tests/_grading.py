"""Test-only helpers shared by the per-unit grading tests (``tests/*/test_grading_*.py``).

They build a submission from a unit's solution or exercise notebook with some answer cells
replaced, write it where the grader can read it, and turn a grading report into per-task scores.
Import them as ``from tests._grading import ...`` (``tests`` is a package).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["load_notebook", "answer_cell", "answer_source", "with_answers", "with_replacements",
           "write_notebook", "scores", "assert_registry_matches", "assert_full_marks", "assert_zero",
           "assert_only_task_lost"]


def load_notebook(path: Path) -> dict:
    """The notebook at ``path`` as a JSON dict (a fresh copy on every call)."""
    return json.loads(path.read_text(encoding="utf-8"))


def answer_cell(nb: dict, grade_id: str) -> dict:
    """The one cell of ``nb`` whose nbgrader ``grade_id`` is ``grade_id`` (fails unless exactly one)."""
    matches = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(matches) == 1, grade_id
    return matches[0]


def answer_source(nb: dict, grade_id: str) -> str:
    """The source text of the answer cell ``grade_id`` (joined if stored as a list of lines)."""
    src = answer_cell(nb, grade_id)["source"]
    return "".join(src) if isinstance(src, list) else src


def with_answers(base: Path, changes: Mapping[str, str]) -> dict:
    """The notebook ``base`` with the answer cells ``changes`` (grade_id → new source) replaced."""
    nb = load_notebook(base)
    for gid, text in changes.items():
        answer_cell(nb, gid)["source"] = text
    return nb


def with_replacements(base: Path, changes: Mapping[str, tuple[str, str]]) -> dict:
    """The notebook ``base`` with ``old`` replaced by ``new`` in each answer cell of ``changes``.

    ``changes`` maps a grade_id to ``(old, new)``; fails if ``old`` is not in that cell's source
    (the mutation would silently not apply).
    """
    nb = load_notebook(base)
    for gid, (old_text, new_text) in changes.items():
        old = answer_source(nb, gid)
        assert old_text in old, (gid, old_text)
        answer_cell(nb, gid)["source"] = old.replace(old_text, new_text)
    return nb


def write_notebook(tmp_path: Path, nb: dict, name: str = "submission.ipynb") -> Path:
    """Write ``nb`` as JSON to ``tmp_path / name`` and return the path (to pass to ``Grader.grade``)."""
    path = tmp_path / name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def scores(report: Any) -> dict[str, float]:
    """Points earned per answer cell of a grading report: ``{grade_id: score}``."""
    return {gid: s for gid, (s, _) in report.by_grade_id().items()}


def assert_registry_matches(unit: str, points: Mapping[str, float], solution: Path | None = None) -> None:
    """The unit's checks follow the notebook's answer cells, in order, with the notebook's points.

    With ``solution``, every check's answer cell there also defines ``def <name>(``.
    """
    from mlops_course.grading.checks import builtin_manual, load_checks
    from mlops_course.grading.harness import find_exercise

    exercise = find_exercise(unit)
    checks = load_checks(unit)
    manual = {q.grade_id: float(q.points) for q in builtin_manual(unit)}
    auto_ids = [g for g in exercise.answer_ids if g not in manual]
    assert [c.grade_id for c in checks] == auto_ids == list(points)
    assert {c.grade_id: c.points for c in checks} == {g: v for g, v in exercise.points.items() if g not in manual} \
        == points
    assert {g: exercise.points.get(g) for g in manual} == manual  # manual questions: MANUAL matches the notebook
    if solution is not None:
        nb = load_notebook(solution)
        for c in checks:
            assert f"def {c.name}(" in answer_source(nb, c.grade_id)


def assert_full_marks(report: Any, points: Mapping[str, float]) -> None:
    """The report is graded and every task got its full points (failing outputs shown otherwise)."""
    assert report.status == "graded"
    assert scores(report) == points, [t.output for t in report.tests if t.score < t.max_score]


def assert_zero(report: Any, points: Mapping[str, float]) -> None:
    """The untouched exercise: 0 of the unit's total, every test reporting 'not implemented yet'."""
    assert report.score == 0.0 and report.max_score == sum(points.values())
    assert all("not implemented yet" in t.output for t in report.tests if not getattr(t, "manual", False))


def assert_only_task_lost(report: Any, points: Mapping[str, float], grade_id: str, at_least: float = 1.0) -> None:
    """Task ``grade_id`` lost at least ``at_least`` points; every other task kept its full points."""
    got = scores(report)
    assert got[grade_id] <= points[grade_id] - at_least, (grade_id, got[grade_id], [t.output for t in report.tests])
    assert {g: s for g, s in got.items() if g != grade_id} == {g: p for g, p in points.items() if g != grade_id}
