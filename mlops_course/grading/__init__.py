"""Exercises and grading: release (solutions → exercises), the isolated autograder, self-checks.

* ``mlops-course release`` — :mod:`mlops_course.grading.release`;
* ``mlops-course grade`` — :mod:`mlops_course.grading.harness` (worker: :mod:`.worker`), reports
  in :mod:`.report`, checks in :mod:`.checks`;
* ``mlops-course gradescope-bundle`` — :mod:`mlops_course.grading.bundle` (installs exactly the
  ``grading`` extra, :mod:`.requirements`);
* ``mlops-course student-copy`` — :mod:`mlops_course.grading.studentcopy` (no solutions, no hidden
  checks);
* :func:`check` — the student's self-check inside the notebook.

How a submission is graded
--------------------------
Only the source of the student's *answer cells* (released cells with ``nbgrader.solution``,
matched by ``grade_id``) is used; set-up cells come from the released exercise, test and
self-check cells are never run, and code written outside the answer cells does not count.
A worker process runs those cells and answers the checks' calls; the harness compares the
plain data it gets back (see :mod:`.harness` for the process model and :mod:`.worker` for the
lock-down). Checks are seeded by the harness, so grading is deterministic. Hidden checks draw their
inputs from the course's grading key (:func:`.checks.secret_rng`, ``grade --key-file``): a table
of answers recorded from the public package matches the visible checks only. The key stays in
the harness; the worker never sees it.

Isolation depends on who runs the grader (details: :mod:`.harness` and :mod:`.worker`):

* **As root** (the mode for grading students): the worker runs in new PID, mount and network
  namespaces (no network), ``chroot``-ed into an allowlisted tmpfs view that holds only its
  working folder, a private ``/tmp`` and ``/dev/shm``, a minimal ``/dev`` and ``/etc`` and the
  Python installation read-only without ``mlops_course`` (the repository, ``solutions/``, ``.git``,
  private checks, the grading key and other submissions do not exist there); its ``/proc`` shows
  only the namespace's processes (``hidepid=2``); the student's code runs under a unique
  unprivileged uid (``no_new_privs``) with per-process ``setrlimit`` limits; the harness watches the
  memory of the whole namespace and, on a limit, timeout or protocol failure, kills the namespace
  and with it every process in it. An import blocker refuses ``import mlops_course`` on top.
* **Without root** ``grade`` refuses (:data:`.harness.NOT_ROOT`) unless ``--unsafe-same-user`` is
  given. In that mode only the import blocker (a ``sys.meta_path`` finder, package entries removed
  from ``sys.path`` and ``sys.modules``: the student's code runs in the same process and can undo
  it) and the per-process rlimits apply, with the plain-data channel; everything that mode cannot
  prevent (reading the repository and the key, signalling the harness, leaving processes behind,
  the network, ...) is listed in :data:`.harness.UNSAFE_LIMITS`, printed and written into every
  report. Use it for trusted code only.

In both modes, code copied from the reference by hand cannot be told apart from the student's own.

The self-check applies the same block: an answer that is, imports or calls ``mlops_course``
fails it with a message that the grader refuses the reference package (:func:`reference_uses`
and an import guard while the student's code runs).

Exit codes of ``mlops-course grade``: 0 graded (also for a rejected, malformed notebook, which
gets a report with score 0), 2 usage error, 3 grader error.
"""
from __future__ import annotations

import builtins
import contextlib
import importlib
import inspect
import sys
import types
from collections.abc import Iterator
from typing import Any

__all__ = ["check", "reference_uses", "BLOCKED_PACKAGES"]

BLOCKED_PACKAGES = ("mlops_course",)
"""Packages the grader's worker refuses to import (its ``Sandbox.block``); the self-check refuses them too."""


def _blocked(name: object) -> bool:
    return isinstance(name, str) and any(name == p or name.startswith(p + ".") for p in BLOCKED_PACKAGES)


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _functions_of(obj: Any) -> list[types.FunctionType]:
    if inspect.isclass(obj):
        found = []
        for klass in obj.__mro__:
            if klass is object or _blocked(getattr(klass, "__module__", "")):
                continue
            for value in vars(klass).values():
                value = getattr(value, "__func__", value)  # staticmethod / classmethod
                if isinstance(value, property):
                    value = value.fget
                if isinstance(value, types.FunctionType):
                    found.append(value)
        return found
    obj = getattr(obj, "__func__", obj)
    return [obj] if isinstance(obj, types.FunctionType) else []


