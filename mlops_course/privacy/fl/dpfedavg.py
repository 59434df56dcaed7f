"""DP-FedAvg: user-level differential privacy for federated averaging (McMahan et al. 2018).

Each round, with clients sampled independently with probability q (Poisson sampling, N clients):

1. every sampled client clips its update:  Δᵢ ← Δᵢ · min(1, C / ‖Δᵢ‖₂);
2. the server adds Gaussian noise to the *sum* and divides by the *expected* number of clients
   qN (a public constant, the "fixed-denominator" estimator):

       Δ = (Σᵢ Δᵢ + N(0, z² C² I)) / (q N).

Adding or removing one *user* (all of their data) changes the sum by at most C, so each round is
the Poisson-subsampled Gaussian mechanism with noise multiplier z; T rounds are accounted with its
RDP curve by the DP unit (:func:`mlops_course.privacy.dp.dpsgd.dpsgd_epsilon`, Mironov, Talwar &
Zhang 2019), and a :class:`~mlops_course.privacy.dp.accountant.PrivacyAccountant` refuses rounds
beyond the budget. The guarantee is *user-level*: it protects everything a client holds, and it
covers the sequence of global models (so anyone who sees them, including the server's observers).
It assumes a trusted server that adds the noise; combined with secure aggregation the server sees
only the noisy sum.

References
----------
H. B. McMahan, D. Ramage, K. Talwar, L. Zhang, "Learning Differentially Private Recurrent Language
Models", ICLR 2018 (Algorithm 1, DP-FedAvg with the fixed-denominator estimator).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_course._validation import (
    check_choice,
    check_delta,
    check_finite_array,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    check_rng,
)
from mlops_course.privacy.dp.accountant import PrivacyAccountant
from mlops_course.privacy.dp.dpsgd import calibrate_noise_multiplier, dpsgd_epsilon

__all__ = ["AccountingAssumptionWarning", "clip_update", "DPFedAvg", "dpfedavg_epsilon", "dpfedavg_noise_multiplier", "charge_rounds"]


class AccountingAssumptionWarning(UserWarning):
    """The run breaks an assumption of the DP-FedAvg accounting (Poisson sampling at rate q, divisor qN)."""


def clip_update(update: Any, clip_norm: float) -> np.ndarray:
    """Δ · min(1, C / ‖Δ‖₂): scale a client update down to L2 norm at most C.

    Parameters
    ----------
    update : array_like
        The client's model update (any shape; the norm is over all entries).
    clip_norm : float
        C > 0.

    Returns
    -------
    numpy.ndarray
        Same shape; unchanged when ‖Δ‖₂ <= C, otherwise of norm exactly C (same direction).

    Examples
    --------
    >>> clip_update([3.0, 4.0], 1.0)
    array([0.6, 0.8])
    """
    u = check_finite_array("update", update)
    clip_norm = check_positive("clip_norm", clip_norm)
    norm = float(np.linalg.norm(u))
    return u * (clip_norm / norm) if norm > clip_norm else u.copy()


@dataclass(frozen=True)
class DPFedAvg:
    """The DP-FedAvg server aggregation: clip, sum, add N(0, z²C²), divide by qN.

    Parameters
    ----------
    clip_norm : float
        C > 0, the per-client L2 bound.
    noise_multiplier : float
        z >= 0 (0 = clipping only, no privacy).
    expected_clients : float
        qN > 0, the public expected number of clients per round.
    """

    clip_norm: float
    noise_multiplier: float
    expected_clients: float

    def __post_init__(self) -> None:
        check_positive("clip_norm", self.clip_norm)
        check_nonnegative("noise_multiplier", self.noise_multiplier)
        check_positive("expected_clients", self.expected_clients)

    @property
    def noise_std(self) -> float:
        """Standard deviation of the noise on the averaged update: z C / (qN)."""
        return self.noise_multiplier * self.clip_norm / self.expected_clients

    def check_sampling(self, n_clients: int, sampling_rate: float, sampling: str = "poisson") -> bool:
        """Warn when a run does not match what :func:`dpfedavg_epsilon` assumes; True if it matches.

        The ε of :func:`dpfedavg_epsilon` is that of the *Poisson*-subsampled Gaussian mechanism
        (each of the N clients joins a round independently with probability q) with the
        fixed denominator qN. With a fixed-size sample (``sampling="fixed"``) or a divisor
        ``expected_clients`` ≠ qN that ε is not the guarantee of the run (the noise scale on the
        average and the amplification argument both change), so an
        :class:`AccountingAssumptionWarning` is issued.

        Parameters
        ----------
        n_clients : int
            N >= 1, the number of clients that may be sampled.
        sampling_rate : float
            q in (0, 1], the per-round sampling probability.
        sampling : {"poisson", "fixed"}
            How clients are drawn each round.

        Returns
        -------
        bool
            True when the run is Poisson-sampled with ``expected_clients`` = qN.

        Raises
        ------
        ValueError
            If ``sampling`` is not "poisson" or "fixed", or N or q is out of range.
        """
        n = check_int("n_clients", n_clients, minimum=1)
        q = check_probability("sampling_rate", sampling_rate, open_high=False)
        check_choice("sampling", sampling, ("poisson", "fixed"))
        ok = True
        if sampling != "poisson":
            warnings.warn(f"DP-FedAvg with sampling={sampling!r}: its epsilon (dpfedavg_epsilon) assumes "
                          "Poisson sampling of clients; use sampling='poisson' for the stated guarantee",
                          AccountingAssumptionWarning, stacklevel=2)
            ok = False
        if not math.isclose(self.expected_clients, q * n, rel_tol=1e-9):
            warnings.warn(f"DP-FedAvg expected_clients={self.expected_clients:g} differs from q*N = "
                          f"{q:g}*{n} = {q * n:g}: the accounting assumes the divisor qN",
                          AccountingAssumptionWarning, stacklevel=2)
            ok = False
        return ok

    def aggregate(self, updates: Any, rng: np.random.Generator) -> np.ndarray:
        """(Σ clip(Δᵢ) + N(0, z²C² I)) / (qN) for updates of shape (n_clients, d) (n may be 0)."""
        arr = check_finite_array("updates", updates, allow_empty=True)
        rng = check_rng(rng)
        if arr.ndim != 2:
            raise ValueError(f"updates must be stacked as (n_clients, d), got shape {arr.shape}")
        norms = np.linalg.norm(arr, axis=1)
        scale = np.minimum(1.0, self.clip_norm / np.maximum(norms, 1e-300))
        total = (arr * scale[:, None]).sum(axis=0)
        noise = rng.normal(0.0, self.noise_multiplier * self.clip_norm, size=arr.shape[1])
        return (total + noise) / self.expected_clients


def dpfedavg_epsilon(noise_multiplier: float, sampling_rate: float, rounds: int, delta: float) -> float:
    """User-level ε after ``rounds`` DP-FedAvg rounds (Poisson rate q, multiplier z), via RDP.

    Same accounting as DP-SGD with "examples" replaced by "users" (McMahan et al. 2018, Sec. 3).

    Parameters
    ----------
    noise_multiplier : float
        ``z = σ / C`` (noise std over the per-user clipping norm).
    sampling_rate : float
        Poisson user-sampling rate ``q`` per round.
    rounds : int
        Number of rounds.
    delta : float
        Target δ.

    Returns
    -------
    float
        The user-level ε.
    """
    return dpsgd_epsilon(noise_multiplier, sampling_rate, rounds, delta)


def dpfedavg_noise_multiplier(epsilon: float, delta: float, sampling_rate: float, rounds: int) -> float:
    """Smallest z such that ``rounds`` rounds at rate q stay within (ε, δ) user-level DP.

    Parameters
    ----------
    epsilon : float
        Target user-level ε (> 0).
    delta : float
        Target δ in (0, 1).
    sampling_rate : float
        Poisson user-sampling rate ``q`` per round.
    rounds : int
        Number of rounds.

    Returns
    -------
    float
        The noise multiplier ``z``.
    """
    return calibrate_noise_multiplier(epsilon, delta, sampling_rate, rounds)


def charge_rounds(accountant: PrivacyAccountant, noise_multiplier: float, sampling_rate: float,
                  rounds: int, delta: float, label: str = "DP-FedAvg") -> float:
    """Charge a whole training run (its RDP-composed ε, δ) to ``accountant`` before it starts.

    Returns the ε charged; raises ``BudgetExceededError`` (and records nothing) if the run would
    exceed the budget, so an over-budget run never starts.

    Parameters
    ----------
    accountant : PrivacyAccountant
        The budget to charge.
    noise_multiplier : float
        ``z = σ / C``.
    sampling_rate : float
        Poisson user-sampling rate ``q`` in (0, 1].
    rounds : int
        Number of rounds (>= 1).
    delta : float
        δ of the charge, in (0, 1).
    label : str, default "DP-FedAvg"
        Prefix of the ledger entry's label.

    Returns
    -------
    float
        The ε charged.

    Raises
    ------
    BudgetExceededError
        If the charge would exceed the accountant's budget.
    ValueError, TypeError
        For an invalid ``sampling_rate``, ``rounds`` or ``delta``.
    """
    check_probability("sampling_rate", sampling_rate, open_high=False)
    check_int("rounds", rounds, minimum=1)
    check_delta(delta)
    eps = dpfedavg_epsilon(noise_multiplier, sampling_rate, rounds, delta)
    accountant.spend(eps, delta, label=f"{label}: {rounds} rounds, q={sampling_rate:g}, z={noise_multiplier:g}")
    return eps
