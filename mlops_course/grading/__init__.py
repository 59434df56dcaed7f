"""Exercises and grading: release (solutions → exercises), the isolated autograder, self-checks.

* ``mlops-course release`` — :mod:`mlops_course.grading.release`;
* ``mlops-course grade`` — :mod:`mlops_course.grading.harness` (worker: :mod:`.worker`), reports
  in :mod:`.report`, checks in :mod:`.checks`;
* ``mlops-course gradescope-bundle`` — :mod:`mlops_course.grading.bundle`;
* :func:`check` — the student's self-check inside the notebook.

How a submission is graded
--------------------------
Only the source of the student's *answer cells* (released cells with ``nbgrader.solution``,
matched by ``grade_id``) is used; set-up cells come from the released exercise, test and
self-check cells are never run, and code written outside the answer cells does not count.
A worker process runs those cells and answers the checks' calls; the harness compares the
plain data it gets back (see :mod:`.harness` for the process model and :mod:`.worker` for the
lock-down). Checks are seeded by the harness, so grading is deterministic.

The reference implementation cannot be imported while grading: the worker refuses
``import mlops_course`` (a ``sys.meta_path`` blocker, package entries removed from ``sys.path``
and ``sys.modules``) and, when the grader runs as root, the package folder, ``solutions/`` and
private check folders are covered by unreadable mounts in the worker's own mount namespace, and
the student's code runs under an unprivileged uid. Limits: without root the blocker alone can be
undone by the student's code (it runs in the same process); and code copied from the reference
by hand cannot be told apart from the student's own work.

Exit codes of ``mlops-course grade``: 0 graded (also for a rejected, malformed notebook, which
gets a report with score 0), 2 usage error, 3 grader error.
"""
from __future__ import annotations

from typing import Any

__all__ = ["check"]


def check(grade_id: str, obj: Any) -> None:
    """Run the *visible* checks of one task on ``obj`` and print ✔/✘ with hints.

    The self-check runs in the student's own kernel and never decides the grade: the grader
    runs the same visible checks plus hidden ones in an isolated process.

    Parameters
    ----------
    grade_id : str
        The task, e.g. ``"dp-laplace"`` (the answer cell's ``grade_id``).
    obj : callable
        The student's function or class (e.g. ``laplace_mechanism``).

    Raises
    ------
    NotImplementedError
        When ``obj`` still raises ``NotImplementedError`` (the task is not done yet), so that
        running the whole notebook stops at the first unanswered task.
    ValueError
        For an unknown ``grade_id``.

    Examples
    --------
    >>> check("dp-halfwidth", lambda s, e, confidence=0.95: 0.0)  # doctest: +ELLIPSIS
    Self-check dp-halfwidth ...
    """
    from mlops_course.grading.checks import LocalRemote, builtin_checks, check_modules, run_property

    found = {c.grade_id: c for unit in check_modules() for c in builtin_checks(unit)}
    if grade_id not in found:
        raise ValueError(f"grade_id must be one of {sorted(found)}, got {grade_id!r}")
    task = found[grade_id]
    visible = [p for p in task.properties if p.visible]
    print(f"Self-check {grade_id} ({len(visible)} visible checks; the grade also uses hidden checks):")
    remote = LocalRemote({task.name: obj})
    passed_count = 0
    for prop in visible:
        passed, message, broken = run_property(prop, remote, task.name)
        if broken is not None and "NotImplementedError" in broken:
            print(f"  ✘ {task.name} is not implemented yet")
            raise NotImplementedError(
                f"{task.name} is not implemented yet: replace `raise NotImplementedError()` in its answer cell")
        passed_count += passed
        if passed:
            print(f"  ✔ {prop.name}")
        else:
            print(f"  ✘ {prop.name} — {message}" + (f"\n      hint: {prop.hint}" if prop.hint else ""))
    print(f"  {passed_count}/{len(visible)} visible checks pass")
