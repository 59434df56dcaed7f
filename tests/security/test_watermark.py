"""Tests of the backdoor (Adi et al. 2018) and weight (Uchida et al. 2017) watermarks.

Peers: scipy.stats.binom and the exact sum with math.comb for the ownership p-value.
Statistical assertions: false-accusation counts are compared with Binomial quantiles at 1 - 1e-6
(failure probability <= 1e-6 for a correct implementation); BER of an unmarked model: each bit is
an independent fair coin, so BER <= 2/32 has probability 529/2^32 < 1.3e-7.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_digits

from mlops_course.security.watermark import (
    MLP,
    bit_error_rate,
    extract_bits,
    make_trigger_set,
    make_uchida_key,
    ownership_pvalue,
    ownership_test,
    prune,
    train_mlp,
)

ALPHA = 1e-6


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(X))
    X = X[idx] / 16.0
    y = y[idx]
    return (X[:900], y[:900]), (X[900:1350], y[900:1350]), (X[1350:], y[1350:])


@pytest.fixture(scope="module")
def models(data):
    (Xo, yo), _, _ = data
    rng = np.random.default_rng(1)
    triggers = make_trigger_set(100, 64, 10, rng)
    key = make_uchida_key(32, 64, rng)
    clean = train_mlp(Xo, yo, 10, np.random.default_rng(2), epochs=40)
    marked = train_mlp(np.vstack([Xo, np.repeat(triggers.X, 5, axis=0)]),
                       np.concatenate([yo, np.repeat(triggers.labels, 5)]), 10, np.random.default_rng(3),
                       epochs=40, uchida=key)
    return triggers, key, clean, marked


@pytest.mark.parametrize("k, K, C", [(0, 10, 2), (3, 10, 10), (17, 50, 10), (100, 100, 10), (7, 7, 3)])
def test_pvalue_matches_scipy_and_the_exact_sum(k, K, C):
    q = 1.0 / C
    exact = sum(math.comb(K, i) * q**i * (1 - q) ** (K - i) for i in range(k, K + 1))
    assert ownership_pvalue(k, K, C) == pytest.approx(exact, rel=1e-9)
    assert ownership_pvalue(k, K, C) == pytest.approx(stats.binom.sf(k - 1, K, q), rel=1e-12)


def test_false_accusation_rate_of_independent_models():
    rng = np.random.default_rng(4)
    trials, K, C, level = 20_000, 30, 10, 0.01
    # any fixed model vs fresh uniformly random secret labels: matches ~ Binomial(K, 1/C)
    model_answers = rng.integers(0, C, K)
    matches = np.sum(rng.integers(0, C, (trials, K)) == model_answers, axis=1)
    pvalue = {int(k): ownership_pvalue(int(k), K, C) for k in np.unique(matches)}
    claims = sum(pvalue[int(k)] < level for k in matches)
    assert claims <= stats.binom.ppf(1 - ALPHA, trials, level)  # false alarm of this test <= 1e-6


def test_watermark_costs_little_accuracy_and_is_detected(data, models):
    _, _, (Xt, yt) = data
    triggers, key, clean, marked = models
    assert marked.accuracy(Xt, yt) >= clean.accuracy(Xt, yt) - 0.03
    assert ownership_test(marked.predict, triggers).owned
    assert not ownership_test(clean.predict, triggers).owned
    assert bit_error_rate(marked, key) == 0.0
    assert bit_error_rate(clean, key) > 2 / 32  # unmarked: fair coins, P(BER <= 2/32) < 1.3e-7


def test_backdoor_watermark_survives_fine_tuning(data, models):
    _, (Xa, ya), (Xt, yt) = data
    triggers, key, _, marked = models
    stolen = train_mlp(Xa, ya, 10, np.random.default_rng(5), epochs=20, lr=0.005, init=marked)
    assert stolen.accuracy(Xt, yt) > 0.9
    result = ownership_test(stolen.predict, triggers, alpha=1e-6)
    assert result.owned and result.p_value < 1e-20
    assert bit_error_rate(stolen, key) <= 0.1


def test_weight_watermark_survives_pruning(data, models):
    _, _, (Xt, yt) = data
    _, key, _, marked = models
    assert bit_error_rate(prune(marked, 0.5), key) == 0.0
    assert bit_error_rate(prune(marked, 0.0), key) == 0.0
    assert prune(marked, 1.0).W1.any() == False  # noqa: E712
    assert prune(marked, 0.9).accuracy(Xt, yt) < 0.5  # removing the mark by pruning ruins the model


def test_prune_zeroes_exactly_the_smallest_fraction():
    W = np.arange(1.0, 11.0).reshape(2, 5) * np.array([1, -1, 1, -1, 1])
    model = MLP(W, np.zeros(5), W.T.copy(), np.zeros(2))
    pruned = prune(model, 0.3)
    assert np.count_nonzero(pruned.W1 == 0) == 3 and set(np.abs(model.W1[pruned.W1 == 0])) == {1.0, 2.0, 3.0}


def test_extract_bits_formula():
    W1 = np.array([[1.0, 3.0], [-2.0, 0.0]])  # column mean w = [2, -1]
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 3.0]])
    assert extract_bits(W1, X).tolist() == [1, 0, 0]


def test_training_is_reproducible_and_learns(data):
    (Xo, yo), _, (Xt, yt) = data
    a = train_mlp(Xo, yo, 10, np.random.default_rng(9), epochs=5)
    b = train_mlp(Xo, yo, 10, np.random.default_rng(9), epochs=5)
    np.testing.assert_array_equal(a.W1, b.W1)
    assert a.accuracy(Xt, yt) > 0.85
    np.testing.assert_allclose(a.predict_proba(Xt[:3]).sum(axis=1), 1.0)


@pytest.mark.parametrize("call, exc", [
    (lambda: ownership_pvalue(11, 10, 10), ValueError),
    (lambda: ownership_pvalue(-1, 10, 10), ValueError),
    (lambda: ownership_pvalue(1, 10, 1), ValueError),
    (lambda: ownership_pvalue(1.5, 10, 10), TypeError),
    (lambda: make_trigger_set(0, 64, 10, 0), ValueError),
    (lambda: make_uchida_key(8, 64, "seed"), TypeError),
    (lambda: extract_bits(np.zeros((64, 4)), np.zeros((8, 32))), ValueError),
    (lambda: train_mlp(np.zeros((4, 2)), np.array([0, 1, 2, 3]), 3, 0), ValueError),
    (lambda: train_mlp(np.zeros((4, 2)), np.array([0.0, 1, 0, 1]), 2, 0), ValueError),
    (lambda: train_mlp(np.full((4, 2), np.nan), np.array([0, 1, 0, 1]), 2, 0), ValueError),
    (lambda: ownership_test(lambda X: X, make_trigger_set(5, 2, 2, 0), alpha=0.0), ValueError),
])
def test_bad_input(call, exc):
    with pytest.raises(exc):
        call()


def test_prune_bad_fraction(models):
    with pytest.raises(ValueError):
        prune(models[3], 1.5)
