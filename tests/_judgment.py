"""Test helpers for the judgment and written tasks of units 04–06 (shared by their grading tests)."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["assert_registry_and_manual", "assert_zero_auto", "under_keys"]


def under_keys(monkeypatch: Any, key: str) -> None:
    """Grade with the course key ``key`` (and no key file)."""
    from mlops_course.grading.checks import GRADING_KEY_ENV, GRADING_KEY_FILE_ENV

    monkeypatch.setenv(GRADING_KEY_ENV, key)
    monkeypatch.delenv(GRADING_KEY_FILE_ENV, raising=False)


def assert_registry_and_manual(unit: str, points: Mapping[str, float], manual_points: Mapping[str, float],
                               solution: Path, manual: Sequence[Any]) -> None:
    """Auto checks follow the notebook's code answer cells (order and points); the written answers are the
    module's ``MANUAL`` questions, markdown cells with ``grade: true`` and the same points."""
    from mlops_course.grading.checks import load_checks
    from mlops_course.grading.harness import find_exercise

    exercise = find_exercise(unit)
    checks = load_checks(unit)
    assert [c.grade_id for c in checks] == list(exercise.answer_ids) == list(points)
    assert {c.grade_id: c.points for c in checks} == points
    assert {g: p for g, p in exercise.points.items() if g in points} == points
    assert {q.grade_id: float(q.points) for q in manual} == manual_points
    assert all(q.unit == unit for q in manual)
    nb = json.loads(solution.read_text(encoding="utf-8"))
    for gid, pts in manual_points.items():
        (cell,) = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == gid]
        meta = cell["metadata"]["nbgrader"]
        assert cell["cell_type"] == "markdown" and meta["solution"] and meta["grade"] and not meta["locked"]
        assert float(meta["points"]) == pts
    for c in checks:
        (cell,) = [x for x in nb["cells"] if x["metadata"].get("nbgrader", {}).get("grade_id") == c.grade_id]
        assert f"def {c.name}(" in "".join(cell["source"])


def assert_zero_auto(report: Any, points: Mapping[str, float], manual_points: Mapping[str, float]) -> None:
    """The untouched exercise: 0 of the autograded total, every autograded test 'not implemented yet', and
    each written answer reported as needing manual grading (never scored automatically)."""
    assert report.score == 0.0 and report.max_score == sum(points.values())
    auto = [t for t in report.tests if not t.manual]
    assert auto and all("not implemented yet" in t.output for t in auto)
    manual = {t.grade_id: t.max_score for t in report.tests if t.manual}
    assert manual == dict(manual_points) and all(t.score == 0 for t in report.tests if t.manual)
