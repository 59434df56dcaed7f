"""Tests of the exponential mechanism and report-noisy-max.

Exact laws: the exponential mechanism against scipy's softmax, report-noisy-max against the
selection probabilities integrated numerically (scipy.integrate.quad); peer: OpenDP's noisy-max
privacy map (Gumbel noise = exponential mechanism). False-alarm policy: chi-square tests reject at
p < 1e-6; empirical privacy checks use union-bounded Clopper-Pearson bounds (false alarm <= 1e-6).
"""
from __future__ import annotations

import math

import numpy as np
import opendp.prelude as dp
import pytest
from scipy import integrate, special, stats

from mlops_course.privacy.dp._audit import chisquare_pvalue, dp_ratio_violations
from mlops_course.privacy.dp.exponential import (
    exponential_mechanism,
    exponential_mechanism_probabilities,
    report_noisy_max,
)

ALPHA = 1e-6
SCORES = np.array([3.0, 1.0, 2.5, 0.0, 3.2])


def _rnm_probabilities(scores, scale):
    """P(argmax_i s_i + Lap(scale)) = ∫ f(x - s_i) Π_{j≠i} F(x - s_j) dx, by quadrature."""
    lo, hi = scores.min() - 40 * scale, scores.max() + 40 * scale
    out = []
    for i in range(scores.size):
        others = np.delete(scores, i)

        def integrand(x, i=i, others=others):
            return stats.laplace.pdf(x - scores[i], scale=scale) * np.prod(stats.laplace.cdf(x - others, scale=scale))

        out.append(integrate.quad(integrand, lo, hi, points=sorted(scores), limit=200, epsabs=1e-13)[0])
    return np.array(out)


@pytest.mark.parametrize("sens,eps", [(1.0, 1.0), (0.5, 3.0), (2.0, 0.1)])
def test_probabilities_are_scipy_softmax(sens, eps):
    expected = special.softmax(eps * SCORES / (2 * sens))
    np.testing.assert_allclose(exponential_mechanism_probabilities(SCORES, sens, eps), expected, rtol=1e-12)


def test_probabilities_do_not_overflow():
    p = exponential_mechanism_probabilities([1e6, 0.0, 1e6 - 1], 1.0, 10.0)
    assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0)


def test_factor_two_matches_opendp_noisy_max_map():
    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.linf_distance(T=float)
    sens, eps = 1.5, 0.8
    # P ∝ exp(ε u/(2Δ)) is Gumbel noise of scale 2Δ/ε on the scores; OpenDP's map must give back ε
    meas = dp.m.make_noisy_max(*space, dp.max_divergence(), scale=2 * sens / eps)
    assert meas.map(sens) == pytest.approx(eps, rel=1e-9)


def test_exponential_frequencies_match_softmax():
    rng = np.random.default_rng(41)
    sens, eps, n = 1.0, 2.0, 200_000
    draws = exponential_mechanism(SCORES, sens, eps, rng, size=n)
    p = special.softmax(eps * SCORES / (2 * sens))
    # chi-square against the exact probabilities, rejects at p < 1e-6
    assert chisquare_pvalue(draws, np.arange(SCORES.size), p) > ALPHA


def test_single_draw_is_int_and_obvious_winner_wins():
    rng = np.random.default_rng(0)
    r = exponential_mechanism([0.0, 50.0, 0.0], 1.0, 2.0, rng)
    assert isinstance(r, int) and r == 1
    r = report_noisy_max([0.0, 50.0, 0.0], 1.0, 2.0, rng)
    assert isinstance(r, int) and r == 1


def test_exponential_exact_ratio_on_random_neighbours():
    rng = np.random.default_rng(42)
    sens, eps = 1.0, 0.7
    for _ in range(200):
        u = rng.normal(0, 3, 6)
        v = u + rng.uniform(-sens, sens, 6)
        p, q = exponential_mechanism_probabilities(u, sens, eps), exponential_mechanism_probabilities(v, sens, eps)
        assert np.max(np.abs(np.log(p / q))) <= eps + 1e-12
    # worst case (one score up by Δ, others down by Δ) attains the bound e^ε asymptotically
    u = np.array([0.0] + [100.0] * 3)
    v = u + np.array([sens, -sens, -sens, -sens])
    p, q = exponential_mechanism_probabilities(u, sens, eps), exponential_mechanism_probabilities(v, sens, eps)
    assert np.log(q[0] / p[0]) == pytest.approx(eps, rel=1e-6)


