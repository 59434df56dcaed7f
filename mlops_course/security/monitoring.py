"""Monitoring a deployed model's inputs: drift, out-of-distribution (OOD) inputs, extraction patterns.

Three detectors, each with a stated false-alarm rate:

* :class:`DriftDetector` — has the *distribution* of a batch of inputs moved away from the
  training data? Per feature a two-sample Kolmogorov–Smirnov test, combined with Bonferroni:

      p = min(1, d · min_j p_j),   alarm ⇔ p < α,

  so a batch drawn from the reference distribution raises an alarm with probability ≤ α
  (ties, as in pixel data, only make KS conservative). Rabanser, Günnemann & Lipton (2019),
  *Failing Loudly*, found exactly this "univariate KS + Bonferroni" test a strong baseline.
* :class:`ConformalOOD` — is *one* input unlike the training data? Score = squared Mahalanobis
  distance to the training mean under a shrunk covariance (Ledoit & Wolf 2004; Lee et al. 2018
  use Mahalanobis scores for OOD), threshold = the ``k = ⌈(n+1)(1-α)⌉``-th smallest score of
  ``n`` held-out calibration inputs. For an input exchangeable with the calibration data,

      P(score > threshold) ≤ α          (split conformal; Vovk et al. 2005, Angelopoulos & Bates 2021).

* :class:`ExtractionMonitor` — is a *client* probing the model? Model-extraction attacks
  (Tramèr et al. 2016; Papernot et al. 2017) query synthetic inputs, which the OOD detector flags
  far more often than its benign rate. Per client the monitor tests H0 "this client's flag rate
  ≤ r" with the exact binomial tail ``P(Bin(n, r) ≥ k) < α_client``; ``r`` is an upper bound on
  the benign flag rate that holds with probability ``1 - δ`` over the calibration set (the
  conditional miss rate of split conformal is Beta(n+1-k, k) distributed). Checked after every
  query, a benign client's false-alarm probability over ``T`` checks is ≤ ``T·α_client + δ``
  (union bound). Limitation: an attacker who queries with natural, in-distribution data is not
  flagged — combine with query budgets and rate limits (unit 01).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mlops_course._validation import check_finite_array, check_int, check_probability

__all__ = ["DriftReport", "DriftDetector", "ConformalOOD", "conformal_threshold", "ExtractionMonitor",
           "ks_statistic"]


def ks_statistic(a, b) -> float:
    """Two-sample Kolmogorov–Smirnov statistic ``D = sup_x |F_a(x) - F_b(x)|`` (exact, handles ties).

    Parameters
    ----------
    a, b : array_like, shape (n,) and (m,)
        Finite samples.

    Returns
    -------
    float
        ``D`` in [0, 1].

    Raises
    ------
    ValueError, TypeError
        If a sample is empty, not 1-D or holds NaN/inf.

    Examples
    --------
    >>> ks_statistic([1, 2, 3], [1, 2, 3])
    0.0
    >>> ks_statistic([0, 0], [1, 1])
    1.0
    """
    a = np.sort(check_finite_array("a", a, ndim=1))
    b = np.sort(check_finite_array("b", b, ndim=1))
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


@dataclass(frozen=True)
class DriftReport:
    """Result of one drift test: Bonferroni p-value, alarm, most-shifted feature and its KS statistic.

    Parameters
    ----------
    p_value : float
        Bonferroni-corrected p-value (min over features of ``d · p_j``, capped at 1).
    drifted : bool
        Whether the p-value is below the test's level.
    feature : int
        Index of the feature with the smallest KS p-value (the most shifted).
    statistic : float
        Its KS statistic.
    """

    p_value: float
    drifted: bool
    feature: int
    statistic: float


class DriftDetector:
    """Univariate KS tests per feature + Bonferroni correction (false-alarm rate ≤ ``alpha``).

    Parameters
    ----------
    reference : array_like, shape (n, d)
        Inputs the model was trained/validated on.
    alpha : float in (0, 1)
        Level: a batch from the reference distribution raises an alarm with probability ≤ alpha.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> det = DriftDetector(rng.normal(size=(500, 3)), alpha=0.01)
    >>> det.test(rng.normal(size=(200, 3)) + [0, 0, 1]).drifted
    True
    """

    def __init__(self, reference, alpha: float = 0.05) -> None:
        self.reference = check_finite_array("reference", reference, ndim=2)
        if self.reference.shape[0] < 2:
            raise ValueError(f"reference must have at least 2 rows, got {self.reference.shape[0]}")
        self.alpha = check_probability("alpha", alpha)

    def test(self, batch) -> DriftReport:
        """Test one batch (shape (m, d), same d as the reference)."""
        from scipy import stats

        batch = check_finite_array("batch", batch, ndim=2)
        d = self.reference.shape[1]
        if batch.shape[1] != d:
            raise ValueError(f"batch must have {d} columns like the reference, got {batch.shape[1]}")
        pvals = np.ones(d)
        statistics = np.zeros(d)
        for j in range(d):
            if np.ptp(self.reference[:, j]) == 0 and np.ptp(batch[:, j]) == 0 \
                    and self.reference[0, j] == batch[0, j]:
                continue  # a constant feature that stayed constant carries no evidence
            res = stats.ks_2samp(self.reference[:, j], batch[:, j])
            pvals[j], statistics[j] = res.pvalue, res.statistic
        j = int(np.argmin(pvals))
        p = min(1.0, d * float(pvals[j]))
        return DriftReport(p, p < self.alpha, j, float(statistics[j]))


def conformal_threshold(calibration_scores, alpha: float) -> float:
    """The ``⌈(n+1)(1-α)⌉``-th smallest calibration score (``inf`` if that exceeds ``n``).

    Guarantee: a new exchangeable score exceeds it with probability ≤ α.

    Parameters
    ----------
    calibration_scores : array_like, shape (n,)
        Finite non-conformity scores of held-out benign data.
    alpha : float
        Target false-alarm rate in (0, 1).

    Returns
    -------
    float
        The threshold (``inf`` if ``⌈(n+1)(1−α)⌉ > n``).

    Raises
    ------
    ValueError, TypeError
        Empty or non-finite scores, or ``alpha`` outside (0, 1).
    """
    scores = np.sort(check_finite_array("calibration_scores", calibration_scores, ndim=1))
    alpha = check_probability("alpha", alpha)
    k = math.ceil((scores.size + 1) * (1.0 - alpha))
    return float("inf") if k > scores.size else float(scores[k - 1])


class ConformalOOD:
    """Mahalanobis OOD score with a split-conformal threshold (false-alarm rate ≤ ``alpha``).

    Parameters
    ----------
    train : array_like, shape (n_train, d)
        Inputs used to fit mean and (Ledoit–Wolf shrunk) covariance.
    calibration : array_like, shape (n_cal, d)
        Held-out in-distribution inputs (not used for fitting) that set the threshold.
    alpha : float in (0, 1)
    """

    def __init__(self, train, calibration, alpha: float = 0.05) -> None:
        from sklearn.covariance import LedoitWolf

        train = check_finite_array("train", train, ndim=2)
        calibration = check_finite_array("calibration", calibration, ndim=2)
        if calibration.shape[1] != train.shape[1]:
            raise ValueError(f"calibration must have {train.shape[1]} columns, got {calibration.shape[1]}")
        if train.shape[0] < 2:
            raise ValueError("train must have at least 2 rows")
        self.alpha = check_probability("alpha", alpha)
        cov = LedoitWolf().fit(train)
        self.mean = cov.location_
        self.precision = cov.precision_
        self.calibration_scores = np.sort(self.score(calibration))
        self.threshold = conformal_threshold(self.calibration_scores, self.alpha)

    def score(self, x) -> np.ndarray:
        """Squared Mahalanobis distance ``(x-μ)ᵀ Σ⁻¹ (x-μ)`` of each row."""
        x = check_finite_array("x", x)
        x2 = np.atleast_2d(x)
        if x2.shape[1] != self.mean.size:
            raise ValueError(f"x must have {self.mean.size} features, got {x2.shape[1]}")
        diff = x2 - self.mean
        return np.einsum("ij,jk,ik->i", diff, self.precision, diff)

    def is_ood(self, x) -> np.ndarray:
        """Boolean flag per row: score above the conformal threshold."""
        return self.score(x) > self.threshold

    def p_values(self, x) -> np.ndarray:
        """Conformal p-value per row: ``(1 + #{calibration scores ≥ s}) / (n + 1)``."""
        s = self.score(x)
        n = self.calibration_scores.size
        ge = n - np.searchsorted(self.calibration_scores, s, side="left")
        return (1.0 + ge) / (n + 1.0)

    def benign_rate_bound(self, delta: float = 1e-3) -> float:
        """Upper bound on the flag rate of in-distribution inputs, valid w.p. ``1 - delta`` over calibration.

        Conditional on the calibration set, the miss rate is Beta(n+1-k, k) (Vovk 2012).
        """
        from scipy import stats

        delta = check_probability("delta", delta)
        n = self.calibration_scores.size
        k = math.ceil((n + 1) * (1.0 - self.alpha))
        if k > n:
            return 0.0
        return float(stats.beta.ppf(1.0 - delta, n + 1 - k, k))


@dataclass
class _ClientState:
    queries: int = 0
    flags: int = 0
    flagged_at: int | None = None


@dataclass
class ExtractionMonitor:
    """Per-client binomial test on OOD flags: who is probing the model with synthetic inputs?

    Parameters
    ----------
    ood : ConformalOOD
    alpha_client : float
        Level of each per-client check (after each query).
    delta : float
        Failure probability of the benign-rate bound (see :meth:`ConformalOOD.benign_rate_bound`).
    min_queries : int
        No decision before this many queries from a client.
    clients : dict, default {}
        Internal per-client state (queries, flags, when flagged); leave at the empty default.
    """

    ood: ConformalOOD
    alpha_client: float = 1e-6
    delta: float = 1e-3
    min_queries: int = 10
    clients: dict[str, _ClientState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.ood, ConformalOOD):
            raise TypeError(f"ood must be a ConformalOOD, got {type(self.ood).__name__}")
        check_probability("alpha_client", self.alpha_client)
        check_int("min_queries", self.min_queries, minimum=1)
        self.rate = self.ood.benign_rate_bound(self.delta)

    def p_value(self, client: str) -> float:
        """``P(Bin(n, r) ≥ k)`` for the client's ``n`` queries and ``k`` OOD flags."""
        from scipy import stats

        state = self.clients.get(client, _ClientState())
        if state.flags == 0:
            return 1.0
        return float(stats.binom.sf(state.flags - 1, state.queries, self.rate))

    def observe(self, client: str, x) -> bool:
        """Record a batch of queries (rows of ``x``) from ``client``, one check after each; return flagged."""
        if not isinstance(client, str) or not client:
            raise ValueError(f"client must be a non-empty str, got {client!r}")
        state = self.clients.setdefault(client, _ClientState())
        for flag in self.ood.is_ood(np.atleast_2d(x)):
            state.queries += 1
            state.flags += int(flag)
            if state.flagged_at is None and state.queries >= self.min_queries \
                    and self.p_value(client) < self.alpha_client:
                state.flagged_at = state.queries
        return state.flagged_at is not None

    def flagged_at(self, client: str) -> int | None:
        """Number of queries after which the client was flagged (``None``: not flagged)."""
        state = self.clients.get(client)
        return None if state is None else state.flagged_at
