"""Task 9 of exercise 05 (``fair-adult-audit``): the grader audits the same model the exercise trains on UCI
Adult, its samples are real Adult rows, and honest interval methods other than the solution's pass."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mlops_course import fairness as F
from mlops_course.grading.checks import LocalRemote, run_property, secret_rng
from mlops_course.grading.checks import fairness as fair_checks
from mlops_course.grading.harness import REPO_ROOT
from tests._judgment import under_keys

SOLUTION = json.loads((REPO_ROOT / "solutions" / "05_bias.ipynb").read_text(encoding="utf-8"))
CELLS = {c["id"]: "".join(c["source"]) for c in SOLUTION["cells"]}


def test_the_exercise_trains_the_model_the_grader_audits():
    ns: dict = {}
    exec(CELLS["fair-adult-data"], ns)
    pred, attrs = fair_checks.adult_decisions()
    assert np.array_equal(ns["adult_pred"], pred)
    assert np.array_equal(ns["adult_sex"], attrs["sex"]) and np.array_equal(ns["adult_race"], attrs["race"])
    assert pred.size == 15_315 and 0.1 < pred.mean() < 0.2  # Adult's test file, a model that selects some


def test_the_grader_samples_are_adult_rows_and_the_cases_are_not_borderline(monkeypatch):
    pred, attrs = fair_checks.adult_decisions()
    under_keys(monkeypatch, "course-key-1")
    for rng in (np.random.default_rng(50_901), secret_rng("05/fair-adult-audit/hidden")):
        p, a = fair_checks.adult_sample(rng)
        assert p.size == fair_checks.ADULT_SAMPLE and set(a["race"]) <= set(attrs["race"])
        for col, protected, reference in fair_checks.ADULT_CASES:
            rates = F.group_table(p, p, sensitive_features=a[col], metrics=["selection_rate"])["selection_rate"]
            ratio = rates[protected] / rates[reference]
            assert abs(ratio - 0.8) > 0.05 or protected == "Asian-Pac-Islander", (col, protected, ratio)
    # both verdicts occur in the public sample (a constant verdict cannot pass)
    p, a = fair_checks.adult_sample(np.random.default_rng(50_901))
    rates = F.group_table(p, p, sensitive_features=a["sex"], metrics=["selection_rate"])["selection_rate"]
    assert rates["Female"] / rates["Male"] < 0.8 < rates["Male"] / rates["Female"]


NEWCOMBE = '''def four_fifths_audit(y_pred, groups, protected, reference, confidence=0.95):
    from mlops_course import fairness as F
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence")
    groups = np.asarray(groups)
    if protected not in set(groups.tolist()) or reference not in set(groups.tolist()):
        raise ValueError("group")
    t = F.group_table(y_pred, y_pred, sensitive_features=groups, metrics=["selection_rate"], interval="wilson",
                      confidence=confidence, reference=reference)
    sr = t["selection_rate"]
    return {"impact_ratio": float(sr[protected] / sr[reference]), "four_fifths_met": bool(sr[protected] / sr[reference] >= 0.8),
            "gap_interval": (float(t.loc[protected, "selection_rate_diff_low"]),
                             float(t.loc[protected, "selection_rate_diff_high"]))}
'''


@pytest.mark.parametrize("key", ["course-key-1", "another course key"])
def test_newcombe_intervals_pass_too(monkeypatch, key):
    """The width tolerance admits honest methods other than the normal approximation (Newcombe's hybrid
    Wilson score interval, which the lecture uses), so the check grades a property, not one formula."""
    ns: dict = {"np": np}
    exec(NEWCOMBE, ns)
    under_keys(monkeypatch, key)
    check = {c.grade_id: c for c in fair_checks.CHECKS}["fair-adult-audit"]
    remote = LocalRemote({"four_fifths_audit": ns["four_fifths_audit"]})
    for prop in check.properties:
        passed, message, _ = run_property(prop, remote, check.name)
        assert passed, (prop.name, message)


def test_lecture_sentences_quote_the_adult_outputs():
    """Every number of the deep dive's closing sentence is printed by the cells above it."""
    import re

    cells = json.loads((REPO_ROOT / "notebooks" / "05_bias.ipynb").read_text(encoding="utf-8"))["cells"]
    start = next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith("### Optional deep dive: Real data"))
    section = cells[start:start + 5]
    printed = "".join("".join(o.get("text", "")) for c in section if c["cell_type"] == "code" for o in c["outputs"])
    sentence = "".join(section[-1]["source"])
    assert section[-1]["cell_type"] == "markdown" and "Task 9" in sentence
    for number in re.findall(r"(?<![\w.])−?\d[\d,]*\.?\d*%?", sentence):
        plain = number.replace("−", "-").replace(",", "")
        if plain in ("0.8", "9", "95%"):  # the rule's threshold, the task number, the confidence level
            continue
        if plain.endswith("%"):
            plain = f"{float(plain[:-1]) / 100:.3f}"
        assert plain in printed or f"{float(plain):.3f}" in printed, number
    assert float(re.search(r"impact ratio women / men: ([\d.]+)", printed).group(1)) < 0.8
