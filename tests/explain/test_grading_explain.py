"""The autograder on exercise 06: full marks, zero, wrong-but-plausible answers, references vs the package."""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course.grading import checks as checks_pkg
from mlops_course.grading.checks import LocalRemote, run_property
from mlops_course.grading.checks import explain as xai_checks
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits
from tests._grading import (
    answer_source,
    assert_full_marks,
    assert_registry_matches,
    assert_zero,
    load_notebook,
    scores,
    with_answers,
    write_notebook,
)

UNIT = "06_explainable_ai"
SOLUTION = REPO_ROOT / "solutions" / f"{UNIT}.ipynb"
EXERCISE = REPO_ROOT / "exercises" / f"{UNIT}.ipynb"
POINTS = {"xai-std-coef": 2.0, "xai-shapley": 3.0, "xai-permutation": 3.0, "xai-pdp": 2.0,
          "xai-counterfactual": 3.0, "xai-fidelity": 2.0}
LIMITS = Limits(cell_seconds=5.0, call_seconds=10.0, total_seconds=120.0, memory_bytes=2 * 2**30, processes=32)


@pytest.fixture(scope="module", autouse=True)
def registered():
    """Register the unit's checks where a static registry exists (newer versions discover them by UNIT)."""
    with pytest.MonkeyPatch.context() as mp:
        registry = getattr(checks_pkg, "CHECK_MODULES", None)
        if isinstance(registry, dict):
            mp.setitem(registry, UNIT, "mlops_course.grading.checks.explain")
        yield


@pytest.fixture(scope="module")
def grader(registered):
    return Grader("06", limits=LIMITS)


def test_solution_gets_full_marks(grader):
    assert_full_marks(grader.grade(SOLUTION), POINTS)


def test_untouched_exercise_gets_zero(grader):
    assert_zero(grader.grade(EXERCISE), POINTS)


def test_registry_points_match_the_notebook():
    assert_registry_matches(UNIT, POINTS, SOLUTION)


SOL = {gid: answer_source(load_notebook(SOLUTION), gid) for gid in POINTS}
MUTANTS = {
    "std coef divides by sd": ("xai-std-coef", SOL["xai-std-coef"].replace(" * X.std(axis=0)", " / X.std(axis=0)"), 0.0),
    "std coef keeps the (1, M) shape": ("xai-std-coef", SOL["xai-std-coef"].replace(
        "np.ravel(np.asarray(coef, dtype=float))", "np.asarray(coef, dtype=float)"), 1.5),
    "Banzhaf instead of Shapley weights": ("xai-shapley", SOL["xai-shapley"].replace(
        "math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m)", "1.0 / 2 ** (m - 1)"), 0.5),
    "importance with the wrong sign": ("xai-permutation", SOL["xai-permutation"].replace(
        "baseline - np.mean(scores)", "np.mean(scores) - baseline"), 0.0),
    "PD at the mean row": ("xai-pdp", SOL["xai-pdp"].replace(
        "np.mean(1.0 / (1.0 + np.exp(-(Xz @ w + b))))", "1.0 / (1.0 + np.exp(-(Xz.mean(axis=0) @ w + b)))"), 0.0),
    "counterfactual ignores mutability": ("xai-counterfactual", SOL["xai-counterfactual"].replace(
        "w_m[idx] = w[idx]", "w_m[:] = w"), 1.0),
    "fidelity as squared correlation": ("xai-fidelity", SOL["xai-fidelity"].replace(
        "return float(1.0 - np.sum((f - g) ** 2) / np.sum((f - f.mean()) ** 2))",
        "return float(np.corrcoef(f, g)[0, 1] ** 2)"), 0.0),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_wrong_answers_lose_their_points(grader, tmp_path, name):
    gid, new_source, expected = MUTANTS[name]
    assert new_source != SOL[gid]
    got = scores(grader.grade(write_notebook(tmp_path, with_answers(SOLUTION, {gid: new_source}))))
    assert got[gid] == expected
    assert all(got[g] == POINTS[g] for g in POINTS if g != gid)


def test_self_check_runs_visible_properties_locally():
    ns: dict = {"np": np, "math": __import__("math")}
    exec(SOL["xai-shapley"].replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), ns)
    (check,) = [c for c in xai_checks.CHECKS if c.grade_id == "xai-shapley"]
    remote = LocalRemote({"shapley_values": ns["shapley_values"]})
    assert all(run_property(p, remote, "shapley_values")[0] for p in check.properties)


def test_check_references_agree_with_the_package():
    from mlops_course.explain import (
        fidelity_r2,
        linear_counterfactual,
        partial_dependence,
        permutation_importance,
        shapley_from_values,
        standardized_coefficients,
    )

    rng = np.random.default_rng(0)
    X, w, b = rng.normal(size=(25, 4)), rng.normal(size=4), 0.2
    y = (rng.random(25) < 0.5).astype(float)
    np.testing.assert_allclose(xai_checks._std_coef(w, X), standardized_coefficients(w, X))
    v = rng.normal(size=32)
    np.testing.assert_allclose(xai_checks._shapley(v), shapley_from_values(v), atol=1e-12)
    perms = np.stack([rng.permutation(25) for _ in range(4)])
    pi = permutation_importance(lambda Z: (Z @ w + b > 0).astype(float), X, y, permutations=perms)
    np.testing.assert_allclose(xai_checks._perm_importance(w, b, X, y, perms), pi.mean, atol=1e-12)
    grid = np.linspace(-2, 2, 5)
    pd_ = partial_dependence(lambda Z: 1 / (1 + np.exp(-(Z @ w + b))), X, 2, grid)
    np.testing.assert_allclose(xai_checks._pdp(w, b, X, 2, grid), pd_.average, atol=1e-12)
    cf = linear_counterfactual(w, b, X[0], target=0.0, mutable=[0, 3])
    np.testing.assert_allclose(xai_checks._counterfactual(w, b, X[0], [0, 3]), cf.x_cf, atol=1e-12)
    f, g = rng.normal(size=30), rng.normal(size=30)
    assert np.isclose(xai_checks._r2(f, g), fidelity_r2(f, g))


def test_published_values():
    masks = (np.arange(8)[:, None] >> np.arange(3)) & 1
    glove = ((masks[:, 0] == 1) & ((masks[:, 1] == 1) | (masks[:, 2] == 1))).astype(float)
    np.testing.assert_allclose(xai_checks._shapley(glove), [2 / 3, 1 / 6, 1 / 6])
    from sklearn.metrics import r2_score

    f, g = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])
    assert xai_checks._r2(f, g) == pytest.approx(r2_score(f, g)) == pytest.approx(0.2)
