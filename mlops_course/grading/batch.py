"""A graded batch as the instructor tools read it: each submission next to its ``results.json``.

``mlops-course grade DIR -o OUT`` writes ``OUT/<name>.results.json`` for every notebook below ``DIR``,
where ``<name>`` is the notebook's path relative to ``DIR`` without ``.ipynb``, its parts joined by
``__`` (:func:`batch_name`). The feedback pages, the rubric pages and the class report all start from
:func:`load_batch`, which pairs them up again and reads each submission's answer cells by ``grade_id``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_course.grading.notebook import SubmissionError, cell_source, load_notebook, nbgrader_meta

__all__ = ["Graded", "batch_name", "submission_paths", "load_batch", "answer_cells"]


def batch_name(path: Path, root: Path) -> str:
    """The results-file stem of ``path`` graded as part of folder ``root`` (``a/b.ipynb`` -> ``a__b``).

    Sub-folder names are kept (joined with ``__``) so two students' ``hw.ipynb`` in different
    folders get different results files.

    Parameters
    ----------
    path : path
        The submission notebook, inside ``root``.
    root : path
        The folder being graded.

    Returns
    -------
    str
        The relative path without its suffix, parts joined by ``"__"``.

    Raises
    ------
    ValueError
        If ``path`` is not inside ``root`` (from :meth:`pathlib.Path.relative_to`).

    Examples
    --------
    >>> batch_name(Path("sub/alice/hw.ipynb"), Path("sub"))
    'alice__hw'
    """
    return "__".join(Path(path).relative_to(root).with_suffix("").parts)


def submission_paths(root: str | Path) -> list[Path]:
    """Every notebook below ``root`` (checkpoints excluded), sorted: what ``grade DIR`` grades."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"submissions must be an existing folder, got {str(root)!r}")
    return sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def answer_cells(nb: dict) -> dict[str, dict]:
    """``grade_id -> cell`` for every cell of a notebook that carries an nbgrader ``grade_id``."""
    cells: dict[str, dict] = {}
    for cell in nb.get("cells", []):
        gid = nbgrader_meta(cell).get("grade_id")
        if isinstance(gid, str) and gid not in cells:
            cells[gid] = cell
    return cells


@dataclass
class Graded:
    """One submission of a graded batch.

    Parameters
    ----------
    name : str
        The batch name (results-file stem), unique within the batch.
    path : Path
        The submission notebook.
    results : dict
        Its ``results.json`` (Gradescope schema plus ``extra_data``; empty if missing).
    answers : dict
        ``grade_id -> source`` of the submission's answer cells (empty if the notebook is unreadable).
    problem : str
        Why the notebook or its results could not be read ("" if both were fine).
    """

    name: str
    path: Path
    results: dict = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    problem: str = ""

    @property
    def unit(self) -> str | None:
        return (self.results.get("extra_data") or {}).get("unit")

    @property
    def score(self) -> float:
        return float(self.results.get("score", 0.0) or 0.0)

    @property
    def max_score(self) -> float:
        return float(self.results.get("max_score", 0.0) or 0.0)

    @property
    def tests(self) -> list[dict[str, Any]]:
        return [t for t in self.results.get("tests", []) if isinstance(t, dict)]


def load_batch(submissions: str | Path, results: str | Path) -> list[Graded]:
    """Pair every submission below ``submissions`` with its results file in ``results``.

    Parameters
    ----------
    submissions : path
        The folder that was graded (``grade DIR``).
    results : path
        The folder ``grade`` wrote (``-o``), holding ``<name>.results.json``.

    Returns
    -------
    list of Graded
        In submission order; a missing or unreadable results file or notebook is reported in
        ``problem`` rather than raised, so one bad file never hides the rest of the class.

    Raises
    ------
    ValueError
        If either folder does not exist, or no submission is found.
    """
    root, out = Path(submissions), Path(results)
    paths = submission_paths(root)
    if not out.is_dir():
        raise ValueError(f"results must be the folder 'mlops-course grade' wrote, got {str(out)!r}")
    if not paths:
        raise ValueError(f"no notebooks (*.ipynb) below {str(root)!r}")
    batch: list[Graded] = []
    for path in paths:
        item = Graded(batch_name(path, root), path)
        problems = []
        try:
            item.results = json.loads((out / f"{item.name}.results.json").read_text(encoding="utf-8"))
            if not isinstance(item.results, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            item.results = {}
            problems.append(f"no usable results file ({type(exc).__name__})")
        try:
            nb = load_notebook(path)
            item.answers = {gid: cell_source(cell) for gid, cell in answer_cells(nb).items()}
        except (SubmissionError, OSError, RecursionError) as exc:
            problems.append(f"unreadable notebook: {str(exc)[:200]}")
        item.problem = "; ".join(problems)
        batch.append(item)
    return batch
