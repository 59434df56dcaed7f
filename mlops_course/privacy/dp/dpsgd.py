"""DP-SGD for logistic regression, in numpy (Abadi et al. 2016).

One step of DP-SGD, with clipping norm C, noise multiplier σ and sampling rate q:

1. **Poisson sampling**: every record joins the batch B independently with probability q.
2. **Per-example clipping**: gᵢ ← gᵢ · min(1, C / ‖gᵢ‖₂), so one record moves the sum by <= C.
3. **Noise**: g̃ = (Σ_{i∈B} gᵢ + N(0, σ²C² I)) / (q n)   (q n = expected batch size, public).
4. **Step**: w ← w − η (g̃ + λ w).

For logistic regression the per-example gradient is gᵢ = (sigmoid(w·xᵢ + b) − yᵢ) [xᵢ, 1], so its
norm is |sigmoid(·) − yᵢ| · sqrt(‖xᵢ‖² + 1): every step is a couple of matrix-vector products.
Steps 1–3 are :func:`poisson_batch` and :func:`clipped_noisy_sum`, shared with the softmax
(multi-class) DP-SGD of unit 01 (:func:`mlops_course.security.models.dpsgd_softmax`).

**Privacy**: each step is the Poisson-subsampled Gaussian mechanism; T steps are accounted with
its RDP curve (:func:`mlops_course.privacy.dp.rdp.sampled_gaussian_rdp`, Mironov, Talwar & Zhang
2019) and converted to (ε, δ) with :func:`~mlops_course.privacy.dp.rdp.rdp_to_dp` — the same
numbers as dp-accounting's ``RdpAccountant``. The guarantee covers the released weights (and
every intermediate iterate) under add/remove-one-record neighbouring. It does *not* cover
pre-processing that looked at the data (e.g. standardising with the data's own mean/std).

References
----------
M. Abadi et al., "Deep Learning with Differential Privacy", CCS 2016.
I. Mironov, K. Talwar, L. Zhang, "Rényi Differential Privacy of the Sampled Gaussian Mechanism", 2019.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_course._validation import (
    check_delta,
    check_epsilon,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    check_rng,
)
from mlops_course.logistic import log_loss, sigmoid
from mlops_course.privacy.dp._data import check_data
from mlops_course.privacy.dp.rdp import DEFAULT_ORDERS, rdp_to_dp, sampled_gaussian_rdp

__all__ = [
    "DPLogisticRegression",
    "dpsgd_epsilon",
    "calibrate_noise_multiplier",
    "dpsgd_logreg",
    "train_dp_logreg",
    "accuracy_epsilon_tradeoff",
    "breast_cancer_tradeoff",
    "check_dpsgd_settings",
    "poisson_batch",
    "clipped_noisy_sum",
]


@dataclass(frozen=True)
class DPLogisticRegression:
    """A logistic-regression model trained with DP-SGD, with the privacy it spent.

    Parameters
    ----------
    weights : numpy.ndarray
        Coefficients, shape (d,).
    intercept : float
        Bias term (0 if trained without intercept).
    epsilon, delta : float
        The (ε, δ)-DP guarantee of the training run (``inf`` if σ = 0).
    noise_multiplier, sampling_rate, clip_norm : float
        σ, q and C used.
    steps : int
        Number of DP-SGD steps T.
    losses : numpy.ndarray, optional
        Noiseless mean training log-loss after every step (for plots; not private).
    """

    weights: np.ndarray
    intercept: float
    epsilon: float
    delta: float
    noise_multiplier: float
    sampling_rate: float
    steps: int
    clip_norm: float
    losses: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """w·x + b for every row of X (shape (n, d))."""
        X = check_data("X", X, ndim=2)
        if X.shape[1] != self.weights.shape[0]:
            raise ValueError(f"X must have {self.weights.shape[0]} columns, got shape {X.shape}")
        return X @ self.weights + self.intercept

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1 | x) = sigmoid(w·x + b), shape (n,)."""
        return sigmoid(self.decision_function(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels in {0, 1}, shape (n,)."""
        return (self.decision_function(X) > 0).astype(int)

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy on (X, y)."""
        pred = self.predict(X)
        return float(np.mean(pred == _check_labels(y, pred.shape[0])))


def _check_labels(y: np.ndarray, n: int) -> np.ndarray:
    y = check_data("y", y, ndim=1)
    if y.shape[0] != n:
        raise ValueError(f"y must have one label per row of X ({n}), got {y.shape[0]}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must hold only 0/1 labels")
    return y.astype(int)


def dpsgd_epsilon(
    noise_multiplier: float,
    sampling_rate: float,
    steps: int,
    delta: float,
    orders: Sequence[int] = DEFAULT_ORDERS,
) -> float:
    """ε of T DP-SGD steps (Poisson-subsampled Gaussian), via RDP: min over orders of the conversion.

    ε = rdp_to_dp(orders, T · ε_α^{SGM}(q, σ), δ), with ε_α^{SGM} from Mironov, Talwar & Zhang 2019
    (integer orders) and the improved RDP→DP conversion (as dp-accounting's ``RdpAccountant``).

    Parameters
    ----------
    noise_multiplier : float
        σ (noise std / clipping norm), > 0.
    sampling_rate : float
        q in (0, 1].
    steps : int
        T >= 1.
    delta : float
        Target δ in (0, 1).
    orders : sequence of int
        Integer RDP orders >= 2.

    Returns
    -------
    float
        ε.

    Examples
    --------
    >>> round(dpsgd_epsilon(1.1, 0.01, 1000, 1e-5), 4)
    1.7253
    """
    sampling_rate = check_probability("sampling_rate", sampling_rate, open_low=True, open_high=False)
    noise_multiplier = check_positive("noise_multiplier", noise_multiplier)
    steps = check_int("steps", steps, minimum=1)
    delta = check_delta(delta)
    rdp = sampled_gaussian_rdp(sampling_rate, noise_multiplier, steps, orders)
    return rdp_to_dp(orders, rdp, delta)[0]


def calibrate_noise_multiplier(
    epsilon: float,
    delta: float,
    sampling_rate: float,
    steps: int,
    orders: Sequence[int] = DEFAULT_ORDERS,
    rtol: float = 1e-6,
) -> float:
    """Smallest noise multiplier σ (up to ``rtol``) such that DP-SGD is (ε, δ)-DP.

    ε(σ) = :func:`dpsgd_epsilon` decreases in σ; bracket by doubling/halving, then bisect. The
    upper end of the final bracket is returned, so ``dpsgd_epsilon(σ, ...) <= epsilon`` always.

    Parameters
    ----------
    epsilon : float
        Target ε > 0.
    delta : float
        Target δ in (0, 1).
    sampling_rate : float
        q in (0, 1].
    steps : int
        T >= 1.
    orders : sequence of int
        Integer RDP orders >= 2.
    rtol : float, default 1e-6
        Relative width of the final bracket.

    Returns
    -------
    float
        σ.

    Raises
    ------
    ValueError
        On invalid arguments, or if even σ = 1e6 does not reach the target.

    Examples
    --------
    >>> sigma = calibrate_noise_multiplier(1.0, 1e-5, 0.01, 1000)
    >>> dpsgd_epsilon(sigma, 0.01, 1000, 1e-5) <= 1.0
    True
    """
    epsilon = check_epsilon(epsilon)
    delta = check_delta(delta)
    q = check_probability("sampling_rate", sampling_rate, open_high=False)
    steps = check_int("steps", steps, minimum=1)
    rtol = check_positive("rtol", rtol)

    def eps_of(sigma: float) -> float:
        return dpsgd_epsilon(sigma, q, steps, delta, orders)

    hi = 1.0
    while eps_of(hi) > epsilon:
        hi *= 2.0
        if hi > 1e6:
            raise ValueError(f"no noise multiplier <= 1e6 reaches epsilon={epsilon} with delta={delta}")
    lo = hi / 2.0
    while eps_of(lo) <= epsilon:
        hi, lo = lo, lo / 2.0
        if lo < 1e-6:
            return hi
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        if eps_of(mid) <= epsilon:
            hi = mid
        else:
            lo = mid
    return hi


def check_dpsgd_settings(
    noise_multiplier: Any,
    delta: Any,
    sampling_rate: Any,
    steps: Any,
    clip_norm: Any,
    learning_rate: Any,
) -> tuple[float, float, float, int, float, float]:
    """Validate the hyper-parameters every DP-SGD trainer takes (binary and softmax).

    Parameters
    ----------
    noise_multiplier : float
        σ >= 0 (0: no noise, ε = inf).
    delta : float
        δ in (0, 1).
    sampling_rate : float
        q in (0, 1].
    steps : int
        T >= 1.
    clip_norm : float
        C > 0.
    learning_rate : float
        η > 0.

    Returns
    -------
    tuple
        ``(σ, δ, q, T, C, η)`` as float, float, float, int, float, float.

    Raises
    ------
    ValueError, TypeError
        Naming the first argument out of range or of the wrong type.

    Examples
    --------
    >>> check_dpsgd_settings(1, 1e-5, 0.1, 10, 1, 0.5)
    (1.0, 1e-05, 0.1, 10, 1.0, 0.5)
    """
    sigma = check_nonnegative("noise_multiplier", noise_multiplier)
    delta = check_delta(delta)
    q = check_probability("sampling_rate", sampling_rate, open_high=False)
    steps = check_int("steps", steps, minimum=1)
    C = check_positive("clip_norm", clip_norm)
    lr = check_positive("learning_rate", learning_rate)
    return sigma, delta, q, steps, C, lr


def poisson_batch(n: int, sampling_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Step 1 of DP-SGD: Poisson sampling — each of the ``n`` records joins the batch independently
    with probability q. Draws ``rng.random(n)`` (one uniform per record, in record order).

    Parameters
    ----------
    n : int
        Number of records.
    sampling_rate : float
        q in (0, 1] (not validated here: this runs inside training loops).
    rng : numpy.random.Generator
        Source of the uniforms.

    Returns
    -------
    numpy.ndarray of int
        Sorted indices of the records in the batch (possibly empty).

    Examples
    --------
    >>> poisson_batch(5, 1.0, np.random.default_rng(0)).tolist()
    [0, 1, 2, 3, 4]
    """
    return np.flatnonzero(rng.random(n) < sampling_rate)


def clipped_noisy_sum(
    residual: np.ndarray,
    Xb: np.ndarray,
    row_norms: np.ndarray,
    clip_norm: float,
    noise_multiplier: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Steps 2–3 of DP-SGD for a generalised linear model: ``Σ_{i∈B} clip_C(gᵢ) + N(0, σ²C² I)``.

    The per-example gradient is ``gᵢ = rᵢ ⊗ x̃ᵢ`` (``x̃ᵢ`` the row of ``Xb``, ``rᵢ`` the residual:
    a scalar ``σ(zᵢ) − yᵢ`` for logistic regression, a vector ``softmax(zᵢ) − e_{yᵢ}`` for softmax
    regression), so ``‖gᵢ‖₂ = ‖rᵢ‖₂ · ‖x̃ᵢ‖₂`` needs no per-example gradient matrix. Each ``gᵢ`` is
    scaled by ``min(1, C / ‖gᵢ‖₂)``; Gaussian noise of standard deviation ``σC`` is added to every
    coordinate of the sum (nothing is drawn when ``σ = 0``).

    Parameters
    ----------
    residual : numpy.ndarray, shape (b,) or (b, k)
        ``rᵢ`` of the batch's records.
    Xb : numpy.ndarray, shape (b, p)
        The batch's (augmented) feature rows ``x̃ᵢ``.
    row_norms : numpy.ndarray, shape (b,)
        ``‖x̃ᵢ‖₂``.
    clip_norm : float
        C > 0.
    noise_multiplier : float
        σ >= 0.
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    numpy.ndarray
        Shape (p,) for a 1-d residual, (k, p) for a 2-d one.

    Examples
    --------
    >>> r = np.array([0.5, -2.0]); Xb = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> clipped_noisy_sum(r, Xb, np.ones(2), 1.0, 0.0, np.random.default_rng(0)).tolist()  # 2nd clipped to 1
    [0.5, -1.0]
    """
    if residual.ndim == 1:
        norms = np.abs(residual) * row_norms
        factor = np.minimum(1.0, clip_norm / np.maximum(norms, 1e-12))  # clip to ‖gᵢ‖ <= C
        total = (residual * factor) @ Xb
    else:
        norms = np.linalg.norm(residual, axis=1) * row_norms
        factor = np.minimum(1.0, clip_norm / np.maximum(norms, 1e-12))
        total = (residual * factor[:, None]).T @ Xb
    if noise_multiplier > 0:
        total = total + rng.normal(0.0, noise_multiplier * clip_norm, size=total.shape)
    return total


def dpsgd_logreg(
    X: np.ndarray,
    y: np.ndarray,
    *,
    noise_multiplier: float,
    delta: float,
    rng: np.random.Generator,
    sampling_rate: float = 0.05,
    steps: int = 300,
    clip_norm: float = 1.0,
    learning_rate: float = 0.5,
    l2: float = 0.0,
    fit_intercept: bool = True,
) -> DPLogisticRegression:
    """Train logistic regression with DP-SGD for a given noise multiplier; report the ε spent.

    See the module docstring for the algorithm (Abadi et al. 2016): Poisson sampling with rate q,
    per-example clipping to L2 norm C, Gaussian noise N(0, σ²C²) on the summed clipped gradients,
    division by the expected batch size q·n, T steps of size η, optional L2 penalty λ‖w‖²/2.
    Deterministic given ``rng``. ``noise_multiplier=0`` trains without noise (ε = inf): the
    "clipping only" baseline.

    Parameters
    ----------
    X : array of shape (n, d)
        Features (finite; standardise them first).
    y : array of shape (n,)
        Labels in {0, 1}.
    noise_multiplier : float
        σ >= 0.
    delta : float
        δ in (0, 1) for the reported ε (typically < 1/n).
    rng : numpy.random.Generator
        Source of the sampling and the noise.
    sampling_rate : float, default 0.05
        q in (0, 1].
    steps : int, default 300
        T >= 1.
    clip_norm : float, default 1
        C > 0.
    learning_rate : float, default 0.5
        η > 0.
    l2 : float, default 0
        λ >= 0.
    fit_intercept : bool, default True
        Learn a bias (its gradient is clipped together with the weights).

    Returns
    -------
    DPLogisticRegression
        Weights, intercept, (ε, δ) spent and the hyper-parameters; ``losses`` holds the noiseless
        mean training log-loss after every step (for plots only: it is *not* private).

    Raises
    ------
    ValueError, TypeError
        On bad shapes, non-finite values, labels other than 0/1 or invalid hyper-parameters.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3)); y = (X[:, 0] > 0).astype(int)
    >>> model = dpsgd_logreg(X, y, noise_multiplier=1.0, delta=1e-5, rng=rng, steps=200)
    >>> model.score(X, y) > 0.9, round(model.epsilon, 2)
    (True, 5.37)
    """
    X = check_data("X", X, ndim=2)
    n, d = X.shape
    y = _check_labels(y, n)
    sigma, delta, q, steps, C, lr = check_dpsgd_settings(
        noise_multiplier, delta, sampling_rate, steps, clip_norm, learning_rate
    )
    rng = check_rng(rng)
    l2 = check_nonnegative("l2", l2)

    Xa = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
    row_norms = np.sqrt(np.einsum("ij,ij->i", Xa, Xa))  # ‖[xᵢ, 1]‖, fixed for the run
    w = np.zeros(Xa.shape[1])
    expected_batch = q * n
    losses = np.empty(steps)
    for t in range(steps):
        idx = poisson_batch(n, q, rng)
        Xb = Xa[idx]
        residual = sigmoid(Xb @ w) - y[idx]  # gᵢ = residualᵢ · [xᵢ, 1]
        noisy_sum = clipped_noisy_sum(residual, Xb, row_norms[idx], C, sigma, rng)
        penalty = l2 * np.concatenate([w[:d], np.zeros(w.shape[0] - d)])
        w = w - lr * (noisy_sum / expected_batch + penalty)
        losses[t] = log_loss(Xa @ w, y)
    eps = math.inf if sigma == 0 else dpsgd_epsilon(sigma, q, steps, delta)
    return DPLogisticRegression(
        weights=w[:d].copy(),
        intercept=float(w[d]) if fit_intercept else 0.0,
        epsilon=eps,
        delta=delta,
        noise_multiplier=sigma,
        sampling_rate=q,
        steps=steps,
        clip_norm=C,
        losses=losses,
    )


def train_dp_logreg(
    X: np.ndarray,
    y: np.ndarray,
    epsilon: float,
    delta: float,
    *,
    rng: np.random.Generator,
    sampling_rate: float = 0.05,
    steps: int = 300,
    clip_norm: float = 1.0,
    learning_rate: float = 0.5,
    l2: float = 0.0,
    fit_intercept: bool = True,
) -> DPLogisticRegression:
    """Train (ε, δ)-DP logistic regression: calibrate σ for (ε, δ, q, T), then run :func:`dpsgd_logreg`.

    Parameters
    ----------
    X, y
        Training data (see :func:`dpsgd_logreg`).
    epsilon : float
        Target ε > 0.
    delta : float
        Target δ in (0, 1).
    rng : numpy.random.Generator
    sampling_rate, steps, clip_norm, learning_rate, l2, fit_intercept
        As in :func:`dpsgd_logreg`.

    Returns
    -------
    DPLogisticRegression
        With ``model.epsilon <= epsilon`` (the accountant's value for the calibrated σ).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(1000, 5)); y = (X @ np.ones(5) > 0).astype(int)
    >>> model = train_dp_logreg(X, y, 1.0, 1e-5, rng=rng)
    >>> model.epsilon <= 1.0
    True
    """
    epsilon = check_epsilon(epsilon)
    sigma = calibrate_noise_multiplier(epsilon, delta, sampling_rate, steps)
    return dpsgd_logreg(
        X,
        y,
        noise_multiplier=sigma,
        delta=delta,
        rng=rng,
        sampling_rate=sampling_rate,
        steps=steps,
        clip_norm=clip_norm,
        learning_rate=learning_rate,
        l2=l2,
        fit_intercept=fit_intercept,
    )


def accuracy_epsilon_tradeoff(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    epsilons: Sequence[float],
    delta: float,
    *,
    rng: np.random.Generator,
    repeats: int = 3,
    **train_kwargs: Any,
) -> dict[str, np.ndarray | float]:
    """Test accuracy of DP-SGD logistic regression for each target ε (points for a trade-off plot).

    For every ε, σ is calibrated once and ``repeats`` models are trained (consecutive draws from
    ``rng``, so the result is deterministic given the seed); a non-private baseline (σ = 0, same
    clipping and steps) is trained once.

    Parameters
    ----------
    X_train, y_train, X_test, y_test
        Standardised features and 0/1 labels.
    epsilons : sequence of float
        Target ε values (> 0).
    delta : float
        δ in (0, 1).
    rng : numpy.random.Generator
    repeats : int, default 3
        Models per ε (>= 1).
    **train_kwargs
        ``sampling_rate``, ``steps``, ``clip_norm``, ``learning_rate``, ``l2`` for :func:`dpsgd_logreg`.

    Returns
    -------
    dict
        ``"epsilon"`` (targets), ``"epsilon_spent"``, ``"noise_multiplier"``, ``"accuracy_mean"``,
        ``"accuracy_std"`` (arrays, one entry per ε) and ``"baseline_accuracy"`` (float).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 4)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> out = accuracy_epsilon_tradeoff(X[:400], y[:400], X[400:], y[400:], [0.5, 8.0], 1e-5, rng=rng)
    >>> out["accuracy_mean"].shape
    (2,)
    """
    eps_arr = check_data("epsilons", epsilons, ndim=1)
    if np.any(eps_arr <= 0):
        raise ValueError(f"epsilons must all be > 0, got {eps_arr[eps_arr <= 0].tolist()}")
    delta = check_delta(delta)
    rng = check_rng(rng)
    repeats = check_int("repeats", repeats, minimum=1)
    allowed = {"sampling_rate", "steps", "clip_norm", "learning_rate", "l2"}
    unknown = set(train_kwargs) - allowed
    if unknown:
        raise TypeError(f"unknown training arguments {sorted(unknown)}; allowed: {sorted(allowed)}")
    X_test = check_data("X_test", X_test, ndim=2)
    y_test = _check_labels(y_test, X_test.shape[0])
    q = train_kwargs.get("sampling_rate", 0.05)
    steps = int(train_kwargs.get("steps", 300))
    sigmas, spent, acc_mean, acc_std = [], [], [], []
    for eps in eps_arr:
        sigma = calibrate_noise_multiplier(float(eps), delta, q, steps)
        accs = []
        model = None
        for _ in range(repeats):
            model = dpsgd_logreg(X_train, y_train, noise_multiplier=sigma, delta=delta, rng=rng, **train_kwargs)
            accs.append(model.score(X_test, y_test))
        sigmas.append(sigma)
        spent.append(model.epsilon)
        acc_mean.append(np.mean(accs))
        acc_std.append(np.std(accs))
    baseline = dpsgd_logreg(X_train, y_train, noise_multiplier=0.0, delta=delta, rng=rng, **train_kwargs)
    return {
        "epsilon": eps_arr,
        "epsilon_spent": np.array(spent),
        "noise_multiplier": np.array(sigmas),
        "accuracy_mean": np.array(acc_mean),
        "accuracy_std": np.array(acc_std),
        "baseline_accuracy": baseline.score(X_test, y_test),
    }


def breast_cancer_tradeoff(
    epsilons: Sequence[float] = (0.1, 0.3, 1.0, 3.0, 10.0),
    delta: float = 1e-5,
    *,
    rng: np.random.Generator,
    test_fraction: float = 0.3,
    repeats: int = 3,
    **train_kwargs: Any,
) -> dict[str, np.ndarray | float]:
    """:func:`accuracy_epsilon_tradeoff` on scikit-learn's breast-cancer data (569 × 30, offline).

    The data come from :func:`mlops_course.datasets.load_breast_cancer_split` (``"permutation"``
    split drawn from ``rng``, ``test_fraction`` held out, standardised with the training part's mean
    and standard deviation); the same ``rng`` then drives the training. Caveat for the lecture: that
    scaling looks at the data and is not itself DP; a real deployment would use public bounds or spend
    budget on it.

    Parameters
    ----------
    epsilons : sequence of float
        Target ε values.
    delta : float, default 1e-5
    rng : numpy.random.Generator
        Drives the split and the training.
    test_fraction : float, default 0.3
    repeats : int, default 3
    **train_kwargs
        Passed to :func:`accuracy_epsilon_tradeoff`.

    Returns
    -------
    dict
        As :func:`accuracy_epsilon_tradeoff`.
    """
    from mlops_course.datasets import load_breast_cancer_split  # here: datasets imports pandas, dp does not

    rng = check_rng(rng)
    data = load_breast_cancer_split(split="permutation", test_fraction=test_fraction, rng=rng)
    return accuracy_epsilon_tradeoff(
        data.X_train, data.y_train, data.X_test, data.y_test, epsilons, delta, rng=rng, repeats=repeats, **train_kwargs
    )
