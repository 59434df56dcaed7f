"""Grade reports: Gradescope ``results.json``, a text summary and a CSV of a batch.

The JSON follows Gradescope's autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level ``score``,
``max_score``, ``execution_time``, ``output`` (notebook-wide messages) and ``tests``, each test
with ``name``, ``score``, ``max_score``, ``output`` and ``visibility``. One test is one graded
property of one answer cell (``"dp-laplace: noise is Laplace(0, Δ/ε)"``), so partial credit and
hidden properties map directly onto Gradescope's model.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TestResult", "GradeReport", "results_json", "write_results", "format_text", "write_csv"]


@dataclass(frozen=True)
class TestResult:
    """One graded property (a Gradescope test)."""

    name: str
    grade_id: str
    score: float
    max_score: float
    output: str
    visibility: str = "visible"


@dataclass
class GradeReport:
    """The outcome of grading one submission.

    Attributes
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
    """

    submission: str
    unit: str | None
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""
    execution_time: float = 0.0
    status: str = "graded"

    @property
    def score(self) -> float:
        return float(sum(t.score for t in self.tests))

    @property
    def max_score(self) -> float:
        return float(sum(t.max_score for t in self.tests))

    def by_grade_id(self) -> dict[str, tuple[float, float]]:
        """``grade_id -> (score, max_score)`` in check order."""
        out: dict[str, tuple[float, float]] = {}
        for t in self.tests:
            score, top = out.get(t.grade_id, (0.0, 0.0))
            out[t.grade_id] = (score + t.score, top + t.max_score)
        return out


def results_json(report: GradeReport) -> dict:
    """The Gradescope ``results.json`` content of a report."""
    return {
        "score": round(report.score, 6),
        "max_score": round(report.max_score, 6),
        "execution_time": round(report.execution_time, 3),
        "output": report.output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {"name": t.name, "score": t.score, "max_score": t.max_score, "output": t.output,
             "visibility": t.visibility}
            for t in report.tests
        ],
        "extra_data": {"submission": report.submission, "unit": report.unit, "status": report.status},
    }


def write_results(report: GradeReport, path: str | Path) -> Path:
    """Write ``results.json`` for a report (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(results_json(report), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def format_text(report: GradeReport, hidden: bool = True) -> str:
    """A readable summary: total, then per answer cell its score and one line per property."""
    lines = [f"{report.submission}: {report.score:g} / {report.max_score:g}"
             + ("" if report.status == "graded" else f" ({report.status})")]
    if report.output:
        lines += ["  " + line for line in report.output.splitlines()]
    current = None
    totals = report.by_grade_id()
    for t in report.tests:
        if t.visibility != "visible" and not hidden:
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
    return "\n".join(lines)


def write_csv(reports: Sequence[GradeReport], path: str | Path) -> Path:
    """One row per submission: score, max score, status, per-answer-cell scores, time."""
    ids: list[str] = []
    for report in reports:
        for gid in report.by_grade_id():
            if gid not in ids:
                ids.append(gid)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "score", "max_score", "status", *ids, "execution_time", "message"])
        for report in reports:
            per = report.by_grade_id()
            message = report.output.splitlines()[0] if report.status != "graded" and report.output else ""
            writer.writerow([report.submission, f"{report.score:g}", f"{report.max_score:g}", report.status,
                             *(f"{per[g][0]:g}" if g in per else "" for g in ids),
                             f"{report.execution_time:.2f}", message])
    return path
