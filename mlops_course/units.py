"""The course map: the 11 units, their slides, notebooks, exercises and helper modules.

One table, used by the README, the introduction notebook, ``mlops-course release`` and
the grader (a submission names its unit by file name ``NN_*.ipynb``).

The README's two tables (units; instructor page) are generated from :data:`UNITS` and the
notebooks themselves (slider names from the ``interactive_plot`` calls, tasks and points from the
solutions' ``nbgrader`` metadata, core-path minutes from the ``**Core path: ≈ NN min**`` line):
``python -m mlops_course.units`` rewrites them, and a test fails when they differ.
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Unit", "UNITS", "unit_by_number", "unit_by_stem", "notebook_sliders", "exercise_tasks",
           "core_path_minutes", "units_table", "instructor_table", "update_readme", "RUNTIME_NOTE"]


@dataclass(frozen=True)
class Unit:
    """One unit of the course.

    Parameters
    ----------
    number : int
        Unit number (0 for the introduction).
    title : str
        Title shown in the README and the course index.
    stem : str
        File stem shared by notebook, solution and exercise (``"07_differential_privacy"``).
    slides : tuple of str
        Titles of the slides of ``../shared/lecture-slides.md`` the unit covers.
    modules : tuple of str
        The ``mlops_course`` modules the unit's notebooks use.
    has_exercise : bool
        True once ``solutions/<stem>.ipynb`` exists.
    live : str
        What to show live; slider keyword names in backticks (``"ε of a DP mean (`epsilon`)"``).
    runtime_s : float or None
        Measured Run All time of the lecture notebook in seconds (see ``RUNTIME_NOTE``);
        ``None`` if not measured.
    """

    number: int
    title: str
    stem: str  # file stem shared by notebook, solution and exercise, e.g. "07_differential_privacy"
    slides: tuple[str, ...]  # slide titles of ../shared/lecture-slides.md the unit covers
    modules: tuple[str, ...]  # helper modules in mlops_course
    has_exercise: bool = False  # True once solutions/<stem>.ipynb exists
    live: str = ""  # what to show live; slider keyword names in backticks, e.g. "ε of a DP mean (`epsilon`)"
    runtime_s: float | None = None  # measured Run All time of the lecture notebook (see RUNTIME_NOTE)

    @property
    def notebook(self) -> str:
        """Path of the lecture notebook, relative to the course folder."""
        return f"notebooks/{self.stem}.ipynb"

    @property
    def exercise(self) -> str:
        """Path of the released exercise notebook, relative to the course folder."""
        return f"exercises/{self.stem}.ipynb"

    @property
    def solution(self) -> str:
        """Path of the solution notebook, relative to the course folder."""
        return f"solutions/{self.stem}.ipynb"


UNITS: tuple[Unit, ...] = (
    Unit(0, "Introduction: the imperative", "00_introduction",
         ("Introduction: The Imperative", "Agenda"), ("mlops_course.units", "mlops_course.course")),
    Unit(1, "Security threats in ML systems", "01_security_threats",
         ("Introduction: The Imperative", "Security Challenges in MLOps", "Specific Security Threats in ML Systems"),
         ("mlops_course.security",), has_exercise=True),
    Unit(2, "Safeguarding ML models", "02_safeguards",
         ("Safeguarding ML Models: Methods & Technologies",), ("mlops_course.security",),
         has_exercise=True),
    Unit(3, "Regulatory compliance: GDPR and CCPA", "03_gdpr_ccpa",
         ("Regulatory Compliance: GDPR and CCPA",), ("mlops_course.compliance",),
         has_exercise=True),
    Unit(4, "Ethics and data governance", "04_ethics_data_governance",
         ("Ethical Dimensions of Data Management", "Data Governance: The Foundation"),
         ("mlops_course.governance",), has_exercise=True),
    Unit(5, "Addressing bias in ML systems", "05_bias",
         ("Addressing Bias in ML Systems",), ("mlops_course.fairness", "mlops_course.datasets"),
         has_exercise=True),
    Unit(6, "Explainable AI", "06_explainable_ai", ("Explainable AI (XAI)",), ("mlops_course.explain",),
         has_exercise=True),
    Unit(7, "Differential privacy", "07_differential_privacy",
         ("Privacy-Preserving Techniques", "Differential Privacy: Introduction",
          "Differential Privacy: How It Works", "Differential Privacy: Key Properties",
          "Comparison of Privacy-Preserving Techniques", "Implementation Considerations"),
         ("mlops_course.privacy.dp",), has_exercise=True),
    Unit(8, "Homomorphic encryption", "08_homomorphic_encryption",
         ("Homomorphic Encryption: Introduction", "Homomorphic Encryption: Types",
          "Comparison of Privacy-Preserving Techniques", "Comparison (Continued)", "Implementation Considerations"),
         ("mlops_course.privacy.he",), has_exercise=True),
    Unit(9, "Federated learning", "09_federated_learning",
         ("Federated Learning: Introduction", "Federated Learning: Process", "Federated Learning: Advantages",
          "Comparison of Privacy-Preserving Techniques", "Implementation Considerations"),
         ("mlops_course.privacy.fl",), has_exercise=True),
    Unit(10, "Best practices and frameworks", "10_best_practices",
         ("Why Privacy Techniques Matter in MLOps", "Tangible Risks of Neglecting Security, Compliance & Ethics",
          "Societal Impact of Security & Ethics Failures", "Best Practices for MLOps Security, Compliance & Privacy",
          "Actionable Recommendations", "Conclusion"), ("mlops_course.governance", "mlops_course.compliance")),
)


def unit_by_number(number: int) -> Unit:
    """Return the unit with this number (0-10)."""
    for unit in UNITS:
        if unit.number == number:
            return unit
    raise ValueError(f"number must be one of 0..{len(UNITS) - 1}, got {number!r}")


def unit_by_stem(stem: str) -> Unit:
    """Return the unit whose file stem (e.g. ``07_differential_privacy``) matches ``stem``."""
    for unit in UNITS:
        if unit.stem == stem:
            return unit
    raise ValueError(f"stem must be one of {[u.stem for u in UNITS]}, got {stem!r}")


# ---------------------------------------------------------------- instructor facts and README tables
#: what to show live in each unit (slider keyword names in backticks; a widget helper by its name)
_LIVE = {
    0: "re-identification vs attributes known (`known`)",
    1: "poisoning rate (`rate`), FGSM ε (`epsilon`)",
    2: "input noise for drift/OOD (`sigma`), pruning fraction vs watermark (`fraction`)",
    3: "k of k-anonymity (`k`), SISA shards (`shards`)",
    4: "drift of the income column vs the PSI gate (`factor`)",
    5: "automation-bias reliance (`reliance`); per-group thresholds (`threshold_widget`)",
    6: "one applicant feature (`obrat`) vs the decision",
    7: "ε: noise and accuracy of a DP mean (`epsilon`)",
    8: "CKKS degree and scale: security, error, size, time (`log2_degree`, `scale_bits`)",
    9: "label skew α of the clients (`alpha`), share of malicious clients (`malicious_fraction`)",
    10: "GDPR fine vs turnover (`turnover_bn`)",
}
#: how the runtimes were measured
RUNTIME_NOTE = ("Run All of each lecture notebook (nbclient, one kernel, course environment) on the 2-core "
                "course machine, measured on 2026-12-05 while other jobs shared it (1-minute load average 5-11 on 2 cores): "
                "an upper bound; an idle laptop is faster. Unit 09 includes its labelled Flower runs")
#: measured Run All seconds (see RUNTIME_NOTE)
_RUNTIME_S: dict[int, float] = {0: 21.4, 1: 29.2, 2: 31.3, 3: 31.9, 4: 15.1, 5: 20.2, 6: 24.2, 7: 18.2, 8: 22.1, 9: 79.4, 10: 20.1}

UNITS = tuple(Unit(u.number, u.title, u.stem, u.slides, u.modules, u.has_exercise, _LIVE[u.number],
                   _RUNTIME_S.get(u.number)) for u in UNITS)

#: keyword arguments of ``interactive_plot`` that are options, not sliders
_PLOT_OPTIONS = frozenset({"ncols", "figsize", "xlim", "ylim", "show"})


def _read(path: str | os.PathLike):
    import nbformat

    return nbformat.read(Path(path), as_version=4)


def notebook_sliders(path: str | os.PathLike) -> list[str]:
    """The live controls of a notebook, read from its code: the slider keywords of every
    ``interactive_plot(...)`` call, and the name of every other ``*widget*`` helper it calls.

    Parameters
    ----------
    path : path-like
        An ``.ipynb`` file.

    Returns
    -------
    list of str
        In the order of the notebook.
    """
    names: list[str] = []
    for cell in _read(path).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if func == "interactive_plot":
                    names += [k.arg for k in node.keywords if k.arg and k.arg not in _PLOT_OPTIONS]
                elif "widget" in func:
                    names.append(func)
    return names


def exercise_tasks(path: str | os.PathLike) -> tuple[int, int, int]:
    """``(tasks, points, written)`` of a solution notebook from its ``nbgrader`` metadata: every cell
    with ``grade: true`` is a task worth ``points``; a graded markdown cell is a written answer."""
    tasks = points = written = 0
    for cell in _read(path).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            tasks += 1
            points += int(meta.get("points", 0))
            written += cell.cell_type == "markdown"
    return tasks, points, written


_CORE = re.compile(r"\*\*Core path:\s*≈\s*(\d+)\s*min\*\*")


def core_path_minutes(path: str | os.PathLike) -> int | None:
    """Minutes of the notebook's marked core path (``**Core path: ≈ NN min**``), or ``None``."""
    for cell in _read(path).cells:
        if cell.cell_type == "markdown" and (m := _CORE.search(cell.source)):
            return int(m.group(1))
    return None


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def units_table(root: str | os.PathLike) -> str:
    """The README's table of units (Markdown)."""
    root = Path(root)
    lines = [_row(["#", "Unit", "Lecture notebook", "Exercise", "Helper modules"]), "|---|------|------------------|----------|----------------|"]
    for u in UNITS:
        exercise = f"`{u.exercise}`" if u.has_exercise and (root / u.exercise).is_file() else "—"
        lines.append(_row([f"{u.number:02d}", u.title, f"`{u.notebook}`", exercise,
                           ", ".join(f"`{m}`" for m in u.modules)]))
    return "\n".join(lines)


