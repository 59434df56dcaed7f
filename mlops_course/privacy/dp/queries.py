"""Differentially private counting, summing, averaging, histograms and quantiles.

Every query follows the same recipe: **bound** each person's influence (clip values to a public
range [lower, upper]), compute the **sensitivity** Δ of the bounded query, and add noise scaled to
Δ/ε (Laplace mechanism) or pick an answer with the exponential mechanism.

======================  =========================  ====================================
query                   sensitivity Δ₁             neighbouring relation
======================  =========================  ====================================
count                   1                          add/remove one record
sum of clipped values   max(|lower|, |upper|)      add/remove one record
                        upper − lower              replace one record
mean (n public)         (upper − lower) / n        replace one record (n fixed)
histogram (fixed bins)  1  (2 under replace)       add/remove (replace) one record
quantile                utility Δu = 1             exponential mechanism (Smith 2011)
======================  =========================  ====================================

The bounds and the bin edges must be chosen *without* looking at the data (domain knowledge or a
separate DP query); taking them from ``x.min()``/``x.max()`` leaks.

References
----------
C. Dwork, A. Roth, *The Algorithmic Foundations of Differential Privacy*, 2014, Sec. 3.3.
A. Smith, "Privacy-preserving statistical estimation with optimal convergence rates", STOC 2011.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from mlops_course._validation import (
    check_bounds,
    check_choice,
    check_epsilon,
    check_int,
    check_probability,
    check_rng,
)
from mlops_course.privacy.dp._data import check_data
from mlops_course.privacy.dp.accountant import PrivacyAccountant
from mlops_course.privacy.dp.exponential import exponential_mechanism
from mlops_course.privacy.dp.laplace import laplace_mechanism

__all__ = [
    "clip",
    "count_sensitivity",
    "sum_sensitivity",
    "mean_sensitivity",
    "histogram_sensitivity",
    "dp_count",
    "dp_sum",
    "dp_mean",
    "dp_histogram",
    "dp_quantile",
]

_RELATIONS = ("add_remove", "replace")


def _check_relation(relation: str) -> str:
    return check_choice("relation", relation, _RELATIONS)


def clip(x: Any, lower: float, upper: float) -> np.ndarray:
    """Clip every value to the public range [lower, upper] (bounds one person's influence).

    Parameters
    ----------
    x : array_like
        Finite values (any shape; may be empty).
    lower, upper : float
        Finite public bounds with lower < upper.

    Returns
    -------
    numpy.ndarray
        ``min(max(x, lower), upper)`` as floats, same shape as ``x``.

    Raises
    ------
    ValueError, TypeError
        On NaN/inf or non-numeric values, or lower >= upper.

    Examples
    --------
    >>> clip([-5.0, 0.5, 7.0], 0.0, 1.0)
    array([0. , 0.5, 1. ])
    """
    lo, hi = check_bounds(lower, upper)
    arr = check_data("x", x, allow_empty=True)
    return np.clip(arr, lo, hi)


def count_sensitivity(relation: str = "add_remove") -> float:
    """L1 sensitivity of a count: 1 under add/remove (one record changes the count by 1).

    Under "replace one record" the number of records is unchanged, so the sensitivity is 0
    (the size n is then public; counting records *with a property* still has sensitivity 1).

    Parameters
    ----------
    relation : {"add_remove", "replace"}

    Returns
    -------
    float

    Examples
    --------
    >>> count_sensitivity()
    1.0
    """
    return 1.0 if _check_relation(relation) == "add_remove" else 0.0


def sum_sensitivity(lower: float, upper: float, relation: str = "add_remove") -> float:
    """L1 sensitivity of the sum of values clipped to [lower, upper].

    * add/remove: one record contributes a value in [lower, upper], so Δ = max(|lower|, |upper|);
    * replace: one value moves within [lower, upper], so Δ = upper − lower.

    Parameters
    ----------
    lower, upper : float
        Finite clipping bounds, lower < upper.
    relation : {"add_remove", "replace"}

    Returns
    -------
    float

    Examples
    --------
    >>> sum_sensitivity(-2.0, 5.0), sum_sensitivity(-2.0, 5.0, relation="replace")
    (5.0, 7.0)
    """
    lo, hi = check_bounds(lower, upper)
    if _check_relation(relation) == "replace":
        return hi - lo
    return max(abs(lo), abs(hi))


def mean_sensitivity(lower: float, upper: float, n: int) -> float:
    """L1 sensitivity of the mean of n values clipped to [lower, upper], n public: (upper − lower)/n.

    With n fixed and public, neighbouring data sets differ by replacing one record, whose value
    moves by at most upper − lower; the mean moves by that over n.

    Parameters
    ----------
    lower, upper : float
        Finite clipping bounds, lower < upper.
    n : int
        Number of records (public), >= 1.

    Returns
    -------
    float

    Examples
    --------
    >>> mean_sensitivity(0.0, 100.0, 50)
    2.0
    """
    lo, hi = check_bounds(lower, upper)
    n = check_int("n", n, minimum=1)
    return (hi - lo) / n


def histogram_sensitivity(relation: str = "add_remove") -> float:
    """L1 sensitivity of a histogram with fixed (data-independent) bins.

    Adding or removing one record changes exactly one bin by 1 (Δ = 1); replacing one record may
    move it between two bins (Δ = 2). Bins are disjoint, so this is parallel composition: the whole
    histogram costs ε, not ε per bin.

    Parameters
    ----------
    relation : {"add_remove", "replace"}

    Returns
    -------
    float

    Examples
    --------
    >>> histogram_sensitivity(), histogram_sensitivity("replace")
    (1.0, 2.0)
    """
    return 1.0 if _check_relation(relation) == "add_remove" else 2.0


def dp_count(x: Any, epsilon: float, rng: np.random.Generator, *,
        accountant: PrivacyAccountant | None = None) -> float:
    """ε-DP count of records: len(x) + Laplace(1/ε).

    Guarantee: ε-DP under add/remove one record (Δ = 1; Dwork & Roth 2014, Ex. 3.1).
    Every row counts, whatever its value (a record with a missing value is still a person); an
    empty data set is allowed (true count 0), since refusing it would itself reveal the size.

    Parameters
    ----------
    x : array_like
        The records, one per row (length along the first axis).
    epsilon : float
        ε > 0.
    rng : numpy.random.Generator
    accountant : PrivacyAccountant, optional
        Charged (ε, 0) before any noise is drawn; refused queries release nothing.

    Returns
    -------
    float
        The noisy count (may be negative or fractional; round/clamp afterwards: post-processing).

    Raises
    ------
    ValueError, TypeError
        On ε <= 0, a scalar ``x`` (not a sequence of records) or an invalid rng.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> isinstance(dp_count(np.zeros(100), 1.0, rng), float)
    True
    """
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            raise ValueError("x must be a sequence of records (at least 1-dimensional), got a 0-d array")
        n = x.shape[0]
    elif isinstance(x, str | bytes) or not hasattr(x, "__len__"):
        raise TypeError(f"x must be a sequence of records (list, array, data frame), got {type(x).__name__}")
    else:
        n = len(x)
    return float(laplace_mechanism(float(n), count_sensitivity(), epsilon, rng,
                                   accountant=accountant, label="dp_count"))


def dp_sum(x: Any, lower: float, upper: float, epsilon: float, rng: np.random.Generator, *,
        accountant: PrivacyAccountant | None = None) -> float:
    """ε-DP sum: Σ clip(xᵢ, lower, upper) + Laplace(max(|lower|, |upper|)/ε).

    Guarantee: ε-DP under add/remove one record (Δ₁ = max(|lower|, |upper|)).

    Parameters
    ----------
    x : array_like, 1-D
        Finite values (may be empty: true sum 0).
    lower, upper : float
        Public clipping bounds, lower < upper.
    epsilon : float
        ε > 0.
    rng : numpy.random.Generator
    accountant : PrivacyAccountant, optional
        Charged (ε, 0) before any noise is drawn; refused queries release nothing.

    Returns
    -------
    float

    Raises
    ------
    ValueError, TypeError
        On NaN/inf, non-1-D input, lower >= upper or ε <= 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> abs(dp_sum(np.ones(1000), 0.0, 1.0, 1.0, rng) - 1000) < 20
    True
    """
    arr = check_data("x", x, ndim=1, allow_empty=True)
    clipped = clip(arr, lower, upper)
    return float(laplace_mechanism(float(clipped.sum()), sum_sensitivity(lower, upper), epsilon, rng,
                                   accountant=accountant, label="dp_sum"))


def dp_mean(x: Any, lower: float, upper: float, epsilon: float, rng: np.random.Generator, *,
        accountant: PrivacyAccountant | None = None) -> float:
    """ε-DP mean with n public: mean(clip(x, lower, upper)) + Laplace((upper − lower)/(n ε)).

    Guarantee: ε-DP under replace-one-record neighbouring with n = len(x) public
    (Δ₁ = (upper − lower)/n). The result is not clamped to [lower, upper]; clamp it afterwards if
    you like (post-processing). Clipping biases the mean when data fall outside the bounds.

    Parameters
    ----------
    x : array_like, 1-D
        Finite values, non-empty.
    lower, upper : float
        Public clipping bounds, lower < upper.
    epsilon : float
        ε > 0.
    rng : numpy.random.Generator
    accountant : PrivacyAccountant, optional
        Charged (ε, 0) before any noise is drawn; refused queries release nothing.

    Returns
    -------
    float

    Raises
    ------
    ValueError, TypeError
        On an empty or non-1-D array, NaN/inf, lower >= upper or ε <= 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> abs(dp_mean(np.full(1000, 0.5), 0.0, 1.0, 1.0, rng) - 0.5) < 0.02
    True
    """
    arr = check_data("x", x, ndim=1)
    clipped = clip(arr, lower, upper)
    sens = mean_sensitivity(lower, upper, arr.size)
    return float(laplace_mechanism(float(clipped.mean()), sens, epsilon, rng,
                                   accountant=accountant, label="dp_mean"))


def dp_histogram(x: Any, bins: Any, epsilon: float, rng: np.random.Generator, *,
        accountant: PrivacyAccountant | None = None) -> np.ndarray:
    """ε-DP histogram over fixed bin edges: true counts + i.i.d. Laplace(1/ε) per bin.

    Guarantee: ε-DP under add/remove one record (Δ₁ = 1: one record is in at most one bin).
    Counting follows ``numpy.histogram`` (bins half-open, the last one closed); values outside
    [bins[0], bins[-1]] are not counted.

    Parameters
    ----------
    x : array_like, 1-D
        Finite values (may be empty).
    bins : array_like, 1-D
        Strictly increasing, finite bin edges (at least 2), fixed before seeing the data
        (an integer number of bins is refused: numpy would derive the edges from the data).
    epsilon : float
        ε > 0.
    rng : numpy.random.Generator
    accountant : PrivacyAccountant, optional
        Charged (ε, 0) before any noise is drawn; refused queries release nothing.

    Returns
    -------
    numpy.ndarray
        Noisy counts, shape (len(bins) − 1,).

    Raises
    ------
    ValueError, TypeError
        On NaN/inf, bad edges (not increasing, fewer than 2, an integer), or ε <= 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> dp_histogram([0.1, 0.2, 0.7], [0.0, 0.5, 1.0], 1.0, rng).shape
    (2,)
    """
    arr = check_data("x", x, ndim=1, allow_empty=True)
    if np.ndim(bins) == 0:
        raise TypeError(
            "bins must be an array of bin edges fixed in advance, not a number of bins "
            f"(numpy would take the edges from the data), got {bins!r}"
        )
    edges = check_data("bins", bins, ndim=1)
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"bins must be at least 2 strictly increasing edges, got {edges.tolist()}")
    counts, _ = np.histogram(arr, bins=edges)
    return np.asarray(laplace_mechanism(counts.astype(float), histogram_sensitivity(), epsilon, rng,
                                        accountant=accountant, label="dp_histogram"))


def dp_quantile(
    x: Any, q: float, lower: float, upper: float, epsilon: float, rng: np.random.Generator, *,
    accountant: PrivacyAccountant | None = None,
) -> float:
    """ε-DP q-quantile by the exponential mechanism over intervals (Smith 2011).

    Sort the clipped data z₁ <= … <= z_n and add z₀ = lower, z_{n+1} = upper. Interval
    Iᵢ = [zᵢ, z_{i+1}] (i = 0..n) has exactly i points below it; its utility is
    u(i) = −|i − q n| (sensitivity 1). Pick interval i with probability

        P(i) ∝ (z_{i+1} − zᵢ) · exp(ε u(i) / 2),

    then output a uniform point of Iᵢ. This is the exponential mechanism on [lower, upper] with
    utility u(y) = −|#{xⱼ < y} − q n| and the Lebesgue base measure, hence ε-DP.
    Implementation: Helper A's ``exponential_mechanism`` is called with scores
    u(i) + (2/ε)·ln(length of Iᵢ), so exp(ε·score/2) = length · exp(ε u/2); empty intervals
    (ties) have probability 0 and are dropped.

    Parameters
    ----------
    x : array_like, 1-D
        Finite values, non-empty.
    q : float
        Quantile level in [0, 1] (0.5 = median).
    lower, upper : float
        Public bounds of the output range, lower < upper.
    epsilon : float
        ε > 0.
    rng : numpy.random.Generator
    accountant : PrivacyAccountant, optional
        Charged (ε, 0) before any noise is drawn; refused queries release nothing.

    Returns
    -------
    float
        A value in [lower, upper].

    Raises
    ------
    ValueError, TypeError
        On an empty or non-1-D array, NaN/inf, q outside [0, 1], lower >= upper or ε <= 0.

    References
    ----------
    A. Smith, "Privacy-preserving statistical estimation with optimal convergence rates", STOC 2011;
    F. McSherry, K. Talwar, "Mechanism design via differential privacy", FOCS 2007.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.arange(1001.0) / 1000
    >>> abs(dp_quantile(x, 0.5, 0.0, 1.0, 1.0, rng) - 0.5) < 0.05
    True
    """
    arr = check_data("x", x, ndim=1)
    q = check_probability("q", q, open_low=False, open_high=False)
    lo, hi = check_bounds(lower, upper)
    epsilon = check_epsilon(epsilon)
    rng = check_rng(rng)
    z = np.sort(clip(arr, lo, hi))
    edges = np.concatenate([[lo], z, [hi]])
    lengths = np.diff(edges)
    ranks = np.arange(arr.size + 1, dtype=float)
    utility = -np.abs(ranks - q * arr.size)
    keep = np.flatnonzero(lengths > 0)
    scores = utility[keep] + (2.0 / epsilon) * np.log(lengths[keep])
    j = keep[int(exponential_mechanism(scores, 1.0, epsilon, rng, accountant=accountant, label="dp_quantile"))]
    return float(rng.uniform(edges[j], edges[j + 1]))
