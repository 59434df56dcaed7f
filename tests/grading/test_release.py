"""Release: exercises/ is a fresh, byte-stable release of solutions/, and each exercise stops at its first task."""
from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from mlops_course.grading.cli import main as cli_main
from mlops_course.grading.notebook import exercise_from_notebook, nbgrader_meta
from mlops_course.grading.release import (
    release_all,
    release_notebook,
    release_source,
    render_notebook,
    rubric_of,
    stale_exercises,
)
from tests.grading.conftest import ANSWER_IDS, EXERCISE, SOLUTION

REPO = SOLUTION.parents[1]


def test_exercises_equal_a_fresh_release_of_solutions():
    assert stale_exercises(REPO / "solutions", REPO / "exercises") == [], "run `mlops-course release`"


def test_release_is_byte_stable(tmp_path):
    nb = nbformat.read(str(SOLUTION), as_version=4)
    first = render_notebook(release_notebook(nb))
    assert first == render_notebook(release_notebook(nbformat.read(str(SOLUTION), as_version=4)))
    assert first.endswith("}\n") and not first.endswith("\n\n")
    assert json.loads(first)  # valid JSON
    shutil.copy(SOLUTION, tmp_path / SOLUTION.name)
    assert release_all(tmp_path, tmp_path / "ex") == [tmp_path / "ex" / SOLUTION.name]
    assert release_all(tmp_path, tmp_path / "ex") == []  # unchanged on a second run
    assert (tmp_path / "ex" / SOLUTION.name).read_text(encoding="utf-8") == first


def test_released_exercise_has_stubs_no_solutions_no_outputs():
    text = EXERCISE.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    nb = nbformat.read(str(EXERCISE), as_version=4)
    solution = nbformat.read(str(SOLUTION), as_version=4)
    kept = [c for c in solution.cells if rubric_of(c) is None]  # rubric cells stay in the solution
    assert [c.get("id") for c in nb.cells] == [c.get("id") for c in kept]
    assert [nbgrader_meta(c) for c in nb.cells] == [nbgrader_meta(c) for c in kept]
    assert not any(rubric_of(c) for c in nb.cells)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if nbgrader_meta(cell).get("solution") and cell.cell_type == "code":
            assert "# YOUR CODE HERE\n" in cell.source and "raise NotImplementedError()" in cell.source
        elif nbgrader_meta(cell).get("solution"):
            assert "YOUR ANSWER HERE" in cell.source
    assert exercise_from_notebook(nb).answer_ids == ANSWER_IDS


def test_release_source_keeps_indentation_and_code_around_the_block():
    src = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n# after"
    assert release_source(src) == "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n# after"


def test_release_source_other_cases():
    assert release_source("x = 1", solution=True) == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert release_source("x = 1", solution=False) == "x = 1"
    assert release_source("A\n### BEGIN SOLUTION\nsecret\n### END SOLUTION", "markdown") == "A\nYOUR ANSWER HERE"
    hidden = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 6\n### END HIDDEN TESTS\nprint('ok')"
    assert release_source(hidden, solution=False) == "assert f(1) == 2\nprint('ok')"
    for bad in ("### BEGIN SOLUTION\nx", "x\n### END SOLUTION", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n"):
        with pytest.raises(ValueError):
            release_source(bad)


def test_release_clears_outputs_and_volatile_metadata():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1)", execution_count=3,
                                     outputs=[nbformat.v4.new_output("stream", text="1\n")])
    cell.metadata["execution"] = {"iopub.status.busy": "2025-01-01"}
    cell.metadata["nbgrader"] = {"solution": False, "grade": False, "grade_id": "x", "locked": True}
    nb.cells = [cell]
    out = release_notebook(nb).cells[0]
    assert out.outputs == [] and out.execution_count is None and "execution" not in out.metadata
    assert cell.outputs  # input untouched


def test_release_check_cli_reports_stale_exercise(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    shutil.copy(SOLUTION, tmp_path / "solutions" / SOLUTION.name)
    args = ["--solutions", str(tmp_path / "solutions"), "--exercises", str(tmp_path / "exercises")]
    assert cli_main(["release", *args, "--check"]) == 1
    assert cli_main(["release", *args]) == 0
    assert cli_main(["release", *args, "--check"]) == 0
    target = tmp_path / "exercises" / SOLUTION.name
    target.write_text(target.read_text(encoding="utf-8").replace("YOUR CODE HERE", "edited"), encoding="utf-8")
    assert cli_main(["release", *args, "--check"]) == 1
    assert "differs from a fresh release" in capsys.readouterr().out


def test_exercise_runs_up_to_the_first_task_with_not_implemented_error():
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(str(EXERCISE), as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(REPO)}})
    with pytest.raises(CellExecutionError) as info:
        client.execute()
    assert info.value.ename == "NotImplementedError"
    ids = [nbgrader_meta(c).get("grade_id") for c in nb.cells]
    first_answer = ids.index(ANSWER_IDS[0])
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert len(failed) == 1
    # the error is raised by the first task: its answer cell or the self-check right after it
    assert first_answer <= failed[0] < ids.index(ANSWER_IDS[1])
    error = next(o for o in nb.cells[failed[0]].outputs if o.output_type == "error")
    assert error.ename == "NotImplementedError"


