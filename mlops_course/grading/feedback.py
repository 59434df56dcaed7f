"""Feedback pages: one HTML page per student, like nbgrader's ``generate_feedback``.

Each page shows the student's code for every task next to what the grader found: per task the
points, per graded property ✔/✘ with its message (the inputs it used, what was expected, a hint
that points at the concept), and the written answers that still wait for a person. Run it after
grading: ``mlops-course feedback SUBMISSIONS --results grades/ -o feedback/``.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mlops_course.grading.batch import Graded, load_batch
from mlops_course.grading.html import esc, write_page

__all__ = ["feedback_body", "write_feedback", "is_manual"]


def _split(name: str) -> tuple[str, str]:
    gid, _, prop = str(name).partition(": ")
    return gid, prop or gid


def _tasks(item: Graded) -> dict[str, list[dict]]:
    tasks: dict[str, list[dict]] = {}
    for test in item.tests:
        gid, _ = _split(test.get("name", ""))
        tasks.setdefault(gid, []).append(test)
    return tasks


def is_manual(test: dict) -> bool:
    """A ``results.json`` test entry that stands for a written answer waiting for a person."""
    extra = test.get("extra_data") if isinstance(test.get("extra_data"), dict) else {}
    status = f"{test.get('status', '')} {extra.get('status', '')}"
    return "manual" in status or "needs manual grading" in str(test.get("output", "")).lower()


def feedback_body(item: Graded, show_hidden_messages: bool = True) -> str:
    """The HTML body of one student's feedback page.

    Parameters
    ----------
    item : Graded
        One submission with its results (:func:`mlops_course.grading.batch.load_batch`).
    show_hidden_messages : bool
        Show the messages of hidden properties (after grades are published) or only their result.

    Returns
    -------
    str
        HTML (everything from the submission escaped).
    """
    parts = [f"<h1>Feedback: {esc(item.path.name)}</h1>",
             f"<p class='muted'>unit {esc(item.unit or 'unknown')} · status "
             f"{esc((item.results.get('extra_data') or {}).get('status', 'unknown'))}</p>",
             f"<p class='score'>Automatically graded: {item.score:g} / {item.max_score:g} points</p>"]
    if item.problem:
        parts.append(f"<div class='box fail'>{esc(item.problem)}</div>")
    if item.results.get("output"):
        parts.append(f"<pre>{esc(item.results['output'])}</pre>")
    manual = [m for m in item.results.get("manual", []) if isinstance(m, dict)]
    for gid, tests in _tasks(item).items():
        auto = [t for t in tests if not is_manual(t)]
        if not auto:
            continue
        got = sum(float(t.get("score", 0) or 0) for t in auto)
        top = sum(float(t.get("max_score", 0) or 0) for t in auto)
        parts.append(f"<h2 id='{esc(gid)}'>{esc(gid)} <span class='muted'>— {got:g} / {top:g} points</span></h2>")
        code = item.answers.get(gid)
        parts.append("<p class='muted'>Your code:</p>" + (f"<pre>{esc(code)}</pre>" if code is not None
                                                          else "<p class='fail'>no answer cell with this grade_id</p>"))
        rows = []
        for test in auto:
            _, prop = _split(test.get("name", ""))
            ok = float(test.get("score", 0) or 0) >= float(test.get("max_score", 0) or 0) > 0
            hidden = test.get("visibility", "visible") != "visible"
            message = test.get("output", "")
            if hidden and not show_hidden_messages:
                message = "(hidden check: message shown after grades are published)"
            mark = "<span class='pass'>✔</span>" if ok else "<span class='fail'>✘</span>"
            rows.append(f"<tr><td>{mark}</td><td>{esc(prop)}{' <em>(hidden)</em>' if hidden else ''}</td>"
                        f"<td>{float(test.get('score', 0) or 0):g} / {float(test.get('max_score', 0) or 0):g}</td>"
                        f"<td><pre>{esc(message)}</pre></td></tr>")
        parts.append("<table><thead><tr><th></th><th>property</th><th>points</th><th>feedback</th></tr></thead>"
                     f"<tbody>{''.join(rows)}</tbody></table>")
    if manual:
        parts.append("<h2>Written answers (graded by a person)</h2>")
        for m in manual:
            answer = m.get("answer", item.answers.get(str(m.get("grade_id")), ""))
            parts.append(f"<div class='box'><b>{esc(m.get('grade_id'))}</b> {esc(m.get('title', ''))} "
                         f"<span class='muted'>({float(m.get('points', 0) or 0):g} points, "
                         f"{esc(m.get('status', 'needs manual grading'))})</span><pre>{esc(answer)}</pre></div>")
    return "\n".join(parts)


def write_feedback(submissions: str | Path, results: str | Path, output: str | Path,
                   show_hidden_messages: bool = True) -> list[Path]:
    """Write ``output/<name>.html`` for every submission of a graded batch, plus an index page.

    Parameters
    ----------
    submissions, results : path
        The graded folder and the folder ``grade`` wrote (see :func:`load_batch`).
    output : path
        Folder for the pages (created).
    show_hidden_messages : bool
        See :func:`feedback_body`.

    Returns
    -------
    list of Path
        The student pages, in submission order (the index is ``output/index.html``).

    Raises
    ------
    ValueError
        If a folder is missing or holds no submission.
    """
    if not isinstance(show_hidden_messages, bool):
        raise TypeError(f"show_hidden_messages must be a bool, got {show_hidden_messages!r}")
    batch = load_batch(submissions, results)
    out = Path(output)
    pages: list[Path] = []
    for item in batch:
        pages.append(write_page(out / f"{item.name}.html", f"Feedback {item.path.name}",
                                feedback_body(item, show_hidden_messages)))
    rows: Sequence[str] = [f"<tr><td><a href='{esc(p.name)}'>{esc(i.path.name)}</a></td><td>{i.score:g} / "
                           f"{i.max_score:g}</td><td>{esc(i.problem)}</td></tr>" for i, p in zip(batch, pages, strict=True)]
    write_page(out / "index.html", "Feedback pages",
               "<h1>Feedback pages</h1><table><thead><tr><th>submission</th><th>score</th><th>problem</th></tr>"
               f"</thead><tbody>{''.join(rows)}</tbody></table>")
    return pages
