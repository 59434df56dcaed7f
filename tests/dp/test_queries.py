"""DP queries (count, sum, mean, histogram, quantile), their sensitivities, and the noise CIs.

Statistical tests use a fixed seed and reject only at p < 1e-6, so a correct implementation fails
with probability <= 1e-6 per test (false-alarm rate 1e-6). Reference distributions come from scipy
(``stats.laplace``, ``stats.norm``) or are written out independently from Smith (2011).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mlops_course.privacy.dp.accuracy import gaussian_halfwidth, noise_halfwidth, noise_interval
from mlops_course.privacy.dp.laplace import laplace_halfwidth
from mlops_course.privacy.dp.queries import (
    clip,
    count_sensitivity,
    dp_count,
    dp_histogram,
    dp_mean,
    dp_quantile,
    dp_sum,
    histogram_sensitivity,
    mean_sensitivity,
    sum_sensitivity,
)

ALPHA = 1e-6  # false-alarm rate of every statistical test below
N_DRAWS = 20_000


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- clip & sensitivities
def test_clip_bounds_values_and_keeps_shape():
    out = clip([[-5.0, 0.5], [7.0, 1.0]], 0.0, 1.0)
    np.testing.assert_array_equal(out, [[0.0, 0.5], [1.0, 1.0]])
    assert clip([], 0.0, 1.0).shape == (0,)


@pytest.mark.parametrize(
    "x, lo, hi",
    [([1.0, math.nan], 0, 1), ([math.inf], 0, 1), ([1.0], 1.0, 1.0), ([1.0], 2.0, 1.0), ([1.0], -math.inf, 1.0),
     ([1.0], math.nan, 1.0), (["a"], 0, 1)],
)
def test_clip_bad_input(x, lo, hi):
    with pytest.raises((ValueError, TypeError)):
        clip(x, lo, hi)


def test_sensitivity_values():
    assert count_sensitivity() == 1.0 and count_sensitivity("replace") == 0.0
    assert sum_sensitivity(-2.0, 5.0) == 5.0 and sum_sensitivity(-7.0, 5.0) == 7.0
    assert sum_sensitivity(-2.0, 5.0, relation="replace") == 7.0
    assert mean_sensitivity(0.0, 100.0, 50) == 2.0
    assert histogram_sensitivity() == 1.0 and histogram_sensitivity("replace") == 2.0


def test_sum_and_mean_sensitivities_are_attained_and_never_exceeded():
    # brute force over random neighbours: the bound holds, and the worst case reaches it
    g = rng(1)
    lo, hi, n = -3.0, 8.0, 20
    worst_add, worst_rep, worst_mean = 0.0, 0.0, 0.0
    for _ in range(2000):
        d = g.uniform(-10, 15, n)
        new = g.uniform(-10, 15)
        worst_add = max(worst_add, abs(clip(np.append(d, new), lo, hi).sum() - clip(d, lo, hi).sum()))
        d2 = d.copy()
        d2[g.integers(n)] = new
        worst_rep = max(worst_rep, abs(clip(d2, lo, hi).sum() - clip(d, lo, hi).sum()))
        worst_mean = max(worst_mean, abs(clip(d2, lo, hi).mean() - clip(d, lo, hi).mean()))
    assert worst_add <= sum_sensitivity(lo, hi) + 1e-9 and worst_add == pytest.approx(sum_sensitivity(lo, hi))
    assert worst_rep <= sum_sensitivity(lo, hi, "replace") + 1e-9
    assert worst_rep == pytest.approx(sum_sensitivity(lo, hi, "replace"))
    assert worst_mean <= mean_sensitivity(lo, hi, n) + 1e-12
    assert worst_mean == pytest.approx(mean_sensitivity(lo, hi, n))


@pytest.mark.parametrize(
    "call",
    [lambda: count_sensitivity("bounded"), lambda: histogram_sensitivity("x"), lambda: sum_sensitivity(1.0, 1.0),
     lambda: sum_sensitivity(2.0, 1.0), lambda: sum_sensitivity(0.0, math.inf), lambda: sum_sensitivity(0, 1, "?"),
     lambda: mean_sensitivity(0.0, 1.0, 0), lambda: mean_sensitivity(0.0, 1.0, 2.5),
     lambda: mean_sensitivity(1.0, 0.0, 3)],
)
def test_sensitivity_bad_input(call):
    with pytest.raises((ValueError, TypeError)):
        call()


# ----------------------------------------------------------------------------- noisy queries: distribution
def laplace_ks(residuals: np.ndarray, scale: float) -> float:
    return stats.kstest(residuals, stats.laplace(scale=scale).cdf).pvalue


def test_dp_count_noise_is_laplace_one_over_eps():
    g, eps, x = rng(2), 0.5, np.arange(37)
    out = np.array([dp_count(x, eps, g) for _ in range(N_DRAWS)])
    assert laplace_ks(out - 37, 1 / eps) > ALPHA
    assert dp_count([], 1.0, g) == pytest.approx(0.0, abs=40)  # empty data set: true count 0 allowed


def test_dp_count_counts_rows_of_any_records():
    g = rng(3)
    records = [{"name": "a"}, {"name": "b"}, None]  # missing values are still people
    out = np.array([dp_count(records, 50.0, g) for _ in range(200)])
    assert abs(out.mean() - 3) < 0.1
    two_d = np.zeros((12, 4))
    assert abs(np.mean([dp_count(two_d, 50.0, g) for _ in range(200)]) - 12) < 0.1


def test_dp_sum_clips_then_adds_laplace_of_max_abs_bound():
    g, eps = rng(4), 0.8
    x = np.array([-10.0, -1.0, 0.5, 3.0, 100.0])  # clipped to [-2, 5]: -2 -1 0.5 3 5 -> 5.5
    out = np.array([dp_sum(x, -2.0, 5.0, eps, g) for _ in range(N_DRAWS)])
    assert laplace_ks(out - 5.5, 5.0 / eps) > ALPHA


def test_dp_mean_clips_then_adds_laplace_range_over_n_eps():
    g, eps = rng(5), 0.3
    x = np.array([-5.0, 0.2, 0.4, 0.9, 7.0, 0.5, 0.5, 0.5])  # clipped to [0,1]: mean = 4.0/8
    out = np.array([dp_mean(x, 0.0, 1.0, eps, g) for _ in range(N_DRAWS)])
    assert laplace_ks(out - 0.5, 1.0 / (8 * eps)) > ALPHA


def test_dp_histogram_counts_and_noise():
    g, eps = rng(6), 0.7
    x = np.array([0.1, 0.2, 0.6, 0.99, 1.0, 1.5, -0.1])  # 1.5 and -0.1 fall outside, 1.0 in last bin
    edges = [0.0, 0.5, 1.0]
    true = np.histogram(x, bins=edges)[0]
    np.testing.assert_array_equal(true, [2, 3])
    out = np.array([dp_histogram(x, edges, eps, g) for _ in range(N_DRAWS // 2)])
    assert out.shape == (N_DRAWS // 2, 2)
    assert laplace_ks((out - true).ravel(), 1 / eps) > ALPHA
    assert dp_histogram([], edges, eps, g).shape == (2,)


def smith_cdf(x: np.ndarray, q: float, lo: float, hi: float, eps: float):
    """Exact CDF of Smith's (2011) quantile output, written out from the paper."""
    z = np.concatenate([[lo], np.sort(np.clip(x, lo, hi)), [hi]])
    lengths = np.diff(z)
    n = len(x)
    w = lengths * np.exp(-eps * np.abs(np.arange(n + 1) - q * n) / 2)
    p = w / w.sum()
    cum = np.concatenate([[0.0], np.cumsum(p)])

    def cdf(y):
        y = np.asarray(y, dtype=float)
        i = np.clip(np.searchsorted(z, y, side="right") - 1, 0, n)
        frac = np.where(lengths[i] > 0, (y - z[i]) / np.where(lengths[i] > 0, lengths[i], 1), 1.0)
        return np.clip(cum[i] + p[i] * np.clip(frac, 0, 1), 0, 1)

    return cdf, p, z


