"""Grade reports: Gradescope ``results.json``, a text summary and a CSV of a batch.

The JSON follows Gradescope's autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level ``score``,
``max_score``, ``execution_time``, ``output`` (notebook-wide messages) and ``tests``, each test
with ``name``, ``score``, ``max_score``, ``output`` and ``visibility``. One test is one graded
property of one answer cell (``"dp-laplace: noise is Laplace(0, Δ/ε)"``), so partial credit and
hidden properties map directly onto Gradescope's model.

Manually graded questions (``MANUAL`` of a unit's check module) appear twice: as a ``tests[]``
entry named ``"<grade_id>: needs manual grading"`` with ``score`` 0, ``max_score`` = its points,
the output "Needs manual grading" and ``extra_data.status = "needs_manual_grading"`` (Gradescope's
own ``status`` key only allows passed/failed), which does **not** count in the top-level ``score``
and ``max_score`` (those are the autograded points); and in a top-level ``"manual"`` list of
``{"grade_id", "points", "title", "answer"}`` (the student's cell source, ``None`` if the cell is
missing) for a rubric tool. ``extra_data`` also carries the submission, unit, status and sandbox.

Every text is written with lone surrogates (``"\ud800"`` from a student's exception message)
replaced, and results files are written without following symlinks (:func:`write_results`).
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TestResult", "GradeReport", "results_json", "write_results", "format_text", "write_csv", "clean_text",
           "write_file", "MANUAL_STATUS"]

MANUAL_STATUS = "needs_manual_grading"
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class TestResult:
    """One graded property (a Gradescope test).

    Parameters
    ----------
    name : str
        ``"<grade_id>: <property name>"``.
    grade_id : str
        The answer cell the property belongs to.
    score : float
        Points earned (0 or ``max_score`` for an autograded property).
    max_score : float
        Points available.
    output : str
        Message shown to the student (``✔``/``✘``, then the property's message and hint).
    visibility : {"visible", "hidden", "after_due_date", "after_published"}
        Gradescope visibility of the test.
    status : str
        ``"graded"``, or ``MANUAL_STATUS`` for a question awaiting a human grader.
    """

    name: str
    grade_id: str
    score: float
    max_score: float
    output: str
    visibility: str = "visible"
    status: str = "graded"

    @property
    def manual(self) -> bool:
        """A manually graded question (not part of the autograded score)."""
        return self.status == MANUAL_STATUS


def clean_text(text: object) -> str:
    """``str(text)`` with anything UTF-8 cannot encode (lone surrogates) replaced by U+FFFD."""
    value = str(text)
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", value)


@dataclass
class GradeReport:
    """The outcome of grading one submission.

    Parameters
    ----------
    submission : str
        File name of the submission.
    unit : str or None
        Unit stem.
    tests : list of TestResult
    output : str
        Notebook-wide messages (why a notebook was rejected, isolation notes).
    execution_time : float
        Wall-clock seconds spent grading.
    status : {"graded", "rejected", "error"}
        ``rejected``: the notebook could not be used (score 0, reason in ``output``);
        ``error``: the grader itself failed.
    manual : list of dict
        Manually graded questions: ``{"grade_id", "points", "title", "answer"}``.
    sandbox : str
        ``"root"`` (the full sandbox) or ``"unsafe-same-user"``.
    """

    submission: str
    unit: str | None
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""
    execution_time: float = 0.0
    status: str = "graded"
    manual: list[dict] = field(default_factory=list)
    sandbox: str = "root"

    @property
    def score(self) -> float:
        """Autograded points (manually graded questions excluded)."""
        return float(sum(t.score for t in self.tests if not t.manual))

    @property
    def max_score(self) -> float:
        """Autograded maximum (manually graded questions excluded)."""
        return float(sum(t.max_score for t in self.tests if not t.manual))

    def by_grade_id(self) -> dict[str, tuple[float, float]]:
        """``grade_id -> (score, max_score)`` of the autograded tasks, in check order."""
        out: dict[str, tuple[float, float]] = {}
        for t in self.tests:
            if t.manual:
                continue
            score, top = out.get(t.grade_id, (0.0, 0.0))
            out[t.grade_id] = (score + t.score, top + t.max_score)
        return out


def _test_json(t: TestResult) -> dict:
    entry = {"name": clean_text(t.name), "score": t.score, "max_score": t.max_score, "output": clean_text(t.output),
             "visibility": t.visibility}
    if t.manual:
        entry["extra_data"] = {"status": MANUAL_STATUS, "grade_id": t.grade_id}
    return entry


def results_json(report: GradeReport) -> dict:
    """The Gradescope ``results.json`` content of a report."""
    data = {
        "score": round(report.score, 6),
        "max_score": round(report.max_score, 6),
        "execution_time": round(report.execution_time, 3),
        "output": clean_text(report.output),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [_test_json(t) for t in report.tests],
        "extra_data": {"submission": clean_text(report.submission), "unit": report.unit, "status": report.status,
                       "sandbox": report.sandbox},
    }
    if report.manual:
        data["manual"] = [{k: clean_text(v) if isinstance(v, str) else v for k, v in m.items()}
                          for m in report.manual]
    return data


def write_file(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` without ever following a symlink.

    Parent folders are created; the file is written to a fresh temporary name created with
    ``O_CREAT | O_EXCL | O_NOFOLLOW`` inside the folder (opened once, as a directory fd) and
    renamed over the target, so a symlink planted at the target or at the temporary name is
    never followed.

    Parameters
    ----------
    path : path
        The file to write (replaced atomically if it exists).
    text : str
        The content; characters UTF-8 cannot encode (lone surrogates) become U+FFFD.

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    ValueError
        If ``path`` itself is a symlink (refused: a planted link would redirect a root grader's
        write).
    OSError
        If the folder cannot be created or written to.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        raise ValueError(f"output path {str(path)!r} is a symlink; refusing to write through it")
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        tmp = f".{path.name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(clean_text(text).encode("utf-8"))
            os.rename(tmp, path.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder)
            raise
    finally:
        os.close(folder)
    return path


def write_results(report: GradeReport, path: str | Path) -> Path:
    """Write ``results.json`` for a report (parent folders are created; symlinks are refused).

    Parameters
    ----------
    report : GradeReport
        The graded submission.
    path : path
        Where to write (Gradescope expects ``/autograder/results/results.json``).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If ``path`` is a symlink (see :func:`write_file`).
    """
    return write_file(path, json.dumps(results_json(report), indent=1, ensure_ascii=False) + "\n")


def format_text(report: GradeReport, hidden: bool = True) -> str:
    """A readable summary: total, then per answer cell its score and one line per property.

    Parameters
    ----------
    report : GradeReport
        The graded submission.
    hidden : bool, optional
        Include hidden properties (tagged ``[hidden]``); ``False`` gives the student's view
        before grades are published.

    Returns
    -------
    str
        Multi-line text, no trailing newline; manually graded questions are listed as
        needing manual grading and are not in the score.
    """
    lines = [f"{report.submission}: {report.score:g} / {report.max_score:g}"
             + ("" if report.status == "graded" else f" ({report.status})")]
    if report.output:
        lines += ["  " + line for line in report.output.splitlines()]
    current = None
    totals = report.by_grade_id()
    for t in report.tests:
        if t.visibility != "visible" and not hidden:
            continue
        if t.manual:
            current = None
            lines.append(f"  {t.grade_id}: needs manual grading (up to {t.max_score:g} points, not in the score)")
            continue
        if t.grade_id != current:
            current = t.grade_id
            score, top = totals[current]
            lines.append(f"  {current}: {score:g} / {top:g}")
        prop = t.name.split(": ", 1)[-1]
        tag = "" if t.visibility == "visible" else " [hidden]"
        first, *rest = t.output.splitlines() or [""]
        lines.append(f"    {t.score:g}/{t.max_score:g} {prop}{tag} — {first}")
        lines += ["        " + r for r in rest]
    return clean_text("\n".join(lines))


def write_csv(reports: Sequence[GradeReport], path: str | Path) -> Path:
    """One row per submission: unit, score, max score, status, per-answer-cell scores, manual
    questions awaiting a grader, time, message (written like :func:`write_file`).

    Parameters
    ----------
    reports : sequence of GradeReport
        The graded submissions; the answer-cell columns are the union of their grade_ids in
        order of first appearance (empty cell where a report lacks one).
    path : path
        The CSV file to write.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If ``path`` is a symlink.
    """
    ids: list[str] = []
    for report in reports:
        for gid in report.by_grade_id():
            if gid not in ids:
                ids.append(gid)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["submission", "unit", "score", "max_score", "status", *ids, "needs_manual_grading",
                     "execution_time", "message"])
    for report in reports:
        per = report.by_grade_id()
        message = report.output.splitlines()[0] if report.status != "graded" and report.output else ""
        manual = " ".join(str(m.get("grade_id")) for m in report.manual)
        writer.writerow([clean_text(report.submission), report.unit or "", f"{report.score:g}",
                         f"{report.max_score:g}", report.status, *(f"{per[g][0]:g}" if g in per else "" for g in ids),
                         manual, f"{report.execution_time:.2f}", clean_text(message)])
    return write_file(path, buffer.getvalue())
