"""Membership inference: Yeom loss threshold, Shokri shadow models, metrics, and DP-SGD as the defence.

Peers: scikit-learn's ``roc_auc_score`` and ``roc_curve`` for the AUC and the best advantage;
:func:`dp_advantage_bound` against the hypothesis-testing region of (ε, δ)-DP computed numerically.
Stated effect (fixed seeds, 4 target models x 100 members vs 100 non-members pooled): the loss
attack on an overfit softmax regression has advantage >= 0.15 and AUC >= 0.6; DP-SGD at ε = 1
brings the advantage under 0.08 and AUC under 0.56, within the DP bound.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve

from mlops_course.privacy.dp.dpsgd import calibrate_noise_multiplier
from mlops_course.security.membership import (
    advantage,
    auc,
    best_advantage,
    dp_advantage_bound,
    loss_threshold_attack,
    membership_experiment,
    membership_scores,
    shadow_model_attack,
)
from mlops_course.security.models import SoftmaxModel, dpsgd_softmax, loss_per_example


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.data / 16.0, d.target.astype(int)


def overfit(X, y, rng=None):
    return LogisticRegression(C=1e4, max_iter=5000).fit(X, y)


def test_metrics_match_sklearn():
    g = np.random.default_rng(0)
    si, so = g.normal(0.5, 1, 300).round(1), g.normal(0, 1, 250).round(1)  # with ties
    labels = np.r_[np.ones(300), np.zeros(250)]
    assert auc(si, so) == pytest.approx(roc_auc_score(labels, np.r_[si, so]), abs=1e-12)
    fpr, tpr, _ = roc_curve(labels, np.r_[si, so])
    assert best_advantage(si, so) == pytest.approx(np.max(tpr - fpr), abs=1e-12)
    assert advantage([True, False], [False, False]) == 0.5
    assert loss_threshold_attack([0.1, 0.2, 0.3], 0.2).tolist() == [True, True, False]


@pytest.mark.parametrize("eps, delta", [(0.1, 0.0), (1.0, 1e-5), (3.0, 0.01)])
def test_dp_bound_is_the_corner_of_the_privacy_region(eps, delta):
    # largest TPR - FPR subject to TPR <= e^eps FPR + delta and 1 - FPR <= e^eps (1 - TPR) + delta, on a grid
    fpr = np.linspace(0, 1, 200_001)
    tpr = np.minimum.reduce([np.ones_like(fpr), math.exp(eps) * fpr + delta,
                             1 - (1 - fpr - delta) / math.exp(eps)])
    assert dp_advantage_bound(eps, delta) == pytest.approx(np.max(tpr - fpr), abs=1e-5)


def test_scores_are_minus_the_loss(digits):
    X, y = digits
    m = overfit(X[:200], y[:200])
    assert np.allclose(membership_scores(m.predict_proba(X[200:300]), y[200:300]),
                       -loss_per_example(m, X[200:300], y[200:300]), atol=1e-9)


def test_stated_effect_loss_attack_and_dp_defence(digits):
    X, y = digits
    leak = membership_experiment(overfit, X, y, 100, 4, np.random.default_rng(1))
    assert leak["advantage"] >= 0.15 and leak["auc"] >= 0.6 and leak["accuracy"] > 0.85
    sigma = calibrate_noise_multiplier(1.0, 1e-5, 1.0, 20)

    def dp_fit(Xm, ym, rng):
        return dpsgd_softmax(Xm, ym, noise_multiplier=sigma, delta=1e-5, rng=rng, sampling_rate=1.0, steps=20,
                             learning_rate=4.0, n_classes=10)

    dp = membership_experiment(dp_fit, X, y, 100, 4, np.random.default_rng(1))
    assert dp["advantage"] < 0.08 and dp["auc"] < 0.56
    assert dp["advantage"] <= dp_advantage_bound(1.0, 1e-5)
    assert leak["advantage"] - dp["advantage"] > 0.1


def test_stated_effect_shadow_models(digits):
    X, y = digits
    rng = np.random.default_rng(5)
    perm = rng.permutation(len(y))
    members, non, attacker = perm[:100], perm[100:200], perm[200:]
    target = overfit(X[members], y[members])
    attack = shadow_model_attack(overfit, X[attacker], y[attacker], 6, 100, rng)
    si = attack.score(target.predict_proba(X[members]), y[members])
    so = attack.score(target.predict_proba(X[non]), y[non])
    loss_auc = auc(membership_scores(target.predict_proba(X[members]), y[members]),
                   membership_scores(target.predict_proba(X[non]), y[non]))
    # the shadow attack learns (about) the loss threshold: similar AUC, clearly above chance
    assert auc(si, so) >= 0.57 and abs(auc(si, so) - loss_auc) < 0.05
    assert set(attack.attack_models) == set(range(10))


def test_dpsgd_softmax_accounting_and_baseline(digits):
    X, y = digits
    from mlops_course.privacy.dp.dpsgd import dpsgd_epsilon

    m = dpsgd_softmax(X[:500], y[:500], noise_multiplier=1.0, delta=1e-5, rng=np.random.default_rng(0),
                      sampling_rate=0.1, steps=100)
    assert m.epsilon == pytest.approx(dpsgd_epsilon(1.0, 0.1, 100, 1e-5))
    base = dpsgd_softmax(X[:500], y[:500], noise_multiplier=0.0, delta=1e-5, rng=np.random.default_rng(0),
                         sampling_rate=0.5, steps=200, learning_rate=2.0)
    assert math.isinf(base.epsilon) and base.score(X[500:], y[500:]) > 0.85
    assert isinstance(base, SoftmaxModel) and base.predict_proba(X[:3]).sum(axis=1) == pytest.approx(1.0)


def test_bad_inputs(digits):
    X, y = digits
    with pytest.raises(ValueError):
        loss_threshold_attack([-1.0], 0.5)
    with pytest.raises(TypeError):
        loss_threshold_attack([1.0], "0.5")
    with pytest.raises(ValueError):
        advantage([], [True])
    with pytest.raises(ValueError):
        auc([np.nan], [0.0])
    with pytest.raises(ValueError):
        dp_advantage_bound(0.0)
    with pytest.raises(ValueError):
        dp_advantage_bound(1.0, 1.0)
    with pytest.raises(ValueError):
        membership_scores(np.ones((2, 2)) / 2, [0, 2])
    with pytest.raises(ValueError):
        membership_experiment(overfit, X, y, 1000, 1, np.random.default_rng(0))
    with pytest.raises(TypeError):
        shadow_model_attack(None, X, y, 1, 10, np.random.default_rng(0))
    with pytest.raises(ValueError):
        dpsgd_softmax(X[:10], y[:10], noise_multiplier=-1.0, delta=1e-5, rng=np.random.default_rng(0))
