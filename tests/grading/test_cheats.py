"""The cheat suite: submissions built from the real solution/exercise that try to earn unearned points,
break the grader or outlive it. Each one must get no unearned point, and the grader must finish with a report.

Cheats built from the *exercise* (nothing solved) must score 0. Cheats built from the *solution* sabotage
some tasks: those tasks score 0 and every other task keeps its full points.
"""
from __future__ import annotations

import hashlib
import json
import os
import textwrap
import time
from dataclasses import replace

import psutil
import pytest

from mlops_course.grading.cli import main as cli_main
from mlops_course.grading.harness import PACKAGE_DIR, Grader, Sandbox, WorkerProcess
from tests.grading.conftest import ANSWER_IDS, POINTS, TEST_LIMITS, edit, write

ROOT = os.geteuid() == 0
TOTAL = sum(POINTS.values())
CHECKS_FILE = PACKAGE_DIR / "grading" / "checks" / "dp.py"
MARKER = "98765"  # children's command lines contain it, so the test can look for survivors


def code(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def fakes(body: str) -> str:
    """Definitions of all six task names, each returning ``body``."""
    return code(f"""
        def laplace_mechanism(value, sensitivity, epsilon, rng): return {body}
        def gaussian_sigma(sensitivity, epsilon, delta): return {body}
        def rr_estimate(responses, epsilon): return {body}
        def dp_mean(x, lower, upper, epsilon, rng): return {body}
        def laplace_halfwidth(sensitivity, epsilon, confidence=0.95): return {body}
        class BudgetLedger:
            def __init__(self, total_epsilon): self.entries = {body}; self.remaining = {body}
            def spend(self, epsilon, label): return {body}
    """)


# --- cheats built from the exercise: every one must score exactly 0 -------------------------------------------
NOOP_ASSERTS = code("""
    import numpy as np, numpy.testing, math
    np.testing.assert_allclose = lambda *a, **k: None
    np.testing.assert_array_equal = lambda *a, **k: None
    np.allclose = lambda *a, **k: True
    np.array_equal = lambda *a, **k: True
    np.isclose = lambda *a, **k: True
    math.isclose = lambda *a, **k: True
""") + "\n" + fakes("None")

ALWAYS_EQUAL = code("""
    import numpy as np
    class Anything:
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def __lt__(self, other): return True
        def __le__(self, other): return True
        def __gt__(self, other): return True
        def __ge__(self, other): return True
        def __float__(self): return float("nan")
        def __len__(self): return 0
        def __getattr__(self, name): return self
        def __call__(self, *a, **k): return self
    class EqFloat(float):
        def __eq__(self, other): return True
        __hash__ = float.__hash__
    class EqArray(np.ndarray):
        def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)
    ANY = Anything()
""") + "\n" + fakes("ANY") + "\n" + code("""
    def gaussian_sigma(sensitivity, epsilon, delta): return EqFloat(0.0)
    def laplace_halfwidth(sensitivity, epsilon, confidence=0.95): return EqFloat(-1.0)
    def laplace_mechanism(value, sensitivity, epsilon, rng): return np.zeros(3).view(EqArray)
""")

INPUT_TRANSFORMER = code("""
    import builtins
    try:  # rewrite every later cell, as an IPython input transformer would
        get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
    except NameError:
        pass
    _compile = builtins.compile
    builtins.compile = lambda src, *a, **k: _compile("pass", *a, **k)
    _exec = builtins.exec
    builtins.exec = lambda *a, **k: None
""") + "\n" + fakes("0.0")

FAKE_RESULTS = code("""
    import json, os
    fake = json.dumps({"score": 100, "max_score": 15, "tests": [], "output": "PASSED"})
    for target in ("results.json", "../results.json", "../../results.json", os.path.expanduser("~/results.json"),
                   "/autograder/results/results.json", "/tmp/results.json"):
        try:
            os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
            with open(target, "w") as f:
                f.write(fake)
        except OSError:
            pass
""") + "\n" + fakes("None")

PRINT_PASSED = code("""
    print("PASSED")
    print("score: 100")
    print('{"score": 15, "max_score": 15}')
    import sys
    sys.__stdout__.write("All tests passed. score: 100\\n")
""") + "\n" + fakes("print('PASSED') or 'score: 100'")

MONKEYPATCH_GRADER = code(f"""
    import sys, types, os
    for name in ("mlops_course.grading", "mlops_course.grading.checks", "mlops_course.grading.checks.dp",
                 "mlops_course.grading.harness"):
        fake = types.ModuleType(name)
        fake.check = lambda *a, **k: True
        fake.run_property = lambda *a, **k: (True, "ok", None)
        sys.modules[name] = fake
    try:
        import scipy.stats
        scipy.stats.kstest = lambda *a, **k: types.SimpleNamespace(statistic=0.0, pvalue=1.0)
    except Exception:
        pass
    try:
        import __main__
        __main__.encode_value = lambda value, depth=0: 1.0
    except Exception:
        pass
    try:  # edit the installed checks so that every property passes
        with open({str(CHECKS_FILE)!r}, "a") as f:
            f.write("\\n# cheat\\n")
    except OSError:
        pass
""") + "\n" + fakes("1.0")

IMPORT_REFERENCE = code(f"""
    import sys, importlib, importlib.util
    ref = None
    def attempt():
        global ref
        try:
            import mlops_course.grading.checks.dp as ref
            return
        except Exception:
            pass
        sys.meta_path[:] = [f for f in sys.meta_path if "Blocker" not in type(f).__name__]
        for key in [k for k in sys.modules if k.startswith("mlops_course")]:
            del sys.modules[key]
        sys.path.insert(0, {str(PACKAGE_DIR.parent)!r})
        try:
            import mlops_course.grading.checks.dp as ref
            return
        except Exception:
            pass
        try:
            spec = importlib.util.spec_from_file_location("ref", {str(CHECKS_FILE)!r})
            ref = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(ref)
        except Exception:
            ref = None
    attempt()
    def gaussian_sigma(sensitivity, epsilon, delta):
        if ref is None: raise NotImplementedError()
        if not (0 < epsilon < 1 and 0 < delta < 1 and sensitivity > 0): raise ValueError("bad")
        return ref._sigma(sensitivity, epsilon, delta)
    def laplace_halfwidth(sensitivity, epsilon, confidence=0.95):
        if ref is None: raise NotImplementedError()
        if not 0 < confidence < 1: raise ValueError("bad")
        return ref._halfwidth(sensitivity, epsilon, confidence)
    def rr_estimate(responses, epsilon):
        if ref is None: raise NotImplementedError()
        return ref._rr_expected(responses, epsilon)
""")

FORGE_CHANNEL = code("""
    import json, os, struct, sys
    fake = json.dumps({"id": "0" * 16, "ok": True, "value": True}).encode()
    for fd in range(3, 64):
        try:
            os.write(fd, struct.pack(">I", len(fake)) + fake)
        except OSError:
            pass
""") + "\n" + fakes("None")

TOP_LEVEL = {
    "while True": "while True:\n    pass",
    "while True, swallowing the timeout": "while True:\n    try:\n        while True: pass\n    except BaseException:\n"
                                          "        pass",
    "sys.exit()": "import sys\nsys.exit(0)",
    "os._exit(0)": "import os\nos._exit(0)",
    "os.kill(os.getpid(), 9)": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    "allocate 20 GB": "import numpy as np\nhuge = np.ones(20 * 2**30 // 8)",
    "allocate 20 GB bytes": "huge = b'x' * (20 * 2**30)",
    "print 100 MB": "print('x' * 100_000_000)\nfor _ in range(100):\n    print('y' * 1_000_000)",
}

EXERCISE_CHEATS = {
    "no-op assert_allclose / np.allclose": NOOP_ASSERTS,
    "always-true __eq__ results": ALWAYS_EQUAL,
    "input transformer rewriting later cells": INPUT_TRANSFORMER,
    "fake results.json in working and parent folder": FAKE_RESULTS,
    "printing PASSED / score: 100": PRINT_PASSED,
    "monkeypatching the grading modules": MONKEYPATCH_GRADER,
    "importing the reference implementation": IMPORT_REFERENCE,
    "forged replies on the private channel": FORGE_CHANNEL,
    **{f"top-level {k}": v + "\n" + fakes("None") for k, v in TOP_LEVEL.items()},
}


@pytest.fixture(scope="module")
def checks_file_guard():
    before = CHECKS_FILE.read_bytes()
    yield
    after = CHECKS_FILE.read_bytes()
    if after != before:  # never leave a modified grader behind, even if the sandbox failed
        CHECKS_FILE.write_bytes(before)
        pytest.fail("a submission modified the installed checks")


@pytest.mark.skipif(not ROOT, reason="the file-level sandbox needs root (as on Gradescope)")
@pytest.mark.parametrize("name", sorted(EXERCISE_CHEATS))
def test_exercise_cheat_scores_zero(grader, tmp_path, checks_file_guard, name):
    nb = edit("exercise", {"dp-laplace": EXERCISE_CHEATS[name]})
    path = write(tmp_path, nb)
    out = tmp_path / "out" / "results.json"
    digest = hashlib.sha256(CHECKS_FILE.read_bytes()).hexdigest()
    assert cli_main(["grade", str(path), "--unit", "07", "-o", str(out), "-q", "--cell-timeout", "2",
                     "--call-timeout", "6", "--memory-mb", "2048"]) == 0
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["max_score"] == TOTAL, [t["output"] for t in data["tests"] if t["score"]]
    assert all(t["score"] == 0 for t in data["tests"])
    assert "PASSED" not in out.read_text() and "score: 100" not in out.read_text()
    assert hashlib.sha256(CHECKS_FILE.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["results.json"]
    assert not (tmp_path / "results.json").exists()


def test_import_reference_would_work_without_the_sandbox():
    """Control: the import cheat does solve tasks in an ordinary process, so blocking it matters."""
    namespace: dict = {}
    exec(IMPORT_REFERENCE, namespace)
    assert namespace["ref"] is not None
    assert namespace["gaussian_sigma"](1.0, 0.5, 1e-5) == pytest.approx(9.6896, rel=1e-4)


def test_naive_import_of_the_reference_is_blocked_even_without_root(tmp_path):
    cheat = code("""
        def gaussian_sigma(sensitivity, epsilon, delta):
            from mlops_course.grading.checks.dp import _sigma
            return _sigma(sensitivity, epsilon, delta)
    """)
    grader = Grader("07", limits=TEST_LIMITS, sandbox=Sandbox(privileged=False, unsafe_same_user=True))
    report = grader.grade(write(tmp_path, edit("exercise", {"dp-gaussian-sigma": cheat})))
    assert report.score == 0
    assert "blocked while grading" in " ".join(t.output for t in report.tests)


# --- cheats built from the solution: the sabotaged tasks score 0, the others keep their points ----------------
def sabotage(statement: str) -> callable:
    """Insert ``statement`` as the first line of the function body of an answer cell."""
    def change(src: str) -> str:
        head, sep, tail = src.partition("### BEGIN SOLUTION\n")
        return head + sep + "    " + statement + "\n" + tail
    return change


SOLUTION_CHEATS = {
    "sys.exit / os._exit / os.kill inside the functions": (
        {"dp-laplace": sabotage("import sys; sys.exit(0)"),
         "dp-gaussian-sigma": sabotage("import os; os._exit(0)"),
         "dp-rr": sabotage("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")},
        ("dp-laplace", "dp-gaussian-sigma", "dp-rr")),
    "while True inside a function and after a definition": (
        {"dp-gaussian-sigma": sabotage("while True: pass"),
         "dp-mean": lambda s: s + "\nwhile True:\n    pass",
         "dp-halfwidth": sabotage("while True:\n        try:\n            while True: pass\n"
                                  "        except BaseException: pass")},
        ("dp-gaussian-sigma", "dp-mean", "dp-halfwidth")),
    "allocating 20 GB inside a function": (
        {"dp-laplace": sabotage("import numpy as np; np.ones(20 * 2**30 // 8)"),
         "dp-rr": sabotage("b'x' * (20 * 2**30)")},
        ("dp-laplace", "dp-rr")),
    "printing 100 MB (cells and calls)": (
        {"dp-rr": lambda s: "print('x' * 100_000_000)\n" + s,
         "dp-mean": sabotage("print('y' * 10_000)")},
        ()),
    "deleting files in its working folder": (
        {"dp-ledger": lambda s: code("""
            import os, shutil, glob
            for p in glob.glob("*") + glob.glob(".*") + glob.glob("../*") + glob.glob("../../*"):
                try:
                    shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
                except OSError:
                    pass
            try:
                os.chdir("/")
            except OSError:
                pass
        """) + "\n" + s},
        ()),
}


@pytest.mark.skipif(not ROOT, reason="the file-level sandbox needs root (as on Gradescope)")
@pytest.mark.parametrize("name", sorted(SOLUTION_CHEATS))
def test_solution_sabotage_costs_only_the_affected_tasks(tmp_path, name):
    changes, broken = SOLUTION_CHEATS[name]
    grader = Grader("07", limits=replace(TEST_LIMITS, call_seconds=3.0))  # honest calls take < 0.5 s
    report = grader.grade(write(tmp_path, edit("solution", changes)))
    assert report.status == "graded"
    got = {gid: s for gid, (s, _) in report.by_grade_id().items()}
    assert got == {gid: 0.0 if gid in broken else POINTS[gid] for gid in ANSWER_IDS}, \
        [t.output for t in report.tests if t.grade_id in broken][:3]


def _survivors() -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        if p.info["status"] != psutil.STATUS_ZOMBIE and any(MARKER in a for a in p.info["cmdline"] or []):
            found.append(p)
    return found


@pytest.mark.skipif(not ROOT, reason="reaping escaped (setsid, double-forked) children needs the unique uid")
def test_children_that_outlive_the_worker_are_all_reaped(grader, tmp_path):
    spawn = code(f"""
        import os, time
        spawned = 0
        for i in range(100):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                try:
                    os.setsid()
                    if i % 2 and os.fork():
                        os._exit(0)  # double fork: the grandchild is orphaned
                    os.execv("/bin/sleep", ["sleep", "{MARKER}{{}}".format(i)])
                finally:
                    os._exit(0)
            spawned += 1
        time.sleep(0.2)
    """)
    nb = edit("solution", {"dp-ledger": lambda s: spawn + "\n" + s})
    report = grader.grade(write(tmp_path, nb))
    assert report.score == TOTAL  # no point lost, none gained
    assert _survivors() == []


def test_memory_limit_stops_a_20_gb_allocation_before_it_happens():
    """Guard of the 20 GB cheats: the worker's address space is capped well below the machine's memory."""
    worker = WorkerProcess(TEST_LIMITS, Sandbox(privileged=False, unsafe_same_user=True), [], None)
    try:
        reply = worker.request("exec", 5, source="import numpy as np\nx = np.ones(20 * 2**30 // 8)", label="alloc")
        assert reply["ok"] is False and reply["error"]["type"] == "MemoryError"
        assert worker.request("defined", 5, name="x")["value"] is False  # and the worker is still alive
    finally:
        worker.close()


@pytest.mark.skipif(not ROOT, reason="reaping escaped (setsid, double-forked) children needs the unique uid")
def test_escaped_children_exist_while_the_worker_runs_and_none_after_it_closes():
    from mlops_course.grading.harness import UidPool

    spawn = code(f"""
        import os
        spawned = 0
        for i in range(100):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                try:
                    os.setsid()
                    if i % 2 and os.fork():
                        os._exit(0)
                    os.execv("/bin/sleep", ["sleep", "{MARKER}{{}}".format(i)])
                finally:
                    os._exit(0)
            spawned += 1
        def count():
            return spawned
    """)
    worker = WorkerProcess(replace(TEST_LIMITS, processes=256), Sandbox(), [], UidPool())
    try:
        assert worker.request("exec", 10, source=spawn, label="spawn")["ok"]
        assert worker.request("call", 5, name="count", args=[], kwargs={"__dict__": {}})["value"] == 100
        deadline = time.monotonic() + 5
        while len(_survivors()) < 100 and time.monotonic() < deadline:  # all 100 sleep, half of them orphans
            time.sleep(0.05)
        assert len(_survivors()) == 100
    finally:
        worker.close()
    assert _survivors() == []
