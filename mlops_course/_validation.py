"""Argument validation shared by every public function of the package.

Each helper raises a ``ValueError`` or ``TypeError`` whose message names the
argument, the offending value and what is allowed, e.g.::

    ValueError: epsilon must be a finite number > 0, got -1.0

Validate once at the public boundary; never inside hot loops.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "check_positive",
    "check_nonnegative",
    "check_probability",
    "check_epsilon",
    "check_delta",
    "check_sensitivity",
    "check_int",
    "check_finite_array",
    "check_rng",
    "check_bounds",
]


def _as_real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    out = float(value)
    if math.isnan(out):
        raise ValueError(f"{name} must be a number, got nan")
    return out


def check_positive(name: str, value: Any, *, allow_inf: bool = False) -> float:
    """Return ``value`` as float if it is a real number > 0 (finite unless ``allow_inf``)."""
    out = _as_real(name, value)
    if out <= 0 or (math.isinf(out) and not allow_inf):
        allowed = "> 0" if allow_inf else "a finite number > 0"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return out


def check_nonnegative(name: str, value: Any) -> float:
    """Return ``value`` as float if it is a finite real number >= 0."""
    out = _as_real(name, value)
    if out < 0 or math.isinf(out):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return out


def check_probability(name: str, value: Any, *, open_low: bool = True, open_high: bool = True) -> float:
    """Return ``value`` as float if it lies in the interval (0, 1) (ends per the flags)."""
    out = _as_real(name, value)
    lo_ok = out > 0 if open_low else out >= 0
    hi_ok = out < 1 if open_high else out <= 1
    if not (lo_ok and hi_ok):
        interval = ("(" if open_low else "[") + "0, 1" + (")" if open_high else "]")
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return out


def check_epsilon(value: Any, name: str = "epsilon") -> float:
    """Privacy-loss parameter: a finite real number > 0."""
    return check_positive(name, value)


def check_delta(value: Any, name: str = "delta", *, allow_zero: bool = False) -> float:
    """Failure probability: in (0, 1), or [0, 1) with ``allow_zero``."""
    return check_probability(name, value, open_low=not allow_zero, open_high=True)


def check_sensitivity(value: Any, name: str = "sensitivity") -> float:
    """Query sensitivity: a finite real number > 0."""
    return check_positive(name, value)


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as int if it is an integer within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {out}")
    if maximum is not None and out > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {out}")
    return out


def check_finite_array(
    name: str,
    values: Any,
    *,
    ndim: int | None = None,
    allow_empty: bool = False,
    dtype: type = float,
) -> np.ndarray:
    """Return ``values`` as a numpy array of finite numbers.

    Raises
    ------
    TypeError
        If the values are not numeric.
    ValueError
        If the array is empty (unless ``allow_empty``), has the wrong number of
        dimensions, or holds NaN/inf.
    """
    try:
        arr = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got {type(values).__name__}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.size and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must hold only finite numbers, got {bad} NaN/inf value(s)")
    return arr


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """Require an explicit ``numpy.random.Generator`` (no hidden global state).

    An ``int`` seed is accepted for convenience and turned into ``default_rng(seed)``.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(0)) or an int seed, "
        f"got {type(rng).__name__}"
    )


def check_bounds(lower: Any, upper: Any, names: tuple[str, str] = ("lower", "upper")) -> tuple[float, float]:
    """Return finite ``(lower, upper)`` with ``lower < upper``."""
    lo = _as_real(names[0], lower)
    hi = _as_real(names[1], upper)
    if math.isinf(lo) or math.isinf(hi):
        raise ValueError(f"{names[0]} and {names[1]} must be finite, got {lower!r} and {upper!r}")
    if not lo < hi:
        raise ValueError(f"{names[0]} must be < {names[1]}, got {lower!r} >= {upper!r}")
    return lo, hi
