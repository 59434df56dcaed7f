"""The Gaussian mechanism: classic and analytic (Balle & Wang 2018) calibration.

Release ``f(D) + N(0, σ² I)`` where ``Δ₂ = max ‖f(D) - f(D')‖₂`` over neighbouring datasets.

* **Classic** calibration (Dwork & Roth 2014, Thm. A.1): ``σ = Δ₂ √(2 ln(1.25/δ)) / ε`` gives
  (ε, δ)-DP, but the proof only holds for ``0 < ε < 1``.
* **Analytic** calibration (Balle & Wang 2018, Thm. 8 and Alg. 1): the mechanism is (ε, δ)-DP iff

      δ >= Φ(Δ/(2σ) - εσ/Δ) - e^ε Φ(-Δ/(2σ) - εσ/Δ),

  which is exact (no slack) and valid for every ε > 0; the smallest such σ is found by a
  bracketing root finder (``scipy.optimize.brentq``) on this formula. It is always at most the
  classic σ, often much smaller.

References
----------
C. Dwork and A. Roth, *The Algorithmic Foundations of Differential Privacy*, 2014, App. A.
B. Balle and Y.-X. Wang, "Improving the Gaussian Mechanism for Differential Privacy: Analytical
Calibration and Optimal Denoising", ICML 2018 (arXiv:1805.06530).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import log_ndtr

from mlops_course._validation import (
    check_choice,
    check_delta,
    check_epsilon,
    check_nonnegative,
    check_positive,
    check_rng,
    check_sensitivity,
)
from mlops_course.privacy.dp._data import check_data
from mlops_course.privacy.dp.accountant import PrivacyAccountant, charge

__all__ = [
    "gaussian_sigma_classic",
    "gaussian_sigma_analytic",
    "gaussian_delta",
    "gaussian_mechanism",
]

_CALIBRATIONS = ("analytic", "classic")
_MAX_DOUBLINGS = 2100  # 2^±2100 spans every positive double: the bracket search always ends


def _log_delta(sigma: float, sensitivity: float, epsilon: float) -> float:
    """``log δ(ε)`` of the Gaussian mechanism, computed in log space (stable for large ε)."""
    a = sensitivity / (2.0 * sigma) - epsilon * sigma / sensitivity
    b = -sensitivity / (2.0 * sigma) - epsilon * sigma / sensitivity
    log_x = float(log_ndtr(a))
    log_y = epsilon + float(log_ndtr(b))
    if log_y >= log_x:  # difference below float resolution: δ is 0 to working precision
        return -math.inf
    return log_x + math.log1p(-math.exp(log_y - log_x))


def gaussian_delta(sigma: float, sensitivity: float, epsilon: float) -> float:
    """Exact δ(ε) of the Gaussian mechanism with noise ``σ`` and L2-sensitivity ``Δ``.

    Formula (Balle & Wang 2018, Thm. 8):

        δ(ε) = Φ(Δ/(2σ) - εσ/Δ) - e^ε Φ(-Δ/(2σ) - εσ/Δ),

    evaluated in log space with ``scipy.special.log_ndtr`` so that large ε does not overflow.

    Guarantee: ``f(D) + N(0, σ²)`` is (ε, δ)-DP if and only if ``δ >= gaussian_delta(σ, Δ, ε)``
    (this is the hockey-stick divergence between ``N(0, σ²)`` and ``N(Δ, σ²)``).

    Parameters
    ----------
    sigma : float
        Noise standard deviation, finite and > 0.
    sensitivity : float
        L2-sensitivity ``Δ₂``, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and >= 0 (ε = 0 gives the total-variation distance).

    Returns
    -------
    float
        δ in [0, 1).

    Raises
    ------
    ValueError, TypeError
        If ``sigma`` or ``sensitivity`` is not a finite number > 0, or ``epsilon`` is negative or
        not finite.

    Examples
    --------
    >>> round(gaussian_delta(1.0, 1.0, 0.0), 6)  # TV(N(0,1), N(1,1)) = 2Φ(1/2) - 1
    0.382925
    """
    s = check_positive("sigma", sigma)
    d = check_sensitivity(sensitivity)
    eps = check_nonnegative("epsilon", epsilon)
    return math.exp(_log_delta(s, d, eps))


def gaussian_sigma_classic(sensitivity: float, epsilon: float, delta: float) -> float:
    """Classic Gaussian-mechanism noise ``σ = Δ₂ √(2 ln(1.25/δ)) / ε``, valid for ε < 1 only.

    Formula: ``σ = Δ₂ · sqrt(2 ln(1.25/δ)) / ε``.

    Guarantee: (ε, δ)-DP for ``0 < ε < 1`` (Dwork & Roth 2014, Thm. A.1). The proof does not
    extend to ε >= 1, so this function refuses it; use :func:`gaussian_sigma_analytic`.

    Parameters
    ----------
    sensitivity : float
        L2-sensitivity ``Δ₂``, finite and > 0.
    epsilon : float
        Privacy-loss parameter, in (0, 1).
    delta : float
        Failure probability, in (0, 1).

    Returns
    -------
    float
        The noise standard deviation σ.

    Raises
    ------
    ValueError, TypeError
        If ``sensitivity`` is not > 0, ``delta`` not in (0, 1), or ``epsilon`` not in (0, 1)
        (the message for ε >= 1 points to the analytic calibration).

    Examples
    --------
    >>> round(gaussian_sigma_classic(1.0, 0.5, 1e-5), 4)
    9.6896
    """
    d = check_sensitivity(sensitivity)
    eps = check_epsilon(epsilon)
    dl = check_delta(delta)
    if eps >= 1.0:
        raise ValueError(
            f"epsilon must be < 1 for the classic Gaussian calibration (Dwork & Roth Thm. A.1), "
            f"got {epsilon!r}; use gaussian_sigma_analytic (Balle & Wang 2018), valid for all epsilon > 0"
        )
    return d * math.sqrt(2.0 * _log_125_over(dl)) / eps


def _log_125_over(delta: float) -> float:
    """``ln(1.25/δ)`` as ``ln 1.25 − ln δ``: finite for every δ > 0 (1.25/δ overflows below ~7e-309)."""
    return math.log(1.25) - math.log(delta)


def gaussian_sigma_analytic(sensitivity: float, epsilon: float, delta: float) -> float:
    """Smallest σ for which the Gaussian mechanism is (ε, δ)-DP (analytic Gaussian mechanism).

    Formula (Balle & Wang 2018, Alg. 1): σ solves ``δ(σ) = δ`` with

        δ(σ) = Φ(Δ/(2σ) - εσ/Δ) - e^ε Φ(-Δ/(2σ) - εσ/Δ),

    which is strictly decreasing in σ. We bracket the root in ``log σ`` (doubling from the
    classic-style guess ``Δ√(2 ln(1.25/δ))/ε``) and solve ``log δ(σ) = log δ`` with
    ``scipy.optimize.brentq`` to ~1e-15 relative precision. (Alg. 1 solves the same equation in the
    reparametrisation ``σ = αΔ/√(2ε)``; the root is identical.)

    Guarantee: (ε, δ)-DP for every ε > 0, and no smaller σ achieves it (Thm. 8 is an iff).

    Parameters
    ----------
    sensitivity : float
        L2-sensitivity ``Δ₂``, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and > 0.
    delta : float
        Failure probability, in (0, 1).

    Returns
    -------
    float
        The calibrated noise standard deviation σ.

    Raises
    ------
    ValueError, TypeError
        If an argument is outside its range.

    Examples
    --------
    >>> s = gaussian_sigma_analytic(1.0, 1.0, 1e-5)
    >>> abs(gaussian_delta(s, 1.0, 1.0) - 1e-5) < 1e-12
    True
    """
    d = check_sensitivity(sensitivity)
    eps = check_epsilon(epsilon)
    dl = check_delta(delta)
    target = math.log(dl)

    def f(log_sigma: float) -> float:
        value = _log_delta(math.exp(log_sigma), d, eps)
        return max(value, -1e300) - target  # keep brentq's arithmetic finite

    guess = math.log(d) + 0.5 * math.log(2.0 * _log_125_over(dl)) - math.log(eps)  # finite for any δ > 0
    lo = hi = guess
    for _ in range(_MAX_DOUBLINGS):  # δ(σ_lo) must exceed the target
        if f(lo) > 0.0:
            break
        lo -= math.log(2.0)
    else:
        raise ValueError(f"could not bracket sigma for sensitivity={sensitivity!r}, epsilon={epsilon!r}, "
                         f"delta={delta!r}")
    for _ in range(_MAX_DOUBLINGS):  # δ(σ_hi) must be below the target
        if f(hi) <= 0.0:
            break
        hi += math.log(2.0)
    else:
        raise ValueError(f"could not bracket sigma for sensitivity={sensitivity!r}, epsilon={epsilon!r}, "
                         f"delta={delta!r}")
    root = brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    return math.exp(root)


def gaussian_mechanism(
    value: Any,
    sensitivity: float,
    epsilon: float,
    delta: float,
    rng: np.random.Generator,
    calibration: str = "analytic",
    *,
    accountant: PrivacyAccountant | None = None,
    label: str = "gaussian_mechanism",
) -> float | np.ndarray:
    """Release ``value + N(0, σ²)`` noise, σ calibrated for (ε, δ)-DP.

    Formula: ``M(D) = f(D) + (Z_1, ..., Z_k)``, ``Z_i ~ N(0, σ²)`` i.i.d., with σ from
    :func:`gaussian_sigma_analytic` (default) or :func:`gaussian_sigma_classic`.

    Guarantee: (ε, δ)-DP when ``sensitivity`` bounds the L2-sensitivity of the whole vector
    ``f(D)`` (Balle & Wang 2018, Thm. 8; Dwork & Roth 2014, Thm. A.1 for the classic one).

    Parameters
    ----------
    value : float or array_like
        The exact query answer (finite, any shape, non-empty).
    sensitivity : float
        L2-sensitivity ``Δ₂``, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and > 0 (< 1 for ``calibration="classic"``).
    delta : float
        Failure probability, in (0, 1).
    rng : numpy.random.Generator
        Source of randomness.
    calibration : {"analytic", "classic"}, default "analytic"
        How σ is chosen.
    accountant : PrivacyAccountant, optional
        Charged (ε, δ) *before* the noise is drawn; a refused call raises
        :class:`~mlops_course.privacy.dp.accountant.BudgetExceededError` and releases nothing.
    label : str
        Ledger label of the charge.

    Returns
    -------
    float or numpy.ndarray
        A float for a scalar ``value``, otherwise a float array of the same shape.

    Raises
    ------
    ValueError, TypeError
        If an argument is outside its range or ``calibration`` is unknown.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> gaussian_mechanism([0.0, 1.0, 2.0], 1.0, 1.0, 1e-5, rng).shape
    (3,)
    """
    arr = check_data("value", value)
    check_choice("calibration", calibration, _CALIBRATIONS)
    if calibration == "analytic":
        sigma = gaussian_sigma_analytic(sensitivity, epsilon, delta)
    else:
        sigma = gaussian_sigma_classic(sensitivity, epsilon, delta)
    rng = check_rng(rng)
    charge(accountant, check_epsilon(epsilon), check_delta(delta), label)
    out = arr + rng.normal(0.0, sigma, size=arr.shape)
    return float(out) if out.ndim == 0 else out
