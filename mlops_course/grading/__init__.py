"""Exercises and grading: release (solutions → exercises), the isolated autograder, self-checks.

* ``mlops-course release`` — :mod:`mlops_course.grading.release`;
* ``mlops-course grade`` — :mod:`mlops_course.grading.harness` (worker: :mod:`.worker`), reports
  in :mod:`.report`, checks in :mod:`.checks`;
* ``mlops-course gradescope-bundle`` — :mod:`mlops_course.grading.bundle`;
* :func:`check` — the student's self-check inside the notebook.
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
    from mlops_course.grading.checks import CHECK_MODULES, LocalRemote, builtin_checks, run_property

    found = {c.grade_id: c for unit in CHECK_MODULES for c in builtin_checks(unit)}
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
