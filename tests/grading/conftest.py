"""Shared helpers of the grading tests: the real exercise-07 notebooks, edited copies, a fast grader."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_course.grading.checks import builtin_manual, load_checks
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits
from tests._grading import answer_cell as cell_of
from tests._grading import answer_source as source
from tests._grading import load_notebook

SOLUTION = REPO_ROOT / "solutions" / "07_differential_privacy.ipynb"
EXERCISE = REPO_ROOT / "exercises" / "07_differential_privacy.ipynb"
UNIT = "07_differential_privacy"
# Computed from the unit's checks at test time (exercise 07 changes: never hard-code its tasks or points).
ANSWER_IDS = tuple(c.grade_id for c in load_checks(UNIT))
POINTS = {c.grade_id: c.points for c in load_checks(UNIT)}
MANUAL = {q.grade_id: float(q.points) for q in builtin_manual(UNIT)}
# Generous limits: a loaded 2-core machine must not turn an honest cell or call into a timeout. The
# 20 GB allocations must still hit the 2 GB address-space limit.
TEST_LIMITS = Limits(cell_seconds=10.0, call_seconds=30.0, total_seconds=600.0, memory_bytes=2 * 2**30,
                     processes=64)


def load(which: str) -> dict:
    """The real solution or exercise notebook as a JSON dict (a fresh copy)."""
    return load_notebook({"solution": SOLUTION, "exercise": EXERCISE}[which])


def edit(base: str, changes: dict[str, str | Callable[[str], str]] | None = None,
         mutate: Callable[[dict], None] | None = None) -> dict:
    """A copy of the solution/exercise with some answer cells replaced (str) or rewritten (callable)."""
    nb = load(base)
    for gid, change in (changes or {}).items():
        cell = cell_of(nb, gid)
        cell["source"] = change(source(nb, gid)) if callable(change) else change
    if mutate is not None:
        mutate(nb)
    return nb


def mixed(done: tuple[str, ...]) -> dict:
    """The exercise with the solution's answers pasted into the tasks ``done``."""
    solution = load("solution")
    return edit("exercise", {gid: source(solution, gid) for gid in done})


def write(tmp_path: Path, nb: dict | str | bytes, name: str = "submission.ipynb") -> Path:
    path = tmp_path / name
    if isinstance(nb, bytes):
        path.write_bytes(nb)
    elif isinstance(nb, str):
        path.write_text(nb, encoding="utf-8")
    else:
        path.write_text(json.dumps(copy.deepcopy(nb), indent=1), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def grader() -> Grader:
    return Grader("07", limits=TEST_LIMITS)
