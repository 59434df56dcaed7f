"""Plotting and widget helpers shared by the course notebooks.

Three small tools keep every notebook figure and table consistent:

* :func:`titled` / :func:`plot_lines` - every figure has a title and axis labels;
* :func:`interactive_plot` - a figure with sliders that *degrades*: it always shows a static
  figure drawn at the slider defaults (so a headless ``nbval``/``nbconvert`` run and a reader of
  the rendered notebook see the result) and, in a live Jupyter kernel with ipywidgets 8, adds
  sliders wired with :func:`ipywidgets.interactive_output` that redraw the figure;
* :func:`table` - a table that renders as Markdown in Jupyter and as aligned text elsewhere.

Slider specs are compact: ``epsilon=(1.0, 0.01, 10.0, "log")`` is a log-scale slider
(default 1, range [0.01, 10]); ``k=(10, 1, 50)`` an integer slider; ``q=(0.5, 0.0, 1.0, 0.05)``
a float slider with step 0.05. :class:`Slider` spells the same thing out.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Slider", "as_slider", "titled", "plot_lines", "render", "interactive_plot", "InteractivePlot",
           "Table", "table", "widgets_available"]



def _check_text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__} {value!r}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Slider:
    """One slider: its default, range, step and scale.

    Parameters
    ----------
    default, low, high : float or int
        Initial value and range, ``low <= default <= high`` and ``low < high``. If all of them
        (and ``step``) are integers and ``log`` is false, the slider is an ``IntSlider``.
    step : float or int, optional
        Step of a linear slider (default: 1 for integers, (high - low)/100 for floats); for a
        log slider, the step of the base-10 exponent (default: (log10 high - log10 low)/100).
    log : bool
        Log-scale slider (``FloatLogSlider``); requires ``low > 0``.
    description : str, optional
        Label shown next to the slider (default: the keyword name).

    Raises
    ------
    TypeError
        If a bound is not a real number.
    ValueError
        If ``low >= high``, ``default`` lies outside ``[low, high]``, ``step <= 0`` or a log
        slider has ``low <= 0``.

    Examples
    --------
    >>> Slider(1.0, 0.01, 10.0, log=True).kind
    'log'
    >>> Slider(5, 1, 10).kind
    'int'
    """

    default: float
    low: float
    high: float
    step: float | None = None
    log: bool = False
    description: str | None = None

    def __post_init__(self) -> None:
        default = _check_real("default", self.default)
        low = _check_real("low", self.low)
        high = _check_real("high", self.high)
        if not low < high:
            raise ValueError(f"low must be < high, got low={self.low!r}, high={self.high!r}")
        if not low <= default <= high:
            raise ValueError(f"default must lie in [low, high] = [{self.low!r}, {self.high!r}], got {self.default!r}")
        if self.step is not None and _check_real("step", self.step) <= 0:
            raise ValueError(f"step must be > 0, got {self.step!r}")
        if not isinstance(self.log, bool):
            raise TypeError(f"log must be a bool, got {type(self.log).__name__} {self.log!r}")
        if self.log and low <= 0:
            raise ValueError(f"a log slider needs low > 0, got low={self.low!r}")
        if self.description is not None:
            _check_text("description", self.description)

    @property
    def kind(self) -> str:
        """``"log"``, ``"int"`` or ``"float"``: which ipywidgets slider :meth:`widget` builds."""
        if self.log:
            return "log"
        numbers_ = (self.default, self.low, self.high) + (() if self.step is None else (self.step,))
        return "int" if all(_is_int(v) for v in numbers_) else "float"

    def widget(self, name: str) -> Any:
        """Build the ipywidgets 8 slider (``FloatLogSlider``, ``IntSlider`` or ``FloatSlider``)."""
        import ipywidgets as widgets

        label = self.description or name
        style = {"description_width": "initial"}
        layout = widgets.Layout(width="420px")
        if self.kind == "log":
            lo, hi = math.log10(self.low), math.log10(self.high)
            step = self.step if self.step is not None else (hi - lo) / 100
            return widgets.FloatLogSlider(value=float(self.default), base=10, min=lo, max=hi, step=step,
                                          description=label, style=style, layout=layout,
                                          continuous_update=False)
        if self.kind == "int":
            return widgets.IntSlider(value=int(self.default), min=int(self.low), max=int(self.high),
                                     step=int(self.step or 1), description=label, style=style, layout=layout,
                                     continuous_update=False)
        step = self.step if self.step is not None else (self.high - self.low) / 100
        return widgets.FloatSlider(value=float(self.default), min=float(self.low), max=float(self.high),
                                   step=step, description=label, style=style, layout=layout,
                                   continuous_update=False)


def as_slider(name: str, spec: Any) -> Slider:
    """Turn a compact slider spec into a :class:`Slider`.

    Parameters
    ----------
    name : str
        Keyword the draw function receives the value under (used in error messages).
    spec : Slider or tuple
        ``(default, low, high)``, ``(default, low, high, step)`` or ``(default, low, high, "log")``.

    Returns
    -------
    Slider

    Raises
    ------
    TypeError
        If ``spec`` is neither a :class:`Slider` nor a tuple/list.
    ValueError
        If the tuple has the wrong length or invalid numbers (see :class:`Slider`).

    Examples
    --------
    >>> as_slider("epsilon", (1.0, 0.01, 10.0, "log")).log
    True
    """
    if isinstance(spec, Slider):
        return spec
    if not isinstance(spec, (tuple, list)):
        raise TypeError(
            f"slider {name!r} must be a Slider or a tuple (default, low, high[, step | 'log']), "
            f"got {type(spec).__name__} {spec!r}")
    if len(spec) not in (3, 4):
        raise ValueError(
            f"slider {name!r} must have 3 or 4 entries (default, low, high[, step | 'log']), got {spec!r}")
    default, low, high, *rest = spec
    try:
        if rest and isinstance(rest[0], str):
            if rest[0] != "log":
                raise ValueError(f"the 4th entry of a slider spec must be a step or 'log', got {rest[0]!r}")
            return Slider(default, low, high, log=True)
        return Slider(default, low, high, step=rest[0] if rest else None)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"slider {name!r}: {exc}") from None


def titled(ax: Any, title: str, xlabel: str, ylabel: str, *, legend: bool = False) -> Any:
    """Give an axes its title and axis labels (every course figure has all three).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    title, xlabel, ylabel : str
        Non-empty strings.
    legend : bool
        Also draw the legend of the labelled artists.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself, for chaining.

    Raises
    ------
    TypeError
        If ``ax`` is not a matplotlib Axes or a label is not a string.
    ValueError
        If a label is empty.
    """
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    ax.set_title(_check_text("title", title))
    ax.set_xlabel(_check_text("xlabel", xlabel))
    ax.set_ylabel(_check_text("ylabel", ylabel))
    if legend:
        ax.legend()
    return ax


def plot_lines(ax: Any, x: Any, series: Mapping[str, Any], *, title: str, xlabel: str, ylabel: str,
               logx: bool = False, logy: bool = False, marker: str | None = None,
               legend_loc: str = "best") -> Any:
    """Plot several labelled curves over the same ``x``, with title, labels and legend.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : array_like, shape (n,)
    series : mapping of str to array_like of shape (n,)
        Legend label -> y values.
    title, xlabel, ylabel : str
    logx, logy : bool
        Logarithmic axes.
    marker : str, optional
        Matplotlib marker for every curve (e.g. ``"o"``).
    legend_loc : str
        Legend position (matplotlib ``loc``, e.g. ``"upper left"``).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``series`` is not a mapping.
    ValueError
        If ``series`` is empty or a curve's length differs from ``x``.
    """
    if not isinstance(series, Mapping):
        raise TypeError(f"series must be a mapping label -> y values, got {type(series).__name__}")
    if not series:
        raise ValueError("series must hold at least one curve, got an empty mapping")
    xs = np.asarray(x, dtype=float)
    for label, ys in series.items():
        ys = np.asarray(ys, dtype=float)
        if ys.shape != xs.shape:
            raise ValueError(f"series[{label!r}] must have the shape of x {xs.shape}, got {ys.shape}")
        ax.plot(xs, ys, marker=marker, label=str(label))
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    titled(ax, title, xlabel, ylabel)
    ax.legend(loc=legend_loc)
    return ax


def render(draw: Callable[..., Any], values: Mapping[str, Any], *, ncols: int = 1,
           figsize: tuple[float, float] | None = None) -> Any:
    """Draw one figure: ``draw(axes, **values)`` on a fresh ``1 x ncols`` grid of axes.

    ``axes`` is a single Axes when ``ncols == 1`` and an array of Axes otherwise. The figure is
    created with ``pyplot`` (which loads the notebook's inline backend, so ``display(fig)`` shows
    a PNG) and immediately closed, so pyplot never shows it a second time at the end of the cell
    and redraws from a slider never leak open figures; display it or save it.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if not _is_int(ncols) or ncols < 1:
        raise ValueError(f"ncols must be an integer >= 1, got {ncols!r}")
    if figsize is not None and (not isinstance(figsize, (tuple, list)) or len(figsize) != 2
                                or any(_check_real("figsize", v) <= 0 for v in figsize)):
        raise ValueError(f"figsize must be (width, height) in inches, both > 0, got {figsize!r}")
    if figsize is None:
        import matplotlib as mpl

        width, height = mpl.rcParams["figure.figsize"]
        figsize = (width if ncols == 1 else min(5.0 * ncols, 14.0), height)
    fig = plt.figure(figsize=figsize, layout="constrained")
    plt.close(fig)  # we display it ourselves: keep it out of pyplot's list of open figures
    axes = fig.subplots(1, ncols, squeeze=True)
    draw(axes, **values)
    return fig


