"""The class at a glance: one HTML report over a graded batch, for the instructor.

From the ``*.results.json`` files that ``mlops-course grade DIR`` writes it computes

* the score distribution (share of the maximum, histogram) and the status counts;
* per task (answer cell) the mean share of points and the share of full marks;
* per graded property its failure rate (score < max score), worst first;
* the most common failure messages (first line, numbers replaced by ``#`` so that the same mistake
  with other inputs counts once);
* grading time per submission.

``mlops-course grade DIR`` writes it next to ``grades.csv``; ``mlops-course class-report RESULTS``
rebuilds it.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlops_course.grading.feedback import is_manual
from mlops_course.grading.html import esc, figure_img, table, write_page

__all__ = ["ClassSummary", "summarise", "read_results", "write_class_report"]


def read_results(folder: str | Path) -> dict[str, dict]:
    """``name -> results`` for every ``*.results.json`` in ``folder`` (unreadable files are skipped).

    Raises
    ------
    ValueError
        If ``folder`` is not a directory or holds no results file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"results must be the folder 'mlops-course grade' wrote, got {str(folder)!r}")
    found: dict[str, dict] = {}
    for path in sorted(folder.glob("*.results.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            found[path.name[: -len(".results.json")]] = data
    if not found:
        raise ValueError(f"no *.results.json files in {str(folder)!r}")
    return found


def _normalise(message: str) -> str:
    first = (str(message).strip().splitlines() or [""])[0]
    return re.sub(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", "#", first)[:160]


@dataclass
class ClassSummary:
    """Numbers of the class report (also what the tests check).

    Parameters
    ----------
    names : list of str
        Submission names, in the order of the results given to :func:`summarise`.
    score_share : numpy.ndarray
        ``score / max_score`` per submission, in [0, 1] (0 where the maximum is 0).
    status : collections.Counter
        Count of each ``extra_data.status`` (``"graded"``, ``"error"``, ...).
    task_mean_share : dict of str to float
        ``grade_id ->`` mean over submissions of the task's score / its maximum.
    task_full_share : dict of str to float
        ``grade_id ->`` share of submissions with full marks on the task.
    property_failure : dict of str to float
        ``"grade_id: property" ->`` failure rate, most failed first.
    messages : list of (str, int)
        The most common failure messages (first line, numbers replaced by ``#``) and their counts.
    seconds : numpy.ndarray
        ``execution_time`` per submission, in seconds.
    """

    names: list[str]
    score_share: np.ndarray          # score / max_score per submission (0 where max is 0)
    status: Counter
    task_mean_share: dict[str, float]  # grade_id -> mean of score/max over submissions
    task_full_share: dict[str, float]  # grade_id -> share of submissions with full marks
    property_failure: dict[str, float]  # "grade_id: property" -> failure rate
    messages: list[tuple[str, int]]  # most common normalised failure messages
    seconds: np.ndarray               # execution_time per submission


def summarise(results: dict[str, dict], top: int = 10) -> ClassSummary:
    """Compute the class report's numbers from ``name -> results.json`` content.

    Manually graded entries (:func:`~mlops_course.grading.feedback.is_manual`) are not counted as failures.
    A test's task is the part of its name before ``": "``; a task's maximum is the largest sum of
    its tests' ``max_score`` over the submissions. Missing or ``None`` numbers count as 0.

    Parameters
    ----------
    results : dict of str to dict
        ``submission name -> results.json`` content (Gradescope schema plus ``extra_data``).
    top : int, optional
        How many of the most common failure messages to keep.

    Returns
    -------
    ClassSummary
        The report's numbers.

    Examples
    --------
    >>> tests = [{"name": "t1: works", "score": 1, "max_score": 2, "output": "✘ got 3"}]
    >>> s = summarise({"ann": {"score": 1, "max_score": 2, "tests": tests}})
    >>> s.score_share.tolist(), s.task_mean_share, s.messages
    ([0.5], {'t1': 0.5}, [('✘ got #', 1)])
    """
    names = list(results)
    shares, seconds, status = [], [], Counter()
    task_scores: dict[str, list[float]] = {}
    task_tops: dict[str, float] = {}
    prop_fail: dict[str, list[bool]] = {}
    messages: Counter = Counter()
    for name in names:
        data = results[name]
        score, top_score = float(data.get("score", 0) or 0), float(data.get("max_score", 0) or 0)
        shares.append(score / top_score if top_score > 0 else 0.0)
        seconds.append(float(data.get("execution_time", 0) or 0))
        status[str((data.get("extra_data") or {}).get("status", "graded"))] += 1
        per_task: dict[str, float] = {}
        for test in data.get("tests", []):
            if not isinstance(test, dict):
                continue
            if is_manual(test):
                continue
            name_ = str(test.get("name", ""))
            gid = name_.partition(": ")[0]
            got, most = float(test.get("score", 0) or 0), float(test.get("max_score", 0) or 0)
            per_task[gid] = per_task.get(gid, 0.0) + got
            failed = got < most
            prop_fail.setdefault(name_, []).append(failed)
            if failed:
                messages[_normalise(test.get("output", ""))] += 1
        for gid, got in per_task.items():
            task_scores.setdefault(gid, []).append(got)
    # a task's maximum is the sum of its properties' max scores (same for every submission of a unit)
    for data in results.values():
        totals: dict[str, float] = {}
        for test in data.get("tests", []):
            if isinstance(test, dict) and not is_manual(test):
                gid = str(test.get("name", "")).partition(": ")[0]
                totals[gid] = totals.get(gid, 0.0) + float(test.get("max_score", 0) or 0)
        for gid, value in totals.items():
            task_tops[gid] = max(task_tops.get(gid, 0.0), value)
    mean_share = {g: float(np.mean([s / task_tops[g] for s in v])) if task_tops.get(g) else 0.0
                  for g, v in task_scores.items()}
    full_share = {g: float(np.mean([s >= task_tops[g] for s in v])) if task_tops.get(g) else 0.0
                  for g, v in task_scores.items()}
    failure = {p: float(np.mean(v)) for p, v in prop_fail.items()}
    return ClassSummary(names, np.array(shares), status, mean_share, full_share,
                        dict(sorted(failure.items(), key=lambda kv: (-kv[1], kv[0]))),
                        messages.most_common(top), np.array(seconds))


def _plots(summary: ClassSummary) -> list[str]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    images = []
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(100 * summary.score_share, bins=np.linspace(0, 100, 11), color="#3465a4", edgecolor="white")
    ax.set(title="Score distribution", xlabel="score (% of the maximum)", ylabel="submissions")
    images.append(figure_img(fig, "score distribution"))
    if summary.task_mean_share:
        fig, ax = plt.subplots(figsize=(6, 0.4 * len(summary.task_mean_share) + 1.2))
        tasks = list(summary.task_mean_share)
        ax.barh(tasks, [100 * summary.task_mean_share[t] for t in tasks], color="#4e9a06")
        ax.invert_yaxis()
        ax.set(title="Mean points per task", xlabel="% of the task's points", xlim=(0, 100))
        images.append(figure_img(fig, "mean points per task"))
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(range(len(summary.seconds)), summary.seconds, color="#ce5c00")
    ax.set(title="Grading time per submission", xlabel="submission (batch order)", ylabel="seconds")
    images.append(figure_img(fig, "grading time per submission"))
    return images


def write_class_report(results: str | Path, output: str | Path | None = None) -> Path:
    """Write the class report (``class_report.html`` in the results folder unless ``output`` is given).

    Parameters
    ----------
    results : path
        The folder ``mlops-course grade DIR`` wrote.
    output : path, optional
        Where to write the HTML file.

    Returns
    -------
    Path
        The report.

    Raises
    ------
    ValueError
        If ``results`` holds no results file.
    """
    data = read_results(results)
    s = summarise(data)
    n = len(s.names)
    body = [f"<h1>Class report</h1><p class='muted'>{n} submissions · "
            + ", ".join(f"{esc(k)}: {v}" for k, v in sorted(s.status.items())) + "</p>",
            f"<p class='score'>median {100 * float(np.median(s.score_share)):.0f}% · mean "
            f"{100 * float(np.mean(s.score_share)):.0f}% of the maximum</p>"]
    images = _plots(s)
    body.append("<h2>Score distribution</h2>" + images[0])
    body.append("<h2>Tasks</h2>" + (images[1] if len(images) > 2 else "")
                + table(["task", "mean share of points", "full marks"],
                        [[t, f"{100 * s.task_mean_share[t]:.0f}%", f"{100 * s.task_full_share[t]:.0f}%"]
                         for t in s.task_mean_share]))
    body.append("<h2>Properties that fail most</h2>"
                + table(["property", "failure rate"], [[p, f"{100 * r:.0f}%"] for p, r in s.property_failure.items()]))
    body.append("<h2>Most common failure messages</h2>"
                + table(["message (numbers as #)", "times"], [[m, c] for m, c in s.messages]))
    body.append("<h2>Grading time</h2>" + images[-1]
                + table(["submission", "seconds", "score"],
                        [[name, f"{sec:.2f}", f"{100 * share:.0f}%"]
                         for name, sec, share in zip(s.names, s.seconds, s.score_share, strict=True)]))
    target = Path(output) if output is not None else Path(results) / "class_report.html"
    return write_page(target, "Class report", "\n".join(body))
