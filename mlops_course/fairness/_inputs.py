"""Input validation shared by the fairness modules (binary labels, group labels, weights).

Every public fairness function validates its inputs here, once, at the boundary, and raises a
``ValueError``/``TypeError`` naming the argument, what was found and what is allowed:

* mismatched lengths (``y_pred has 9 entries but y_true has 10``);
* labels that are not binary 0/1 (or bool) where a binary label is required;
* missing values (NaN/None) in labels, scores or sensitive features;
* a single group where a comparison between groups is asked for.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["check_binary", "check_scores", "check_groups", "check_weights", "Groups"]


def _length_error(name: str, got: int, ref_name: str, n: int) -> ValueError:
    return ValueError(f"{name} has {got} entries but {ref_name} has {n}: they must have the same length")


def check_binary(name: str, values: Any, n: int | None = None, ref_name: str = "y_true") -> np.ndarray:
    """Return ``values`` as an int array of 0/1 labels (bools accepted).

    Parameters
    ----------
    name : str
        Name of the argument, used in the error messages.
    values : array_like or pandas.Series, shape (n,)
        The labels (bool, int or float 0/1).
    n : int or None, default None
        Required length (None: any).
    ref_name : str, default "y_true"
        Name of the argument that fixed ``n``, used in the length error.

    Returns
    -------
    numpy.ndarray of int, shape (n,)
        The labels as 0/1 integers.

    Raises
    ------
    ValueError
        Empty, not 1-D, missing values, values other than 0/1, or length differing from ``n``.
    """
    if isinstance(values, (pd.Series, pd.DataFrame)):
        values = values.to_numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if n is not None and arr.size != n:
        raise _length_error(name, arr.size, ref_name, n)
    if arr.dtype == bool:
        return arr.astype(int)
    if arr.dtype.kind not in "iuf":
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must hold binary labels 0/1, got dtype {arr.dtype}") from exc
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError(f"{name} has {int(np.isnan(arr).sum())} missing value(s) (NaN): drop or impute them first")
    bad = ~np.isin(arr, (0, 1))
    if bad.any():
        found = np.unique(arr[bad])[:5].tolist()
        raise ValueError(f"{name} must be binary with values 0/1 (1 = favourable outcome), found {found}")
    return arr.astype(int)


def check_scores(name: str, values: Any, n: int | None = None, ref_name: str = "y_true",
                 probability: bool = False) -> np.ndarray:
    """Return ``values`` as a 1-D float array of finite scores (in [0, 1] if ``probability``).

    Parameters
    ----------
    name : str
        Name of the argument, used in the error messages.
    values : array_like or pandas.Series, shape (n,)
        The scores.
    n : int or None, default None
        Required length (None: any).
    ref_name : str, default "y_true"
        Name of the argument that fixed ``n``, used in the length error.
    probability : bool, default False
        Require every score in [0, 1].

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        The scores.

    Raises
    ------
    TypeError
        If the values are not numeric.
    ValueError
        Not 1-D, empty, wrong length, NaN/inf, or outside [0, 1] with ``probability``.
    """
    if isinstance(values, (pd.Series, pd.DataFrame)):
        values = values.to_numpy()
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric scores, got {type(values).__name__}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if n is not None and arr.size != n:
        raise _length_error(name, arr.size, ref_name, n)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} has {int((~np.isfinite(arr)).sum())} missing or infinite value(s) (NaN/inf)")
    if probability and ((arr < 0) | (arr > 1)).any():
        raise ValueError(f"{name} must be probabilities in [0, 1], found values in [{arr.min():g}, {arr.max():g}]")
    return arr


class Groups:
    """Group membership of ``n`` rows: integer ``codes`` into the list ``labels``.

    Several sensitive features (a DataFrame or 2-D array) define intersectional groups: one group
    per observed combination, labelled by a tuple (``("black", "female")``).

    Parameters
    ----------
    codes : numpy.ndarray of int, shape (n,)
        Index into ``labels`` of each row's group.
    labels : list
        Group labels (a tuple per group for intersectional groups).
    names : list of str
        Names of the sensitive attributes (columns).
    """

    def __init__(self, codes: np.ndarray, labels: list[Any], names: list[str]) -> None:
        self.codes = codes
        self.labels = labels
        self.names = names

    @property
    def k(self) -> int:
        return len(self.labels)

    def masks(self) -> list[np.ndarray]:
        return [self.codes == i for i in range(self.k)]


def _is_missing(column: np.ndarray) -> np.ndarray:
    return pd.isna(pd.Series(column, dtype=object)).to_numpy()


def check_groups(sensitive_features: Any, n: int | None = None, *, ref_name: str = "y_true",
                 min_groups: int = 2, name: str = "sensitive_features") -> Groups:
    """Validate sensitive features (1-D: one attribute; DataFrame or 2-D: intersectional).

    Parameters
    ----------
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row: 1-D for one attribute, a DataFrame or 2-D array for intersectional groups.
    n : int or None, default None
        Required number of rows (None: any).
    ref_name : str, default "y_true"
        Name of the argument that fixed ``n``, used in the length error.
    min_groups : int, default 2
        Fewest distinct groups allowed.
    name : str, default "sensitive_features"
        Name of the argument, used in the error messages.

    Returns
    -------
    Groups
        Integer codes per row, the group labels and the attribute names.

    Raises
    ------
    ValueError
        Wrong length, missing values, or fewer than ``min_groups`` distinct groups.
    """
    if isinstance(sensitive_features, pd.Series):
        columns = [sensitive_features.to_numpy(dtype=object)]
        names = [str(sensitive_features.name) if sensitive_features.name is not None else "group"]
    elif isinstance(sensitive_features, pd.DataFrame):
        columns = [sensitive_features[c].to_numpy(dtype=object) for c in sensitive_features.columns]
        names = [str(c) for c in sensitive_features.columns]
    else:
        arr = np.asarray(sensitive_features, dtype=object)
        if arr.ndim == 1:
            columns, names = [arr], ["group"]
        elif arr.ndim == 2:
            columns, names = [arr[:, j] for j in range(arr.shape[1])], [f"feature{j}" for j in range(arr.shape[1])]
        else:
            raise ValueError(f"{name} must be 1- or 2-dimensional, got shape {arr.shape}")
    if not columns:
        raise ValueError(f"{name} must hold at least one column")
    size = len(columns[0])
    if size == 0:
        raise ValueError(f"{name} must not be empty")
    if n is not None and size != n:
        raise _length_error(name, size, ref_name, n)
    for col_name, col in zip(names, columns, strict=True):
        missing = _is_missing(col)
        if missing.any():
            raise ValueError(f"{name} column {col_name!r} has {int(missing.sum())} missing value(s); "
                             "give them an explicit group label or drop those rows")
    if len(columns) == 1:
        keys = list(columns[0])
    else:
        keys = list(zip(*columns, strict=True))
    try:
        labels = sorted(set(keys))
    except TypeError:  # mixed types: sort by text
        labels = sorted(set(keys), key=str)
    if len(labels) < min_groups:
        raise ValueError(f"{name} must define at least {min_groups} groups to compare, found {len(labels)}: {labels}")
    index = {label: i for i, label in enumerate(labels)}
    codes = np.fromiter((index[k] for k in keys), dtype=np.int64, count=size)
    return Groups(codes, labels, names)


def check_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """``None`` or a 1-D array of ``n`` finite, non-negative weights with a positive sum.

    Parameters
    ----------
    sample_weight : array_like of shape (n,) or None
        The weights.
    n : int
        Required length.

    Returns
    -------
    numpy.ndarray of float, shape (n,), or None
        The weights, or None if ``sample_weight`` is None.

    Raises
    ------
    TypeError
        If the weights are not numeric.
    ValueError
        Wrong shape or length, NaN/inf, a negative weight or a zero sum.
    """
    if sample_weight is None:
        return None
    w = check_scores("sample_weight", sample_weight, n)
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("sample_weight must be >= 0 with a positive sum")
    return w
