"""Argument checks shared by the explanation modules (validate once, at the public boundary).

A *model* here is any callable ``predict(X) -> y`` that maps an ``(n, d)`` float array to ``n``
finite numbers (a probability, a score, a regression output), e.g.
``lambda X: clf.predict_proba(X)[:, 1]``. Explanations only ever query the model; they never
look inside it, which is what makes them *post hoc* and *model-agnostic*.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array, check_int

__all__ = ["check_predict", "check_matrix", "check_rows", "check_feature", "model_output", "check_binary",
           "check_same_length"]

Predict = Callable[[np.ndarray], Any]


def check_predict(predict: Any, name: str = "predict") -> Predict:
    """Require a callable model ``predict(X)``.

    Parameters
    ----------
    predict : callable
        The model, ``predict(X) -> array of shape (n,)``.
    name : str, default "predict"
        Name of the argument, used in the error message.

    Returns
    -------
    callable
        ``predict`` itself.

    Raises
    ------
    TypeError
        If ``predict`` is not callable.
    """
    if not callable(predict):
        raise TypeError(f"{name} must be a callable predict(X) -> array of shape (n,), got {type(predict).__name__}")
    return predict


def check_matrix(name: str, X: Any, n_features: int | None = None) -> np.ndarray:
    """``X`` as a finite, non-empty 2-D float array (with ``n_features`` columns if given).

    Parameters
    ----------
    name : str
        Name of the argument, used in the error messages.
    X : array_like, shape (n, d)
        The data matrix.
    n_features : int or None, default None
        Required number of columns ``d``; ``None`` accepts any ``d >= 1``.

    Returns
    -------
    numpy.ndarray, shape (n, d)
        ``X`` as a float array.

    Raises
    ------
    TypeError
        If ``X`` is not numeric.
    ValueError
        If ``X`` is not 2-D, is empty, has no columns, holds NaN/inf or has the wrong number of columns.
    """
    arr = check_finite_array(name, X, ndim=2)
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column, got shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} columns (one per feature), got shape {arr.shape}")
    return arr


def check_rows(name: str, x: Any, n_features: int) -> tuple[np.ndarray, bool]:
    """One instance ``(d,)`` or several ``(n, d)`` as a 2-D array, and whether it was a single row.

    Parameters
    ----------
    name : str
        Name of the argument, used in the error messages.
    x : array_like, shape (d,) or (n, d)
        One instance or several.
    n_features : int
        Required number of features ``d`` (as in the background data).

    Returns
    -------
    rows : numpy.ndarray, shape (n, d)
        The instances as a 2-D float array (``n = 1`` for a single instance).
    single : bool
        True if ``x`` was one 1-D instance.

    Raises
    ------
    TypeError
        If ``x`` is not numeric.
    ValueError
        If ``x`` is empty, holds NaN/inf, is not 1-D or 2-D, or has a number of features other than ``n_features``.
    """
    arr = check_finite_array(name, x)
    if arr.ndim == 1:
        arr, single = arr[None, :], True
    elif arr.ndim == 2:
        single = False
    else:
        raise ValueError(f"{name} must be 1-D (one instance) or 2-D (instances x features), got shape {arr.shape}")
    if arr.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features like the background data, got shape {arr.shape}")
    return arr, single


def check_feature(feature: Any, n_features: int, name: str = "feature") -> int:
    """A feature index in ``[0, n_features)``.

    Parameters
    ----------
    feature : int
        The feature index.
    n_features : int
        Number of features ``d``.
    name : str, default "feature"
        Name of the argument, used in the error messages.

    Returns
    -------
    int
        ``feature`` as an int.

    Raises
    ------
    TypeError
        If ``feature`` is not an integer.
    ValueError
        If ``feature`` is outside ``[0, n_features)``.
    """
    return check_int(name, feature, minimum=0, maximum=n_features - 1)


def model_output(predict: Predict, X: np.ndarray, name: str = "predict") -> np.ndarray:
    """Call the model and check it returns one finite number per row.

    Parameters
    ----------
    predict : callable
        The model, ``predict(X)``.
    X : numpy.ndarray, shape (n, d)
        Rows to predict (already validated).
    name : str, default "predict"
        Name of the model argument, used in the error messages.

    Returns
    -------
    numpy.ndarray, shape (n,)
        One float per row (an output of shape ``(n, 1)`` is flattened).

    Raises
    ------
    ValueError
        If the output does not have one number per row, or holds NaN/inf.
    """
    out = np.asarray(predict(X), dtype=float)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape != (X.shape[0],):
        raise ValueError(f"{name}(X) must return one number per row, shape ({X.shape[0]},), got shape {out.shape}; "
                         "for a classifier pass e.g. lambda X: model.predict_proba(X)[:, 1]")
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name}(X) returned NaN/inf values")
    return out


def check_binary(name: str, y: Any) -> np.ndarray:
    """Labels that must be 0/1 (as a float array).

    Parameters
    ----------
    name : str
        Name of the argument, used in the error messages.
    y : array_like, shape (n,)
        The labels.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``y`` as a float array of 0.0 and 1.0.

    Raises
    ------
    TypeError
        If ``y`` is not numeric.
    ValueError
        If ``y`` is not 1-D, is empty, holds NaN/inf or a value other than 0 and 1.
    """
    arr = check_finite_array(name, y, ndim=1)
    if not np.all((arr == 0) | (arr == 1)):
        bad = np.unique(arr[(arr != 0) & (arr != 1)])[:5]
        raise ValueError(f"{name} must be binary (0/1), got other values such as {bad.tolist()}")
    return arr


def check_same_length(**arrays: np.ndarray) -> None:
    """All arrays have the same number of rows."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        text = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise ValueError(f"mismatched lengths: {text} rows")
