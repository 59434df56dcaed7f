"""Argument validation shared by every public function of the package.

Each helper raises a ``ValueError`` or ``TypeError`` whose message names the
argument, the offending value and what is allowed, e.g.::

    ValueError: epsilon must be a finite number > 0, got -1.0

Validate once at the public boundary; never inside hot loops.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Mapping, Set
from typing import Any, TypeVar

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
    "check_choice",
]

T = TypeVar("T")


def _as_real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    out = float(value)
    if math.isnan(out):
        raise ValueError(f"{name} must be a number, got nan")
    return out


def check_positive(name: str, value: Any, *, allow_inf: bool = False) -> float:
    """Return ``value`` as float if it is a real number > 0 (finite unless ``allow_inf``).

    Parameters
    ----------
    name : str
        Name of the argument, used in the error message.
    value : real number
        The value to check (``bool`` is rejected).
    allow_inf : bool, default False
        Accept ``+inf``.

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, <= 0, or infinite while ``allow_inf`` is False.
    """
    out = _as_real(name, value)
    if out <= 0 or (math.isinf(out) and not allow_inf):
        allowed = "> 0" if allow_inf else "a finite number > 0"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return out


def check_nonnegative(name: str, value: Any) -> float:
    """Return ``value`` as float if it is a finite real number >= 0.

    Parameters
    ----------
    name : str
        Name of the argument, used in the error message.
    value : real number
        The value to check (``bool`` is rejected).

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, negative or infinite.
    """
    out = _as_real(name, value)
    if out < 0 or math.isinf(out):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return out


def check_probability(name: str, value: Any, *, open_low: bool = True, open_high: bool = True) -> float:
    """Return ``value`` as float if it lies in the interval (0, 1) (ends per the flags).

    Parameters
    ----------
    name : str
        Name of the argument, used in the error message.
    value : real number
        The value to check (``bool`` is rejected).
    open_low : bool, default True
        Exclude 0 (``False`` allows ``value == 0``).
    open_high : bool, default True
        Exclude 1 (``False`` allows ``value == 1``).

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN or outside the interval.
    """
    out = _as_real(name, value)
    lo_ok = out > 0 if open_low else out >= 0
    hi_ok = out < 1 if open_high else out <= 1
    if not (lo_ok and hi_ok):
        interval = ("(" if open_low else "[") + "0, 1" + (")" if open_high else "]")
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return out


def check_epsilon(value: Any, name: str = "epsilon") -> float:
    """Privacy-loss parameter: a finite real number > 0.

    Parameters
    ----------
    value : real number
        The ε to check.
    name : str, default "epsilon"
        Name of the argument, used in the error message.

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, <= 0 or infinite.
    """
    return check_positive(name, value)


def check_delta(value: Any, name: str = "delta", *, allow_zero: bool = False) -> float:
    """Failure probability: in (0, 1), or [0, 1) with ``allow_zero``.

    Parameters
    ----------
    value : real number
        The δ to check.
    name : str, default "delta"
        Name of the argument, used in the error message.
    allow_zero : bool, default False
        Accept δ = 0 (pure ε-DP).

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN or outside (0, 1) (resp. [0, 1)).
    """
    return check_probability(name, value, open_low=not allow_zero, open_high=True)


def check_sensitivity(value: Any, name: str = "sensitivity") -> float:
    """Query sensitivity: a finite real number > 0.

    Parameters
    ----------
    value : real number
        The sensitivity Δ to check.
    name : str, default "sensitivity"
        Name of the argument, used in the error message.

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, <= 0 or infinite.
    """
    return check_positive(name, value)


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as int if it is an integer within [minimum, maximum].

    Parameters
    ----------
    name : str
        Name of the argument, used in the error message.
    value : integral number
        The value to check (``bool`` and floats such as ``2.0`` are rejected).
    minimum, maximum : int or None, default None
        Inclusive bounds; ``None`` means unbounded on that side.

    Returns
    -------
    int
        ``int(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value`` is below ``minimum`` or above ``maximum``.
    """
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

    Parameters
    ----------
    name : str
        Name of the argument, used in the error message.
    values : array_like
        The values to convert.
    ndim : int or None, default None
        Required number of dimensions; ``None`` accepts any.
    allow_empty : bool, default False
        Accept an array with no elements.
    dtype : type, default float
        dtype passed to ``numpy.asarray``.

    Returns
    -------
    numpy.ndarray
        ``np.asarray(values, dtype=dtype)``.

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

    Parameters
    ----------
    rng : numpy.random.Generator or int
        The generator, returned as is, or a seed.
    name : str, default "rng"
        Name of the argument, used in the error message.

    Returns
    -------
    numpy.random.Generator
        ``rng`` itself, or ``np.random.default_rng(rng)`` for an int seed.

    Raises
    ------
    TypeError
        If ``rng`` is neither a Generator nor an int (``bool`` is rejected).
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
    """Return finite ``(lower, upper)`` with ``lower < upper``.

    Parameters
    ----------
    lower, upper : real number
        The two bounds.
    names : tuple of (str, str), default ("lower", "upper")
        Names of the two arguments, used in the error messages.

    Returns
    -------
    tuple of (float, float)
        ``(float(lower), float(upper))``.

    Raises
    ------
    TypeError
        If a bound is not a real number.
    ValueError
        If a bound is NaN or infinite, or ``lower >= upper``.
    """
    lo = _as_real(names[0], lower)
    hi = _as_real(names[1], upper)
    if math.isinf(lo) or math.isinf(hi):
        raise ValueError(f"{names[0]} and {names[1]} must be finite, got {lower!r} and {upper!r}")
    if not lo < hi:
        raise ValueError(f"{names[0]} must be < {names[1]}, got {lower!r} >= {upper!r}")
    return lo, hi


