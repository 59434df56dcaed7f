"""DP-SGD logistic regression: privacy accounting against dp-accounting, clipping, noise, sampling.

Peers: dp-accounting 0.6 (``RdpAccountant`` on ``SelfComposedDpEvent(PoissonSampledDpEvent(q,
GaussianDpEvent(σ)), T)``, ``mechanism_calibration.calibrate_dp_mechanism``, ``PLDAccountant``).
Statistical tests: fixed seeds, rejection only at p < 1e-6 (false-alarm rate <= 1e-6 each).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from dp_accounting import dp_event, mechanism_calibration
from dp_accounting.pld.pld_privacy_accountant import PLDAccountant
from dp_accounting.rdp.rdp_privacy_accountant import RdpAccountant
from scipy import stats
from scipy.special import expit

from mlops_course.privacy.dp.dpsgd import (
    DPLogisticRegression,
    accuracy_epsilon_tradeoff,
    breast_cancer_tradeoff,
    calibrate_noise_multiplier,
    dpsgd_epsilon,
    dpsgd_logreg,
    train_dp_logreg,
)
from mlops_course.privacy.dp.rdp import DEFAULT_ORDERS

ALPHA = 1e-6
ORDERS = list(DEFAULT_ORDERS)


def sgm_event(q: float, sigma: float, steps: int) -> dp_event.DpEvent:
    return dp_event.SelfComposedDpEvent(dp_event.PoissonSampledDpEvent(q, dp_event.GaussianDpEvent(sigma)), steps)


def peer_epsilon(q: float, sigma: float, steps: int, delta: float, orders=ORDERS) -> float:
    acc = RdpAccountant(orders=orders)
    acc.compose(sgm_event(q, sigma, steps))
    return acc.get_epsilon(delta)


def toy_data(n: int = 2000, d: int = 20, seed: int = 0):
    g = np.random.default_rng(seed)
    X = g.normal(size=(n, d))
    w = g.normal(size=d)
    y = (X @ w + 0.5 * g.normal(size=n) > 0).astype(int)
    return X, y


# ----------------------------------------------------------------------------- accounting
@pytest.mark.parametrize(
    "q, sigma, steps, delta",
    [(0.01, 1.1, 1000, 1e-5), (0.05, 0.9, 300, 1e-5), (0.004, 3.0, 10_000, 1e-6), (0.1, 2.0, 60, 1e-3),
     (0.02, 0.7, 2000, 1e-7)],
)
def test_dpsgd_epsilon_matches_dp_accounting(q, sigma, steps, delta):
    ours = dpsgd_epsilon(sigma, q, steps, delta)
    assert ours == pytest.approx(peer_epsilon(q, sigma, steps, delta), rel=1e-6)
    # dp-accounting's default orders include fractional ones, so its RDP bound can only be tighter;
    # the PLD accountant (near-exact) is tighter still. Ours must be a valid upper bound of both.
    default_peer = peer_epsilon(q, sigma, steps, delta, orders=None)
    pld = PLDAccountant(value_discretization_interval=1e-3)
    pld.compose(sgm_event(q, sigma, steps))
    assert ours >= default_peer * (1 - 1e-9)
    assert ours >= pld.get_epsilon(delta) * (1 - 1e-3)
    assert ours <= default_peer * 1.15


def test_abadi_moments_accountant_example():
    # Abadi et al. 2016, Sec. 3.1: q = 0.01, σ = 4, δ = 1e-5, T = 10000 gives ε ≈ 1.26 with the moments
    # accountant (a looser bound); the sampled-Gaussian RDP with the improved conversion is a bit lower.
    ours = dpsgd_epsilon(4.0, 0.01, 10_000, 1e-5)
    assert ours == pytest.approx(peer_epsilon(0.01, 4.0, 10_000, 1e-5), rel=1e-6)
    assert 0.9 < ours <= 1.26


@pytest.mark.parametrize("eps, q, steps", [(1.0, 0.01, 1000), (3.0, 0.05, 300), (0.3, 0.1, 50)])
def test_calibrate_noise_multiplier_matches_dp_accounting(eps, q, steps):
    delta = 1e-5
    sigma = calibrate_noise_multiplier(eps, delta, q, steps)
    assert dpsgd_epsilon(sigma, q, steps, delta) <= eps
    assert dpsgd_epsilon(sigma * (1 - 1e-5), q, steps, delta) > eps  # smallest up to rtol
    peer = mechanism_calibration.calibrate_dp_mechanism(
        lambda: RdpAccountant(orders=ORDERS),
        lambda s: sgm_event(q, s, steps),
        eps,
        delta,
        mechanism_calibration.ExplicitBracketInterval(0.05, 200.0),
        tol=1e-8,
    )
    assert sigma == pytest.approx(peer, rel=1e-5)


@pytest.mark.parametrize(
    "args",
    [(0.0, 1e-5, 0.01, 100), (-1.0, 1e-5, 0.01, 100), (1.0, 0.0, 0.01, 100), (1.0, 1.0, 0.01, 100),
     (1.0, 1e-5, 0.0, 100), (1.0, 1e-5, 1.5, 100), (1.0, 1e-5, 0.01, 0), (math.nan, 1e-5, 0.01, 100)],
)
def test_calibrate_and_epsilon_bad_input(args):
    eps, delta, q, steps = args
    with pytest.raises((ValueError, TypeError)):
        calibrate_noise_multiplier(eps, delta, q, steps)
    # the same (σ, q, T, δ) checks in dpsgd_epsilon, with ε's slot used as the noise multiplier
    with pytest.raises((ValueError, TypeError)):
        dpsgd_epsilon(eps, q, steps, delta)


# ----------------------------------------------------------------------------- the algorithm
def test_one_full_batch_step_equals_per_example_reference():
    # σ = 0, q = 1, T = 1: w₁ = −η Σ clip(gᵢ, C) / n, computed here example by example
    X, y = toy_data(50, 4, seed=1)
    X = 3 * X  # make many gradients exceed C
    C, lr = 0.7, 0.3
    model = dpsgd_logreg(X, y, noise_multiplier=0.0, delta=1e-5, rng=np.random.default_rng(0),
                         sampling_rate=1.0, steps=1, clip_norm=C, learning_rate=lr)
    total = np.zeros(5)
    clipped_any = False
    for xi, yi in zip(X, y, strict=True):
        xa = np.append(xi, 1.0)
        g = (expit(0.0) - yi) * xa
        norm = np.linalg.norm(g)
        clipped_any |= norm > C
        total += g * min(1.0, C / norm)
    expected = -lr * total / len(y)
    assert clipped_any
    np.testing.assert_allclose(np.append(model.weights, model.intercept), expected, rtol=1e-12)
    assert model.epsilon == math.inf


def test_noise_is_gaussian_sigma_times_clip():
    # x = 0 and no intercept: every per-example gradient is 0, so one step moves w by noise only
    X = np.zeros((10, 3))
    y = np.zeros(10, dtype=int)
    sigma, C, lr, q = 1.7, 0.4, 1.0, 1.0
    draws = np.concatenate([
        dpsgd_logreg(X, y, noise_multiplier=sigma, delta=1e-5, rng=np.random.default_rng(s), sampling_rate=q,
                     steps=1, clip_norm=C, learning_rate=lr, fit_intercept=False).weights
        for s in range(3000)
    ])
    # w₁ = −η N(0, σ²C²) / (q n)
    scale = lr * sigma * C / (q * 10)
    assert stats.kstest(draws, stats.norm(scale=scale).cdf).pvalue > ALPHA


def test_poisson_sampling_includes_each_record_with_probability_q():
    # one-hot rows, y = 0, w = 0: gᵢ = 0.5·[eᵢ, 1], ‖gᵢ‖ = 0.707 < C, so after one noiseless step
    # coordinate i of w is −η·0.5/(q n) exactly when record i was sampled.
    n, q = 200, 0.13
    X = np.eye(n)
    y = np.zeros(n, dtype=int)
    included = 0
    reps = 50
    for s in range(reps):
        m = dpsgd_logreg(X, y, noise_multiplier=0.0, delta=1e-5, rng=np.random.default_rng(s), sampling_rate=q,
                         steps=1, clip_norm=1.0, learning_rate=1.0)
        assert set(np.round(m.weights * q * n / -0.5, 9)) <= {0.0, 1.0}
        included += int(np.sum(m.weights < 0))
    assert stats.binomtest(included, n * reps, q).pvalue > ALPHA


def test_training_is_deterministic_given_rng_and_reports_peer_epsilon():
    X, y = toy_data()
    kw = dict(noise_multiplier=1.0, delta=1e-5, sampling_rate=0.05, steps=300)
    a = dpsgd_logreg(X, y, rng=np.random.default_rng(5), **kw)
    b = dpsgd_logreg(X, y, rng=np.random.default_rng(5), **kw)
    c = dpsgd_logreg(X, y, rng=np.random.default_rng(6), **kw)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, c.weights)
    assert a.epsilon == pytest.approx(peer_epsilon(0.05, 1.0, 300, 1e-5), rel=1e-6)
    assert a.score(X, y) > 0.85
    assert a.losses.shape == (300,) and a.losses[-1] < a.losses[0]
    assert isinstance(a, DPLogisticRegression)
    assert a.predict_proba(X[:5]).shape == (5,) and set(np.unique(a.predict(X))) <= {0, 1}


def test_train_dp_logreg_meets_target_and_is_accurate_at_large_epsilon():
    X, y = toy_data()
    model = train_dp_logreg(X, y, 8.0, 1e-5, rng=np.random.default_rng(0))
    assert model.epsilon <= 8.0
    assert model.epsilon == pytest.approx(peer_epsilon(model.sampling_rate, model.noise_multiplier, model.steps,
                                                       1e-5), rel=1e-6)
    assert model.score(X, y) > 0.9


def test_breast_cancer_tradeoff_points():
    out = breast_cancer_tradeoff([0.05, 10.0], rng=np.random.default_rng(0), repeats=2)
    assert out["accuracy_mean"].shape == (2,) and out["accuracy_std"].shape == (2,)
    assert np.all(out["epsilon_spent"] <= out["epsilon"])
    assert out["noise_multiplier"][0] > out["noise_multiplier"][1]
    assert out["accuracy_mean"][1] > 0.9 and out["baseline_accuracy"] > 0.9
    assert out["accuracy_mean"][1] > out["accuracy_mean"][0]


def test_tradeoff_bad_input():
    X, y = toy_data(100, 3)
    with pytest.raises(ValueError):
        accuracy_epsilon_tradeoff(X, y, X, y, [0.0, 1.0], 1e-5, rng=np.random.default_rng(0))
    with pytest.raises(TypeError):
        accuracy_epsilon_tradeoff(X, y, X, y, [1.0], 1e-5, rng=np.random.default_rng(0), momentum=0.9)
    with pytest.raises(ValueError):
        accuracy_epsilon_tradeoff(X, y, X[:, :2], y, [1.0], 1e-5, rng=np.random.default_rng(0), steps=5)


X0, Y0 = toy_data(30, 2)


@pytest.mark.parametrize(
    "kwargs",
    [dict(X=X0[:, 0]), dict(X=np.vstack([X0[:-1], [[math.nan, 0.0]]])), dict(X=np.vstack([X0[:-1], [[math.inf, 0]]])),
     dict(X=np.zeros((0, 2)), y=np.zeros(0)), dict(y=Y0[:-1]), dict(y=np.where(Y0 == 0, -1, 1)),
     dict(y=Y0.reshape(-1, 1)), dict(noise_multiplier=-1.0), dict(noise_multiplier=math.nan), dict(delta=0.0),
     dict(delta=1.0), dict(sampling_rate=0.0), dict(sampling_rate=1.2), dict(steps=0), dict(steps=2.5),
     dict(clip_norm=0.0), dict(clip_norm=-1.0), dict(learning_rate=0.0), dict(l2=-0.1), dict(rng=None)],
)
def test_dpsgd_logreg_bad_input(kwargs):
    args = dict(X=X0, y=Y0, noise_multiplier=1.0, delta=1e-5, rng=np.random.default_rng(0), steps=3)
    args.update(kwargs)
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises((ValueError, TypeError)):
        dpsgd_logreg(X, y, **args)


@pytest.mark.parametrize("eps, delta", [(0.0, 1e-5), (-1.0, 1e-5), (math.inf, 1e-5), (1.0, 0.0), (1.0, 1.5)])
def test_train_dp_logreg_bad_privacy_parameters(eps, delta):
    with pytest.raises((ValueError, TypeError)):
        train_dp_logreg(X0, Y0, eps, delta, rng=np.random.default_rng(0), steps=3)


def test_model_methods_check_shapes():
    m = dpsgd_logreg(X0, Y0, noise_multiplier=1.0, delta=1e-5, rng=np.random.default_rng(0), steps=3)
    with pytest.raises(ValueError):
        m.predict(np.zeros((3, 5)))
    with pytest.raises(ValueError):
        m.score(X0, Y0[:-1])