def widgets_available() -> bool:
    """True when ipywidgets imports and we run inside a Jupyter kernel (so sliders can be shown)."""
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - both are course dependencies
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


@dataclass(frozen=True)
class InteractivePlot:
    """What :func:`interactive_plot` built: the static figure and (live kernels only) the widgets."""

    figure: Any
    defaults: dict[str, Any]
    controls: dict[str, Any] | None = None
    output: Any = None


def interactive_plot(draw: Callable[..., Any], /, *, ncols: int = 1, figsize: tuple[float, float] | None = None,
                     show: bool = True, **sliders: Any) -> InteractivePlot:
    """A figure with sliders that degrades to a static figure.

    ``draw(axes, **values)`` is called once with the slider defaults; that figure is displayed as
    an ordinary output (visible headless and in the rendered notebook). In a live Jupyter kernel
    the sliders are displayed below it, wired with :func:`ipywidgets.interactive_output`: moving a
    slider redraws the figure below the sliders with the new values (the static figure keeps
    showing the defaults for comparison).

    Parameters
    ----------
    draw : callable
        ``draw(axes, **values)``; ``axes`` is one Axes (``ncols=1``) or an array of ``ncols`` Axes.
        Give every Axes a title and axis labels (see :func:`titled`).
    ncols : int
        Number of side-by-side panels.
    figsize : (float, float), optional
        Figure size in inches (default: course default, widened for several panels).
    show : bool
        Display the figure (and widgets). ``False`` only builds them (used by tests).
    **sliders : Slider or tuple
        One slider per keyword argument of ``draw``, in a compact spec accepted by
        :func:`as_slider`, e.g. ``epsilon=(1.0, 0.01, 10.0, "log")``.

    Returns
    -------
    InteractivePlot
        The static figure, the default values and (in a live kernel) the slider widgets and the
        output widget. Assign it (``_ = interactive_plot(...)``) so the cell prints no repr.

    Raises
    ------
    TypeError
        If ``draw`` is not callable or a spec has the wrong type.
    ValueError
        If no slider is given or a spec is invalid (slider names cannot be ``ncols``, ``figsize``
        or ``show``: those are options of this function).

    Examples
    --------
    >>> def draw(ax, scale):
    ...     _ = ax.plot([0, 1], [0, scale])
    ...     _ = titled(ax, f"scale = {scale:g}", "x", "y")
    >>> plot = interactive_plot(draw, scale=(1.0, 0.1, 10.0, "log"), show=False)
    >>> plot.defaults
    {'scale': 1.0}
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if not sliders:
        raise ValueError("interactive_plot needs at least one slider keyword, e.g. epsilon=(1.0, 0.1, 10.0)")
    specs = {name: as_slider(name, spec) for name, spec in sliders.items()}
    defaults = {name: (int(s.default) if s.kind == "int" else float(s.default)) for name, s in specs.items()}
    fig = render(draw, defaults, ncols=ncols, figsize=figsize)
    if not show:
        return InteractivePlot(fig, defaults)
    from IPython.display import display

    display(fig)
    if not widgets_available():
        return InteractivePlot(fig, defaults)
    import ipywidgets as widgets

    controls = {name: spec.widget(name) for name, spec in specs.items()}
    first_call = [True]

    def _redraw(**values: Any) -> None:
        if first_call[0]:  # interactive_output draws once at once: the static figure already shows that
            first_call[0] = False
            return
        display(render(draw, values, ncols=ncols, figsize=figsize))

    output = widgets.interactive_output(_redraw, controls)
    display(widgets.VBox([*controls.values(), output]))
    return InteractivePlot(fig, defaults, controls, output)


def _format_cell(value: Any, floatfmt: str) -> str:
    if isinstance(value, (float, np.floating)):
        return format(float(value), floatfmt)
    return str(value)


class Table:
    """A small table: Markdown in Jupyter (``_repr_markdown_``), aligned text in ``repr``/``str``."""

    def __init__(self, rows: Sequence[Sequence[Any]], headers: Sequence[str], floatfmt: str = ".4g") -> None:
        if isinstance(headers, str) or not isinstance(headers, Sequence):
            raise TypeError(f"headers must be a sequence of str, got {type(headers).__name__}")
        if not headers:
            raise ValueError("headers must name at least one column, got an empty sequence")
        self.headers = [_check_text(f"headers[{i}]", h) for i, h in enumerate(headers)]
        if isinstance(rows, (str, bytes)) or not isinstance(rows, (Sequence, np.ndarray)):
            raise TypeError(f"rows must be a sequence of rows, got {type(rows).__name__}")
        try:
            format(1.0, floatfmt)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"floatfmt must be a float format spec such as '.4g', got {floatfmt!r}") from exc
        self.rows: list[list[str]] = []
        for i, row in enumerate(rows):
            if isinstance(row, (str, bytes)) or not isinstance(row, (Sequence, np.ndarray)):
                raise TypeError(f"rows[{i}] must be a sequence of cells, got {type(row).__name__}")
            if len(row) != len(self.headers):
                raise ValueError(f"rows[{i}] must have {len(self.headers)} cells (one per header), got {len(row)}")
            self.rows.append([_format_cell(v, floatfmt) for v in row])

    def _repr_markdown_(self) -> str:
        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

        return "\n".join([line(self.headers), line(["---"] * len(self.headers))] + [line(r) for r in self.rows])

    def __repr__(self) -> str:
        widths = [max(len(c) for c in col) for col in zip(self.headers, *self.rows, strict=True)]
        def line(cells: Sequence[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        return "\n".join([line(self.headers), line(["-" * w for w in widths])] + [line(r) for r in self.rows])

    __str__ = __repr__


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], *, floatfmt: str = ".4g") -> Table:
    """Build a table for a notebook cell: rendered as Markdown in Jupyter, aligned text in plain output.

    Parameters
    ----------
    rows : sequence of sequences
        One sequence of cells per row, each as long as ``headers``. Floats are formatted with
        ``floatfmt``; other values with ``str``.
    headers : sequence of str
        Column names.
    floatfmt : str
        Format spec for floats (default ``".4g"``).

    Returns
    -------
    Table
        Make it the last expression of a cell to display it.

    Raises
    ------
    TypeError
        If ``rows``/``headers`` are not sequences or a header is not a string.
    ValueError
        If a row's length differs from the number of headers, a header is empty or ``floatfmt``
        is not a float format.

    Examples
    --------
    >>> print(table([["Laplace", 0.5]], ["mechanism", "epsilon"]))
    mechanism  epsilon
    ---------  -------
    Laplace    0.5
    """
    return Table(rows, headers, floatfmt)
