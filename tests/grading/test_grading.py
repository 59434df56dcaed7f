"""The autograder on exercise 07: full marks, zero, partial credit, wrong answers, malformed input, reports."""
from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from mlops_course.grading import check
from mlops_course.grading.checks import Check, LocalRemote, Property, load_checks
from mlops_course.grading.checks import dp as dp_checks
from mlops_course.grading.cli import main as cli_main
from mlops_course.grading.harness import PACKAGE_DIR, REPO_ROOT, Grader, Sandbox, WorkerProcess, find_exercise
from mlops_course.grading.report import results_json
from mlops_course.privacy.dp.gaussian import gaussian_sigma_classic
from mlops_course.privacy.dp.laplace import laplace_halfwidth, laplace_scale
from tests.grading.conftest import (
    ANSWER_IDS,
    EXERCISE,
    MANUAL,
    POINTS,
    SOLUTION,
    TEST_LIMITS,
    cell_of,
    edit,
    load,
    mixed,
    source,
    write,
)

TOTAL = sum(POINTS.values())


def scores(report) -> dict[str, float]:
    return {gid: s for gid, (s, _) in report.by_grade_id().items()}


# ----------------------------------------------------------------------------- the three reference cases
def test_solution_gets_full_marks(grader):
    report = grader.grade(SOLUTION)
    assert report.status == "graded"
    assert (report.score, report.max_score) == (TOTAL, TOTAL), [t.output for t in report.tests if not t.score]
    assert scores(report) == POINTS


def test_untouched_exercise_gets_zero(grader):
    report = grader.grade(EXERCISE)
    assert (report.score, report.max_score) == (0.0, TOTAL)
    assert all("not implemented yet" in t.output for t in report.tests if not t.manual)


@pytest.mark.parametrize("done", [("dp-laplace",), ("dp-rr", "dp-ledger"), ("dp-gaussian-sigma", "dp-mean",
                                                                             "dp-halfwidth")])
def test_partial_submission_gets_exactly_the_points_of_the_done_tasks(grader, tmp_path, done):
    report = grader.grade(write(tmp_path, mixed(done)))
    assert scores(report) == {gid: (POINTS[gid] if gid in done else 0.0) for gid in ANSWER_IDS}


def test_grading_is_deterministic(grader, tmp_path):
    path = write(tmp_path, mixed(("dp-laplace", "dp-mean")))
    first, second = grader.grade(path), grader.grade(path)
    assert [(t.name, t.score, t.output) for t in first.tests] == [(t.name, t.score, t.output) for t in second.tests]
    assert first.score == POINTS["dp-laplace"] + POINTS["dp-mean"]


def test_every_check_module_imports_and_names_its_unit():
    from mlops_course.grading.checks import check_modules

    modules = check_modules(strict=True)
    assert modules["07_differential_privacy"] == "mlops_course.grading.checks.dp"


def test_registry_points_match_the_notebook():
    exercise = find_exercise("07_differential_privacy")
    checks = load_checks("07_differential_privacy")
    assert [c.grade_id for c in checks] == list(exercise.answer_ids) == list(ANSWER_IDS)
    auto = {g: v for g, v in exercise.points.items() if g not in MANUAL}
    assert {c.grade_id: c.points for c in checks} == auto == POINTS
    assert {g: exercise.points[g] for g in MANUAL} == MANUAL  # manual questions: the notebook's points too
    for c in checks:  # each check's name is defined by the solution's answer cell
        assert f" {c.name}" in source(load("solution"), c.grade_id)


def test_statistical_false_fail_rate_is_at_most_1e6():
    statistical = [p for c in dp_checks.CHECKS for p in c.properties if "distribution" in p.func.__name__]
    assert len(statistical) == dp_checks.N_STATISTICAL_TESTS
    assert dp_checks.N_STATISTICAL_TESTS * dp_checks.ALPHA_PER_TEST <= 1e-6


def test_closed_forms_of_the_checks_agree_with_the_reference_package():
    assert math.isclose(dp_checks._sigma(1.0, 0.5, 1e-5), gaussian_sigma_classic(1.0, 0.5, 1e-5))
    assert math.isclose(dp_checks._halfwidth(2.0, 0.5), laplace_halfwidth(laplace_scale(2.0, 0.5)))


