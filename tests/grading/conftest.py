"""Shared helpers of the grading tests: the real exercise-07 notebooks, edited copies, a fast grader."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_course.grading.harness import REPO_ROOT, Grader, Limits
from tests._grading import answer_cell as cell_of
from tests._grading import answer_source as source
from tests._grading import load_notebook

SOLUTION = REPO_ROOT / "solutions" / "07_differential_privacy.ipynb"
EXERCISE = REPO_ROOT / "exercises" / "07_differential_privacy.ipynb"
ANSWER_IDS = ("dp-laplace", "dp-gaussian-sigma", "dp-rr", "dp-mean", "dp-ledger", "dp-halfwidth", "dp-plan", "dp-audit")
POINTS = {"dp-laplace": 3.0, "dp-gaussian-sigma": 2.0, "dp-rr": 2.0, "dp-mean": 3.0, "dp-ledger": 3.0,
          "dp-halfwidth": 2.0, "dp-plan": 4.0, "dp-audit": 4.0}  # judgment tasks 7-8 (tests/dp/test_grading_dp.py)
# Short limits keep the cheat suite fast; the 20 GB allocation must hit the 2 GB address-space limit.
TEST_LIMITS = Limits(cell_seconds=2.0, call_seconds=6.0, total_seconds=90.0, memory_bytes=2 * 2**30, processes=32)


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
