"""A minimal lineage model: source tables of data subjects → derived datasets → trained models.

Erasure (GDPR Art. 17, CCPA §1798.105) and access (Art. 15, §1798.100/.110) must follow personal
data wherever it went. :class:`DataStore` keeps a directed acyclic graph whose nodes are

* **sources** — tables of records, each row carrying the subject's id (``subject_id``);
* **datasets** — derived by a deterministic *recipe* from parent nodes (a pseudonymised copy, a
  feature table, an aggregate …); rows need not carry the id (a keyed-hash pseudonym or no
  identifier at all);
* **models** — trained by a deterministic *trainer* on one dataset.

Lineage is tracked at dataset level: a subject *reaches* every node downstream of a source that
holds one of their rows (conservative: an aggregate counts as reached). Erasing a subject deletes
their rows from every source and then **re-materialises** every downstream dataset and
**retrains** every downstream model in topological order, so the store afterwards equals — row for
row and bit for bit — a store built from sources that never held the subject
(:meth:`DataStore.equals`). :meth:`DataStore.find_traces` searches every dataset for identifiers
(including pseudonyms, which are personal data too, Recital 26).

The graph is small and explicit on purpose; the governance unit (04) draws it and may reuse it.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_course.compliance.unlearning import predict_proba, train_logreg

__all__ = ["Node", "LogRegTrainer", "ErasureResult", "Trace", "DataStore"]

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Node:
    """One node of the lineage graph.

    Parameters
    ----------
    name : str
        Unique node name.
    kind : {"source", "dataset", "model"}
        What the node holds.
    parents : tuple of str, default ()
        Names of the nodes it is computed from.
    recipe : callable or None, default None
        Computes the node's value from its parents' values (None for a source).
    description : str, default ""
        Free text.
    """

    name: str
    kind: str  # "source", "dataset" or "model"
    parents: tuple[str, ...] = ()
    recipe: Callable[..., Any] | None = None
    description: str = ""


@dataclass(frozen=True)
class LogRegTrainer:
    """Deterministic trainer ``rows -> weights`` of :func:`.unlearning.train_logreg` on named columns.

    Parameters
    ----------
    features : tuple of str
        Feature columns, in order.
    label : str
        The 0/1 label column.
    epochs : int, default 200
        Gradient-descent epochs.
    lr : float, default 0.5
        Learning rate.
    l2 : float, default 1e-3
        L2 penalty.
    """

    features: tuple[str, ...]
    label: str
    epochs: int = 200
    lr: float = 0.5
    l2: float = 1e-3

    def matrix(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The feature matrix of ``rows`` (columns in ``features`` order)."""
        return np.array([[float(r[c]) for c in self.features] for r in rows], dtype=float).reshape(
            len(rows), len(self.features))

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        y = np.array([float(r[self.label]) for r in rows])
        return train_logreg(self.matrix(rows), y, epochs=self.epochs, lr=self.lr, l2=self.l2)


@dataclass(frozen=True)
class ErasureResult:
    """What :meth:`DataStore.erase` did.

    Parameters
    ----------
    subject_id : str
        The erased subject.
    rows_removed : dict of str to int
        Source name -> number of rows deleted from it.
    datasets_recomputed : tuple of str
        Derived datasets recomputed, in lineage order.
    models_retrained : tuple of str
        Models retrained, in lineage order.
    """

    subject_id: str
    rows_removed: dict[str, int]
    datasets_recomputed: tuple[str, ...]
    models_retrained: tuple[str, ...]


@dataclass(frozen=True)
class Trace:
    """A value found by :meth:`DataStore.find_traces`.

    Parameters
    ----------
    node : str
        Source or dataset holding the value.
    row : int
        Row index in that node.
    column : str
        Column name.
    needle : str
        The searched text found in the cell.
    """

    node: str
    row: int
    column: str
    needle: str


