"""Tests of drift, OOD and extraction-pattern detection.

Peers: scipy.stats.ks_2samp (KS statistic). Statistical assertions: the number of false alarms in
N independent seeded trials at level a is compared with the Binomial(N, a) quantile 1 - 1e-6, so
each such test fails on a correct detector with probability <= 1e-6 (stated at each use).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_digits

from mlops_course.security.monitoring import (
    ConformalOOD,
    DriftDetector,
    ExtractionMonitor,
    conformal_threshold,
    ks_statistic,
)

FALSE_ALARM = 1e-6


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(X))
    return X[idx[:900]], X[idx[900:1300]], X[idx[1300:]]  # train, calibration, test


def test_ks_statistic_matches_scipy_with_ties():
    rng = np.random.default_rng(1)
    for n, m in [(5, 7), (100, 40), (300, 300)]:
        a, b = rng.integers(0, 8, n).astype(float), rng.integers(0, 10, m).astype(float)
        assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
        c, d = rng.normal(size=n), rng.normal(0.3, 1.2, size=m)
        assert ks_statistic(c, d) == pytest.approx(stats.ks_2samp(c, d).statistic, abs=1e-12)
    assert ks_statistic([1.0, 2.0], [2.0, 1.0]) == 0.0


def test_drift_false_alarm_rate_is_controlled():
    alpha, trials = 0.05, 300
    rng = np.random.default_rng(2)
    alarms = sum(DriftDetector(rng.normal(size=(200, 4)), alpha).test(rng.normal(size=(100, 4))).drifted
                 for _ in range(trials))
    # under H0 alarms ~ at most Binomial(300, 0.05): exceeding its 1 - 1e-6 quantile has probability <= 1e-6
    assert alarms <= stats.binom.ppf(1 - FALSE_ALARM, trials, alpha)


def test_drift_false_alarm_rate_on_integer_pixels(digits):
    train, _, test = digits
    alpha, trials = 0.05, 60
    rng = np.random.default_rng(3)
    pool = np.vstack([train, test])
    alarms = 0
    for _ in range(trials):
        idx = rng.permutation(len(pool))
        alarms += DriftDetector(pool[idx[:400]], alpha).test(pool[idx[400:500]]).drifted
    # ties make KS conservative; Binomial(60, 0.05) 1 - 1e-6 quantile bound (false alarm <= 1e-6)
    assert alarms <= stats.binom.ppf(1 - FALSE_ALARM, trials, alpha)


def test_drift_is_detected():
    rng = np.random.default_rng(4)
    det = DriftDetector(rng.normal(size=(500, 5)), alpha=0.01)
    for _ in range(10):  # a 1-sd shift of one feature with 200 points: KS p-value < 1e-15
        report = det.test(rng.normal(size=(200, 5)) + [0, 0, 0, 1.0, 0])
        assert report.drifted and report.feature == 3 and report.p_value < 1e-10


def test_conformal_threshold_definition_and_coverage():
    assert conformal_threshold(np.arange(1.0, 20.0), 0.1) == 18.0  # k = ceil(20 * 0.9) = 18
    assert conformal_threshold(np.arange(1.0, 10.0), 0.05) == math.inf  # k = 10 > n = 9
    rng = np.random.default_rng(5)
    trials, n, alpha = 20_000, 49, 0.1
    scores = rng.exponential(size=(trials, n + 1))
    exceed = sum(scores[t, -1] > conformal_threshold(scores[t, :-1], alpha) for t in range(trials))
    # exact marginal rate is 1 - k/(n+1) = 1 - 45/50 = 0.1; Binomial 1 - 1e-6 quantile (false alarm <= 1e-6)
    assert exceed <= stats.binom.ppf(1 - FALSE_ALARM, trials, 0.1)
    assert exceed >= stats.binom.ppf(FALSE_ALARM, trials, 0.1)  # and not wastefully conservative


def test_conformal_ood_on_digits(digits):
    train, cal, test = digits
    ood = ConformalOOD(train, cal, alpha=0.05)
    rng = np.random.default_rng(6)
    flags = ood.is_ood(test)
    # test rows are exchangeable with calibration rows: flags ~ Binomial(497, <= 0.05 + slack);
    # the Beta bound holds w.p. 1 - 1e-6 over calibration; binomial quantile 1 - 1e-6 on top
    assert flags.sum() <= stats.binom.ppf(1 - FALSE_ALARM, flags.size, ood.benign_rate_bound(1e-6))
    noise = rng.uniform(0, 16, size=(200, 64))
    assert ood.is_ood(noise).all()
    p = ood.p_values(np.vstack([test[:5], noise[:5]]))
    assert np.all(p[:5] > 1 / 401) and np.all(p[5:] == pytest.approx(1 / 401))


def test_extraction_monitor_flags_synthetic_queries_not_benign_clients(digits):
    train, cal, test = digits
    monitor = ExtractionMonitor(ConformalOOD(train, cal, alpha=0.05))
    rng = np.random.default_rng(7)
    for c in range(20):  # 20 benign clients x 100 in-distribution queries
        monitor.observe(f"user{c}", test[rng.integers(0, len(test), 100)])
    # per-client false alarm <= 100 checks x 1e-6 + delta (1e-3) -- see the module docstring
    assert not any(monitor.flagged_at(f"user{c}") for c in range(20))
    assert monitor.observe("thief", rng.uniform(0, 16, size=(50, 64)))
    assert monitor.flagged_at("thief") == monitor.min_queries
    # limitation: natural-looking queries (e.g. public data of the same domain) are not flagged
    assert not monitor.observe("quiet-thief", test[:100])
    assert monitor.p_value("nobody") == 1.0


@pytest.mark.parametrize("call, exc", [
    (lambda: DriftDetector(np.zeros((1, 3))), ValueError),
    (lambda: DriftDetector(np.zeros(5)), ValueError),
    (lambda: DriftDetector(np.zeros((5, 2)), alpha=1.5), ValueError),
    (lambda: DriftDetector(np.zeros((5, 2))).test(np.zeros((5, 3))), ValueError),
    (lambda: DriftDetector(np.zeros((5, 2))).test(np.full((5, 2), np.nan)), ValueError),
    (lambda: ks_statistic([], [1.0]), ValueError),
    (lambda: conformal_threshold([1.0, 2.0], 0.0), ValueError),
    (lambda: ConformalOOD(np.zeros((5, 2)), np.zeros((5, 3))), ValueError),
    (lambda: ExtractionMonitor("ood"), TypeError),
])
def test_bad_input(call, exc):
    with pytest.raises(exc):
        call()


def test_monitor_bad_client(digits):
    train, cal, _ = digits
    monitor = ExtractionMonitor(ConformalOOD(train, cal))
    with pytest.raises(ValueError):
        monitor.observe("", train[:2])
