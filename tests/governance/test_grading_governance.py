"""The autograder on exercise 04 (ethics & data governance): full marks, zero, one plausible wrong answer per task."""
from __future__ import annotations

import pytest

from mlops_course.grading.checks import governance as governance_checks
from mlops_course.grading.harness import Limits
from tests._grading import (
    answer_source,
    assert_full_marks,
    assert_manual_questions,
    assert_only_task_lost,
    assert_partial_scores_the_done_tasks,
    assert_released_blank,
    assert_solution_passes_every_property,
    exec_answers,
    grader_fixture,
    load_notebook,
    unit_notebooks,
    with_replacements,
    write_notebook,
)
from tests._judgment import assert_registry_and_manual, assert_zero_auto, under_keys

UNIT = "04_ethics_data_governance"
SOLUTION, EXERCISE = unit_notebooks(UNIT)
POINTS = {"gov-quality": 3.0, "gov-policy": 3.0, "gov-lineage": 3.0, "gov-card": 3.0, "gov-tiers": 3.0,
          "gov-rules": 3.0}
MANUAL_POINTS = {"gov-q-consent": 2.0, "gov-q-accountability": 2.0, "gov-q-misuse": 2.0, "gov-q-impact": 2.0}
LIMITS = Limits(cell_seconds=60.0, call_seconds=120.0, total_seconds=900.0, memory_bytes=3 * 2**30, processes=64)
grader = grader_fixture(UNIT, LIMITS)


def test_checks_module_is_discovered():
    from mlops_course.grading.checks import check_modules

    assert check_modules(strict=True)[UNIT] == governance_checks.__name__


def test_registry_points_match_the_notebook():
    assert_registry_and_manual(UNIT, POINTS, MANUAL_POINTS, SOLUTION, governance_checks.MANUAL)


def test_solution_gets_full_marks(grader):
    assert_full_marks(grader.grade(SOLUTION), POINTS)


def test_untouched_exercise_gets_zero(grader):
    assert_zero_auto(grader.grade(EXERCISE), POINTS, MANUAL_POINTS)


WRONG = {
    # every copy of a repeated row counted, including the first
    "gov-quality": ("        if row in seen:\n            duplicates += 1",
                    "        if row in seen or rows.count(row) > 1:\n            duplicates += 1"),
    # special-category data allowed without an Art. 9(2) condition
    "gov-policy": ('elif classifications[column] == "special-category" and art9_condition is None:',
                   "elif False:"),
    # only direct children of the sources, not the transitive closure
    "gov-lineage": ("                stack.append(child)", "                pass"),
    # FPR computed over all rows of the group instead of the true negatives
    "gov-card": ('"fpr": float(np.mean(p[t == 0]))', '"fpr": float(np.mean(p))'),
}

# judgment tasks: each plausible wrong decision loses the whole task (visible and hidden properties)
WRONG_JUDGMENT = {
    # reads the Act's exception to the emotion prohibition as "harmless"
    "exception means minimal": ("gov-tiers", ('    if in_annex_iii and (facts["profiling"] or not facts["narrow_procedural_task"]):',
                                               '    if facts["medical_or_safety"]:\n        return "minimal"\n'
                                               '    if in_annex_iii and (facts["profiling"] or not facts["narrow_procedural_task"]):')),
    # forgets that profiling overrides the Art. 6(3) derogation
    "derogation despite profiling": ("gov-tiers", ('(facts["profiling"] or not facts["narrow_procedural_task"])',
                                                    '(not facts["narrow_procedural_task"])')),
    # transparency checked before Annex III: a CV-screening chatbot becomes "limited"
    "transparency first": ("gov-tiers", ('    in_annex_iii = facts["annex_iii_area"] is not None or emotion is not None',
                                         '    if facts["interacts_with_people"]:\n        return "limited"\n'
                                         '    in_annex_iii = facts["annex_iii_area"] is not None or emotion is not None')),
    # exactly the reference's extremes and missing share: rejects clean batches
    "rules fitted exactly": ("gov-rules", ('{"lo": min(present) - 0.25 * spread, "hi": max(present) + 0.25 * spread,\n'
                                           '                         "max_missing": missing + 0.10}',
                                           '{"lo": min(present), "hi": max(present), "max_missing": missing}')),
    # anything goes: catches nothing
    "rules that accept anything": ("gov-rules", ('{"lo": min(present) - 0.25 * spread, "hi": max(present) + 0.25 * spread,\n'
                                                 '                         "max_missing": missing + 0.10}',
                                                 '{"lo": -1e6, "hi": 1e6, "max_missing": 1.0}')),
    # good bounds, but a missing limit that lets a failed join through
    "missing limit too loose": ("gov-rules", ('"max_missing": missing + 0.10}', '"max_missing": 0.5}')),
}


