"""The autograder on exercise 02 (safeguards): full marks, zero, one plausible mistake per task.

The checks module is found by the registry's auto-discovery (``checks.check_modules()``).
"""
from __future__ import annotations

import pytest

from mlops_course.grading import check
from mlops_course.grading.checks import LocalRemote, check_modules, load_checks, run_property
from mlops_course.grading.checks import safeguards as sg
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits, find_exercise
from tests._grading import answer_source, load_notebook, scores, with_answers, write_notebook

UNIT = "02_safeguards"
SOLUTION = REPO_ROOT / "solutions" / f"{UNIT}.ipynb"
EXERCISE = REPO_ROOT / "exercises" / f"{UNIT}.ipynb"
POINTS = {"sg-verify": 3.0, "sg-policy": 3.0, "sg-ks": 2.0, "sg-ownership": 2.0, "sg-vault": 3.0, "sg-ber": 2.0}
LIMITS = Limits(cell_seconds=5.0, call_seconds=10.0, total_seconds=120.0, memory_bytes=2 * 2**30, processes=32)


@pytest.fixture(scope="module")
def grader():
    return Grader(UNIT, limits=LIMITS)


def test_registry_points_match_the_notebook():
    assert check_modules()[UNIT] == "mlops_course.grading.checks.safeguards"
    exercise = find_exercise(UNIT)
    checks = load_checks(UNIT)
    assert [c.grade_id for c in checks] == list(exercise.answer_ids) == list(POINTS)
    assert {c.grade_id: c.points for c in checks} == exercise.points == POINTS
    for c in checks:
        assert f" {c.name}" in answer_source(load_notebook(SOLUTION), c.grade_id)
    assert all(c.unit == sg.UNIT for c in sg.CHECKS)


def test_solution_full_marks_and_exercise_zero(grader):
    report = grader.grade(SOLUTION)
    assert report.status == "graded"
    assert report.score == report.max_score == sum(POINTS.values()), [t.output for t in report.tests if not t.score]
    report = grader.grade(EXERCISE)
    assert (report.score, report.max_score) == (0.0, sum(POINTS.values()))
    assert all("not implemented yet" in t.output for t in report.tests)


SOL = load_notebook(SOLUTION)
WRONG = {
    # only the signature is checked: a swapped artefact next to a genuine manifest passes
    "sg-verify": ("sg-verify", lambda s: s.replace(
        'return (manifest.get("sha256") == hashlib.sha256(artifact).hexdigest()\n'
        '            and manifest.get("size") == len(artifact))', "return True"), 1.0),
    # forgets the MFA rule for privileged actions
    "sg-policy": ("sg-policy", lambda s: s.replace(
        'if action in PRIVILEGED and not request["mfa"]:', "if False:"), 1.0),
    # evaluates the CDFs only on the reference's points
    "sg-ks": ("sg-ks", lambda s: s.replace("grid = np.concatenate([a, b])", "grid = a"), 1.0),
    # off by one: P(X > k) instead of P(X >= k)
    "sg-ownership": ("sg-ownership", lambda s: s.replace("range(matches, ", "range(matches + 1, "), 2.0),
    # a fixed nonce: same token for the same text
    "sg-vault": ("sg-vault", lambda s: s.replace("nonce = os.urandom(12)", "nonce = bytes(12)"), 0.5),
    # averages over the inputs instead of the hidden units
    "sg-ber": ("sg-ber", lambda s: s.replace("W1.mean(axis=1)", "W1.mean(axis=0)"), 1.5),
}


@pytest.mark.parametrize("task", list(WRONG))
def test_a_plausible_mistake_loses_points_of_that_task_only(grader, tmp_path, task):
    gid, rewrite, lost_at_least = WRONG[task]
    original = answer_source(SOL, gid)
    changed = rewrite(original)
    assert changed != original, "the mutation did not apply"
    path = write_notebook(tmp_path, with_answers(SOLUTION, {gid: changed}), f"{UNIT}.ipynb")
    got = scores(grader.grade(path))
    assert got[gid] <= POINTS[gid] - lost_at_least, got
    assert all(got[g] == POINTS[g] for g in POINTS if g != gid), got


def test_self_check_runs_visible_properties(capsys):
    namespace: dict = {}
    for gid in ("sg-imports",):
        exec(answer_source(SOL, gid), namespace)  # noqa: S102 - our own solution notebook
    exec(answer_source(SOL, "sg-ownership"), namespace)  # noqa: S102
    check("sg-ownership", namespace["ownership_pvalue"])
    out = capsys.readouterr().out
    assert "2/2 visible checks pass" in out
    remote = LocalRemote({"ownership_pvalue": lambda k, n, c: 0.5})
    passed, message, _ = run_property(sg.CHECKS[3].properties[0], remote, "ownership_pvalue")
    assert not passed and "expected" in message
