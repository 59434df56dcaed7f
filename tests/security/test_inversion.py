"""Model inversion (Fredrikson et al. 2015) and the rounding defence.

Stated effect (fixed seed): with exact confidences the black-box MI-Face attack reconstructs all 10
digit classes of a softmax regression (each reconstruction correlates best with its own class
mean) using 129 queries per step; rounding the confidences to 2 decimals drops that to <= 2 of 10
(chance is 1); an adaptive attacker with a larger finite-difference step recovers part of it.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mlops_course.security.extraction import PredictionAPI
from mlops_course.security.inversion import class_identification, invert_class
from mlops_course.security.models import digits_split


@pytest.fixture(scope="module")
def setup():
    d = digits_split(np.random.default_rng(0))
    return d, LogisticRegression(max_iter=1000).fit(d.X_train, d.y_train)


def reconstruct(model, decimals, h):
    api = PredictionAPI(model, decimals=decimals)
    R = np.vstack([invert_class(api.query, c, 64, steps=100, h=h).x for c in range(10)])
    return R, api.queries


def test_stated_effect_inversion_and_rounding(setup):
    d, model = setup
    R, queries = reconstruct(model, None, 1e-3)
    assert queries == 10 * 100 * 129
    assert np.sum(class_identification(R, d.X_train, d.y_train) == np.arange(10)) == 10
    assert np.all(model.predict_proba(R)[np.arange(10), np.arange(10)] > 0.99)
    R2, _ = reconstruct(model, 2, 1e-3)
    assert np.sum(class_identification(R2, d.X_train, d.y_train) == np.arange(10)) <= 2
    R3, _ = reconstruct(model, 2, 0.05)  # adaptive attacker: larger step sees through the rounding
    assert np.sum(class_identification(R3, d.X_train, d.y_train) == np.arange(10)) >= 6


def test_white_box_gradient_agrees_on_a_linear_toy():
    g = np.random.default_rng(0)
    X = g.random((200, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    m = LogisticRegression().fit(X, y)
    r = invert_class(m.predict_proba, 1, 2, steps=50, step_size=5.0)
    assert r.x.tolist() == [1.0, 0.0] and r.confidence == pytest.approx(m.predict_proba([[1.0, 0.0]])[0, 1])
    assert np.all(np.diff(np.minimum.accumulate(r.costs)) <= 0)


def test_class_identification_on_class_means(setup):
    d, _ = setup
    means = np.vstack([d.X_train[d.y_train == c].mean(axis=0) for c in range(10)])
    assert class_identification(means, d.X_train, d.y_train).tolist() == list(range(10))


def test_bad_inputs(setup):
    d, model = setup
    with pytest.raises(TypeError):
        invert_class(None, 0, 64)
    for kwargs in ({"steps": 0}, {"step_size": 0.0}, {"h": -1.0}, {"l2": -0.5}, {"lower": 1.0, "upper": 0.0},
                   {"x0": np.zeros(3)}):
        with pytest.raises(ValueError):
            invert_class(model.predict_proba, 0, 64, **kwargs)
    with pytest.raises(ValueError):
        invert_class(model.predict_proba, 12, 64, steps=1)
    with pytest.raises(ValueError):
        class_identification(np.zeros((2, 3)), d.X_train, d.y_train)