def reference_uses(obj: Any) -> list[str]:
    """What of the course package (the grader's blocked imports) ``obj`` relies on; empty if nothing.

    Looks at ``obj`` itself (imported from the package?), its classes' bases, and every name its
    code (and nested functions') loads or imports: an ``import mlops_course...`` inside the
    function, or a global bound to a module, function or class of the package.

    Parameters
    ----------
    obj : callable
        The student's function or class.

    Returns
    -------
    list of str
        One line per use, e.g. ``"imports mlops_course.privacy.dp.laplace"``.

    Examples
    --------
    >>> from mlops_course.privacy.dp.laplace import laplace_mechanism
    >>> reference_uses(laplace_mechanism)
    ['is mlops_course.privacy.dp.laplace.laplace_mechanism itself']
    >>> reference_uses(round)  # a built-in: nothing of the course
    []
    """
    uses: list[str] = []
    module = getattr(obj, "__module__", None)
    if _blocked(module):
        uses.append(f"is {module}.{getattr(obj, '__qualname__', type(obj).__name__)} itself")
        return uses
    if inspect.isclass(obj):
        uses += [f"subclasses {b.__module__}.{b.__qualname__}" for b in obj.__mro__[1:] if _blocked(b.__module__)]
    for func in _functions_of(obj):
        scope = func.__globals__
        for code in _code_objects(func.__code__):
            for name in code.co_names:
                if _blocked(name):
                    uses.append(f"imports {name}")
                    continue
                value = scope.get(name)
                if value is None or value is obj:
                    continue
                owner = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
                if _blocked(owner) and not (isinstance(value, types.FunctionType) and value.__name__ == "check"):
                    uses.append(f"uses {name} ({owner})")
    return list(dict.fromkeys(uses))


@contextlib.contextmanager
def _grader_import_block() -> Iterator[None]:
    """While running the student's code, refuse ``import mlops_course...`` from outside the package."""
    original = builtins.__import__

    def guarded(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002 - __import__'s names
        caller = (globals or {}).get("__name__", "")
        if level == 0 and _blocked(name) and not _blocked(caller):
            raise ImportError(f"importing {name!r} is blocked while grading: the task asks for your own "
                              "implementation, not the course's reference")
        return original(name, globals, locals, fromlist, level)

    original_module = importlib.import_module

    def guarded_module(name, package=None):
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if _blocked(name) and not _blocked(caller):
            raise ImportError(f"importing {name!r} is blocked while grading: the task asks for your own "
                              "implementation, not the course's reference")
        return original_module(name, package)

    builtins.__import__ = guarded
    importlib.import_module = guarded_module
    try:
        yield
    finally:
        builtins.__import__ = original
        importlib.import_module = original_module


def _find_task(grade_id: str) -> Any:
    from mlops_course.grading.checks import ChecksUnavailable, builtin_checks, check_modules

    found, problems = {}, []
    for unit in check_modules(strict=False):
        try:
            found.update({c.grade_id: c for c in builtin_checks(unit)})
        except ChecksUnavailable as exc:
            problems.append(str(exc))
    if grade_id not in found:
        extra = ("; some units' checks could not be loaded: " + " | ".join(problems)) if problems else ""
        raise ValueError(f"grade_id must be one of {sorted(found)}, got {grade_id!r}{extra}")
    return found[grade_id]


def check(grade_id: str, obj: Any) -> None:
    """Run the *visible* checks of one task on ``obj`` and print ✔/✘ with hints.

    The self-check runs in the student's own kernel and never decides the grade: the grader
    runs the same visible checks plus hidden ones in an isolated process. It applies the
    grader's import block first: an answer that is, imports or calls the course's reference
    package (``mlops_course``) fails here, as it scores 0 when graded.

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
    from mlops_course.grading.checks import LocalRemote, run_property

    task = _find_task(grade_id)
    visible = [p for p in task.properties if p.visible]
    print(f"Self-check {grade_id} ({len(visible)} visible checks; the grade also uses hidden checks):")
    uses = reference_uses(obj)
    if uses:
        print(f"  ✘ {task.name} relies on the course's reference package: " + "; ".join(uses[:5]))
        print("      the grader refuses `import mlops_course` (the reference implementation) while grading, "
              "so this task would score 0: write your own implementation")
        print(f"  0/{len(visible)} visible checks pass")
        return
    remote = LocalRemote({task.name: obj})
    passed_count = 0
    for prop in visible:
        with _grader_import_block():
            passed, message, broken = run_property(prop, remote, task.name)
        if broken is not None and "NotImplementedError" in broken:
            print(f"  ✘ {task.name} is not implemented yet")
            raise NotImplementedError(
                f"{task.name} is not implemented yet: replace `raise NotImplementedError()` in its answer cell")
        passed_count += passed
        if passed:
            print(f"  ✔ {prop.name}")
        else:
            if "blocked while grading" in message:
                message += " (the grader refuses the course's reference package)"
            print(f"  ✘ {prop.name} — {message}" + (f"\n      hint: {prop.hint}" if prop.hint else ""))
    print(f"  {passed_count}/{len(visible)} visible checks pass")
