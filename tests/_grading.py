"""Test-only helpers shared by the per-unit grading tests (``tests/*/test_grading_*.py``).

They build a submission from a unit's solution or exercise notebook with some answer cells
replaced, write it where the grader can read it, and turn a grading report into per-task scores.
It also holds the assertions every unit's grading test repeats (the solution passes every property,
hidden inputs follow the key, the written answer's cells, a partial submission). Import them as
``from tests._grading import ...`` (``tests`` is a package).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = ["load_notebook", "answer_cell", "answer_source", "with_answers", "with_replacements",
           "write_notebook", "scores", "assert_registry_matches", "assert_full_marks", "assert_zero",
           "assert_only_task_lost", "unit_notebooks", "grader_fixture", "use_key", "exec_answers", "local_score",
           "run_check", "assert_solution_passes_every_property", "assert_hidden_checks_pass",
           "assert_hidden_inputs_depend_on_the_key", "assert_manual_questions", "assert_released_blank",
           "assert_partial_scores_the_done_tasks", "assert_failures_explain_themselves"]


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
            src = answer_source(nb, c.grade_id)
            assert f"def {c.name}(" in src or f"class {c.name}" in src, c.grade_id


def assert_full_marks(report: Any, points: Mapping[str, float], manual: Sequence[float] | None = None) -> None:
    """The report is graded and every task got its full points (failing outputs shown otherwise).

    With ``manual``, the report's manually graded tests have these maximum points and score 0 (not auto-graded).
    """
    assert report.status == "graded"
    assert scores(report) == points, [t.output for t in report.tests if t.score < t.max_score]
    if manual is not None:
        tests = [t for t in report.tests if "manual" in t.output.lower()]
        assert [t.max_score for t in tests] == list(manual) and all(t.score == 0 for t in tests)


def assert_zero(report: Any, points: Mapping[str, float]) -> None:
    """The untouched exercise: 0 of the unit's total, every test reporting 'not implemented yet'."""
    assert report.score == 0.0 and report.max_score == sum(points.values())
    assert all("not implemented yet" in t.output for t in report.tests if not getattr(t, "manual", False))


def assert_only_task_lost(report: Any, points: Mapping[str, float], grade_id: str, at_least: float = 1.0) -> None:
    """Task ``grade_id`` lost at least ``at_least`` points; every other task kept its full points."""
    got = scores(report)
    assert got[grade_id] <= points[grade_id] - at_least, (grade_id, got[grade_id], [t.output for t in report.tests])
    assert {g: s for g, s in got.items() if g != grade_id} == {g: p for g, p in points.items() if g != grade_id}


# ----------------------------------------------------------------------------- shared by the per-unit tests
def unit_notebooks(unit: str) -> tuple[Path, Path]:
    """The unit's ``(solution, exercise)`` notebook paths."""
    from mlops_course.grading.harness import REPO_ROOT

    return REPO_ROOT / "solutions" / f"{unit}.ipynb", REPO_ROOT / "exercises" / f"{unit}.ipynb"


def grader_fixture(unit: str, limits: Any) -> Any:
    """A module-scoped ``grader`` fixture: ``grader = grader_fixture(UNIT, LIMITS)`` at a test module's top."""
    from mlops_course.grading.harness import Grader

    @pytest.fixture(scope="module")
    def grader() -> Grader:
        return Grader(unit, limits=limits)

    return grader


