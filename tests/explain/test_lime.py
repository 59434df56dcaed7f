"""LIME: weighted ridge vs sklearn Ridge, exact recovery of linear models, seed (in)stability, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from mlops_course.explain.lime import lime_explain, lime_stability, weighted_ridge


def test_weighted_ridge_matches_sklearn():
    rng = np.random.default_rng(0)
    U, y, w = rng.normal(size=(200, 4)), rng.normal(size=200), rng.uniform(0.01, 1, size=200)
    for alpha in (0.0, 1.0, 25.0):
        beta, b0 = weighted_ridge(U, y, w, alpha)
        ref = Ridge(alpha=alpha).fit(U, y, sample_weight=w)
        np.testing.assert_allclose(beta, ref.coef_, atol=1e-10)
        assert b0 == pytest.approx(ref.intercept_, abs=1e-10)


def test_linear_model_is_recovered(cancer):
    X, _ = cancer
    w = np.array([1.0, -2.0, 0.0, 0.5, 0.0, 3.0])
    e = lime_explain(lambda Z: Z @ w + 1.0, X[7], X, rng=3, alpha=0.0, n_samples=500)
    np.testing.assert_allclose(e.coef, w * X.std(axis=0), atol=1e-10)
    assert e.local_prediction == pytest.approx(X[7] @ w + 1.0, abs=1e-10)
    assert e.score == pytest.approx(1.0, abs=1e-12)


def test_explanations_depend_on_the_seed_for_a_nonlinear_model(cancer, boosted):
    X, _ = cancer
    _, f = boosted
    again = [lime_explain(f, X[0], X, rng=np.random.default_rng(4), n_samples=300).coef for _ in range(2)]
    np.testing.assert_array_equal(again[0], again[1])  # same seed: same explanation
    s = lime_stability(f, X[0], X, seeds=range(8), top_k=2, n_samples=300)
    assert s.coefficients.shape == (8, 6)
    assert np.all(s.std > 0)                            # different seeds: different coefficients
    assert 0.0 <= s.top_k_agreement <= 1.0 and np.all((s.sign_agreement >= 0.5) & (s.sign_agreement <= 1.0))
    stable = lime_stability(lambda Z: Z @ np.arange(6.0), X[0], X, seeds=range(4), top_k=2, n_samples=300)
    assert stable.top_k_agreement == 1.0 and np.all(stable.sign_agreement[1:] == 1.0)


def test_more_samples_reduce_the_spread(cancer, boosted):
    X, _ = cancer
    _, f = boosted
    few = lime_stability(f, X[3], X, seeds=range(6), n_samples=100)
    many = lime_stability(f, X[3], X, seeds=range(6), n_samples=5000)
    assert many.std.mean() < few.std.mean()


def test_bad_input(cancer):
    X, _ = cancer
    f = lambda Z: Z[:, 0]  # noqa: E731
    with pytest.raises(ValueError, match="x"):
        lime_explain(f, X[:2], X, rng=0)
    with pytest.raises(ValueError, match="x"):
        lime_explain(f, X[0, :3], X, rng=0)
    with pytest.raises(ValueError, match="X_train"):
        lime_explain(f, X[0], np.full((3, 6), np.nan), rng=0)
    with pytest.raises(ValueError, match="n_samples"):
        lime_explain(f, X[0], X, rng=0, n_samples=5)
    with pytest.raises(ValueError, match="kernel_width"):
        lime_explain(f, X[0], X, rng=0, kernel_width=0.0)
    with pytest.raises(ValueError, match="alpha"):
        lime_explain(f, X[0], X, rng=0, alpha=-1.0)
    with pytest.raises(TypeError, match="rng"):
        lime_explain(f, X[0], X, rng=None)
    with pytest.raises(ValueError, match="seeds"):
        lime_stability(f, X[0], X, seeds=[1])
    with pytest.raises(ValueError, match="top_k"):
        lime_stability(f, X[0], X, top_k=7)
