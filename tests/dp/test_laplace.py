"""Tests of the Laplace mechanism: law (KS), empirical eps-DP on neighbours, peers, bad input.

False-alarm policy: each statistical assertion rejects only at p < 1e-6 (KS tests) or uses a
union-bounded Clopper-Pearson check with overall false alarm <= 1e-6; generators are seeded.
"""
from __future__ import annotations

import math

import numpy as np
import opendp.prelude as dp
import pytest
from scipy import stats

from mlops_course.privacy.dp._audit import dp_ratio_violations
from mlops_course.privacy.dp.laplace import laplace_halfwidth, laplace_mechanism, laplace_scale

ALPHA = 1e-6


def _counts(samples, edges):
    idx = np.searchsorted(edges, samples, side="right")  # bins (-inf,e0), [e0,e1), ..., [e_last, inf)
    return np.bincount(idx, minlength=edges.size + 1)


@pytest.mark.parametrize("sens,eps", [(1.0, 1.0), (2.5, 0.1), (0.01, 10.0)])
def test_scale_formula(sens, eps):
    assert laplace_scale(sens, eps) == pytest.approx(sens / eps, rel=1e-15)


def test_scale_matches_opendp_privacy_map():
    dp.enable_features("contrib")
    space = dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float)
    for sens, eps in [(1.0, 1.0), (3.0, 0.5), (0.5, 2.0)]:
        meas = dp.m.make_laplace(*space, scale=laplace_scale(sens, eps))
        assert meas.map(sens) == pytest.approx(eps, rel=1e-9)


@pytest.mark.parametrize("sens,eps", [(1.0, 1.0), (4.0, 0.25)])
def test_noise_follows_laplace_law(sens, eps):
    rng = np.random.default_rng(21)
    value = np.full(50_000, 7.0)
    noise = laplace_mechanism(value, sens, eps, rng) - value
    # KS test against Laplace(0, Δ/ε); rejects at p < 1e-6 (false-alarm rate 1e-6)
    assert stats.kstest(noise, "laplace", args=(0.0, sens / eps)).pvalue > ALPHA


def test_scalar_in_float_out_and_shape_kept():
    rng = np.random.default_rng(0)
    out = laplace_mechanism(3, 1.0, 1.0, rng)
    assert isinstance(out, float)
    arr = laplace_mechanism(np.zeros((3, 4)), 1.0, 1.0, rng)
    assert arr.shape == (3, 4) and arr.dtype == float
    assert np.unique(arr).size == 12  # independent noise per coordinate


def test_empirical_privacy_on_neighbours():
    rng = np.random.default_rng(22)
    sens, eps, n = 1.0, 1.0, 200_000
    b = sens / eps
    a = laplace_mechanism(np.zeros(n), sens, eps, rng)
    c = laplace_mechanism(np.full(n, sens), sens, eps, rng)
    edges = np.arange(-6 * b, 6 * b + sens, b / 4)
    ca, cc = _counts(a, edges), _counts(c, edges)
    # Clopper-Pearson bounds, union bound over bins: false alarm <= 1e-6 for an eps-DP mechanism
    report = dp_ratio_violations(ca, cc, eps, alpha=ALPHA)
    assert report["tested"] > 30 and report["violations"].size == 0
    # power check: the same samples refute a claim of eps/2
    assert dp_ratio_violations(ca, cc, eps / 2, alpha=ALPHA)["violations"].size > 0


@pytest.mark.parametrize("conf", [0.5, 0.9, 0.95, 0.99, 0.999])
def test_halfwidth_matches_scipy_ppf(conf):
    b = 2.5
    assert laplace_halfwidth(b, conf) == pytest.approx(stats.laplace.ppf((1 + conf) / 2, scale=b), rel=1e-12)


def test_halfwidth_95_is_ln20_times_scale_and_covers():
    assert laplace_halfwidth(1.0) == pytest.approx(math.log(20), rel=1e-15)
    rng = np.random.default_rng(23)
    n = 100_000
    noise = laplace_mechanism(np.zeros(n), 2.0, 0.5, rng)
    inside = int(np.sum(np.abs(noise) <= laplace_halfwidth(4.0, 0.95)))
    # exact binomial test of the coverage, rejects at p < 1e-6
    assert stats.binomtest(inside, n, 0.95).pvalue > ALPHA


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_bad_epsilon_and_sensitivity(bad):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="epsilon"):
        laplace_mechanism(1.0, 1.0, bad, rng)
    with pytest.raises(ValueError, match="sensitivity"):
        laplace_mechanism(1.0, bad, 1.0, rng)
    with pytest.raises(ValueError, match="epsilon"):
        laplace_scale(1.0, bad)
    with pytest.raises(ValueError, match="scale"):
        laplace_halfwidth(bad)


def test_bad_values_and_other_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="value"):
        laplace_mechanism([], 1.0, 1.0, rng)
    with pytest.raises(ValueError, match="value"):
        laplace_mechanism([1.0, np.nan], 1.0, 1.0, rng)
    with pytest.raises(ValueError, match="value"):
        laplace_mechanism(np.inf, 1.0, 1.0, rng)
    with pytest.raises(TypeError, match="value"):
        laplace_mechanism("abc", 1.0, 1.0, rng)
    with pytest.raises(TypeError, match="rng"):
        laplace_mechanism(1.0, 1.0, 1.0, np.random.RandomState(0))
    for conf in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="confidence"):
            laplace_halfwidth(1.0, conf)
