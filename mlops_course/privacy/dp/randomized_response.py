"""Randomized response (Warner 1965): the oldest local differential-privacy mechanism.

Each respondent reports their true bit with probability ``p = e^ε / (1 + e^ε)`` and the flipped bit
otherwise. For either output ``r`` the likelihood ratio between the two possible true bits is
``p / (1 - p) = e^ε``, so every single report is ε-differentially private (local DP), with no
trusted curator. The analyst undoes the known bias with the unbiased estimator

    π̂ = (mean(reports) - (1 - p)) / (2p - 1).

References
----------
S. L. Warner, "Randomized response: a survey technique for eliminating evasive answer bias",
JASA 60(309), 1965. C. Dwork and A. Roth, *The Algorithmic Foundations of Differential Privacy*,
2014, Section 3.2.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlops_course._validation import check_epsilon, check_rng
from mlops_course.privacy.dp._data import check_data
from mlops_course.privacy.dp.accountant import PrivacyAccountant, charge

__all__ = ["rr_keep_probability", "randomized_response", "rr_estimate"]


def _check_bits(name: str, bits: Any) -> np.ndarray:
    arr = check_data(name, bits)
    if not np.all((arr == 0) | (arr == 1)):
        bad = arr[(arr != 0) & (arr != 1)].ravel()[0]
        raise ValueError(f"{name} must hold only 0/1 values, got {bad!r}")
    return arr.astype(np.int64)


def rr_keep_probability(epsilon: float) -> float:
    """Probability that randomized response reports the true bit.

    Formula: ``p = e^ε / (1 + e^ε) = 1 / (1 + e^{-ε})``.

    Guarantee: with this ``p`` the likelihood ratio of any report under the two possible true bits
    is ``p / (1 - p) = e^ε``, i.e. ε-local differential privacy (Dwork & Roth 2014, Sec. 3.2).

    Parameters
    ----------
    epsilon : float
        Privacy-loss parameter, finite and > 0.

    Returns
    -------
    float
        The keep probability, in (1/2, 1).

    Raises
    ------
    ValueError, TypeError
        If ``epsilon`` is not a finite number > 0.

    Examples
    --------
    >>> round(rr_keep_probability(math.log(3)), 6)
    0.75
    """
    eps = check_epsilon(epsilon)
    return 1.0 / (1.0 + math.exp(-eps))


def randomized_response(bits: Any, epsilon: float, rng: np.random.Generator, *,
                        accountant: PrivacyAccountant | None = None,
                        label: str = "randomized_response") -> np.ndarray:
    """Randomize each bit: keep it with probability ``p = e^ε/(1+e^ε)``, flip it otherwise.

    Formula: ``r_i = b_i`` w.p. ``p`` and ``1 - b_i`` w.p. ``1 - p``, independently.

    Guarantee: each report ``r_i`` is ε-locally differentially private for its respondent
    (Warner 1965; Dwork & Roth 2014, Sec. 3.2).

    Parameters
    ----------
    bits : array_like of {0, 1}
        True answers (any shape, non-empty; booleans are accepted).
    epsilon : float
        Privacy-loss parameter, finite and > 0.
    rng : numpy.random.Generator
        Source of randomness.
    accountant : PrivacyAccountant, optional
        Charged (ε, 0) (each respondent reports once: parallel composition) *before* the noise is drawn; a refused call raises
        :class:`~mlops_course.privacy.dp.accountant.BudgetExceededError` and releases nothing.
    label : str
        Ledger label of the charge.

    Returns
    -------
    numpy.ndarray of int64
        The randomized reports, same shape as ``bits``.

    Raises
    ------
    ValueError, TypeError
        If ``bits`` is empty or holds values other than 0/1, or ``epsilon`` is invalid, or ``rng``
        is not a Generator.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> randomized_response([1, 0, 1, 1], epsilon=50.0, rng=rng).tolist()
    [1, 0, 1, 1]
    """
    arr = _check_bits("bits", bits)
    p = rr_keep_probability(epsilon)
    rng = check_rng(rng)
    charge(accountant, epsilon, 0.0, label)
    flip = rng.random(arr.shape) >= p
    return np.where(flip, 1 - arr, arr)


def rr_estimate(responses: Any, epsilon: float) -> float:
    """Unbiased estimate of the true proportion of 1s from randomized-response reports.

    Formula: with ``p = e^ε/(1+e^ε)`` and ``E[mean(r)] = (1-p) + (2p-1)·π``,

        π̂ = (mean(r) - (1 - p)) / (2p - 1),

    so ``E[π̂] = π`` (the estimate may fall outside [0, 1]; it is deliberately not clipped, which
    would bias it). Its variance depends on the model (Warner 1965):

    * fixed data set (the n true bits are given, only the coins are random):
      ``Var(π̂) = p(1-p) / (n (2p-1)^2)``;
    * population sampling (the n respondents are drawn at random from a population with
      proportion π): the sampling variance ``π(1-π)/n`` is added,
      ``Var(π̂) = π(1-π)/n + p(1-p) / (n (2p-1)^2)``.

    Parameters
    ----------
    responses : array_like of {0, 1}
        Reports produced by :func:`randomized_response` with the same ``epsilon`` (non-empty).
    epsilon : float
        The privacy-loss parameter the reports were generated with, finite and > 0.

    Returns
    -------
    float
        The unbiased estimate of the fraction of true 1s.

    Raises
    ------
    ValueError, TypeError
        If ``responses`` is empty or not 0/1, or ``epsilon`` is invalid.

    Examples
    --------
    >>> rr_estimate([1, 0, 0, 0], epsilon=math.log(3))  # p = 3/4: (0.25 - 0.25) / 0.5
    0.0
    """
    arr = _check_bits("responses", responses)
    p = rr_keep_probability(epsilon)
    return float((arr.mean() - (1.0 - p)) / (2.0 * p - 1.0))
