"""The autograder on exercise 03 (GDPR & CCPA): full marks under two grading keys, zero, exactly the
done tasks for a partial submission, one plausible wrong answer per task, and several lazy or wrong
answers to each judgment task ('release_plan', 'reidentify') losing that task."""
from __future__ import annotations

import pytest

from mlops_course.grading.checks import LocalRemote, run_property
from mlops_course.grading.checks import compliance as compliance_checks
from mlops_course.grading.harness import Limits
from tests._grading import (
    answer_source,
    assert_full_marks,
    assert_hidden_inputs_depend_on_the_key,
    assert_manual_questions,
    assert_only_task_lost,
    assert_partial_scores_the_done_tasks,
    assert_registry_matches,
    assert_released_blank,
    assert_solution_passes_every_property,
    exec_answers,
    grader_fixture,
    load_notebook,
    local_score,
    unit_notebooks,
    use_key,
    with_replacements,
    write_notebook,
)
from tests._judgment import assert_zero_auto

UNIT = "03_gdpr_ccpa"
SOLUTION, EXERCISE = unit_notebooks(UNIT)
POINTS = {"gdpr-purpose": 3.0, "gdpr-kanon": 3.0, "gdpr-release": 4.0, "gdpr-erasure": 3.0, "gdpr-audit": 3.0,
          "gdpr-cards": 3.0, "gdpr-reidentify": 3.0}
MANUAL_POINTS = {"gdpr-written": 3.0}
# generous: a loaded 2-core machine
LIMITS = Limits(cell_seconds=30.0, call_seconds=120.0, total_seconds=900.0, memory_bytes=2 * 2**30, processes=32)
KEYS = (None, "course key A: 7f3c", "course key B: 91d0")
grader = grader_fixture(UNIT, LIMITS)


def _namespace(changes: dict[str, str] | None = None) -> dict:
    return exec_answers(load_notebook(SOLUTION), ("gdpr-imports", "gdpr-given", *POINTS), changes=changes)


def test_registry_points_match_the_notebook():
    assert_registry_matches(UNIT, POINTS, SOLUTION)
    assert [c.grade_id for c in compliance_checks.CHECKS] == list(POINTS)


def test_manual_question_has_answer_and_rubric_cells():
    assert_manual_questions(UNIT, MANUAL_POINTS, min_words=100)


@pytest.mark.parametrize("key", KEYS[:2], ids=["development key", "course key"])
def test_solution_gets_full_marks_under_two_keys(grader, monkeypatch, key):
    use_key(monkeypatch, key)
    assert_full_marks(grader.grade(SOLUTION), POINTS)


def test_untouched_exercise_gets_zero(grader):
    assert_zero_auto(grader.grade(EXERCISE), POINTS, MANUAL_POINTS)


def test_partial_submission_scores_exactly_the_tasks_done(grader, tmp_path):
    assert_partial_scores_the_done_tasks(grader, tmp_path, UNIT, POINTS, ("gdpr-kanon", "gdpr-release", "gdpr-reidentify"))


WRONG = {
    # no data minimisation: whole rows of consenting subjects
    "gdpr-purpose": ("return [{c: row[c] for c in columns} for row in rows", "return [dict(row) for row in rows"),
    # bands one year too wide
    "gdpr-kanon": ('return f"{lo}-{lo + w - 1}"', 'return f"{lo}-{lo + w}"'),
    # generalises age and ZIP together (Task 2's ladder) instead of choosing each level
    "gdpr-release": ("for z in range(6):", "for z in ((0, 1, 2, 3, 5)[a],):"),
    # the data is deleted but the model is not retrained
    "gdpr-erasure": ('"weights": train(X_rest, y_rest)}', '"weights": train(X, y)}'),
    # the head is ignored: a cut-off tail goes unnoticed
    "gdpr-audit": ("return None if prev == head else len(entries)", "return None"),
    # no Luhn check: every 13-19 digit number is masked
    "gdpr-cards": ("if not luhn_ok(\"\".join(digits)):", "if False:"),
    # searches 4-digit ids only
    "gdpr-reidentify": ('for i in range(10**5):', 'for i in range(10**4):'),
}


@pytest.mark.parametrize("gid", list(WRONG))
def test_plausible_wrong_answer_loses_that_tasks_points(grader, tmp_path, gid):
    nb = with_replacements(SOLUTION, {gid: WRONG[gid]})
    report = grader.grade(write_notebook(tmp_path, nb, f"{UNIT}.ipynb"))
    assert_only_task_lost(report, POINTS, gid)