def test_closed_forms_against_published_values():
    # Dwork & Roth: sigma = sqrt(2 ln(1.25/delta)) / eps; ln(1.25e5) = 11.736..., sqrt(2*11.736) / 0.5 = 9.6897
    assert math.isclose(dp_checks._sigma(1.0, 0.5, 1e-5), 9.689, rel_tol=1e-3)
    assert math.isclose(dp_checks._halfwidth(1.0, 1.0), math.log(20))  # P(|Lap(1)| > ln 20) = 1/20
    from scipy import stats

    h = dp_checks._halfwidth(1.5, 0.7, 0.9)
    assert math.isclose(stats.laplace(scale=1.5 / 0.7).cdf(h) - stats.laplace(scale=1.5 / 0.7).cdf(-h), 0.9)


# ----------------------------------------------------------------------------- wrong answers lose exactly their points
LAPLACE = "def laplace_mechanism(value, sensitivity, epsilon, rng):\n" \
          "    if not (epsilon > 0 and sensitivity > 0):\n        raise ValueError('bad')\n"
MUTANTS = {
    "laplace scale eps/Delta": ("dp-laplace", LAPLACE + "    return value + rng.laplace(0, epsilon / sensitivity,"
                                " size=np.shape(value))", 1.5),
    "laplace scale off by 2": ("dp-laplace", LAPLACE + "    return value + rng.laplace(0, 2 * sensitivity / epsilon,"
                               " size=np.shape(value))", 1.5),
    "laplace gaussian noise, same variance": (
        "dp-laplace", LAPLACE + "    return value + rng.normal(0, math.sqrt(2) * sensitivity / epsilon,"
        " size=np.shape(value))", 1.5),
    "laplace global np.random": ("dp-laplace", LAPLACE + "    return value + np.random.laplace(0, sensitivity / "
                                 "epsilon, size=np.shape(value))", 2.5),
    "laplace one noise for all entries": ("dp-laplace", LAPLACE + "    return value + rng.laplace(0, sensitivity /"
                                          " epsilon)", 1.5),
    "dp_mean without clipping": ("dp-mean", "def dp_mean(x, lower, upper, epsilon, rng):\n    x = np.asarray(x, "
                                 "dtype=float)\n    return float(x.mean() + rng.laplace(0, (upper - lower) / (len(x) * "
                                 "epsilon)))", 0.5),
    "dp_mean scale without n": ("dp-mean", "def dp_mean(x, lower, upper, epsilon, rng):\n    x = np.clip(x, lower, "
                                "upper)\n    return float(x.mean() + rng.laplace(0, (upper - lower) / epsilon))", 1.0),
    "sigma with log10": ("dp-gaussian-sigma", lambda s: s.replace("math.log(1.25", "math.log10(1.25"), 0.5),
    "rr clipped to [0, 1]": ("dp-rr", lambda s: s.replace("return float(", "return min(1.0, max(0.0, float(")
                             .replace("p))", "p))))"), 1.0),
    "ledger with a class-level list": ("dp-ledger", lambda s: s.replace("class BudgetLedger:", "class BudgetLedger:\n"
                                       "    entries = []").replace("        self.entries = []\n", ""), 1.0),
    "ledger records before checking": ("dp-ledger", lambda s: s.replace(
        "        self.entries.append((label, float(epsilon)))\n        return self.remaining",
        "        return self.remaining").replace(
        "        if epsilon > self.remaining + 1e-12:\n",
        "        self.entries.append((label, float(epsilon)))\n        if epsilon > self.remaining + epsilon + 1e-12:\n"),
        2.0),
    "halfwidth ignores confidence": ("dp-halfwidth", lambda s: s.replace("math.log(1.0 / (1.0 - confidence))",
                                                                         "math.log(20.0)"), 1.0),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_wrong_answers_lose_their_points(grader, tmp_path, name):
    gid, change, _ = MUTANTS[name]  # (the third entry: the score when exercise 07 had 15 points; not asserted,
    nb = edit("solution", {gid: change})  # the unit's points change: the task must lose points, the others none)
    assert source(nb, gid) != source(load("solution"), gid)
    report = grader.grade(write(tmp_path, nb))
    got = scores(report)
    assert got[gid] < POINTS[gid], [t.output for t in report.tests if t.grade_id == gid]
    assert all(got[g] == POINTS[g] for g in ANSWER_IDS if g != gid)


# ----------------------------------------------------------------------------- malformed input: a clear report
MALFORMED = {
    "not json": (b"this is not a notebook", "not valid JSON"),
    "not utf-8": (b"\xff\xfe\x00garbage", "not a text file"),
    "json, not a notebook": (b'{"hello": 1}', "not a Jupyter notebook"),
    "nbformat 3": (json.dumps({"nbformat": 3, "nbformat_minor": 0, "cells": [], "metadata": {}}).encode(),
                   "nbformat 3"),
    "R kernel": (None, "uses a R kernel"),
    "no grade ids": (None, "does not contain any answer cell"),
    "other unit": (None, "unit 08_homomorphic_encryption"),
}


def _malformed(name: str) -> bytes:
    data, _ = MALFORMED[name]
    if data is not None:
        return data
    nb = load("solution")
    if name == "R kernel":
        nb["metadata"]["kernelspec"]["language"] = "R"
    elif name == "no grade ids":
        for cell in nb["cells"]:
            cell["metadata"].pop("nbgrader", None)
    elif name == "other unit":
        nb["metadata"]["mlops_course"] = {"stem": "08_homomorphic_encryption", "unit": 8}
    return json.dumps(nb).encode()


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_input_gets_a_clear_report(grader, tmp_path, name):
    path = write(tmp_path, _malformed(name), "sub.ipynb")
    report = grader.grade(path)
    assert report.status == "rejected"
    assert (report.score, report.max_score) == (0.0, TOTAL)
    assert MALFORMED[name][1] in report.output
    assert "Traceback" not in report.output
    out = tmp_path / "results.json"
    assert cli_main(["grade", str(path), "--unit", "07", "-o", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["max_score"] == TOTAL and MALFORMED[name][1] in data["output"]


def test_missing_and_duplicated_answer_cells_cost_only_those_tasks(grader, tmp_path):
    def mutate(nb):
        rr = cell_of(nb, "dp-rr")
        nb["cells"].remove(rr)
        ledger = cell_of(nb, "dp-ledger")
        nb["cells"].insert(nb["cells"].index(ledger), json.loads(json.dumps(ledger)))

    report = grader.grade(write(tmp_path, edit("solution", mutate=mutate)))
    got = scores(report)
    assert got["dp-rr"] == 0 and got["dp-ledger"] == 0
    assert report.score == TOTAL - POINTS["dp-rr"] - POINTS["dp-ledger"]
    messages = " ".join(t.output for t in report.tests)
    assert "'dp-rr' is missing" in messages and "'dp-ledger' appears 2 times" in messages


def test_ipython_magics_are_ignored(grader, tmp_path):
    nb = edit("solution", {"dp-rr": lambda s: "%matplotlib inline\n!echo hi\n" + s})
    assert scores(grader.grade(write(tmp_path, nb)))["dp-rr"] == POINTS["dp-rr"]


def test_only_answer_cells_count(grader, tmp_path):
    # a correct function written in a non-answer cell (the self-check cell) is not graded
    solution = load("solution")

    def mutate(nb):
        cell_of(nb, "dp-laplace-check")["source"] = source(solution, "dp-laplace")

    report = grader.grade(write(tmp_path, edit("exercise", mutate=mutate)))
    assert report.score == 0


# ----------------------------------------------------------------------------- sandbox
def test_worker_applies_limits_and_isolation():
    worker = WorkerProcess(TEST_LIMITS, Sandbox(), [str(PACKAGE_DIR)], None if not Sandbox().active else _pool())
    try:
        probe = ("import resource, os, socket\n"
                 "def probe():\n"
                 "    try:\n"
                 "        socket.create_connection(('1.1.1.1', 53), timeout=1); net = 'open'\n"
                 "    except OSError: net = 'blocked'\n"
                 "    def can(action):\n"
                 "        try: action(); return 'yes'\n"
                 "        except OSError: return 'no'\n"
                 f"    ref = can(lambda: open({str(PACKAGE_DIR / '__init__.py')!r}).read())\n"
                 "    parent = can(lambda: open('../escape.txt', 'w').write('x'))\n"
                 f"    repo = [p for p in ('.git', 'tests', 'solutions', 'README.md') if os.path.exists(os.path.join("
                 f"{str(REPO_ROOT)!r}, p))]\n"
                 "    pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
                 "    return [resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_CORE)[0],"
                 " resource.getrlimit(resource.RLIMIT_NPROC)[0], os.getuid(), net, os.getcwd(), ref, parent, repo,"
                 " pids, os.getpid(), sorted(os.listdir('/tmp')), os.listdir('/dev/shm')]\n")
        assert worker.request("exec", TEST_LIMITS.cell_seconds, source=probe, label="probe")["ok"]
        reply = worker.request("call", TEST_LIMITS.call_seconds, name="probe", args=[], kwargs={"__dict__": {}})
        mem, core, nproc, uid, net, cwd, ref, parent, repo, pids, pid, tmp, shm = reply["value"]
        assert mem == TEST_LIMITS.memory_bytes and core == 0 and nproc == TEST_LIMITS.processes
        if Sandbox().active:
            assert uid != 0 and net == "blocked" and ref == "no" and parent == "no"
            assert repo == []  # nothing of the repository: no .git, tests/, solutions/
            assert pids == [pid] == [2]  # its own PID namespace; the init (PID 1, root) is hidden
            assert tmp == [worker.tmp.name] and shm == []  # private /tmp (holding only the work folder), /dev/shm
            assert worker.applied["network_isolated"] and worker.applied["files_hidden"]
            assert worker.applied["allowlist_root"] and worker.applied["pid_namespace"]
        assert cwd == str(worker.tmp / "work")
    finally:
        worker.close()
    assert not worker.tmp.exists()


def test_numpy_scalars_strings_and_bools_are_plain_data():
    """Honest answers built with numpy (e.g. a dict keyed by ``np.unique`` values) cross the channel."""
    from mlops_course.grading.worker import encode_value

    labels = np.unique(np.array(["b", "a", "b"]))
    answer = {label: np.int64(i) for i, label in enumerate(labels)}
    answer["flag"] = np.bool_(True)
    answer["name"] = labels[0]
    expected = {"a": 0, "b": 1, "flag": True, "name": "a"}
    from mlops_course.grading.checks import decode_value

    decoded = decode_value(encode_value(answer))
    assert decoded == expected and type(decoded["a"]) is int and type(decoded["flag"]) is bool
    assert type(decoded["name"]) is str
    assert LocalRemote({"f": lambda: answer}).call("f") == expected  # the self-check's remote
    worker = WorkerProcess(TEST_LIMITS, Sandbox(), [], _pool() if Sandbox().active else None)
    try:
        source = ("import numpy as np\n"
                  "def f():\n"
                  "    labels = np.unique(np.array(['b', 'a', 'b']))\n"
                  "    out = {label: np.int64(i) for i, label in enumerate(labels)}\n"
                  "    out.update(flag=np.bool_(True), name=labels[0], x=np.float32(0.5))\n"
                  "    return out\n")
        assert worker.request("exec", TEST_LIMITS.cell_seconds, source=source, label="numpy")["ok"]
        reply = worker.request("call", TEST_LIMITS.call_seconds, name="f", args=[], kwargs={"__dict__": {}})
        assert reply["ok"] and decode_value(reply["value"]) == {**expected, "x": 0.5}
    finally:
        worker.close()


def test_manual_questions_are_listed_and_not_autograded(tmp_path, monkeypatch):
    from mlops_course.grading import harness
    from mlops_course.grading.checks import ManualQuestion

    question = ManualQuestion("dp-laplace-check", 5.0, "07_differential_privacy", "why Laplace?")
    monkeypatch.setattr(harness, "builtin_manual", lambda unit: (question,))
    grader = Grader("07", limits=TEST_LIMITS)
    nb = load("solution")
    cell_of(nb, "dp-laplace-check")["source"] = "Because the L1 sensitivity is bounded."
    cell_of(nb, "dp-laplace-check")["metadata"]["nbgrader"]["points"] = 1000  # metadata is not trusted
    report = grader.grade(write(tmp_path, nb))
    assert (report.score, report.max_score) == (TOTAL, TOTAL)  # manual points are not in the autograded score
    assert report.manual == [{"grade_id": "dp-laplace-check", "points": 5.0, "title": "why Laplace?",
                              "answer": "Because the L1 sensitivity is bounded."}]
    data = results_json(report)
    entry = [t for t in data["tests"] if t.get("extra_data", {}).get("status") == "needs_manual_grading"]
    assert [(t["name"], t["score"], t["max_score"]) for t in entry] == [
        ("dp-laplace-check: needs manual grading", 0.0, 5.0)]
    assert data["manual"] == report.manual and data["score"] == data["max_score"] == TOTAL
    # a notebook without the cell: listed with answer None
    def drop(nb):
        nb["cells"].remove(cell_of(nb, "dp-laplace-check"))

    missing = grader.grade(write(tmp_path, edit("solution", mutate=drop), "missing.ipynb"))
    assert missing.manual[0]["answer"] is None and "missing" in missing.tests[-1].output


def _pool():
    from mlops_course.grading.harness import UidPool

    return UidPool()


def test_reply_values_are_plain_data_only():
    from mlops_course.grading.checks import BadResult, decode_value

    assert decode_value({"__ndarray__": [1.0, 2.0], "shape": [2], "dtype": "float"}).tolist() == [1.0, 2.0]
    assert decode_value({"__tuple__": ["a", {"__float__": "nan"}]})[0] == "a"
    for bad in ({"__ndarray__": [1.0], "shape": [3], "dtype": "float"}, {"__ndarray__": ["x"], "shape": [1],
                "dtype": "float"}, {"__ndarray__": [1], "shape": [1], "dtype": "object"}, {"__class__": "X"},
                {"__tuple__": 3}):
        with pytest.raises(BadResult):
            decode_value(bad)


# ----------------------------------------------------------------------------- self-check
def test_self_check_prints_visible_results_and_never_grades(capsys):
    namespace = {"np": np, "math": math}
    exec(source(load("solution"), "dp-laplace"), namespace)
    assert check("dp-laplace", namespace["laplace_mechanism"]) is None
    out = capsys.readouterr().out
    assert out.count("✔") == 4 and "✘" not in out and "hidden" not in out.split("\n", 1)[1]
    check("dp-halfwidth", lambda sensitivity, epsilon, confidence=0.95: sensitivity / epsilon * 3.0)
    out = capsys.readouterr().out
    assert "✘ 95% half-width" in out and "hint:" in out


def test_self_check_raises_not_implemented_for_an_unanswered_task(capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check("dp-mean", stub)
    with pytest.raises(ValueError, match="grade_id must be one of"):
        check("dp-nope", stub)


def test_local_remote_rejects_rigged_objects():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    remote = LocalRemote({"f": lambda: AlwaysEqual()})
    from mlops_course.grading.checks import BadResult

    with pytest.raises(BadResult):
        remote.call("f")


# ----------------------------------------------------------------------------- instructor checks
def test_instructor_checks_folder_adds_hidden_properties(tmp_path):
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "extra.py").write_text(
        "from mlops_course.grading.checks import Check, Property, as_float\n"
        "def big_epsilon(remote):\n"
        "    h = as_float(remote.call('laplace_halfwidth', 1.0, 100.0))\n"
        "    return abs(h - 0.0299573227355399) < 1e-9, 'h for epsilon = 100'\n"
        "CHECKS = [Check('dp-halfwidth', 'laplace_halfwidth', (Property('large epsilon', 1.0, big_epsilon,"
        " visible=False),), '07_differential_privacy')]\n", encoding="utf-8")
    checks = {c.grade_id: c for c in load_checks("07_differential_privacy", [folder])}
    assert checks["dp-halfwidth"].points == POINTS["dp-halfwidth"] + 1.0
    grader = Grader("07", checks_dirs=[folder], limits=TEST_LIMITS)
    report = grader.grade(SOLUTION)
    assert report.score == report.max_score == TOTAL + 1.0
    extra = [t for t in report.tests if t.name.endswith("large epsilon")]
    assert extra[0].visibility == "after_published"
    assert str(folder.resolve()) in grader._hide  # the worker cannot read the private checks


def test_replacing_a_builtin_check(tmp_path):
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "replace.py").write_text(
        "from mlops_course.grading.checks import Check, Property\n"
        "CHECKS = [Check('dp-rr', 'rr_estimate', (Property('always', 5.0, lambda r: (True, 'ok')),),"
        " '07_differential_privacy', replace=True), Check('x', 'y', (), 'other_unit')]\n", encoding="utf-8")
    checks = {c.grade_id: c for c in load_checks("07_differential_privacy", [folder])}
    assert checks["dp-rr"].points == 5.0 and "x" not in checks
    assert isinstance(checks["dp-rr"], Check) and isinstance(checks["dp-rr"].properties[0], Property)


# ----------------------------------------------------------------------------- reports, CLI, batch
def test_results_json_follows_the_gradescope_schema(tmp_path):
    out = tmp_path / "out" / "results.json"
    assert cli_main(["grade", str(SOLUTION), "-o", str(out), "-q", "--cell-timeout", "10",
                     "--call-timeout", "30"]) == 0
    data = json.loads(out.read_text())
    assert data["score"] == data["max_score"] == TOTAL
    assert isinstance(data["execution_time"], float) and isinstance(data["output"], str)
    assert len(data["tests"]) == sum(len(c.properties) for c in dp_checks.CHECKS) + len(MANUAL)
    auto = [t for t in data["tests"] if "extra_data" not in t]
    for test in auto:
        assert set(test) == {"name", "score", "max_score", "output", "visibility"}
        assert test["visibility"] in ("visible", "after_published")
    assert sum(t["max_score"] for t in auto) == TOTAL
    manual = [t for t in data["tests"] if "extra_data" in t]
    assert {t["extra_data"]["grade_id"]: t["max_score"] for t in manual} == MANUAL
    assert all(t["score"] == 0 and t["extra_data"]["status"] == "needs_manual_grading" for t in manual)


def test_batch_with_two_jobs_writes_csv_and_one_result_per_submission(tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    write(subs, load("solution"), "alice.ipynb")
    write(subs, load("exercise"), "bob.ipynb")
    write(subs, mixed(("dp-rr",)), "carol.ipynb")
    write(subs, b"garbage", "dave.ipynb")
    out = tmp_path / "grades"
    assert cli_main(["grade", str(subs), "--unit", "07", "--jobs", "2", "-o", str(out), "--cell-timeout", "10"]) == 0
    rows = {r["submission"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert {k: float(v["score"]) for k, v in rows.items()} == {"alice.ipynb": TOTAL, "bob.ipynb": 0.0,
                                                                "carol.ipynb": POINTS["dp-rr"], "dave.ipynb": 0.0}
    assert rows["dave.ipynb"]["status"] == "rejected" and float(rows["carol.ipynb"]["dp-rr"]) == POINTS["dp-rr"]
    assert {r["unit"] for r in rows.values()} == {"07_differential_privacy"}
    assert sorted(p.name for p in out.glob("*.results.json")) == [f"{n}.results.json" for n in
                                                                  ("alice", "bob", "carol", "dave")]
    assert "grading" in capsys.readouterr().err  # the progress bar


def test_batch_without_unit_takes_each_notebooks_unit_and_says_so(tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    write(subs, load("solution"), "alice.ipynb")
    out = tmp_path / "grades"
    assert cli_main(["grade", str(subs), "-o", str(out), "-q"]) == 0
    assert "no --unit given" in capsys.readouterr().err
    row = next(csv.DictReader((out / "grades.csv").open()))
    assert row["unit"] == "07_differential_privacy" and float(row["score"]) == TOTAL
    data = json.loads((out / "alice.results.json").read_text())
    assert "graded as unit 07_differential_privacy, taken from the notebook's metadata" in data["output"]
    assert data["extra_data"]["unit"] == "07_differential_privacy"


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_cli_usage_errors_are_one_line(tmp_path, capsys):
    assert cli_main(["grade", str(tmp_path / "missing.ipynb")]) == 2
    assert "does not exist" in _one_line_error(capsys)
    assert cli_main(["grade", str(SOLUTION), "--checks", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in _one_line_error(capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli_main(["grade", str(empty)]) == 2
    assert "holds no .ipynb notebook" in _one_line_error(capsys)
    (empty / "notes.txt").write_text("not a notebook")
    assert cli_main(["grade", str(empty), "--unit", "07"]) == 2
    assert "holds no .ipynb notebook" in _one_line_error(capsys)
    assert cli_main(["grade", str(SOLUTION), "--unit", "99", "-q", "-o", str(tmp_path / "r.json")]) == 3
    assert "unknown unit '99'" in _one_line_error(capsys)
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["grade", str(SOLUTION), "--jobs", "two"])
    assert exit_info.value.code == 2 and "invalid int value" in _one_line_error(capsys)


def test_grading_refuses_without_root_unless_unsafe_same_user(tmp_path, capsys, monkeypatch):
    import os

    from mlops_course.grading.harness import NOT_ROOT, UNSAFE_LIMITS, GraderError

    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # a faked unprivileged grader
    out = tmp_path / "r.json"
    assert cli_main(["grade", str(SOLUTION), "-o", str(out), "-q"]) == 2
    assert "--unsafe-same-user" in _one_line_error(capsys) and not out.exists()
    with pytest.raises(GraderError, match="needs root"):
        Grader("07", limits=TEST_LIMITS)
    assert NOT_ROOT.startswith("grading needs root")
    assert cli_main(["grade", str(SOLUTION), "-o", str(out), "-q", "--unsafe-same-user"]) == 0
    assert "UNSAFE same-user mode" in capsys.readouterr().err
    data = json.loads(out.read_text())
    assert data["score"] == TOTAL and data["extra_data"]["sandbox"] == "unsafe-same-user"
    assert UNSAFE_LIMITS in data["output"]
    for limit in ("reading every file", "writing every file", "harness", "forges results.json", "/proc",
                  "network", "memory limit"):
        assert limit in UNSAFE_LIMITS


def test_results_are_never_written_through_a_symlink(tmp_path, capsys):
    from mlops_course.grading.report import GradeReport, write_file, write_results

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "results.json"
    link.symlink_to(victim)
    with pytest.raises(ValueError, match="is a symlink"):
        write_results(GradeReport("x.ipynb", "07"), link)
    assert victim.read_text() == "precious"
    # a regular target is replaced atomically; no temporary file is left behind
    target = write_file(tmp_path / "sub" / "r.json", "{}")
    assert target.read_text() == "{}" and sorted(p.name for p in target.parent.iterdir()) == ["r.json"]


def test_report_text_with_lone_surrogates_is_written(tmp_path):
    from mlops_course.grading.report import GradeReport, TestResult, format_text, write_csv, write_results

    report = GradeReport("s\ud800.ipynb", "07", [TestResult("t: \udcff", "t", 0.0, 1.0, "raised \ud800")],
                         "bad \ud800", 0.1, "graded")
    data = json.loads(write_results(report, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["tests"][0]["output"] == "raised \ufffd" and data["output"] == "bad \ufffd"
    assert "\ufffd" in format_text(report)
    assert "s\ufffd.ipynb" in write_csv([report], tmp_path / "g.csv").read_text(encoding="utf-8")


def test_results_json_of_a_report_is_json_serialisable(grader):
    json.dumps(results_json(grader.grade(EXERCISE)))


# ----------------------------------------------------------------------------- Gradescope bundle
def test_gradescope_bundle_has_the_files_and_its_run_autograder_grades(tmp_path):
    zip_path = tmp_path / "autograder.zip"
    assert cli_main(["gradescope-bundle", "07", "-o", str(zip_path)]) == 0
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "07_differential_privacy.ipynb",
                "package/mlops_course-0.1.0-py3-none-any.whl"} <= names  # the package ships as a wheel
        assert not any("solutions" in n or "__pycache__" in n for n in names)
        assert "BEGIN SOLUTION" not in zf.read("07_differential_privacy.ipynb").decode()
        assert zf.getinfo("run_autograder").external_attr >> 16 & 0o111
        zf.extractall(tmp_path / "autograder" / "source")
    root = tmp_path / "autograder"
    (root / "submission").mkdir()
    write(root / "submission", mixed(("dp-laplace", "dp-halfwidth")), "my_work.ipynb")
    env = {"AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == POINTS["dp-laplace"] + POINTS["dp-halfwidth"] and data["max_score"] == TOTAL


# ----------------------------------------------------------------------------- sharper dp checks (audit F4, F5)
DATA_DEPENDENT_DP_MEAN = (
    "def dp_mean(x, lower, upper, epsilon, rng):\n"
    "    x = np.clip(np.asarray(x, dtype=float), lower, upper)\n"
    "    sensitivity = (x.max() - x.min()) / len(x)  # WRONG: depends on the data\n"
    "    return float(x.mean() + rng.laplace(0, sensitivity / epsilon))"
)
LAPLACE_10_PERCENT = LAPLACE + "    return value + rng.laplace(0, 1.1 * sensitivity / epsilon, size=np.shape(value))"


def test_data_dependent_sensitivity_loses_the_interior_points(grader, tmp_path):
    report = grader.grade(write(tmp_path, edit("solution", {"dp-mean": DATA_DEPENDENT_DP_MEAN})))
    got = scores(report)
    # the visible and the other hidden data sets reach both bounds, so only the interior case can tell
    assert got["dp-mean"] == POINTS["dp-mean"] - 0.5, [t.output for t in report.tests if t.grade_id == "dp-mean"]
    failed = [t.name for t in report.tests if t.grade_id == "dp-mean" and t.score < t.max_score]
    assert failed == ["dp-mean: noise scale does not depend on the data (data inside the bounds)"]
    solution = scores(grader.grade(write(tmp_path, load("solution"), "solution.ipynb")))
    assert solution["dp-mean"] == POINTS["dp-mean"]


def test_laplace_scale_10_percent_too_large_loses_the_distribution_points(grader, tmp_path):
    report = grader.grade(write(tmp_path, edit("solution", {"dp-laplace": LAPLACE_10_PERCENT})))
    assert scores(report)["dp-laplace"] == POINTS["dp-laplace"] - 1.5
    outputs = " ".join(t.output for t in report.tests if t.grade_id == "dp-laplace")
    assert "mean |noise|" in outputs  # caught by the mean-|noise| test, which KS alone would miss


def test_ks_alone_misses_a_10_percent_scale_error():
    # the reason for the mean-|noise| test: with 10,000 draws (dp_mean's sample size) KS at level 1e-7
    # accepts a scale 10% too large for almost every seed; the combined check rejects every one
    from scipy import stats

    ks_accepts = 0
    for seed in range(10):
        noise = np.random.default_rng(seed).laplace(0.0, 1.1 * 4.0, 10_000)
        ks_accepts += dp_checks._ks_pvalue(noise, 0.0, 4.0) > dp_checks.ALPHA_PER_TEST / 2
        ok, message = dp_checks._statistical(noise, 0.0, 4.0, "noise")
        assert not ok and "mean |noise|" in message
    assert ks_accepts >= 5
    assert stats.kstwo.isf(1e-7, 10_000) > 0.0175  # KS critical distance vs the 10% Laplace distance


def test_mean_abs_bounds_are_the_exact_gamma_band():
    # peer: |Lap(0, b)| ~ Exp(b) (scipy), so P(mean |noise| < low) = Gamma(n, b).cdf(n·low) = α/2
    from scipy import stats

    alpha = dp_checks.ALPHA_PER_TEST / 2
    for n, b in ((20_000, 4.0), (10_000, 0.1)):
        low, high = dp_checks._mean_abs_bounds(n, b, alpha)
        assert math.isclose(stats.erlang.cdf(n * low, n, scale=b), alpha / 2, rel_tol=1e-6)
        assert math.isclose(stats.erlang.sf(n * high, n, scale=b), alpha / 2, rel_tol=1e-6)
        # normal approximation: b·(1 ± z/sqrt(n)), z = Φ⁻¹(1 - α/2) ≈ 5.33
        z = stats.norm.isf(alpha / 2)
        assert math.isclose(low, b * (1 - z / math.sqrt(n)), rel_tol=2e-3)
        assert math.isclose(high, b * (1 + z / math.sqrt(n)), rel_tol=2e-3)
    # documented power: a scale 10% too large passes with probability 3e-16 / 1.2e-5
    low, high = dp_checks._mean_abs_bounds(20_000, 1.0, alpha)
    assert stats.gamma.cdf(20_000 * high, 20_000, scale=1.1) < 1e-15
    low, high = dp_checks._mean_abs_bounds(10_000, 1.0, alpha)
    assert stats.gamma.cdf(10_000 * high, 10_000, scale=1.1) < 2e-5
