"""Counterfactuals: closed form vs scipy's constrained optimiser, Growing Spheres near-optimality, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from mlops_course.explain.counterfactual import growing_spheres, linear_counterfactual


@pytest.mark.parametrize("mutable", [None, [0, 2], np.array([False, True, True, False])])
def test_linear_closed_form_matches_slsqp(mutable):
    rng = np.random.default_rng(1)
    w, b, x, s = rng.normal(size=4), -0.3, rng.normal(size=4), rng.uniform(0.5, 2.0, size=4)
    target = 0.4
    cf = linear_counterfactual(w, b, x, target=target, mutable=mutable, scale=s)
    free = np.ones(4, bool) if mutable is None else np.zeros(4, bool)
    if mutable is not None:
        free[np.asarray(mutable)] = True
    cons = [{"type": "eq", "fun": lambda z: w @ z + b - target},
            {"type": "eq", "fun": lambda z: (z - x)[~free]}] if not free.all() else \
        [{"type": "eq", "fun": lambda z: w @ z + b - target}]
    ref = minimize(lambda z: np.sum(((z - x) / s) ** 2), x, constraints=cons, method="SLSQP",
                   options={"ftol": 1e-14, "maxiter": 500})
    np.testing.assert_allclose(cf.x_cf, ref.x, atol=1e-6)
    assert cf.prediction == pytest.approx(target, abs=1e-12)
    assert cf.distance == pytest.approx(np.linalg.norm((ref.x - x) / s), abs=1e-6)
    np.testing.assert_array_equal(cf.x_cf[~free], x[~free])  # immutable features untouched


def test_margin_lands_past_the_boundary_and_flips_every_decision():
    """With margin m the linear predictor lands at t ± m on the far side, so the decision flips for every x;
    on the boundary itself (m = 0) rounding decides the side, which is why notebook 06 uses a margin."""
    rng = np.random.default_rng(7)
    w, b, t, m = rng.normal(size=5), 0.2, 0.0, 0.1
    X = rng.normal(scale=3.0, size=(500, 5))
    before = X @ w + b
    after = np.array([linear_counterfactual(w, b, x, target=t, margin=m, mutable=[0, 1, 3]).prediction for x in X])
    np.testing.assert_allclose(after, t - m * np.sign(before - t), atol=1e-12)  # independent: t ∓ m by side
    assert np.all(np.sign(after - t) == -np.sign(before - t))  # every decision flips
    # the margin point is the boundary point moved further along the same direction (distance grows by m/‖s⊙w_M‖)
    on, past = (linear_counterfactual(w, b, X[0], target=t, margin=mm, mutable=[0, 1, 3]) for mm in (0.0, m))
    assert past.distance - on.distance == pytest.approx(m / np.linalg.norm(w[[0, 1, 3]]), rel=1e-9)


def test_margin_flips_all_refused_applicants_of_a_logistic_model(cancer, logistic):
    X, _ = cancer
    model, f = logistic
    w, b = model.coef_[0], float(model.intercept_[0])
    refused = X[f(X) < 0.5]
    assert len(refused) > 20
    flipped = [f(linear_counterfactual(w, b, x, margin=0.1, mutable=[0, 2, 4], scale=X.std(axis=0)).x_cf[None])[0]
               >= 0.5 for x in refused]
    assert all(flipped)


def test_growing_spheres_is_near_optimal_on_a_logistic_model(cancer, logistic):
    X, _ = cancer
    model, f = logistic
    w, b = model.coef_[0], float(model.intercept_[0])
    scale = X.std(axis=0)
    for i in (0, 21, 150):
        best = linear_counterfactual(w, b, X[i], target=0.0, mutable=[0, 2, 4], scale=scale)
        cf = growing_spheres(f, X[i], rng=np.random.default_rng(i), mutable=[0, 2, 4], scale=scale,
                             step=0.05, n_per_layer=2000)
        assert (f(cf.x_cf[None])[0] >= 0.5) != (f(X[i][None])[0] >= 0.5)  # the decision flips
        assert best.distance - 1e-9 <= cf.distance <= best.distance + 3 * 0.05  # never better than optimal
        np.testing.assert_array_equal(cf.x_cf[[1, 3, 5]], X[i][[1, 3, 5]])


def test_growing_spheres_sparsifies_and_respects_bounds():
    f = lambda Z: (Z[:, 0] > 2.0).astype(float)  # noqa: E731  only feature 0 matters
    cf = growing_spheres(f, [0.0, 0.0, 0.0], rng=0, step=0.1, max_radius=5.0)
    assert cf.changed.tolist() == [0] and cf.changes(["a", "b", "c"])[0][0] == "a"
    assert growing_spheres(f, [0.0, 0.0, 0.0], rng=0, upper=[1.0, 9.0, 9.0], max_radius=3.0) is None


def test_bad_input():
    with pytest.raises(ValueError, match="mutable"):
        linear_counterfactual([1.0, 1.0], 0.0, [0.0, 0.0], mutable=[])
    with pytest.raises(ValueError, match="zero weight"):
        linear_counterfactual([1.0, 0.0], 0.0, [0.0, 0.0], mutable=[1])
    with pytest.raises(ValueError, match="x"):
        linear_counterfactual([1.0, 1.0], 0.0, [0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="x"):
        linear_counterfactual([1.0, 1.0], 0.0, [np.nan, 0.0])
    with pytest.raises(ValueError, match="scale"):
        linear_counterfactual([1.0, 1.0], 0.0, [0.0, 0.0], scale=[1.0, 0.0])
    with pytest.raises(ValueError, match="mutable"):
        linear_counterfactual([1.0, 1.0], 0.0, [0.0, 0.0], mutable=[5])
    with pytest.raises(ValueError, match="margin must be >= 0.*-0.1"):
        linear_counterfactual([1.0, 1.0], 0.0, [0.0, 0.0], margin=-0.1)
    f = lambda Z: Z[:, 0]  # noqa: E731
    with pytest.raises(ValueError, match="step"):
        growing_spheres(f, [0.0], rng=0, step=0.0)
    with pytest.raises(ValueError, match="lower and upper"):
        growing_spheres(f, [0.0], rng=0, lower=[1.0])
    with pytest.raises(TypeError, match="rng"):
        growing_spheres(f, [0.0], rng="seed")
