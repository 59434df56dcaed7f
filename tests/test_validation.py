"""The shared argument validators: values pass through, bad input names the argument."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mlops_course import _validation as v


@pytest.mark.parametrize("value", [1e-9, 0.5, 3, 1e6])
def test_check_epsilon_accepts_positive(value):
    assert v.check_epsilon(value) == float(value)


@pytest.mark.parametrize("value, exc", [(0, ValueError), (-1.0, ValueError), (math.inf, ValueError),
                                        (math.nan, ValueError), ("1", TypeError), (True, TypeError),
                                        (None, TypeError)])
def test_check_epsilon_rejects(value, exc):
    with pytest.raises(exc, match="epsilon"):
        v.check_epsilon(value)


def test_error_message_names_value_and_range():
    with pytest.raises(ValueError) as info:
        v.check_epsilon(-1.0)
    assert str(info.value) == "epsilon must be a finite number > 0, got -1.0"


@pytest.mark.parametrize("value", [0.0, 1.0, -0.1, 1.5])
def test_check_delta_open_interval(value):
    with pytest.raises(ValueError, match=r"delta must be in \(0, 1\)"):
        v.check_delta(value)


def test_check_delta_allow_zero():
    assert v.check_delta(0.0, allow_zero=True) == 0.0
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        v.check_delta(1.0, allow_zero=True)


def test_check_sensitivity_negative():
    with pytest.raises(ValueError, match="sensitivity"):
        v.check_sensitivity(-2)


def test_check_int():
    assert v.check_int("k", np.int64(3), minimum=1) == 3
    with pytest.raises(TypeError, match="k must be an integer"):
        v.check_int("k", 2.5)
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        v.check_int("k", 0, minimum=1)
    with pytest.raises(ValueError, match="k must be <= 5"):
        v.check_int("k", 6, maximum=5)


def test_check_finite_array():
    out = v.check_finite_array("x", [1, 2, 3], ndim=1)
    assert out.dtype == float and out.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="x must not be empty"):
        v.check_finite_array("x", [])
    with pytest.raises(ValueError, match="2 NaN/inf"):
        v.check_finite_array("x", [1.0, np.nan, np.inf])
    with pytest.raises(ValueError, match="x must be 1-dimensional, got shape \\(2, 2\\)"):
        v.check_finite_array("x", [[1, 2], [3, 4]], ndim=1)
    with pytest.raises(TypeError, match="x must be numeric"):
        v.check_finite_array("x", ["a", "b"])
    assert v.check_finite_array("x", [], allow_empty=True).size == 0


def test_check_rng():
    g = np.random.default_rng(1)
    assert v.check_rng(g) is g
    assert v.check_rng(5).random() == np.random.default_rng(5).random()
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        v.check_rng(np.random.RandomState(0))
    with pytest.raises(TypeError, match="rng"):
        v.check_rng(None)


def test_check_bounds():
    assert v.check_bounds(0, 1) == (0.0, 1.0)
    with pytest.raises(ValueError, match="lower must be < upper"):
        v.check_bounds(2, 1)
    with pytest.raises(ValueError, match="finite"):
        v.check_bounds(-math.inf, 1)


def test_check_probability_closed():
    assert v.check_probability("p", 1.0, open_high=False) == 1.0
    with pytest.raises(ValueError, match=r"p must be in \(0, 1\], got 0"):
        v.check_probability("p", 0, open_high=False)
