"""The autograder on exercise 06: full marks, zero, wrong-but-plausible answers, references vs the package."""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course.grading.checks import LocalRemote, run_property
from mlops_course.grading.checks import explain as xai_checks
from mlops_course.grading.harness import Limits
from tests._grading import (
    answer_source,
    assert_full_marks,
    assert_manual_questions,
    assert_partial_scores_the_done_tasks,
    assert_released_blank,
    assert_solution_passes_every_property,
    exec_answers,
    grader_fixture,
    load_notebook,
    scores,
    unit_notebooks,
    with_answers,
    write_notebook,
)
from tests._judgment import assert_registry_and_manual, assert_zero_auto, under_keys

UNIT = "06_explainable_ai"
SOLUTION, EXERCISE = unit_notebooks(UNIT)
POINTS = {"xai-std-coef": 2.0, "xai-shapley": 3.0, "xai-permutation": 3.0, "xai-pdp": 2.0,
          "xai-counterfactual": 3.0, "xai-fidelity": 2.0, "xai-audit": 3.0}
MANUAL_POINTS = {"xai-q-explanation": 3.0}
LIMITS = Limits(cell_seconds=60.0, call_seconds=120.0, total_seconds=900.0, memory_bytes=3 * 2**30, processes=64)
grader = grader_fixture("06", LIMITS)


def test_solution_gets_full_marks(grader):
    assert_full_marks(grader.grade(SOLUTION), POINTS)


def test_untouched_exercise_gets_zero(grader):
    assert_zero_auto(grader.grade(EXERCISE), POINTS, MANUAL_POINTS)


def test_registry_points_match_the_notebook():
    assert_registry_and_manual(UNIT, POINTS, MANUAL_POINTS, SOLUTION, xai_checks.MANUAL)


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
    "advice on the boundary (no margin)": ("xai-counterfactual", SOL["xai-counterfactual"].replace(
        "margin = 0.01 * np.abs(direction).sum()", "margin = 0.0"), 0.5),
    "advice with a generous margin": ("xai-counterfactual", SOL["xai-counterfactual"].replace(
        "margin = 0.01 * np.abs(direction).sum()", "margin = 1.0"), 0.5),
    "advice changes immutable features": ("xai-counterfactual", SOL["xai-counterfactual"].replace(
        "direction[list(mutable)] = w[list(mutable)]", "direction[:] = w"), 0.0),
    "audit lists every feature with a non-zero weight": ("xai-audit", SOL["xai-audit"].replace(
        "return [j for j in range(X.shape[1]) if effect[j] > 1e-9 * max(1.0, effect.max())]",
        "return [j for j in range(X.shape[1]) if np.any(W1[:, j] != 0)]"), 0.0),
    "audit reads the largest weights": ("xai-audit", SOL["xai-audit"].replace(
        "return [j for j in range(X.shape[1]) if effect[j] > 1e-9 * max(1.0, effect.max())]",
        "return sorted(int(j) for j in np.argsort(-np.abs(W1).sum(axis=0))[:2])"), 0.0),
    "audit with zero tolerance (floating-point noise counts)": ("xai-audit", SOL["xai-audit"].replace(
        "effect[j] > 1e-9 * max(1.0, effect.max())", "effect[j] > 0.0"), 0.0),
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
    cf = linear_counterfactual(w, b, X[0], target=0.0, mutable=[0, 3])  # the check's minimal distance
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


# --------------------------------------------------------------------------- judgment tasks, secret inputs
def _solution_namespace() -> dict:
    return exec_answers(load_notebook(SOLUTION), POINTS, {"np": np, "math": __import__("math")})


@pytest.mark.parametrize("key", ["course-key-1", "another course key", "k3"])
def test_every_property_passes_for_the_solution_under_several_keys(monkeypatch, key):
    ns = _solution_namespace()
    under_keys(monkeypatch, key)
    assert_solution_passes_every_property(xai_checks.CHECKS, ns, key)


def test_hidden_inputs_depend_on_the_key(monkeypatch):
    """The hidden properties' inputs change with the key: a replay table of the public key does not fit."""
    seen = []
    for key in ("a", "b"):
        under_keys(monkeypatch, key)
        from mlops_course.grading.checks import secret_rng

        rng = secret_rng("06/xai-audit/hidden")
        seen.append(xai_checks.planted_model(rng, 6, [1], [2, 3])[0])
    assert not np.array_equal(seen[0], seen[1])


@pytest.mark.parametrize("key", [f"key-{i}" for i in range(8)])
def test_planted_decoys_have_no_effect_and_used_features_a_large_one(monkeypatch, key):
    under_keys(monkeypatch, key)
    from mlops_course.grading.checks import secret_rng

    rng = secret_rng("06/test/planted")
    m = 8
    W1, b1, w2, b2, X = xai_checks.planted_model(rng, m, [0, 5], [2, 3])
    base = xai_checks.model_output(W1, b1, w2, b2, X)
    for j in range(m):
        moved = X.copy()
        moved[:, j] += 1.0
        effect = np.max(np.abs(xai_checks.model_output(W1, b1, w2, b2, moved) - base))
        assert (effect > 1e-3) if j in (0, 5) else (effect < 1e-12), (j, effect)
    heaviest = set(np.argsort(-np.abs(W1).sum(axis=0))[:2].tolist())
    assert heaviest & {2, 3}  # reading the weights points at a decoy


def test_counterfactual_margin_is_needed():
    """The boundary projection (Wachter et al.'s closest point) is refused after rounding on some visible case."""
    refused = 0
    for w, b, x, mutable in xai_checks._cf_visible_cases():
        boundary = xai_checks._counterfactual(w, b, x, mutable)
        refused += not (w @ np.round(boundary, 2) + b > 0)
    assert refused >= 1


def test_manual_question_has_rubric_and_is_released_blank():
    assert_manual_questions(UNIT, MANUAL_POINTS, min_chars=400, rubric_contains=("Rubric", "pt"))
    assert_released_blank(UNIT, MANUAL_POINTS)


def test_partial_submission_scores_exactly_the_tasks_done(grader, tmp_path):
    done = ("xai-shapley", "xai-counterfactual", "xai-audit")
    assert_partial_scores_the_done_tasks(grader, tmp_path, UNIT, POINTS, done)
