"""Plotting and widget helpers shared by the course notebooks.

Three small tools keep every notebook figure and table consistent:

* :func:`titled` / :func:`plot_lines` - every figure has a title and axis labels;
* :func:`interactive_plot` - the course's one widget pattern: a single figure that its sliders
  redraw in place (an ``ipywidgets.Image`` whose PNG is replaced), stored with the default figure
  as ``image/png`` beside the widget view, so a reader without a kernel (JupyterLab before
  running, GitHub, nbconvert HTML, the slide decks) sees the figure and never a widget repr;
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
           "figure_png", "Table", "table", "widgets_available", "WIDGET_MIME"]

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

    Parameters
    ----------
    draw : callable
        ``draw(axes, **values)``; what it returns is ignored.
    values : mapping of str to object
        Keyword arguments of ``draw`` (the slider values).
    ncols : int, optional
        Number of side-by-side panels (>= 1).
    figsize : (float, float), optional
        Figure size in inches, both > 0 (default: matplotlib's default, widened to
        ``min(5 · ncols, 14)`` inches for several panels).

    Returns
    -------
    matplotlib.figure.Figure
        The drawn figure (constrained layout), already closed in pyplot.

    Raises
    ------
    TypeError
        If ``draw`` is not callable.
    ValueError
        If ``ncols`` is not an integer >= 1 or ``figsize`` is not two sizes > 0.

    Examples
    --------
    >>> fig = render(lambda ax, k: ax.plot([0, 1], [0, k]), {"k": 2.0}, ncols=1)
    >>> len(fig.axes), fig.axes[0].lines[0].get_ydata().tolist()
    (1, [0.0, 2.0])
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


#: MIME type of a Jupyter widget view (what JupyterLab renders as live widgets)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def figure_png(fig: Any) -> bytes:
    """The PNG bytes of a figure at its own size and dpi (no tight bounding box, so a redraw keeps the
    image's pixel size and the slider never makes the picture jump).

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    bytes
        A PNG file.

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib Figure.
    """
    import io

    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, facecolor="white")
    return buffer.getvalue()


def _check_limits(name: str, value: Any, ncols: int) -> list[tuple[float, float] | None]:
    """``None``, one ``(low, high)`` pair for every panel, or one pair (or ``None``) per panel."""
    def pair(item: Any, where: str) -> tuple[float, float] | None:
        if item is None:
            return None
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
            raise ValueError(f"{where} must be a (low, high) pair or None, got {item!r}")
        low, high = _check_real(where, item[0]), _check_real(where, item[1])
        if not low < high:
            raise ValueError(f"{where} must have low < high, got {item!r}")
        return (low, high)

    if value is None:
        return [None] * ncols
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a (low, high) pair, a list of {ncols} pairs/None, or None, "
                        f"got {type(value).__name__} {value!r}")
    if len(value) == 2 and all(isinstance(v, numbers.Real) for v in value):
        return [pair(value, name)] * ncols
    if len(value) != ncols:
        raise ValueError(f"{name} must be one (low, high) pair or a list of ncols={ncols} pairs/None, got {value!r}")
    return [pair(v, f"{name}[{i}]") for i, v in enumerate(value)]


@dataclass
class InteractivePlot:
    """What :func:`interactive_plot` built.

    ``figure`` is the figure currently shown (the default one until a slider moves);
    ``controls`` (slider name -> slider widget), ``image`` (the ``ipywidgets.Image`` the sliders
    redraw in place) and ``box`` (sliders + image) exist only when the plot was shown in a live kernel.
    ``error`` holds the message of the last failed redraw (also shown under the figure).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure currently shown.
    defaults : dict of str to object
        The sliders' default values (what the static figure was drawn with).
    controls : dict of str to ipywidgets widget, optional
        ``slider name -> slider`` (live kernel only).
    image : ipywidgets.Image, optional
        The image the sliders redraw in place (live kernel only).
    box : ipywidgets.VBox, optional
        Sliders and image together (live kernel only).
    error : str
        Message of the last failed redraw (``""`` if none).
    """

    figure: Any
    defaults: dict[str, Any]
    controls: dict[str, Any] | None = None
    image: Any = None
    box: Any = None
    error: str = ""

    @property
    def output(self) -> Any:
        """The widget the sliders redraw (the ``Image``); kept under the older name."""
        return self.image


def interactive_plot(draw: Callable[..., Any], /, *, ncols: int = 1, figsize: tuple[float, float] | None = None,
                     xlim: Any = None, ylim: Any = None, show: bool = True, **sliders: Any) -> InteractivePlot:
    """One figure with sliders that redraw it in place, and a static picture without a kernel.

    The course's single widget pattern. ``draw(axes, **values)`` is called with the slider
    defaults and the figure is turned into a PNG. In a live Jupyter kernel the cell shows **one**
    output: the sliders above an ``ipywidgets.Image`` holding that PNG; moving a slider calls
    ``draw`` again and replaces the image's bytes, so the visible figure changes where it is (no
    second figure appears below). The same output also carries the PNG as ``image/png``: where no
    widget can render (a notebook opened without running it, GitHub, ``nbconvert`` HTML, the
    ``mlops-course slides`` decks; widget state is never stored) the reader sees the default
    figure, never the widget's text repr. Outside a kernel only the figure is displayed.

    Parameters
    ----------
    draw : callable
        ``draw(axes, **values)``; ``axes`` is one Axes (``ncols=1``) or an array of ``ncols`` Axes.
        Give every Axes a title and axis labels (see :func:`titled`).
    ncols : int
        Number of side-by-side panels.
    figsize : (float, float), optional
        Figure size in inches (default: course default, widened for several panels).
    xlim, ylim : (float, float) or list of (float, float) or None, optional
        Fixed axis limits applied after every ``draw``: one ``(low, high)`` pair for every panel,
        or one pair (or ``None`` = automatic) per panel. Fixed axes let a slider's effect show as a
        change of shape (noise that widens as ε falls) instead of being rescaled away.
    show : bool
        Display the figure (and widgets). ``False`` only builds the figure (used by tests).
    **sliders : Slider or tuple
        One slider per keyword argument of ``draw``, in a compact spec accepted by
        :func:`as_slider`, e.g. ``epsilon=(1.0, 0.01, 10.0, "log")``.

    Returns
    -------
    InteractivePlot
        The figure, the default values and (in a live kernel) the widgets. Assign it
        (``_ = interactive_plot(...)``) so the cell prints no repr.

    Raises
    ------
    TypeError
        If ``draw`` is not callable or a spec or limit has the wrong type.
    ValueError
        If no slider is given or a spec or limit is invalid (slider names cannot be ``ncols``,
        ``figsize``, ``xlim``, ``ylim`` or ``show``: those are options of this function).

    Examples
    --------
    >>> def draw(ax, scale):
    ...     _ = ax.plot([0, 1], [0, scale])
    ...     _ = titled(ax, f"scale = {scale:g}", "x", "y")
    >>> plot = interactive_plot(draw, scale=(1.0, 0.1, 10.0, "log"), ylim=(0, 10), show=False)
    >>> plot.defaults, [float(v) for v in plot.figure.axes[0].get_ylim()]
    ({'scale': 1.0}, [0.0, 10.0])
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if not sliders:
        raise ValueError("interactive_plot needs at least one slider keyword, e.g. epsilon=(1.0, 0.1, 10.0)")
    if not _is_int(ncols) or ncols < 1:
        raise ValueError(f"ncols must be an integer >= 1, got {ncols!r}")
    specs = {name: as_slider(name, spec) for name, spec in sliders.items()}
    xlims, ylims = _check_limits("xlim", xlim, ncols), _check_limits("ylim", ylim, ncols)
    defaults = {name: (int(s.default) if s.kind == "int" else float(s.default)) for name, s in specs.items()}

    def figure(values: Mapping[str, Any]) -> Any:
        fig = render(draw, values, ncols=ncols, figsize=figsize)
        for ax, xl, yl in zip(fig.axes[:ncols], xlims, ylims, strict=False):
            if xl is not None:
                ax.set_xlim(*xl)
            if yl is not None:
                ax.set_ylim(*yl)
        return fig

    plot = InteractivePlot(figure(defaults), defaults)
    if not show:
        return plot
    from IPython.display import display

    if not widgets_available():
        display(plot.figure)
        return plot
    import base64

    import ipywidgets as widgets

    png = figure_png(plot.figure)
    plot.controls = {name: spec.widget(name) for name, spec in specs.items()}
    plot.image = widgets.Image(value=png, format="png")
    message = widgets.HTML("")
    plot.box = widgets.VBox([*plot.controls.values(), plot.image, message])

    def redraw(_change: Any = None) -> None:
        values = {name: control.value for name, control in plot.controls.items()}
        try:
            fig = figure(values)
            plot.image.value = figure_png(fig)
        except Exception as exc:  # noqa: BLE001 - shown under the figure; the kernel log is invisible in class
            plot.error = f"{type(exc).__name__}: {exc}"
            message.value = f"<pre style='color:#b00'>draw failed: {plot.error}</pre>"
            return
        plot.figure, plot.error, message.value = fig, "", ""

    for control in plot.controls.values():
        control.observe(redraw, names="value")
    bundle = {WIDGET_MIME: {"version_major": 2, "version_minor": 0, "model_id": plot.box.model_id},
              "image/png": base64.b64encode(png).decode("ascii"),
              "text/plain": f"<Figure with sliders: {', '.join(specs)}>"}
    display(bundle, raw=True)
    return plot


def _format_cell(value: Any, floatfmt: str) -> str:
    if isinstance(value, (float, np.floating)):
        return format(float(value), floatfmt)
    return str(value)


class Table:
    """A small table: Markdown in Jupyter (``_repr_markdown_``), aligned text in ``repr``/``str``."""

    def __init__(self, rows: Sequence[Sequence[Any]], headers: Sequence[str], floatfmt: str = ".4g") -> None:
        """Format every cell once (floats with ``floatfmt``, anything else with ``str``).

        Parameters
        ----------
        rows : sequence of sequence
            The rows (a list of lists or a 2-d array), each with one cell per header.
        headers : sequence of str
            Column titles (at least one).
        floatfmt : str, optional
            Format spec for float cells (``".4g"``, ``".2%"``, ...).

        Raises
        ------
        TypeError
            If ``headers``, ``rows`` or a row is not a sequence (a string is not), or a header is
            not a string.
        ValueError
            If ``headers`` is empty, a row has the wrong number of cells, or ``floatfmt`` is not
            a float format spec.

        Examples
        --------
        >>> print(Table([["ε", 0.123456], ["δ", 1e-5]], ["parameter", "value"]))
        parameter  value
        ---------  ------
        ε          0.1235
        δ          1e-05
        """
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
