"""Release: turn a solution notebook into the student's exercise notebook (nbgrader-compatible).

``solutions/NN_*.ipynb`` is the single source of every exercise. Releasing it

* replaces each ``### BEGIN SOLUTION`` … ``### END SOLUTION`` block of a code cell by
  ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the marker's indentation (a
  markdown answer block becomes ``YOUR ANSWER HERE``); an answer cell (``nbgrader.solution``)
  without markers is replaced entirely, as nbgrader does;
* removes ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` blocks;
* treats a *manually graded answer* (a code or markdown cell with ``nbgrader: {solution: true,
  grade: true, grade_id, points}``, graded by a person) like any answer cell: its solution region
  (the whole cell, or the lines between the markers) becomes the stub, ``YOUR ANSWER HERE`` in
  markdown (nbgrader's stubs); its ``points`` must be a number > 0;
* removes *rubric cells*: cells whose metadata holds ``"mlops_course": {"rubric": "<grade_id>"}``
  (the marking guide of the manual question ``<grade_id>``, kept in the solution notebook only);
  a rubric naming no manual question of the notebook is an error;
* clears outputs and execution counts, and drops per-run metadata (``execution``,
  ``collapsed``, ``scrolled``);
* keeps cell ids (missing ones get a deterministic id from the ``grade_id`` or the position)
  and all ``nbgrader`` metadata, so nbgrader users can take the notebooks as they are.

The output is byte-stable: the same solution always gives the same file (``nbformat.writes``
with its sorted keys and one-space indent, plus a trailing newline), so ``exercises/`` can be
checked in and a test can compare it with a fresh release.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

from mlops_course.grading.notebook import cell_source, nbgrader_meta

__all__ = ["release_source", "release_notebook", "render_notebook", "release_file", "release_all",
           "stale_exercises", "rubric_of", "is_manual", "BEGIN_SOLUTION", "END_SOLUTION", "CODE_STUB", "MARKDOWN_STUB"]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = ("YOUR ANSWER HERE",)
_VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def _replace_blocks(source: str, begin: str, end: str, stub: tuple[str, ...]) -> str:
    lines = source.split("\n")
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == begin:
            if inside:
                raise ValueError(f"nested {begin!r} at line {number}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in stub)
        elif stripped == end:
            if not inside:
                raise ValueError(f"{end!r} without {begin!r} at line {number}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{begin!r} without {end!r}")
    return "\n".join(out)


def release_source(source: str, cell_type: str = "code", solution: bool = True) -> str:
    """Release one cell's source (see the module docstring).

    Parameters
    ----------
    source : str
        The cell source from the solution notebook.
    cell_type : {"code", "markdown"}
        Decides the stub.
    solution : bool
        Whether the cell is an answer cell (``nbgrader.solution``); such a cell without markers is
        replaced by the stub entirely.

    Returns
    -------
    str
        The released source: hidden-test blocks removed, each solution block replaced by the
        stub (``# YOUR CODE HERE`` + ``raise NotImplementedError()`` in code, ``YOUR ANSWER
        HERE`` in markdown) at the block's indentation.

    Examples
    --------
    >>> print(release_source("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION"))
    def f():
        # YOUR CODE HERE
        raise NotImplementedError()
    """
    stub = CODE_STUB if cell_type == "code" else MARKDOWN_STUB
    source = _replace_blocks(source, BEGIN_HIDDEN, END_HIDDEN, ())
    if any(line.strip() in (BEGIN_SOLUTION, END_SOLUTION) for line in source.split("\n")):
        return _replace_blocks(source, BEGIN_SOLUTION, END_SOLUTION, stub)
    if solution:
        return "\n".join(stub)
    return source


def rubric_of(cell: dict) -> str | None:
    """The ``grade_id`` a rubric cell belongs to (``metadata.mlops_course.rubric``), else ``None``."""
    meta = cell.get("metadata")
    course = meta.get("mlops_course") if isinstance(meta, dict) else None
    rubric = course.get("rubric") if isinstance(course, dict) else None
    return rubric if isinstance(rubric, str) else None


def is_manual(cell: dict) -> bool:
    """Whether a cell is a manually graded answer (``nbgrader`` ``solution`` and ``grade`` both true)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("solution")) and bool(meta.get("grade"))


