"""Chouldechova's identity and the Kleinberg–Mullainathan–Raghavan line on real and synthetic data."""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course.fairness import impossibility as I


def test_chouldechova_identity_on_random_confusion_matrices():
    rng = np.random.default_rng(5_401)
    for _ in range(200):
        tp, fp, fn, tn = rng.integers(1, 500, size=4)
        p, ppv, fnr, fpr = (tp + fn) / (tp + fp + fn + tn), tp / (tp + fp), fn / (tp + fn), fp / (fp + tn)
        assert I.chouldechova_fpr(p, ppv, fnr) == pytest.approx(fpr, rel=1e-12)


def test_chouldechova_table_on_loans(loan_model):
    t = loan_model["test"]
    table = I.chouldechova_table(loan_model["y"][t], loan_model["pred"][t], sensitive_features=loan_model["race"][t])
    np.testing.assert_allclose(table["fpr"], table["fpr_identity"], rtol=1e-12)
    assert table["prevalence"].nunique() == 3


def test_calibrated_scores_lie_on_the_kmr_line(loan_model):
    y, s, race = loan_model["y"], loan_model["score"], loan_model["race"]
    c = I.calibrate_within_groups(y, s, sensitive_features=race, n_bins=8)
    for r in np.unique(race):  # calibrated within each group: P(Y=1 | c, g) = c
        m = race == r
        for v in np.unique(c[m]):
            assert y[m & (c == v)].mean() == pytest.approx(v, abs=1e-12)
    table = I.kmr_table(y, c, sensitive_features=race)
    np.testing.assert_allclose(table["gfpr"], table["gfpr_kmr"], rtol=1e-10)
    np.testing.assert_allclose(table["mean_score"], table["prevalence"], rtol=1e-12)
    raw = I.kmr_table(y, s, sensitive_features=race)  # the uncalibrated score is off the line
    assert np.max(np.abs(raw["gfpr"] - raw["gfpr_kmr"])) > 1e-3


def test_bad_input():
    with pytest.raises(ValueError, match="prevalence"):
        I.chouldechova_fpr(1.0, 0.5, 0.5)
    with pytest.raises(ValueError, match="ppv"):
        I.chouldechova_fpr(0.5, 0.0, 0.5)
    with pytest.raises(ValueError, match="fnr"):
        I.chouldechova_fpr(0.5, 0.5, 1.5)
    with pytest.raises(ValueError, match="identity needs"):
        I.chouldechova_table([1, 1, 0, 1], [1, 0, 0, 1], sensitive_features=["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="same length"):
        I.calibrate_within_groups([1, 0], [0.2, 0.4, 0.5], sensitive_features=["a", "b"])
    with pytest.raises(ValueError, match="n_bins"):
        I.calibrate_within_groups([1, 0], [0.2, 0.4], sensitive_features=["a", "b"], n_bins=0)
    with pytest.raises(ValueError, match="both classes"):
        I.kmr_table([1, 1, 0, 1], [0.5] * 4, sensitive_features=["a", "a", "b", "b"])