@dataclass
class DataStore:
    """Sources, derived datasets and models with their lineage (see the module docstring).

    Parameters
    ----------
    id_column : str, default "subject_id"
        Column that identifies the data subject in every source row.
    _nodes, _values : dict
        Internal state (the lineage nodes and their values); leave at the empty default.

    Examples
    --------
    >>> store = DataStore()
    >>> store.add_source("people", [{"subject_id": "S1", "x": 1.0, "y": 0}, {"subject_id": "S2", "x": 3.0, "y": 1}])
    >>> store.derive("features", "people", lambda rows: [{"x": r["x"], "y": r["y"]} for r in rows])
    >>> store.train("model", "features", LogRegTrainer(("x",), "y", epochs=5))
    >>> store.erase("S1").models_retrained
    ('model',)
    """

    id_column: str = "subject_id"
    _nodes: dict[str, Node] = field(default_factory=dict, repr=False)
    _values: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ building
    def _new(self, node: Node) -> None:
        if not isinstance(node.name, str) or not node.name:
            raise ValueError(f"name must be a non-empty str, got {node.name!r}")
        if node.name in self._nodes:
            raise ValueError(f"a node called {node.name!r} already exists")
        for p in node.parents:
            if p not in self._nodes:
                raise ValueError(f"parent {p!r} of {node.name!r} does not exist; known: {list(self._nodes)}")
        self._nodes[node.name] = node

    def add_source(self, name: str, rows: Iterable[Mapping[str, Any]], *, description: str = "") -> None:
        """Add a table of subjects' records; every row must carry ``id_column``."""
        table = [dict(r) for r in rows]
        for i, row in enumerate(table):
            if self.id_column not in row:
                raise ValueError(f"source {name!r}: row {i} lacks the id column {self.id_column!r}")
        self._new(Node(name, "source", (), None, description))
        self._values[name] = table

    def derive(self, name: str, parents: str | Sequence[str], recipe: Callable[..., Iterable[Mapping[str, Any]]],
               *, description: str = "") -> None:
        """Add a dataset ``recipe(rows of parent 1, rows of parent 2, …)`` (must be deterministic)."""
        parents = (parents,) if isinstance(parents, str) else tuple(parents)
        if not parents:
            raise ValueError("a derived dataset needs at least one parent")
        if not callable(recipe):
            raise TypeError(f"recipe must be callable, got {type(recipe).__name__}")
        for p in parents:
            if p in self._nodes and self._nodes[p].kind == "model":
                raise ValueError(f"parent {p!r} is a model; datasets derive from sources or datasets")
        self._new(Node(name, "dataset", parents, recipe, description))
        self._values[name] = self._materialise(name)

    def train(self, name: str, dataset: str, trainer: Callable[[Rows], Any], *, description: str = "") -> None:
        """Add a model ``trainer(rows of dataset)`` (must be deterministic)."""
        if not callable(trainer):
            raise TypeError(f"trainer must be callable, got {type(trainer).__name__}")
        if dataset in self._nodes and self._nodes[dataset].kind == "model":
            raise ValueError(f"{dataset!r} is a model; train on a source or a dataset")
        self._new(Node(name, "model", (dataset,), trainer, description))
        self._values[name] = np.asarray(trainer(self.rows(dataset)), dtype=float)

    def _materialise(self, name: str) -> Any:
        node = self._nodes[name]
        if node.kind == "dataset":
            return [dict(r) for r in node.recipe(*(self.rows(p) for p in node.parents))]  # type: ignore[misc]
        return np.asarray(node.recipe(self.rows(node.parents[0])), dtype=float)  # type: ignore[misc]

    # ------------------------------------------------------------------ reading
    def _get(self, name: str) -> Node:
        if name not in self._nodes:
            raise KeyError(f"no node called {name!r}; known: {list(self._nodes)}")
        return self._nodes[name]

    def rows(self, name: str) -> Rows:
        """A deep copy of a source's or dataset's rows."""
        if self._get(name).kind == "model":
            raise ValueError(f"{name!r} is a model; use model()")
        return copy.deepcopy(self._values[name])

    def model(self, name: str) -> np.ndarray:
        """A copy of a model's parameters."""
        if self._get(name).kind != "model":
            raise ValueError(f"{name!r} is not a model")
        return self._values[name].copy()

    def node(self, name: str) -> Node:
        return self._get(name)

    @property
    def nodes(self) -> tuple[Node, ...]:
        """All nodes in insertion (= topological) order."""
        return tuple(self._nodes.values())

    def edges(self) -> list[tuple[str, str]]:
        """Lineage edges ``(parent, child)``."""
        return [(p, n.name) for n in self._nodes.values() for p in n.parents]

    def downstream(self, names: str | Iterable[str]) -> list[str]:
        """Every node derived (directly or not) from ``names``, in topological order."""
        reached = {names} if isinstance(names, str) else set(names)
        for n in self._nodes.values():
            if any(p in reached for p in n.parents):
                reached.add(n.name)
        start = {names} if isinstance(names, str) else set(names)
        return [n for n in self._nodes if n in reached and n not in start]

    def sources_of(self, subject_id: str) -> list[str]:
        """Sources holding at least one row of the subject."""
        return [n.name for n in self._nodes.values() if n.kind == "source"
                and any(r[self.id_column] == subject_id for r in self._values[n.name])]

    def reached_by(self, subject_id: str) -> list[str]:
        """Every node the subject's data reached: their sources and everything downstream."""
        sources = self.sources_of(subject_id)
        return sources + self.downstream(sources)

    # ------------------------------------------------------------------ erasure
    def erase(self, subject_id: str) -> ErasureResult:
        """Delete the subject from every source and recompute everything downstream (Art. 17).

        Raises
        ------
        KeyError
            If no source holds the subject.
        """
        sources = self.sources_of(subject_id)
        if not sources:
            raise KeyError(f"subject {subject_id!r} is not held in any source")
        removed = {}
        for s in sources:
            before = len(self._values[s])
            self._values[s] = [r for r in self._values[s] if r[self.id_column] != subject_id]
            removed[s] = before - len(self._values[s])
        recomputed, retrained = [], []
        for name in self.downstream(sources):
            self._values[name] = self._materialise(name)
            (retrained if self._nodes[name].kind == "model" else recomputed).append(name)
        return ErasureResult(subject_id, removed, tuple(recomputed), tuple(retrained))

    def find_traces(self, needles: Iterable[Any]) -> list[Trace]:
        """Every cell of every source/dataset whose value contains one of ``needles`` (as text).

        Models are checked by :meth:`equals` (parameters cannot be searched for a name).
        """
        texts = [str(n) for n in needles if str(n)]
        found = []
        for node in self._nodes.values():
            if node.kind == "model":
                continue
            for i, row in enumerate(self._values[node.name]):
                for col, value in row.items():
                    cell = str(value)
                    found += [Trace(node.name, i, col, t) for t in texts if t in cell]
        return found

    def equals(self, other: DataStore) -> bool:
        """Same nodes, same rows in every dataset, bit-identical model parameters."""
        if list(self._nodes) != list(other._nodes):
            return False
        for name, node in self._nodes.items():
            mine, theirs = self._values[name], other._values[name]
            if node.kind == "model":
                if not np.array_equal(mine, theirs):
                    return False
            elif mine != theirs:
                return False
        return True

    def predict(self, model: str, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Probabilities of a :class:`LogRegTrainer` model for ``rows``."""
        trainer = self._get(model).recipe
        if not isinstance(trainer, LogRegTrainer):
            raise TypeError(f"model {model!r} was not trained by a LogRegTrainer")
        return predict_proba(self._values[model], trainer.matrix(rows))
