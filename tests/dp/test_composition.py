"""Composition theorems, parallel composition, post-processing and group privacy.

Peers: dp-accounting 0.6 (``pld.accountant.advanced_composition`` implements KOV Theorem 3.3 and
``PLDAccountant`` composes privacy-loss distributions numerically); an independent brute-force
enumeration of the 2^k outputs of k randomized-response mechanisms (the extremal mechanism of
Kairouz, Oh & Viswanath 2015); high-precision mpmath sums of the binomial privacy-loss distribution;
scipy's Laplace density for group privacy.
"""
from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
from dp_accounting.pld import accountant as pld_accountant
from dp_accounting.pld import common as pld_common
from dp_accounting.pld import privacy_loss_distribution
from scipy import stats

from mlops_course.privacy.dp.composition import (
    advanced_composition,
    basic_composition,
    group_privacy,
    kov_composition,
    kov_delta,
    parallel_composition,
    post_processing,
)


# ----------------------------------------------------------------------------- helpers (independent)
def brute_force_rr_delta(epsilon: float, k: int, eps_total: float) -> float:
    """δ(ε_total) of k independent ε-randomized responses, by enumerating all 2^k outputs.

    Inputs differ in every bit (0…0 vs 1…1): P(o) = Π p^{[oᵢ=0]} (1−p)^{[oᵢ=1]}, Q(o) the mirror.
    δ = Σ_o max(0, P(o) − e^{ε_total} Q(o))  (hockey-stick divergence).
    """
    p = math.exp(epsilon) / (1 + math.exp(epsilon))
    total = 0.0
    for o in itertools.product((0, 1), repeat=k):
        ones = sum(o)
        P = p ** (k - ones) * (1 - p) ** ones
        Q = (1 - p) ** (k - ones) * p**ones
        total += max(0.0, P - math.exp(eps_total) * Q)
    return total


def mp_binomial_delta(epsilon: float, k: int, eps_total: float) -> float:
    """Same δ from the binomial privacy-loss distribution, in 60-digit arithmetic."""
    with mpmath.workdps(60):
        e = mpmath.mpf(epsilon)
        p = mpmath.exp(e) / (1 + mpmath.exp(e))
        s = mpmath.mpf(0)
        for j in range(k + 1):  # j = number of flipped answers
            P = mpmath.binomial(k, j) * p ** (k - j) * (1 - p) ** j
            Q = mpmath.binomial(k, j) * (1 - p) ** (k - j) * p**j
            s += max(mpmath.mpf(0), P - mpmath.exp(mpmath.mpf(eps_total)) * Q)
        return float(s)


# ----------------------------------------------------------------------------- basic composition
def test_basic_composition_adds_up_exactly():
    assert basic_composition([0.1] * 10) == (1.0, 0.0)  # fsum: no 0.9999999999999999
    eps, delta = basic_composition([0.5, 0.25, 0.25], [1e-6, 0.0, 1e-6])
    assert eps == 1.0 and delta == pytest.approx(2e-6, rel=1e-15)


def test_basic_composition_caps_delta_at_one():
    assert basic_composition([1.0, 1.0], [0.7, 0.7])[1] == 1.0


@pytest.mark.parametrize(
    "epsilons, deltas",
    [([], None), ([1.0, 0.0], None), ([1.0, -1.0], None), ([math.nan], None), ([math.inf], None),
     ([[1.0, 2.0]], None), ([1.0, 1.0], [0.1]), ([1.0], [1.0]), ([1.0], [-0.1]), ([1.0], [math.nan])],
)
def test_basic_and_parallel_composition_reject_bad_input(epsilons, deltas):
    with pytest.raises((ValueError, TypeError)):
        basic_composition(epsilons, deltas)
    with pytest.raises((ValueError, TypeError)):
        parallel_composition(epsilons, deltas)


