"""Lecture notebooks: a pacing structure an instructor can rely on (issue 15, item 5) and the
notebook statements of issue 13 tied to the numbers the committed notebooks print.

Pacing model: a core path is stated as ``**Core path: ≈ NN min**`` in the cell right after the title,
NN ≤ 45. A cell of the core (a slide read out, or a cell run and its output discussed) takes about
``SECONDS_PER_CELL`` on average, so the stated minutes must cover the core's cells at that pace. Deep
dives are sections whose heading starts with ``Optional deep dive:``; a section runs until the next
heading of the same or a higher level. No core cell may use a name that only an optional cell defines,
so an instructor can skip every optional section live.

The statement tests read the *stored* outputs of the committed notebooks (what a reader sees) and check
the sentence that quotes them, so a refresh that changes a number breaks the test instead of leaving a
wrong sentence behind.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import dp_accounting
import numpy as np
import pytest

from mlops_course import units

ROOT = Path(__file__).resolve().parents[1]
CORE_LINE = re.compile(r"^\*\*Core path: ≈ (\d+) min\*\*")
HEADING = re.compile(r"^(#{1,6})\s+(.*)")
OPTIONAL = "Optional deep dive:"
SECONDS_PER_CELL = 45
STEMS = [u.stem for u in units.UNITS]


def _source(cell: dict) -> str:
    s = cell["source"]
    return s if isinstance(s, str) else "".join(s)


def _load(stem: str) -> list[dict]:
    return json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())["cells"]


def _heading(cell: dict) -> tuple[int, str] | None:
    if cell["cell_type"] != "markdown":
        return None
    m = HEADING.match(_source(cell).lstrip())
    return (len(m.group(1)), m.group(2).splitlines()[0].strip()) if m else None


def _optional_mask(cells: list[dict]) -> list[bool]:
    """True for the cells inside an optional section (its heading included)."""
    mask, level = [], None
    for cell in cells:
        h = _heading(cell)
        if h is not None:
            if level is not None and h[0] <= level:
                level = None
            if h[1].startswith(OPTIONAL):
                level = h[0]
        mask.append(level is not None)
    return mask


def _output(cells: list[dict], needle: str) -> str:
    """The text output of the one code cell whose source contains ``needle``."""
    hits = [c for c in cells if c["cell_type"] == "code" and needle in _source(c)]
    assert len(hits) == 1, (needle, len(hits))
    parts = []
    for out in hits[0].get("outputs", []):
        assert out["output_type"] != "error", (needle, out.get("evalue"))
        text = out.get("text") or out.get("data", {}).get("text/plain", "")
        parts.append(text if isinstance(text, str) else "".join(text))
    return "".join(parts)


def _markdown(cells: list[dict]) -> str:
    return "\n".join(_source(c) for c in cells if c["cell_type"] == "markdown")


def _core_minutes(cells: list[dict]) -> int:
    lines = [line for c in cells for line in _source(c).splitlines() if line.startswith("**Core path")]
    assert len(lines) == 1, lines
    m = CORE_LINE.match(lines[0])
    assert m, lines[0]
    return int(m.group(1))


# ---------------------------------------------------------------- pacing structure (issue 15, item 5)

@pytest.mark.parametrize("stem", STEMS)
def test_core_path_line_follows_the_title_and_fits_a_lecture(stem):
    cells = _load(stem)
    assert _heading(cells[0]) is not None and _heading(cells[0])[0] == 1, "cell 0 is the title"
    assert CORE_LINE.match(_source(cells[1])), "the core-path line opens the cell right after the title"
    minutes = _core_minutes(cells)
    assert 10 <= minutes <= 45
    core_cells = sum(not o for o in _optional_mask(cells))
    assert minutes * 60 >= core_cells * SECONDS_PER_CELL, (stem, minutes, core_cells)
    assert len(_source(cells[1]).split("—", 1)[1].strip()) > 80, "the line says what the core covers"


@pytest.mark.parametrize("stem", STEMS)
def test_unit_ends_with_takeaways_and_discussion_questions(stem):
    cells = _load(stem)
    takeaways, questions = _source(cells[-2]), _source(cells[-1])
    assert takeaways.startswith("## Takeaways\n")
    assert 3 <= len(re.findall(r"^- ", takeaways, flags=re.M)) <= 5
    assert questions.startswith("## Discussion questions\n")
    numbered = re.findall(r"^(\d+)\. ", questions, flags=re.M)
    assert 2 <= len(numbered) <= 3 and numbered == [str(i + 1) for i in range(len(numbered))]
    assert all("slideshow" in c["metadata"] for c in cells[-2:])


@pytest.mark.parametrize("stem", STEMS)
def test_optional_sections_are_marked_and_announced(stem):
    cells = _load(stem)
    headings = [h for h in map(_heading, cells) if h]
    optional = [t for _, t in headings if t.startswith(OPTIONAL)]
    for level, title in headings:  # "optional" appears only in the marked form
        assert "optional" not in title.lower() or title.startswith(OPTIONAL), title
        if title.startswith(OPTIONAL):
            assert level in (2, 3) and len(title) > len(OPTIONAL) + 3, title
    mask = _optional_mask(cells)
    assert not any(mask[:2]) and not any(mask[-2:]), "title, core path, takeaways and questions are core"
    announced = "Optional deep dive" in _source(cells[1])
    assert announced == bool(optional), (stem, optional)
    if len(cells) > 45:  # long units (01, 02, 07 were 57-84 cells) must offer a shorter path
        assert optional, stem


@pytest.mark.parametrize("stem", ["01_security_threats", "02_safeguards", "07_differential_privacy"])
def test_the_long_units_move_a_large_share_into_deep_dives(stem):
    mask = _optional_mask(_load(stem))
    assert sum(mask) >= 10, sum(mask)


def _names(tree: ast.AST) -> tuple[set[str], set[str]]:
    stores = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    stores |= {a.asname or a.name.split(".")[0] for n in ast.walk(tree)
               if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    stores |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    stores |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return stores, loads


@pytest.mark.parametrize("stem", STEMS)
def test_core_cells_never_use_what_only_an_optional_cell_defines(stem):
    cells = _load(stem)
    only_optional: set[str] = set()
    core: set[str] = set()
    for cell, optional in zip(cells, _optional_mask(cells), strict=True):
        if cell["cell_type"] != "code":
            continue
        stores, loads = _names(ast.parse(_source(cell)))
        if optional:
            only_optional |= stores - core
        else:
            assert not (loads & only_optional) - stores, (stem, _source(cell)[:80], (loads & only_optional) - stores)
            core |= stores
            only_optional -= stores


def test_the_dependency_check_catches_a_core_cell_that_uses_an_optional_result():
    cells = [{"cell_type": "markdown", "source": "### Optional deep dive: x", "metadata": {}},
             {"cell_type": "code", "source": "secret = 1", "metadata": {}},
             {"cell_type": "markdown", "source": "### Core again", "metadata": {}},
             {"cell_type": "code", "source": "print(secret)", "metadata": {}}]
    assert _optional_mask(cells) == [True, True, False, False]
    stores, loads = _names(ast.parse(_source(cells[3])))
    assert "secret" in loads - stores


def test_minutes_per_unit_for_the_instructor_table():
    """The README's instructor table reads these lines; every unit states one and they sum to a course."""
    minutes = {stem: _core_minutes(_load(stem)) for stem in STEMS}
    assert len(minutes) == 11 and sum(minutes.values()) <= 11 * 45


