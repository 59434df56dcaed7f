"""Grading of exercise 05 (bias): the solution gets full marks, the untouched exercise 0, and one
wrong-but-plausible answer per task loses exactly that task's points (or the properties it breaks)."""
from __future__ import annotations

import pytest

from mlops_course.grading.checks import LocalRemote, run_property
from mlops_course.grading.checks import fairness as fair_checks
from mlops_course.grading.harness import Limits
from tests._grading import (
    answer_source,
    assert_manual_questions,
    assert_partial_scores_the_done_tasks,
    assert_released_blank,
    assert_solution_passes_every_property,
    exec_answers,
    grader_fixture,
    load_notebook,
    scores,
    unit_notebooks,
    with_answers,
    write_notebook,
)
from tests._judgment import assert_registry_and_manual, assert_zero_auto, under_keys

UNIT = "05_bias"
SOLUTION, EXERCISE = unit_notebooks(UNIT)
POINTS = {"fair-selection-rates": 2.0, "fair-dp": 2.0, "fair-eod": 3.0, "fair-reweighing": 3.0,
          "fair-thresholds": 3.0, "fair-chouldechova": 2.0, "fair-equal-opportunity": 3.0, "fair-gap-interval": 3.0,
          "fair-adult-audit": 3.0}
MANUAL_POINTS = {"fair-q-criterion": 3.0}
TOTAL = sum(POINTS.values())
LIMITS = Limits(cell_seconds=60.0, call_seconds=120.0, total_seconds=900.0, memory_bytes=3 * 2**30, processes=64)
grader = grader_fixture("05", LIMITS)


def test_registry_points_match_the_notebook():
    assert_registry_and_manual(UNIT, POINTS, MANUAL_POINTS, SOLUTION, fair_checks.MANUAL)
    assert fair_checks.UNIT == UNIT


def test_solution_full_marks_and_exercise_zero(grader):
    report = grader.grade(SOLUTION)
    assert (report.score, report.max_score) == (TOTAL, TOTAL), [t.output for t in report.tests if not t.score]
    assert scores(report) == POINTS
    assert_zero_auto(grader.grade(EXERCISE), POINTS, MANUAL_POINTS)


# one wrong-but-plausible answer per task: (grade_id, source, points it should still get); task 2 calls
# task 1's selection_rates, so the counts mutant also costs fair-dp its formula points (see OTHERS)
SOLUTION_NB = load_notebook(SOLUTION)
EO_HEAD = ("def choose_thresholds(scores, y_true, groups):\n"
           "    scores, groups = np.asarray(scores, dtype=float), np.asarray(groups)\n"
           "    names = [str(g) for g in np.unique(groups)]\n")
