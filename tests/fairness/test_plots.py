"""Threshold widget and trade-off figure: numbers equal the metrics; every panel titled and labelled."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mlops_course.fairness import metrics as M  # noqa: E402
from mlops_course.fairness import plots as P  # noqa: E402


def test_threshold_effects_equal_metrics(decisions):
    th = {"a": 0.55, "b": 0.45, "c": 0.4}
    eff = P.threshold_effects(decisions["score"], decisions["y_true"], decisions["group"], th)
    pred = np.where(decisions["score"] >= np.vectorize(th.get)(decisions["group"]), 1, 0)
    assert eff["dp_difference"] == pytest.approx(
        M.demographic_parity_difference(decisions["y_true"], pred, sensitive_features=decisions["group"]), abs=1e-12)
    assert eff["eo_difference"] == pytest.approx(
        M.equalized_odds_difference(decisions["y_true"], pred, sensitive_features=decisions["group"]), abs=1e-12)
    assert eff["overall_accuracy"] == pytest.approx(np.mean(pred == decisions["y_true"]))


def test_widget_static_figure(decisions):
    plot = P.threshold_widget(decisions["score"], decisions["y_true"], decisions["group"], {"a": 0.6}, show=False)
    assert plot.defaults == {"t_a": 0.6, "t_b": 0.5, "t_c": 0.5}
    axes = plot.figure.axes
    assert len(axes) == 2
    for ax in axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_tradeoff_figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    P.draw_tradeoff(ax, {"thresholds": ([0.1, 0.05], [0.88, 0.87])})
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    plt.close(fig)
