"""Per-group table: point estimates equal fairlearn's MetricFrame; bootstrap intervals behave."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate

from mlops_course.fairness.table import group_table


def test_point_estimates_equal_metricframe(decisions):
    sf = pd.DataFrame({"group": decisions["group"], "sex": decisions["sex"]})
    table = group_table(decisions["y_true"], decisions["y_pred"], sensitive_features=sf)
    frame = MetricFrame(metrics={"selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
                                 "false_positive_rate": false_positive_rate},
                        y_true=decisions["y_true"], y_pred=decisions["y_pred"], sensitive_features=sf)
    assert isinstance(table.index, pd.MultiIndex) and list(table.index) == list(frame.by_group.index)
    for col in frame.by_group.columns:
        np.testing.assert_allclose(table[col].to_numpy(), frame.by_group[col].to_numpy(), atol=1e-12)
    assert table["count"].sum() == decisions["y_true"].size


def test_bootstrap_interval_width_matches_normal_theory():
    # One group of 400 with selection rate 0.3: the percentile interval's width should be close to the
    # normal-theory width 2·1.96·sqrt(p(1−p)/n) = 0.0898. With 400 resamples each end's estimate has a
    # relative sd of ~5% of the width, so a ±30% band is > 6 sd: false alarm < 1e-6 over seeds.
    y_pred = np.array([1] * 120 + [0] * 280)
    y_true = np.zeros(400, dtype=int)
    groups = np.array(["a"] * 400)
    t = group_table(y_true, y_pred, sensitive_features=groups, metrics=["selection_rate"], n_boot=400, rng=5_101)
    width = float(t["selection_rate_high"].iloc[0] - t["selection_rate_low"].iloc[0])
    expected = 2 * 1.959964 * np.sqrt(0.3 * 0.7 / 400)
    assert 0.7 * expected < width < 1.3 * expected
    assert t["selection_rate_low"].iloc[0] < 0.3 < t["selection_rate_high"].iloc[0]


def test_bootstrap_is_seeded_and_small_groups_are_wider(decisions):
    kw = dict(sensitive_features=decisions["group"], metrics=["accuracy"], n_boot=50)
    a = group_table(decisions["y_true"], decisions["y_pred"], rng=1, **kw)
    b = group_table(decisions["y_true"], decisions["y_pred"], rng=np.random.default_rng(1), **kw)
    pd.testing.assert_frame_equal(a, b)
    width = a["accuracy_high"] - a["accuracy_low"]
    assert width["c"] > width["a"]  # group c is 6x smaller than a
    assert (a["accuracy_low"] <= a["accuracy"]).all() and (a["accuracy"] <= a["accuracy_high"]).all()


def test_undefined_rate_is_nan():
    t = group_table([0, 0, 1, 0], [1, 0, 1, 0], sensitive_features=["a", "a", "b", "b"],
                    metrics=["true_positive_rate"], n_boot=10, rng=0)
    assert np.isnan(t.loc["a", "true_positive_rate"]) and np.isnan(t.loc["a", "true_positive_rate_low"])
    assert t.loc["b", "true_positive_rate"] == 1.0


def test_bad_input():
    y, p, g = [1, 0, 1, 0], [1, 1, 0, 0], ["a", "a", "b", "b"]
    with pytest.raises(ValueError, match="rng"):
        group_table(y, p, sensitive_features=g, n_boot=10)
    with pytest.raises(ValueError, match="n_boot"):
        group_table(y, p, sensitive_features=g, n_boot=-1)
    with pytest.raises(ValueError, match="confidence"):
        group_table(y, p, sensitive_features=g, n_boot=10, rng=0, confidence=1.0)
    with pytest.raises(ValueError, match="unknown rate"):
        group_table(y, p, sensitive_features=g, metrics=["f1"])
    with pytest.raises(ValueError, match="same length"):
        group_table(y, p[:3], sensitive_features=g)
    with pytest.raises(ValueError, match="binary"):
        group_table([3, 0, 1, 0], p, sensitive_features=g)
    with pytest.raises(ValueError, match="missing"):
        group_table(y, p, sensitive_features=[None, "a", "b", "b"])