LAZY = {
    "gdpr-release": {
        "constant plan": '''
def release_plan(ages, zips, max_risk, max_loss):
    return {"k": 5, "age_level": 2, "zip_level": 2, "loss": 0.45}
''',
        "suppress everything": '''
def release_plan(ages, zips, max_risk, max_loss):
    k = 1
    while 1 / k > max_risk:
        k += 1
    return {"k": k, "age_level": 4, "zip_level": 5, "loss": 1.0}
''',
        "never refuses": None,  # the solution without its utility test (built below)
        "always refuses": '''
def release_plan(ages, zips, max_risk, max_loss):
    return None
''',
        "k rounded down": None,
    },
    "gdpr-reidentify": {
        "nothing found": '''
def reidentify(pseudonyms, salt):
    return {"ids": {}, "rate": 0.0}
''',
        "invented ids": '''
def reidentify(pseudonyms, salt):
    return {"ids": {h: "C00000" for h in pseudonyms}, "rate": 1.0}
''',
        "unsalted hashes": None,
        "rate over the wrong total": None,
    },
}


def _lazy_source(gid: str, variant: str) -> str:
    text = LAZY[gid][variant]
    if text is not None:
        return text.strip("\n")
    sol = answer_source(load_notebook(SOLUTION), gid)
    old, new = {
        "never refuses": ("return best if best[\"loss\"] <= max_loss else None", "return best"),
        "k rounded down": ("    k = 1\n    while 1 / k > max_risk:  # a group of k rows re-identifies with probability 1/k\n"
                           "        k += 1\n", "    k = int(1 / max_risk)\n"),
        "unsalted hashes": ("hashlib.sha256((salt + cid).encode())", "hashlib.sha256(cid.encode())"),
        "rate over the wrong total": ('"rate": len(found) / len(pseudonyms)', '"rate": 1.0'),
    }[variant]
    assert old in sol, variant
    return sol.replace(old, new)


@pytest.mark.parametrize("key", KEYS[1:], ids=["key A", "key B"])
@pytest.mark.parametrize(("gid", "variant"), [(g, v) for g in LAZY for v in LAZY[g]])
def test_lazy_judgment_answers_lose_the_task(monkeypatch, key, gid, variant):
    use_key(monkeypatch, key)
    assert local_score(compliance_checks.CHECKS, gid, _namespace({gid: _lazy_source(gid, variant)})) <= POINTS[gid] - 1.0


@pytest.mark.parametrize("key", KEYS + ("random key 3", "random key 4"))
def test_solution_passes_every_property_for_any_key(monkeypatch, key):
    use_key(monkeypatch, key)
    assert_solution_passes_every_property(compliance_checks.CHECKS, _namespace(), key)


def test_hidden_inputs_depend_on_the_key(monkeypatch):
    tags = ["03/gdpr-release/hidden", "03/gdpr-reidentify/hidden", "03/gdpr-cards/hidden", "03/gdpr-purpose/hidden"]
    assert_hidden_inputs_depend_on_the_key(monkeypatch, tags, KEYS[1:])


def test_required_k_and_reference_release():
    """k from the risk bound, and the reference's optimum agrees with the package's minimal generalisation."""
    assert [compliance_checks._required_k(r) for r in (1.0, 0.5, 0.34, 1 / 3, 0.2, 0.1, 0.09)] == [1, 2, 3, 3, 5, 10, 12]
    from mlops_course.compliance.kanonymity import generalise_age, generalise_zip, k_anonymity

    ages, zips = compliance_checks._REL_AGES, compliance_checks._REL_ZIPS
    plan = compliance_checks.reference_release(ages, zips, 0.2, 1.0)
    rows = [{"a": generalise_age(x, plan["age_level"]), "z": generalise_zip(y, plan["zip_level"])}
            for x, y in zip(ages, zips, strict=True)]
    assert k_anonymity(rows, ["a", "z"]) >= 5
    # brute force over the 30 pairs, independently of reference_release's loop
    best = min((a / 4 + z / 5) / 2 for a in range(5) for z in range(6)
               if k_anonymity([{"a": generalise_age(x, a), "z": generalise_zip(y, z)}
                               for x, y in zip(ages, zips, strict=True)], ["a", "z"]) >= 5)
    assert plan["loss"] == best


def test_feedback_shows_inputs_and_points_at_the_concept():
    ns = _namespace({"gdpr-release": LAZY["gdpr-release"]["constant plan"].strip("\n")})
    check = {c.grade_id: c for c in compliance_checks.CHECKS}["gdpr-release"]
    passed, message, _ = run_property(check.properties[1], LocalRemote({check.name: ns[check.name]}), check.name)
    assert not passed and "max_risk = 0.09" in message and "200 people" in message
    for check in compliance_checks.CHECKS:
        for prop in check.properties:
            assert prop.hint and "np." not in prop.hint and "re.finditer" not in prop.hint, (check.grade_id, prop.name)


def test_checks_are_exact_not_statistical():
    assert all("distribution" not in p.func.__name__ for c in compliance_checks.CHECKS for p in c.properties)
    assert sum(c.points for c in compliance_checks.CHECKS) == 22.0


def test_released_exercise_has_the_answer_stub_and_no_rubric():
    assert_released_blank(UNIT, MANUAL_POINTS)
