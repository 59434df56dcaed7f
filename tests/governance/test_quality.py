"""Data-quality checks; PSI and KS cross-checked against scipy."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlops_course.governance.quality import (
    PSI_FLOOR,
    ColumnSpec,
    check_drift,
    check_duplicates,
    check_missing,
    check_ranges,
    check_schema,
    ks_statistic,
    population_stability_index,
    quality_report,
    quality_summary,
)

SCHEMA = {"id": ColumnSpec("string"), "age": ColumnSpec("integer", 18, 100, max_missing=0.25),
          "sex": ColumnSpec("category", categories=("F", "M"))}


def _df():
    return pd.DataFrame({"id": ["a", "b", "c", "d"], "age": [20, 150, None, 17], "sex": ["F", "M", "X", "F"]})


def test_each_check_finds_its_problem():
    df = _df()
    assert check_schema(df, SCHEMA).passed
    assert check_missing(df, SCHEMA).passed  # 25 % allowed
    ranges = check_ranges(df, SCHEMA)
    assert not ranges.passed and ranges.value == 3.0  # 150, 17 and "X"
    assert check_duplicates(df).passed
    dup = check_duplicates(pd.concat([df, df.iloc[:1]]), key=["id"])
    assert not dup.passed and dup.value == pytest.approx(1 / 5)


def test_schema_detects_missing_extra_and_wrong_kind():
    df = _df().drop(columns="sex").assign(email="x@example.org", age=["1", "2", "3", "4"])
    result = check_schema(df, SCHEMA)
    assert not result.passed and result.value == 3.0
    assert "missing column 'sex'" in result.detail and "undeclared column 'email'" in result.detail


def test_missing_over_allowance():
    df = _df().assign(age=[None, None, 30, 40])
    assert not check_missing(df, SCHEMA).passed


def test_psi_is_the_symmetrised_kl_divergence():
    # peer: scipy.stats.entropy(p, q) = KL(p || q); PSI = KL(a||e) + KL(e||a) on the binned fractions
    rng = np.random.default_rng(1)
    ref, cur = rng.normal(0, 1, 5000), rng.normal(0.5, 1.2, 4000)
    edges = np.quantile(ref, np.linspace(0, 1, 11)[1:-1])
    e = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=10) / ref.size
    a = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=10) / cur.size
    want = stats.entropy(a, e) + stats.entropy(e, a)
    assert population_stability_index(ref, cur) == pytest.approx(want, rel=1e-12)


def test_psi_identical_categorical_and_floor():
    x = np.arange(100.0)
    assert population_stability_index(x, x) == 0.0
    cats = np.array(["a"] * 50 + ["b"] * 50)
    assert population_stability_index(cats, cats) == 0.0
    only_a = np.array(["a"] * 100)
    want = (0.5 - 1.0) * np.log(0.5 / 1.0) + (PSI_FLOOR - 0.5) * np.log(PSI_FLOOR / 0.5)
    assert population_stability_index(cats, only_a) == pytest.approx(want)


def test_ks_statistic_matches_scipy():
    rng = np.random.default_rng(2)
    for a, b in [(rng.normal(size=300), rng.normal(0.3, size=200)),
                 (rng.integers(0, 5, 100).astype(float), rng.integers(0, 6, 80).astype(float))]:
        assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)


def test_drift_gate():
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"income": rng.lognormal(3.6, 0.45, 2000)})
    same = pd.DataFrame({"income": rng.lognormal(3.6, 0.45, 2000)})
    moved = same * 1.6
    assert check_drift(ref, same).passed
    result = check_drift(ref, moved)
    assert not result.passed and result.value > 0.25 and "income" in result.detail


def test_quality_report_collects_and_fails():
    report = quality_report(_df(), SCHEMA, reference=_df())
    assert [r.check for r in report.results] == ["schema", "missing values", "ranges", "duplicates", "drift (PSI)"]
    assert not report.passed and [f.check for f in report.failures] == ["ranges"]
    assert report.rows()[2][3] == "FAIL"


def test_quality_summary_agrees_with_the_frame_checks():
    rows = [{"a": 1, "b": 2.0}, {"a": None, "b": 9.0}, {"a": 1, "b": 2.0}, {"b": float("nan")}, {"a": 5, "b": 0.0}]
    got = quality_summary(rows, {"a": [0, 4], "b": [0.0, 5.0]})
    assert got == {"missing": 3, "out_of_range": 2, "duplicates": 1, "passed": False}
    schema = {"a": ColumnSpec("number", 0, 4, max_missing=1.0), "b": ColumnSpec("number", 0.0, 5.0, max_missing=1.0)}
    frame = pd.DataFrame(rows)
    assert check_ranges(frame, schema).value == got["out_of_range"]
    assert int(frame.isna().sum().sum()) == got["missing"]
    assert check_duplicates(frame).value * len(rows) == got["duplicates"]
    assert quality_summary([{"a": 1}], {"a": [0, 1]})["passed"] is True


@pytest.mark.parametrize(("func", "args"), [
    (population_stability_index, ([], [1.0])), (population_stability_index, ([1.0, np.nan], [1.0])),
    (population_stability_index, ([1.0], [1.0], 1)), (ks_statistic, ([np.inf], [1.0])),
    (check_duplicates, (pd.DataFrame({"a": [1]}), ["b"])), (quality_summary, ([{"a": 1}], {"a": [2, 1]})),
    (check_schema, (pd.DataFrame({"a": [1]}), {})),
])
def test_bad_input(func, args):
    with pytest.raises(ValueError):
        func(*args)


def test_bad_types_and_specs():
    with pytest.raises(TypeError):
        check_schema("not data", SCHEMA)
    with pytest.raises(TypeError):
        check_schema(_df(), {"id": "string"})
    for kwargs in ({"kind": "text"}, {"lower": 2, "upper": 1}, {"max_missing": 1.5}):
        with pytest.raises(ValueError):
            ColumnSpec(**kwargs)
