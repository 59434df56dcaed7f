"""Catalog, classification, usage policy and retention."""
from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from mlops_course.compliance.synthetic import make_people
from mlops_course.governance.catalog import (
    CLASSIFICATIONS,
    CatalogEntry,
    DataCatalog,
    UsageRequest,
    check_usage,
    level,
    refused_columns,
    retention_expired,
    suggest_classification,
)

CLASSES = {"zip": "internal", "email": "confidential", "diagnosis": "special-category", "price": "public"}


def test_levels_are_ordered():
    assert [level(c) for c in CLASSIFICATIONS] == [0, 1, 2, 3]


@pytest.mark.parametrize(("clearance", "cond", "want"), [
    ("public", None, [("zip", "above-clearance"), ("email", "above-clearance"), ("diagnosis", "above-clearance")]),
    ("internal", None, [("email", "above-clearance"), ("diagnosis", "above-clearance")]),
    ("confidential", None, [("diagnosis", "above-clearance")]),
    ("special-category", None, [("diagnosis", "special-category")]),
    ("special-category", "9(2)(a) explicit consent", []),
])
def test_refused_columns_rules(clearance, cond, want):
    assert refused_columns(CLASSES, ["price", "zip", "email", "diagnosis"], clearance, cond) == want


def test_unknown_column_is_refused_first_and_order_is_kept():
    got = refused_columns(CLASSES, ["phone", "diagnosis", "zip"], "internal")
    assert got == [("phone", "unknown"), ("diagnosis", "above-clearance")]


def test_refused_columns_bad_input():
    with pytest.raises(ValueError, match="clearance"):
        refused_columns(CLASSES, ["zip"], "secret")
    with pytest.raises(ValueError, match="classification of column"):
        refused_columns({"x": "top-secret"}, ["x"], "internal")


def _entry() -> CatalogEntry:
    return CatalogEntry("loans", "credit-risk team", CLASSES, purposes=("credit scoring",), retention_days=30)


def test_entry_classification_is_the_highest_column_level():
    assert _entry().classification == "special-category"
    assert CatalogEntry("p", "o", {"a": "public", "b": "internal"}).classification == "internal"


def test_check_usage_purpose_and_columns():
    ok = check_usage(_entry(), UsageRequest("analyst", "loans", ("zip", "email"), "credit scoring", "confidential"))
    assert ok.allowed and bool(ok) and ok.reasons == ()
    bad = check_usage(_entry(), UsageRequest("marketer", "loans", ("email",), "marketing", "internal"))
    assert not bad.allowed
    assert any("marketing" in r for r in bad.reasons) and bad.refused == (("email", "above-clearance"),)


def test_catalog_refuses_unknown_dataset_and_duplicates():
    catalog = DataCatalog()
    catalog.register(_entry())
    assert "loans" in catalog and len(catalog) == 1 and catalog.rows()[0][2] == "special-category"
    assert not catalog.check(UsageRequest("a", "other", ("x",), "credit scoring")).allowed
    with pytest.raises(ValueError, match="already"):
        catalog.register(_entry())
    with pytest.raises(KeyError):
        catalog["other"]


@pytest.mark.parametrize("kwargs", [
    {"name": ""}, {"owner": " "}, {"columns": {}}, {"columns": {"a": "secret"}}, {"retention_days": 0},
])
def test_entry_bad_input(kwargs):
    base = {"name": "d", "owner": "o", "columns": {"a": "public"}}
    with pytest.raises(ValueError):
        CatalogEntry(**{**base, **kwargs})


def test_usage_request_validates_clearance():
    with pytest.raises(ValueError, match="clearance"):
        UsageRequest("a", "d", ("x",), "p", clearance="admin")


def test_retention():
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    assert not retention_expired(t0, 30, datetime(2024, 1, 31, tzinfo=UTC))
    assert retention_expired(t0, 30, datetime(2024, 2, 1, tzinfo=UTC))
    with pytest.raises(TypeError):
        retention_expired("2024-01-01", 30, t0)
    with pytest.raises(ValueError):
        retention_expired(t0, 0, t0)


def test_suggest_classification_on_synthetic_people():
    people = make_people(40, np.random.default_rng(0))
    rows = [{**p, "health_condition": "none"} for p in people]
    got = {c: cls for c, (cls, _) in suggest_classification(rows).items()}
    assert got["health_condition"] == "special-category"
    for col in ("name", "email", "phone", "ssn", "zip", "subject_id", "birth_year"):
        assert got[col] == "confidential", col
    for col in ("income", "debt_ratio", "defaulted"):
        assert got[col] == "internal", col
    with pytest.raises(ValueError):
        suggest_classification([])
