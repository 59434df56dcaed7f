"""Tests of the discrete Laplace and discrete Gaussian samplers.

Peers: scipy.stats.dlaplace for the discrete Laplace pmf; the discrete Gaussian against its defining
pmf exp(-k²/2σ²)/Σ (Canonne, Kamath & Steinke 2020, Def. 1), normalised numerically; OpenDP's
discrete-Laplace privacy map. False-alarm policy: chi-square / KS / binomial tests reject at
p < 1e-6 and privacy checks use union-bounded Clopper-Pearson bounds (false alarm <= 1e-6).
Generators are seeded; the tests with rng=None (OS CSPRNG) keep the same 1e-6 false-alarm rate.
"""
from __future__ import annotations

import math

import numpy as np
import opendp.prelude as dp
import pytest
from scipy import stats

from mlops_course.privacy.dp import _securerandom as sr
from mlops_course.privacy.dp._audit import chisquare_pvalue, dp_ratio_violations
from mlops_course.privacy.dp.discrete import discrete_gaussian, discrete_laplace

ALPHA = 1e-6


def _dgauss_pmf(sigma):
    k = np.arange(-int(40 * sigma) - 10, int(40 * sigma) + 11)
    w = np.exp(-(k.astype(float) ** 2) / (2 * sigma**2))
    return k, w / w.sum()


@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0, 50.0])
def test_discrete_laplace_matches_scipy_dlaplace(scale):
    rng = np.random.default_rng(51)
    x = discrete_laplace(scale, 200_000, rng)
    k = np.arange(-int(30 * scale) - 5, int(30 * scale) + 6)
    # chi-square against scipy's dlaplace(a = 1/scale) pmf, rejects at p < 1e-6
    assert chisquare_pvalue(x, k, stats.dlaplace.pmf(k, 1.0 / scale)) > ALPHA


def test_discrete_laplace_secure_source_matches_scipy():
    x = discrete_laplace(2.0, 100_000, None)  # OS CSPRNG, not seeded
    k = np.arange(-70, 71)
    # chi-square, rejects at p < 1e-6 (false alarm 1e-6 per run even without a seed)
    assert chisquare_pvalue(x, k, stats.dlaplace.pmf(k, 0.5)) > ALPHA


def test_discrete_laplace_far_tail_probability():
    # P(|K| >= m) = 2 q^m / (1 + q): exercises the memoryless tail refill of the sampler
    rng = np.random.default_rng(52)
    n, scale, m = 1_000_000, 1.0, 9
    q = math.exp(-1 / scale)
    hits = int(np.sum(np.abs(discrete_laplace(scale, n, rng)) >= m))
    assert stats.binomtest(hits, n, 2 * q**m / (1 + q)).pvalue > ALPHA


def test_exponential_tail_refill_is_memoryless():
    rng = np.random.default_rng(53)
    e = sr.standard_exponential(sr.random_words(1_000_000, rng), rng)
    # whole law and the refilled tail (E > 6 ln 2, ~1.6% of draws) both Exp(1); KS rejects at p < 1e-6
    assert stats.kstest(e[:200_000], "expon").pvalue > ALPHA
    tail = e[e > 6 * math.log(2)] - 6 * math.log(2)
    assert tail.size > 10_000
    assert stats.kstest(tail, "expon").pvalue > ALPHA


@pytest.mark.parametrize("sigma", [0.4, 1.0, 2.5, 20.0])
def test_discrete_gaussian_matches_exact_pmf(sigma):
    rng = np.random.default_rng(54)
    x = discrete_gaussian(sigma, 200_000, rng)
    k, p = _dgauss_pmf(sigma)
    # chi-square against the exact normalised pmf, rejects at p < 1e-6
    assert chisquare_pvalue(x, k, p) > ALPHA


def test_discrete_gaussian_secure_source():
    x = discrete_gaussian(3.0, 100_000, None)
    k, p = _dgauss_pmf(3.0)
    assert chisquare_pvalue(x, k, p) > ALPHA  # rejects at p < 1e-6


def test_discrete_gaussian_variance_below_sigma_squared():
    # CKS 2020, Prop. 19: Var <= σ² (strictly below); checked on the exact pmf and the samples
    k, p = _dgauss_pmf(1.0)
    var = float(np.sum(p * k**2))
    assert var < 1.0
    x = discrete_gaussian(1.0, 200_000, np.random.default_rng(55))
    se = math.sqrt((np.sum(p * k**4) - var**2) / x.size)
    assert abs(np.mean(x.astype(float) ** 2) - var) < 5.0 * se  # |z| > 5: probability 5.7e-7


def test_shapes_and_dtypes():
    rng = np.random.default_rng(0)
    assert discrete_laplace(1.0, (3, 4), rng).shape == (3, 4)
    assert discrete_gaussian(1.0, 7, rng).dtype == np.int64
    assert discrete_laplace(1.0, 1, rng).dtype == np.int64


def test_discrete_laplace_privacy_on_integer_query():
    rng = np.random.default_rng(56)
    sens, eps, n = 2, 1.0, 200_000
    a = 0 + discrete_laplace(sens / eps, n, rng)
    b = sens + discrete_laplace(sens / eps, n, rng)
    lo = min(a.min(), b.min())
    ca = np.bincount(a - lo, minlength=max(a.max(), b.max()) - lo + 1)
    cb = np.bincount(b - lo, minlength=ca.size)
    # union-bounded Clopper-Pearson check, false alarm <= 1e-6
    assert dp_ratio_violations(ca, cb, eps, alpha=ALPHA)["violations"].size == 0
    assert dp_ratio_violations(ca, cb, eps / 2, alpha=ALPHA)["violations"].size > 0  # power check


def test_discrete_laplace_scale_matches_opendp_map():
    dp.enable_features("contrib")
    space = dp.atom_domain(T=int), dp.absolute_distance(T=int)
    # OpenDP's integer Laplace is this distribution; its privacy map for scale Δ/ε must be ε
    assert dp.m.make_laplace(*space, scale=2.0 / 0.5).map(2) == pytest.approx(0.5, rel=1e-9)


def test_discrete_gaussian_privacy_in_central_region():
    rng = np.random.default_rng(57)
    sigma, sens, eps, n = 3.0, 1, 1.0, 200_000
    a = discrete_gaussian(sigma, n, rng)
    b = sens + discrete_gaussian(sigma, n, rng)
    # the privacy loss Δ(Δ - 2y)/(2σ²) is <= ε in absolute value for |y - Δ/2| <= εσ²/Δ = 9
    support = np.arange(-8, 10)
    ca = np.array([np.sum(a == y) for y in support])
    cb = np.array([np.sum(b == y) for y in support])
    # union-bounded Clopper-Pearson check, false alarm <= 1e-6
    assert dp_ratio_violations(ca, cb, eps, alpha=ALPHA)["violations"].size == 0


@pytest.mark.parametrize("fn,name", [(discrete_laplace, "scale"), (discrete_gaussian, "sigma")])
def test_bad_inputs(fn, name):
    rng = np.random.default_rng(0)
    for bad in (0.0, -1.0, math.inf, math.nan, 2.0**41):
        with pytest.raises(ValueError, match=name):
            fn(bad, 10, rng)
    with pytest.raises(ValueError, match="size"):
        fn(1.0, 0, rng)
    with pytest.raises(ValueError, match="size"):
        fn(1.0, (), rng)
    with pytest.raises(TypeError, match="size"):
        fn(1.0, 2.5, rng)
    with pytest.raises(TypeError, match="rng"):
        fn(1.0, 10, "urandom")
