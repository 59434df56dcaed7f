"""Floating-point-safe Laplace noise, and the attack it prevents (Mironov 2012).

**The leak.** The textbook float sampler ``y = x + b·ln(2u)`` (``u`` a 53-bit uniform, the same
inverse-CDF formula as ``numpy.random.Generator.laplace``) can only produce a sparse, irregular set
of doubles, and that set depends on ``x``: rounding ``x + noise`` to a double keeps different low
bits for different ``x``. Given one output and two candidate inputs, one can often check that the
output is *unreachable* from one of them, which identifies the input with certainty — an
infinite privacy loss that no ε covers (Mironov 2012, Sec. 3). :func:`mironov_attack` implements
that check against :func:`naive_float_laplace`.

**The fix (discretise, then discrete Laplace).** :func:`grid_laplace_mechanism` rounds every
coordinate of the input to a power-of-two grid ``γ`` and adds ``γ·K`` with ``K`` discrete Laplace:

    y = γ · (round(x/γ) + K),    P(K = k) ∝ exp(-|k|/t),    t = (Δ + d·γ)/(ε γ),

with ``d`` the number of coordinates of ``x`` (``d = 1`` for a scalar). Every step is exact in
float64 (scaling by a power of two, rounding, integer addition below ``2⁵³``), so outputs are exact
multiples of ``γ`` whose distribution depends on ``x`` only through ``round(x/γ)``: nothing is left
in the low bits. Accounting: rounding moves *each* coordinate by at most ``γ/2``, so for neighbours
with ``‖x - x'‖₁ <= Δ``, ``Σᵢ |round(xᵢ/γ) - round(x'ᵢ/γ)|·γ <= ‖x - x'‖₁ + d·γ <= Δ + d·γ``, and
``Πᵢ P(kᵢ)/P(kᵢ + mᵢ) <= e^{Σ|mᵢ|/t}``, so the mechanism is ε-DP with the inflated sensitivity
``Δ' = Δ + d·γ`` (the rounding is charged once *per coordinate*, as OpenDP's ``then_laplace`` charges
``size·γ`` on a sized vector). The default ``γ`` is ``<= min(Δ, Δ/ε)/(1024·d)``, i.e. the noise scale
``Δ'/ε`` is at most 0.1% above ``Δ/ε``. The integer noise is drawn from the OS CSPRNG by default
(``os.urandom``, bulk and vectorised, see :mod:`._securerandom`), so the noise is also
unpredictable, unlike numpy's PCG64. This discretise-then-discrete-Laplace construction
(Canonne, Kamath & Steinke 2020; OpenDP's ``make_laplace``) replaces Mironov's original snapping
mechanism (which clamps and rounds the *output* of a float Laplace sampler).

**The exact guarantee (not "pure ε-DP" for free).** OpenDP samples with exact rational
arithmetic (slower); ours computes the discrete-Laplace bucket boundaries in float64, so every
probability P(K = k) is off by a relative error of at most ``r(t, ℓ)`` for outputs drawn within
the first ℓ levels of the sampler (see :func:`sampler_relative_error`: about ``t·2⁻⁴⁵`` from the
53-bit uniform grid plus the rounding of ``ln``, ``+`` and ``·``, growing slowly with ℓ). Each
coordinate whose rounded input differs between neighbours adds up to ``ln((1+r)/(1−r)) ≈ 2r``
to the privacy loss, and with L1-sensitivity Δ *every* one of the ``d`` coordinates may differ.
Outputs beyond level ℓ (probability ``2⁻⁶ℓ`` per coordinate) are not covered, so the mechanism is

    (ε + d·ln((1+r)/(1−r)),  d·2⁻⁶ℓ)-DP,

which :func:`grid_laplace_guarantee` computes and :func:`grid_laplace_mechanism` charges to an
``accountant``. The bound is negligible for small vectors (ε = 1, d = 1, default grid: 2e-10;
d = 1000: 2e-4) but not for large ones: d = 10⁴ adds 0.035 and d = 10⁵ with the default grid
(t ≈ 1.3·10⁸) adds 2.9 to ε = 1. A coarser ``grid`` shrinks t and the excess, at the price of a
larger sensitivity inflation d·γ (t·γ ≈ Δ/ε for a fine grid).

References
----------
I. Mironov, "On Significance of the Least Significant Bits for Differential Privacy", ACM CCS
2012 (Sec. 3: the attack; Sec. 5: snapping, the earlier fix). C. Canonne, G. Kamath, T. Steinke,
"The Discrete Gaussian for Differential Privacy", NeurIPS 2020 (discrete Laplace and its sampler).
OpenDP, ``make_laplace`` / ``then_laplace(k=...)`` (granularity ``2^k``, ``size·2^k`` charged for a
vector of known size).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlops_course._validation import (
    check_epsilon,
    check_int,
    check_positive,
    check_probability,
    check_rng,
    check_sensitivity,
)
from mlops_course.privacy.dp import _securerandom as _sr
from mlops_course.privacy.dp._data import check_data
from mlops_course.privacy.dp.accountant import PrivacyAccountant, charge

__all__ = [
    "sampler_relative_error",
    "grid_laplace_guarantee",
    "default_grid",
    "grid_laplace_parameters",
    "grid_laplace_mechanism",
    "naive_float_laplace",
    "mironov_attack",
]

_MAX_T = 2.0**40
_MAX_INDEX = 2.0**52


def default_grid(sensitivity: float, epsilon: float, size: int = 1) -> float:
    """Default grid of :func:`grid_laplace_mechanism`: a power of two ``<= min(Δ, Δ/ε)/(1024·d)``.

    Formula: ``γ = 2^floor(log2(min(Δ, Δ/ε)/(1024·d)))`` with ``d = size`` coordinates, so the
    sensitivity inflation ``d·γ/Δ`` and the grid-to-scale ratio ``d·γ/b`` are both at most ``2⁻¹⁰``.

    Parameters
    ----------
    sensitivity : float
        L1-sensitivity ``Δ`` of the whole vector, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and > 0.
    size : int, default 1
        Number of coordinates ``d`` released together (>= 1).

    Returns
    -------
    float
        The grid ``γ`` (an exact power of two).

    Raises
    ------
    ValueError, TypeError
        If an argument is not a finite number > 0 or ``size`` is not an integer >= 1.

    Examples
    --------
    >>> default_grid(1.0, 1.0) == 2.0**-10
    True
    >>> default_grid(1.0, 1.0, size=1000) == 2.0**-20  # 1/(1024·1000) lies in [2⁻²⁰, 2⁻¹⁹)
    True
    """
    d = check_sensitivity(sensitivity)
    eps = check_epsilon(epsilon)
    n = check_int("size", size, minimum=1)
    _, exponent = math.frexp(min(d, d / eps) / (1024.0 * n))  # x = m·2^e with m in [0.5, 1)
    return math.ldexp(1.0, exponent - 1)


def grid_laplace_parameters(
    sensitivity: float, epsilon: float, size: int = 1, grid: float | None = None
) -> tuple[float, float]:
    """Grid ``γ`` and discrete-Laplace parameter ``t`` used by :func:`grid_laplace_mechanism`.

    Formula: ``t = (Δ + d·γ)/(ε·γ)`` (``d = size``): the L1 distance of two rounded neighbours is
    at most ``Δ + d·γ`` because rounding moves each of the ``d`` coordinates by up to ``γ/2``
    (Canonne, Kamath & Steinke 2020; OpenDP ``then_laplace`` charges ``size·γ`` the same way).

    Guarantee: ``γ·(round(x/γ) + K)`` with ``K ~ DLap(t)`` per coordinate is ε-DP for vectors of
    ``d`` coordinates with L1-sensitivity ``Δ``.

    Parameters
    ----------
    sensitivity : float
        L1-sensitivity ``Δ`` of the whole vector, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and > 0.
    size : int, default 1
        Number of coordinates ``d`` (>= 1).
    grid : float, optional
        A power of two; default :func:`default_grid` for this ``size``.

    Returns
    -------
    (grid, t) : tuple of float

    Raises
    ------
    ValueError, TypeError
        If an argument is out of range, ``grid`` is not a power of two or ``t > 2**40``.

    Examples
    --------
    >>> grid_laplace_parameters(1.0, 1.0, size=1000, grid=2.0**-10)
    (0.0009765625, 2024.0)
    """
    d = check_sensitivity(sensitivity)
    eps = check_epsilon(epsilon)
    n = check_int("size", size, minimum=1)
    g = default_grid(d, eps, n) if grid is None else _check_grid(grid)
    t = (d + n * g) / (eps * g)
    if t > _MAX_T:
        raise ValueError(
            f"grid {g!r} is too fine for sensitivity/epsilon/size: (Δ + size·grid)/(ε·grid) = {t:.3g} > 2**40; "
            "pass a coarser grid"
        )
    return g, t


_U = 2.0**-53  # unit roundoff of float64
_LN2X6 = 6.0 * math.log(2.0)  # width in E of one level of the sampler (U >= 2^-6)


def sampler_relative_error(t: float, levels: int) -> float:
    """Bound on the relative error of P(K = k) of the float64 discrete-Laplace sampler.

    Covers every k whose draw finished within the first ``levels`` levels of
    :func:`._securerandom.discrete_laplace_t` (``G = floor(t·(E + c₀))``, ``E = offset − ln U'``,
    ``U' = (j + ½)·2⁻⁵³ >= 2⁻⁶`` at each level). Formula, with u = 2⁻⁵³, ℓ = ``levels``,
    ``E_max = 6ℓ ln 2`` and ``w = 1 − e^{−1/t}`` (the ideal relative width of a bucket):

    - grid quantization: a bucket loses or gains at most 2 grid points per level part, at most 2
      parts, each of mass ``2⁻⁵³·2⁻⁶⁽ℓ⁻¹⁾`` against a bucket mass ``>= 2⁻⁶ℓ·w``:
      ``r_q = 4·2⁻⁴⁷ / w``;
    - rounding: ``|ŷ − y| <= y_err = t·u·(20.8 + 4E_max + 6c₀)`` (``ln`` within 4u, then ``−``,
      ``+ c₀`` and ``·t`` each within u, plus a gap/overlap of at most ``u·(E_max + 4.16)`` where
      one level's float offset meets the next); each of the two bucket edges moves by ``y_err/t``
      in E: ``r_f = 2·(y_err/t)/w``;
    - offset drift: the float offset of level ℓ (ℓ−1 float additions of fl(6 ln 2)) is within
      ``δ_off = u·4.16·ℓ(ℓ+1)/2`` of 6(ℓ−1) ln 2, which scales that level's density by at most
      ``e^{δ_off}``: ``r_o = 2·δ_off``.

    Returns ``r_q + r_f + r_o``. Conservative (worst case over buckets); the tests compare it with the
    exact bucket masses of the sampler found by bisection over its 53-bit inputs.

    Parameters
    ----------
    t : float
        Discrete-Laplace parameter, > 0.
    levels : int
        Levels covered, >= 1.

    Returns
    -------
    float
        The relative error bound r.

    Examples
    --------
    >>> r = sampler_relative_error(2024.0, 1)
    >>> 1e-11 < r < 1e-10
    True
    """
    t = check_positive("t", t)
    ell = check_int("levels", levels, minimum=1)
    w = -math.expm1(-1.0 / t)
    c0 = -math.log1p(math.expm1(-1.0 / t) / 2.0)
    e_max = _LN2X6 * ell
    parts = 2 + int(1.0 / (t * _LN2X6))  # a bucket wider than a level spans more parts
    r_q = 2 * parts * 2.0**-47 / w
    y_err_over_t = _U * (20.8 + 4.0 * e_max + 6.0 * c0)
    r_o = 2.0 * _U * 4.16 * ell * (ell + 1) / 2.0
    return r_q + 2.0 * y_err_over_t / w + r_o


def grid_laplace_guarantee(
    sensitivity: float, epsilon: float, size: int = 1, grid: float | None = None, *,
    tail_delta: float = 2.0**-100,
) -> tuple[float, float]:
    """The (ε', δ') that :func:`grid_laplace_mechanism` really guarantees, float64 sampler included.

    Formula: with ``(γ, t)`` from :func:`grid_laplace_parameters`, ``ℓ = ⌈log₂(d/tail_delta)/6⌉``
    sampler levels and ``r = sampler_relative_error(t, ℓ)``:

        ε' = ε + d · ln((1 + r)/(1 − r)),      δ' = d · 2⁻⁶ℓ <= tail_delta.

    The nominal ε is exact for the ideal discrete Laplace; the float64 bucket boundaries add at
    most ``ln((1+r)/(1−r))`` per coordinate (each of the d coordinates may differ between
    neighbours), and draws past level ℓ (probability ``2⁻⁶`` per level and coordinate) are
    left to δ'.

    Parameters
    ----------
    sensitivity, epsilon, size, grid
        As :func:`grid_laplace_parameters`.
    tail_delta : float, default 2**-100
        Bound on δ' (in (0, 1)); smaller values cover more levels (slightly larger ε').

    Returns
    -------
    (epsilon_true, delta_true) : tuple of float

    Raises
    ------
    ValueError, TypeError
        As :func:`grid_laplace_parameters`, or ``tail_delta`` outside (0, 1), or r >= 1.

    Examples
    --------
    >>> eps, delta = grid_laplace_guarantee(1.0, 1.0)
    >>> 0 < eps - 1.0 < 1e-9 and delta <= 2.0**-100
    True
    >>> eps, _ = grid_laplace_guarantee(1.0, 1.0, size=100_000)  # default grid: t ≈ 1.3e8
    >>> round(eps, 2)
    3.87
    """
    g, t = grid_laplace_parameters(sensitivity, epsilon, size, grid)
    d = check_int("size", size, minimum=1)
    tail = check_probability("tail_delta", tail_delta)
    levels = max(1, math.ceil(math.log2(d / tail) / 6.0))
    r = sampler_relative_error(t, levels)
    if r >= 1.0:
        raise ValueError(f"the float64 sampler gives no guarantee at t={t:.3g} (relative error bound {r:.3g})")
    return check_epsilon(epsilon) + d * math.log((1.0 + r) / (1.0 - r)), d * 2.0 ** (-6 * levels)


def _check_grid(grid: Any) -> float:
    g = check_positive("grid", grid)
    mantissa, exponent = math.frexp(g)
    if mantissa != 0.5 or g < 2.0**-1022:
        raise ValueError(f"grid must be a (normal) power of two such as 2**-10, got {grid!r}")
    return g


def grid_laplace_mechanism(
    value: Any,
    sensitivity: float,
    epsilon: float,
    rng: np.random.Generator | None = None,
    grid: float | None = None,
    *,
    accountant: PrivacyAccountant | None = None,
    label: str = "grid_laplace_mechanism",
) -> float | np.ndarray:
    """Floating-point-safe Laplace mechanism: snap to a power-of-two grid, add grid·DLap noise.

    Formula: ``y = γ·(round(x/γ) + K)``, ``K ~ DLap(t)`` i.i.d. per coordinate
    (``P(k) ∝ e^{-|k|/t}``), ``t = (Δ + d·γ)/(ε γ)`` with ``d`` = number of coordinates of
    ``value``; the noise has the Laplace-like scale ``b' = (Δ + d·γ)/ε``.

    Guarantee: for queries with L1-sensitivity ``Δ`` (of the whole vector) the *ideal* mechanism
    is ε-DP with the float representation of the output closed off: outputs are exact multiples
    of ``γ`` and the rounding of the input is charged as ``+γ`` per coordinate, ``Δ' = Δ + d·γ``
    (discretise-then-discrete-Laplace: Canonne, Kamath & Steinke 2020; OpenDP ``make_laplace``).
    The float64 sampler adds a per-coordinate excess, so what actually holds is
    ``(ε', δ') = grid_laplace_guarantee(Δ, ε, d, γ)``: ε' ≈ ε for small d, but 3.87 for ε = 1
    at d = 10⁵ with the default grid (module docstring). That (ε', δ') is what ``accountant`` is
    charged.

    Parameters
    ----------
    value : float or array_like
        Exact query answer(s) (finite, non-empty); each coordinate gets independent noise, so
        ``sensitivity`` must bound the L1-sensitivity of the whole vector.
    sensitivity : float
        L1-sensitivity ``Δ``, finite and > 0.
    epsilon : float
        Privacy-loss parameter, finite and > 0.
    rng : numpy.random.Generator, optional
        ``None`` (default) draws from the OS CSPRNG (``os.urandom``); pass a Generator only for
        reproducible teaching/tests.
    grid : float, optional
        Output resolution ``γ``, a power of two; default ``default_grid(Δ, ε, d)``.
    accountant : PrivacyAccountant, optional
        Charged ``grid_laplace_guarantee(Δ, ε, d, γ)`` (ε' and a δ' <= 2⁻¹⁰⁰, so its δ budget
        must be > 0) *before* the noise is drawn; a refused call releases nothing.
    label : str
        Ledger label of the charge.

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``value`` (a float for a scalar), every entry an exact multiple of ``γ``.

    Raises
    ------
    ValueError, TypeError
        If an argument is out of range, ``grid`` is not a power of two, the grid is so fine that
        ``t = (Δ + d·γ)/(εγ) > 2**40``, or ``|value|/grid`` reaches ``2**52``.

    Examples
    --------
    >>> y = grid_laplace_mechanism([0.0, 10.0], 1.0, 1.0, rng=np.random.default_rng(0), grid=2.0**-4)
    >>> bool(np.all(y * 16 == np.round(y * 16)))
    True
    """
    arr = check_data("value", value)
    g, t = grid_laplace_parameters(sensitivity, epsilon, arr.size, grid)
    source = None if rng is None else check_rng(rng)
    centre = np.rint(arr / g)
    if not np.all(np.abs(centre) < _MAX_INDEX):
        raise ValueError(f"value must satisfy |value|/grid < 2**52 for exact grid arithmetic, got grid={g!r}")
    if accountant is not None:
        eps_true, delta_true = grid_laplace_guarantee(sensitivity, epsilon, arr.size, g)
        charge(accountant, eps_true, delta_true, label)
    k = _sr.discrete_laplace_t(t, arr.size, source).reshape(arr.shape)
    out = (centre + k) * g
    if not np.all(np.isfinite(out)):
        raise ValueError(f"output overflowed for grid={g!r}; use a smaller grid")
    return float(out) if out.ndim == 0 else out


def _naive_noise(u: np.ndarray, scale: float) -> np.ndarray:
    """``b·ln(2u)`` for ``u < 1/2`` and ``-b·ln(2 - 2u)`` otherwise (numpy's Laplace formula)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(u >= 0.5, -scale * np.log(2.0 - 2.0 * u), scale * np.log(2.0 * u))


def naive_float_laplace(
    value: Any, scale: float, rng: np.random.Generator, size: int | tuple[int, ...] | None = None
) -> float | np.ndarray:
    """The textbook float Laplace sampler whose low bits leak the input (for the attack demo).

    Formula: ``y = fl(x + n)``, ``n = b·ln(2u)`` if ``u < 1/2`` else ``-b·ln(2 - 2u)``, with
    ``u = rng.random()`` a multiple of ``2⁻⁵³`` in (0, 1) — the same inverse-CDF formula as
    ``numpy.random.Generator.laplace`` (Mironov 2012, Sec. 3, calls it the naive implementation).

    Guarantee: none on real hardware — in exact arithmetic ``y`` would be ``x/b``-Laplace, but
    the set of doubles it can output depends on ``x`` (see :func:`mironov_attack`). Do not use it
    to release data; it exists to demonstrate the attack.

    Parameters
    ----------
    value : float or array_like
        Input(s) ``x`` (finite, non-empty).
    scale : float
        Laplace scale ``b``, finite and > 0.
    rng : numpy.random.Generator
        Source of randomness.
    size : int or tuple of int, optional
        Output shape; default the shape of ``value`` (``value`` must broadcast to it).

    Returns
    -------
    float or numpy.ndarray
        A float for a scalar ``value`` and ``size=None``, otherwise an array.

    Raises
    ------
    ValueError, TypeError
        If an argument is out of range or ``rng`` is not a Generator.

    Examples
    --------
    >>> y = naive_float_laplace(0.0, 1.0, np.random.default_rng(0), size=3)
    >>> y.shape
    (3,)
    """
    arr = check_data("value", value)
    b = check_positive("scale", scale)
    rng = check_rng(rng)
    if size is None:
        shape = arr.shape
    elif isinstance(size, tuple):
        shape = tuple(check_int("size", s, minimum=1) for s in size)
    else:
        shape = (check_int("size", size, minimum=1),)
    u = rng.random(shape)
    zero = u == 0.0
    while np.any(zero):  # u = 0 would give -inf (probability 2^-53 per draw): redraw like numpy
        u[zero] = rng.random(int(zero.sum()))
        zero = u == 0.0
    out = np.broadcast_to(arr, shape) + _naive_noise(u, b)
    return float(out) if out.ndim == 0 else out


def _attainable(y: np.ndarray, x: float, scale: float, window: int) -> np.ndarray:
    """Whether ``fl(x + naive_noise(j·2⁻⁵³)) == y`` for some integer ``j`` in ``[1, 2⁵³)``.

    The forward map is monotone in ``j`` on each branch, so it suffices to invert it
    approximately (``u* = e^{d}/2`` or ``1 - e^{-d}/2`` with ``d = (y - x)/b``) and test the
    ``2·window + 1`` grid points around ``j* = round(u*·2⁵³)`` exactly with the forward formula.
    """
    d = (y - x) / scale
    with np.errstate(over="ignore"):
        u_star = np.where(d >= 0.0, 1.0 - 0.5 * np.exp(-np.abs(d)), 0.5 * np.exp(-np.abs(d)))
    j_star = np.rint(u_star * 2.0**53)
    found = np.zeros(y.shape, dtype=bool)
    for offset in range(-window, window + 1):
        j = j_star + offset
        ok = (j >= 1.0) & (j < 2.0**53)
        u = np.where(ok, j, 1.0) * 2.0**-53
        found |= ok & (x + _naive_noise(u, scale) == y)
    return found


def mironov_attack(outputs: Any, candidates: Any, scale: float, window: int = 64) -> np.ndarray:
    """Decide which candidate input produced each output of :func:`naive_float_laplace`.

    Method (Mironov 2012, Sec. 3): for each candidate ``x_c`` test exactly whether the output
    ``y`` is *attainable*, i.e. whether some 53-bit uniform ``u`` gives
    ``fl(x_c + n(u)) == y`` (the forward formula of :func:`naive_float_laplace` is re-run on the
    ``2·window + 1`` grid points around the approximate inverse). If exactly one candidate can
    produce ``y``, that candidate is certainly the input; otherwise the attack abstains.

    Guarantee (of the attack): it never guesses wrong on outputs of the naive mechanism with one
    of the candidates as input. Against :func:`grid_laplace_mechanism` it abstains (or matches by
    chance), i.e. it has no advantage beyond what ε allows.

    Parameters
    ----------
    outputs : array_like
        Observed outputs (finite, non-empty; flattened).
    candidates : array_like, shape (c,)
        The possible inputs (finite, at least 2, distinct).
    scale : float
        The scale ``b`` the naive mechanism used, finite and > 0.
    window : int, default 64
        Half-width of the search around the approximate inverse (>= 1); the inverse is accurate to
        about ``|d| + 2`` grid points, and ``|d| <= 37`` for 53-bit uniforms.

    Returns
    -------
    numpy.ndarray of int64
        For each output, the index of the only candidate that can produce it, or ``-1`` when
        zero or several candidates can.

    Raises
    ------
    ValueError, TypeError
        If an argument is out of range.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> y = naive_float_laplace(0.0, 1.0, rng, size=1000)
    >>> guess = mironov_attack(y, [0.0, 1.0], 1.0)
    >>> bool(np.all(guess != 1))  # never wrong: the input was 0.0
    True
    """
    y = check_data("outputs", outputs).ravel()
    cands = check_data("candidates", candidates, ndim=1)
    if cands.size < 2 or np.unique(cands).size != cands.size:
        raise ValueError(f"candidates must hold at least 2 distinct values, got {cands.tolist()!r}")
    b = check_positive("scale", scale)
    w = check_int("window", window, minimum=1)
    reachable = np.stack([_attainable(y, float(x), b, w) for x in cands])
    count = reachable.sum(axis=0)
    return np.where(count == 1, np.argmax(reachable, axis=0), -1).astype(np.int64)
