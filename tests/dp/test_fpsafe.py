"""Tests of the floating-point-safe grid Laplace mechanism and of Mironov's attack.

Peers: scipy.stats.dlaplace for the grid noise, scipy.stats.laplace for the naive sampler.
False-alarm policy: chi-square/KS tests reject at p < 1e-6, privacy checks use union-bounded
Clopper-Pearson bounds (false alarm <= 1e-6), attack accuracies use Hoeffding bounds at 1e-6.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mlops_course.privacy.dp._audit import chisquare_pvalue
from mlops_course.privacy.dp.fpsafe import (
    default_grid,
    grid_laplace_mechanism,
    grid_laplace_parameters,
    mironov_attack,
    naive_float_laplace,
)

ALPHA = 1e-6


def _grid_counts(samples, grid, lo, hi):
    k = np.rint(samples / grid).astype(np.int64)
    return np.bincount(np.clip(k, lo, hi) - lo, minlength=hi - lo + 1)


@pytest.mark.parametrize("sens,eps,size", [(1.0, 1.0, 1), (3.0, 0.1, 1), (0.5, 20.0, 1), (1.0, 1.0, 1000), (2.0, 0.5, 7)])
def test_default_grid_is_small_power_of_two(sens, eps, size):
    g = default_grid(sens, eps, size)
    assert math.frexp(g)[0] == 0.5
    bound = min(sens, sens / eps) / (1024 * size)
    assert bound / 2 < g <= bound
    # the rounding charge size·γ is at most 2⁻¹⁰ of Δ
    _, t = grid_laplace_parameters(sens, eps, size)
    assert t * eps * g / sens <= 1 + 2.0**-10


def test_outputs_are_exact_grid_multiples():
    rng = np.random.default_rng(61)
    x = rng.normal(0, 1e3, 10_000)
    for grid in (2.0**-10, 2.0**-3, 4.0):
        y = grid_laplace_mechanism(x, 1.0, 0.5, rng=rng, grid=grid)
        k = y / grid
        assert np.all(k == np.round(k)) and np.all(k * grid == y)
    y = grid_laplace_mechanism(x, 1.0, 0.5)  # default grid, OS CSPRNG
    g = default_grid(1.0, 0.5, x.size)
    assert np.all(y / g == np.round(y / g))


def _t_expected(sens, eps, size, grid):
    # independent statement of the accounting: Δ' = Δ + d·γ (rounding charged once per coordinate)
    return (sens + size * grid) / (eps * grid)


@pytest.mark.parametrize("grid", [0.25, 2.0**-10])
def test_noise_follows_discrete_laplace_law(grid):
    rng = np.random.default_rng(62)
    n, sens = 200_000, 1.0
    eps = (sens + n * grid) / (4.0 * grid)  # makes t = 4: a short support, every cell resolved
    x = np.full(n, 0.3)
    k = np.rint(grid_laplace_mechanism(x, sens, eps, rng=rng, grid=grid) / grid) - np.rint(0.3 / grid)
    t = _t_expected(sens, eps, n, grid)
    support = np.arange(-int(25 * t), int(25 * t) + 1)
    # chi-square against scipy's dlaplace(1/t), t = (Δ + dγ)/(εγ); rejects at p < 1e-6
    assert chisquare_pvalue(k, support, stats.dlaplace.pmf(support, 1 / t)) > ALPHA


def test_vector_noise_is_charged_per_coordinate():
    # the auditor's configuration: d = 1000, Δ = 1, ε = 1, γ = 2⁻¹⁰ must use t = 1024 + 1000 = 2024
    # (charging the rounding once would give t = 1025: the chi-square test below rejects that law)
    rng = np.random.default_rng(69)
    d, sens, eps, grid = 1000, 1.0, 1.0, 2.0**-10
    assert grid_laplace_parameters(sens, eps, d, grid) == (grid, 2024.0)
    k = np.concatenate([np.rint(grid_laplace_mechanism(np.zeros(d), sens, eps, rng=rng, grid=grid) / grid)
                        for _ in range(200)])
    t = _t_expected(sens, eps, d, grid)
    support = np.arange(-int(25 * t), int(25 * t) + 1)
    assert chisquare_pvalue(k, support, stats.dlaplace.pmf(support, 1 / t)) > ALPHA  # rejects at p < 1e-6
    assert chisquare_pvalue(k, support, stats.dlaplace.pmf(support, 1 / 1025.0)) < ALPHA  # the old law


def test_secure_source_law():
    n, grid, sens = 100_000, 0.125, 1.0
    eps = (sens + n * grid) / (4.0 * grid)  # t = 4
    k = np.rint(grid_laplace_mechanism(np.zeros(n), sens, eps, grid=grid) / grid)
    t = _t_expected(sens, eps, n, grid)
    support = np.arange(-200, 201)
    assert chisquare_pvalue(k, support, stats.dlaplace.pmf(support, 1 / t)) > ALPHA  # rejects at p < 1e-6


def test_scalar_in_float_out():
    out = grid_laplace_mechanism(2.0, 1.0, 1.0, rng=np.random.default_rng(0))
    assert isinstance(out, float)


def _worst_case_loss(x, x2, sens, eps, grid):
    """Exact sup over outputs of the privacy loss ln P(y|x)/P(y|x') of the mechanism's law.

    Per coordinate the log-ratio of two DLap(t) laws centred at c and c' is (|k-c'| - |k-c|)/t,
    whose maximum |c - c'|/t is attained; coordinates are independent, so the losses add.
    """
    x, x2 = np.atleast_1d(x), np.atleast_1d(x2)
    assert np.abs(x - x2).sum() <= sens * (1 + 1e-12)  # a neighbouring pair
    g, t = grid_laplace_parameters(sens, eps, x.size, grid)
    return float(np.abs(np.rint(x / g) - np.rint(x2 / g)).sum() / t)


# Worst case for the rounding: Δ = 1.1, γ = 0.25, x = 0.1249 snaps to 0 and x' = x + Δ = 1.2249 snaps to
# 1.25, so the snapped values are 5 grid steps (Δ + 0.15) apart, more than Δ.
GRID, SENS, X, X2 = 0.25, 1.1, 0.1249, 1.2249


def test_scalar_worst_case_pair_is_within_epsilon():
    assert np.rint(X2 / GRID) - np.rint(X / GRID) == 5
    assert _worst_case_loss(X, X2, SENS, 1.0, GRID) <= 1.0
    # calibrating for Δ instead of Δ + γ (t = Δ/(εγ) = 4.4) would give a loss of 5/4.4 > 1
    assert 5 / (SENS / GRID) > 1.0


def test_vector_worst_case_pair_is_within_epsilon():
    # d = 1000 coordinates just below γ/2, each moved by Δ/d = 1.024γ: every coordinate snaps 2 grid
    # steps apart, 2000 steps in all. Charging the rounding once (t = (Δ+γ)/(εγ) = 1025) would give a
    # privacy loss of 2000/1025 = 1.95 > ε = 1; with Δ' = Δ + dγ (t = 2024) it is 2000/2024 < 1.
    d, sens, eps, grid = 1000, 1.0, 1.0, 2.0**-10
    x = np.full(d, grid / 2 - grid / 64)
    x2 = x + sens / d
    assert np.abs(np.rint(x / grid) - np.rint(x2 / grid)).sum() == 2 * d
    assert _worst_case_loss(x, x2, sens, eps, grid) <= eps
    assert 2 * d / ((sens + grid) / (eps * grid)) > 1.9  # the pair defeats the old accounting
    # and with the default grid for this size
    assert _worst_case_loss(x, x2, sens, eps, None) <= eps


def test_naive_sampler_follows_laplace_law():
    rng = np.random.default_rng(65)
    y = naive_float_laplace(5.0, 2.0, rng, size=50_000)
    assert stats.kstest(y, "laplace", args=(5.0, 2.0)).pvalue > ALPHA  # rejects at p < 1e-6
    assert isinstance(naive_float_laplace(1.0, 1.0, rng), float)
    assert naive_float_laplace([0.0, 1.0], 1.0, rng).shape == (2,)


def _accuracy(guess, truth):
    """Balanced accuracy credit: 1 if right, 1/2 if the attack abstains, 0 if wrong."""
    return float(np.mean(np.where(guess == -1, 0.5, (guess == truth).astype(float))))


def _hoeffding(n):
    # P(|mean - E| >= s) <= 2 exp(-2 n s²) = 1e-6 for credits in [0, 1]
    return math.sqrt(math.log(2 / ALPHA) / (2 * n))


def test_mironov_attack_breaks_naive_float_laplace():
    rng = np.random.default_rng(66)
    eps, n = 0.01, 10_000  # scale 100: the DP bound would allow only ~50.25% accuracy
    cands = [0.0, 1.0]
    truth = rng.integers(0, 2, n)
    y = naive_float_laplace(np.array(cands)[truth], 1.0 / eps, rng)
    guess = mironov_attack(y, cands, 1.0 / eps)
    assert np.all(guess[guess != -1] == truth[guess != -1])  # never wrong: exact reachability
    assert np.mean(guess != -1) > 0.5  # certain identification of most inputs
    assert _accuracy(guess, truth) > 0.5 + math.tanh(eps / 2) / 2 + _hoeffding(n) + 0.1


def test_mironov_attack_has_no_advantage_on_grid_laplace():
    rng = np.random.default_rng(67)
    eps, n = 0.01, 10_000
    cands = [0.0, 1.0]
    truth = rng.integers(0, 2, n)
    y = grid_laplace_mechanism(np.array(cands)[truth], 1.0, eps, rng=rng)
    guess = mironov_attack(y, cands, 1.0 / eps)
    # any test on an ε-DP output has balanced accuracy in 1/2 ± tanh(ε/2)/2; plus Hoeffding (1e-6)
    assert abs(_accuracy(guess, truth) - 0.5) <= math.tanh(eps / 2) / 2 + _hoeffding(n)


def test_attack_on_grid_multiples_only_sees_the_grid():
    # every grid output is reachable from both candidates under the grid mechanism (full support),
    # so an exact reachability attack learns nothing: outputs differ only in their grid index
    rng = np.random.default_rng(68)
    g = 2.0**-10
    a = grid_laplace_mechanism(np.zeros(1000), 1.0, 1.0, rng=rng, grid=g)
    b = grid_laplace_mechanism(np.ones(1000), 1.0, 1.0, rng=rng, grid=g)
    for y in (a, b):
        assert np.all(np.modf(y / g)[0] == 0.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_bad_parameters(bad):
    with pytest.raises(ValueError, match="epsilon"):
        grid_laplace_mechanism(0.0, 1.0, bad)
    with pytest.raises(ValueError, match="sensitivity"):
        grid_laplace_mechanism(0.0, bad, 1.0)
    with pytest.raises(ValueError, match="grid"):
        grid_laplace_mechanism(0.0, 1.0, 1.0, grid=bad)
    with pytest.raises(ValueError, match="scale"):
        naive_float_laplace(0.0, bad, np.random.default_rng(0))
    with pytest.raises(ValueError, match="scale"):
        mironov_attack([0.0], [0.0, 1.0], bad)


def test_bad_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="power of two"):
        grid_laplace_mechanism(0.0, 1.0, 1.0, grid=0.3)
    with pytest.raises(ValueError, match="too fine"):
        grid_laplace_mechanism(0.0, 1.0, 1.0, grid=2.0**-60)
    with pytest.raises(ValueError, match="too fine"):
        grid_laplace_parameters(1.0, 1e-6, size=10**8)  # t >= d/ε = 1e14 > 2**40 for any grid
    with pytest.raises(ValueError, match="size"):
        grid_laplace_parameters(1.0, 1.0, size=0)
    with pytest.raises(ValueError, match="size"):
        default_grid(1.0, 1.0, size=-3)
    with pytest.raises(ValueError, match="2\\*\\*52"):
        grid_laplace_mechanism(1e300, 1.0, 1.0)
    with pytest.raises(ValueError, match="value"):
        grid_laplace_mechanism([], 1.0, 1.0)
    with pytest.raises(ValueError, match="value"):
        grid_laplace_mechanism([np.nan], 1.0, 1.0)
    with pytest.raises(TypeError, match="rng"):
        grid_laplace_mechanism(0.0, 1.0, 1.0, rng="secure")
    with pytest.raises(TypeError, match="rng"):
        naive_float_laplace(0.0, 1.0, None)
    with pytest.raises(ValueError, match="size"):
        naive_float_laplace(0.0, 1.0, rng, size=0)
    with pytest.raises(ValueError, match="candidates"):
        mironov_attack([0.0], [1.0], 1.0)
    with pytest.raises(ValueError, match="candidates"):
        mironov_attack([0.0], [1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="outputs"):
        mironov_attack([], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="window"):
        mironov_attack([0.0], [0.0, 1.0], 1.0, window=0)
