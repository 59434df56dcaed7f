"""Penalties (legal text), standards map and release pipeline (the DP/HE/FL comparison: tests/test_capstone.py)."""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course.governance import penalties, standards
from mlops_course.governance.pipeline import FAULTS, Gate, ReleasePipeline, demo_release
from mlops_course.units import UNITS


# --------------------------------------------------------------------------- penalties
def test_gdpr_tiers_from_article_83():
    # Art. 83(5): EUR 20 000 000 or 4 % of worldwide annual turnover, whichever is higher
    assert penalties.gdpr_max_fine(0) == 20_000_000
    assert penalties.gdpr_max_fine(1_000_000_000) == pytest.approx(40_000_000)
    # Art. 83(4): EUR 10 000 000 or 2 %
    assert penalties.gdpr_max_fine(100_000_000, "lower") == 10_000_000
    assert penalties.gdpr_max_fine(2_000_000_000, "lower") == pytest.approx(40_000_000)
    assert penalties.gdpr_crossover_turnover("upper") == penalties.gdpr_crossover_turnover("lower") == 5e8
    assert penalties.gdpr_max_fine(1e12, undertaking=False) == 20_000_000


def test_ccpa_amounts_statute_and_2025():
    # Cal. Civ. Code 1798.155(a) / 1798.199.90(a): $2,500 / $7,500; CPI-adjusted 2025: $2,663 / $7,988
    assert penalties.ccpa_max_penalty(1, 1, version="statute") == 10_000
    assert penalties.ccpa_max_penalty(1000, 10) == 1000 * 2_663 + 10 * 7_988


@pytest.mark.parametrize(("func", "args"), [
    (penalties.gdpr_max_fine, (-1.0,)), (penalties.gdpr_max_fine, (1.0, "middle")),
    (penalties.ccpa_max_penalty, (-1,)), (penalties.ccpa_max_penalty, (1, 0, "2019")),
])
def test_penalty_bad_input(func, args):
    with pytest.raises(ValueError):
        func(*args)


def test_penalty_rows_say_which_term_binds():
    rows = penalties.penalty_rows([1e8, 1e10])
    assert rows[0][3] == "€20M fixed" and rows[1][3] == "4 % of turnover"


# --------------------------------------------------------------------------- standards
def test_standards_map_points_at_existing_units():
    numbers = {u.number for u in UNITS}
    assert all(set(s.units) <= numbers for s in standards.STANDARDS)
    covered = {u for s in standards.STANDARDS for u in s.units}
    assert covered >= set(range(1, 11))
    assert set(s.framework for s in standards.STANDARDS) == set(standards.FRAMEWORKS)


def test_owasp_lists_are_complete():
    ml = {s.identifier for s in standards.items("owasp_ml")}
    llm = {s.identifier for s in standards.items("owasp_llm")}
    assert ml == {f"ML{i:02d}" for i in range(1, 11)}
    assert llm == {f"LLM{i:02d}" for i in range(1, 11)}
    assert [s.identifier for s in standards.uncovered()] == ["ML07"]


def test_threatmap_reuse_and_lookups():
    assert 7 in standards.units_for("owasp_ml", "ML04")  # membership inference -> DP-SGD (07)
    assert standards.units_for("mitre_atlas", "AML.T0020") == (1, 2)
    assert all(4 in s.units for s in standards.items("eu_ai_act") if s.identifier in ("Art. 10", "Art. 11"))
    matrix = standards.coverage_matrix()
    assert matrix.shape == (7, 10) and matrix.loc["ISO/IEC 42001:2023", "04"] >= 5
    with pytest.raises(KeyError):
        standards.units_for("owasp_ml", "ML99")
    with pytest.raises(ValueError):
        standards.items("cobit")


def test_eu_ai_act_tiers():
    assert standards.eu_ai_act_tier(prohibited_practice=True, annex_iii_use=True) == "unacceptable"
    assert standards.eu_ai_act_tier(annex_iii_use=True) == "high"
    assert standards.eu_ai_act_tier(interacts_or_generates=True) == "limited"
    assert standards.eu_ai_act_tier() == "minimal"
    assert set(standards.EU_AI_ACT_EXAMPLES.values()) == set(standards.EU_AI_ACT_TIERS)
    with pytest.raises(TypeError):
        standards.eu_ai_act_tier(annex_iii_use="yes")


# --------------------------------------------------------------------------- pipeline
def test_pipeline_stops_at_first_failure_and_fails_closed():
    def boom(ctx):
        raise RuntimeError("no data")

    report = ReleasePipeline([Gate("ok", lambda c: (True, "fine")), Gate("boom", boom),
                              Gate("never", lambda c: (True, ""))]).run({})
    assert not report.released and report.stopped_at == "boom" and "RuntimeError" in report.reason
    assert report.skipped == ("never",) and report.rows()[-1][1] == "not run"
    with pytest.raises(ValueError):
        ReleasePipeline([])


EXPECTED_STOP = {"duplicates": "data quality", "drift": "data quality", "purpose": "purpose",
                 "budget": "privacy budget", "bias": "fairness", "tampered": "signed artefact",
                 "card": "model card"}


def test_clean_release_passes_all_six_gates():
    pipeline, ctx = demo_release(np.random.default_rng(0))
    report = pipeline.run(ctx)
    assert report.released and len(report.results) == 6
    assert pipeline.names == ("data quality", "purpose", "privacy budget", "fairness", "signed artefact",
                              "model card")


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_stops_the_release_at_its_gate(fault):
    pipeline, ctx = demo_release(np.random.default_rng(0), fault)
    report = pipeline.run(ctx)
    assert not report.released and report.stopped_at == EXPECTED_STOP[fault], report.reason
    assert all(r.passed for r in report.results[:-1])


def test_demo_bad_fault():
    with pytest.raises(ValueError):
        demo_release(np.random.default_rng(0), "meteor")