# ---------------------------------------------------------------- statements of issue 13, tied to outputs

def test_00_uniqueness_is_a_share_of_patients():
    import pandas as pd
    from sklearn.datasets import load_diabetes

    cells = _load("00_introduction")
    printed = re.findall(r"'([\d.]+)%'", _output(cells, "unique_share = ["))
    df = pd.DataFrame(load_diabetes(scaled=False).data[:, :4])
    expected = [100 * np.mean(df.groupby(list(range(k)))[0].transform("size").to_numpy() == 1) for k in range(1, 5)]
    assert [float(p) for p in printed] == pytest.approx(expected, abs=0.05)
    assert "fraction of the 442 patients" in _markdown(cells)


def test_01_the_spectral_filter_costs_more_than_a_quarter_of_the_honest_data():
    cells = _load("01_security_threats")
    m = re.search(r"honest training points removed: ([\d.]+)% of (\d+)", _output(cells, "honest_removed = 1 -"))
    assert m and float(m.group(1)) > 25.0
    assert "more than a quarter of the *honest*" in _markdown(cells)


def test_03_the_counterfactual_reveals_the_weight_direction():
    cells = _load("03_gdpr_ccpa")
    cosine = float(re.search(r"debt ratio: ([\d.]+)", _output(cells, "cosine = abs(")).group(1))
    assert cosine >= 0.999999
    assert "without exposing the model" not in _markdown(cells)
    assert "**good practice**" in _markdown(cells)


def test_04_tiers_come_from_facts_and_group_results_from_held_out_data():
    cells = _load("04_ethics_data_governance")
    facts = next(_source(c) for c in cells if "FACTS = {" in _source(c))
    assert not re.search(r"unacceptable|\"high\"|limited|minimal", facts)  # no tier in the facts
    rows = [line.split() for line in _output(cells, "eu_ai_act_tier(prohibited_practice").splitlines()[2:]]
    assert len(rows) == 5 and all(r[-1] == "True" for r in rows)
    gaps = _output(cells, "held_out = ctx[").splitlines()[-1].split()[2:]
    assert gaps and all(float(g) < 0.05 for g in gaps)  # "all below 0.05"
    assert "because sex is not an input" not in _markdown(cells)