def use_key(monkeypatch: pytest.MonkeyPatch, key: str | None) -> None:
    """Grade under the course key ``key`` (``None``: the public development key)."""
    from mlops_course.grading.checks import GRADING_KEY_ENV

    if key is None:
        monkeypatch.delenv(GRADING_KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(GRADING_KEY_ENV, key)


def exec_answers(nb: dict, grade_ids: Iterable[str], namespace: dict | None = None,
                 changes: Mapping[str, str] | None = None) -> dict:
    """Execute the answer cells ``grade_ids`` of ``nb`` (our own solution) in order in ``namespace``.

    ``changes`` maps a grade_id to the source run instead of that cell's. Returns the namespace.
    """
    ns: dict = {} if namespace is None else namespace
    for gid in grade_ids:
        exec((changes or {}).get(gid, answer_source(nb, gid)), ns)  # noqa: S102 - our own solution notebook
    return ns


def _check(checks: Sequence[Any], grade_id: str) -> Any:
    (check,) = [c for c in checks if c.grade_id == grade_id]
    return check


def local_score(checks: Sequence[Any], grade_id: str, namespace: Mapping[str, Any]) -> float:
    """Points the check ``grade_id`` of ``checks`` gives the function in ``namespace``, run in this process."""
    from mlops_course.grading.checks import LocalRemote, run_property

    check = _check(checks, grade_id)
    remote = LocalRemote({check.name: namespace[check.name]})
    return sum(p.points for p in check.properties if run_property(p, remote, check.name)[0])


def run_check(checks: Sequence[Any], grade_id: str, functions: Mapping[str, Any],
              visible: bool | None = None) -> list[tuple[str, bool, str]]:
    """``(property name, passed, message)`` of the check ``grade_id`` run here (only visible/hidden ones if given)."""
    from mlops_course.grading.checks import LocalRemote, run_property

    check = _check(checks, grade_id)
    remote = LocalRemote({check.name: functions[check.name]})
    return [(p.name, *run_property(p, remote, check.name)[:2]) for p in check.properties
            if visible is None or p.visible == visible]


def assert_solution_passes_every_property(checks: Sequence[Any], namespace: Mapping[str, Any], key: Any) -> None:
    """Every property of every check passes for the solution's functions in ``namespace`` (under the current key,
    ``key`` names it in the failure)."""
    from mlops_course.grading.checks import LocalRemote, run_property

    for check in checks:
        remote = LocalRemote({check.name: namespace[check.name]})
        for prop in check.properties:
            passed, message, _ = run_property(prop, remote, check.name)
            assert passed, (key, check.grade_id, prop.name, message)


def assert_hidden_checks_pass(monkeypatch: pytest.MonkeyPatch, checks: Sequence[Any], grade_ids: Iterable[str],
                              functions: Mapping[str, Any], keys: Iterable[str]) -> None:
    """Under each course key of ``keys``, every hidden property of the checks ``grade_ids`` passes."""
    for key in keys:
        use_key(monkeypatch, key)
        for gid in grade_ids:
            failed = [(n, m) for n, ok, m in run_check(checks, gid, functions, visible=False) if not ok]
            assert not failed, (key, failed)


def assert_hidden_inputs_depend_on_the_key(monkeypatch: pytest.MonkeyPatch, tags: Sequence[str],
                                           keys: tuple[str, str]) -> list[int]:
    """Every tag's secret seed differs between the two course ``keys``; returns the seeds under the first."""
    from mlops_course.grading.checks import secret_seed

    seeds = []
    for key in keys:
        use_key(monkeypatch, key)
        seeds.append([secret_seed(t) for t in tags])
    assert all(x != y for x, y in zip(*seeds, strict=True)), tags
    return seeds[0]


def assert_manual_questions(unit: str, manual_points: Mapping[str, float], *, min_words: int = 0,
                            min_chars: int = 0, answer_contains: str = "",
                            rubric_contains: Sequence[str] = ("Rubric",)) -> None:
    """The unit's ``MANUAL`` questions are its written answer cells, each followed by its rubric.

    Each question has the notebook's points, a title and the unit; its solution cell is a graded, unlocked
    markdown cell holding a model answer (more than ``min_words`` words and ``min_chars`` characters, with
    ``answer_contains``, no nbgrader markers); the next cell, and no other, is its locked, ungraded rubric
    (``{grade_id}-rubric``) containing each of ``rubric_contains``.
    """
    from mlops_course.grading.checks import builtin_manual

    questions = builtin_manual(unit)
    assert {q.grade_id: float(q.points) for q in questions} == dict(manual_points)
    assert all(q.unit == unit and q.title for q in questions)
    solution = load_notebook(unit_notebooks(unit)[0])
    cells = solution["cells"]
    for gid, points in manual_points.items():
        answer = answer_cell(solution, gid)
        meta = answer["metadata"]["nbgrader"]
        assert answer["cell_type"] == "markdown"
        assert meta["solution"] and meta["grade"] and not meta["locked"] and meta["points"] == points
        text = answer_source(solution, gid)
        assert len(text.split()) > min_words and len(text) > min_chars, gid  # a model answer, not a stub
        assert answer_contains in text and "BEGIN SOLUTION" not in text, gid
        rubric = cells[cells.index(answer) + 1]
        assert rubric["metadata"]["mlops_course"] == {"rubric": gid}
        assert [c for c in cells if c["metadata"].get("mlops_course", {}).get("rubric") == gid] == [rubric]
        assert rubric["metadata"]["nbgrader"]["grade_id"] == f"{gid}-rubric"
        assert not rubric["metadata"]["nbgrader"]["grade"] and rubric["metadata"]["nbgrader"]["locked"]
        assert all(s in "".join(rubric["source"]) for s in rubric_contains), (gid, rubric_contains)


def assert_released_blank(unit: str, grade_ids: Iterable[str]) -> None:
    """The released exercise holds the answer stub for each written question and no rubric at all."""
    exercise = load_notebook(unit_notebooks(unit)[1])
    ids = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in exercise["cells"]}
    for gid in grade_ids:
        assert answer_source(exercise, gid).strip() == "YOUR ANSWER HERE"  # release strips the model answer
        assert f"{gid}-rubric" not in ids
    assert not [c for c in exercise["cells"] if "rubric" in c["metadata"].get("mlops_course", {})]  # and the rubric


def assert_partial_scores_the_done_tasks(grader: Any, tmp_path: Path, unit: str, points: Mapping[str, float],
                                         done: Iterable[str]) -> None:
    """The exercise with only the answers ``done`` taken from the solution gets exactly those tasks' points."""
    solution_path, exercise_path = unit_notebooks(unit)
    solution, done = load_notebook(solution_path), tuple(done)
    nb = with_answers(exercise_path, {gid: answer_source(solution, gid) for gid in done})
    got = scores(grader.grade(write_notebook(tmp_path, nb, f"{unit}.ipynb")))
    assert got == {gid: (points[gid] if gid in done else 0.0) for gid in points}


def assert_failures_explain_themselves(report: Any, grade_id: str) -> None:
    """Task ``grade_id`` failed some test, and every failed test's feedback is more than a few words."""
    failed = [t.output for t in report.tests if t.grade_id == grade_id and t.score < t.max_score]
    assert failed and all(len(text) > 40 for text in failed), failed
