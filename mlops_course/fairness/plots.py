"""Figures of the bias unit: per-group thresholds (the widget) and the accuracy–fairness trade-off.

Every function draws on axes it is given (so :func:`mlops_course.viz.interactive_plot` can redraw
it from sliders) and titles and labels every panel.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mlops_course.fairness._inputs import check_binary, check_groups, check_scores
from mlops_course.fairness.metrics import _rate
from mlops_course.viz import interactive_plot, titled

__all__ = ["threshold_effects", "draw_threshold_effects", "threshold_widget", "draw_tradeoff"]


def threshold_effects(scores: Any, y_true: Any, sensitive_features: Any,
                      thresholds: Mapping[Any, float]) -> dict[str, Any]:
    """Rates of the decisions ``1[s ≥ t_g]``: per group and overall.

    Parameters
    ----------
    scores : array_like, shape (n,)
        Finite scores ``s``.
    y_true : array_like of 0/1, shape (n,)
        True labels.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row: 1-D for one attribute, a DataFrame or 2-D array for intersectional groups.
    thresholds : mapping
        Group label -> threshold ``t_g`` (every group needs one).

    Returns
    -------
    dict
        ``groups`` (labels), ``selection_rate``, ``false_positive_rate``, ``false_negative_rate``,
        ``accuracy`` (arrays, one entry per group) and ``overall_accuracy``, ``dp_difference``,
        ``eo_difference`` (floats; NaN where undefined).
    """
    s = check_scores("scores", scores)
    yt = check_binary("y_true", y_true, s.size, "scores")
    groups = check_groups(sensitive_features, s.size, ref_name="scores", min_groups=1)
    t = np.array([float(thresholds[g]) for g in groups.labels])
    yp = (s >= t[groups.codes]).astype(int)
    out: dict[str, Any] = {"groups": list(groups.labels)}
    for kind in ("selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate", "accuracy"):
        out[kind] = np.array([_rate(yt[groups.codes == i], yp[groups.codes == i], None, kind) for i in range(groups.k)])
    out["overall_accuracy"] = float(np.mean(yp == yt))
    out["dp_difference"] = float(np.ptp(out["selection_rate"]))
    out["eo_difference"] = float(max(np.ptp(out["true_positive_rate"]), np.ptp(out["false_positive_rate"])))
    return out


def draw_threshold_effects(axes: Sequence[Any], scores: Any, y_true: Any, sensitive_features: Any,
                           thresholds: Mapping[Any, float]) -> dict[str, Any]:
    """Two panels: selection rate / FPR / FNR per group, and accuracy per group and overall.

    Parameters
    ----------
    axes : sequence of two matplotlib.axes.Axes
        The rates panel and the accuracy panel.
    scores : array_like, shape (n,)
        Finite scores.
    y_true : array_like of 0/1, shape (n,)
        True labels.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row: 1-D for one attribute, a DataFrame or 2-D array for intersectional groups.
    thresholds : mapping
        Group label -> threshold.

    Returns
    -------
    dict
        The output of :func:`threshold_effects`.
    """
    eff = threshold_effects(scores, y_true, sensitive_features, thresholds)
    labels = [str(g) for g in eff["groups"]]
    x = np.arange(len(labels))
    width = 0.27
    ax0, ax1 = axes
    for j, (kind, name) in enumerate((("selection_rate", "selection rate"), ("false_positive_rate", "FPR"),
                                      ("false_negative_rate", "FNR"))):
        ax0.bar(x + (j - 1) * width, eff[kind], width, label=name)
    ax0.set_xticks(x, labels)
    ax0.set_ylim(0, 1.2)
    titled(ax0, f"Rates per group (DP gap {eff['dp_difference']:.2f}, EO gap {eff['eo_difference']:.2f})",
           "group", "rate")
    ax0.legend(loc="upper center", ncol=3)
    ax1.bar(x, eff["accuracy"], 0.5, color="tab:gray")
    ax1.axhline(eff["overall_accuracy"], color="tab:red", linestyle="--",
                label=f"overall {eff['overall_accuracy']:.3f}")
    ax1.set_xticks(x, labels)
    ax1.set_ylim(0, 1.2)
    titled(ax1, "Accuracy per group", "group", "accuracy")
    ax1.legend(loc="upper center")
    return eff


def _slider_name(label: Any) -> str:
    return "t_" + re.sub(r"\W", "_", str(label))


def threshold_widget(scores: Any, y_true: Any, sensitive_features: Any,
                     defaults: Mapping[Any, float] | None = None, *, show: bool = True) -> Any:
    """One threshold slider per group; redraws :func:`draw_threshold_effects`.

    A static figure at the default thresholds (0.5 unless ``defaults``) is always shown; the sliders
    appear in a live Jupyter kernel (see :func:`mlops_course.viz.interactive_plot`).

    Parameters
    ----------
    scores : array_like, shape (n,)
        Finite scores in [0, 1] (the sliders span [0, 1]).
    y_true : array_like of 0/1, shape (n,)
        True labels.
    sensitive_features : array_like, pandas.Series or pandas.DataFrame
        Group of each row: 1-D for one attribute, a DataFrame or 2-D array for intersectional groups.
    defaults : mapping or None, default None
        Group label -> starting threshold (0.5 for a missing group).
    show : bool, default True
        Display the figure and the sliders.

    Returns
    -------
    mlops_course.viz.InteractivePlot

    Raises
    ------
    ValueError
        If two group labels collide once made slider names, or the usual input errors.
    """
    s = check_scores("scores", scores)
    groups = check_groups(sensitive_features, s.size, ref_name="scores", min_groups=1)
    names = {_slider_name(g): g for g in groups.labels}
    if len(names) != groups.k:
        raise ValueError("group labels must stay distinct after replacing non-word characters by '_'")
    defaults = dict(defaults or {})
    sliders = {n: (round(float(defaults.get(g, 0.5)), 2), 0.0, 1.0, 0.01) for n, g in names.items()}

    def draw(axes: Any, **values: float) -> None:
        draw_threshold_effects(axes, s, y_true, sensitive_features, {g: values[n] for n, g in names.items()})

    return interactive_plot(draw, ncols=2, figsize=(11.0, 4.0), show=show, **sliders)


def draw_tradeoff(ax: Any, points: Mapping[str, tuple[Sequence[float], Sequence[float]]], *,
                  fairness_label: str = "demographic parity difference (held-out)",
                  title: str = "Accuracy–fairness trade-off") -> Any:
    """Scatter/line of (disparity, accuracy) per method: ``points[name] = (disparities, accuracies)``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    points : mapping of str to (sequence of float, sequence of float)
        Method name -> (disparities, accuracies), one point per setting.
    fairness_label : str, default "demographic parity difference (held-out)"
        x-axis label.
    title : str, default "Accuracy–fairness trade-off"
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.
    """
    for name, (disp, acc) in points.items():
        ax.plot(np.asarray(disp, dtype=float), np.asarray(acc, dtype=float), marker="o", label=name)
    return titled(ax, title, fairness_label, "accuracy (held-out)", legend=True)
