"""Tests of randomized response: law, local-DP ratio, unbiasedness, peer (OpenDP), bad input.

False-alarm policy: every statistical assertion rejects only at p < 1e-6 (or uses a bound whose
false-alarm probability is <= 1e-6), with seeded generators so runs are reproducible.
"""
from __future__ import annotations

import math

import numpy as np
import opendp.prelude as dp
import pytest
from scipy import stats

from mlops_course.privacy.dp._audit import dp_ratio_violations
from mlops_course.privacy.dp.randomized_response import randomized_response, rr_estimate, rr_keep_probability

ALPHA = 1e-6


@pytest.mark.parametrize("eps", [0.1, 1.0, math.log(3), 5.0])
def test_keep_probability_formula_and_ratio(eps):
    p = rr_keep_probability(eps)
    assert p == pytest.approx(math.exp(eps) / (1 + math.exp(eps)), rel=1e-15)
    assert math.log(p / (1 - p)) == pytest.approx(eps, rel=1e-12)


def test_keep_probability_matches_opendp():
    dp.enable_features("contrib")
    for eps in (0.25, 1.0, 3.0):
        meas = dp.m.make_randomized_response_bool(prob=rr_keep_probability(eps))
        assert meas.map(1) == pytest.approx(eps, rel=1e-9)


@pytest.mark.parametrize("bit", [0, 1])
def test_reports_follow_binomial_law(bit):
    rng = np.random.default_rng(11)
    eps, n = 0.7, 100_000
    out = randomized_response(np.full(n, bit), eps, rng)
    kept = int(np.sum(out == bit))
    # exact binomial test, rejects at p < 1e-6 (false-alarm rate 1e-6)
    assert stats.binomtest(kept, n, rr_keep_probability(eps)).pvalue > ALPHA


def test_shape_dtype_and_bool_input():
    rng = np.random.default_rng(0)
    out = randomized_response(np.array([[True, False], [False, True]]), 1.0, rng)
    assert out.shape == (2, 2) and out.dtype == np.int64
    assert set(np.unique(out)) <= {0, 1}


def test_empirical_local_dp_ratio():
    rng = np.random.default_rng(12)
    eps, n = 1.0, 200_000
    a = randomized_response(np.ones(n, dtype=int), eps, rng)
    b = randomized_response(np.zeros(n, dtype=int), eps, rng)
    counts_a, counts_b = np.bincount(a, minlength=2), np.bincount(b, minlength=2)
    # Clopper-Pearson bounds with union bound: false alarm <= 1e-6 for an eps-DP mechanism
    assert dp_ratio_violations(counts_a, counts_b, eps, alpha=ALPHA)["violations"].size == 0
    # the same check must fail when the claimed epsilon is too small (the ratio is exactly e^eps)
    assert dp_ratio_violations(counts_a, counts_b, 0.8 * eps, alpha=ALPHA)["violations"].size > 0


def test_rr_estimate_closed_form_values():
    eps = math.log(3)  # p = 3/4
    assert rr_estimate([1, 0, 0, 0], eps) == pytest.approx(0.0, abs=1e-15)
    assert rr_estimate([1, 1, 1, 0], eps) == pytest.approx(1.0, rel=1e-15)
    assert rr_estimate([1, 0], eps) == pytest.approx(0.5, rel=1e-15)


@pytest.mark.parametrize("eps,pi", [(0.5, 0.3), (2.0, 0.8)])
def test_rr_estimate_is_unbiased(eps, pi):
    rng = np.random.default_rng(13)
    n = 200_000
    bits = (rng.random(n) < pi).astype(int)
    true = bits.mean()
    est = rr_estimate(randomized_response(bits, eps, rng), eps)
    p = rr_keep_probability(eps)
    sd = math.sqrt(p * (1 - p) / (n * (2 * p - 1) ** 2))  # conditional on the true bits (Warner 1965)
    # |z| > 5.0 has probability 5.7e-7 under the normal approximation (false alarm < 1e-6)
    assert abs(est - true) < 5.0 * sd


@pytest.mark.parametrize("eps", [0.0, -1.0, math.inf, math.nan])
def test_bad_epsilon(eps):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="epsilon"):
        rr_keep_probability(eps)
    with pytest.raises(ValueError, match="epsilon"):
        randomized_response([0, 1], eps, rng)
    with pytest.raises(ValueError, match="epsilon"):
        rr_estimate([0, 1], eps)


def test_bad_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="bits"):
        randomized_response([0, 2], 1.0, rng)
    with pytest.raises(ValueError, match="bits"):
        randomized_response([], 1.0, rng)
    with pytest.raises(ValueError, match="bits"):
        randomized_response([0, np.nan], 1.0, rng)
    with pytest.raises(TypeError, match="rng"):
        randomized_response([0, 1], 1.0, None)
    with pytest.raises(TypeError, match="epsilon"):
        rr_keep_probability("1")
    with pytest.raises(ValueError, match="responses"):
        rr_estimate([0.5, 1], 1.0)
    with pytest.raises(ValueError, match="responses"):
        rr_estimate([], 1.0)
