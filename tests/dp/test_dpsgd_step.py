"""The DP-SGD step shared by the binary (unit 07) and softmax (unit 01) trainers."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlops_course.privacy.dp.dpsgd import clipped_noisy_sum, poisson_batch


def _explicit(residual: np.ndarray, Xb: np.ndarray, C: float) -> np.ndarray:
    """Σ clip_C(gᵢ) with every per-example gradient gᵢ = rᵢ ⊗ x̃ᵢ materialised."""
    total = 0.0
    for r, x in zip(np.atleast_2d(residual.T).T, Xb, strict=True):
        g = np.outer(r, x)
        total = total + g * min(1.0, C / np.linalg.norm(g))
    return total


@pytest.mark.parametrize("k", [None, 3])
def test_clipping_equals_materialised_per_example_gradients(k: int | None) -> None:
    rng = np.random.default_rng(0)
    Xb = rng.normal(size=(40, 5))
    residual = rng.normal(scale=2.0, size=40 if k is None else (40, k))
    got = clipped_noisy_sum(residual, Xb, np.linalg.norm(Xb, axis=1), 1.5, 0.0, rng)
    want = _explicit(residual, Xb, 1.5)
    np.testing.assert_allclose(got, want[0] if k is None else want, rtol=1e-12)
    # some examples were clipped and some not (the test exercises both branches of min(1, C/‖g‖))
    norms = np.abs(residual) if k is None else np.linalg.norm(residual, axis=1)
    norms = norms * np.linalg.norm(Xb, axis=1)
    assert (norms > 1.5).any() and (norms < 1.5).any()


def test_no_noise_draws_nothing_and_noise_has_std_sigma_c() -> None:
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    clipped_noisy_sum(np.zeros(3), np.ones((3, 2)), np.ones(3), 1.0, 0.0, rng)
    assert rng.bit_generator.state == before
    # noise only (zero residuals): Σ (noise / σC)² ~ χ²(N); two-sided test, false-alarm rate 1e-6
    sigma, C, reps = 1.3, 0.7, 400
    draws = np.concatenate([clipped_noisy_sum(np.zeros((2, 4)), np.ones((2, 5)), np.ones(2), C, sigma, rng).ravel()
                            for _ in range(reps)])
    stat, df = float(np.sum((draws / (sigma * C)) ** 2)), draws.size
    assert stats.chi2.ppf(0.5e-6, df) < stat < stats.chi2.ppf(1 - 0.5e-6, df)
    assert abs(draws.mean()) < stats.norm.ppf(1 - 0.5e-6) * sigma * C / np.sqrt(df)


def test_poisson_batch_size_is_binomial() -> None:
    rng = np.random.default_rng(2)
    n, q, reps = 1000, 0.05, 200
    sizes = [poisson_batch(n, q, rng).size for _ in range(reps)]
    total = sum(sizes)  # ~ Binomial(n · reps, q); two-sided, false-alarm rate 1e-6
    lo, hi = stats.binom.ppf(0.5e-6, n * reps, q), stats.binom.ppf(1 - 0.5e-6, n * reps, q)
    assert lo <= total <= hi
    idx = poisson_batch(n, q, np.random.default_rng(3))
    assert np.all(np.diff(idx) > 0) and idx.min() >= 0 and idx.max() < n
