"""Reading exercise and submission notebooks, with clear messages for malformed input.

A submission is *trusted for nothing but the source of its answer cells*: the grader takes the
released exercise (from ``exercises/`` or the Gradescope bundle) to know which cells are
answer cells (``nbgrader.solution = true``), which set-up cells run first, and how many points
each task is worth; from the student's notebook it reads only the source of the cells whose
``grade_id`` is one of those answer cells.

Every problem with a submission raises :class:`SubmissionError` with a message meant for the
student (not a traceback): not JSON, not a notebook, an unsupported nbformat, a kernel that is
not Python, answer cells missing or duplicated, a notebook for another unit.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SubmissionError", "Exercise", "Answers", "read_notebook_json", "load_notebook", "nbgrader_meta",
    "cell_source", "exercise_from_notebook", "extract_answers", "unit_of",
]

MAX_BYTES = 50 * 1024 * 1024


class SubmissionError(ValueError):
    """A submission the grader cannot use; ``str(error)`` is the message for the student."""


def cell_source(cell: dict) -> str:
    """The source of a cell as one string (nbformat allows a string or a list of lines)."""
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return str(source)


def nbgrader_meta(cell: dict) -> dict:
    """The cell's ``nbgrader`` metadata (empty dict if absent or malformed)."""
    meta = cell.get("metadata")
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def read_notebook_json(data: bytes | str, name: str = "the submission") -> dict:
    """Parse and sanity-check a notebook's JSON; raise :class:`SubmissionError` if unusable.

    Checks: valid UTF-8 JSON (not nested deeper than the interpreter's recursion limit, no integer
    over its digit limit); an object with ``cells`` (a list of objects) and ``nbformat``;
    nbformat 4 (3 and older are not supported, and there is no 5 yet); a Python kernel when the
    notebook names its language. Cell ``source`` may be a string or a list of strings.

    Parameters
    ----------
    data : bytes or str
        The file's content; bytes must be UTF-8 and at most ``MAX_BYTES`` (50 MiB).
    name : str, optional
        How messages name the notebook (its file name).

    Returns
    -------
    dict
        The parsed notebook (not copied or normalised).

    Raises
    ------
    SubmissionError
        With a message for the student saying what is wrong and how to fix it.

    Examples
    --------
    >>> len(read_notebook_json('{"cells": [], "nbformat": 4, "metadata": {}}')["cells"])
    0
    >>> read_notebook_json('{"cells": []}', "hw.ipynb")
    Traceback (most recent call last):
    ...
    mlops_course.grading.notebook.SubmissionError: hw.ipynb is JSON but not a Jupyter notebook (no 'cells'/'nbformat')
    """
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise SubmissionError(f"{name} is {len(data) / 2**20:.0f} MB; notebooks over "
                                  f"{MAX_BYTES // 2**20} MB are not accepted (clear the outputs and resubmit)")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SubmissionError(f"{name} is not a text file (not UTF-8): is it really a .ipynb notebook?") from exc
    try:
        nb = json.loads(data)
    except RecursionError as exc:
        raise SubmissionError(f"{name} is JSON nested too deeply to be a Jupyter notebook") from exc
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}): a Jupyter notebook "
                              "is a JSON file; download it again with File > Download") from exc
    except ValueError as exc:  # e.g. an integer over the interpreter's digit limit
        raise SubmissionError(f"{name} is not usable JSON ({exc}): download the notebook again") from exc
    if not isinstance(nb, dict) or "cells" not in nb or "nbformat" not in nb:
        raise SubmissionError(f"{name} is JSON but not a Jupyter notebook (no 'cells'/'nbformat')")
    version = nb.get("nbformat")
    if not isinstance(version, int) or version != 4:
        raise SubmissionError(f"{name} has nbformat {version!r}; only nbformat 4 notebooks are accepted "
                              "(open it in a current JupyterLab and save it again)")
    cells = nb["cells"]
    if not isinstance(cells, list) or not all(isinstance(c, dict) and "cell_type" in c for c in cells):
        raise SubmissionError(f"{name} has a malformed 'cells' list")
    for cell in cells:
        source = cell.get("source", "")
        if not isinstance(source, str) and not (isinstance(source, list) and all(isinstance(s, str) for s in source)):
            raise SubmissionError(f"{name} has a cell whose source is neither text nor a list of lines")
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    languages = []
    kernelspec = meta.get("kernelspec")
    if isinstance(kernelspec, dict) and kernelspec.get("language"):
        languages.append(str(kernelspec["language"]))
    info = meta.get("language_info")
    if isinstance(info, dict) and info.get("name"):
        languages.append(str(info["name"]))
    for language in languages:
        if language.lower() not in ("python", "python3"):
            raise SubmissionError(f"{name} uses a {language} kernel; this exercise must be answered in Python")
    return nb


