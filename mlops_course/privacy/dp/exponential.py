"""Private selection: the exponential mechanism and report-noisy-max.

Given candidates ``r = 0..k-1`` with utility scores ``u(D, r)`` whose sensitivity is
``Δu = max_r max_{D~D'} |u(D, r) - u(D', r)|``:

* **Exponential mechanism** (McSherry & Talwar 2007): ``P(r) ∝ exp(ε u(D, r) / (2Δu))``, ε-DP.
* **Report noisy max** (Dwork & Roth 2014, Sec. 3.3): ``argmax_r u(D, r) + Z_r`` with
  ``Z_r ~ Laplace(2Δu/ε)`` i.i.d., ε-DP for arbitrary scores; when the scores are *monotone*
  (all move in the same direction between neighbours, e.g. counts) the scale ``Δu/ε`` suffices
  (Dwork & Roth 2014, Claim 3.9).

References
----------
F. McSherry and K. Talwar, "Mechanism Design via Differential Privacy", FOCS 2007.
C. Dwork and A. Roth, *The Algorithmic Foundations of Differential Privacy*, 2014, Sec. 3.3-3.4.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from mlops_course._validation import (
    check_epsilon,
    check_int,
    check_rng,
    check_sensitivity,
)
from mlops_course.privacy.dp._data import check_data
from mlops_course.privacy.dp.accountant import PrivacyAccountant, charge

__all__ = ["exponential_mechanism_probabilities", "exponential_mechanism", "report_noisy_max"]


def _check_scores(scores: Any) -> np.ndarray:
    return check_data("scores", scores, ndim=1)


def _check_size(size: Any) -> int | None:
    return None if size is None else check_int("size", size, minimum=1)


def exponential_mechanism_probabilities(scores: Any, sensitivity: float, epsilon: float) -> np.ndarray:
    """Exact selection probabilities of the exponential mechanism.

    Formula: ``P(r) = exp(ε u_r / (2Δu)) / Σ_s exp(ε u_s / (2Δu))`` (a softmax, computed as
    ``exp(((u_r − max u)/Δu)·ε/2)`` normalised: the maximum is subtracted *before* scaling, so
    it never overflows, even for scores near ±1.8e308).

    Guarantee: for neighbouring score vectors (each score moves by at most ``Δu``) every
    probability changes by a factor at most ``e^ε`` (McSherry & Talwar 2007, Thm. 6).

    Parameters
    ----------
    scores : array_like, shape (k,)
        Utility of each candidate (finite, non-empty).
    sensitivity : float
        Utility sensitivity ``Δu``, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and > 0.

    Returns
    -------
    numpy.ndarray, shape (k,)
        Probabilities summing to 1.

    Raises
    ------
    ValueError, TypeError
        If ``scores`` is empty, not 1-D or not finite, or a parameter is out of range.

    Examples
    --------
    >>> exponential_mechanism_probabilities([0.0, 0.0], 1.0, 1.0).tolist()
    [0.5, 0.5]
    """
    u = _check_scores(scores)
    du = check_sensitivity(sensitivity)
    eps = check_epsilon(epsilon)
    # shift first, then scale: (u - max u)/Δu <= 0 never overflows to inf - inf = NaN
    # (scores such as [1e308, -1e308] overflowed eps·u/(2Δu) before the shift)
    with np.errstate(over="ignore"):
        logits = ((u - u.max()) / du) * (eps / 2.0)
    logits = np.nan_to_num(logits, nan=-np.inf, neginf=-np.inf)  # 0·inf only if Δu underflows
    logits[u == u.max()] = 0.0
    w = np.exp(logits)
    return w / w.sum()


def exponential_mechanism(
    scores: Any,
    sensitivity: float,
    epsilon: float,
    rng: np.random.Generator,
    size: int | None = None,
    *,
    accountant: PrivacyAccountant | None = None,
    label: str = "exponential_mechanism",
) -> int | np.ndarray:
    """Select a candidate index with probability ``∝ exp(ε u_r / (2Δu))``.

    Formula: inverse-CDF sampling from :func:`exponential_mechanism_probabilities`.

    Guarantee: ε-DP with respect to the data behind ``scores`` when ``sensitivity`` bounds how
    much any single score changes between neighbouring datasets (McSherry & Talwar 2007).
    Utility: with probability ``>= 1 - e^{-t}`` the chosen score is within
    ``2Δu (ln k + t)/ε`` of the best (Dwork & Roth 2014, Thm. 3.11).

    Parameters
    ----------
    scores : array_like, shape (k,)
        Utility of each candidate (finite, non-empty).
    sensitivity : float
        Utility sensitivity ``Δu``, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and > 0.
    rng : numpy.random.Generator
        Source of randomness.
    size : int, optional
        Number of independent selections (each one costs ε); ``None`` returns one ``int``.
    accountant : PrivacyAccountant, optional
        Charged (size·ε, 0) *before* the noise is drawn; a refused call raises
        :class:`~mlops_course.privacy.dp.accountant.BudgetExceededError` and releases nothing.
    label : str
        Ledger label of the charge.

    Returns
    -------
    int or numpy.ndarray of int64
        The selected index (or ``size`` of them).

    Raises
    ------
    ValueError, TypeError
        If an argument is outside its range.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> exponential_mechanism([0.0, 100.0, 0.0], 1.0, 1.0, rng)
    1
    """
    p = exponential_mechanism_probabilities(scores, sensitivity, epsilon)
    n = _check_size(size)
    rng = check_rng(rng)
    charge(accountant, check_epsilon(epsilon) * (1 if n is None else n), 0.0, label)
    cdf = np.cumsum(p)
    u = rng.random(1 if n is None else n) * cdf[-1]
    idx = np.minimum(np.searchsorted(cdf, u, side="right"), p.size - 1)
    return int(idx[0]) if n is None else idx.astype(np.int64)


def report_noisy_max(
    scores: Any,
    sensitivity: float,
    epsilon: float,
    rng: np.random.Generator,
    size: int | None = None,
    monotonic: bool = False,
    *,
    accountant: PrivacyAccountant | None = None,
    label: str = "report_noisy_max",
) -> int | np.ndarray:
    """Return ``argmax_r (u_r + Z_r)`` with Laplace noise ``Z_r``; only the index is released.

    Formula: ``Z_r ~ Laplace(0, 2Δu/ε)`` i.i.d. (``Laplace(0, Δu/ε)`` if ``monotonic``).

    Guarantee: ε-DP (Dwork & Roth 2014, Sec. 3.3; Claim 3.9 for monotone scores such as counting
    queries, where one individual moves all scores in the same direction by at most ``Δu``).
    Releasing the noisy *value* as well would cost more privacy.

    Parameters
    ----------
    scores : array_like, shape (k,)
        Utility of each candidate (finite, non-empty).
    sensitivity : float
        Score sensitivity ``Δu``, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and > 0.
    rng : numpy.random.Generator
        Source of randomness.
    size : int, optional
        Number of independent selections; ``None`` returns one ``int``.
    monotonic : bool, default False
        Set only if the scores are monotone in the data (then the noise scale halves).
    accountant : PrivacyAccountant, optional
        Charged (size·ε, 0) *before* the noise is drawn; a refused call raises
        :class:`~mlops_course.privacy.dp.accountant.BudgetExceededError` and releases nothing.
    label : str
        Ledger label of the charge.

    Returns
    -------
    int or numpy.ndarray of int64
        The selected index (or ``size`` of them).

    Raises
    ------
    ValueError, TypeError
        If an argument is outside its range.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> report_noisy_max([0.0, 100.0, 0.0], 1.0, 1.0, rng)
    1
    """
    u = _check_scores(scores)
    du = check_sensitivity(sensitivity)
    eps = check_epsilon(epsilon)
    n = _check_size(size)
    if not isinstance(monotonic, bool):
        raise TypeError(f"monotonic must be a bool, got {type(monotonic).__name__} {monotonic!r}")
    rng = check_rng(rng)
    charge(accountant, eps * (1 if n is None else n), 0.0, label)
    scale = (1.0 if monotonic else 2.0) * du / eps
    noisy = u + rng.laplace(0.0, scale, size=(1 if n is None else n, u.size))
    idx = np.argmax(noisy, axis=1)
    return int(idx[0]) if n is None else idx.astype(np.int64)
