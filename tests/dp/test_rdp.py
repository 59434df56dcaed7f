"""RDP / zCDP of the (subsampled) Gaussian mechanism and conversions to (ε, δ).

Peers: dp-accounting 0.6 (``RdpAccountant`` with ``GaussianDpEvent``, ``PoissonSampledDpEvent``,
``SelfComposedDpEvent``, ``ZCDpEvent``; ``rdp_privacy_accountant.compute_epsilon``) and
OpenDP 0.16 (``make_gaussian`` under zCDP and ``make_zCDP_to_approxDP``). Agreement: 1e-6 relative
(in practice ~1e-12).
"""
from __future__ import annotations

import math

import numpy as np
import opendp.prelude as dp
import pytest
from dp_accounting import dp_event
from dp_accounting.rdp import rdp_privacy_accountant as rdp_lib

from mlops_course.privacy.dp.rdp import (
    DEFAULT_ORDERS,
    gaussian_rdp,
    gaussian_zcdp,
    rdp_to_dp,
    sampled_gaussian_rdp,
    zcdp_to_dp,
)

dp.enable_features("contrib")

REL = 1e-6
INT_ORDERS = list(DEFAULT_ORDERS)
FRAC_ORDERS = [1.005, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.5, 6.0, 8.0, 12.0, 16.0, 32.0, 64.0, 256.0]


def peer_rdp(event, orders):
    acc = rdp_lib.RdpAccountant(orders=orders)
    acc.compose(event)
    return acc


# ----------------------------------------------------------------------------- Gaussian RDP
@pytest.mark.parametrize("sigma", [0.3, 1.0, 4.7, 50.0])
def test_gaussian_rdp_matches_dp_accounting(sigma):
    acc = peer_rdp(dp_event.GaussianDpEvent(sigma), FRAC_ORDERS)
    np.testing.assert_allclose(gaussian_rdp(sigma, FRAC_ORDERS), acc.rdp, rtol=REL)


def test_gaussian_rdp_sensitivity_scales_like_noise_multiplier():
    np.testing.assert_allclose(gaussian_rdp(6.0, [2, 10], sensitivity=3.0), gaussian_rdp(2.0, [2, 10]), rtol=1e-15)
    np.testing.assert_allclose(gaussian_rdp(2.0, [3.0]), [3 / 8], rtol=1e-15)  # α/(2σ²)


@pytest.mark.parametrize(
    "kwargs",
    [dict(sigma=0.0, orders=[2]), dict(sigma=-1.0, orders=[2]), dict(sigma=math.nan, orders=[2]),
     dict(sigma=1.0, orders=[1.0]), dict(sigma=1.0, orders=[0.5]), dict(sigma=1.0, orders=[]),
     dict(sigma=1.0, orders=[math.inf]), dict(sigma=1.0, orders=[2], sensitivity=-1.0),
     dict(sigma=1.0, orders=[2], sensitivity=0.0), dict(sigma=1.0, orders=[[2, 3]])],
)
def test_gaussian_rdp_bad_input(kwargs):
    with pytest.raises((ValueError, TypeError)):
        gaussian_rdp(**kwargs)


# ----------------------------------------------------------------------------- subsampled Gaussian
@pytest.mark.parametrize(
    "q, sigma, steps",
    [(0.01, 1.1, 1000), (0.05, 0.8, 300), (0.001, 4.0, 10_000), (0.5, 2.0, 3), (0.2, 0.5, 50),
     (0.9, 10.0, 1), (1e-4, 0.6, 100_000), (0.3, 30.0, 7)],
)
def test_sampled_gaussian_rdp_matches_dp_accounting(q, sigma, steps):
    event = dp_event.SelfComposedDpEvent(dp_event.PoissonSampledDpEvent(q, dp_event.GaussianDpEvent(sigma)), steps)
    acc = peer_rdp(event, INT_ORDERS)
    ours = sampled_gaussian_rdp(q, sigma, steps, INT_ORDERS)
    np.testing.assert_allclose(ours, acc.rdp, rtol=REL)
    for delta in (1e-5, 1e-9):
        assert rdp_to_dp(INT_ORDERS, ours, delta)[0] == pytest.approx(acc.get_epsilon(delta), rel=REL)


