"""Figures of the compliance unit: the lineage graph of a :class:`.records.DataStore`."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlops_course.compliance.records import DataStore
from mlops_course.viz import titled

__all__ = ["draw_lineage"]

_COLOURS = {"source": "#4C72B0", "dataset": "#55A868", "model": "#C44E52"}


def draw_lineage(ax: Any, store: DataStore, *, reached: Iterable[str] = (), title: str = "Lineage") -> Any:
    """Draw sources → datasets → models left to right (column = longest path from a source).

    Nodes in ``reached`` (e.g. what an erasure must touch) are drawn with a thick black edge.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    store : DataStore
        The lineage to draw.
    reached : iterable of str, default ()
        Node names to highlight.
    title : str, default "Lineage"
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``store`` is not a DataStore.
    """
    if not isinstance(store, DataStore):
        raise TypeError(f"store must be a DataStore, got {type(store).__name__}")
    reached = set(reached)
    depth: dict[str, int] = {}
    for node in store.nodes:
        depth[node.name] = 1 + max((depth[p] for p in node.parents), default=-1)
    rows: dict[int, int] = {}
    pos = {}
    for node in store.nodes:
        d = depth[node.name]
        pos[node.name] = (d, -rows.get(d, 0))
        rows[d] = rows.get(d, 0) + 1
    for parent, child in store.edges():
        (x0, y0), (x1, y1) = pos[parent], pos[child]
        ax.annotate("", xy=(x1 - 0.18, y1), xytext=(x0 + 0.18, y0),
                    arrowprops={"arrowstyle": "->", "color": "0.4"})
    for node in store.nodes:
        x, y = pos[node.name]
        ax.text(x, y, node.name, ha="center", va="center", fontsize=9, color="white",
                bbox={"boxstyle": "round", "fc": _COLOURS[node.kind],
                      "ec": "black" if node.name in reached else _COLOURS[node.kind],
                      "lw": 2.5 if node.name in reached else 1})
    ax.set_xlim(-0.5, max(depth.values()) + 0.5)
    ax.set_ylim(-max(rows.values()) + 0.5, 0.5)
    ax.set_xticks(range(max(depth.values()) + 1))
    ax.set_yticks([])
    ax.grid(False)
    for kind, colour in _COLOURS.items():
        ax.plot([], [], "s", color=colour, label=kind)
    return titled(ax, title, "lineage depth (steps from a source)", "nodes", legend=True)