def load_notebook(path: str | Path) -> dict:
    """Read a notebook file as a plain dict (see :func:`read_notebook_json`)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SubmissionError(f"cannot read {path.name}: {exc.strerror}") from exc
    return read_notebook_json(data, path.name)


def unit_of(nb: dict, filename: str | None = None) -> str | None:
    """The unit stem a notebook claims: ``metadata.mlops_course.stem`` or a ``NN_name`` file name.

    Parameters
    ----------
    nb : dict
        The notebook (its ``metadata`` is read, if it is a dict).
    filename : str, optional
        The notebook's file name; used when the metadata names no unit, and only if its stem
        looks like a unit (two digits, ``_``, lowercase letters and ``_``).

    Returns
    -------
    str or None
        The unit stem, or ``None`` if neither source names one.

    Examples
    --------
    >>> unit_of({"metadata": {"mlops_course": {"stem": "07_differential_privacy"}}})
    '07_differential_privacy'
    >>> unit_of({}, "uploads/03_gdpr_ccpa.ipynb"), unit_of({}, "homework.ipynb")
    ('03_gdpr_ccpa', None)
    """
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    course = meta.get("mlops_course")
    if isinstance(course, dict) and isinstance(course.get("stem"), str):
        return course["stem"]
    if filename and re.match(r"^\d\d_[a-z_]+$", Path(filename).stem):
        return Path(filename).stem
    return None


@dataclass(frozen=True)
class Exercise:
    """What the grader needs from a released exercise.

    Parameters
    ----------
    stem : str
        Unit file stem (``07_differential_privacy``).
    answer_ids : tuple of str
        ``grade_id`` of every answer cell, in notebook order.
    setup_sources : tuple of str
        Sources of the locked code cells before the first answer cell (imports), run before the
        answers; they come from the release, so a student editing them changes nothing.
    points : dict
        ``grade_id -> points`` from the graded cells (``<grade_id>-check`` or the answer cell).
    """

    stem: str
    answer_ids: tuple[str, ...]
    setup_sources: tuple[str, ...]
    points: dict[str, float] = field(default_factory=dict)


def exercise_from_notebook(nb: Any, stem: str | None = None) -> Exercise:
    """Build an :class:`Exercise` from a released (or solution) notebook.

    Answer cells are the code cells with nbgrader ``solution`` metadata and a ``grade_id``; setup
    cells are the ungraded code cells before the first answer cell; points come from graded
    cells (a ``<grade_id>-check`` cell's points go to ``<grade_id>``).

    Parameters
    ----------
    nb : mapping
        The trusted released (or solution) notebook, never a submission.
    stem : str, optional
        The unit stem; default :func:`unit_of` the notebook, else ``"unknown"``.

    Returns
    -------
    Exercise
        The exercise's answer ids, setup sources and points.

    Raises
    ------
    ValueError
        If two answer cells share a ``grade_id``.
    """
    nb = dict(nb)
    stem = stem or unit_of(nb) or "unknown"
    answers: list[str] = []
    setup: list[str] = []
    points: dict[str, float] = {}
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if meta.get("solution") and cell.get("cell_type") == "code" and gid:
            if gid in answers:
                raise ValueError(f"the exercise has two answer cells with grade_id {gid!r}")
            answers.append(gid)
        elif cell.get("cell_type") == "code" and not answers and not meta.get("grade"):
            setup.append(cell_source(cell))
        if meta.get("grade") and gid and meta.get("points") is not None:
            target = gid[: -len("-check")] if gid.endswith("-check") else gid
            points[target] = points.get(target, 0.0) + float(meta["points"])
    return Exercise(stem, tuple(answers), tuple(setup), points)


@dataclass(frozen=True)
class Answers:
    """Answer-cell sources taken from a submission, and per-cell problems.

    Parameters
    ----------
    sources : dict
        ``grade_id -> source`` for every answer cell found exactly once.
    problems : dict
        ``grade_id -> message`` for answer cells missing or duplicated (those tasks score 0).
    """

    sources: dict[str, str]
    problems: dict[str, str]


def extract_answers(nb: dict, exercise: Exercise, name: str = "the submission") -> Answers:
    """Take the answer cells of ``exercise`` from a submission notebook.

    Cells are matched by their nbgrader ``grade_id`` (a markdown cell with an answer's id is
    ignored); an answer cell that is missing or appears twice becomes a per-cell problem, so
    the other tasks are still graded.

    Parameters
    ----------
    nb : dict
        The submission, as returned by :func:`read_notebook_json`.
    exercise : Exercise
        The released exercise the submission answers.
    name : str, optional
        How messages name the submission.

    Returns
    -------
    Answers
        The sources found and the problems of the other answer cells.

    Raises
    ------
    SubmissionError
        If the notebook has none of the exercise's answer cells (a notebook for another unit,
        or one whose cell metadata was stripped), or claims to belong to another unit.
    """
    claimed = unit_of(nb)
    found: dict[str, list[str]] = {}
    other_ids: list[str] = []
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if not isinstance(gid, str):
            continue
        if gid in exercise.answer_ids:
            if cell.get("cell_type") != "code":
                continue
            found.setdefault(gid, []).append(cell_source(cell))
        elif meta.get("solution"):
            other_ids.append(gid)
    if claimed is not None and claimed != exercise.stem:
        raise SubmissionError(f"{name} is the notebook of unit {claimed}, but this grader is for unit "
                              f"{exercise.stem}: submit exercises/{exercise.stem}.ipynb")
    if not found:
        detail = (f"; its answer cells are {', '.join(sorted(set(other_ids))[:6])}" if other_ids else
                  " (no cell has nbgrader metadata: was the notebook re-created or its metadata removed?)")
        raise SubmissionError(f"{name} does not contain any answer cell of exercise {exercise.stem} "
                              f"({', '.join(exercise.answer_ids)}){detail}. Submit the exercise notebook "
                              "itself, with your code written in its answer cells")
    sources: dict[str, str] = {}
    problems: dict[str, str] = {}
    for gid in exercise.answer_ids:
        copies = found.get(gid, [])
        if not copies:
            problems[gid] = (f"the answer cell {gid!r} is missing from your notebook (deleted or its metadata "
                             "lost?): copy your answer into that cell of a fresh exercise notebook")
        elif len(copies) > 1:
            problems[gid] = (f"the answer cell {gid!r} appears {len(copies)} times (a copied cell keeps its "
                             "metadata): keep exactly one cell with your answer")
        else:
            sources[gid] = copies[0]
    return Answers(sources, problems)
