"""KernelSHAP: shap.KernelExplainer, exactness with all coalitions, convergence, efficiency, bad input."""
from __future__ import annotations

from math import comb

import numpy as np
import pytest
import shap

from mlops_course.explain.kernelshap import kernel_shap, shapley_kernel_weight
from mlops_course.explain.shapley import exact_shapley


def test_all_coalitions_equal_exact_and_shap_kernel_explainer(cancer, boosted):
    X, _ = cancer
    _, f = boosted
    background, rows = X[:25], X[300:305]
    exact = exact_shapley(f, rows, background).values
    ours = kernel_shap(f, rows, background, n_coalitions=2**6 - 2).values
    theirs = shap.KernelExplainer(f, background).shap_values(rows, nsamples=2**6 - 2, l1_reg=False, silent=True)
    np.testing.assert_allclose(ours, exact, atol=1e-10)
    np.testing.assert_allclose(theirs, exact, atol=1e-10)


def test_sampled_estimate_is_close_and_efficient(cancer, boosted):
    X, _ = cancer
    _, f = boosted
    background, rows = X[:25], X[300:303]
    exact = exact_shapley(f, rows, background)
    est = kernel_shap(f, rows, background, n_coalitions=40, rng=np.random.default_rng(5))
    assert est.efficiency_gap() < 1e-10  # efficiency is imposed exactly for any sample
    assert est.base_value == pytest.approx(exact.base_value, abs=1e-14)
    # seeded, deterministic: 40 paired samples of 62 coalitions estimate each phi within 0.05
    assert np.max(np.abs(est.values - exact.values)) < 0.05


def test_error_shrinks_with_more_coalitions():
    rng = np.random.default_rng(0)
    m = 10
    W = rng.normal(size=(m, m))
    f = lambda Z: np.tanh(Z @ W).sum(axis=1)  # noqa: E731  (interactions everywhere)
    bg, x = rng.normal(size=(8, m)), rng.normal(size=m)
    exact = exact_shapley(f, x, bg).values
    errors = [np.abs(kernel_shap(f, x, bg, n_coalitions=n, rng=1).values - exact).max() for n in (40, 400, 1000)]
    assert errors[2] < errors[0] / 2


def test_kernel_weight_matches_formula_and_shap_size_weights():
    assert shapley_kernel_weight(5, 0) == shapley_kernel_weight(5, 5) == float("inf")
    for m in (2, 5, 9):
        for s in range(1, m):
            assert shapley_kernel_weight(m, s) == pytest.approx((m - 1) / (comb(m, s) * s * (m - s)), rel=1e-15)
    # total weight of all coalitions of size s is proportional to (M-1)/(s(M-s)), shap's weight_vector
    m = 7
    per_size = np.array([comb(m, s) * shapley_kernel_weight(m, s) for s in range(1, m)])
    np.testing.assert_allclose(per_size, [(m - 1) / (s * (m - s)) for s in range(1, m)], rtol=1e-14)


def test_same_seed_same_result():
    f = lambda Z: Z[:, 0] * Z[:, 1] * Z[:, 2] + Z[:, 3]  # noqa: E731
    bg = np.random.default_rng(2).normal(size=(5, 6))
    a = kernel_shap(f, np.ones(6), bg, n_coalitions=20, rng=np.random.default_rng(9)).values
    b = kernel_shap(f, np.ones(6), bg, n_coalitions=20, rng=np.random.default_rng(9)).values
    np.testing.assert_array_equal(a, b)


def test_bad_input():
    f = lambda Z: Z[:, 0]  # noqa: E731
    bg = np.zeros((3, 20))
    with pytest.raises(ValueError, match="rng"):
        kernel_shap(f, np.ones(20), bg, n_coalitions=100)
    with pytest.raises(TypeError, match="rng"):
        kernel_shap(f, np.ones(20), bg, n_coalitions=100, rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match="n_coalitions"):
        kernel_shap(f, np.ones(20), bg, n_coalitions=1, rng=0)
    with pytest.raises(ValueError, match="at least 2 features"):
        kernel_shap(f, [1.0], [[0.0]])
    with pytest.raises(ValueError, match="X must have 20 features"):
        kernel_shap(f, np.ones(19), bg, rng=0)
    with pytest.raises(ValueError, match="background"):
        kernel_shap(f, np.ones(2), [[np.nan, 0.0]])
    with pytest.raises(ValueError, match="size"):
        shapley_kernel_weight(3, 4)
