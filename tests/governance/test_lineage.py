"""Lineage graph: closure, erasure impact cross-checked with the compliance unit's DataStore, drawing."""
from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from mlops_course.compliance.records import DataStore, LogRegTrainer
from mlops_course.governance.lineage import LineageGraph, erasure_touches

matplotlib.use("Agg")


def _store() -> DataStore:
    rng = np.random.default_rng(3)
    store = DataStore()
    store.add_source("crm", [{"subject_id": f"S{i}", "x": float(rng.normal()), "y": i % 2} for i in range(30)])
    store.add_source("web", [{"subject_id": f"W{i}", "x": float(rng.normal()), "y": i % 2} for i in range(20)])
    store.derive("crm_clean", "crm", lambda rows: [{"x": r["x"], "y": r["y"]} for r in rows])
    store.derive("web_clean", "web", lambda rows: [{"x": r["x"], "y": r["y"]} for r in rows])
    store.derive("features", ("crm_clean", "web_clean"), lambda a, b: a + b)
    store.derive("web_stats", "web", lambda rows: [{"n": len(rows)}])
    store.train("model", "features", LogRegTrainer(("x",), "y", epochs=20))
    store.train("crm_model", "crm_clean", LogRegTrainer(("x",), "y", epochs=20))
    return store


def test_from_store_matches_the_compliance_lineage():
    store = _store()
    graph = LineageGraph.from_store(store)
    assert graph.nodes == tuple(n.name for n in store.nodes)
    assert sorted(graph.edges()) == sorted(store.edges())
    for subject in ("S0", "W5"):
        assert list(graph.erasure_impact(subject).touched) == store.reached_by(subject)


def test_erasure_impact_is_what_the_store_recomputes():
    store = _store()
    impact = LineageGraph.from_store(store).erasure_impact("W3")
    result = store.erase("W3")
    assert impact.sources == ("web",)
    assert set(impact.datasets) == set(result.datasets_recomputed) == {"web_clean", "features", "web_stats"}
    assert impact.models == result.models_retrained == ("model",)  # crm_model is untouched


def test_downstream_upstream_depth():
    g = LineageGraph()
    g.add("raw", "source", subjects=["a"])
    g.add("other", "source")
    g.add("feat", "dataset", ["raw", "other"])
    g.add("m", "model", "feat")
    g.add("card", "report", ["m"])
    assert g.downstream("raw") == ["feat", "m", "card"]
    assert g.upstream("card") == ["raw", "other", "feat", "m"]
    assert g.depth() == {"raw": 0, "other": 0, "feat": 1, "m": 2, "card": 3}
    assert g.erasure_impact("a").reports == ("card",)


def test_erasure_touches_plain_form():
    edges = [("a", "b"), ("b", "c"), ("x", "c"), ("c", "d"), ("q", "r")]
    assert erasure_touches(edges, {"a": ["u"], "x": ["v"], "q": ["w"]}, "u") == ["a", "b", "c", "d"]
    assert erasure_touches(edges, {"a": ["u"]}, "nobody") == []
    with pytest.raises(ValueError, match="cycle"):
        erasure_touches([("a", "b"), ("b", "a")], {"a": ["u"]}, "u")


@pytest.mark.parametrize(("args", "kwargs"), [
    (("", "source"), {}), (("n", "table"), {}), (("n", "dataset", ["missing"]), {}),
    (("n", "dataset"), {}), (("n", "model", ["s"]), {"subjects": ["x"]}), (("s", "source"), {}),
])
def test_add_bad_input(args, kwargs):
    g = LineageGraph()
    g.add("s", "source")
    with pytest.raises(ValueError):
        g.add(*args, **kwargs)


def test_unknown_subject_and_node():
    g = LineageGraph()
    g.add("s", "source", subjects=["a"])
    with pytest.raises(KeyError):
        g.erasure_impact("b")
    with pytest.raises(KeyError):
        g.downstream("nope")


def test_draw_has_title_labels_and_highlight():
    import matplotlib.pyplot as plt

    graph = LineageGraph.from_store(_store())
    fig, ax = plt.subplots()
    graph.draw(ax, highlight=graph.erasure_impact("S1").touched)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.texts) == len(graph.nodes) + len(graph.edges())  # boxes + arrows
    plt.close(fig)