def instructor_table(root: str | os.PathLike) -> str:
    """The README's instructor table: slides, core path, runtime, live demos, exercise size (Markdown)."""
    root = Path(root)
    lines = [_row(["unit", "slides", "core path", "runtime", "show live (sliders)", "exercise"]),
             "|---|---|---|---|---|---|"]
    for u in UNITS:
        minutes = core_path_minutes(root / u.notebook)
        runtime = f"{u.runtime_s:.0f} s" if u.runtime_s is not None else "not measured"
        exercise = "—"
        if u.has_exercise and (root / u.solution).is_file():
            tasks, points, written = exercise_tasks(root / u.solution)
            exercise = f"{tasks} tasks, {points} points" + (f" ({written} written)" if written else "")
        lines.append(_row([f"{u.number:02d}", "; ".join(u.slides), f"≈ {minutes} min" if minutes else "—",
                           runtime, u.live or "—", exercise]))
    return "\n".join(lines) + f"\n\nRuntimes: {RUNTIME_NOTE}."


_BLOCK = "<!-- {name}:start (generated by python -m mlops_course.units; do not edit) -->\n{body}\n<!-- {name}:end -->"


def update_readme(text: str, root: str | os.PathLike) -> str:
    """``text`` (a README) with its generated blocks ``units-table`` and ``instructor-table`` refreshed.

    Parameters
    ----------
    text : str
        The README's Markdown, holding both blocks between ``<!-- NAME:start ... -->`` and
        ``<!-- NAME:end -->`` markers.
    root : path-like
        The course folder (repository root): which exercise and solution notebooks exist, and
        the lecture notebooks' core-path length, are read from it.

    Returns
    -------
    str
        ``text`` with the two blocks regenerated (everything else unchanged).

    Raises
    ------
    ValueError
        If a block's start/end markers are missing.
    """
    for name, body in (("units-table", units_table(root)), ("instructor-table", instructor_table(root))):
        pattern = re.compile(rf"<!-- {name}:start[^>]*-->\n(?:.*?\n)?<!-- {name}:end -->", re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no generated block {name!r} (markers <!-- {name}:start ... --> "
                             f"and <!-- {name}:end -->)")
        text = pattern.sub(lambda _m, n=name, b=body: _BLOCK.format(name=n, body=b), text)
    return text


if __name__ == "__main__":  # pragma: no cover - python -m mlops_course.units rewrites the README tables
    _root = Path(__file__).resolve().parents[1]
    _readme = _root / "README.md"
    _readme.write_text(update_readme(_readme.read_text(), _root))
    print(f"updated {_readme}")