MUTANTS = {
    "counts instead of rates": ("fair-selection-rates", answer_source(SOLUTION_NB, "fair-selection-rates").replace(
        "float(y_pred[groups == g].mean())", "float(y_pred[groups == g].sum())"), 0.5),
    "ratio instead of difference": ("fair-dp", answer_source(SOLUTION_NB, "fair-dp").replace(
        "return max(rates) - min(rates)", "return min(rates) / max(rates)"), 0.5),
    "mean instead of worst case": ("fair-eod", answer_source(SOLUTION_NB, "fair-eod").replace(
        "return float(max(max(tpr) - min(tpr), max(fpr) - min(fpr)))",
        "return float((max(tpr) - min(tpr) + max(fpr) - min(fpr)) / 2)"), 1.0),
    "inverted weights": ("fair-reweighing", answer_source(SOLUTION_NB, "fair-reweighing").replace(
        "w[cell] = (groups == g).sum() * (y == label).sum() / (n * cell.sum())",
        "w[cell] = n * cell.sum() / ((groups == g).sum() * (y == label).sum())"), 0.5),
    "one global threshold": ("fair-thresholds", answer_source(SOLUTION_NB, "fair-thresholds").replace(
        "s = np.sort(scores[groups == g])[::-1]", "s = np.sort(scores)[::-1]"), 0.5),
    "forgets (1 - FNR)": ("fair-chouldechova", answer_source(SOLUTION_NB, "fair-chouldechova").replace(
        "* (1.0 - fnr)", "* fnr"), 0.5),
    # judgment: one threshold for everybody is accurate but breaks equal opportunity
    "one threshold for everybody": ("fair-equal-opportunity", EO_HEAD + "    return {g: 0.0 for g in names}\n", 0.0),
    # complies trivially, useless: approve everybody
    "approve everybody": ("fair-equal-opportunity", EO_HEAD + "    return {g: -1e9 for g in names}\n", 0.0),
    # the wrong criterion: demographic parity at the overall approval rate of one threshold
    "demographic-parity thresholds": ("fair-equal-opportunity", EO_HEAD + (
        "    rate = float(np.mean(scores >= 0.0))\n"
        "    return {g: float(np.quantile(scores[groups == g], 1.0 - rate)) for g in names}\n"), 0.0),
    # equal TPRs but at a fixed, too-high level (no accuracy search)
    "equal TPR of 0.99": ("fair-equal-opportunity", answer_source(SOLUTION_NB, "fair-equal-opportunity").replace(
        "np.linspace(0.2, 0.995, 160)", "[0.99]"), 0.0),
    # judgment: a point estimate, an interval that always covers, and z = 1.96 whatever the level
    "point estimate": ("fair-gap-interval", answer_source(SOLUTION_NB, "fair-gap-interval").replace(
        "return gap - z * math.sqrt(variance), gap + z * math.sqrt(variance)", "return gap, gap"), 0.5),
    "interval [-1, 1]": ("fair-gap-interval", answer_source(SOLUTION_NB, "fair-gap-interval").replace(
        "return gap - z * math.sqrt(variance), gap + z * math.sqrt(variance)", "return -1.0, 1.0"), 0.5),
    "z = 1.96 at every level": ("fair-gap-interval", answer_source(SOLUTION_NB, "fair-gap-interval").replace(
        "z = NormalDist().inv_cdf(0.5 + confidence / 2.0)", "z = 1.96"), 1.5),
    "sd of one group only": ("fair-gap-interval", answer_source(SOLUTION_NB, "fair-gap-interval").replace(
        "variance += p * (1.0 - p) / n", "variance = p * (1.0 - p) / n"), 0.5),
    # real data (UCI Adult): a ratio the wrong way round, a difference instead of a ratio, a fixed z, one group's SE
    "reference / protected": ("fair-adult-audit", answer_source(SOLUTION_NB, "fair-adult-audit").replace(
        "ratio = rates[0] / rates[1]", "ratio = rates[1] / rates[0]"), 1.5),
    "difference instead of ratio": ("fair-adult-audit", answer_source(SOLUTION_NB, "fair-adult-audit").replace(
        "ratio = rates[0] / rates[1]", "ratio = rates[1] - rates[0]"), 1.5),
    "Adult: z = 1.96 at every level": ("fair-adult-audit", answer_source(SOLUTION_NB, "fair-adult-audit").replace(
        "NormalDist().inv_cdf(0.5 + confidence / 2.0)", "1.96"), 2.5),
    "Adult: SE of the reference group only": ("fair-adult-audit", answer_source(
        SOLUTION_NB, "fair-adult-audit").replace("variance += p * (1.0 - p) / n", "variance = p * (1.0 - p) / n"), 2.0),
    "Adult: no confidence check": ("fair-adult-audit", answer_source(SOLUTION_NB, "fair-adult-audit").replace(
        "if not 0.0 < confidence < 1.0:", "if False:"), 2.5),
}

OTHERS = {"counts instead of rates": {"fair-dp": 0.5}}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_wrong_answer_loses_its_points(grader, tmp_path, name):
    gid, text, kept = MUTANTS[name]
    assert text != answer_source(SOLUTION_NB, gid)  # the mutation applied
    report = grader.grade(write_notebook(tmp_path, with_answers(SOLUTION, {gid: text})))
    assert scores(report) == {**POINTS, gid: kept, **OTHERS.get(name, {})}


def test_self_check_runs_locally():
    ns: dict = {}
    exec("import math\nimport numpy as np\n" + answer_source(SOLUTION_NB, "fair-selection-rates")
         + "\n" + answer_source(SOLUTION_NB, "fair-dp"), ns)
    check = {c.grade_id: c for c in fair_checks.CHECKS}["fair-dp"]
    remote = LocalRemote({"demographic_parity_difference": ns["demographic_parity_difference"]})
    assert all(run_property(p, remote, check.name)[0] for p in check.properties)


# --------------------------------------------------------------------------- judgment tasks, secret inputs
def _solution_namespace() -> dict:
    ns: dict = {}
    exec("import math\nfrom statistics import NormalDist\nimport numpy as np\n", ns)
    return exec_answers(SOLUTION_NB, POINTS, ns)


@pytest.mark.parametrize("key", ["course-key-1", "another course key"])
def test_every_property_passes_for_the_solution_under_several_keys(monkeypatch, key):
    ns = _solution_namespace()
    under_keys(monkeypatch, key)
    assert_solution_passes_every_property(fair_checks.CHECKS, ns, key)


