"""Data-subject requests through the lineage store: erasure leaves no trace (by search and by
equality with a store that never held the subject, models bit for bit), access finds derived data
and models, opt-out of sale is honoured, retention erases, every action is in the audit log."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from mlops_course.compliance.pii import TokenVault
from mlops_course.compliance.records import DataStore, LogRegTrainer
from mlops_course.compliance.register import ConsentRegister, Purpose, PurposeError
from mlops_course.compliance.requests import Controller
from mlops_course.compliance.synthetic import make_people

KEY = b"course-secret-key-32-bytes-long!"
T0 = datetime(2024, 6, 1, tzinfo=UTC)
IDENTIFIERS = ("subject_id", "name", "email", "phone", "ssn")
TRAINER = LogRegTrainer(("income", "debt_ratio", "age"), "defaulted", epochs=60)


def build(people) -> tuple[DataStore, Controller]:
    store = DataStore()
    store.add_source("customers", people)
    register = ConsentRegister([Purpose("credit", ("subject_id", "income", "debt_ratio", "age"), "contract"),
                                Purpose("marketing", ("email",), "consent")])
    ctrl = Controller(store, register, key=KEY, vault=TokenVault(np.random.default_rng(0)))
    store.derive("pseudonymised", "customers", lambda rows: [
        {"pid": ctrl.pseudonym(r["subject_id"]), "zip": r["zip"], "age": r["age"], "note": f"contact {r['email']}"}
        for r in rows])
    store.derive("features", "customers", lambda rows: [
        {"income": r["income"] / 100, "debt_ratio": r["debt_ratio"], "age": r["age"] / 100,
         "defaulted": r["defaulted"]} for r in rows])
    store.derive("by_zip3", "customers", lambda rows: [
        {"zip3": z, "n": sum(r["zip"][:3] == z for r in rows)} for z in sorted({r["zip"][:3] for r in rows})])
    store.derive("training", ["features", "by_zip3"], lambda feats, _zips: feats[: len(feats) // 2 * 2])
    store.train("credit_model", "training", TRAINER)
    return store, ctrl


@pytest.fixture(scope="module")
def people():
    return make_people(80, np.random.default_rng(21))


@pytest.mark.parametrize("victim_index", [0, 13, 41, 79])
def test_erasure_leaves_no_trace_by_search_and_by_equality(people, victim_index):
    store, ctrl = build(people)
    victim = people[victim_index]
    needles = [victim[c] for c in IDENTIFIERS] + [ctrl.pseudonym(victim["subject_id"])]
    assert {t.node for t in store.find_traces(needles)} == {"customers", "pseudonymised"}
    before = store.model("credit_model")
    result = ctrl.erase(victim["subject_id"], at=T0)
    assert result.rows_removed == {"customers": 1}
    assert result.datasets_recomputed == ("pseudonymised", "features", "by_zip3", "training")
    assert result.models_retrained == ("credit_model",)
    assert store.find_traces(needles) == []  # by search: no identifier or pseudonym anywhere
    never, _ = build([p for p in people if p["subject_id"] != victim["subject_id"]])
    assert store.equals(never)  # by equality: every dataset row for row, the model bit for bit
    assert np.array_equal(store.model("credit_model"), never.model("credit_model"))
    assert not np.array_equal(before, store.model("credit_model"))  # the erasure reached the model


def test_erasure_of_subject_with_several_rows(people):
    rows = people + [{**people[3], "income": 99.0}]
    store, ctrl = build(rows)
    assert ctrl.erase(people[3]["subject_id"], at=T0).rows_removed == {"customers": 2}
    never, _ = build([p for p in rows if p["subject_id"] != people[3]["subject_id"]])
    assert store.equals(never)


def test_access_request_lists_raw_derived_data_models_and_consents(people):
    store, ctrl = build(people)
    sid = people[5]["subject_id"]
    ctrl.register.give(sid, "marketing", at=T0 - timedelta(days=3))
    ctrl.register.opt_out_of_sale(sid, at=T0 - timedelta(days=1))
    report = ctrl.access(sid, at=T0)
    assert report["data"]["customers"] == [people[5]]
    assert report["data"]["pseudonymised"][0]["pid"] == ctrl.pseudonym(sid)  # found by pseudonym
    assert report["reached"] == ["customers", "pseudonymised", "features", "by_zip3", "training", "credit_model"]
    assert report["models"] == ["credit_model"]
    assert ("marketing", "consent", True) in report["purposes"] and report["sale_opted_out"]
    assert [e["kind"] for e in report["consent_history"]] == ["give", "opt_out"]
    with pytest.raises(KeyError):
        ctrl.access("S9999", at=T0)


def test_export_for_sale_honours_opt_outs(people):
    store, ctrl = build(people)
    out = {people[i]["subject_id"] for i in (1, 2, 30)}
    for sid in out:
        ctrl.register.opt_out_of_sale(sid, at=T0)
    before = ctrl.export_for_sale("customers", at=T0 - timedelta(seconds=1))
    after = ctrl.export_for_sale("customers", at=T0)
    assert len(before) == len(people)
    assert {r["subject_id"] for r in after} == {p["subject_id"] for p in people} - out
    with pytest.raises(ValueError, match="opt-outs"):
        ctrl.export_for_sale("features", at=T0)


def test_retention_limit_erases_expired_subjects(people):
    store, ctrl = build(people)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    expired = ctrl.enforce_retention("customers", now=now, max_age=timedelta(days=365))
    expected = [p["subject_id"] for p in people if p["collected_at"] < now - timedelta(days=365)]
    assert expired == expected and 0 < len(expired) < len(people)
    never, _ = build([p for p in people if p["subject_id"] not in set(expected)])
    assert store.equals(never)
    with pytest.raises(ValueError, match="max_age"):
        ctrl.enforce_retention("customers", now=now, max_age=timedelta(0))


def test_every_action_is_in_a_verifiable_audit_log_without_identifiers(people):
    store, ctrl = build(people)
    ctrl.register.give(people[0]["subject_id"], "marketing", at=T0)
    ctrl.purpose_view("customers", "marketing", at=T0)
    with pytest.raises(PurposeError):
        ctrl.purpose_view("customers", "marketing", at=T0, columns=["ssn"])
    ctrl.access(people[1]["subject_id"], at=T0)
    p, adverse = ctrl.decide("credit_model", people[2]["subject_id"], store.rows("features")[2], at=T0)
    ctrl.export_for_sale("customers", at=T0)
    ctrl.erase(people[1]["subject_id"], at=T0)
    actions = [e.action for e in ctrl.log.entries]
    assert actions == ["access", "access_refused", "access_request", "decision", "export_for_sale", "erasure"]
    assert ctrl.log.verify() is None
    text = repr(ctrl.log.entries)
    assert not any(str(people[i][c]) in text for i in (1, 2) for c in IDENTIFIERS)
    decision = ctrl.log.entries[3].details
    assert decision["adverse"] == adverse == decision["human_review"] and 0 < p < 1


def test_store_bad_input(people):
    store = DataStore()
    with pytest.raises(ValueError, match="id column"):
        store.add_source("s", [{"name": "x"}])
    store.add_source("s", people[:3])
    with pytest.raises(ValueError, match="already"):
        store.add_source("s", people[:3])
    with pytest.raises(ValueError, match="parent"):
        store.derive("d", "missing", lambda r: r)
    with pytest.raises(TypeError, match="recipe"):
        store.derive("d", "s", "not callable")
    store.train("m", "s", lambda rows: np.zeros(2))
    with pytest.raises(ValueError, match="model"):
        store.derive("d", "m", lambda r: r)
    with pytest.raises(KeyError):
        store.erase("S9999")
    with pytest.raises(ValueError, match="model"):
        store.rows("m")
    with pytest.raises(KeyError, match="no node"):
        store.rows("nope")
    with pytest.raises(TypeError, match="LogRegTrainer"):
        store.predict("m", people[:1])
    with pytest.raises(TypeError, match="store"):
        Controller("store", ConsentRegister(), key=KEY)
    with pytest.raises(ValueError, match="key"):
        Controller(store, ConsentRegister(), key=b"short")


def test_draw_lineage_marks_what_an_erasure_reaches(people):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlops_course.compliance.plots import draw_lineage

    store, _ = build(people)
    fig, ax = plt.subplots()
    draw_lineage(ax, store, reached=store.reached_by(people[0]["subject_id"]), title="lineage")
    assert ax.get_title() == "lineage" and ax.get_xlabel() and ax.get_ylabel()
    assert sorted(t.get_text() for t in ax.texts if t.get_text()) == sorted(n.name for n in store.nodes)
    assert sum(1 for t in ax.texts if not t.get_text()) == len(store.edges())  # one arrow per lineage edge
    plt.close(fig)
    with pytest.raises(TypeError, match="DataStore"):
        draw_lineage(ax, "store")