def test_exponential_empirical_privacy():
    rng = np.random.default_rng(43)
    sens, eps, n = 1.0, 1.0, 200_000
    v = SCORES + np.array([sens, -sens, sens, -sens, -sens])
    a = np.bincount(exponential_mechanism(SCORES, sens, eps, rng, size=n), minlength=5)
    b = np.bincount(exponential_mechanism(v, sens, eps, rng, size=n), minlength=5)
    # union-bounded Clopper-Pearson check, false alarm <= 1e-6
    assert dp_ratio_violations(a, b, eps, alpha=ALPHA)["violations"].size == 0
    assert dp_ratio_violations(a, b, eps / 3, alpha=ALPHA)["violations"].size > 0  # power check


@pytest.mark.parametrize("monotonic", [False, True])
def test_report_noisy_max_matches_integrated_probabilities(monotonic):
    rng = np.random.default_rng(44)
    sens, eps, n = 1.0, 1.0, 100_000
    scale = (1.0 if monotonic else 2.0) * sens / eps
    exact = _rnm_probabilities(SCORES, scale)
    assert exact.sum() == pytest.approx(1.0, abs=1e-8)
    draws = report_noisy_max(SCORES, sens, eps, rng, size=n, monotonic=monotonic)
    # chi-square against the integrated probabilities, rejects at p < 1e-6
    assert chisquare_pvalue(draws, np.arange(SCORES.size), exact) > ALPHA


def test_report_noisy_max_privacy():
    sens, eps = 1.0, 1.0
    v = SCORES + np.array([sens, -sens, sens, -sens, -sens])
    p, q = _rnm_probabilities(SCORES, 2 * sens / eps), _rnm_probabilities(v, 2 * sens / eps)
    assert np.max(np.abs(np.log(p / q))) <= eps + 1e-6  # exact (quadrature) ratio check
    rng = np.random.default_rng(45)
    a = np.bincount(report_noisy_max(SCORES, sens, eps, rng, size=200_000), minlength=5)
    b = np.bincount(report_noisy_max(v, sens, eps, rng, size=200_000), minlength=5)
    # union-bounded Clopper-Pearson check, false alarm <= 1e-6
    assert dp_ratio_violations(a, b, eps, alpha=ALPHA)["violations"].size == 0


@pytest.mark.parametrize("fn", [exponential_mechanism, report_noisy_max])
def test_bad_inputs(fn):
    rng = np.random.default_rng(0)
    for eps in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="epsilon"):
            fn(SCORES, 1.0, eps, rng)
    for sens in (0.0, -2.0, math.nan):
        with pytest.raises(ValueError, match="sensitivity"):
            fn(SCORES, sens, 1.0, rng)
    with pytest.raises(ValueError, match="scores"):
        fn([], 1.0, 1.0, rng)
    with pytest.raises(ValueError, match="scores"):
        fn([[1.0, 2.0]], 1.0, 1.0, rng)
    with pytest.raises(ValueError, match="scores"):
        fn([1.0, np.inf], 1.0, 1.0, rng)
    with pytest.raises(ValueError, match="size"):
        fn(SCORES, 1.0, 1.0, rng, size=0)
    with pytest.raises(TypeError, match="size"):
        fn(SCORES, 1.0, 1.0, rng, size=2.5)
    with pytest.raises(TypeError, match="rng"):
        fn(SCORES, 1.0, 1.0, 1.5)
    with pytest.raises(ValueError, match="scores"):
        exponential_mechanism_probabilities([], 1.0, 1.0)


def test_monotonic_must_be_bool():
    with pytest.raises(TypeError, match="monotonic"):
        report_noisy_max(SCORES, 1.0, 1.0, np.random.default_rng(0), monotonic="yes")
