"""Exact Shapley values: shap's Exact explainer, the axioms, a published game, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
import shap

from mlops_course.explain.shapley import coalition_masks, coalition_values, exact_shapley, shapley_from_values


def test_matches_shap_exact_explainer(cancer, boosted):
    X, _ = cancer
    _, f = boosted
    background, rows = X[:30], X[200:206]  # background <= 100 rows: shap does not subsample it
    ours = exact_shapley(f, rows, background)
    theirs = shap.explainers.Exact(f, background)(rows)
    np.testing.assert_allclose(ours.values, theirs.values, atol=1e-12)
    np.testing.assert_allclose(ours.base_value, theirs.base_values, atol=1e-12)


def test_efficiency_values_sum_to_fx_minus_expected_f(cancer, boosted):
    X, _ = cancer
    _, f = boosted
    e = exact_shapley(f, X[:10], X[50:90])
    np.testing.assert_allclose(e.values.sum(axis=1), f(X[:10]) - f(X[50:90]).mean(), atol=1e-12)
    assert e.efficiency_gap() < 1e-12


def test_linear_model_closed_form_and_null_player():
    rng = np.random.default_rng(1)
    w = np.array([2.0, -1.0, 0.0, 0.5])
    f = lambda Z: Z @ w + 3.0  # noqa: E731
    bg, x = rng.normal(size=(25, 4)), rng.normal(size=4)
    e = exact_shapley(f, x, bg)
    np.testing.assert_allclose(e.values[0], w * (x - bg.mean(axis=0)), atol=1e-12)
    assert e.values[0, 2] == 0.0  # null player: the model ignores feature 2


def test_symmetry_of_interchangeable_features():
    f = lambda Z: Z[:, 0] * Z[:, 1] + Z[:, 2]  # noqa: E731
    e = exact_shapley(f, [1.0, 1.0, 2.0], [[0.0, 0.0, 0.0]])
    assert e.values[0, 0] == pytest.approx(e.values[0, 1], abs=1e-15)


def test_glove_game_published_values():
    # glove game (e.g. Maschler, Solan & Zamir, Game Theory, 2013, Ex. 18.3): player 0 owns a left glove,
    # players 1 and 2 a right glove; a coalition is worth 1 if it can form a pair. phi = (2/3, 1/6, 1/6).
    masks = coalition_masks(3)
    v = (masks[:, 0] & (masks[:, 1] | masks[:, 2])).astype(float)
    np.testing.assert_allclose(shapley_from_values(v), [2 / 3, 1 / 6, 1 / 6], atol=1e-15)


def test_random_games_match_permutation_definition():
    # phi_i = average over all M! orderings of i's marginal contribution (Shapley 1953)
    from itertools import permutations

    rng = np.random.default_rng(3)
    for m in (1, 2, 4):
        v = rng.normal(size=2**m)
        expect = np.zeros(m)
        for order in permutations(range(m)):
            mask = 0
            for i in order:
                expect[i] += v[mask | (1 << i)] - v[mask]
                mask |= 1 << i
        np.testing.assert_allclose(shapley_from_values(v), expect / math.factorial(m), atol=1e-12)


def test_coalition_values_vectorised_rows():
    f = lambda Z: Z[:, 0] * Z[:, 1]  # noqa: E731
    v = coalition_values(f, [[2.0, 3.0], [1.0, 1.0]], [[0.0, 1.0], [2.0, 3.0]])
    assert v.shape == (2, 4)
    np.testing.assert_allclose(v[0], [(0 + 6) / 2, (2 + 6) / 2, (0 + 6) / 2, 6.0])


@pytest.mark.parametrize("bad_x", [[1.0, np.nan], [[1.0, 2.0, 3.0]], [], np.zeros((1, 1, 2))])
def test_bad_instances(bad_x):
    with pytest.raises(ValueError, match="x"):
        exact_shapley(lambda Z: Z[:, 0], bad_x, [[0.0, 0.0]])


def test_bad_background_model_and_sizes():
    f = lambda Z: Z[:, 0]  # noqa: E731
    with pytest.raises(ValueError, match="background"):
        exact_shapley(f, [1.0], [[np.inf]])
    with pytest.raises(ValueError, match="background"):
        exact_shapley(f, [1.0], np.zeros((0, 1)))
    with pytest.raises(ValueError, match="max_features"):
        exact_shapley(f, np.zeros(15), np.zeros((2, 15)))
    with pytest.raises(TypeError, match="predict"):
        exact_shapley("model", [1.0], [[0.0]])
    with pytest.raises(ValueError, match="one number per row"):
        exact_shapley(lambda Z: Z, [1.0, 2.0], [[0.0, 0.0]])
    with pytest.raises(ValueError, match="NaN"):
        exact_shapley(lambda Z: np.full(len(Z), np.nan), [1.0], [[0.0]])
    for bad in ([1.0, 2.0, 3.0], [], [1.0], [np.nan, 1.0]):
        with pytest.raises(ValueError, match="values"):
            shapley_from_values(bad)
