"""Validation of the *data* a DP mechanism or query releases: numbers only, never text.

``numpy.asarray(["1.5"], dtype=float)`` silently parses numeric strings, so a column read as
text would be released as if it were numeric. :func:`check_data` refuses str/bytes values
(also inside lists and object arrays) and then applies the package's finite-array check.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array

__all__ = ["check_data"]


def _has_text(values: Any) -> bool:
    if isinstance(values, (str, bytes, np.str_, np.bytes_)):
        return True
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):  # ragged input: let check_finite_array report it
        return False
    if arr.dtype.kind in "USV":
        return True
    if arr.dtype.kind == "O":
        return any(isinstance(v, (str, bytes)) for v in arr.ravel())
    return False


def check_data(name: str, values: Any, **kwargs: Any) -> np.ndarray:
    """Return ``values`` as a finite float array; reject text (numeric strings included).

    Parameters
    ----------
    name : str
        Argument name for the error message.
    values : array_like
        The data.
    **kwargs
        Passed to :func:`mlops_course._validation.check_finite_array` (``ndim``, ``allow_empty``).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    TypeError
        If ``values`` holds strings or bytes (e.g. ``["1", "2"]``), or is not numeric.
    ValueError
        As :func:`~mlops_course._validation.check_finite_array`.

    Examples
    --------
    >>> check_data("x", [1, 2.5]).tolist()
    [1.0, 2.5]
    >>> check_data("x", ["1", "2"])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    TypeError: x must hold numbers, got text (str/bytes) values such as '1'
    """
    if _has_text(values):
        flat = np.asarray(values, dtype=object).ravel()
        example = next((v for v in flat if isinstance(v, (str, bytes, np.str_, np.bytes_))), values)
        raise TypeError(f"{name} must hold numbers, got text (str/bytes) values such as {example!r}")
    return check_finite_array(name, values, **kwargs)
