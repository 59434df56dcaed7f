"""Reweighing weights equal the textbook Kamiran–Calders formula and make Y independent of A."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from mlops_course.fairness.reweighing import reweighing_table, reweighing_weights


def _textbook(y, g):
    """w(g, y) = P(g)·P(y)/P(g, y), counted with exact fractions (Kamiran & Calders 2012, Alg. 3)."""
    n = len(y)
    out = []
    for gi, yi in zip(g, y, strict=True):
        p_g = Fraction(sum(1 for x in g if x == gi), n)
        p_y = Fraction(sum(1 for x in y if x == yi), n)
        p_gy = Fraction(sum(1 for a, b in zip(g, y, strict=True) if a == gi and b == yi), n)
        out.append(float(p_g * p_y / p_gy))
    return np.array(out)


def test_equals_textbook_formula():
    rng = np.random.default_rng(5_201)
    g = rng.choice(np.array(["w", "b", "h"]), size=300, p=[0.7, 0.2, 0.1])
    y = (rng.random(300) < np.where(g == "w", 0.9, 0.6)).astype(int)
    np.testing.assert_allclose(reweighing_weights(y, g), _textbook(list(y), list(g)), rtol=1e-12)


def test_weighted_label_is_independent_of_group(loan_model):
    y, race = loan_model["y"], loan_model["race"]
    w = reweighing_weights(y, race)
    overall = y.mean()
    for r in np.unique(race):
        m = race == r
        assert abs(np.sum(w[m] * y[m]) / np.sum(w[m]) - overall) < 1e-12  # P_w(Y=1 | g) = P(Y=1)
        assert abs(np.sum(w[m]) - m.sum()) < 1e-9  # group sizes kept
    assert abs(w.mean() - 1.0) < 1e-12
    assert abs(np.sum(w * y) - y.sum()) < 1e-9  # label counts kept


def test_intersectional_and_table():
    y = np.array([1, 1, 0, 1, 0, 0, 1, 0])
    sf = pd.DataFrame({"race": list("wwwwbbbb"), "sex": list("mfmfmfmf")})
    w = reweighing_weights(y, sf)
    keys = list(zip(sf["race"], sf["sex"], strict=True))
    np.testing.assert_allclose(w, _textbook(list(y), keys), rtol=1e-12)
    t = reweighing_table([1, 1, 1, 0, 1, 0, 0, 0], list("aaaabbbb"))
    assert t["weight"].round(6).tolist() == [2.0, 0.666667, 0.666667, 2.0]
    assert t["count"].sum() == 8


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        reweighing_weights([1, 0, 1], ["a", "b"])
    with pytest.raises(ValueError, match="at least 2 groups"):
        reweighing_weights([1, 0, 1], ["a", "a", "a"])
    with pytest.raises(ValueError, match="binary"):
        reweighing_weights([1, 2, 0], ["a", "b", "b"])
    with pytest.raises(ValueError, match="missing"):
        reweighing_weights([1, 0, 0], ["a", np.nan, "b"])
    with pytest.raises(ValueError, match="missing"):
        reweighing_weights([1, np.nan, 0], ["a", "b", "b"])