@pytest.mark.parametrize("q, eps", [(0.5, 1.0), (0.1, 0.3), (0.9, 3.0)])
def test_dp_quantile_follows_smith_distribution(q, eps):
    g = rng(7)
    x = np.concatenate([g.normal(5, 2, 40), [5.0, 5.0, -100.0, 100.0]])  # ties and out-of-range values
    lo, hi = 0.0, 10.0
    out = np.array([dp_quantile(x, q, lo, hi, eps, g) for _ in range(N_DRAWS)])
    assert np.all((out >= lo) & (out <= hi))
    cdf, _, _ = smith_cdf(x, q, lo, hi, eps)
    assert stats.kstest(out, cdf).pvalue > ALPHA


def test_smith_reference_density_is_eps_dp():
    # sanity of the reference itself: adding one record changes the output density by <= e^ε
    g, eps = rng(8), 0.9
    x = g.uniform(0, 1, 30)
    y = np.linspace(0.0005, 0.9995, 2000)
    for new in (0.0, 0.3, 1.0):
        for q in (0.25, 0.5):
            f1 = np.diff(smith_cdf(x, q, 0, 1, eps)[0](np.r_[y - 5e-4, y[-1] + 5e-4]))
            f2 = np.diff(smith_cdf(np.append(x, new), q, 0, 1, eps)[0](np.r_[y - 5e-4, y[-1] + 5e-4]))
            assert np.max(np.abs(np.log(f1 / f2))) <= eps + 1e-9


