"""The autograder on exercise 09 (federated learning): full marks, zero, one plausible wrong answer per task."""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course.grading.checks import fl as fl_checks
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits
from tests._grading import (
    assert_full_marks,
    assert_only_task_lost,
    assert_registry_matches,
    assert_zero,
    with_replacements,
    write_notebook,
)

UNIT = "09_federated_learning"
SOLUTION = REPO_ROOT / "solutions" / f"{UNIT}.ipynb"
EXERCISE = REPO_ROOT / "exercises" / f"{UNIT}.ipynb"
POINTS = {"fl-fedavg": 3.0, "fl-dirichlet": 3.0, "fl-median": 2.0, "fl-masks": 3.0, "fl-clip": 2.0}
LIMITS = Limits(cell_seconds=5.0, call_seconds=20.0, total_seconds=120.0, memory_bytes=2 * 2**30, processes=32)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module", autouse=True)
def registered(monkeypatch_module):
    """Find the unit's checks whether the registry is a table or discovers ``UNIT`` in checks/*.py."""
    import mlops_course.grading.checks as checks

    if hasattr(checks, "CHECK_MODULES"):
        monkeypatch_module.setitem(checks.CHECK_MODULES, UNIT, fl_checks.__name__)


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader(UNIT, limits=LIMITS)


def test_registry_points_match_the_notebook():
    assert_registry_matches(UNIT, POINTS, SOLUTION)


def test_solution_gets_full_marks(grader):
    assert_full_marks(grader.grade(SOLUTION), POINTS)


def test_untouched_exercise_gets_zero(grader):
    assert_zero(grader.grade(EXERCISE), POINTS)


WRONG = {
    # plain mean: ignores the clients' example counts
    "fl-fedavg": ("return sum(w * a for w, a in zip(weights, arrays)) / weights.sum()",
                  "return sum(arrays) / len(arrays)"),
    # ignores alpha: an IID split dressed up as Dirichlet
    "fl-dirichlet": ("p = rng.dirichlet([alpha] * n_clients)", "p = np.full(n_clients, 1.0 / n_clients)"),
    # the mean is not robust
    "fl-median": ("return np.median(np.stack(arrays), axis=0)", "return np.mean(np.stack(arrays), axis=0)"),
    # both clients add the pair's mask: nothing cancels
    "fl-masks": ("masks[v] = (masks[v] + modulus - r) % modulus", "masks[v] = (masks[v] + r) % modulus"),
    # clips every coordinate instead of the norm
    "fl-clip": ("return update * (clip_norm / norm) if norm > clip_norm else update",
                "return np.clip(update, -clip_norm, clip_norm)"),
}


@pytest.mark.parametrize("gid", sorted(WRONG))
def test_plausible_wrong_answer_loses_that_tasks_points(grader, tmp_path, gid):
    nb = with_replacements(SOLUTION, {gid: WRONG[gid]})
    report = grader.grade(write_notebook(tmp_path, nb, f"{UNIT}.ipynb"))
    assert_only_task_lost(report, POINTS, gid)


def test_reference_masks_agree_with_the_package():
    from mlops_course.privacy.fl.secagg import pairwise_masks

    s = np.random.default_rng(0).integers(0, 2**40, size=(5, 5))
    s = np.triu(s, 1) + np.triu(s, 1).T
    np.testing.assert_array_equal(fl_checks.reference_masks(s, 7), pairwise_masks(s, 7))


def test_dirichlet_thresholds_hold_for_the_reference_over_many_seeds():
    # The comment in checks/fl.py claims wide margins; verify them on 100 fresh seeds per alpha.
    from mlops_course.privacy.fl.partition import dirichlet_partition

    labels = fl_checks._labels(1)
    for alpha, ok in ((1000.0, lambda s: s < 0.05), (0.01, lambda s: s > 0.55), (1.0, lambda s: 0.2 < s < 0.46)):
        for seed in range(100):
            parts = dirichlet_partition(labels, 10, alpha, np.random.default_rng(seed), min_size=0)
            assert ok(fl_checks._skew(labels, parts)), (alpha, seed)
