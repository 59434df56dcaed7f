"""Instructor tools over a real graded batch: feedback pages, the class report, copy detection and
the rubric / manual-score round trip (issue 14 items 2-5)."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_course.grading import classreport, feedback, rubric, similarity
from mlops_course.grading.batch import answer_cells, load_batch
from mlops_course.grading.checks import ManualQuestion
from mlops_course.grading.notebook import cell_source, nbgrader_meta
from tests._grading import load_notebook, with_answers

ROOT = Path(__file__).resolve().parents[2]
UNIT = "07_differential_privacy"
SOLUTION = ROOT / "solutions" / f"{UNIT}.ipynb"
EXERCISE = ROOT / "exercises" / f"{UNIT}.ipynb"



def _autograded_ids(nb: dict) -> list[str]:
    return [gid for gid, c in answer_cells(nb).items()
            if nbgrader_meta(c).get("solution") and c.get("cell_type") == "code"]



def _renamed(src: str) -> str:
    """The same code with other local variable names, reformatted, comments gone: what a copier does."""
    import ast

    tree = ast.parse(src)
    local = {n.id for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
             for n in ast.walk(f) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    local -= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}  # arguments keep their names
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in local:
            node.id = f"my_{node.id}"
    return "# my own work\n" + ast.unparse(tree) + "\n"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("batch")
    subs, grades = tmp / "subs", tmp / "grades"
    subs.mkdir()
    solution, exercise = load_notebook(SOLUTION), load_notebook(EXERCISE)
    ids = [g for g in _autograded_ids(exercise) if g in answer_cells(solution)]
    sol = {g: cell_source(answer_cells(solution)[g]) for g in ids}
    first = ids[0]
    notebooks = {
        "alice": solution,
        "bob": exercise,
        "carol": with_answers(SOLUTION, {g: _renamed(s) for g, s in sol.items()}),
        "dave": with_answers(EXERCISE, {first: sol[first] + "\n# </pre><script>alert('x')</script>\n"}),
    }
    for name, nb in notebooks.items():
        (subs / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "mlops_course.cli", "grade", str(subs), "--unit", UNIT,
                          "--jobs", "2", "-o", str(grades), "--quiet"],
                         capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    # grade DIR writes the class report beside the CSV (before any test rewrites it)
    written = (grades / "class_report.html").read_text(encoding="utf-8")
    assert "4 submissions" in written and written.count("<img ") == 3
    return {"subs": subs, "grades": grades, "ids": ids, "first": first, "tmp": tmp}


def test_batch_pairs_every_submission_with_its_results(batch):
    items = {i.name: i for i in load_batch(batch["subs"], batch["grades"])}
    assert set(items) == {"alice", "bob", "carol", "dave"}
    assert all(not i.problem for i in items.values())
    assert items["alice"].score == items["alice"].max_score > 0
    assert items["bob"].score == 0


def test_feedback_pages_show_code_points_and_messages_escaped(batch):
    pages = feedback.write_feedback(batch["subs"], batch["grades"], batch["tmp"] / "feedback")
    by_name = {p.stem: p.read_text(encoding="utf-8") for p in pages}
    alice = json.loads((batch["grades"] / "alice.results.json").read_text())
    assert f"{alice['score']:g} / {alice['max_score']:g} points" in by_name["alice"]
    bob = json.loads((batch["grades"] / "bob.results.json").read_text())
    failed = [t for t in bob["tests"] if t["score"] < t["max_score"] and not feedback.is_manual(t)]
    assert failed and all(t["output"].splitlines()[0][:40].replace("&", "&amp;").replace("<", "&lt;")
                          .replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#x27;") in by_name["bob"]
                          for t in failed)
    assert by_name["bob"].count("<span class='fail'>✘</span>") == len(failed)
    # the written answer is listed as waiting for a person, not as a failed check
    manual = json.loads((batch["grades"] / "bob.results.json").read_text()).get("manual", [])
    assert all(f"<b>{m['grade_id']}</b>" in by_name["bob"] for m in manual)
    # the student's code is on the page, and what they wrote cannot inject markup
    assert "&lt;script&gt;alert(" in by_name["dave"] and "<script>alert(" not in by_name["dave"]
    assert (batch["tmp"] / "feedback" / "index.html").is_file()


def test_class_report_numbers_follow_from_the_batch(batch):
    data = classreport.read_results(batch["grades"])
    s = classreport.summarise(data)
    share = dict(zip(s.names, s.score_share, strict=True))
    assert share["alice"] == share["carol"] == 1.0 and share["bob"] == 0.0 and 0 < share["dave"] < 1
    first = batch["first"]
    assert s.task_full_share[first] == pytest.approx(3 / 4)  # alice, carol and dave did it
    for gid in batch["ids"][1:]:
        assert s.task_full_share[gid] == pytest.approx(2 / 4)
    assert all(0 <= r <= 1 for r in s.property_failure.values())
    assert s.messages and s.messages[0][1] >= 2  # bob and dave fail the same way on the same tasks
    out = classreport.write_class_report(batch["grades"])
    html = out.read_text(encoding="utf-8")
    assert html.count("<img ") == 3 and "data:image/png;base64," in html
    assert "4 submissions" in html


def test_similarity_flags_the_renamed_copy_not_the_blank_ones(batch):
    out = similarity.write_similarity_report(batch["subs"], batch["tmp"] / "similarity.html", unit=UNIT)
    rows = list(csv.DictReader(out.with_suffix(".csv").open(encoding="utf-8")))
    pairs = {(r["first"], r["second"]) for r in rows if r["kind"] == "pair"}
    assert ("alice", "carol") in pairs
    assert not any("bob" in p for p in pairs)  # a blank exercise is only the template: never flagged


def test_fingerprints_ignore_names_and_comments_but_not_the_algorithm():
    a = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x * x\n    return total / len(xs)\n"
    b = "def mean_sq(values):  # mine\n    acc = 0\n    for v in values:\n        acc += v * v\n    return acc / len(values)\n"
    c = "def f(xs):\n    import numpy as np\n    return float(np.mean(np.square(np.asarray(xs))))\n"
    assert similarity.jaccard(similarity.fingerprints(a), similarity.fingerprints(b)) == 1.0
    assert similarity.jaccard(similarity.fingerprints(a), similarity.fingerprints(c)) < 0.2
    with pytest.raises(ValueError, match="k must be"):
        similarity.fingerprints(a, k=0)
    with pytest.raises(ValueError, match="threshold"):
        similarity.compare_class({}, threshold=1.5)


def test_similarity_flags_an_answer_pasted_from_the_reference_package(tmp_path):
    import inspect

    from mlops_course.privacy.dp import laplace

    exercise = load_notebook(EXERCISE)
    gid = next(g for g in _autograded_ids(exercise) if "laplace" in g)
    pasted = inspect.getsource(laplace.laplace_mechanism)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "eve.ipynb").write_text(json.dumps(with_answers(EXERCISE, {gid: pasted})), encoding="utf-8")
    out = similarity.write_similarity_report(subs, tmp_path / "sim.html", unit=UNIT)
    rows = list(csv.DictReader(out.with_suffix(".csv").open(encoding="utf-8")))
    assert any(r["kind"] == "reference" and r["first"] == "eve" for r in rows), rows


# ----------------------------------------------------------------- rubric and manual scores
@pytest.fixture()
def manual_batch(tmp_path, monkeypatch):
    """Two submissions of a unit with one written question, their results, and a solution with a rubric."""
    unit = "04_ethics_data_governance"
    question = ManualQuestion("ethics-essay", 4, unit, "Who is harmed?")
    import mlops_course.grading.checks as checks

    monkeypatch.setattr(checks, "builtin_manual", lambda u: (question,) if u == unit else ())
    meta = {"nbgrader": {"solution": True, "grade": True, "grade_id": "ethics-essay", "points": 4}}
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    sol = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": meta, "source": "Model: the applicants <b>refused</b>."},
        {"cell_type": "markdown", "metadata": {"mlops_course": {"rubric": "ethics-essay"}},
         "source": "- 2 pts: names the group\n- 2 pts: names the harm"}]}
    (solutions / f"{unit}.ipynb").write_text(json.dumps(sol))
    subs, grades = tmp_path / "subs", tmp_path / "grades"
    subs.mkdir()
    grades.mkdir()
    for name, answer, auto in (("ann", "Refused applicants <script>x</script>", 5.0), ("ben", "", 2.0)):
        nb = {**sol, "cells": [{"cell_type": "markdown", "metadata": meta, "source": answer}]}
        (subs / f"{name}.ipynb").write_text(json.dumps(nb))
        (grades / f"{name}.results.json").write_text(json.dumps(
            {"score": auto, "max_score": 6.0, "tests": [], "extra_data": {"unit": unit, "status": "graded"}}))
    return {"subs": subs, "grades": grades, "solutions": solutions, "out": tmp_path / "rubric"}


def test_rubric_pages_put_every_answer_beside_the_rubric(manual_batch):
    pages = rubric.write_rubric_pages(manual_batch["subs"], manual_batch["grades"], manual_batch["out"],
                                      solutions=manual_batch["solutions"])
    assert [p.name for p in pages] == ["ethics-essay.html"]
    html = pages[0].read_text(encoding="utf-8")
    assert "2 pts: names the group" in html and "&lt;b&gt;refused&lt;/b&gt;" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "(no answer)" in html
    sheet = list(csv.DictReader((manual_batch["out"] / "manual_scores.csv").open()))
    assert [(r["submission"], r["grade_id"], r["points"], r["score"]) for r in sheet] == [
        ("ann", "ethics-essay", "4", ""), ("ben", "ethics-essay", "4", "")]


def _fill(path: Path, scores: dict[str, str]) -> None:
    rows = list(csv.DictReader(path.open()))
    for row in rows:
        row["score"] = scores.get(row["submission"], "")
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rubric.SCORE_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)


def test_manual_scores_are_checked_and_added_to_the_final_grades(manual_batch):
    out = manual_batch["out"]
    rubric.write_rubric_pages(manual_batch["subs"], manual_batch["grades"], out, solutions=manual_batch["solutions"])
    sheet = out / "manual_scores.csv"
    final = out / "final.csv"
    args = (manual_batch["subs"], manual_batch["grades"], sheet, final)
    _fill(sheet, {"ann": "3.5"})
    with pytest.raises(ValueError, match="1 answers have no score yet"):
        rubric.write_final_grades(*args)
    _fill(sheet, {"ann": "3.5", "ben": "5"})
    with pytest.raises(ValueError, match=r"score must lie in \[0, 4\], got '5'"):
        rubric.write_final_grades(*args)
    _fill(sheet, {"ann": "3.5", "ben": "two"})
    with pytest.raises(ValueError, match="score must be a number"):
        rubric.write_final_grades(*args)
    _fill(sheet, {"ann": "3.5", "ben": "0"})
    rubric.write_final_grades(*args)
    rows = {r["submission"]: r for r in csv.DictReader(final.open())}
    assert (rows["ann"]["total"], rows["ann"]["max"]) == ("8.5", "10")
    assert (rows["ben"]["total"], rows["ben"]["manual_score"]) == ("2", "0")
    # the instructor's filled-in sheet is never overwritten by a second run
    rubric.write_rubric_pages(manual_batch["subs"], manual_batch["grades"], out, solutions=manual_batch["solutions"])
    assert "3.5" in sheet.read_text()
