"""Reweighing: a pre-processing mitigation (Kamiran & Calders 2012).

Give every training row of group ``g`` with label ``y`` the weight

    w(g, y) = P(g) · P(y) / P(g, y) = (n_g · n_y) / (n · n_{g,y}),

the ratio between the frequency the cell would have if the label were independent of the group
and its observed frequency. Under these weights the label is statistically independent of the
group (``P_w(Y=y | A=g) = P(Y=y)`` for every ``g``), while the weighted size of each group and
of each label stays as observed. A learner that accepts ``sample_weight`` then trains on data
in which favourable labels are no more common in one group than another.

Guarantee: independence in the *training* data, which usually (not provably) lowers the
demographic-parity gap of the learned model; it does not touch equalized odds directly.

Reference: F. Kamiran and T. Calders, "Data preprocessing techniques for classification without
discrimination", Knowledge and Information Systems 33(1) (2012) 1-33, Algorithm 3 (also
AIF360's ``Reweighing``).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlops_course.fairness._inputs import check_binary, check_groups

__all__ = ["reweighing_weights", "reweighing_table"]


def reweighing_weights(y: Any, sensitive_features: Any) -> np.ndarray:
    """Kamiran–Calders weights ``w_i = P(g_i)·P(y_i) / P(g_i, y_i)`` for every row.

    Parameters
    ----------
    y : array_like of 0/1
        Training labels.
    sensitive_features : array_like, Series or DataFrame
        Group of each row (several columns: intersectional groups).

    Returns
    -------
    numpy.ndarray
        Positive float weights, shape ``(n,)``; their mean is 1 (``Σ w = n``).

    Raises
    ------
    ValueError
        Mismatched lengths, non-binary labels, missing values, or a single group.

    Examples
    --------
    >>> reweighing_weights([1, 1, 1, 0, 1, 0, 0, 0], list("aaaabbbb")).round(4).tolist()
    [0.6667, 0.6667, 0.6667, 2.0, 2.0, 0.6667, 0.6667, 0.6667]
    """
    yy = check_binary("y", y)
    groups = check_groups(sensitive_features, yy.size, ref_name="y")
    n = yy.size
    cell = groups.codes * 2 + yy
    n_cell = np.bincount(cell, minlength=2 * groups.k).astype(float)
    n_group = np.bincount(groups.codes, minlength=groups.k).astype(float)
    n_label = np.bincount(yy, minlength=2).astype(float)
    return n_group[groups.codes] * n_label[yy] / (n * n_cell[cell])


def reweighing_table(y: Any, sensitive_features: Any) -> pd.DataFrame:
    """The weight of each (group, label) cell with its counts, for display.

    Parameters
    ----------
    y : array_like of 0/1, shape (n,)
        Labels.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row: 1-D for one attribute, a DataFrame or 2-D array for intersectional groups.

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``label``, ``count``, ``expected`` (``n·P(g)·P(y)``) and ``weight``
        (``expected / count``); cells without rows are omitted.
    """
    yy = check_binary("y", y)
    groups = check_groups(sensitive_features, yy.size, ref_name="y")
    n = yy.size
    rows = []
    for i, label in enumerate(groups.labels):
        n_g = int(np.sum(groups.codes == i))
        for lab in (0, 1):
            count = int(np.sum((groups.codes == i) & (yy == lab)))
            if count:
                expected = n_g * int(np.sum(yy == lab)) / n
                rows.append((label, lab, count, expected, expected / count))
    return pd.DataFrame(rows, columns=["group", "label", "count", "expected", "weight"])