# ----------------------------------------------------------------------------- advanced composition
@pytest.mark.parametrize("eps, k, dprime", [(0.1, 100, 1e-6), (0.01, 10_000, 1e-5), (1.0, 3, 0.5)])
def test_advanced_composition_matches_published_formula(eps, k, dprime):
    # Dwork, Rothblum & Vadhan 2010 / Dwork & Roth Thm 3.20, written out independently
    expected = math.sqrt(2 * k * math.log(1 / dprime)) * eps + k * eps * (math.exp(eps) - 1)
    got_eps, got_delta = advanced_composition(eps, 1e-8, k, dprime)
    assert got_eps == pytest.approx(expected, rel=1e-12)
    assert got_delta == pytest.approx(k * 1e-8 + dprime, rel=1e-12)


def test_advanced_composition_beats_basic_for_many_small_queries_only():
    assert advanced_composition(0.01, 0.0, 10_000, 1e-6)[0] < 0.2 * 10_000 * 0.01
    assert advanced_composition(1.0, 0.0, 2, 1e-6)[0] > 2 * 1.0  # worse than basic for few queries


@pytest.mark.parametrize(
    "args",
    [(0.0, 0.0, 10, 1e-6), (-1.0, 0.0, 10, 1e-6), (math.nan, 0.0, 10, 1e-6), (math.inf, 0.0, 10, 1e-6),
     (0.1, -0.1, 10, 1e-6), (0.1, 1.0, 10, 1e-6), (0.1, 0.0, 0, 1e-6), (0.1, 0.0, 2.5, 1e-6),
     (0.1, 0.0, 10, 0.0), (0.1, 0.0, 10, 1.0), (0.1, 0.0, 10, math.nan)],
)
def test_advanced_and_kov_reject_bad_input(args):
    with pytest.raises((ValueError, TypeError)):
        advanced_composition(*args)
    with pytest.raises((ValueError, TypeError)):
        kov_composition(*args)