def _check_manual(nb: nbformat.NotebookNode) -> None:
    manual = set()
    for index, cell in enumerate(nb.cells):
        if not is_manual(cell):
            continue
        meta = nbgrader_meta(cell)
        gid, points = meta.get("grade_id"), meta.get("points")
        if not isinstance(gid, str) or not gid:
            raise ValueError(f"cell {index}: a manually graded answer needs a grade_id, got {gid!r}")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
            raise ValueError(f"cell {index} ({gid}): points of a manually graded answer must be a number > 0, "
                             f"got {points!r}")
        manual.add(gid)
    for index, cell in enumerate(nb.cells):
        rubric = rubric_of(cell)
        if rubric is None and isinstance(cell.get("metadata"), dict) and "rubric" in (
                cell.metadata.get("mlops_course") or {}):
            raise ValueError(f"cell {index}: metadata.mlops_course.rubric must be a grade_id string")
        if rubric is not None and rubric not in manual:
            raise ValueError(f"cell {index}: rubric for {rubric!r}, which is not a manually graded answer of this "
                             f"notebook (those are {sorted(manual)})")


def release_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the released copy of a solution notebook (the input is not modified).

    Raises
    ------
    ValueError
        For unbalanced solution markers, a manual answer without a grade_id or positive points,
        or a rubric cell naming no manual answer.
    """
    out = copy.deepcopy(nb)
    _check_manual(out)
    out.cells = [cell for cell in out.cells if rubric_of(cell) is None]
    for index, cell in enumerate(out.cells):
        meta = nbgrader_meta(cell)
        try:
            cell.source = release_source(cell_source(cell), cell.cell_type, bool(meta.get("solution")))
        except ValueError as exc:
            raise ValueError(f"cell {index} ({meta.get('grade_id', 'no grade_id')}): {exc}") from exc
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if "id" not in cell and (out.nbformat, out.nbformat_minor) >= (4, 5):
            cell.id = re.sub(r"[^A-Za-z0-9_-]", "-", str(meta.get("grade_id") or f"cell-{index}"))[:64]
    return out


def render_notebook(nb: nbformat.NotebookNode) -> str:
    """The exact text written for a notebook: ``nbformat.writes`` plus one trailing newline."""
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"


def release_file(solution: str | Path, exercise: str | Path) -> bool:
    """Release ``solution`` into ``exercise``; return whether the file changed.

    The file is written only when its text differs, so an unchanged release leaves the
    modification time (and git) alone.

    Parameters
    ----------
    solution : path
        The solution notebook (nbformat 4).
    exercise : path
        The exercise notebook to write (parent folders created).

    Returns
    -------
    bool
        True if ``exercise`` was created or rewritten.
    """
    nb = nbformat.read(str(solution), as_version=4)
    text = render_notebook(release_notebook(nb))
    target = Path(exercise)
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return True


def release_all(solutions: str | Path, exercises: str | Path) -> list[Path]:
    """Release every ``solutions/*.ipynb`` into ``exercises/``; return the files that changed.

    Parameters
    ----------
    solutions : path
        Folder of solution notebooks (not searched recursively).
    exercises : path
        Folder the exercise notebooks are written to (same file names).

    Returns
    -------
    list of pathlib.Path
        The exercise files created or rewritten, in file-name order.
    """
    changed = []
    for solution in sorted(Path(solutions).glob("*.ipynb")):
        target = Path(exercises) / solution.name
        if release_file(solution, target):
            changed.append(target)
    return changed


def stale_exercises(solutions: str | Path, exercises: str | Path) -> list[str]:
    """Names of exercises that differ from a fresh release (missing ones included), and extras.

    Nothing is written: this is what the test that keeps ``exercises/`` in sync runs.

    Parameters
    ----------
    solutions : path
        Folder of solution notebooks.
    exercises : path
        Folder of released exercise notebooks.

    Returns
    -------
    list of str
        One line per problem, ``"<file>: missing"``, ``"<file>: differs from a fresh release"``
        or ``"<file>: has no solution notebook"``; empty when the folders agree.
    """
    problems = []
    wanted = {p.name for p in Path(solutions).glob("*.ipynb")}
    for solution in sorted(Path(solutions).glob("*.ipynb")):
        target = Path(exercises) / solution.name
        text = render_notebook(release_notebook(nbformat.read(str(solution), as_version=4)))
        if not target.exists():
            problems.append(f"{target.name}: missing")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"{target.name}: differs from a fresh release")
    for extra in sorted(Path(exercises).glob("*.ipynb")):
        if extra.name not in wanted:
            problems.append(f"{extra.name}: has no solution notebook")
    return problems
