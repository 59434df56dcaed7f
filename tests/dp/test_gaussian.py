"""Tests of the Gaussian mechanism: classic and analytic calibration, exact δ(ε), law, privacy.

Peers: dp-accounting's exact Gaussian calibration (`dp_accounting.gaussian_mechanism`, Balle &
Wang's formula) and its PLD privacy-loss object; the classic σ against Dwork & Roth's formula.
False-alarm policy: KS tests reject at p < 1e-6; the empirical privacy checks use union-bounded
Clopper-Pearson bounds with overall false alarm <= 1e-6; generators are seeded.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from dp_accounting import gaussian_mechanism as gm
from dp_accounting.pld import privacy_loss_mechanism as plm
from scipy import stats

from mlops_course.privacy.dp._audit import clopper_pearson_lower, clopper_pearson_upper, dp_ratio_violations
from mlops_course.privacy.dp.gaussian import (
    gaussian_delta,
    gaussian_mechanism,
    gaussian_sigma_analytic,
    gaussian_sigma_classic,
)

ALPHA = 1e-6
GRID = [(eps, delta) for eps in (0.05, 0.5, 1.0, 3.0, 10.0) for delta in (1e-3, 1e-6, 1e-10)]


@pytest.mark.parametrize("sens,eps,delta", [(1.0, 0.5, 1e-5), (2.0, 0.9, 1e-3), (0.1, 0.01, 1e-8)])
def test_classic_sigma_published_formula(sens, eps, delta):
    # Dwork & Roth (2014), Theorem A.1: sigma = Δ sqrt(2 ln(1.25/δ)) / ε
    assert gaussian_sigma_classic(sens, eps, delta) == pytest.approx(
        sens * math.sqrt(2 * math.log(1.25 / delta)) / eps, rel=1e-14
    )


@pytest.mark.parametrize("eps", [1.0, 1.5, 10.0])
def test_classic_refuses_large_epsilon_and_names_analytic(eps):
    with pytest.raises(ValueError, match="analytic"):
        gaussian_sigma_classic(1.0, eps, 1e-5)
    with pytest.raises(ValueError, match="analytic"):
        gaussian_mechanism(0.0, 1.0, eps, 1e-5, np.random.default_rng(0), calibration="classic")


@pytest.mark.parametrize("eps,delta", GRID)
def test_analytic_sigma_matches_dp_accounting(eps, delta):
    for sens in (1.0, 3.0):
        peer = sens * gm.get_sigma_gaussian(eps, delta, tol=1e-14)
        assert gaussian_sigma_analytic(sens, eps, delta) == pytest.approx(peer, rel=1e-6)


@pytest.mark.parametrize("eps,delta", GRID)
def test_analytic_sigma_solves_the_delta_equation_and_beats_classic(eps, delta):
    sigma = gaussian_sigma_analytic(2.0, eps, delta)
    assert gaussian_delta(sigma, 2.0, eps) == pytest.approx(delta, rel=1e-9)
    assert gaussian_delta(sigma * (1 - 1e-6), 2.0, eps) > delta  # smallest such sigma
    if eps < 1:
        assert sigma <= gaussian_sigma_classic(2.0, eps, delta)


@pytest.mark.parametrize("sigma,sens,eps", [(1.0, 1.0, 0.5), (3.73, 1.0, 1.0), (0.5, 2.0, 4.0), (20.0, 1.0, 0.01)])
def test_delta_matches_dp_accounting_privacy_loss(sigma, sens, eps):
    peer = plm.GaussianPrivacyLoss(sigma, sensitivity=sens).get_delta_for_epsilon(eps)
    assert gaussian_delta(sigma, sens, eps) == pytest.approx(peer, rel=1e-6)


def test_delta_at_zero_epsilon_is_total_variation():
    # TV(N(0,σ²), N(Δ,σ²)) = 2Φ(Δ/(2σ)) - 1
    assert gaussian_delta(2.0, 1.0, 0.0) == pytest.approx(2 * stats.norm.cdf(0.25) - 1, rel=1e-12)


@pytest.mark.parametrize("calibration,eps", [("analytic", 2.0), ("classic", 0.5)])
def test_noise_follows_normal_law(calibration, eps):
    rng = np.random.default_rng(31)
    sens, delta = 1.5, 1e-5
    sigma = (gaussian_sigma_analytic if calibration == "analytic" else gaussian_sigma_classic)(sens, eps, delta)
    value = np.full(50_000, -3.0)
    noise = gaussian_mechanism(value, sens, eps, delta, rng, calibration=calibration) - value
    # KS test against N(0, σ²); rejects at p < 1e-6 (false-alarm rate 1e-6)
    assert stats.kstest(noise, "norm", args=(0.0, sigma)).pvalue > ALPHA


def test_scalar_in_float_out_and_shape_kept():
    rng = np.random.default_rng(0)
    assert isinstance(gaussian_mechanism(1.0, 1.0, 1.0, 1e-5, rng), float)
    assert gaussian_mechanism(np.zeros((2, 5)), 1.0, 1.0, 1e-5, rng).shape == (2, 5)


def _gaussian_privacy_check(a, b, sigma, sens, eps, delta):
    """Bin ratios <= e^ε where the claimed privacy loss is <= ε; the rest is charged to δ.

    ``a``/``b`` are outputs on D (value 0) and D' (value Δ); ``sigma`` is the claimed noise.
    """
    n = a.size
    # privacy loss ln p_D(y)/p_D'(y) = Δ(Δ - 2y)/(2σ²) is in [-ε, ε] for |y - Δ/2| <= εσ²/Δ
    half = eps * sigma**2 / sens
    edges = np.linspace(sens / 2 - half, sens / 2 + half, 41)
    ca = np.bincount(np.searchsorted(edges, a, side="right"), minlength=42)
    cb = np.bincount(np.searchsorted(edges, b, side="right"), minlength=42)
    ca[[0, -1]] = 0  # tails (loss > ε) are excluded from the ratio test and charged to δ below
    cb[[0, -1]] = 0
    report = dp_ratio_violations(ca, cb, eps, alpha=ALPHA / 2)
    # tail event S = {y < Δ/2 - εσ²/Δ}: P_D(S) <= e^ε P_D'(S) + δ, CP bounds at level 1e-6/4 each
    sa, sb = int(np.sum(a < edges[0])), int(np.sum(b < edges[0]))
    tail_ok = clopper_pearson_lower(sa, n, ALPHA / 4) <= math.exp(eps) * clopper_pearson_upper(sb, n, ALPHA / 4) + delta
    return report, bool(tail_ok)


def test_empirical_privacy_on_neighbours():
    rng = np.random.default_rng(32)
    sens, eps, delta, n = 1.0, 1.0, 1e-5, 200_000
    sigma = gaussian_sigma_analytic(sens, eps, delta)
    a = gaussian_mechanism(np.zeros(n), sens, eps, delta, rng)
    b = gaussian_mechanism(np.full(n, sens), sens, eps, delta, rng)
    report, tail_ok = _gaussian_privacy_check(a, b, sigma, sens, eps, delta)
    assert report["tested"] >= 30 and report["violations"].size == 0 and tail_ok
    # power check: a mechanism calibrated for ε = 4 is refuted when it claims ε = 1
    a = gaussian_mechanism(np.zeros(n), sens, 4 * eps, delta, rng)
    b = gaussian_mechanism(np.full(n, sens), sens, 4 * eps, delta, rng)
    bad, _ = _gaussian_privacy_check(a, b, sigma, sens, eps, delta)
    assert bad["violations"].size > 0


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_bad_parameters(bad):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="epsilon"):
        gaussian_sigma_analytic(1.0, bad, 1e-5)
    with pytest.raises(ValueError, match="epsilon"):
        gaussian_sigma_classic(1.0, bad, 1e-5)
    with pytest.raises(ValueError, match="sensitivity"):
        gaussian_sigma_analytic(bad, 1.0, 1e-5)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_delta(bad, 1.0, 1.0)
    with pytest.raises(ValueError, match="epsilon"):
        gaussian_mechanism(0.0, 1.0, bad, 1e-5, rng)


@pytest.mark.parametrize("delta", [0.0, 1.0, -0.1, 2.0, math.nan])
def test_bad_delta(delta):
    with pytest.raises(ValueError, match="delta"):
        gaussian_sigma_analytic(1.0, 1.0, delta)
    with pytest.raises(ValueError, match="delta"):
        gaussian_sigma_classic(1.0, 0.5, delta)


def test_bad_values_and_options():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="value"):
        gaussian_mechanism([], 1.0, 1.0, 1e-5, rng)
    with pytest.raises(ValueError, match="value"):
        gaussian_mechanism([np.nan], 1.0, 1.0, 1e-5, rng)
    with pytest.raises(ValueError, match="calibration"):
        gaussian_mechanism(0.0, 1.0, 1.0, 1e-5, rng, calibration="rdp")
    with pytest.raises(TypeError, match="rng"):
        gaussian_mechanism(0.0, 1.0, 1.0, 1e-5, "seed")
    with pytest.raises(ValueError, match="epsilon"):
        gaussian_delta(1.0, 1.0, -0.5)