# ----------------------------------------------------------------------------- KOV optimal composition
@pytest.mark.parametrize("eps", [0.05, 0.3, 1.0])
@pytest.mark.parametrize("k", [1, 2, 7, 30, 120])
@pytest.mark.parametrize("delta, dprime", [(0.0, 1e-6), (1e-7, 1e-5), (1e-4, 0.05)])
def test_kov_grid_matches_dp_accounting(eps, k, delta, dprime):
    ours_eps, ours_delta = kov_composition(eps, delta, k, dprime)
    assert ours_delta == pytest.approx(1 - (1 - delta) ** k * (1 - dprime), rel=1e-12)
    # dp-accounting takes the *total* δ and returns the smallest grid ε (KOV Thm 3.3)
    theirs = pld_accountant.advanced_composition(
        pld_common.DifferentialPrivacyParameters(eps, delta), k, ours_delta * (1 + 1e-12)
    )
    assert ours_eps == pytest.approx(theirs, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("eps", [0.1, 0.7])
@pytest.mark.parametrize("k", [1, 4, 9])
def test_kov_delta_equals_brute_force_randomized_response(eps, k):
    for eps_total in np.linspace(0.0, k * eps, 13):
        assert kov_delta(eps, k, eps_total) == pytest.approx(
            brute_force_rr_delta(eps, k, eps_total), rel=1e-9, abs=1e-15
        )


@pytest.mark.parametrize("eps, k", [(0.1, 50), (0.5, 200), (0.02, 1000)])
def test_kov_delta_equals_high_precision_binomial_pld(eps, k):
    for frac in (0.0, 0.05, 0.2, 0.5, 0.9):
        eps_total = frac * k * eps
        expected = mp_binomial_delta(eps, k, eps_total)
        assert kov_delta(eps, k, eps_total) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("eps, k, dprime", [(0.1, 9, 1e-3), (0.3, 10, 1e-2), (0.05, 12, 1e-4), (0.5, 7, 0.2)])
def test_kov_is_the_smallest_epsilon_by_brute_force(eps, k, dprime):
    grid_eps, _ = kov_composition(eps, 0.0, k, dprime)
    assert brute_force_rr_delta(eps, k, grid_eps) <= dprime * (1 + 1e-9)
    if grid_eps >= 2 * eps:  # the next grid point down must violate δ'
        assert brute_force_rr_delta(eps, k, grid_eps - 2 * eps) > dprime
    exact_eps, _ = kov_composition(eps, 0.0, k, dprime, interpolate=True)
    assert exact_eps <= grid_eps
    assert exact_eps > grid_eps - 2 * eps
    if exact_eps > 0:  # on the boundary: δ(ε*) = δ' exactly, and any smaller ε breaks it
        assert brute_force_rr_delta(eps, k, exact_eps) == pytest.approx(dprime, rel=1e-9)
        assert brute_force_rr_delta(eps, k, exact_eps * (1 - 1e-6)) > dprime


@pytest.mark.parametrize("eps, k, dprime", [(0.1, 100, 1e-5), (0.01, 1000, 1e-6), (0.5, 20, 1e-3)])
def test_kov_interpolated_matches_dp_accounting_pld(eps, k, dprime):
    # PLD of an ε-DP mechanism (its worst case: randomized response) composed k times,
    # with dp-accounting's pessimistic discretisation (interval 1e-5 per step)
    pld = privacy_loss_distribution.from_privacy_parameters(
        pld_common.DifferentialPrivacyParameters(eps, 0.0), value_discretization_interval=1e-5
    )
    pld_eps = pld.self_compose(k).get_epsilon_for_delta(dprime)
    ours = kov_composition(eps, 0.0, k, dprime, interpolate=True)[0]
    assert ours <= pld_eps + 1e-9  # the PLD bound is pessimistic, never smaller than the optimum
    assert ours == pytest.approx(pld_eps, abs=k * 1e-5 + 1e-6)


@pytest.mark.parametrize("eps", [0.01, 0.1, 0.5, 2.0])
@pytest.mark.parametrize("k", [1, 5, 50, 500, 5000])
@pytest.mark.parametrize("dprime", [1e-9, 1e-5, 1e-2])
def test_kov_never_worse_than_basic_or_advanced(eps, k, dprime):
    kov_eps, kov_d = kov_composition(eps, 1e-6, k, dprime)
    adv_eps, adv_d = advanced_composition(eps, 1e-6, k, dprime)
    basic_eps = basic_composition([eps] * k)[0]
    assert kov_eps <= basic_eps * (1 + 1e-12)
    assert kov_eps <= adv_eps * (1 + 1e-12)
    assert kov_d <= adv_d * (1 + 1e-12)
    interp_eps = kov_composition(eps, 1e-6, k, dprime, interpolate=True)[0]
    assert interp_eps <= kov_eps
    assert interp_eps <= adv_eps  # guaranteed: the interpolated value is the optimum for δ'


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 7, 11])
def test_kov_interpolated_respects_delta_prime_in_floating_point(k):
    # near a grid point the closed form A - e^{ε'}B = δ' cancels (δ' = 1e-10 << A); the raw solution
    # overshot δ' by a relative ~1e-6 at ε = 2 for these k. The returned ε' must satisfy δ(ε') <= δ'
    # both in our log-space kov_delta and in 60-digit arithmetic (an independent peer), and still be
    # optimal: 1e-9 less must break δ'.
    eps, dprime = 2.0, 1e-10
    result = kov_composition(eps, 0.0, k, dprime, interpolate=True)[0]
    assert kov_delta(eps, k, result) <= dprime
    assert mp_binomial_delta(eps, k, result) <= dprime
    assert mp_binomial_delta(eps, k, result * (1 - 1e-9)) > dprime
    assert result <= kov_composition(eps, 0.0, k, dprime)[0]


def test_kov_equals_basic_when_delta_prime_below_delta_1():
    # KOV Thm 3.3: i = 0 (ε_total = kε) is the only admissible grid point when δ' < δ₁
    eps, k = 0.5, 10
    delta_1 = (math.exp(k * eps) - math.exp((k - 2) * eps)) / (1 + math.exp(eps)) ** k
    assert kov_composition(eps, 0.0, k, delta_1 * 0.99)[0] == pytest.approx(k * eps)
    assert kov_composition(eps, 0.0, k, delta_1 * 1.01)[0] == pytest.approx((k - 2) * eps)