def test_dp_quantile_accurate_at_large_epsilon():
    g = rng(9)
    x = g.uniform(0, 100, 5001)
    med = float(np.median(x))
    out = [dp_quantile(x, 0.5, 0.0, 100.0, 10.0, g) for _ in range(50)]
    assert max(abs(o - med) for o in out) < 1.0


# ----------------------------------------------------------------------------- noisy queries: bad input
GOOD = np.array([0.1, 0.5, 0.9])


@pytest.mark.parametrize(
    "call",
    [
        lambda: dp_count(GOOD, 0.0, rng()),
        lambda: dp_count(GOOD, -1.0, rng()),
        lambda: dp_count(GOOD, math.nan, rng()),
        lambda: dp_count(5, 1.0, rng()),
        lambda: dp_count(np.float64(5.0), 1.0, rng()),
        lambda: dp_count("abc", 1.0, rng()),
        lambda: dp_count(GOOD, 1.0, None),
        lambda: dp_sum(GOOD, 0.0, 1.0, 0.0, rng()),
        lambda: dp_sum([0.1, math.nan], 0.0, 1.0, 1.0, rng()),
        lambda: dp_sum([0.1, math.inf], 0.0, 1.0, 1.0, rng()),
        lambda: dp_sum(GOOD, 1.0, 1.0, 1.0, rng()),
        lambda: dp_sum(GOOD, 2.0, 1.0, 1.0, rng()),
        lambda: dp_sum(GOOD.reshape(3, 1), 0.0, 1.0, 1.0, rng()),
        lambda: dp_mean([], 0.0, 1.0, 1.0, rng()),
        lambda: dp_mean(GOOD, 0.0, 1.0, -1.0, rng()),
        lambda: dp_mean([0.1, math.nan], 0.0, 1.0, 1.0, rng()),
        lambda: dp_mean(GOOD, 1.0, 0.0, 1.0, rng()),
        lambda: dp_mean(GOOD.reshape(1, 3), 0.0, 1.0, 1.0, rng()),
        lambda: dp_histogram(GOOD, 10, 1.0, rng()),
        lambda: dp_histogram(GOOD, [0.0], 1.0, rng()),
        lambda: dp_histogram(GOOD, [0.0, 1.0, 0.5], 1.0, rng()),
        lambda: dp_histogram(GOOD, [0.0, 0.0, 1.0], 1.0, rng()),
        lambda: dp_histogram(GOOD, [0.0, math.inf], 1.0, rng()),
        lambda: dp_histogram([math.nan], [0.0, 1.0], 1.0, rng()),
        lambda: dp_histogram(GOOD, [0.0, 1.0], 0.0, rng()),
        lambda: dp_quantile([], 0.5, 0.0, 1.0, 1.0, rng()),
        lambda: dp_quantile(GOOD, -0.1, 0.0, 1.0, 1.0, rng()),
        lambda: dp_quantile(GOOD, 1.1, 0.0, 1.0, 1.0, rng()),
        lambda: dp_quantile(GOOD, 0.5, 1.0, 1.0, 1.0, rng()),
        lambda: dp_quantile(GOOD, 0.5, 0.0, 1.0, 0.0, rng()),
        lambda: dp_quantile([0.1, math.nan], 0.5, 0.0, 1.0, 1.0, rng()),
        lambda: dp_quantile(GOOD.reshape(3, 1), 0.5, 0.0, 1.0, 1.0, rng()),
        lambda: dp_quantile(GOOD, 0.5, 0.0, 1.0, 1.0, "seed"),
    ],
)
def test_queries_bad_input(call):
    with pytest.raises((ValueError, TypeError)):
        call()


