"""Written answers graded by people: rubric pages per question, and scores read back into grades.

Manually graded questions (nbgrader's "manually graded answer" cells) are listed per unit in the
check module's ``MANUAL`` (:class:`mlops_course.grading.checks.ManualQuestion`); ``grade`` leaves
them "needs manual grading". This module closes the loop:

1. ``mlops-course rubric SUBMISSIONS --results grades/ -o rubric/`` writes one HTML page per question
   (``rubric/<grade_id>.html``): the rubric and the model answer from ``solutions/`` beside every
   student's answer, and a score sheet ``rubric/manual_scores.csv`` (one row per student and
   question, ``score`` and ``comment`` left empty; an existing sheet is never overwritten).
2. The instructor fills in ``score`` (0 … points) and ``comment``.
3. ``mlops-course rubric SUBMISSIONS --results grades/ --scores rubric/manual_scores.csv -o final.csv``
   checks every score and writes the final grades: automatic + manual points per student.

The rubric lives in the solution notebook, in a markdown cell whose metadata is
``{"mlops_course": {"rubric": "<grade_id>"}}`` (``release`` removes it from the exercise).
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from mlops_course.grading.batch import Graded, answer_cells, load_batch
from mlops_course.grading.html import esc, write_page
from mlops_course.grading.notebook import cell_source, load_notebook, unit_of

__all__ = ["Question", "questions_for", "write_rubric_pages", "read_scores", "write_final_grades",
           "SCORE_COLUMNS"]

SCORE_COLUMNS = ("submission", "unit", "grade_id", "points", "score", "comment")


@dataclass(frozen=True)
class Question:
    """One manually graded question with its rubric and model answer.

    Parameters
    ----------
    grade_id : str
        The answer cell's ``grade_id``.
    unit : str
        The unit's file stem.
    points : float
        Points a grader can award.
    title : str
        The question in a few words.
    rubric : str
        Markdown of the solution's rubric cells for this question (``metadata.mlops_course.rubric``
        naming the grade_id), joined by blank lines; ``""`` without a solution notebook.
    model_answer : str
        Source of the solution's answer cell; ``""`` without a solution notebook.
    """

    grade_id: str
    unit: str
    points: float
    title: str
    rubric: str
    model_answer: str


def _solution_notebook(unit: str, solutions: str | Path | None) -> Path | None:
    import mlops_course

    if solutions is not None:
        folder = Path(solutions)
    else:  # the course folder we run in, else the checkout the package was installed from (editable)
        here = Path.cwd() / "solutions"
        folder = here if here.is_dir() else Path(mlops_course.__file__).resolve().parent.parent / "solutions"
    path = folder / f"{unit}.ipynb"
    return path if path.is_file() else None


def questions_for(unit: str, solutions: str | Path | None = None) -> list[Question]:
    """The manually graded questions of a unit, with rubric and model answer from its solution.

    Parameters
    ----------
    unit : str
        Unit stem (``"04_ethics_data_governance"``).
    solutions : path, optional
        Folder of solution notebooks (default: the course's ``solutions/``). Without a solution
        notebook the rubric and model answer are empty.

    Returns
    -------
    list of Question
        One per entry of the unit's ``MANUAL`` list, in its order; empty if the unit has no
        manually graded question.

    Raises
    ------
    ChecksUnavailable
        If the unit's check module cannot be imported.
    SubmissionError
        If the solution notebook exists but cannot be read.
    """
    from mlops_course.grading.checks import builtin_manual

    manual = builtin_manual(unit)
    rubric: dict[str, list[str]] = {}
    model: dict[str, str] = {}
    path = _solution_notebook(unit, solutions)
    if path is not None:
        nb = load_notebook(path)
        for cell in nb.get("cells", []):
            meta = cell.get("metadata", {}).get("mlops_course", {})
            if isinstance(meta, dict) and isinstance(meta.get("rubric"), str):
                rubric.setdefault(meta["rubric"], []).append(cell_source(cell))
        model = {gid: cell_source(cell) for gid, cell in answer_cells(nb).items()}
    return [Question(q.grade_id, unit, float(q.points), q.title, "\n\n".join(rubric.get(q.grade_id, [])),
                     model.get(q.grade_id, "")) for q in manual]


def _unit(item: Graded, default: str | None) -> str | None:
    if item.unit:
        return item.unit
    if default:
        return default
    try:
        return unit_of(load_notebook(item.path), item.path.name)
    except Exception:  # noqa: BLE001 - an unreadable notebook has no unit; reported in its row
        return None


def write_rubric_pages(submissions: str | Path, results: str | Path, output: str | Path, *,
                       unit: str | None = None, solutions: str | Path | None = None) -> list[Path]:
    """Write one page per manually graded question and the score sheet ``manual_scores.csv``.

    Parameters
    ----------
    submissions, results : path
        The graded folder and the folder ``grade`` wrote.
    output : path
        Folder for the pages and the score sheet.
    unit : str, optional
        The unit, when neither the results nor the notebooks say it.
    solutions : path, optional
        Folder of solution notebooks (rubrics and model answers).

    Returns
    -------
    list of Path
        The question pages.

    Raises
    ------
    ValueError
        If the batch has no manually graded question.
    """
    batch = load_batch(submissions, results)
    out = Path(output)
    by_question: dict[tuple[str, str], list[Graded]] = {}
    questions: dict[tuple[str, str], Question] = {}
    sheet: list[list[str]] = []
    for item in batch:
        item_unit = _unit(item, unit)
        if item_unit is None:
            continue
        for q in questions_for(item_unit, solutions):
            questions[(item_unit, q.grade_id)] = q
            by_question.setdefault((item_unit, q.grade_id), []).append(item)
            sheet.append([item.name, item_unit, q.grade_id, f"{q.points:g}", "", ""])
    if not questions:
        raise ValueError("no manually graded questions in this batch (units without MANUAL questions)")
    pages = []
    for key, q in questions.items():
        answers = []
        for item in by_question[key]:
            text = item.answers.get(q.grade_id)
            shown = f"<pre>{esc(text)}</pre>" if text and text.strip() else "<p class='fail'>(no answer)</p>"
            answers.append(f"<div class='box' id='{esc(item.name)}'><b>{esc(item.name)}</b> "
                           f"<span class='muted'>score in manual_scores.csv: 0 … {q.points:g}</span>{shown}</div>")
        body = (f"<h1>{esc(q.grade_id)}: {esc(q.title)}</h1><p class='muted'>unit {esc(q.unit)} · {q.points:g} points · "
                f"{len(answers)} answers</p><div class='grid'><div><h2>Rubric</h2><pre>{esc(q.rubric or '(none)')}</pre>"
                f"</div><div><h2>Model answer</h2><pre>{esc(q.model_answer or '(none)')}</pre></div></div>"
                f"<h2>Answers</h2>{''.join(answers)}")
        pages.append(write_page(out / f"{q.grade_id}.html", f"Rubric {q.grade_id}", body))
    sheet_path = out / "manual_scores.csv"
    if not sheet_path.exists():
        with sheet_path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(SCORE_COLUMNS)
            writer.writerows(sheet)
    return pages


def read_scores(path: str | Path, expected: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """Read and check a filled-in score sheet.

    Parameters
    ----------
    path : path
        ``manual_scores.csv`` with the columns :data:`SCORE_COLUMNS`.
    expected : dict
        ``(submission, grade_id) -> points`` of every question that must be scored.

    Returns
    -------
    dict
        ``(submission, grade_id) -> score``.

    Raises
    ------
    ValueError
        Naming the row: an unknown submission or question, a score that is not a number in
        ``[0, points]``, a duplicate row, or questions left without a score.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise ValueError(f"scores must be a readable CSV file, got {str(path)!r}: {exc.strerror}") from exc
    scores: dict[tuple[str, str], float] = {}
    for number, row in enumerate(rows, start=2):
        key = (str(row.get("submission", "")).strip(), str(row.get("grade_id", "")).strip())
        if key not in expected:
            raise ValueError(f"{path.name} line {number}: unknown submission/question {key}")
        if key in scores:
            raise ValueError(f"{path.name} line {number}: {key} is scored twice")
        text = str(row.get("score", "") or "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{path.name} line {number}: score must be a number, got {text!r}") from None
        if not math.isfinite(value) or not 0 <= value <= expected[key]:
            raise ValueError(f"{path.name} line {number}: score must lie in [0, {expected[key]:g}], got {text!r}")
        scores[key] = value
    missing = sorted(set(expected) - set(scores))
    if missing:
        shown = ", ".join(f"{s}/{g}" for s, g in missing[:5])
        raise ValueError(f"{path.name}: {len(missing)} answers have no score yet (e.g. {shown})")
    return scores


def write_final_grades(submissions: str | Path, results: str | Path, scores: str | Path, output: str | Path, *,
                       unit: str | None = None) -> Path:
    """Final grades: automatic points from ``results`` plus the manual scores from the sheet.

    Columns: ``submission, unit, auto_score, auto_max, manual_score, manual_max, total, max``.

    Parameters
    ----------
    submissions : path
        Folder of the graded submission notebooks.
    results : path
        Folder holding their ``results.json`` files (as written by ``grade DIR``).
    scores : path
        The filled-in manual score sheet (CSV, see :func:`read_scores`).
    output : path
        The CSV file to write (parent folders created).
    unit : str, optional
        Unit stem for submissions whose results do not name one (default: read from the notebook).

    Returns
    -------
    pathlib.Path
        ``output``.

    Raises
    ------
    ValueError
        If a folder does not exist or holds no submission (:func:`~mlops_course.grading.batch.load_batch`),
        or the score sheet is wrong (see :func:`read_scores`).
    """
    batch = load_batch(submissions, results)
    expected: dict[tuple[str, str], float] = {}
    units: dict[str, str | None] = {}
    for item in batch:
        units[item.name] = _unit(item, unit)
        if units[item.name]:
            for q in questions_for(units[item.name]):
                expected[(item.name, q.grade_id)] = q.points
    got = read_scores(scores, expected)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "unit", "auto_score", "auto_max", "manual_score", "manual_max", "total", "max"])
        for item in batch:
            manual = sum(v for (s, _), v in got.items() if s == item.name)
            manual_max = sum(v for (s, _), v in expected.items() if s == item.name)
            writer.writerow([item.name, units[item.name] or "", f"{item.score:g}", f"{item.max_score:g}",
                             f"{manual:g}", f"{manual_max:g}", f"{item.score + manual:g}",
                             f"{item.max_score + manual_max:g}"])
    return out
