"""Rényi DP (RDP) and zero-concentrated DP (zCDP) of the Gaussian mechanism, and conversion to (ε, δ).

A mechanism is (α, ε_α)-RDP if the Rényi divergence of order α between its output
distributions on neighbouring data sets is at most ε_α (Mironov 2017). RDP composes by
*adding* the curves order by order, so it is the accounting tool of DP-SGD:

* Gaussian mechanism, L2 sensitivity Δ, noise N(0, σ²):     ε_α = α Δ² / (2σ²)
* same, as zCDP (ε_α = ρα for all α):                        ρ = Δ² / (2σ²)
* Poisson-subsampled Gaussian (rate q, noise multiplier σ),
  integer α >= 2 (Mironov, Talwar & Zhang 2019, Sec. 3.3):
      ε_α = 1/(α−1) · log Σ_{i=0}^{α} C(α, i) (1−q)^{α−i} q^i exp((i² − i) / (2σ²))
* k steps:                                                    k · ε_α

Conversions to (ε, δ) are in :func:`rdp_to_dp` and :func:`zcdp_to_dp`.
The neighbouring relation is add/remove one record (as in dp-accounting's default).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import gammaln, logsumexp

from mlops_course._validation import (
    check_choice,
    check_delta,
    check_finite_array,
    check_int,
    check_positive,
    check_probability,
    check_sensitivity,
)

__all__ = [
    "DEFAULT_ORDERS",
    "gaussian_rdp",
    "sampled_gaussian_rdp",
    "rdp_to_dp",
    "gaussian_zcdp",
    "zcdp_to_dp",
]

#: Integer RDP orders used by default (dense where DP-SGD's optimum usually lies).
DEFAULT_ORDERS: tuple[int, ...] = tuple(range(2, 65)) + (72, 80, 96, 128, 192, 256, 512, 1024)


def _check_orders(orders: Sequence[float] | float, *, integer: bool) -> np.ndarray:
    arr = check_finite_array("orders", np.atleast_1d(np.asarray(orders, dtype=float)), ndim=1)
    if np.any(arr <= 1):
        raise ValueError(f"orders must all be > 1, got {arr[arr <= 1].tolist()}")
    if integer and np.any(arr != np.round(arr)):
        raise ValueError(
            "orders must be integers >= 2 for the subsampled Gaussian (Mironov et al. 2019 integer "
            f"formula), got {arr[arr != np.round(arr)].tolist()}"
        )
    return arr


def gaussian_rdp(
    sigma: float, orders: Sequence[float] | float = DEFAULT_ORDERS, sensitivity: float = 1.0
) -> np.ndarray:
    """RDP curve of the Gaussian mechanism: ε_α = α Δ² / (2σ²).

    Parameters
    ----------
    sigma : float
        Standard deviation σ of the Gaussian noise, > 0.
    orders : sequence of float or float
        Rényi orders α > 1.
    sensitivity : float, default 1
        L2 sensitivity Δ of the query, > 0.

    Returns
    -------
    numpy.ndarray
        ε_α for each order (same length as ``orders``).

    Raises
    ------
    ValueError, TypeError
        If σ <= 0, Δ <= 0 or an order is <= 1 / not finite.

    References
    ----------
    I. Mironov, "Rényi Differential Privacy", CSF 2017, Proposition 7.

    Examples
    --------
    >>> gaussian_rdp(2.0, [2, 8])
    array([0.25, 1.  ])
    """
    sigma = check_positive("sigma", sigma)
    sensitivity = check_sensitivity(sensitivity)
    a = _check_orders(orders, integer=False)
    return a * sensitivity**2 / (2.0 * sigma**2)


def _log_a_int(q: float, sigma: float, orders: np.ndarray) -> np.ndarray:
    """log A_α = log Σ_{i=0}^{α} C(α,i)(1−q)^{α−i} q^i exp((i²−i)/(2σ²)) for integer orders."""
    max_a = int(orders.max())
    i = np.arange(max_a + 1, dtype=float)[:, None]  # (max_a + 1, 1)
    a = orders[None, :]  # (1, n_orders)
    with np.errstate(invalid="ignore"):
        terms = (
            gammaln(a + 1)
            - gammaln(i + 1)
            - gammaln(a - i + 1)
            + i * math.log(q)
            + (a - i) * math.log1p(-q)
            + (i * i - i) / (2.0 * sigma**2)
        )
    terms = np.where(i <= a, terms, -np.inf)
    return logsumexp(terms, axis=0)


def sampled_gaussian_rdp(
    q: float, noise_multiplier: float, steps: int = 1, orders: Sequence[int] | int = DEFAULT_ORDERS
) -> np.ndarray:
    """RDP of ``steps`` compositions of the Poisson-subsampled Gaussian mechanism (integer orders).

    Each step includes every record independently with probability q and adds N(0, σ²Δ²) to the
    sum of the (clipped, L2 sensitivity Δ) contributions; σ is the *noise multiplier*. For integer
    α >= 2 (Mironov, Talwar & Zhang 2019, Sec. 3.3, the bound used by TF Privacy / dp-accounting):

        ε_α = steps / (α − 1) · log Σ_{i=0}^{α} C(α, i) (1 − q)^{α−i} q^i exp((i² − i) / (2σ²)),

    evaluated in log space (log-sum-exp). For q = 1 this is the Gaussian ε_α = α / (2σ²).

    Parameters
    ----------
    q : float
        Sampling rate in (0, 1].
    noise_multiplier : float
        σ = noise standard deviation / clipping norm, > 0.
    steps : int, default 1
        Number of (independent) steps, >= 1.
    orders : sequence of int
        Integer Rényi orders >= 2.

    Returns
    -------
    numpy.ndarray
        ε_α per order, already multiplied by ``steps``.

    Raises
    ------
    ValueError, TypeError
        On q outside (0, 1], σ <= 0, steps < 1 or non-integer orders.

    References
    ----------
    I. Mironov, K. Talwar, L. Zhang, "Rényi Differential Privacy of the Sampled Gaussian
    Mechanism", arXiv:1908.10530, 2019, Section 3.3.

    Examples
    --------
    >>> float(sampled_gaussian_rdp(1.0, 2.0, 1, [4])[0])   # q = 1: plain Gaussian, 4 / (2·4)
    0.5
    """
    q = check_probability("q", q, open_low=True, open_high=False)
    sigma = check_positive("noise_multiplier", noise_multiplier)
    steps = check_int("steps", steps, minimum=1)
    a = _check_orders(orders, integer=True)
    if q == 1.0:
        return steps * a / (2.0 * sigma**2)
    return steps * _log_a_int(q, sigma, a) / (a - 1.0)


def rdp_to_dp(
    orders: Sequence[float], rdp: Sequence[float], delta: float, *, method: str = "improved"
) -> tuple[float, float]:
    """Convert an RDP curve to (ε, δ)-DP: the smallest ε over the given orders.

    ``method="improved"`` (default; identical to dp-accounting's ``RdpAccountant``):

        ε = min_α  ε_α + log(1 − 1/α) − log(δ α) / (α − 1)          (orders α > 1.01)

    (Canonne, Kamath & Steinke 2020, Prop. 12; Asoodeh et al. 2020, Eq. 20); and ε = 0 when the
    KL bound already gives δ >= sqrt(1 − e^{−ε_α}). Orders <= 1.01 are skipped (numerically
    unstable and never useful), exactly as in dp-accounting.

    ``method="classic"`` (Mironov 2017, Proposition 3):

        ε = min_α  ε_α + log(1/δ) / (α − 1).

    The improved value is never larger than the classic one for α >= 2.

    Parameters
    ----------
    orders : sequence of float
        Rényi orders α > 1.
    rdp : sequence of float
        ε_α per order, >= 0 (``inf`` allowed: that order is useless).
    delta : float
        Target δ in (0, 1).
    method : {"improved", "classic"}, default "improved"
        Conversion to use (see above).

    Returns
    -------
    (epsilon, order) : tuple of float
        The best ε and the order α that achieves it.

    Raises
    ------
    ValueError, TypeError
        On δ outside (0, 1), orders <= 1, negative or NaN RDP values, mismatched lengths,
        or an unknown method.

    References
    ----------
    C. Canonne, G. Kamath, T. Steinke, "The Discrete Gaussian for Differential Privacy",
    NeurIPS 2020, Proposition 12; I. Mironov, "Rényi Differential Privacy", CSF 2017, Prop. 3.

    Examples
    --------
    >>> orders = [2.0, 4.0, 8.0, 16.0, 32.0]
    >>> eps, a = rdp_to_dp(orders, gaussian_rdp(5.0, orders), 1e-5)
    >>> round(eps, 3), a
    (0.838, 16.0)
    """
    check_choice("method", method, ("improved", "classic"))
    delta = check_delta(delta)
    a = _check_orders(orders, integer=False)
    r = np.atleast_1d(np.asarray(rdp, dtype=float))
    if r.ndim != 1 or r.shape != a.shape:
        raise ValueError(f"rdp must be 1-dimensional with the same length as orders ({a.size}), got shape {r.shape}")
    if np.any(np.isnan(r)) or np.any(r < 0):
        raise ValueError("rdp values must be >= 0 (inf allowed), got NaN or a negative value")
    if method == "classic":
        with np.errstate(invalid="ignore"):
            eps = r + math.log(1 / delta) / (a - 1)
    else:  # "improved"
        eps = np.full_like(a, np.inf)
        with np.errstate(invalid="ignore", over="ignore"):
            kl_ok = delta**2 + np.expm1(-r) > 0
            big = a > 1.01
            eps[big] = r[big] + np.log1p(-1 / a[big]) - np.log(delta * a[big]) / (a[big] - 1)
        eps[kl_ok] = 0.0
    best = int(np.argmin(eps))
    return max(0.0, float(eps[best])), float(a[best])


def gaussian_zcdp(sigma: float, sensitivity: float = 1.0) -> float:
    """zCDP of the Gaussian mechanism: ρ = Δ² / (2σ²).

    The Gaussian mechanism with L2 sensitivity Δ and noise N(0, σ²) satisfies ρ-zCDP, i.e.
    (α, ρα)-RDP for every α > 1; ρ-zCDP composes additively (ρ₁ + ρ₂).

    Parameters
    ----------
    sigma : float
        Noise standard deviation, > 0.
    sensitivity : float, default 1
        L2 sensitivity Δ, > 0.

    Returns
    -------
    float
        ρ.

    References
    ----------
    M. Bun, T. Steinke, "Concentrated Differential Privacy: Simplifications, Extensions, and
    Lower Bounds", TCC 2016, Proposition 1.6.

    Examples
    --------
    >>> gaussian_zcdp(2.0)
    0.125
    """
    sigma = check_positive("sigma", sigma)
    sensitivity = check_sensitivity(sensitivity)
    return sensitivity**2 / (2.0 * sigma**2)


def zcdp_to_dp(rho: float, delta: float, *, method: str = "classic") -> float:
    """Convert ρ-zCDP to (ε, δ)-DP.

    ``method="classic"`` (Bun & Steinke 2016, Proposition 1.3):

        ε = ρ + 2 sqrt(ρ ln(1/δ)).

    ``method="improved"`` (Canonne, Kamath & Steinke 2020, Prop. 12 applied to the RDP curve ρα,
    minimised over all real α > 1; the conversion OpenDP uses):

        ε = inf_{α>1}  ρα + log(1 − 1/α) − log(δ α) / (α − 1),

    and ε = 0 if δ >= sqrt(1 − e^{−ρ}) (KL bound). Minimised numerically (the objective is
    unimodal in α; bounded Brent search, relative accuracy ~1e-12).

    Parameters
    ----------
    rho : float
        ρ > 0.
    delta : float
        Target δ in (0, 1).
    method : {"classic", "improved"}, default "classic"
        Conversion to use (see above).

    Returns
    -------
    float
        ε.

    Raises
    ------
    ValueError, TypeError
        On ρ <= 0, δ outside (0, 1) or an unknown method.

    Examples
    --------
    >>> round(zcdp_to_dp(0.125, 1e-5), 4)
    2.5243
    >>> round(zcdp_to_dp(0.125, 1e-5, method="improved"), 4)
    2.1657
    """
    check_choice("method", method, ("classic", "improved"))
    rho = check_positive("rho", rho)
    delta = check_delta(delta)
    log_inv_delta = math.log(1 / delta)
    if method == "classic":
        return rho + 2.0 * math.sqrt(rho * log_inv_delta)
    if delta**2 + math.expm1(-rho) > 0:
        return 0.0

    def objective(alpha: float) -> float:
        return rho * alpha + math.log1p(-1 / alpha) - (math.log(delta) + math.log(alpha)) / (alpha - 1)

    a_classic = 1.0 + math.sqrt(log_inv_delta / rho)  # optimum of the classic bound
    hi = max(4.0 * a_classic, 4.0)
    res = minimize_scalar(objective, bounds=(1.0 + 1e-9, hi), method="bounded", options={"xatol": 1e-12})
    return max(0.0, float(min(res.fun, objective(a_classic))))
