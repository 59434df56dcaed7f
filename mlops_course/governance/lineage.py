"""Data lineage: raw data → features → models, what an erasure touches, and a drawing.

A lineage graph is a directed acyclic graph whose edge ``parent → child`` says "child was
computed from parent". Nodes have a *kind*: ``source`` (raw data collected from data subjects),
``dataset`` (derived: cleaned tables, features, aggregates), ``model`` (trained on one dataset)
or ``report`` (published outputs: dashboards, statistics, model cards).

**What an erasure touches.** A subject's data reaches every source that holds one of their rows
and every node downstream of it (the transitive closure of the edges):

    touched(s) = H(s) ∪ { v : u ⇝ v for some u ∈ H(s) },   H(s) = sources holding s.

Erasure (GDPR Art. 17, CCPA §1798.105) deletes the rows in ``H(s)``, recomputes the touched
datasets and retrains the touched models; untouched nodes stay as they are. Lineage here is kept
at dataset level, so the closure is conservative (an aggregate counts as touched even if the
subject's contribution is negligible).

The compliance unit's :class:`mlops_course.compliance.records.DataStore` materialises such a
graph and performs the erasure; :meth:`LineageGraph.from_store` reads its lineage so both units
use the same graph, and :meth:`LineageGraph.draw` draws it with matplotlib (layered layout by
depth; no graphviz needed).

References
----------
P. Buneman, S. Khanna, W.-C. Tan, "Why and where: a characterization of data provenance",
ICDT 2001. W3C PROV-DM (2013): entities, activities, *wasDerivedFrom*.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlops_course._validation import check_choice

__all__ = ["KINDS", "ErasureImpact", "LineageGraph", "erasure_touches"]

KINDS: tuple[str, ...] = ("source", "dataset", "model", "report")
_COLOURS = {"source": "#4C72B0", "dataset": "#55A868", "model": "#8172B2", "report": "#937860"}


@dataclass(frozen=True)
class ErasureImpact:
    """What erasing one subject touches, by kind (each in topological order).

    Parameters
    ----------
    subject_id : str
        The subject to erase.
    sources : tuple of str
        Sources holding the subject's records.
    datasets : tuple of str
        Derived datasets to recompute.
    models : tuple of str
        Models to retrain (or unlearn).
    reports : tuple of str
        Reports to regenerate.
    """

    subject_id: str
    sources: tuple[str, ...]
    datasets: tuple[str, ...]
    models: tuple[str, ...]
    reports: tuple[str, ...]

    @property
    def touched(self) -> tuple[str, ...]:
        return self.sources + self.datasets + self.models + self.reports


@dataclass
class LineageGraph:
    """A lineage DAG (see the module docstring).

    Parameters
    ----------
    _kinds, _parents, _subjects : dict
        Internal state (node kinds, parents and the subjects held by each source); leave at the empty
        default and build the graph with :meth:`add` or :meth:`from_edges`.

    Examples
    --------
    >>> g = LineageGraph()
    >>> g.add("crm", "source", subjects=["S1", "S2"])
    >>> g.add("web", "source", subjects=["S3"])
    >>> g.add("features", "dataset", ["crm"])
    >>> g.add("model", "model", ["features"])
    >>> g.erasure_impact("S1").touched
    ('crm', 'features', 'model')
    """

    _kinds: dict[str, str] = field(default_factory=dict, repr=False)
    _parents: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _subjects: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def add(self, name: str, kind: str, parents: Iterable[str] = (), *, subjects: Iterable[str] = ()) -> None:
        """Add a node after its parents (so insertion order is topological).

        Raises
        ------
        ValueError
            Empty or duplicate name, unknown kind, unknown parent, a source with parents, a
            derived node without parents, or subjects on a non-source.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty str, got {name!r}")
        if name in self._kinds:
            raise ValueError(f"a node called {name!r} already exists")
        check_choice("kind", kind, KINDS)
        parents = (parents,) if isinstance(parents, str) else tuple(parents)
        unknown = [p for p in parents if p not in self._kinds]
        if unknown:
            raise ValueError(f"parents {unknown} of {name!r} do not exist; add them first")
        if kind == "source" and parents:
            raise ValueError(f"source {name!r} cannot have parents (it is raw data)")
        if kind != "source" and not parents:
            raise ValueError(f"{kind} {name!r} needs at least one parent")
        subjects = frozenset(str(s) for s in subjects)
        if subjects and kind != "source":
            raise ValueError("only sources hold subjects' rows; derived nodes inherit them through lineage")
        self._kinds[name] = kind
        self._parents[name] = parents
        self._subjects[name] = subjects

    @classmethod
    def from_store(cls, store: Any) -> LineageGraph:
        """The lineage of a compliance :class:`~mlops_course.compliance.records.DataStore`."""
        graph = cls()
        for node in store.nodes:
            subjects = [r[store.id_column] for r in store.rows(node.name)] if node.kind == "source" else []
            graph.add(node.name, node.kind, node.parents, subjects=subjects)
        return graph

    @classmethod
    def from_edges(cls, edges: Iterable[tuple[str, str]], holders: Mapping[str, Iterable[str]],
                   kinds: Mapping[str, str] | None = None) -> LineageGraph:
        """Build from ``(parent, child)`` edges and ``source -> subjects`` (kinds: default by position).

        Nodes without parents are sources; nodes without children are models unless ``kinds``
        says otherwise; the rest are datasets.
        """
        edges = [(str(p), str(c)) for p, c in edges]
        names: dict[str, None] = {}
        for p, c in edges:
            names.update(dict.fromkeys((p, c)))
        names.update(dict.fromkeys(holders))
        parents = {n: tuple(p for p, c in edges if c == n) for n in names}
        children = {n for n, _ in edges}
        kinds = dict(kinds or {})
        graph = cls()
        pending = list(names)
        while pending:
            ready = [n for n in pending if all(p in graph._kinds for p in parents[n])]
            if not ready:
                raise ValueError(f"the edges contain a cycle through {sorted(pending)}")
            for n in ready:
                kind = kinds.get(n) or ("source" if not parents[n] else "dataset" if n in children else "model")
                graph.add(n, kind, parents[n], subjects=holders.get(n, ()) if kind == "source" else ())
                pending.remove(n)
        return graph

    # ------------------------------------------------------------------ queries
    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names in topological order."""
        return tuple(self._kinds)

    def kind(self, name: str) -> str:
        self._check(name)
        return self._kinds[name]

    def parents(self, name: str) -> tuple[str, ...]:
        self._check(name)
        return self._parents[name]

    def edges(self) -> list[tuple[str, str]]:
        """``(parent, child)`` pairs."""
        return [(p, n) for n, ps in self._parents.items() for p in ps]

    def _check(self, name: str) -> None:
        if name not in self._kinds:
            raise KeyError(f"no node called {name!r}; known: {list(self._kinds)}")

    def downstream(self, names: str | Iterable[str]) -> list[str]:
        """Every node computed (directly or not) from ``names``, in topological order."""
        start = {names} if isinstance(names, str) else set(names)
        for n in start:
            self._check(n)
        reached = set(start)
        for n, ps in self._parents.items():
            if any(p in reached for p in ps):
                reached.add(n)
        return [n for n in self._kinds if n in reached and n not in start]

    def upstream(self, name: str) -> list[str]:
        """Every node ``name`` was computed from (its provenance), in topological order."""
        self._check(name)
        reached, stack = set(), list(self._parents[name])
        while stack:
            p = stack.pop()
            if p not in reached:
                reached.add(p)
                stack.extend(self._parents[p])
        return [n for n in self._kinds if n in reached]

    def holders(self, subject_id: str) -> list[str]:
        """Sources holding at least one row of the subject."""
        return [n for n, s in self._subjects.items() if str(subject_id) in s]

    def erasure_impact(self, subject_id: str) -> ErasureImpact:
        """The nodes an erasure of ``subject_id`` must delete from, recompute or retrain.

        Raises
        ------
        KeyError
            If no source holds the subject.
        """
        held = self.holders(subject_id)
        if not held:
            raise KeyError(f"subject {subject_id!r} is not held in any source")
        down = self.downstream(held)
        by_kind = {k: tuple(n for n in down if self._kinds[n] == k) for k in KINDS}
        return ErasureImpact(str(subject_id), tuple(held), by_kind["dataset"], by_kind["model"], by_kind["report"])

    def depth(self) -> dict[str, int]:
        """Longest-path depth of every node from the sources (sources: 0)."""
        out: dict[str, int] = {}
        for n, ps in self._parents.items():
            out[n] = 1 + max(out[p] for p in ps) if ps else 0
        return out

    # ------------------------------------------------------------------ drawing
    def layout(self) -> dict[str, tuple[float, float]]:
        """Layered layout: x = depth, nodes of one layer spread evenly on y in [0, 1]."""
        depth = self.depth()
        layers: dict[int, list[str]] = {}
        for n in self._kinds:
            layers.setdefault(depth[n], []).append(n)
        pos = {}
        for d, names in layers.items():
            for i, n in enumerate(names):
                pos[n] = (float(d), 1.0 - (i + 1) / (len(names) + 1))
        return pos

    def draw(self, ax: Any, *, highlight: Iterable[str] = (), title: str = "Data lineage",
             highlight_label: str = "touched by the erasure") -> Any:
        """Draw the graph on a matplotlib Axes: boxes coloured by kind, highlighted nodes in red.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from matplotlib.patches import Patch

        from mlops_course.viz import titled

        marked = set(highlight)
        for n in marked:
            self._check(n)
        pos = self.layout()
        boxes = {}
        for n, (x, y) in pos.items():
            edge = "#C44E52" if n in marked else "black"
            boxes[n] = ax.text(x, y, n, ha="center", va="center", fontsize=8, color="white", zorder=3,
                               bbox={"boxstyle": "round,pad=0.35", "fc": _COLOURS[self._kinds[n]], "ec": edge,
                                     "lw": 2.5 if n in marked else 0.8})
        for p, c in self.edges():
            colour = "#C44E52" if p in marked and c in marked else "0.55"
            _ = ax.annotate("", xy=(0.0, 0.5), xycoords=boxes[c], xytext=(1.0, 0.5), textcoords=boxes[p],
                            arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.4, "shrinkA": 6,
                                        "shrinkB": 6}, zorder=2)
        width = max((x for x, _ in pos.values()), default=0.0)
        _ = ax.set_xlim(-0.5, width + 0.5)
        _ = ax.set_ylim(-0.05, 1.05)
        _ = ax.set_yticks([])
        _ = ax.set_xticks(range(int(width) + 1))
        handles = [Patch(fc=_COLOURS[k], label=k) for k in KINDS if k in self._kinds.values()]
        if marked:
            handles.append(Patch(fc="white", ec="#C44E52", lw=2.5, label=highlight_label))
        _ = ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
        return titled(ax, title, "lineage depth (steps from raw data)", "nodes")


def erasure_touches(edges: Iterable[tuple[str, str]], holders: Mapping[str, Iterable[str]], subject: str) -> list[str]:
    """Sorted names of the nodes an erasure of ``subject`` touches (plain-data form of
    :meth:`LineageGraph.erasure_impact`; the exercise's reference). ``[]`` if no source holds them.

    Parameters
    ----------
    edges : iterable of (str, str)
        ``(parent, child)`` lineage edges.
    holders : mapping of str to iterable of str
        Source name -> subject ids it holds.
    subject : str
        The subject to erase.

    Returns
    -------
    list of str
        Sorted node names.

    Examples
    --------
    >>> erasure_touches([("crm", "features"), ("features", "model"), ("web", "stats")],
    ...                 {"crm": ["S1"], "web": ["S2"]}, "S1")
    ['crm', 'features', 'model']
    """
    graph = LineageGraph.from_edges(edges, holders)
    if not graph.holders(subject):
        return []
    return sorted(graph.erasure_impact(subject).touched)
