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
    assert [c.get("id") for c in nb.cells] == [c.get("id") for c in solution.cells]
    assert [nbgrader_meta(c) for c in nb.cells] == [nbgrader_meta(c) for c in solution.cells]
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if nbgrader_meta(cell).get("solution"):
            assert "# YOUR CODE HERE\n" in cell.source and "raise NotImplementedError()" in cell.source
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