def test_hidden_inputs_depend_on_the_key(monkeypatch):
    from mlops_course.grading.checks import secret_rng

    drawn = []
    for key in ("a", "b"):
        under_keys(monkeypatch, key)
        drawn.append(fair_checks.eo_secret_params(secret_rng("05/fair-equal-opportunity/hidden")))
    assert drawn[0] != drawn[1]


def test_equal_opportunity_solution_loss_is_far_inside_the_slack():
    """The measured part of the false-fail statement: on 20 populations the solution loses < 0.005 accuracy
    (slack 0.01) and its TPR gap stays < 0.03 (tolerance 0.1); one threshold never passes."""
    import numpy as np

    choose = _solution_namespace()["choose_thresholds"]
    for seed in range(20):
        rng = np.random.default_rng(2_000 + seed)
        names, share, base, shift = fair_checks.eo_secret_params(rng)
        s, y, g = fair_checks.eo_sample(rng, fair_checks.N_TRAIN, names, share, base, shift)
        t = choose(s, y, g)
        tpr, acc = fair_checks.eo_population((t[names[0]], t[names[1]]), share, base, shift)
        best = fair_checks.eo_best_accuracy(share, base, shift)
        assert abs(tpr[0] - tpr[1]) < 0.03 and best - acc < 0.005, (seed, tpr, acc, best)
        for th in np.linspace(-4.0, 4.0, 161):
            tpr1, acc1 = fair_checks.eo_population((th, th), share, base, shift)
            assert abs(tpr1[0] - tpr1[1]) > fair_checks.TPR_GAP_MAX or acc1 < best - fair_checks.ACC_SLACK


def test_population_formulas_match_a_sample_and_the_grid_optimum():
    import numpy as np
    from scipy.special import ndtri

    rng = np.random.default_rng(7)
    s, y, g = fair_checks.eo_sample(rng, 400_000, ("A", "B"), 0.4, (0.7, 0.3), -1.4)
    tpr, acc = fair_checks.eo_population((0.2, -0.9), 0.4, (0.7, 0.3), -1.4)
    decide = s >= np.where(g == "A", 0.2, -0.9)
    assert abs(decide[(g == "A") & (y == 1)].mean() - tpr[0]) < 0.006
    assert abs(decide[(g == "B") & (y == 1)].mean() - tpr[1]) < 0.01
    assert abs(np.mean(decide == (y == 1)) - acc) < 0.004
    scalar = max(fair_checks.eo_population((1 + float(ndtri(1 - r)), -0.4 + float(ndtri(1 - r))), 0.4, (0.7, 0.3),
                                           -1.4)[1] for r in np.linspace(1e-4, 1 - 1e-4, 2_001))
    assert abs(fair_checks.eo_best_accuracy(0.4, (0.7, 0.3), -1.4) - scalar) < 1e-6


def test_false_fail_bounds_hold():
    from scipy.stats import binom

    assert fair_checks.tpr_false_fail_bound() < 2e-7
    # exact coverage of the solution's Wald interval at corners of the harness's ranges: deficit < 0.012
    from statistics import NormalDist

    import numpy as np

    for na, nb, pa, pb, conf in [(300, 300, 0.2, 0.8, 0.99), (300, 899, 0.5, 0.2, 0.95), (450, 300, 0.8, 0.35, 0.8),
                                 (899, 899, 0.2, 0.2, 0.99), (500, 300, 0.62, 0.5, 0.95)]:
        z = NormalDist().inv_cdf(0.5 + conf / 2)
        xa, xb = np.arange(na + 1), np.arange(nb + 1)
        fa, fb = binom.pmf(xa, na, pa), binom.pmf(xb, nb, pb)
        ha, hb = xa / na, xb / nb
        se = np.sqrt(ha[:, None] * (1 - ha[:, None]) / na + hb[None, :] * (1 - hb[None, :]) / nb)
        covered = np.abs(ha[:, None] - hb[None, :] - (pa - pb)) <= z * se
        assert float((fa[:, None] * fb[None, :] * covered).sum()) > conf - 0.012, (na, nb, pa, pb, conf)
    for reps, conf in ((200, 0.95), (250, 0.8), (250, 0.99)):
        floor = fair_checks.coverage_floor(reps, conf)
        assert binom.cdf(floor - 1, reps, conf - 0.012) <= 1e-8


def test_manual_question_has_rubric_and_is_released_blank():
    assert_manual_questions(UNIT, MANUAL_POINTS, min_chars=400, rubric_contains=("Rubric", "pt"))
    assert_released_blank(UNIT, MANUAL_POINTS)


def test_partial_submission_scores_exactly_the_tasks_done(grader, tmp_path):
    done = ("fair-eod", "fair-equal-opportunity", "fair-gap-interval")
    assert_partial_scores_the_done_tasks(grader, tmp_path, UNIT, POINTS, done)
