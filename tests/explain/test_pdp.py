"""Partial dependence and ICE: sklearn.inspection.partial_dependence (brute), grid rule, bad input."""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course.explain.pdp import centered_ice, ice_curves, partial_dependence, pdp_grid


@pytest.mark.parametrize("feature,resolution", [(0, 20), (3, 7), (5, 50)])
def test_matches_sklearn_brute(cancer, boosted, feature, resolution):
    from sklearn.inspection import partial_dependence as sk_pd

    X, _ = cancer
    model, f = boosted
    theirs = sk_pd(model, X, [feature], kind="both", method="brute", grid_resolution=resolution)
    ours = partial_dependence(f, X, feature, resolution=resolution)
    np.testing.assert_allclose(ours.grid, theirs["grid_values"][0], rtol=1e-12)
    np.testing.assert_allclose(ours.average, theirs["average"][0], atol=1e-12)
    np.testing.assert_allclose(ours.ice, theirs["individual"][0], atol=1e-12)


def test_grid_uses_unique_values_when_few():
    x = np.array([3.0, 1.0, 1.0, 2.0])
    np.testing.assert_array_equal(pdp_grid(x, resolution=5), [1.0, 2.0, 3.0])
    from sklearn.inspection import partial_dependence as sk_pd
    from sklearn.tree import DecisionTreeRegressor

    X = np.column_stack([x, np.arange(4.0)])
    model = DecisionTreeRegressor(random_state=0).fit(X, np.arange(4.0))
    theirs = sk_pd(model, X, [0], kind="average", method="brute", grid_resolution=5)
    np.testing.assert_array_equal(pdp_grid(x, resolution=5), theirs["grid_values"][0])


def test_ice_of_additive_model_are_parallel_and_pd_is_their_mean():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    f = lambda Z: np.sin(Z[:, 0]) + Z[:, 1] ** 2  # noqa: E731  additive: no interaction with feature 0
    res = partial_dependence(f, X, 0, grid=np.linspace(-2, 2, 9))
    c = centered_ice(res.ice)
    np.testing.assert_allclose(c, np.broadcast_to(c[0], c.shape), atol=1e-12)  # identical shapes
    np.testing.assert_allclose(res.average, res.ice.mean(axis=0))
    np.testing.assert_allclose(res.average, np.sin(res.grid) + np.mean(X[:, 1] ** 2), atol=1e-12)


def test_interaction_shows_as_diverging_ice():
    X = np.array([[0.0, -1.0], [0.0, 1.0]])
    ice = ice_curves(lambda Z: Z[:, 0] * Z[:, 1], X, 0, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(ice, [[0.0, -1.0, -2.0], [0.0, 1.0, 2.0]])  # PD is flat (0), ICE is not


def test_bad_input():
    f = lambda Z: Z[:, 0]  # noqa: E731
    X = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match="feature"):
        partial_dependence(f, X, 2)
    with pytest.raises(TypeError, match="feature"):
        partial_dependence(f, X, 0.5)
    with pytest.raises(ValueError, match="X"):
        partial_dependence(f, [[np.nan, 0.0]], 0)
    with pytest.raises(ValueError, match="grid"):
        ice_curves(f, X, 0, [])
    with pytest.raises(ValueError, match="resolution"):
        pdp_grid([1.0, 2.0], resolution=1)
    with pytest.raises(ValueError, match="percentiles"):
        pdp_grid(np.arange(100.0), percentiles=(0.9, 0.1))
    with pytest.raises(ValueError, match="percentiles"):
        pdp_grid(np.r_[np.zeros(99), np.arange(30.0)], percentiles=(0.1, 0.2))
    with pytest.raises(ValueError, match="one number per row"):
        ice_curves(lambda Z: Z, X, 0, [1.0])
