"""The self-check applies the grader's import block: an answer that leans on ``mlops_course`` fails it.

Before, ``from mlops_course.privacy.dp.laplace import laplace_mechanism`` passed the self-check and
then scored 0 when graded. Each way of reaching the reference (the object itself, an import inside
the function, a module-level alias, ``importlib.import_module`` at call time) must now fail the
self-check with a message naming the grader's refusal, and the grader must indeed give 0.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mlops_course.grading import check, reference_uses
from mlops_course.grading.checks import load_checks
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits

UNIT = "07_differential_privacy"
SOLUTION = REPO_ROOT / "solutions" / f"{UNIT}.ipynb"
VISIBLE = sum(p.visible for c in load_checks(UNIT) if c.grade_id == "dp-laplace" for p in c.properties)

CHEATS = {
    "the reference itself": "from mlops_course.privacy.dp.laplace import laplace_mechanism\n",
    "import inside the function": (
        "def laplace_mechanism(value, sensitivity, epsilon, rng):\n"
        "    from mlops_course.privacy.dp.laplace import laplace_mechanism as ref\n"
        "    return ref(value, sensitivity, epsilon, rng)\n"),
    "module-level alias": (
        "import mlops_course.privacy.dp.laplace as _dp\n"
        "def laplace_mechanism(value, sensitivity, epsilon, rng):\n"
        "    return _dp.laplace_mechanism(value, sensitivity, epsilon, rng)\n"),
    "importlib at call time": (
        "def laplace_mechanism(value, sensitivity, epsilon, rng):\n"
        "    import importlib\n"
        "    name = 'mlops_course.privacy.dp.' + 'laplace'\n"
        "    return importlib.import_module(name).laplace_mechanism(value, sensitivity, epsilon, rng)\n"),
}


def _answer(source: str):
    namespace = {"np": np, "math": math, "__name__": "__main__"}
    exec(source, namespace)
    return namespace["laplace_mechanism"]


def _solution_source() -> str:
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    return next("".join(c["source"]) for c in nb["cells"]
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "dp-laplace")


@pytest.mark.parametrize("how", sorted(CHEATS))
def test_self_check_fails_an_answer_that_uses_the_reference(how, capsys):
    check("dp-laplace", _answer(CHEATS[how]))
    out = capsys.readouterr().out
    assert "✔" not in out and f"0/{VISIBLE} visible checks pass" in out, out
    assert "the grader refuses" in out and "reference package" in out, out


def test_reference_uses_names_what_is_used():
    assert reference_uses(_answer(CHEATS["the reference itself"])) == [
        "is mlops_course.privacy.dp.laplace.laplace_mechanism itself"]
    assert reference_uses(_answer(CHEATS["import inside the function"])) == ["imports mlops_course.privacy.dp.laplace"]
    assert reference_uses(_answer(CHEATS["module-level alias"])) == ["uses _dp (mlops_course.privacy.dp.laplace)"]
    assert reference_uses(_answer(_solution_source())) == []


def test_self_check_still_passes_the_honest_solution(capsys):
    check("dp-laplace", _answer(_solution_source()))
    out = capsys.readouterr().out
    assert "✘" not in out and f"{VISIBLE}/{VISIBLE} visible checks pass" in out, out


def test_self_check_guard_is_removed_afterwards():
    import builtins
    import importlib

    before = builtins.__import__, importlib.import_module
    check("dp-laplace", _answer(CHEATS["importlib at call time"]))
    assert (builtins.__import__, importlib.import_module) == before
    assert importlib.import_module("mlops_course.privacy.dp.laplace").laplace_mechanism  # usable again


@pytest.mark.slow
def test_the_grader_gives_those_answers_zero_as_the_self_check_says(tmp_path):
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "dp-laplace":
            cell["source"] = CHEATS["import inside the function"]
    path = tmp_path / f"{UNIT}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    report = Grader(UNIT, limits=Limits(total_seconds=900.0)).grade(path)
    score, top = report.by_grade_id()["dp-laplace"]
    assert top > 0 and score == 0
