"""Permutation importance: sklearn.inspection with identical permutations, exact expectation, bad input."""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course.explain.permutation import accuracy, neg_mse, permutation_importance


def sklearn_permutations(seed: int, n: int, n_repeats: int) -> np.ndarray:
    """The permutations sklearn.inspection.permutation_importance applies for random_state=seed.

    It draws one seed for all features, then shuffles an index vector in place R times and permutes
    the already permuted column each time, so repeat r applies the composition cur = cur[idx].
    """
    seed_all = np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1)
    state = np.random.RandomState(seed_all)
    idx, cur, out = np.arange(n), np.arange(n), []
    for _ in range(n_repeats):
        state.shuffle(idx)
        cur = cur[idx]
        out.append(cur.copy())
    return np.array(out)


def test_matches_sklearn_with_the_same_permutations(cancer, logistic):
    from sklearn.inspection import permutation_importance as sk_pi

    X, y = cancer
    model, _ = logistic
    theirs = sk_pi(model, X, y, scoring="accuracy", n_repeats=7, random_state=11)
    ours = permutation_importance(model.predict, X, y, score=accuracy,
                                  permutations=sklearn_permutations(11, len(y), 7))
    np.testing.assert_allclose(ours.importances, theirs.importances, atol=1e-15)
    np.testing.assert_allclose(ours.mean, theirs.importances_mean, atol=1e-15)
    np.testing.assert_allclose(ours.std, theirs.importances_std, atol=1e-15)


def test_regression_score_matches_sklearn():
    from sklearn.datasets import load_diabetes
    from sklearn.inspection import permutation_importance as sk_pi
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True)
    model = Ridge(alpha=0.1).fit(X, y)
    theirs = sk_pi(model, X, y, scoring="neg_mean_squared_error", n_repeats=3, random_state=0)
    ours = permutation_importance(model.predict, X, y, score=neg_mse, permutations=sklearn_permutations(0, len(y), 3))
    np.testing.assert_allclose(ours.importances, theirs.importances, rtol=1e-10)


def test_random_permutations_estimate_the_exact_expected_drop():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 2))
    y = (X[:, 0] + 0.3 * rng.normal(size=30) > 0).astype(float)
    predict = lambda Z: (Z[:, 0] > 0).astype(float)  # noqa: E731
    # E over uniform permutations: pi(i) is uniform, so E acc = mean_{i,k} 1{f(x_i with x_i0 := x_k0) = y_i}
    expected_acc = np.mean((X[None, :, 0] > 0).astype(float) == y[:, None])
    base = accuracy(y, predict(X))
    res = permutation_importance(predict, X, y, n_repeats=3000, rng=np.random.default_rng(5))
    # each repeat lies in an interval of length 1: Hoeffding, P(|mean - E| >= 0.06) <= 2 exp(-2*3000*0.06^2)
    # = 8e-10 per feature (false alarm <= 1e-6)
    assert abs(res.mean[0] - (base - expected_acc)) < 0.06
    assert np.all(res.importances[1] == 0.0)  # ignored feature: exactly no drop
    assert res.importances.shape == (2, 3000)


def test_bad_input():
    X, y = np.zeros((4, 2)), np.zeros(4)
    f = lambda Z: Z[:, 0]  # noqa: E731
    with pytest.raises(ValueError, match="mismatched lengths"):
        permutation_importance(f, X, np.zeros(3), rng=0)
    with pytest.raises(ValueError, match="X"):
        permutation_importance(f, [[np.nan, 1.0]], [1.0], rng=0)
    with pytest.raises(ValueError, match="y"):
        permutation_importance(f, X, [np.nan] * 4, rng=0)
    with pytest.raises(ValueError, match="exactly one"):
        permutation_importance(f, X, y)
    with pytest.raises(ValueError, match="exactly one"):
        permutation_importance(f, X, y, rng=0, permutations=[[0, 1, 2, 3]])
    with pytest.raises(ValueError, match="permutations"):
        permutation_importance(f, X, y, permutations=[[0, 0, 1, 2]])
    with pytest.raises(ValueError, match="n_repeats"):
        permutation_importance(f, X, y, rng=0, n_repeats=0)
    with pytest.raises(TypeError, match="score"):
        permutation_importance(f, X, y, rng=0, score="accuracy")
    with pytest.raises(TypeError, match="predict"):
        permutation_importance(None, X, y, rng=0)
