"""Extraction: equation solving (Tramèr et al. 2016), label-only retraining, and the API's defences.

Stated effects (fixed seeds): d + 1 = 31 queries steal the breast-cancer logistic regression with
100% agreement and weights exact to 1e-8; rounding to 2 decimals lowers the agreement with d + 1
queries, and more queries win it back; a budget below d + 1 leaves the system under-determined;
label-only answers stop equation solving, and retraining reaches >= 85% agreement on digits.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from mlops_course.security.extraction import (
    PredictionAPI,
    QueryBudgetExceeded,
    equation_solving_attack,
    retraining_attack,
)
from mlops_course.security.models import agreement, breast_cancer_split, digits_split


@pytest.fixture(scope="module")
def cancer():
    s = breast_cancer_split(np.random.default_rng(0))
    return s, LogisticRegression(max_iter=1000).fit(s.X_train, s.y_train)


def probe(rng, n=5000):
    return rng.normal(size=(n, 30))


def test_stated_effect_equation_solving_is_exact(cancer):
    s, target = cancer
    api = PredictionAPI(target)
    stolen = equation_solving_attack(api, 30, np.random.default_rng(1))
    assert api.queries == stolen.queries == 31
    assert np.allclose(stolen.coef_, target.coef_, atol=1e-8)
    assert np.allclose(stolen.intercept_, target.intercept_, atol=1e-8)
    assert agreement(target, stolen, s.X_test) == 1.0
    assert agreement(target, stolen, probe(np.random.default_rng(2))) >= 0.99
    assert np.allclose(stolen.predict_proba(s.X_test), target.predict_proba(s.X_test), atol=1e-8)


def test_multiclass_extraction_in_d_plus_one_queries():
    d = digits_split(np.random.default_rng(0))
    target = LogisticRegression(max_iter=1000).fit(d.X_train, d.y_train)
    stolen = equation_solving_attack(PredictionAPI(target), 64, np.random.default_rng(0))
    assert stolen.queries == 65 and agreement(target, stolen, d.X_test) == 1.0
    assert np.allclose(stolen.predict_proba(d.X_test), target.predict_proba(d.X_test), atol=1e-6)


def test_stated_effect_rounding_and_budget(cancer):
    s, target = cancer
    X_probe = probe(np.random.default_rng(2))
    exact = agreement(target, equation_solving_attack(PredictionAPI(target), 30, np.random.default_rng(1)), X_probe)
    rounded = agreement(target, equation_solving_attack(PredictionAPI(target, decimals=2), 30,
                                                        np.random.default_rng(1)), X_probe)
    more = agreement(target, equation_solving_attack(PredictionAPI(target, decimals=2), 30, np.random.default_rng(1),
                                                     n_queries=3100), X_probe)
    assert exact - rounded > 0.03           # rounding degrades the d + 1 query attack ...
    assert more > 0.99                      # ... but 100x more queries undo most of it
    under = agreement(target, equation_solving_attack(PredictionAPI(target, query_budget=10), 30,
                                                      np.random.default_rng(1), n_queries=10), X_probe)
    assert under < 0.8                      # 10 < d + 1 equations: under-determined
    with pytest.raises(QueryBudgetExceeded):
        equation_solving_attack(PredictionAPI(target, query_budget=30), 30, np.random.default_rng(1))
    with pytest.raises(ValueError, match="labels only"):
        equation_solving_attack(PredictionAPI(target, output="label"), 30, np.random.default_rng(1))


def test_stated_effect_label_only_retraining_and_budget():
    d = digits_split(np.random.default_rng(0), test_fraction=0.5)
    pool, X_eval = d.X_test[:500], d.X_test[500:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        target = MLPClassifier((64,), max_iter=300, random_state=0).fit(d.X_train, d.y_train)
    surrogate = LogisticRegression(max_iter=1000)
    stolen, used = retraining_attack(PredictionAPI(target, output="label"), pool, 500, surrogate,
                                     np.random.default_rng(0))
    assert used == 500 and agreement(target, stolen, X_eval) >= 0.85
    capped, used = retraining_attack(PredictionAPI(target, output="label", query_budget=40), pool, 500, surrogate,
                                     np.random.default_rng(0))
    assert used == 40 and agreement(target, stolen, X_eval) - agreement(target, capped, X_eval) > 0.1


def test_api_counts_rounds_and_refuses(cancer):
    s, target = cancer
    api = PredictionAPI(target, decimals=1, query_budget=5)
    out = api.query(s.X_test[:3])
    assert out.shape == (3, 2) and np.array_equal(out, np.round(out, 1)) and api.queries == 3
    with pytest.raises(QueryBudgetExceeded):
        api.query(s.X_test[:3])
    assert api.queries == 3  # a refused request is not answered and not counted
    labels = PredictionAPI(target, output="label").query(s.X_test[:4])
    assert labels.tolist() == target.predict(s.X_test[:4]).tolist()


def test_bad_inputs(cancer):
    s, target = cancer
    with pytest.raises(TypeError):
        PredictionAPI(object())
    with pytest.raises(ValueError):
        PredictionAPI(target, output="logits")
    with pytest.raises(ValueError):
        PredictionAPI(target, decimals=-1)
    with pytest.raises(ValueError):
        PredictionAPI(target).query(np.full((1, 30), np.inf))
    with pytest.raises(TypeError):
        equation_solving_attack(target, 30, np.random.default_rng(0))
    with pytest.raises(ValueError):
        equation_solving_attack(PredictionAPI(target), 0, np.random.default_rng(0))
    with pytest.raises(ValueError):
        retraining_attack(PredictionAPI(target, query_budget=1), s.X_test, 20, LogisticRegression(),
                          np.random.default_rng(0))
    with pytest.raises(ValueError):
        retraining_attack(PredictionAPI(target), s.X_test[:3], 4, LogisticRegression(), np.random.default_rng(0))
