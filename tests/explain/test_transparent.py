"""Transparent models: standardised coefficients (refit on z-scores), tree rules vs the tree, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, export_text

from mlops_course.explain.transparent import (
    odds_ratios_per_sd,
    rules_predict,
    standardized_coefficients,
    tree_rules,
)


def test_equals_coefficients_refit_on_zscores_ols():
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression

    X, y = load_diabetes(return_X_y=True, scaled=False)
    raw = LinearRegression().fit(X, y)
    z = LinearRegression().fit((X - X.mean(0)) / X.std(0), y)
    np.testing.assert_allclose(standardized_coefficients(raw.coef_, X), z.coef_, rtol=1e-9)


def test_equals_coefficients_refit_on_zscores_logistic_lending():
    from sklearn.linear_model import LogisticRegression

    from mlops_course.datasets import load_loanapp

    data = load_loanapp(["hrat", "obrat", "loanprc", "unem"])
    X, y = data.X.to_numpy(), data.y
    fit = lambda A: LogisticRegression(C=1e10, tol=1e-10, max_iter=10_000).fit(A, y)  # noqa: E731  ~unpenalised
    raw, z = fit(X), fit((X - X.mean(0)) / X.std(0))
    np.testing.assert_allclose(standardized_coefficients(raw.coef_, X), z.coef_[0], rtol=1e-4)
    np.testing.assert_allclose(odds_ratios_per_sd(raw.coef_, X), np.exp(z.coef_[0]), rtol=1e-4)


@pytest.mark.parametrize("depth", [1, 3, 4])
def test_rules_partition_the_space_and_reproduce_the_tree(cancer, depth):
    X, y = cancer
    tree = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X, y)
    rules = tree_rules(tree)
    assert len(rules) == tree.get_n_leaves() and max(len(r.conditions) for r in rules) <= depth
    assert sum(r.samples for r in rules) == len(y)
    np.testing.assert_array_equal(rules_predict(rules, X), tree.predict(X))
    probe = np.random.default_rng(0).normal(size=(500, X.shape[1]))  # also off the training data
    np.testing.assert_array_equal(rules_predict(rules, probe), tree.predict(probe))
    text = export_text(tree, decimals=2)
    for r in rules:  # every threshold appears in sklearn's own text rendering
        for _, _, t in r.conditions:
            assert f"{t:.2f}" in text


def test_regression_tree_rules_and_text():
    X = np.arange(8.0)[:, None]
    tree = DecisionTreeRegressor(max_depth=1).fit(X, (X[:, 0] > 3).astype(float) * 10)
    rules = tree_rules(tree)
    assert [r.text(["age"]) for r in rules] == ["IF age <= 3.50 THEN 0 (4 samples)", "IF age > 3.50 THEN 10 (4 samples)"]
    np.testing.assert_array_equal(rules_predict(rules, X), tree.predict(X))


def test_bad_input():
    with pytest.raises(ValueError, match="X"):
        standardized_coefficients([1.0, 2.0], [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="X"):
        standardized_coefficients([1.0], [[np.nan]])
    with pytest.raises(ValueError, match="coef"):
        standardized_coefficients(np.ones((2, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="coef"):
        standardized_coefficients([], np.ones((3, 0)))
    with pytest.raises(TypeError, match="tree"):
        tree_rules(DecisionTreeClassifier())
    rules = tree_rules(DecisionTreeClassifier(max_depth=1).fit([[0.0], [1.0]], [0, 1]))
    with pytest.raises(ValueError, match="exactly once"):
        rules_predict(rules[:1], [[5.0]])
