"""Integer-valued noise: discrete Laplace (two-sided geometric) and discrete Gaussian.

Integer noise added to an integer query keeps every output an integer, so there are no
floating-point low bits to leak (contrast :mod:`.laplace`, see Mironov 2012).

* Discrete Laplace with scale ``t``: ``P(K = k) = (1-q)/(1+q) · q^|k|``, ``q = e^{-1/t}``
  (scipy's ``dlaplace(a=1/t)``). Adding it to an integer query with sensitivity ``Δ`` and
  ``t = Δ/ε`` is ε-DP (Ghosh, Roughgarden & Sundararajan 2012: the geometric mechanism).
* Discrete Gaussian with parameter ``σ``: ``P(K = k) ∝ exp(-k²/(2σ²))``, ``k ∈ ℤ``. Adding it to
  an integer query with L2-sensitivity ``Δ`` is ``Δ²/(2σ²)``-zCDP (Canonne, Kamath & Steinke
  2020, Thm. 4).

Sampling runs on bulk random 64-bit words (``rng=None``: the OS CSPRNG) with vectorised numpy
code; see :mod:`._securerandom` for the inverse-CDF construction of the discrete Laplace.
The discrete Gaussian uses the rejection sampler of Canonne, Kamath & Steinke (2020, Alg. 3).
This is the *accurate float* version of those exact samplers: acceptance and bucket boundaries are
computed in float64 (relative error per probability about ``max(t, σ) · 2⁻⁴⁵``), instead of the
arbitrary-precision rational arithmetic of the paper; the supports are the full integers.

References
----------
A. Ghosh, T. Roughgarden, M. Sundararajan, "Universally Utility-Maximizing Privacy Mechanisms",
SIAM J. Comput. 41(6), 2012. C. Canonne, G. Kamath, T. Steinke, "The Discrete Gaussian for
Differential Privacy", NeurIPS 2020 (arXiv:2004.00010). M. Bun, T. Steinke, "Concentrated
Differential Privacy: Simplifications, Extensions, and Lower Bounds", TCC 2016.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlops_course._validation import check_int, check_positive, check_rng
from mlops_course.privacy.dp import _securerandom as _sr

__all__ = ["discrete_laplace", "discrete_gaussian"]

_MAX_SCALE = 2.0**40  # keeps t·E exactly representable as an integer-valued float


def _check_size(size: Any) -> tuple[int, ...]:
    if isinstance(size, tuple):
        shape = tuple(check_int("size", s, minimum=1) for s in size)
        if not shape:
            raise ValueError("size must be a positive int or a non-empty tuple of positive ints, got ()")
        return shape
    return (check_int("size", size, minimum=1),)


def _check_source(rng: Any) -> np.random.Generator | None:
    return None if rng is None else check_rng(rng)


def _check_parameter(name: str, value: Any) -> float:
    out = check_positive(name, value)
    if out > _MAX_SCALE:
        raise ValueError(f"{name} must be <= 2**40 for the float samplers, got {value!r}")
    return out


def discrete_laplace(scale: float, size: int | tuple[int, ...], rng: np.random.Generator | None) -> np.ndarray:
    """Draw discrete Laplace (two-sided geometric) noise, ``P(k) ∝ exp(-|k|/scale)``.

    Formula: ``P(K = k) = (1-q)/(1+q) · q^|k|`` with ``q = e^{-1/scale}``, ``k ∈ ℤ``;
    ``Var K = 2q/(1-q)²``. Sampled as a random sign times the inverse-CDF magnitude
    ``floor(scale · (E + ln(2/(1+q))))``, ``E ~ Exp(1)`` (see :mod:`._securerandom`).

    Guarantee: for an integer query with L1-sensitivity ``Δ``, ``f(D) + K`` with
    ``scale = Δ/ε`` is ε-DP, since ``P(k)/P(k+d) <= q^{-|d|} = e^{|d|/scale}`` (Ghosh,
    Roughgarden & Sundararajan 2012; Canonne, Kamath & Steinke 2020, Sec. 2).

    Parameters
    ----------
    scale : float
        Scale ``t > 0`` (at most ``2**40``).
    size : int or tuple of int
        Output shape (positive sizes).
    rng : numpy.random.Generator or None
        Source of randomness; ``None`` uses the operating system's CSPRNG (``os.urandom``).

    Returns
    -------
    numpy.ndarray of int64
        The samples.

    Raises
    ------
    ValueError, TypeError
        If ``scale`` is not a finite number in (0, 2**40], ``size`` is not a positive int/tuple,
        or ``rng`` is neither ``None`` nor a Generator.

    Examples
    --------
    >>> k = discrete_laplace(2.0, 5, np.random.default_rng(0))
    >>> k.dtype, k.shape
    (dtype('int64'), (5,))
    """
    t = _check_parameter("scale", scale)
    shape = _check_size(size)
    source = _check_source(rng)
    return _sr.discrete_laplace_t(t, math.prod(shape), source).reshape(shape)


def discrete_gaussian(sigma: float, size: int | tuple[int, ...], rng: np.random.Generator | None) -> np.ndarray:
    """Draw discrete Gaussian noise ``P(k) ∝ exp(-k²/(2σ²))`` on the integers.

    Formula (Canonne, Kamath & Steinke 2020, Alg. 3): with ``t = floor(σ) + 1``, repeat
    ``Y ~ DLap(t)`` and accept with probability ``exp(-(|Y| - σ²/t)² / (2σ²))``; the accepted
    ``Y`` has exactly the discrete Gaussian law. The acceptance test is done as
    ``E > (|Y| - σ²/t)²/(2σ²)`` with ``E ~ Exp(1)``, all candidates of a round in one vectorised
    batch (expected number of rounds per sample is below 2 for ``σ >= 1``).

    Guarantee: for an integer query with L2-sensitivity ``Δ``, ``f(D) + K`` is
    ``ρ = Δ²/(2σ²)``-zCDP (CKS 2020, Thm. 4), hence (ε, δ)-DP for every ``ε >= ρ`` with
    ``δ = exp(-(ε - ρ)²/(4ρ))`` (Bun & Steinke 2016, Prop. 1.3; the bound says nothing for
    ``ε < ρ``). The tighter conversion of CKS 2020, Prop. 12, is
    :func:`mlops_course.privacy.dp.rdp.zcdp_to_dp` with ``method="improved"``.

    Parameters
    ----------
    sigma : float
        Parameter ``σ > 0`` (at most ``2**40``); the variance is slightly below ``σ²``.
    size : int or tuple of int
        Output shape (positive sizes).
    rng : numpy.random.Generator or None
        Source of randomness; ``None`` uses the operating system's CSPRNG (``os.urandom``).

    Returns
    -------
    numpy.ndarray of int64
        The samples.

    Raises
    ------
    ValueError, TypeError
        If ``sigma`` is not a finite number in (0, 2**40], ``size`` is not a positive int/tuple,
        or ``rng`` is neither ``None`` nor a Generator.

    Examples
    --------
    >>> k = discrete_gaussian(3.0, (2, 3), np.random.default_rng(0))
    >>> k.dtype, k.shape
    (dtype('int64'), (2, 3))
    """
    s = _check_parameter("sigma", sigma)
    shape = _check_size(size)
    source = _check_source(rng)
    n = math.prod(shape)
    t = math.floor(s) + 1.0
    centre = s * s / t
    two_var = 2.0 * s * s
    out = np.empty(n, dtype=np.int64)
    filled, rate = 0, 0.5  # acceptance rate, re-estimated after each round to size the next batch
    while filled < n:
        m = int(1.1 * (n - filled) / rate) + 64
        y = _sr.discrete_laplace_t(t, m, source)
        e = _sr.standard_exponential(_sr.random_words(m, source), source)
        accepted = y[e > (np.abs(y) - centre) ** 2 / two_var]
        rate = max(accepted.size / m, 0.05)
        take = min(accepted.size, n - filled)
        out[filled : filled + take] = accepted[:take]
        filled += take
    return out.reshape(shape)