def test_05_accuracy_baseline_base_rates_and_mitigations_over_splits():
    cells = _load("05_bias")
    model, everyone = map(float, re.search(r"held-out accuracy ([\d.]+) .*approving everyone would score ([\d.]+)",
                                           _output(cells, "approving everyone would score")).groups())
    assert 0 < model - everyone < 0.02  # "almost as accurate as the model"
    table = {r.split()[0]: list(map(float, r.split()[1:])) for r in
             _output(cells, "approve-everyone accuracy (= approval rate)").splitlines()[2:]}
    model_gap = table["white"][0] - table["black"][0]
    base_gap = table["white"][1] - table["black"][1]
    assert base_gap >= 0.5 * model_gap > 0  # "mostly a base-rate effect"
    rows = _output(cells, "splits = np.array([mitigations_on_split").splitlines()[2:]
    assert len(rows) == 4
    for row in rows:
        baseline, mitigated, smaller = re.search(r"([\d.]+)\s+([\d.]+)\s+(\d+) of 20", row).groups()
        assert float(mitigated) < float(baseline) and int(smaller) >= 10
    assert "coin flip" not in _markdown(cells)


def test_06_the_margin_flips_every_refused_applicant():
    cells = _load("06_explainable_ai")
    n, at_zero, with_margin = map(int, re.search(
        r"of the (\d+) refused applicants, the advice flips the decision for (\d+) on the boundary "
        r"\(margin 0\) and for (\d+)", _output(cells, "def flipped(margin)")).groups())
    assert with_margin == n and at_zero <= n
    assert "margin=0.1" in next(_source(c) for c in cells if "logit_cf = linear_counterfactual(" in _source(c))
    assert "KernelSHAP equal `shap` to 1e-10" not in _markdown(cells)


def test_07_exact_epsilon_rdp_overhead_ledger_and_vector_sensitivity():
    from mlops_course.privacy.dp.gaussian import gaussian_sigma_analytic

    cells = _load("07_differential_privacy")
    out = _output(cells, "exact = brentq(")
    exact = float(re.search(r"exact ε = ([\d.]+)", out).group(1))
    rdp = float(re.search(r"Rényi DP [\d.]+ \(\+(\d+)%\)", out).group(1))
    zcdp = float(re.search(r"zCDP [\d.]+ \(\+(\d+)%\)", out).group(1))
    pld = dp_accounting.pld.PLDAccountant()  # peer: Google's privacy-loss-distribution accountant
    pld.compose(dp_accounting.GaussianDpEvent(gaussian_sigma_analytic(1.0, 0.1, 1e-8)), 300)
    assert exact == pytest.approx(pld.get_epsilon(1e-5), rel=0.01)
    assert 5 <= rdp <= 15 and zcdp > rdp  # "about a tenth", "zCDP by more"
    ledger = next(_source(c) for c in cells if "budget = PrivacyAccountant(" in _source(c))
    assert 'histogram_sensitivity("replace")' in ledger and ledger.count("accountant=budget") == 3
    assert "refused" in _output(cells, "budget = PrivacyAccountant(")
    assert "np.full(2000" not in "".join(_source(c) for c in cells if c["cell_type"] == "code")
    md = _markdown(cells)
    assert "bounds what anyone can learn" not in md and "tight accounting" not in md
    assert "training data's own mean and standard deviation" in md


def test_08_differing_decisions_lie_outside_the_fit_range_and_ckks_error_is_bias():
    cells = _load("08_homomorphic_encryption")
    out = _output(cells, "z = Z[:200, cols] @ w + b")
    z = [float(v) for v in re.search(r"z there: \[([^\]]*)\]", out).group(1).split(",") if v.strip()]
    assert all(abs(v) > 6 for v in z)
    fixed = re.search(r"differ from the exact sigmoid: (\d+)", _output(cells, "p_scaled = hospital.decrypt("))
    assert int(fixed.group(1)) == 0  # "No decision differs any more"
    err, predicted = map(float, re.search(r"error ([\d.e+-]+); predicted rescale bias ([\d.e+-]+)",
                                          _output(cells, "predicted = abs(truth)")).groups())
    assert err == pytest.approx(predicted, rel=0.1)
    assert "could flip a decision near 0.5" not in _markdown(cells)


def test_09_client_nine_joins_late_and_bytes_are_counted_per_direction():
    cells = _load("09_federated_learning")
    out = _output(cells, "def fedavg_round(")
    updates, received = re.search(r"received (\d+) updates = ([\d,]+) bytes", out).groups()
    assert int(updates) == 15 * 9 + 15 * 10 and int(received.replace(",", "")) == int(updates) * 650 * 8
    before, after = map(float, re.search(r"round 15 ([\d.]+), round 30 ([\d.]+)", out).groups())
    assert after > before
    for row in _output(cells, "raw_bytes = data.X_train.size").splitlines()[3:]:
        up, down = map(int, row.split()[-2:])
        assert up == down
    md = _markdown(cells)
    assert "data arrive only after round 15" not in md and "to a useful classifier" not in md
    assert "**no data-locality rule**" in md


def test_10_single_hospitals_and_like_for_like_costs():
    cells = _load("10_best_practices")
    k = int(re.search(r"at least as accurate alone: (\d) of 5", _output(cells, "one hospital alone")).group(1))
    assert k >= 1  # "some single hospitals are at least as accurate alone"
    assert "does not mean federation is cheaper" in _markdown(cells)