def _shown(allowed: Collection[Any]) -> Any:
    """How ``allowed`` appears in a message: a mapping by its keys, a set sorted, else as given."""
    if isinstance(allowed, Mapping):
        return list(allowed)
    if isinstance(allowed, Set):
        try:
            return sorted(allowed)
        except TypeError:
            return list(allowed)
    return allowed


def check_choice(name: str, value: T, allowed: Collection[Any], *, note: str = "") -> T:
    """Return ``value`` if it is one of ``allowed``, else raise an error naming all three.

    The message reads ``{name} must be one of {allowed}{note}, got {value!r}``; a mapping is
    shown by its keys (in insertion order) and a set sorted.

    Parameters
    ----------
    name : str
        Name of the argument, as the caller spells it (it starts the message).
    value : object
        The value to check. Membership is tested with ``in``, so ``1.0`` matches ``1``.
    allowed : collection
        The allowed values (tuple, list, set or mapping; a mapping's keys are allowed).
        Must not be empty.
    note : str, optional
        Text appended after the allowed values, e.g. ``" (GDPR Art. 6(1))"`` or ``" or None"``.

    Returns
    -------
    object
        ``value`` itself, unchanged.

    Raises
    ------
    TypeError
        If ``value`` is unhashable (a list, dict, array, ...) or ``allowed`` is not a collection.
    ValueError
        If ``allowed`` is empty, or ``value`` is not one of ``allowed``.

    Examples
    --------
    >>> check_choice("kind", "email", ("email", "phone"))
    'email'
    >>> check_choice("kind", "fax", ("email", "phone"))
    Traceback (most recent call last):
    ...
    ValueError: kind must be one of ('email', 'phone'), got 'fax'
    """
    if isinstance(allowed, (str, bytes)) or not isinstance(allowed, Collection):
        raise TypeError(
            f"allowed must be a collection of choices (tuple, list, set or mapping), "
            f"got {type(allowed).__name__} {allowed!r}"
        )
    if len(allowed) == 0:
        raise ValueError(f"allowed must name at least one choice for {name}, got {allowed!r}")
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"{name} must be one of {_shown(allowed)}{note}, got unhashable {type(value).__name__} {value!r}"
        ) from None
    if value not in allowed:
        raise ValueError(f"{name} must be one of {_shown(allowed)}{note}, got {value!r}")
    return value
