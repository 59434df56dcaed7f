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

from mlops_course.privacy.dp._audit import chisquare_pvalue, dp_ratio_violations
from mlops_course.privacy.dp.fpsafe import (
    default_grid,
    grid_laplace_mechanism,
    mironov_attack,
    naive_float_laplace,
)

ALPHA = 1e-6


def _grid_counts(samples, grid, lo, hi):
    k = np.rint(samples / grid).astype(np.int64)
    return np.bincount(np.clip(k, lo, hi) - lo, minlength=hi - lo + 1)


@pytest.mark.parametrize("sens,eps", [(1.0, 1.0), (3.0, 0.1), (0.5, 20.0)])
def test_default_grid_is_small_power_of_two(sens, eps):
    g = default_grid(sens, eps)
    assert math.frexp(g)[0] == 0.5
    assert min(sens, sens / eps) / 2048 < g <= min(sens, sens / eps) / 1024


def test_outputs_are_exact_grid_multiples():
    rng = np.random.default_rng(61)
    x = rng.normal(0, 1e3, 10_000)
    for grid in (2.0**-10, 2.0**-3, 4.0):
        y = grid_laplace_mechanism(x, 1.0, 0.5, rng=rng, grid=grid)
        k = y / grid
        assert np.all(k == np.round(k)) and np.all(k * grid == y)
    y = grid_laplace_mechanism(x, 1.0, 0.5)  # default grid, OS CSPRNG
    g = default_grid(1.0, 0.5)
    assert np.all(y / g == np.round(y / g))


@pytest.mark.parametrize("grid", [0.25, 2.0**-10])
def test_noise_follows_discrete_laplace_law(grid):
    rng = np.random.default_rng(62)
    sens, eps = 1.0, 1.0
    x = np.full(200_000, 0.3)
    k = np.rint(grid_laplace_mechanism(x, sens, eps, rng=rng, grid=grid) / grid) - np.rint(0.3 / grid)
    t = (sens + grid) / (eps * grid)
    support = np.arange(-int(25 * t), int(25 * t) + 1)
    # chi-square against scipy's dlaplace(1/t), t = (Δ+γ)/(εγ); rejects at p < 1e-6
    assert chisquare_pvalue(k, support, stats.dlaplace.pmf(support, 1 / t)) > ALPHA


def test_secure_source_law():
    grid, sens, eps = 0.125, 1.0, 2.0
    k = np.rint(grid_laplace_mechanism(np.zeros(100_000), sens, eps, grid=grid) / grid)
    t = (sens + grid) / (eps * grid)
    support = np.arange(-200, 201)
    assert chisquare_pvalue(k, support, stats.dlaplace.pmf(support, 1 / t)) > ALPHA  # rejects at p < 1e-6


def test_scalar_in_float_out():
    out = grid_laplace_mechanism(2.0, 1.0, 1.0, rng=np.random.default_rng(0))
    assert isinstance(out, float)


# Worst case for the rounding: Δ = 1.1, γ = 0.25, x = 0.1249 snaps to 0 and x' = x + Δ = 1.2249 snaps to
# 1.25, so the snapped values are 5 grid steps (Δ + 0.15) apart, more than Δ.
GRID, SENS, X, X2 = 0.25, 1.1, 0.1249, 1.2249


def test_empirical_privacy_with_off_grid_inputs():
    rng = np.random.default_rng(63)
    eps, n = 1.0, 200_000
    assert np.rint(X2 / GRID) - np.rint(X / GRID) == 5
    a = grid_laplace_mechanism(np.full(n, X), SENS, eps, rng=rng, grid=GRID)
    b = grid_laplace_mechanism(np.full(n, X2), SENS, eps, rng=rng, grid=GRID)
    ca, cb = _grid_counts(a, GRID, -60, 64), _grid_counts(b, GRID, -60, 64)
    # union-bounded Clopper-Pearson check, false alarm <= 1e-6
    assert dp_ratio_violations(ca, cb, eps, alpha=ALPHA)["violations"].size == 0


def test_forgetting_the_grid_in_the_sensitivity_breaks_privacy():
    # calibrating the noise for Δ instead of Δ' = Δ + γ (passing Δ - γ gives t = Δ/(εγ)) lets the
    # same neighbours reach a ratio e^{5/4.4} = e^{1.14} > e^1: the check must catch it
    rng = np.random.default_rng(64)
    eps, n = 1.0, 200_000
    a = grid_laplace_mechanism(np.full(n, X), SENS - GRID, eps, rng=rng, grid=GRID)
    b = grid_laplace_mechanism(np.full(n, X2), SENS - GRID, eps, rng=rng, grid=GRID)
    ca, cb = _grid_counts(a, GRID, -60, 64), _grid_counts(b, GRID, -60, 64)
    assert dp_ratio_violations(ca, cb, eps, alpha=ALPHA)["violations"].size > 0


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


def test_docstring_examples_run():
    import doctest
    import importlib
    import math

    module = importlib.import_module("mlops_course.privacy.dp.fpsafe")  # the module, not a same-named function
    result = doctest.testmod(module, extraglobs={"np": np, "math": math})
    assert result.attempted > 0 and result.failed == 0
