"""How accurate is a DP release? Confidence half-widths of the added noise.

For noise X added to a true answer f(D), the released value y = f(D) + X satisfies
P(|y − f(D)| <= h) = confidence with

* Laplace(b):   h = b · ln(1 / (1 − confidence))         (95 %: ln(20)·b ≈ 3.00 b)
  -> :func:`mlops_course.privacy.dp.laplace.laplace_halfwidth` (Helper A's module, reused here);
* Gaussian(σ):  h = z_{(1+confidence)/2} · σ              (95 %: 1.95996 σ).

The interval [y − h, y + h] covers the true answer with that probability *over the noise only*:
it ignores clipping bias and sampling error, and it is computed from public parameters (b, σ),
so publishing it costs no extra privacy.
"""
from __future__ import annotations

from scipy.stats import norm

from mlops_course._validation import check_choice, check_positive, check_probability
from mlops_course.privacy.dp._data import check_data
from mlops_course.privacy.dp.laplace import laplace_halfwidth

__all__ = ["gaussian_halfwidth", "noise_halfwidth", "noise_interval"]


def gaussian_halfwidth(sigma: float, confidence: float = 0.95) -> float:
    """Half-width h with P(|N(0, σ²)| <= h) = confidence: h = Φ⁻¹((1 + confidence)/2) · σ.

    Parameters
    ----------
    sigma : float
        Standard deviation of the Gaussian noise, > 0.
    confidence : float, default 0.95
        Coverage probability in (0, 1).

    Returns
    -------
    float
        h (1.959964·σ for 95 %).

    Raises
    ------
    ValueError, TypeError
        If σ <= 0 or confidence is outside (0, 1).

    References
    ----------
    Any statistics text: the two-sided normal quantile; e.g. Wasserman, *All of Statistics*, 2004, Sec. 6.3.

    Examples
    --------
    >>> round(gaussian_halfwidth(1.0), 6)
    1.959964
    """
    sigma = check_positive("sigma", sigma)
    confidence = check_probability("confidence", confidence)
    return float(norm.ppf(0.5 + confidence / 2.0) * sigma)


def noise_halfwidth(distribution: str, scale: float, confidence: float = 0.95) -> float:
    """Half-width of the noise for ``distribution`` in {"laplace", "gaussian"}.

    Parameters
    ----------
    distribution : {"laplace", "gaussian"}
        Which noise: Laplace with scale b, or Gaussian with standard deviation σ.
    scale : float
        b (Laplace) or σ (Gaussian), > 0.
    confidence : float, default 0.95
        Coverage probability in (0, 1).

    Returns
    -------
    float
        ``laplace_halfwidth(b, confidence)`` = b·ln(1/(1−confidence)) or
        ``gaussian_halfwidth(σ, confidence)``.

    Raises
    ------
    ValueError
        For an unknown distribution, scale <= 0 or confidence outside (0, 1).

    Examples
    --------
    >>> round(noise_halfwidth("laplace", 1.0), 6)   # ln(20)
    2.995732
    """
    check_choice("distribution", distribution, ("laplace", "gaussian"))
    if distribution == "laplace":
        return float(laplace_halfwidth(scale, confidence))
    return gaussian_halfwidth(scale, confidence)


def noise_interval(
    released: float, distribution: str, scale: float, confidence: float = 0.95
) -> tuple[float, float]:
    """Interval [y − h, y + h] around a released value y that covers the true answer w.p. ``confidence``.

    Parameters
    ----------
    released : float
        The DP output y (finite).
    distribution : {"laplace", "gaussian"}
    scale : float
        b (Laplace) or σ (Gaussian), > 0.
    confidence : float, default 0.95

    Returns
    -------
    (low, high) : tuple of float

    Examples
    --------
    >>> lo, hi = noise_interval(10.0, "gaussian", 1.0)
    >>> round(lo, 3), round(hi, 3)
    (8.04, 11.96)
    """
    y = float(check_data("released", released, ndim=0))
    h = noise_halfwidth(distribution, scale, confidence)
    return y - h, y + h
