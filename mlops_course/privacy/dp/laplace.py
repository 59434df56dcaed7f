"""The Laplace mechanism (Dwork, McSherry, Nissim & Smith 2006).

Release ``f(D) + Z`` with ``Z ~ Laplace(0, b)``, density ``exp(-|z|/b) / (2b)``, and scale
``b = Δ₁/ε`` where ``Δ₁ = max ‖f(D) - f(D')‖₁`` over neighbouring datasets. For outputs ``y`` the
density ratio is ``exp((|y - f(D')|₁ - |y - f(D)|₁)/b) <= exp(Δ₁/b) = e^ε``: pure ε-DP.

This module uses numpy's float sampler (fast, the textbook mechanism). On real floating-point
hardware its low-order bits can reveal the input (Mironov 2012); see :mod:`.fpsafe` for the
grid (snapping) version that closes that leak.

References
----------
C. Dwork, F. McSherry, K. Nissim, A. Smith, "Calibrating noise to sensitivity in private data
analysis", TCC 2006. C. Dwork and A. Roth, *The Algorithmic Foundations of Differential
Privacy*, 2014, Def. 3.3 and Thm. 3.6.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlops_course._validation import (
    check_epsilon,
    check_positive,
    check_probability,
    check_rng,
    check_sensitivity,
)
from mlops_course.privacy.dp._data import check_data
from mlops_course.privacy.dp.accountant import PrivacyAccountant, charge

__all__ = ["laplace_scale", "laplace_mechanism", "laplace_halfwidth"]


def laplace_scale(sensitivity: float, epsilon: float) -> float:
    """Scale of the Laplace noise that makes a query ε-DP.

    Formula: ``b = Δ₁ / ε``.

    Guarantee: ``f(D) + Laplace(0, b)`` is ε-differentially private when ``Δ₁`` bounds the
    L1-sensitivity of ``f`` (Dwork & Roth 2014, Thm. 3.6).

    Parameters
    ----------
    sensitivity : float
        L1-sensitivity ``Δ₁`` of the query, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and > 0.

    Returns
    -------
    float
        The noise scale ``b``.

    Raises
    ------
    ValueError, TypeError
        If an argument is not a finite number > 0.

    Examples
    --------
    >>> laplace_scale(1.0, 0.5)
    2.0
    """
    return check_sensitivity(sensitivity) / check_epsilon(epsilon)


def laplace_mechanism(
    value: Any, sensitivity: float, epsilon: float, rng: np.random.Generator, *,
    accountant: PrivacyAccountant | None = None, label: str = "laplace_mechanism",
) -> float | np.ndarray:
    """Release ``value + Laplace(0, Δ₁/ε)`` noise (independent noise per coordinate).

    Formula: ``M(D) = f(D) + (Z_1, ..., Z_k)``, ``Z_i ~ Laplace(0, b)`` i.i.d., ``b = Δ₁/ε``.

    Guarantee: ε-differential privacy when ``sensitivity`` bounds the L1-sensitivity of the whole
    vector ``f(D)`` (Dwork, McSherry, Nissim & Smith 2006; Dwork & Roth 2014, Thm. 3.6). Float
    caveat: the textbook float sampler leaks through its low bits (Mironov 2012); use
    :func:`mlops_course.privacy.dp.fpsafe.grid_laplace_mechanism` when that matters.

    Parameters
    ----------
    value : float or array_like
        The exact query answer ``f(D)`` (finite; any shape, non-empty).
    sensitivity : float
        L1-sensitivity ``Δ₁``, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and > 0.
    rng : numpy.random.Generator
        Source of randomness.
    accountant : PrivacyAccountant, optional
        Charged (ε, 0) *before* the noise is drawn; a refused call raises
        :class:`~mlops_course.privacy.dp.accountant.BudgetExceededError` and releases nothing.
    label : str
        Ledger label of the charge.

    Returns
    -------
    float or numpy.ndarray
        A float for a scalar ``value``, otherwise a float array of the same shape.

    Raises
    ------
    BudgetExceededError
        If ``accountant`` cannot afford ε (no noise is drawn).
    ValueError, TypeError
        If ``value`` is empty, not finite or text, ``sensitivity``/``epsilon`` are not finite numbers
        > 0, or ``rng`` is not a Generator.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> isinstance(laplace_mechanism(10.0, 1.0, 1.0, rng), float)
    True
    >>> laplace_mechanism([1.0, 2.0], 1.0, 1.0, rng).shape
    (2,)
    """
    arr = check_data("value", value)
    b = laplace_scale(sensitivity, epsilon)
    rng = check_rng(rng)
    charge(accountant, check_epsilon(epsilon), 0.0, label)
    out = arr + rng.laplace(0.0, b, size=arr.shape)
    return float(out) if out.ndim == 0 else out


def laplace_halfwidth(scale: float, confidence: float = 0.95) -> float:
    """Half-width ``h`` of the central interval holding Laplace noise with the given confidence.

    Formula: ``P(|Z| <= h) = 1 - exp(-h/b) = confidence``  ⇒  ``h = b · ln(1 / (1 - confidence))``
    (95% → ``b·ln 20 ≈ 3.0 b``). With ``b = Δ₁/ε`` this is the accuracy statement of the Laplace
    mechanism: ``|M(D) - f(D)| <= h`` with probability ``confidence`` (Dwork & Roth 2014,
    Thm. 3.8).

    Parameters
    ----------
    scale : float
        Laplace scale ``b``, finite and > 0.
    confidence : float, default 0.95
        Coverage probability, in (0, 1).

    Returns
    -------
    float
        The half-width ``h``.

    Raises
    ------
    ValueError, TypeError
        If ``scale`` is not a finite number > 0 or ``confidence`` is not in (0, 1).

    Examples
    --------
    >>> round(laplace_halfwidth(1.0, 0.95), 6)
    2.995732
    """
    b = check_positive("scale", scale)
    c = check_probability("confidence", confidence)
    return b * -math.log1p(-c)