def test_sampled_gaussian_rdp_properties():
    orders = [2, 3, 8, 32]
    # q = 1 is the plain Gaussian; subsampling only helps; linear in the number of steps
    np.testing.assert_allclose(sampled_gaussian_rdp(1.0, 2.0, 1, orders), gaussian_rdp(2.0, orders), rtol=1e-15)
    assert np.all(sampled_gaussian_rdp(0.1, 2.0, 1, orders) < gaussian_rdp(2.0, orders))
    np.testing.assert_allclose(
        sampled_gaussian_rdp(0.1, 2.0, 10, orders), 10 * sampled_gaussian_rdp(0.1, 2.0, 1, orders), rtol=1e-14
    )
    # order 2 has a closed form: log(1 + q²(e^{1/σ²} − 1))
    q, s = 0.03, 1.3
    assert sampled_gaussian_rdp(q, s, 1, [2])[0] == pytest.approx(math.log1p(q * q * math.expm1(1 / s**2)), rel=1e-12)


@pytest.mark.parametrize(
    "args",
    [(0.0, 1.0, 1, [2]), (-0.1, 1.0, 1, [2]), (1.5, 1.0, 1, [2]), (math.nan, 1.0, 1, [2]),
     (0.1, 0.0, 1, [2]), (0.1, -1.0, 1, [2]), (0.1, math.inf, 1, [2]), (0.1, 1.0, 0, [2]),
     (0.1, 1.0, 1.5, [2]), (0.1, 1.0, 1, [2.5]), (0.1, 1.0, 1, [1]), (0.1, 1.0, 1, []),
     (0.1, 1.0, 1, [math.nan])],
)
def test_sampled_gaussian_rdp_bad_input(args):
    with pytest.raises((ValueError, TypeError)):
        sampled_gaussian_rdp(*args)


# ----------------------------------------------------------------------------- RDP -> DP
@pytest.mark.parametrize("sigma", [0.5, 1.0, 3.0, 20.0, 300.0])
@pytest.mark.parametrize("delta", [1e-3, 1e-6, 1e-10])
def test_rdp_to_dp_improved_matches_dp_accounting(sigma, delta):
    rdp = gaussian_rdp(sigma, FRAC_ORDERS) * 17  # 17 compositions
    eps, order = rdp_to_dp(FRAC_ORDERS, rdp, delta)
    peer_eps, peer_order = rdp_lib.compute_epsilon(FRAC_ORDERS, rdp, delta)
    assert eps == pytest.approx(peer_eps, rel=REL, abs=1e-300)
    assert order == peer_order


def test_rdp_to_dp_kl_branch_small_orders_and_inf_like_dp_accounting():
    orders = [1.005, 1.5, 2.0, 3.0]
    tiny = [1e-12, 1e-12, 1e-12, 1e-12]  # δ² + expm1(−r) > 0: ε = 0 by the KL bound
    assert rdp_to_dp(orders, tiny, 1e-3)[0] == rdp_lib.compute_epsilon(orders, tiny, 1e-3)[0] == 0.0
    only_small_order = [1.005]
    assert rdp_to_dp(only_small_order, [0.3], 1e-5)[0] == math.inf  # α <= 1.01 skipped, as in the peer
    with_inf = [math.inf, 0.5, math.inf, 2.0]
    assert rdp_to_dp(orders, with_inf, 1e-5)[0] == pytest.approx(rdp_lib.compute_epsilon(orders, with_inf, 1e-5)[0])