def test_kov_reaches_zero_for_even_k_when_delta_prime_is_total_variation():
    eps, k = 0.2, 6
    tv = kov_delta(eps, k, 0.0)  # δ at ε_total = 0 is the total-variation distance
    assert kov_composition(eps, 0.0, k, min(0.999, tv * 1.000001))[0] == 0.0


def test_kov_delta_bad_input():
    for args in [(0.0, 3, 0.1), (0.1, 0, 0.1), (0.1, 3, -0.1), (0.1, 3, math.nan), (0.1, 3, math.inf)]:
        with pytest.raises((ValueError, TypeError)):
            kov_delta(*args)


def test_kov_handles_large_k_without_overflow():
    eps, _ = kov_composition(1.0, 0.0, 20_000, 1e-6)
    assert math.isfinite(eps) and 0 < eps < 20_000


# ----------------------------------------------------------------------------- parallel / post / group
def test_parallel_composition_is_the_max():
    assert parallel_composition([0.5, 1.0, 0.2]) == (1.0, 0.0)
    assert parallel_composition([0.5, 1.0], [1e-5, 1e-7]) == (1.0, 1e-5)


def test_post_processing_keeps_the_guarantee_and_validates():
    assert post_processing(0.5, 1e-6) == (0.5, 1e-6)
    assert post_processing(2.0) == (2.0, 0.0)
    with pytest.raises(ValueError):
        post_processing(0.0)
    with pytest.raises(ValueError):
        post_processing(1.0, 1.0)


def test_group_privacy_formulas():
    assert group_privacy(0.5, 0.0, 4) == (2.0, 0.0)
    eps, delta = group_privacy(0.1, 1e-6, 5)
    assert eps == pytest.approx(0.5)
    assert delta == pytest.approx(5 * math.exp(4 * 0.1) * 1e-6, rel=1e-12)
    assert group_privacy(0.3, 1e-5, 1) == pytest.approx((0.3, 1e-5))
    assert group_privacy(5.0, 0.1, 10)[1] == 1.0  # capped


@pytest.mark.parametrize("k", [1, 2, 5])
def test_group_privacy_is_tight_for_laplace(k):
    # Laplace(1/ε) on a count: data sets differing in k people shift the count by k; the worst
    # log density ratio (scipy) is exactly kε, as group_privacy promises.
    eps = 0.7
    y = np.linspace(-20, 20, 4001)
    ratio = stats.laplace.logpdf(y, loc=0, scale=1 / eps) - stats.laplace.logpdf(y, loc=k, scale=1 / eps)
    assert np.max(np.abs(ratio)) == pytest.approx(group_privacy(eps, 0.0, k)[0], rel=1e-9)


@pytest.mark.parametrize("args", [(0.0, 0.0, 2), (0.5, -0.1, 2), (0.5, 1.0, 2), (0.5, 0.0, 0), (0.5, 0.0, 1.5)])
def test_group_privacy_bad_input(args):
    with pytest.raises((ValueError, TypeError)):
        group_privacy(*args)


# ----------------------------------------------------------------------------- package re-exports
def test_package_reexports_every_public_name_of_every_module():
    import importlib

    import mlops_course.privacy.dp as pkg

    modules = ["randomized_response", "laplace", "gaussian", "exponential", "discrete", "fpsafe", "queries",
               "composition", "rdp", "accountant", "accuracy", "dpsgd"]
    for name in modules:
        mod = importlib.import_module(f"mlops_course.privacy.dp.{name}")
        for public in mod.__all__:
            assert public in pkg.__all__, f"{name}.{public} missing from mlops_course.privacy.dp.__all__"
            assert getattr(pkg, public) is getattr(mod, public)
    assert len(set(pkg.__all__)) == len(pkg.__all__)
