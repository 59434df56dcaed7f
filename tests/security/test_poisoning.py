"""Poisoning: label flips (random, targeted), backdoor, k-NN sanitisation, spectral signatures.

Stated effects on fixed seeds (deterministic numbers, asserted with margins); the statistical
test of uniform flipping rejects only at p < 1e-6 (false-alarm rate <= 1e-6).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression

from mlops_course.security.models import breast_cancer_split, digits_split
from mlops_course.security.poisoning import (
    apply_trigger,
    attack_success_rate,
    backdoor_poison,
    knn_sanitize,
    random_label_flip,
    spectral_signature_filter,
    targeted_label_flip,
)

TRIGGER = [54, 55, 62, 63]  # 2x2 patch in the bottom-right corner of an 8x8 digit


def fit(X, y):
    return LogisticRegression(max_iter=1000).fit(X, y)


@pytest.fixture(scope="module")
def cancer():
    return breast_cancer_split(np.random.default_rng(0))


def test_random_flip_counts_and_uniformity():
    y = np.zeros(20, dtype=int)
    counts = np.zeros(20)
    rng = np.random.default_rng(11)
    for _ in range(3000):
        y_p, idx = random_label_flip(y, 0.25, rng)
        assert idx.size == 5 and np.array_equal(np.flatnonzero(y_p != y), idx)
        counts += y_p
    # without replacement the counts are under-dispersed: the chi-square test is conservative
    assert stats.chisquare(counts).pvalue > 1e-6


def test_random_flip_multiclass_never_keeps_the_label():
    y = np.arange(10).repeat(10)
    y_p, idx = random_label_flip(y, 1.0, np.random.default_rng(0), n_classes=10)
    assert idx.size == 100 and np.all(y_p != y) and y_p.max() < 10


def test_targeted_flip_takes_largest_margins():
    y_p, idx = targeted_label_flip([0, 1, 1, 0, 1], 0.4, [0.1, 5.0, -1.0, 3.0, 0.0])
    assert idx.tolist() == [1, 3] and y_p.tolist() == [0, 0, 1, 1, 1]


def test_stated_effect_targeted_hurts_more_and_knn_helps(cancer):
    clean = fit(cancer.X_train, cancer.y_train)
    margins = (2 * cancer.y_train - 1) * clean.decision_function(cancer.X_train)
    acc_clean = clean.score(cancer.X_test, cancer.y_test)
    rows = {}
    for rate in (0.2, 0.3):
        y_r, _ = random_label_flip(cancer.y_train, rate, np.random.default_rng(1))
        y_t, _ = targeted_label_flip(cancer.y_train, rate, margins)
        kr, kt = knn_sanitize(cancer.X_train, y_r), knn_sanitize(cancer.X_train, y_t)
        rows[rate] = (fit(cancer.X_train, y_r).score(cancer.X_test, cancer.y_test),
                      fit(cancer.X_train, y_t).score(cancer.X_test, cancer.y_test),
                      fit(cancer.X_train[kr], y_r[kr]).score(cancer.X_test, cancer.y_test),
                      fit(cancer.X_train[kt], y_t[kt]).score(cancer.X_test, cancer.y_test))
    for rnd, tgt, rnd_def, tgt_def in rows.values():
        assert acc_clean - rnd > 0.05        # random flips cost accuracy
        assert rnd - tgt > 0.1               # targeted flips cost much more at the same rate
        assert rnd_def - rnd > 0.04          # k-NN sanitisation recovers most of the random damage
        assert tgt_def - tgt > 0.02          # ... and only a little of the targeted damage


def test_stated_effect_backdoor_and_spectral_filter():
    d = digits_split(np.random.default_rng(0))
    X_p, y_p, idx = backdoor_poison(d.X_train, d.y_train, 0.02, TRIGGER, 0, np.random.default_rng(0))
    assert idx.size == round(0.02 * d.y_train.size) and np.all(y_p[idx] == 0)
    clean = fit(d.X_train, d.y_train)
    poisoned = fit(X_p, y_p)
    assert abs(poisoned.score(d.X_test, d.y_test) - clean.score(d.X_test, d.y_test)) < 0.02  # invisible
    asr_clean = attack_success_rate(clean, d.X_test, d.y_test, TRIGGER, 0)
    asr = attack_success_rate(poisoned, d.X_test, d.y_test, TRIGGER, 0)
    assert asr_clean < 0.05 and asr > 0.8
    keep = spectral_signature_filter(X_p, y_p, 0.3)
    assert np.intersect1d(keep, idx).size <= 2  # almost every poisoned point removed
    defended = fit(X_p[keep], y_p[keep])
    assert attack_success_rate(defended, d.X_test, d.y_test, TRIGGER, 0) < 0.1


def test_apply_trigger():
    X = np.zeros((2, 64))
    out = apply_trigger(X, TRIGGER, 0.5)
    assert out[:, TRIGGER].tolist() == [[0.5] * 4] * 2 and X.sum() == 0


def test_knn_keeps_consistent_points():
    X = np.vstack([np.zeros((5, 2)), np.ones((5, 2)) * 10])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    assert knn_sanitize(X, y, k=3).tolist() == [0, 1, 2, 3, 5, 6, 7, 8, 9]


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan")])
def test_bad_rate(rate):
    with pytest.raises(ValueError):
        random_label_flip([0, 1], rate, np.random.default_rng(0))
    with pytest.raises(ValueError):
        targeted_label_flip([0, 1], rate, [0.0, 1.0])


def test_bad_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        random_label_flip([], 0.1, rng)
    with pytest.raises(ValueError):
        random_label_flip([0.5, 1.0], 0.1, rng)
    with pytest.raises(ValueError):
        random_label_flip([0, 3], 0.1, rng, n_classes=2)
    with pytest.raises(TypeError):
        random_label_flip([0, 1], 0.1, None)
    with pytest.raises(ValueError, match="binary"):
        targeted_label_flip([0, 2], 0.5, [1.0, 2.0])
    with pytest.raises(ValueError, match="margins"):
        targeted_label_flip([0, 1], 0.5, [1.0])
    with pytest.raises(ValueError, match="pixels"):
        apply_trigger(np.zeros((1, 4)), [7])
    with pytest.raises(ValueError):
        knn_sanitize(np.zeros((3, 2)), [0, 1, 0], k=3)
    with pytest.raises(ValueError):
        spectral_signature_filter(np.zeros((3, 2)), [0, 1], 0.1)
    with pytest.raises(ValueError):
        attack_success_rate(None, np.zeros((2, 64)), [0, 0], TRIGGER, 0)