def test_rdp_to_dp_classic_formula_and_is_never_better_than_improved():
    orders = np.array([2.0, 4.0, 8.0, 16.0, 32.0, 64.0])
    rdp = gaussian_rdp(3.0, orders) * 5
    delta = 1e-6
    classic, _ = rdp_to_dp(orders, rdp, delta, method="classic")
    assert classic == pytest.approx(np.min(rdp + math.log(1 / delta) / (orders - 1)), rel=1e-14)  # Mironov 2017
    assert rdp_to_dp(orders, rdp, delta)[0] < classic


@pytest.mark.parametrize(
    "args, kwargs",
    [(([2.0], [0.1], 0.0), {}), (([2.0], [0.1], 1.0), {}), (([2.0], [0.1], -1e-5), {}),
     (([2.0], [0.1], math.nan), {}), (([2.0, 3.0], [0.1], 1e-5), {}), (([2.0], [-0.1], 1e-5), {}),
     (([2.0], [math.nan], 1e-5), {}), (([1.0], [0.1], 1e-5), {}), (([], [], 1e-5), {}),
     (([2.0], [0.1], 1e-5), {"method": "magic"})],
)
def test_rdp_to_dp_bad_input(args, kwargs):
    with pytest.raises((ValueError, TypeError)):
        rdp_to_dp(*args, **kwargs)


# ----------------------------------------------------------------------------- zCDP
@pytest.mark.parametrize("sigma, sens", [(2.0, 1.0), (0.7, 3.0), (10.0, 0.5)])
def test_gaussian_zcdp_matches_opendp(sigma, sens):
    meas = dp.m.make_gaussian(dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float), scale=sigma)
    assert gaussian_zcdp(sigma, sens) == pytest.approx(meas.map(sens), rel=REL)


@pytest.mark.parametrize("sigma", [0.8, 2.0, 7.0, 40.0])
@pytest.mark.parametrize("delta", [1e-3, 1e-5, 1e-9])
def test_zcdp_to_dp_improved_matches_opendp(sigma, delta):
    meas = dp.m.make_gaussian(dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float), scale=sigma)
    profile = dp.c.make_zCDP_to_approxDP(meas).map(1.0)
    rho = gaussian_zcdp(sigma)
    assert zcdp_to_dp(rho, delta, method="improved") == pytest.approx(profile.epsilon(delta), rel=REL)


@pytest.mark.parametrize("rho", [1e-4, 0.05, 0.5, 3.0])
def test_zcdp_classic_formula_and_ordering(rho):
    delta = 1e-6
    classic = zcdp_to_dp(rho, delta)
    assert classic == pytest.approx(rho + 2 * math.sqrt(rho * math.log(1 / delta)), rel=1e-14)  # Bun-Steinke
    improved = zcdp_to_dp(rho, delta, method="improved")
    assert improved < classic
    # the same curve through dp-accounting's RDP accountant (discrete orders: never below ours)
    acc = peer_rdp(dp_event.ZCDpEvent(rho), rdp_lib.DEFAULT_RDP_ORDERS)
    assert improved <= acc.get_epsilon(delta) * (1 + 1e-9)
    assert improved == pytest.approx(acc.get_epsilon(delta), rel=2e-2)


def test_zcdp_to_dp_kl_regime_gives_zero():
    assert zcdp_to_dp(1e-8, 0.5, method="improved") == 0.0


@pytest.mark.parametrize(
    "args, kwargs",
    [((0.0, 1e-5), {}), ((-1.0, 1e-5), {}), ((math.nan, 1e-5), {}), ((math.inf, 1e-5), {}),
     ((0.1, 0.0), {}), ((0.1, 1.0), {}), ((0.1, 1e-5), {"method": "tight"})],
)
def test_zcdp_to_dp_bad_input(args, kwargs):
    with pytest.raises((ValueError, TypeError)):
        zcdp_to_dp(*args, **kwargs)


@pytest.mark.parametrize("args", [(0.0,), (-2.0,), (math.inf,), (1.0, 0.0), (1.0, -1.0), ("1",)])
def test_gaussian_zcdp_bad_input(args):
    with pytest.raises((ValueError, TypeError)):
        gaussian_zcdp(*args)
