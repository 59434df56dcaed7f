"""mlops_course.logistic: checked against scipy / scikit-learn and against the exercise's own trainer."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.metrics import log_loss as sk_log_loss

from mlops_course import logistic as L


def _data(seed: int = 0, n: int = 300, d: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ np.linspace(1.0, -1.0, d) + 0.3 + rng.logistic(size=n) > 0).astype(int)
    return X, y


def test_sigmoid_matches_scipy_and_is_silent_on_overflow() -> None:
    z = np.linspace(-800, 800, 4001)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = L.sigmoid(z)
    np.testing.assert_allclose(got, expit(z), rtol=1e-15, atol=1e-300)
    assert got[0] == 0.0 and got[-1] == 1.0


def test_log_loss_matches_sklearn() -> None:
    rng = np.random.default_rng(4)
    z, y = rng.normal(scale=3, size=200), rng.integers(0, 2, size=200)
    assert L.log_loss(z, y) == pytest.approx(sk_log_loss(y, expit(z)), rel=1e-12)


def test_trainer_is_bit_identical_to_the_exercise_formula() -> None:
    # the trainer written out as unit 03's exercise gives it to students (grading compares bit for bit)
    X, y = _data(1, 60, 3)
    w = np.zeros(4)
    for _ in range(200):
        r = 1.0 / (1.0 + np.exp(-((X * w[:-1]).sum(axis=1) + w[-1]))) - y
        w = w - 0.5 * np.append((X * r[:, None]).sum(axis=0) / 60 + 1e-3 * w[:-1], r.sum() / 60)
    assert np.array_equal(L.train_logreg(X, y), w)


def test_trainer_converges_to_sklearns_l2_logistic_regression() -> None:
    X, y = _data(2)
    lam = 0.05
    w = L.train_logreg(X, y, epochs=4000, lr=1.0, l2=lam)
    # sklearn minimises ‖w‖²/2 + C Σ ℓ: the same minimiser as (1/n) Σ ℓ + (λ/2)‖w‖² when C = 1/(λ n)
    ref = LogisticRegression(C=1.0 / (lam * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(w[:-1], ref.coef_[0], atol=1e-6)
    assert w[-1] == pytest.approx(ref.intercept_[0], abs=1e-6)
    np.testing.assert_allclose(L.predict_proba(w, X), ref.predict_proba(X)[:, 1], atol=1e-6)


def test_predict_proba_of_a_stack_is_the_mean_and_accuracy_matches_sklearn() -> None:
    X, y = _data(3, 80, 2)
    W = np.array([[1.0, -0.5, 0.2], [0.3, 0.4, -1.0], [0.0, 0.0, 0.0]])
    mean = np.mean([expit(X @ w[:-1] + w[-1]) for w in W], axis=0)
    np.testing.assert_allclose(L.predict_proba(W, X), mean, rtol=1e-14)
    p = L.predict_proba(W[0], X)
    assert L.accuracy(p, y) == accuracy_score(y, (p > 0.5).astype(int))
    assert L.accuracy(np.array([0.5, 0.51]), np.array([0, 1])) == 1.0  # strict threshold


@pytest.mark.parametrize("call, error, match", [
    (lambda: L.train_logreg([[0.0], [1.0]], [0, 2]), ValueError, "y must hold only 0/1 labels"),
    (lambda: L.train_logreg([[0.0], [1.0]], [0]), ValueError, "same number of rows, got 2 and 1"),
    (lambda: L.train_logreg([[0.0]], [1], lr=0), ValueError, "lr must be a finite number > 0, got 0"),
    (lambda: L.train_logreg([[0.0]], [1], l2=-1.0), ValueError, "l2 must be a finite number >= 0, got -1.0"),
    (lambda: L.train_logreg([[0.0]], [1], init=[0.0]), ValueError, r"init must have shape \(2,\), got \(1,\)"),
    (lambda: L.predict_proba([1.0, 2.0, 3.0], [[0.0]]), ValueError, "weights must have 2 entries per model, got 3"),
    (lambda: L.accuracy([0.1, 0.9], [1]), ValueError, r"y must have the shape of proba \(2,\), got \(1,\)"),
])
def test_bad_input_is_named(call, error, match) -> None:  # noqa: ANN001
    with pytest.raises(error, match=match):
        call()
