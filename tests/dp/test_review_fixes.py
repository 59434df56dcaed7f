"""Correctness-pass fixes of the DP modules (issue 13): each test fails on the code before the fix.

Accountant: thread-safe, and charged by the mechanisms *before* noise is drawn. fpsafe: the true
(ε', δ') of the float64 sampler. Gaussian: tiny δ. Exponential: huge scores. Text data refused.
"""
from __future__ import annotations

import math
import sys
import threading

import numpy as np
import pytest

from mlops_course.privacy.dp import (
    BudgetExceededError,
    PrivacyAccountant,
    dp_count,
    dp_histogram,
    dp_mean,
    dp_quantile,
    dp_sum,
    dpsgd_epsilon,
    exponential_mechanism,
    exponential_mechanism_probabilities,
    gaussian_mechanism,
    gaussian_sigma_analytic,
    gaussian_sigma_classic,
    grid_laplace_mechanism,
    kov_composition,
    laplace_mechanism,
    randomized_response,
    report_noisy_max,
)
from mlops_course.privacy.dp.fpsafe import (
    grid_laplace_guarantee,
    grid_laplace_parameters,
    sampler_relative_error,
)
from mlops_course.privacy.dp.gaussian import _log_delta


# ----------------------------------------------------------------------------- accountant: threads
def test_concurrent_spends_never_overspend():
    # 40 trials x 4 threads, each spending 0.1 until refused, on a budget of 1.0: exactly 10 accepted.
    # With a 1-microsecond switch interval the unlocked check-then-append overspent in most trials.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(40):
            acc = PrivacyAccountant(1.0)
            start = threading.Barrier(4)

            def worker(acc=acc, start=start):
                start.wait()
                for _ in range(20):
                    try:
                        acc.spend(0.1, label="q")
                    except BudgetExceededError:
                        pass

            threads = [threading.Thread(target=worker) for _ in range(4)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            assert len(acc.ledger) == 10
            assert acc.spent[0] <= 1.0 + 1e-12
    finally:
        sys.setswitchinterval(old)


# ----------------------------------------------------------------------------- accountant: charged first
RNG_CALLS = {
    "laplace": (lambda rng, acc: laplace_mechanism(1.0, 1.0, 0.5, rng, accountant=acc), 0.5, 0.0),
    "gaussian": (lambda rng, acc: gaussian_mechanism(1.0, 1.0, 0.5, 1e-6, rng, accountant=acc), 0.5, 1e-6),
    "exponential x3": (lambda rng, acc: exponential_mechanism([0.0, 1.0], 1.0, 0.2, rng, size=3, accountant=acc),
                       0.6, 0.0),
    "noisy max": (lambda rng, acc: report_noisy_max([0.0, 1.0], 1.0, 0.5, rng, accountant=acc), 0.5, 0.0),
    "randomized response": (lambda rng, acc: randomized_response([0, 1, 1], 0.5, rng, accountant=acc), 0.5, 0.0),
    "dp_count": (lambda rng, acc: dp_count(np.ones(5), 0.5, rng, accountant=acc), 0.5, 0.0),
    "dp_sum": (lambda rng, acc: dp_sum(np.ones(5), 0.0, 1.0, 0.5, rng, accountant=acc), 0.5, 0.0),
    "dp_mean": (lambda rng, acc: dp_mean(np.ones(5), 0.0, 1.0, 0.5, rng, accountant=acc), 0.5, 0.0),
    "dp_histogram": (lambda rng, acc: dp_histogram(np.ones(5), [0, 1, 2], 0.5, rng, accountant=acc), 0.5, 0.0),
    "dp_quantile": (lambda rng, acc: dp_quantile(np.arange(5.0), 0.5, 0.0, 5.0, 0.5, rng, accountant=acc),
                    0.5, 0.0),
}


@pytest.mark.parametrize("name", sorted(RNG_CALLS))
def test_mechanisms_charge_the_accountant_before_drawing_noise(name):
    call, eps, delta = RNG_CALLS[name]
    acc = PrivacyAccountant(1.0, 1e-5)
    call(np.random.default_rng(0), acc)
    assert acc.spent == pytest.approx((eps, delta), rel=1e-12)
    poor = PrivacyAccountant(eps * 0.99, 1e-5)  # cannot afford it
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    with pytest.raises(BudgetExceededError):
        call(rng, poor)
    assert poor.ledger == [] and rng.bit_generator.state == before  # refused before any noise was drawn


def test_accountant_argument_is_type_checked():
    with pytest.raises(TypeError, match="accountant"):
        laplace_mechanism(1.0, 1.0, 1.0, np.random.default_rng(0), accountant={"budget": 1})


# ----------------------------------------------------------------------------- fpsafe: the true guarantee
def _sampler_level1_mass(t: float, m: int) -> float:
    """Exact mass of bucket G = m among level-1 draws of the real float64 sampler (bisection over j)."""
    c0 = -math.log1p(math.expm1(-1.0 / t) / 2.0)

    def g(j: int) -> int:  # the same float operations as _securerandom.discrete_laplace_t
        return int(np.floor(t * (-np.log((np.float64(j) + 0.5) * 2.0**-53) + c0)))

    def first_le(v: int) -> int:  # g is non-increasing in j on [2^47, 2^53)
        lo, hi = 2**47, 2**53
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if g(mid) <= v else (mid + 1, hi)
        return lo

    return (first_le(m - 1) - first_le(m)) * 2.0**-53


def _ideal_level1_mass(t: float, m: int) -> float:
    c0 = -math.log1p(math.expm1(-1.0 / t) / 2.0)
    a, b = max(m / t - c0, 0.0), (m + 1) / t - c0
    return math.exp(-a) - math.exp(-b)


@pytest.mark.parametrize("t", [2.5, 1025.0, 134317728.0])
def test_sampler_relative_error_bounds_the_exact_bucket_masses(t):
    # t = 134317728 is the default grid's t at d = 10^5, epsilon = 1
    c0 = -math.log1p(math.expm1(-1.0 / t) / 2.0)
    top = int(t * (6 * math.log(2) + c0)) - 2  # buckets entirely inside level 1
    ms = range(top) if top < 50 else [*range(20), *range(top - 150, top)]  # the coarsest buckets are last
    worst = max(abs(_sampler_level1_mass(t, m) / _ideal_level1_mass(t, m) - 1.0) for m in ms)
    assert worst <= sampler_relative_error(t, 1)
    if t > 1e8:
        # the float excess is real: at d = 10^5 the measured per-coordinate excess 2*worst adds ~0.19
        assert 0.1 < 1e5 * 2 * worst < 0.3


def test_grid_laplace_guarantee_and_charge():
    eps1, d1 = grid_laplace_guarantee(1.0, 1.0)
    assert 1.0 < eps1 < 1.0 + 1e-9 and 0 < d1 <= 2.0**-100
    eps_big, _ = grid_laplace_guarantee(1.0, 1.0, size=100_000)
    assert eps_big > 1.19  # the old claim "pure 1-DP" is false at d = 10^5
    _, t = grid_laplace_parameters(1.0, 1.0, 100_000)
    r = sampler_relative_error(t, 20)
    assert eps_big == pytest.approx(1.0 + 1e5 * math.log((1 + r) / (1 - r)), rel=1e-12)
    acc = PrivacyAccountant(10.0, 1e-20)
    grid_laplace_mechanism(np.zeros(1000), 1.0, 1.0, rng=np.random.default_rng(0), accountant=acc)
    assert acc.spent == pytest.approx(grid_laplace_guarantee(1.0, 1.0, size=1000), rel=1e-12)
    pure = PrivacyAccountant(10.0)  # delta budget 0: the float sampler's tail delta cannot be paid
    with pytest.raises(BudgetExceededError):
        grid_laplace_mechanism(0.0, 1.0, 1.0, rng=np.random.default_rng(0), accountant=pure)


# ----------------------------------------------------------------------------- Gaussian: tiny delta
@pytest.mark.parametrize("delta", [1e-300, 1e-308, 5e-309, 5e-324])
def test_gaussian_calibration_for_tiny_delta(delta):
    # 1.25/delta overflows below ~7e-309: classic sigma was inf and the analytic search never ended
    classic = gaussian_sigma_classic(1.0, 0.5, delta)
    want = math.sqrt(2.0 * (math.log(1.25) - math.log(delta))) / 0.5
    assert math.isfinite(classic) and classic == pytest.approx(want, rel=1e-14)
    sigma = gaussian_sigma_analytic(1.0, 1.0, delta)
    assert math.isfinite(sigma)
    assert _log_delta(sigma, 1.0, 1.0) == pytest.approx(math.log(delta), rel=1e-9)  # δ(σ) = δ in log space
    assert _log_delta(sigma * (1 - 1e-6), 1.0, 1.0) > math.log(delta)  # and no smaller σ works
    assert math.isfinite(gaussian_mechanism(0.0, 1.0, 1.0, delta, np.random.default_rng(0)))


# ----------------------------------------------------------------------------- exponential: huge scores
def test_exponential_mechanism_with_huge_scores():
    p = exponential_mechanism_probabilities([1e308, -1e308], 1.0, 10.0)
    assert np.all(np.isfinite(p)) and p.tolist() == [1.0, 0.0]
    assert exponential_mechanism([1e308, -1e308], 1.0, 10.0, np.random.default_rng(0)) == 0
    # scale invariance: scores and sensitivity scaled together give the same probabilities
    from scipy.special import softmax

    u = np.array([3.0, 1.0, -2.0, 3.0])
    want = softmax(0.7 * u / 2.0)
    np.testing.assert_allclose(exponential_mechanism_probabilities(u * 1e307, 1e307, 0.7), want, rtol=1e-12)
    np.testing.assert_allclose(exponential_mechanism_probabilities(u, 1.0, 0.7), want, rtol=1e-12)


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("call", [
    lambda: laplace_mechanism(["1.5"], 1.0, 1.0, np.random.default_rng(0)),
    lambda: laplace_mechanism("1.5", 1.0, 1.0, np.random.default_rng(0)),
    lambda: gaussian_mechanism(np.array(["1", "2"]), 1.0, 1.0, 1e-5, np.random.default_rng(0)),
    lambda: dp_mean(["1", "2", "3"], 0.0, 5.0, 1.0, np.random.default_rng(0)),
    lambda: exponential_mechanism(["1", "2"], 1.0, 1.0, np.random.default_rng(0)),
    lambda: grid_laplace_mechanism([b"1"], 1.0, 1.0),
    lambda: dp_sum(np.array([1, "2"], dtype=object), 0.0, 5.0, 1.0, np.random.default_rng(0)),
])
def test_numeric_strings_are_refused_as_data(call):
    with pytest.raises(TypeError, match="text"):
        call()


def test_interpolate_must_be_a_bool():
    with pytest.raises(TypeError, match="interpolate"):
        kov_composition(0.1, 0.0, 10, 1e-6, interpolate="no")
    assert kov_composition(0.1, 0.0, 10, 1e-6, interpolate=np.bool_(False)) == kov_composition(0.1, 0.0, 10, 1e-6)


def test_dpsgd_epsilon_names_sampling_rate():
    with pytest.raises(ValueError, match="sampling_rate"):
        dpsgd_epsilon(1.0, 1.5, 10, 1e-5)
