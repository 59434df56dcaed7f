"""Evasion: input gradients, FGSM, PGD, transfer, adversarial training.

Peers: adversarial-robustness-toolbox 1.20 (``FastGradientMethod`` and ``ProjectedGradientDescent``
on ``ScikitlearnLogisticRegression``; ART computes in float32, hence the 1e-6 tolerance) and central
finite differences for the gradients. Every model is fitted with a fixed seed: the stated effects
are deterministic numbers, asserted with margins.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from mlops_course.security.evasion import (
    accuracy_under_attack,
    adversarial_training,
    fgsm,
    pgd,
    transfer_matrix,
)
from mlops_course.security.models import (
    agreement,
    breast_cancer_split,
    digits_split,
    input_gradient,
    logits,
    loss_per_example,
    predict_proba,
)


@pytest.fixture(scope="module")
def digits():
    return digits_split(np.random.default_rng(0))


@pytest.fixture(scope="module")
def linear(digits):
    return LogisticRegression(max_iter=1000).fit(digits.X_train, digits.y_train)


@pytest.fixture(scope="module")
def mlp(digits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPClassifier((32,), max_iter=200, random_state=0).fit(digits.X_train, digits.y_train)


def _numeric_gradient(model, X, y, h=1e-6):
    out = np.zeros_like(X)
    for j in range(X.shape[1]):
        e = np.zeros_like(X)
        e[:, j] = h
        out[:, j] = (loss_per_example(model, X + e, y) - loss_per_example(model, X - e, y)) / (2 * h)
    return out


def test_logits_and_proba_match_sklearn(linear, mlp, digits):
    for model in (linear, mlp):
        assert np.allclose(predict_proba(model, digits.X_test), model.predict_proba(digits.X_test), atol=1e-12)
    assert np.allclose(logits(linear, digits.X_test), linear.decision_function(digits.X_test))


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_input_gradient_matches_finite_differences(digits, activation):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier((8, 6), activation=activation, max_iter=30, random_state=1).fit(
            digits.X_train[:300], digits.y_train[:300])
    X, y = digits.X_test[:4], digits.y_test[:4]
    assert np.allclose(input_gradient(model, X, y), _numeric_gradient(model, X, y), atol=1e-6)


def test_binary_models_gradient_and_loss():
    s = breast_cancer_split(np.random.default_rng(1))
    for model in (LogisticRegression(max_iter=1000).fit(s.X_train, s.y_train),
                  MLPClassifier((5,), max_iter=50, random_state=0).fit(s.X_train, s.y_train)):
        X, y = s.X_test[:5], s.y_test[:5]
        p = model.predict_proba(X)[np.arange(5), y]
        assert np.allclose(loss_per_example(model, X, y), -np.log(p))
        assert np.allclose(input_gradient(model, X, y), _numeric_gradient(model, X, y), atol=1e-6)


def test_fgsm_and_pgd_match_art(linear, digits):
    from art.attacks.evasion import FastGradientMethod, ProjectedGradientDescent
    from art.estimators.classification.scikitlearn import ScikitlearnLogisticRegression

    clf = ScikitlearnLogisticRegression(linear, clip_values=(0.0, 1.0))
    X, y = digits.X_test[:150], digits.y_test[:150]
    Y = np.eye(10)[y]
    art_fgsm = FastGradientMethod(clf, eps=0.1, norm=np.inf).generate(X, y=Y)
    assert np.allclose(art_fgsm, fgsm(linear, X, y, 0.1, lower=0, upper=1), atol=1e-6)
    art_pgd = ProjectedGradientDescent(clf, eps=0.1, eps_step=0.0125, max_iter=20, num_random_init=0,
                                       verbose=False).generate(X, y=Y)
    assert np.allclose(art_pgd, pgd(linear, X, y, 0.1, steps=20, step_size=0.0125, lower=0, upper=1), atol=1e-6)


def test_attacks_respect_the_box(linear, digits):
    rng = np.random.default_rng(3)
    X, y = digits.X_test[:100], digits.y_test[:100]
    for x_adv in (fgsm(linear, X, y, 0.2, lower=0, upper=1),
                  pgd(linear, X, y, 0.2, steps=7, rng=rng, lower=0, upper=1)):
        assert np.max(np.abs(x_adv - X)) <= 0.2 + 1e-12
        assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert np.array_equal(fgsm(linear, X, y, 0.0), X)
    one_step = pgd(linear, X, y, 0.1, steps=1, step_size=0.1, lower=0, upper=1)
    assert np.allclose(one_step, fgsm(linear, X, y, 0.1, lower=0, upper=1))


def test_stated_effect_fgsm_and_pgd_drop_accuracy(linear, mlp, digits):
    # Stated effect: at eps = 0.1 (1.6 grey levels of 16) FGSM cuts accuracy by >= 25 points; PGD is stronger.
    for model in (linear, mlp):
        clean, f = accuracy_under_attack(model, digits.X_test, digits.y_test, [0.0, 0.1], lower=0, upper=1)
        p = accuracy_under_attack(model, digits.X_test, digits.y_test, [0.1], attack="pgd", lower=0, upper=1)[0]
        assert clean > 0.93 and clean - f > 0.25 and p <= f + 1e-12
    curve = accuracy_under_attack(linear, digits.X_test, digits.y_test, [0, 0.05, 0.1, 0.2], lower=0, upper=1)
    assert np.all(np.diff(curve) < 0)


def test_transfer_between_models(linear, mlp, digits):
    m = transfer_matrix({"linear": linear, "mlp": mlp}, digits.X_test, digits.y_test, 0.1, lower=0, upper=1)
    clean = np.array([linear.score(digits.X_test, digits.y_test), mlp.score(digits.X_test, digits.y_test)])
    assert m.shape == (2, 2)
    assert np.all(clean[None, :] - m > 0.2)  # white-box and transferred examples both hurt
    assert agreement(linear, linear, digits.X_test) == 1.0


def test_adversarial_training_restores_robustness_at_a_cost(digits):
    template = MLPClassifier((32,), random_state=0, learning_rate_init=0.01)
    kw = dict(epochs=20, lower=0.0, upper=1.0)
    base, cost0 = adversarial_training(template, digits.X_train, digits.y_train, 0.0, rng=np.random.default_rng(0), **kw)
    robust, cost1 = adversarial_training(template, digits.X_train, digits.y_train, 0.1, rng=np.random.default_rng(0),
                                         **kw)
    rob = [accuracy_under_attack(m, digits.X_test, digits.y_test, [0.0, 0.1], attack="pgd", lower=0, upper=1)
           for m in (base, robust)]
    assert rob[1][1] - rob[0][1] > 0.2           # robust accuracy under PGD rises by > 20 points
    assert rob[1][0] > 0.9                       # clean accuracy stays high ...
    assert cost1["examples"] > 1.9 * cost0["examples"] and cost1["gradients"] > 0  # ... but training costs more


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_bad_epsilon(linear, digits, bad):
    with pytest.raises((ValueError, TypeError)):
        fgsm(linear, digits.X_test[:2], digits.y_test[:2], bad)
    with pytest.raises((ValueError, TypeError)):
        pgd(linear, digits.X_test[:2], digits.y_test[:2], bad)


def test_bad_inputs(linear, digits):
    X, y = digits.X_test[:3], digits.y_test[:3]
    with pytest.raises(ValueError, match="columns"):
        fgsm(linear, X[:, :10], y, 0.1)
    with pytest.raises(ValueError, match="labels"):
        fgsm(linear, X, np.array([0, 1, 12]), 0.1)
    with pytest.raises(ValueError, match="one label per row"):
        fgsm(linear, X, y[:2], 0.1)
    with pytest.raises(ValueError, match="finite"):
        fgsm(linear, np.full((1, 64), np.nan), [0], 0.1)
    with pytest.raises(TypeError, match="fitted"):
        fgsm(object(), X, y, 0.1)
    with pytest.raises(ValueError, match="lower"):
        fgsm(linear, X, y, 0.1, lower=1, upper=0)
    with pytest.raises(ValueError):
        pgd(linear, X, y, 0.1, steps=0)
    with pytest.raises(ValueError, match="attack"):
        accuracy_under_attack(linear, X, y, [0.1], attack="cw")
    with pytest.raises(ValueError):
        transfer_matrix({}, X, y, 0.1)
    with pytest.raises(TypeError):
        adversarial_training(linear, X, y, 0.1, rng=np.random.default_rng(0))