@pytest.mark.parametrize("name", sorted(WRONG_JUDGMENT))
def test_wrong_judgment_loses_the_whole_task(grader, tmp_path, name):
    gid, change = WRONG_JUDGMENT[name]
    nb = with_replacements(SOLUTION, {gid: change})
    report = grader.grade(write_notebook(tmp_path, nb, f"{UNIT}.ipynb"))
    assert_only_task_lost(report, POINTS, gid, at_least=POINTS[gid])


@pytest.mark.parametrize("gid", sorted(WRONG))
def test_plausible_wrong_answer_loses_that_tasks_points(grader, tmp_path, gid):
    nb = with_replacements(SOLUTION, {gid: WRONG[gid]})
    report = grader.grade(write_notebook(tmp_path, nb, f"{UNIT}.ipynb"))
    assert_only_task_lost(report, POINTS, gid)


def test_ethics_answers_are_manually_graded_with_rubrics():
    assert_manual_questions(UNIT, MANUAL_POINTS, min_chars=300, rubric_contains=("Rubric", "pt"))
    assert_released_blank(UNIT, MANUAL_POINTS)


def test_every_check_has_visible_and_hidden_properties():
    assert sum(c.points for c in governance_checks.CHECKS) == 18.0
    assert all(any(p.visible for p in c.properties) and any(not p.visible for p in c.properties)
               for c in governance_checks.CHECKS)


def _solution_namespace() -> dict:
    ns: dict = {}
    exec("import math\nimport numpy as np\n", ns)
    sol = load_notebook(SOLUTION)
    exec(answer_source(sol, "gov-policy").split("def refused_columns")[0], ns)  # LEVELS
    return exec_answers(sol, POINTS, ns)


@pytest.mark.parametrize("key", ["course-key-1", "another course key", "k3"])
def test_every_property_passes_for_the_solution_under_several_keys(monkeypatch, key):
    ns = _solution_namespace()
    under_keys(monkeypatch, key)
    assert_solution_passes_every_property(governance_checks.CHECKS, ns, key)


def test_hidden_inputs_depend_on_the_key_and_cover_every_tier(monkeypatch):
    from mlops_course.grading.checks import LocalRemote

    seen: list[list] = []
    for key in ("a", "b"):
        under_keys(monkeypatch, key)
        calls: list = []
        remote = LocalRemote({"ai_act_tier": lambda facts, calls=calls: calls.append(facts)
                              or governance_checks.ai_act_tier(facts)})
        assert governance_checks.tiers_hidden(remote)[0]
        seen.append(calls)
        assert {governance_checks.ai_act_tier(f) for f in calls} == {"unacceptable", "high", "limited", "minimal"}
    assert seen[0] != seen[1]


def test_tiers_match_the_package_where_its_simplified_rule_applies():
    """The check's reference agrees with governance.standards.eu_ai_act_tier on the Act's examples."""
    from mlops_course.governance.standards import EU_AI_ACT_EXAMPLES

    cases = governance_checks.TIER_CASES
    named = {"municipal 'citizen trust score' that limits access to services": "social scoring of natural persons "
             "leading to detrimental treatment", "credit scoring of loan applicants": "creditworthiness evaluation / "
             "credit scoring of natural persons", "CV ranking of job applicants": "CV screening and ranking of job "
             "applicants", "customer-service chatbot": "customer-service chatbot", "spam filter": "spam filter"}
    for ours, theirs in named.items():
        assert governance_checks.ai_act_tier(cases[ours]) == EU_AI_ACT_EXAMPLES[theirs]


def test_rules_false_fail_bound():
    from scipy.stats import beta, binom

    per_end = beta(2, 2).sf(0.1) ** 1_940
    assert 2 * per_end < 1e-20
    assert binom.sf(40, governance_checks.N_BATCH, 0.03) < 2e-11


def test_partial_submission_scores_exactly_the_tasks_done(grader, tmp_path):
    assert_partial_scores_the_done_tasks(grader, tmp_path, UNIT, POINTS, ("gov-policy", "gov-tiers", "gov-rules"))