# ----------------------------------------------------------------------------- manual answers and rubrics
def _manual_notebook() -> nbformat.NotebookNode:
    """A solution with a markdown and a code manual answer, each with a rubric cell, and one task."""
    nb = nbformat.v4.new_notebook()
    md = nbformat.v4.new_markdown_cell("**Q1.** Which ε would you choose?\n\nε = 1, because the error is 4% at n = 1000.")
    md.metadata["nbgrader"] = {"solution": True, "grade": True, "grade_id": "q-eps", "points": 2, "locked": False,
                               "schema_version": 3}
    md_rubric = nbformat.v4.new_markdown_cell("Rubric q-eps: 1 pt for the trade-off, 1 pt for the number. SECRET-1")
    md_rubric.metadata["mlops_course"] = {"rubric": "q-eps"}
    code = nbformat.v4.new_code_cell("advantage = 0.1\n### BEGIN SOLUTION\nadvantage = 0.42  # SECRET-2\n"
                                     "### END SOLUTION\nprint(advantage)")
    code.metadata["nbgrader"] = {"solution": True, "grade": True, "grade_id": "q-attack", "points": 3.5,
                                 "locked": False, "schema_version": 3}
    code_rubric = nbformat.v4.new_markdown_cell("Rubric q-attack: advantage ≈ 0.4. SECRET-3")
    code_rubric.metadata["mlops_course"] = {"rubric": "q-attack"}
    task = nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x  # SECRET-4\n    ### END SOLUTION")
    task.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "t-f", "locked": False,
                                 "schema_version": 3}
    nb.cells = [md, md_rubric, code, code_rubric, task]
    return nb


def test_release_stubs_manual_answers_and_removes_rubric_cells():
    nb = _manual_notebook()
    released = release_notebook(nb)
    text = render_notebook(released)
    assert "SECRET" not in text and "Rubric" not in text
    assert [nbgrader_meta(c).get("grade_id") for c in released.cells] == ["q-eps", "q-attack", "t-f"]
    md, code, task = released.cells
    assert md.source == "YOUR ANSWER HERE"  # whole markdown answer replaced, as nbgrader does
    assert code.source == "advantage = 0.1\n# YOUR CODE HERE\nraise NotImplementedError()\nprint(advantage)"
    assert nbgrader_meta(md)["points"] == 2 and nbgrader_meta(code)["points"] == 3.5  # metadata kept for nbgrader
    assert len(nb.cells) == 5 and "SECRET-1" in nb.cells[1].source  # the solution is not modified


@pytest.mark.parametrize(("change", "message"), [
    (lambda nb: nb.cells[0].metadata["nbgrader"].update(points=0), "points of a manually graded answer"),
    (lambda nb: nb.cells[0].metadata["nbgrader"].pop("points"), "points of a manually graded answer"),
    (lambda nb: nb.cells[2].metadata["nbgrader"].update(points=True), "points of a manually graded answer"),
    (lambda nb: nb.cells[0].metadata["nbgrader"].pop("grade_id"), "needs a grade_id"),
    (lambda nb: nb.cells[1].metadata["mlops_course"].update(rubric="t-f"), "not a manually graded answer"),
    (lambda nb: nb.cells[3].metadata["mlops_course"].update(rubric=7), "must be a grade_id string"),
])
def test_release_rejects_malformed_manual_answers_and_rubrics(change, message):
    nb = _manual_notebook()
    change(nb)
    with pytest.raises(ValueError, match=message):
        release_notebook(nb)


def test_every_solution_rubric_names_a_manual_answer_and_none_reaches_the_exercise():
    for solution in sorted((REPO / "solutions").glob("*.ipynb")):
        nb = nbformat.read(str(solution), as_version=4)
        released = release_notebook(nb)  # raises on a rubric without its question
        assert not any(rubric_of(c) for c in released.cells), solution.name
        for cell in nb.cells:
            if rubric_of(cell) is not None:
                body = cell.source.strip().splitlines()
                assert body, solution.name
                assert all(line not in render_notebook(released) for line in body if len(line) > 20), solution.name
