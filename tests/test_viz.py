"""Tests of mlops_course.viz (plot/widget/table helpers of the notebooks)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mlops_course import viz  # noqa: E402


def _fresh_axes():
    return Figure().subplots()


# ---------------------------------------------------------------- sliders
@pytest.mark.parametrize(("spec", "kind"), [
    ((1.0, 0.01, 10.0, "log"), "log"),
    ((5, 1, 10), "int"),
    ((5, 1, 10, 2), "int"),
    ((0.5, 0.0, 1.0), "float"),
    ((0.5, 0.0, 1.0, 0.05), "float"),
    ((1, 0, 10, 0.5), "float"),  # a float step makes a float slider
])
def test_as_slider_kinds(spec, kind):
    assert viz.as_slider("x", spec).kind == kind


def test_slider_passthrough_and_widgets():
    s = viz.Slider(2.0, 0.1, 100.0, log=True, description="ε")
    assert viz.as_slider("epsilon", s) is s
    w = s.widget("epsilon")
    assert isinstance(w, widgets.FloatLogSlider)
    assert w.value == pytest.approx(2.0)
    assert (w.min, w.max, w.base) == (pytest.approx(-1.0), pytest.approx(2.0), 10)
    assert w.description == "ε"
    w = viz.as_slider("k", (10, 1, 50)).widget("k")
    assert isinstance(w, widgets.IntSlider)
    assert (w.value, w.min, w.max, w.step, w.description) == (10, 1, 50, 1, "k")
    w = viz.as_slider("q", (0.5, 0.0, 1.0, 0.05)).widget("q")
    assert isinstance(w, widgets.FloatSlider)
    assert (w.value, w.step) == (0.5, 0.05)


@pytest.mark.parametrize(("spec", "exc", "match"), [
    (1.0, TypeError, "must be a Slider or a tuple"),
    ("1,2,3", TypeError, "must be a Slider or a tuple"),
    ((1.0, 0.0), ValueError, "3 or 4 entries"),
    ((1.0, 0.0, 2.0, 0.1, 0.2), ValueError, "3 or 4 entries"),
    ((3.0, 0.0, 2.0), ValueError, "default must lie in"),
    ((1.0, 2.0, 0.0), ValueError, "low must be < high"),
    ((1.0, 1.0, 1.0), ValueError, "low must be < high"),
    ((1.0, 0.0, 2.0, -0.1), ValueError, "step must be > 0"),
    ((1.0, 0.0, 2.0, "log"), ValueError, "log slider needs low > 0"),
    ((1.0, 0.1, 2.0, "lin"), ValueError, "step or 'log'"),
    (("a", 0.0, 2.0), TypeError, "default must be a real number"),
    ((float("nan"), 0.0, 2.0), ValueError, "default must be finite"),
    ((1.0, 0.0, float("inf")), ValueError, "high must be finite"),
    ((True, 0, 2), TypeError, "default must be a real number"),
])
def test_bad_slider_specs(spec, exc, match):
    with pytest.raises(exc, match=match) as info:
        viz.as_slider("epsilon", spec)
    if isinstance(spec, tuple) and len(spec) in (3, 4):
        assert "slider 'epsilon'" in str(info.value)  # the message names the slider


# ---------------------------------------------------------------- titled / plot_lines
def test_titled_sets_title_and_labels():
    ax = _fresh_axes()
    ax.plot([0, 1], [0, 1], label="line")
    assert viz.titled(ax, "T", "x", "y", legend=True) is ax
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "x", "y")
    assert ax.get_legend() is not None


@pytest.mark.parametrize(("args", "exc"), [
    (("", "x", "y"), ValueError),
    (("T", "   ", "y"), ValueError),
    (("T", "x", None), TypeError),
    (("T", 3, "y"), TypeError),
])
def test_titled_rejects_missing_labels(args, exc):
    with pytest.raises(exc, match="title|xlabel|ylabel"):
        viz.titled(_fresh_axes(), *args)


def test_titled_rejects_non_axes():
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        viz.titled("not an axes", "T", "x", "y")


def test_plot_lines_draws_every_series():
    ax = _fresh_axes()
    x = np.arange(1, 6)
    viz.plot_lines(ax, x, {"a": x, "b": x**2}, title="T", xlabel="k", ylabel="y", logy=True, marker="o",
                   legend_loc="upper left")
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), x**2)
    assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
    assert ax.get_title() == "T" and ax.get_legend() is not None
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_plot_lines_validates():
    with pytest.raises(ValueError, match="at least one curve"):
        viz.plot_lines(_fresh_axes(), [1, 2], {}, title="T", xlabel="x", ylabel="y")
    with pytest.raises(ValueError, match=r"series\['a'\] must have the shape of x"):
        viz.plot_lines(_fresh_axes(), [1, 2], {"a": [1, 2, 3]}, title="T", xlabel="x", ylabel="y")
    with pytest.raises(TypeError, match="series must be a mapping"):
        viz.plot_lines(_fresh_axes(), [1, 2], [[1, 2]], title="T", xlabel="x", ylabel="y")


# ---------------------------------------------------------------- render / interactive_plot
def test_interactive_plot_calls_draw_with_defaults():
    calls = []

    def draw(ax, epsilon, k):
        calls.append((ax, epsilon, k))
        ax.plot([0, 1], [0, epsilon])
        viz.titled(ax, f"eps={epsilon}", "x", "y")

    plot = viz.interactive_plot(draw, epsilon=(1.0, 0.01, 10.0, "log"), k=(3, 1, 10), show=False)
    assert len(calls) == 1
    ax, epsilon, k = calls[0]
    assert (epsilon, k) == (1.0, 3)
    assert isinstance(epsilon, float) and isinstance(k, int)
    assert plot.defaults == {"epsilon": 1.0, "k": 3}
    assert isinstance(plot.figure, Figure) and ax.figure is plot.figure
    assert plot.figure.axes[0].get_title() == "eps=1.0"
    assert plot.controls is None and plot.output is None  # not displayed: no widgets built


def test_interactive_plot_several_panels():
    seen = {}

    def draw(axes, q):
        seen["n"] = len(axes)
        for ax in axes:
            viz.titled(ax, "T", "x", "y")

    plot = viz.interactive_plot(draw, ncols=2, figsize=(8, 3), q=(0.5, 0.0, 1.0), show=False)
    assert seen["n"] == 2 and len(plot.figure.axes) == 2
    assert tuple(plot.figure.get_size_inches()) == (8.0, 3.0)


def test_interactive_plot_outside_kernel_shows_static_figure_only(capsys):
    # Outside a Jupyter kernel there is no widget frontend: only the static figure is displayed.
    plot = viz.interactive_plot(lambda ax, a: viz.titled(ax, "T", "x", "y"), a=(1, 0, 2))
    assert plot.controls is None
    assert not viz.widgets_available()
    assert "Figure" in capsys.readouterr().out  # plain-Python display() prints the figure's text form


def _live(monkeypatch):
    """Pretend to run in a kernel; collect what interactive_plot displays."""
    shown = []
    monkeypatch.setattr(viz, "widgets_available", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.append((objs, kw)))
    return shown


def _png_pixels(data: bytes) -> np.ndarray:
    import io

    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(data), format="png")


def test_interactive_plot_live_is_one_output_redrawn_in_place(monkeypatch):
    import base64

    shown = _live(monkeypatch)
    values = []

    def draw(ax, epsilon):
        values.append(epsilon)
        ax.plot([0, 1], [0, epsilon])
        viz.titled(ax, f"eps={epsilon:g}", "x", "y")

    plot = viz.interactive_plot(draw, epsilon=(1.0, 0.1, 10.0, "log"))
    assert values == [1.0]  # drawn once at the defaults
    # exactly one display: a raw MIME bundle carrying the widget view AND the default figure as PNG
    assert len(shown) == 1
    (bundle,), kw = shown[0]
    assert kw == {"raw": True}
    assert bundle[viz.WIDGET_MIME]["model_id"] == plot.box.model_id
    assert "VBox(" not in bundle["text/plain"]  # a reader without a kernel never sees the widget repr
    static = base64.b64decode(bundle["image/png"])
    assert static[:8] == b"\x89PNG\r\n\x1a\n" and static == plot.image.value
    assert isinstance(plot.controls["epsilon"], widgets.FloatLogSlider)
    assert plot.box.children[:2] == (plot.controls["epsilon"], plot.image)
    first = plot.figure
    plot.controls["epsilon"].value = 2.0  # moving the slider redraws into the same Image widget
    assert values == [1.0, pytest.approx(2.0)]
    assert len(shown) == 1  # nothing new displayed below
    assert plot.figure is not first and plot.figure.axes[0].get_title() == "eps=2"
    before, after = _png_pixels(static), _png_pixels(plot.image.value)
    assert before.shape == after.shape  # same pixel size: the picture does not jump
    assert np.abs(before - after).max() > 0.1  # and it shows something else


def test_interactive_plot_redraw_error_is_shown_under_the_figure(monkeypatch):
    _live(monkeypatch)

    def draw(ax, k):
        if k > 3:
            raise ValueError("k too large")
        viz.titled(ax, "T", "x", "y")

    plot = viz.interactive_plot(draw, k=(2, 1, 5))
    png = plot.image.value
    plot.controls["k"].value = 4
    assert plot.error == "ValueError: k too large" and "k too large" in plot.box.children[-1].value
    assert plot.image.value == png  # the last good figure stays
    plot.controls["k"].value = 3
    assert plot.error == "" and plot.box.children[-1].value == ""


def test_interactive_plot_fixed_limits_do_not_follow_the_data():
    def draw(axes, scale):
        for ax in axes:
            ax.plot([-scale, scale], [0, scale])
            viz.titled(ax, "T", "x", "y")

    for scale in (1.0, 10.0):
        plot = viz.interactive_plot(draw, ncols=2, scale=(scale, 0.1, 10.0), xlim=[(-5, 5), None],
                                    ylim=(0, 20), show=False)
        left, right = plot.figure.axes
        assert left.get_xlim() == (-5.0, 5.0) and left.get_ylim() == right.get_ylim() == (0.0, 20.0)
        # the free axis still follows the data: it covers [-scale, scale]
        assert right.get_xlim()[0] <= -scale and right.get_xlim()[1] >= scale


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"xlim": (1, 0)}, ValueError, "xlim must have low < high"),
    ({"ylim": "0,1"}, TypeError, "ylim must be a"),
    ({"xlim": [(0, 1), (0, 1), (0, 1)]}, ValueError, "ncols=1"),
    ({"xlim": [(0, float("nan"))]}, ValueError, "finite"),
    ({"xlim": [(0, 1, 2)]}, ValueError, r"xlim\[0\] must be a \(low, high\) pair"),
])
def test_interactive_plot_bad_limits(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        viz.interactive_plot(lambda ax, a: None, a=(1.0, 0.0, 2.0), show=False, **kwargs)


def test_figure_png_rejects_non_figures():
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        viz.figure_png("not a figure")


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({}, ValueError, "at least one slider"),
    ({"epsilon": (1.0, 0.0, 2.0, "log")}, ValueError, "log slider needs low > 0"),
    ({"epsilon": 1.0}, TypeError, "must be a Slider or a tuple"),
    ({"epsilon": (1.0, 0.1, 2.0), "ncols": 0}, ValueError, "ncols must be an integer >= 1"),
    ({"epsilon": (1.0, 0.1, 2.0), "figsize": (0, 3)}, ValueError, "figsize"),
])
def test_interactive_plot_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        viz.interactive_plot(lambda ax, **kw: None, show=False, **kwargs)


def test_interactive_plot_rejects_non_callable():
    with pytest.raises(TypeError, match="draw must be callable"):
        viz.interactive_plot("draw", epsilon=(1.0, 0.1, 2.0), show=False)


def test_draw_errors_propagate():
    def draw(ax, epsilon):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        viz.interactive_plot(draw, epsilon=(1.0, 0.1, 2.0), show=False)


# ---------------------------------------------------------------- table
def test_table_markdown_and_text():
    t = viz.table([["Laplace", 0.123456, 3], ["a|b", 2.0, None]], ["mechanism", "epsilon", "k"])
    md = t._repr_markdown_().splitlines()
    assert md[0] == "| mechanism | epsilon | k |"
    assert md[1] == "| --- | --- | --- |"
    assert md[2] == "| Laplace | 0.1235 | 3 |"
    assert md[3] == "| a\\|b | 2 | None |"  # pipes escaped, floats formatted with .4g
    text = repr(t).splitlines()
    assert text[0] == "mechanism  epsilon  k"
    assert text[2] == "Laplace    0.1235   3"
    assert str(t) == repr(t)


def test_table_floatfmt_and_numpy_values():
    t = viz.table(np.array([[1.5, 2.25]]), ["a", "b"], floatfmt=".3f")
    assert t.rows == [["1.500", "2.250"]]
    assert viz.table([], ["only header"]).rows == []


@pytest.mark.parametrize(("rows", "headers", "kwargs", "exc", "match"), [
    ([[1, 2]], ["a"], {}, ValueError, r"rows\[0\] must have 1 cells"),
    ([[1], [1, 2]], ["a"], {}, ValueError, r"rows\[1\] must have 1 cells"),
    ([[1]], [], {}, ValueError, "at least one column"),
    ([[1]], "a", {}, TypeError, "headers must be a sequence"),
    ([[1]], [""], {}, ValueError, r"headers\[0\]"),
    ([[1]], [3], {}, TypeError, r"headers\[0\]"),
    ("abc", ["a"], {}, TypeError, "rows must be a sequence"),
    ([1], ["a"], {}, TypeError, r"rows\[0\] must be a sequence"),
    ([[1.0]], ["a"], {"floatfmt": "q"}, ValueError, "floatfmt"),
])
def test_table_validates(rows, headers, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        viz.table(rows, headers, **kwargs)


def test_rendered_figures_are_not_left_open_in_pyplot():
    import matplotlib.pyplot as plt

    plt.close("all")
    plot = viz.interactive_plot(lambda ax, a: viz.titled(ax, "T", "x", "y"), a=(1.0, 0.0, 2.0), show=False)
    assert plt.get_fignums() == []  # the inline backend will not show it a second time
    assert plot.figure.axes[0].get_title() == "T"
