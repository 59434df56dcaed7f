"""Model cards (per-group metrics cross-checked with fairlearn), datasheets and PIA records."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_course.governance.catalog import CatalogEntry
from mlops_course.governance.datasheet import QUESTIONS, SECTIONS, Datasheet, composition_facts
from mlops_course.governance.modelcard import SECTIONS as CARD_SECTIONS
from mlops_course.governance.modelcard import ModelCard, group_metrics, metrics_gaps, quantitative_analysis
from mlops_course.governance.pia import PrivacyImpactAssessment, Risk, dpia_required, risk_level


def _labels(seed=0, n=300):
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c"], n)
    yt = rng.integers(0, 2, n)
    yp = np.where(rng.random(n) < 0.75, yt, 1 - yt)
    return yt, yp, g


def test_group_metrics_match_fairlearn():
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
    from sklearn.metrics import accuracy_score

    yt, yp, g = _labels()
    frame = MetricFrame(metrics={"accuracy": accuracy_score, "selection_rate": selection_rate,
                                 "tpr": true_positive_rate, "fpr": false_positive_rate},
                        y_true=yt, y_pred=yp, sensitive_features=g)
    ours = group_metrics(yt, yp, g)
    for group, row in frame.by_group.iterrows():
        for k in ("accuracy", "selection_rate", "tpr", "fpr"):
            assert ours[group][k] == pytest.approx(row[k], abs=1e-12)
        assert ours[group]["n"] == np.sum(g == group)
    gaps = metrics_gaps(ours)
    assert gaps["selection_rate"] == pytest.approx(frame.difference()["selection_rate"], abs=1e-12)


def test_undefined_rate_is_nan_and_ignored_in_gaps():
    per = group_metrics([1, 1, 0, 1], [1, 0, 0, 1], ["a", "a", "b", "b"])
    assert np.isnan(per["a"]["fpr"])
    assert metrics_gaps(per)["fpr"] != metrics_gaps(per)["fpr"]  # NaN: only one group defines FPR


@pytest.mark.parametrize("args", [([], [], []), ([0, 2], [0, 1], ["a", "b"]), ([0, 1], [0, 1], ["a"])])
def test_group_metrics_bad_input(args):
    with pytest.raises(ValueError):
        group_metrics(*args)


def test_model_card_sections_and_markdown():
    yt, yp, g = _labels(1)
    card = ModelCard("m", "0.1", details={"owner": "team"}, intended_use="triage", factors=["group"],
                     metrics=["accuracy"], evaluation_data="test split", training_data="train split",
                     ethical_considerations=["x"])
    card.add_analysis("group", yt, yp, g)
    assert card.missing() == ["Caveats and Recommendations"]
    text = card.to_markdown()
    assert all(f"## {s}" in text for s in CARD_SECTIONS) and "*Missing" in text
    assert "| **max gap** |" in text
    assert quantitative_analysis(yt, yp, g)["groups"]["a"] == card.quantitative["group"]["groups"]["a"]


def test_datasheet_measures_composition_and_lists_gaps():
    df = pd.DataFrame({"age": [30, None, 50, 40], "sex": ["F", "M", "F", "F"]})
    entry = CatalogEntry("d", "o", {"age": "internal", "sex": "confidential"})
    facts = composition_facts(df, entry, ["sex"])
    assert facts["instances"] == 4 and facts["subpopulations"]["sex"] == {"F": 0.75, "M": 0.25}
    assert facts["columns"][0] == ["age", "internal", 0.25]
    sheet = Datasheet("d")
    sheet.measure(df, entry, ["sex"])
    sheet.answer("Motivation", QUESTIONS["Motivation"][0], "teaching")
    todo = sheet.unanswered()
    assert set(todo) == set(SECTIONS) and QUESTIONS["Motivation"][0] not in todo["Motivation"]
    assert QUESTIONS["Composition"][1] not in todo["Composition"]  # measured
    text = sheet.to_markdown()
    assert all(f"## {s}" in text for s in SECTIONS) and "F 75.0%" in text and "*unanswered*" in text
    with pytest.raises(ValueError):
        sheet.answer("Nope", "q", "a")
    with pytest.raises(ValueError):
        composition_facts(df, None, ["race"])


def test_risk_scoring_bands():
    assert [risk_level(s) for s in (1, 4, 5, 9, 10, 16, 20, 25)] == \
        ["low", "low", "medium", "medium", "high", "high", "very high", "very high"]
    r = Risk("leak", 4, 5, "DP", 1, 5)
    assert (r.score, r.level, r.residual_score, r.residual_level) == (20, "very high", 5, "medium")
    for bad in ({"likelihood": 0}, {"severity": 6}, {"residual_likelihood": 5}, {"description": ""}):
        with pytest.raises(ValueError):
            Risk(**{"description": "x", "likelihood": 3, "severity": 3, **bad})


def test_dpia_screening_and_outcome():
    assert not dpia_required(["large_scale"]) and dpia_required(["large_scale", "sensitive_data"])
    with pytest.raises(ValueError):
        dpia_required(["cool_new_thing"])
    pia = PrivacyImpactAssessment("p", "c", "credit", criteria=["evaluation_scoring", "automated_decision"])
    assert pia.outcome.startswith("incomplete")
    pia.add(Risk("discrimination", 3, 4, "fairness gate", 2, 4))
    assert pia.highest_residual == "medium" and pia.outcome == "proceed with the mitigations"
    pia.add(Risk("breach", 4, 5, "encryption", 3, 5))
    assert "supervisory authority" in pia.outcome
    text = pia.to_markdown()
    assert "DPIA required**: yes" in text and "| breach |" in text
    with pytest.raises(TypeError):
        pia.add("risk")
