"""Composition, post-processing and group privacy of (ε, δ)-differential privacy.

Running several DP analyses on the same data spends privacy; this module says how much.

==========================  =========================================================  ===========================
rule                        total guarantee                                            source
==========================  =========================================================  ===========================
basic (sequential)          (Σ εᵢ, Σ δᵢ)                                               Dwork & Roth 2014, Thm 3.16
advanced (k-fold)           (sqrt(2k ln(1/δ'))·ε + kε(e^ε − 1), kδ + δ')               Dwork, Rothblum, Vadhan 2010
optimal (k-fold, KOV)       ((k − 2i)ε, 1 − (1 − δ)^k (1 − δᵢ))                       Kairouz, Oh, Viswanath 2015
parallel (disjoint parts)   (max εᵢ, max δᵢ)                                           McSherry 2009, Thm 4
post-processing             unchanged                                                  Dwork & Roth 2014, Prop 2.1
group of k people           ε-DP → kε;  (ε, δ) → (kε, k e^{(k−1)ε} δ)                 Dwork & Roth 2014, Thm 2.2
==========================  =========================================================  ===========================

All functions take and return plain numbers; nothing here touches data.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import gammaln, logsumexp

from mlops_course._validation import check_delta, check_epsilon, check_int
from mlops_course.privacy.dp._data import check_data

__all__ = [
    "basic_composition",
    "advanced_composition",
    "kov_composition",
    "kov_delta",
    "parallel_composition",
    "post_processing",
    "group_privacy",
]


def _check_eps_delta_lists(
    epsilons: Sequence[float], deltas: Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray]:
    eps = check_data("epsilons", epsilons, ndim=1)
    if np.any(eps <= 0):
        raise ValueError(f"epsilons must all be > 0, got {eps[eps <= 0].tolist()}")
    if deltas is None:
        return eps, np.zeros_like(eps)
    dl = check_data("deltas", deltas, ndim=1)
    if dl.shape != eps.shape:
        raise ValueError(f"deltas must have the same length as epsilons ({eps.size}), got {dl.size}")
    if np.any((dl < 0) | (dl >= 1)):
        raise ValueError(f"deltas must all be in [0, 1), got {dl[(dl < 0) | (dl >= 1)].tolist()}")
    return eps, dl


def basic_composition(
    epsilons: Sequence[float], deltas: Sequence[float] | None = None
) -> tuple[float, float]:
    """Sequential (basic) composition: privacy losses add up.

    Running mechanisms M₁, …, M_k (each (εᵢ, δᵢ)-DP, possibly chosen adaptively)
    on the same data is (Σ εᵢ, Σ δᵢ)-DP.

    Parameters
    ----------
    epsilons : sequence of float
        The εᵢ of the mechanisms, each > 0.
    deltas : sequence of float, optional
        The δᵢ, each in [0, 1); ``None`` means pure ε-DP (all δᵢ = 0).

    Returns
    -------
    (epsilon, delta) : tuple of float
        ``(Σ εᵢ, min(1, Σ δᵢ))``, summed with ``math.fsum`` (no rounding drift).

    Raises
    ------
    ValueError
        If a list is empty, holds a non-finite value, an ε <= 0 or a δ outside [0, 1),
        or the two lists differ in length.

    References
    ----------
    Dwork & Roth, *The Algorithmic Foundations of Differential Privacy*, 2014, Theorem 3.16.

    Examples
    --------
    >>> basic_composition([0.5, 0.25, 0.25], [1e-6, 0.0, 1e-6])
    (1.0, 2e-06)
    """
    eps, dl = _check_eps_delta_lists(epsilons, deltas)
    return math.fsum(eps.tolist()), min(1.0, math.fsum(dl.tolist()))


def advanced_composition(epsilon: float, delta: float, k: int, delta_prime: float) -> tuple[float, float]:
    """Advanced composition of k mechanisms that are each (ε, δ)-DP.

    Formula (Dwork, Rothblum & Vadhan 2010; Dwork & Roth 2014, Theorem 3.20): for every slack δ' > 0
    the k-fold adaptive composition is (ε', kδ + δ')-DP with

        ε' = sqrt(2k ln(1/δ')) · ε + k ε (e^ε − 1).

    For small ε this grows like sqrt(k)·ε instead of the k·ε of basic composition (but for few
    queries or large ε it can be *worse* than basic composition: take the minimum if you need a bound).

    Parameters
    ----------
    epsilon : float
        ε of each mechanism, > 0.
    delta : float
        δ of each mechanism, in [0, 1) (0 for pure ε-DP mechanisms).
    k : int
        Number of compositions, >= 1.
    delta_prime : float
        The slack δ' in (0, 1).

    Returns
    -------
    (epsilon_total, delta_total) : tuple of float
        ``(ε', min(1, kδ + δ'))``.

    Raises
    ------
    ValueError, TypeError
        On ε <= 0, δ outside [0, 1), δ' outside (0, 1), or k not an integer >= 1.

    References
    ----------
    C. Dwork, G. N. Rothblum, S. Vadhan, "Boosting and Differential Privacy", FOCS 2010, Theorem III.3.

    Examples
    --------
    >>> eps, delta = advanced_composition(0.1, 0.0, 100, 1e-6)
    >>> round(eps, 4), delta
    (6.3082, 1e-06)
    """
    epsilon = check_epsilon(epsilon)
    delta = check_delta(delta, allow_zero=True)
    k = check_int("k", k, minimum=1)
    delta_prime = check_delta(delta_prime, "delta_prime")
    eps_total = math.sqrt(2 * k * math.log(1 / delta_prime)) * epsilon + k * epsilon * math.expm1(epsilon)
    return eps_total, min(1.0, k * delta + delta_prime)


def _log_binom(k: int, ls: np.ndarray) -> np.ndarray:
    return gammaln(k + 1) - gammaln(ls + 1) - gammaln(k - ls + 1)


def _kov_log_delta_i(epsilon: float, k: int, i: int) -> float:
    """log δᵢ of KOV Theorem 3.3 (−inf for i = 0), summed term by term in log space.

    δᵢ = Σ_{l=0}^{i−1} C(k, l) (e^{(k−l)ε} − e^{(k−2i+l)ε}) / (1 + e^ε)^k, and each term equals
    C(k, l) e^{(k−l)ε} (1 − e^{−2(i−l)ε}) > 0, so no subtraction of nearly equal numbers occurs.
    """
    if i == 0:
        return -math.inf
    ls = np.arange(i, dtype=float)
    terms = _log_binom(k, ls) + (k - ls) * epsilon + np.log(-np.expm1(-2.0 * (i - ls) * epsilon))
    return float(logsumexp(terms) - k * np.logaddexp(0.0, epsilon))


def kov_delta(epsilon: float, k: int, epsilon_total: float) -> float:
    """Exact smallest δ' with which k-fold composition of ε-DP mechanisms is (epsilon_total, δ')-DP.

    The worst case of k-fold composition is k independent randomized responses (KOV 2015). Its
    privacy loss is L = (k − 2J)ε with J ~ Binomial(k, 1/(1 + e^ε)) under the first input, and
    the hockey-stick divergence gives, for ε_total >= 0,

        δ(ε_total) = Σ_{l : (k−2l)ε > ε_total} C(k, l) (e^{(k−l)ε} − e^{ε_total + lε}) / (1 + e^ε)^k.

    At ε_total = (k − 2i)ε this is the δᵢ of KOV Theorem 3.3; between grid points it is linear in
    e^{ε_total}. For (ε, δ) mechanisms with δ > 0 the total is 1 − (1 − δ)^k (1 − δ(ε_total)).

    Parameters
    ----------
    epsilon : float
        ε of each mechanism, > 0.
    k : int
        Number of compositions, >= 1.
    epsilon_total : float
        Target total ε, >= 0.

    Returns
    -------
    float
        δ(ε_total) in [0, 1).

    References
    ----------
    P. Kairouz, S. Oh, P. Viswanath, "The Composition Theorem for Differential Privacy",
    ICML 2015 / IEEE Trans. Inf. Theory 2017, Theorem 3.3.

    Examples
    --------
    >>> kov_delta(1.0, 1, 1.0)   # one ε-DP mechanism is (ε, 0)-DP
    0.0
    """
    epsilon = check_epsilon(epsilon)
    k = check_int("k", k, minimum=1)
    eps_t = float(epsilon_total)
    if math.isnan(eps_t) or eps_t < 0 or math.isinf(eps_t):
        raise ValueError(f"epsilon_total must be a finite number >= 0, got {epsilon_total!r}")
    # terms l with (k - 2l) ε > ε_total
    ls = np.arange(k + 1, dtype=float)
    ls = ls[(k - 2 * ls) * epsilon > eps_t]
    if ls.size == 0:
        return 0.0
    log_terms = (
        _log_binom(k, ls) + (k - ls) * epsilon + np.log(-np.expm1(eps_t - (k - 2 * ls) * epsilon))
    )
    return float(min(1.0, math.exp(logsumexp(log_terms) - k * np.logaddexp(0.0, epsilon))))


def kov_composition(
    epsilon: float, delta: float, k: int, delta_prime: float, *, interpolate: bool = False
) -> tuple[float, float]:
    """Optimal composition of k mechanisms that are each (ε, δ)-DP (Kairouz, Oh & Viswanath 2015).

    Theorem 3.3 of KOV: for every i ∈ {0, …, ⌊k/2⌋} the k-fold adaptive composition is

        ((k − 2i) ε,  1 − (1 − δ)^k (1 − δᵢ))-DP,
        δᵢ = Σ_{l=0}^{i−1} C(k, l) (e^{(k−l)ε} − e^{(k−2i+l)ε}) / (1 + e^ε)^k,

    and no better guarantee holds for the whole class (the bound is attained by k randomized
    responses). With the slack δ' playing the role of δᵢ, this returns the smallest grid value
    (k − 2i)ε with δᵢ <= δ' (found by bisection on i; δᵢ increases with i), computed with
    log-sum-exp, together with the total δ = 1 − (1 − δ)^k (1 − δ'). With ``interpolate=True``
    the ε between grid points is solved in closed form from :func:`kov_delta` and then nudged up
    by a few ulps if needed, so that ``kov_delta(epsilon, k, result) <= delta_prime`` holds in
    floating point (still optimal up to those ulps, never larger than the grid answer).

    It is never worse than basic composition (i = 0 gives kε). The interpolated value is never
    worse than :func:`advanced_composition` with the same slack δ' because it is the *optimal*
    ε for that δ' (KOV Thm 3.3) and advanced composition is a valid bound; for the grid value
    (which rounds up to a grid point (k − 2i)ε) this is not a theorem, only checked in the tests
    for the parameters used there. The total δ 1 − (1 − δ)^k (1 − δ') <= kδ + δ'.

    Parameters
    ----------
    epsilon : float
        ε of each mechanism, > 0.
    delta : float
        δ of each mechanism, in [0, 1).
    k : int
        Number of compositions, >= 1.
    delta_prime : float
        Slack δ' in (0, 1) (the δᵢ one is willing to pay on top of the mechanisms' own δ).
    interpolate : bool, default False
        ``False``: the grid value of Theorem 3.3 (same as ``dp_accounting.pld.accountant.
        advanced_composition``). ``True``: the exact smallest ε' with δ(ε') <= δ'.

    Returns
    -------
    (epsilon_total, delta_total) : tuple of float

    Raises
    ------
    ValueError, TypeError
        On ε <= 0, δ outside [0, 1), δ' outside (0, 1), k not an integer >= 1 or a
        non-bool ``interpolate`` (``"no"`` is refused, not read as True).

    References
    ----------
    P. Kairouz, S. Oh, P. Viswanath, "The Composition Theorem for Differential Privacy",
    ICML 2015, Theorem 3.3 (arXiv:1311.0776).

    Examples
    --------
    >>> kov_composition(0.1, 0.0, 100, 1e-6)[0] <= advanced_composition(0.1, 0.0, 100, 1e-6)[0]
    True
    """
    epsilon = check_epsilon(epsilon)
    delta = check_delta(delta, allow_zero=True)
    k = check_int("k", k, minimum=1)
    delta_prime = check_delta(delta_prime, "delta_prime")
    if not isinstance(interpolate, (bool, np.bool_)):
        raise TypeError(f"interpolate must be a bool, got {type(interpolate).__name__} {interpolate!r}")
    log_dp = math.log(delta_prime)
    # largest i in [0, k//2] with log δᵢ <= log δ'  (δ₀ = 0 always qualifies)
    lo, hi = 0, k // 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _kov_log_delta_i(epsilon, k, mid) <= log_dp:
            lo = mid
        else:
            hi = mid - 1
    i = lo
    grid_eps = eps_total = (k - 2 * i) * epsilon
    if interpolate and eps_total > 0:
        # On (max(0,(k-2i-2)ε), (k-2i)ε) the terms with l <= i are active:
        # δ(ε') = A - e^{ε'} B, A = Σ_{l<=i} C(k,l)e^{(k-l)ε}/(1+e^ε)^k, B = Σ_{l<=i} C(k,l)e^{lε}/(1+e^ε)^k.
        ls = np.arange(i + 1, dtype=float)
        log_norm = k * np.logaddexp(0.0, epsilon)
        log_a = float(logsumexp(_log_binom(k, ls) + (k - ls) * epsilon) - log_norm)
        log_b = float(logsumexp(_log_binom(k, ls) + ls * epsilon) - log_norm)
        if log_dp < log_a:
            eps_star = log_a + math.log1p(-math.exp(log_dp - log_a)) - log_b
            eps_total = min(eps_total, max(eps_star, (k - 2 * i - 2) * epsilon, 0.0))
        else:
            eps_total = 0.0
        # eps_star comes from A - e^{ε'}B = δ', which cancels when δ' << A: its last bits can make
        # δ(ε') exceed δ' by a relative ~1e-6. Nudge ε' up (doubling steps from one ulp) until the
        # accurately computed kov_delta(ε') <= δ', never past the grid value.
        step = math.ulp(eps_total) if eps_total > 0 else math.ulp(grid_eps)
        while eps_total < grid_eps and kov_delta(epsilon, k, eps_total) > delta_prime:
            eps_total = min(grid_eps, eps_total + step)
            step *= 2.0
    delta_total = -math.expm1(k * math.log1p(-delta) + math.log1p(-delta_prime))
    return float(eps_total), float(delta_total)


def parallel_composition(
    epsilons: Sequence[float], deltas: Sequence[float] | None = None
) -> tuple[float, float]:
    """Parallel composition over disjoint partitions of the data.

    If the data set is split into disjoint parts (by a data-independent rule, e.g. one part per
    country) and mechanism Mᵢ, (εᵢ, δᵢ)-DP, only sees part i, one person affects only one
    part, so the whole release is (max εᵢ, max δᵢ)-DP.

    Neighbouring relation: this holds for add/remove neighbours (one record added or removed
    touches one part). Under "replace one record" the replaced record can move from part i to
    part j (e.g. a person's country changes), which is a removal in part i plus an addition in
    part j: the guarantee is then (εᵢ + εⱼ, δᵢ + δⱼ) for the worst pair, i.e. up to 2·max εᵢ
    when all εᵢ are equal — unless the partition key is public and cannot change.

    Parameters
    ----------
    epsilons : sequence of float
        εᵢ per partition, each > 0.
    deltas : sequence of float, optional
        δᵢ per partition in [0, 1); ``None`` for pure ε-DP.

    Returns
    -------
    (epsilon, delta) : tuple of float

    References
    ----------
    F. McSherry, "Privacy Integrated Queries", SIGMOD 2009, Theorem 4.

    Examples
    --------
    >>> parallel_composition([0.5, 1.0, 0.2])
    (1.0, 0.0)
    """
    eps, dl = _check_eps_delta_lists(epsilons, deltas)
    return float(eps.max()), float(dl.max())


def post_processing(epsilon: float, delta: float = 0.0) -> tuple[float, float]:
    """Guarantee after post-processing: unchanged.

    If M is (ε, δ)-DP and f is any (possibly randomised) function that does not look at the
    data again, f ∘ M is (ε, δ)-DP. Rounding a noisy count, clamping it to >= 0, plotting it
    or training on DP synthetic data cannot leak more. This function exists to make that rule
    explicit in code (and to validate the pair).

    Parameters
    ----------
    epsilon : float
        ε of the mechanism, > 0.
    delta : float, default 0
        δ of the mechanism, in [0, 1).

    Returns
    -------
    (epsilon, delta) : tuple of float
        The same pair.

    References
    ----------
    Dwork & Roth 2014, Proposition 2.1.

    Examples
    --------
    >>> post_processing(0.5, 1e-6)
    (0.5, 1e-06)
    """
    return check_epsilon(epsilon), check_delta(delta, allow_zero=True)


def group_privacy(epsilon: float, delta: float, k: int) -> tuple[float, float]:
    """Guarantee for groups of k people (e.g. a household) of an (ε, δ)-DP mechanism.

    Data sets differing in k records are linked by a chain of k neighbours, so

    * ε-DP (δ = 0) gives kε-DP for groups of size k (Dwork & Roth 2014, Theorem 2.2);
    * (ε, δ)-DP gives (kε, k e^{(k−1)ε} δ)-DP (chain the inequality k times:
      δ_total = δ Σ_{j=0}^{k−1} e^{jε} <= k e^{(k−1)ε} δ).

    Parameters
    ----------
    epsilon : float
        ε of the mechanism, > 0.
    delta : float
        δ of the mechanism, in [0, 1).
    k : int
        Group size, >= 1.

    Returns
    -------
    (epsilon_group, delta_group) : tuple of float
        ``(kε, min(1, k e^{(k−1)ε} δ))``.

    Examples
    --------
    >>> group_privacy(0.5, 0.0, 4)
    (2.0, 0.0)
    """
    epsilon = check_epsilon(epsilon)
    delta = check_delta(delta, allow_zero=True)
    k = check_int("k", k, minimum=1)
    if delta == 0:
        return k * epsilon, 0.0
    log_d = math.log(k) + (k - 1) * epsilon + math.log(delta)
    return k * epsilon, 1.0 if log_d >= 0 else math.exp(log_d)
