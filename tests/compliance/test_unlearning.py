"""Erasure from models: the deterministic trainer, retraining and SISA (Bourtoule et al. 2021).

Cross-check: the trainer converges to scikit-learn's LogisticRegression optimum for the same
objective (λ = 1/(C·n)). Exactness: SISA after unlearning equals SISA trained without the
subjects bit for bit (np.array_equal), for single and batched requests; its cost follows the
formula E·Σ_{j>=r}|D_{1..j}| and is below full retraining.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mlops_course.compliance.unlearning import (
    SISA,
    predict_proba,
    retrain_without,
    train_logreg,
    training_cost,
    verify_exact_unlearning,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(31)
    X = rng.normal(size=(600, 3))
    y = (X @ np.array([1.5, -1.0, 0.5]) + 0.3 + rng.logistic(size=600) > 0).astype(int)
    ids = [f"S{i:04d}" for i in range(600)]
    return X, y, ids


def test_trainer_reaches_sklearn_optimum(data):
    X, y, _ = data
    l2 = 0.01
    ours = train_logreg(X, y, epochs=3000, lr=1.0, l2=l2)
    ref = LogisticRegression(C=1.0 / (l2 * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    assert np.allclose(ours[:-1], ref.coef_[0], atol=1e-6) and ours[-1] == pytest.approx(ref.intercept_[0], abs=1e-6)


def test_trainer_is_bit_for_bit_deterministic_and_order_sensitive(data):
    X, y, _ = data
    w = train_logreg(X, y, epochs=50)
    assert np.array_equal(w, train_logreg(X.copy(), list(y), epochs=50))
    assert np.array_equal(w, train_logreg(np.asfortranarray(X), y, epochs=50))
    assert np.array_equal(train_logreg(X, y, epochs=30, init=train_logreg(X, y, epochs=20)), w)


def test_retrain_without_equals_training_on_the_rest(data):
    X, y, ids = data
    Xk, yk, kept, w = retrain_without(X, y, ids, ["S0003", "S0100"], epochs=40)
    assert len(kept) == 598 and "S0003" not in kept
    assert np.array_equal(w, train_logreg(np.delete(X, [3, 100], axis=0), np.delete(y, [3, 100]), epochs=40))


def test_single_shard_single_slice_sisa_is_the_plain_trainer(data):
    X, y, ids = data
    model = SISA(1, 1, epochs_per_slice=40).fit(X, y, ids)
    assert np.array_equal(model.weights[0], train_logreg(X, y, epochs=40))
    assert model.cost == training_cost(600, 40)


@pytest.mark.parametrize("shards,slices", [(4, 3), (1, 5), (7, 1)])
def test_sisa_unlearning_is_exact_bit_for_bit(data, shards, slices):
    X, y, ids = data
    model = SISA(shards, slices, epochs_per_slice=10).fit(X, y, ids)
    removed = []
    for batch in (["S0007"], ["S0300", "S0301", "S0599"], ["S0000"]):
        report = model.unlearn(batch)
        removed += batch
        assert report.removed == len(batch)
        assert verify_exact_unlearning(model, X, y, ids, removed)
    assert report.cost <= report.full_cost


def test_sisa_cost_formula_and_savings(data):
    X, y, ids = data
    E, R = 10, 4
    model = SISA(5, R, epochs_per_slice=E).fit(X, y, ids)
    i = 123
    s, r = int(model._shard[i]), int(model._slice[i])
    report = model.unlearn([ids[i]])
    keep = np.ones(600, dtype=bool)
    keep[i] = False
    in_shard = keep & (model._shard == s)
    expected = sum(E * int(np.count_nonzero(in_shard & (model._slice <= j))) for j in range(r, R))
    assert report.shards == (s,) and report.first_slices == (r,) and report.cost == expected
    assert report.speedup > 5  # one shard of five, and only the slices from r on
    monolithic = training_cost(599, E * R)
    assert report.cost < monolithic / 5


def test_sisa_predictions_aggregate_constituents(data):
    X, y, ids = data
    model = SISA(3, 2, epochs_per_slice=30).fit(X, y, ids)
    probs = model.predict_proba(X)
    assert np.allclose(probs, np.mean([predict_proba(w, X) for w in model.weights], axis=0))
    assert np.mean((probs > 0.5) == y) > 0.7


def test_bad_input(data):
    X, y, ids = data
    with pytest.raises(ValueError, match="same number of rows"):
        train_logreg(X, y[:-1])
    with pytest.raises(ValueError, match="0/1"):
        train_logreg(X, y * 2)
    with pytest.raises(ValueError, match="finite"):
        train_logreg(np.full((3, 2), np.nan), [0, 1, 0])
    with pytest.raises(ValueError, match="lr"):
        train_logreg(X, y, lr=0)
    with pytest.raises(ValueError, match="l2"):
        train_logreg(X, y, l2=-1)
    with pytest.raises(ValueError, match="init"):
        train_logreg(X, y, init=np.zeros(2))
    with pytest.raises(ValueError, match="do not occur"):
        retrain_without(X, y, ids, "nobody")
    with pytest.raises(ValueError, match="n_shards"):
        SISA(0, 1)
    with pytest.raises(RuntimeError, match="fit"):
        _ = SISA(2, 2).weights
    model = SISA(2, 2, epochs_per_slice=2).fit(X[:20], y[:20], ids[:20])
    with pytest.raises(ValueError, match="not in the training data"):
        model.unlearn(["S0500"])
    model.unlearn(["S0001"])
    with pytest.raises(ValueError, match="not in the training data"):
        model.unlearn(["S0001"])  # already erased
    with pytest.raises(ValueError, match="ids"):
        SISA(2, 2).fit(X, y, ids[:-1])
    with pytest.raises(ValueError, match="weights"):
        predict_proba(np.zeros(3), X)