def test_queries_are_reproducible_given_rng():
    a = [dp_mean(GOOD, 0, 1, 1.0, rng(11)), dp_quantile(GOOD, 0.5, 0, 1, 1.0, rng(11))]
    b = [dp_mean(GOOD, 0, 1, 1.0, rng(11)), dp_quantile(GOOD, 0.5, 0, 1, 1.0, rng(11))]
    assert a == b


# ----------------------------------------------------------------------------- accuracy helpers
@pytest.mark.parametrize("conf", [0.5, 0.9, 0.95, 0.999])
def test_gaussian_halfwidth_matches_scipy_interval(conf):
    assert gaussian_halfwidth(2.5, conf) == pytest.approx(stats.norm(scale=2.5).interval(conf)[1], rel=1e-12)


@pytest.mark.parametrize("conf", [0.5, 0.95])
def test_noise_halfwidth_dispatch_and_laplace_matches_scipy(conf):
    assert noise_halfwidth("laplace", 3.0, conf) == laplace_halfwidth(3.0, conf)
    assert noise_halfwidth("laplace", 3.0, conf) == pytest.approx(stats.laplace(scale=3.0).interval(conf)[1])
    assert noise_halfwidth("gaussian", 3.0, conf) == gaussian_halfwidth(3.0, conf)
    assert noise_halfwidth("laplace", 1.0) == pytest.approx(math.log(20))


def test_noise_interval_covers_the_truth_95_percent():
    g = rng(12)
    n = 20_000
    truth = 4.0
    hits_g = sum(lo <= truth <= hi for lo, hi in (noise_interval(truth + g.normal(0, 2.0), "gaussian", 2.0)
                                                for _ in range(n)))
    hits_l = sum(lo <= truth <= hi for lo, hi in (noise_interval(truth + g.laplace(0, 2.0), "laplace", 2.0)
                                                for _ in range(n)))
    for hits in (hits_g, hits_l):
        assert stats.binomtest(int(hits), n, 0.95).pvalue > ALPHA


@pytest.mark.parametrize(
    "call",
    [lambda: gaussian_halfwidth(0.0), lambda: gaussian_halfwidth(-1.0), lambda: gaussian_halfwidth(1.0, 1.0),
     lambda: gaussian_halfwidth(1.0, 0.0), lambda: gaussian_halfwidth(math.nan), lambda: noise_halfwidth("cauchy", 1.0),
     lambda: noise_halfwidth("laplace", -1.0), lambda: noise_interval(math.nan, "laplace", 1.0),
     lambda: noise_interval([1.0, 2.0], "laplace", 1.0)],
)
def test_accuracy_bad_input(call):
    with pytest.raises((ValueError, TypeError)):
        call()
