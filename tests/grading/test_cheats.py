"""The cheat suite: submissions built from the real solution/exercise that try to earn unearned points,
break the grader or outlive it. Each one must get no unearned point, and the grader must finish with a report.

Cheats built from the *exercise* (nothing solved) must score 0. Cheats built from the *solution* sabotage
some tasks: those tasks score 0 and every other task keeps its full points.
"""
from __future__ import annotations

import csv
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
from tests._grading import load_notebook
from tests.grading.conftest import ANSWER_IDS, POINTS, TEST_LIMITS, edit, source, write

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
    assert cli_main(["grade", str(path), "--unit", "07", "-o", str(out), "-q", "--cell-timeout", "10",
                     "--call-timeout", "30", "--memory-mb", "2048"]) == 0
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
    grader = Grader("07", limits=TEST_LIMITS)  # 10 s per cell / 30 s per call: honest calls take < 0.5 s idle
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
        import os
        ready_r, ready_w = os.pipe()  # close-on-exec: every copy of ready_w closes at exec (or exit)
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
        os.close(ready_w)
        while os.read(ready_r, 64):  # EOF once every child has exec'd sleep (or died): all are running
            pass
    """)
    nb = edit("solution", {"dp-ledger": lambda s: spawn + "\n" + s})
    report = grader.grade(write(tmp_path, nb))
    assert report.score == TOTAL  # no point lost, none gained
    assert _survivors() == []


def test_memory_limit_stops_a_20_gb_allocation_before_it_happens():
    """Guard of the 20 GB cheats: the worker's address space is capped well below the machine's memory."""
    worker = WorkerProcess(TEST_LIMITS, Sandbox(privileged=False, unsafe_same_user=True), [], None)
    try:
        reply = worker.request("exec", TEST_LIMITS.cell_seconds, label="alloc",
                                source="import numpy as np\nx = np.ones(20 * 2**30 // 8)")
        assert reply["ok"] is False and reply["error"]["type"] == "MemoryError"
        assert worker.request("defined", TEST_LIMITS.call_seconds, name="x")["value"] is False  # and the worker is still alive
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
        assert worker.request("exec", TEST_LIMITS.cell_seconds, source=spawn, label="spawn")["ok"]
        assert worker.request("call", TEST_LIMITS.call_seconds, name="count", args=[], kwargs={"__dict__": {}})["value"] == 100
        deadline = time.monotonic() + 30  # readiness, not a fixed wait: leaves as soon as all 100 are there
        while len(_survivors()) < 100 and time.monotonic() < deadline:  # all 100 sleep, half of them orphans
            time.sleep(0.05)
        assert len(_survivors()) == 100
    finally:
        worker.close()
    assert _survivors() == []


# --- issue 12: the allowlist sandbox, robustness and batch safety ----------------------------------------------
REPO = PACKAGE_DIR.parent
SOLUTION_PATH = "solutions/07_differential_privacy.ipynb"

# Rebuild every answer from the repository's history (`git show`), a solutions/ or tests/ file, any copy.
GIT_READ = code(f"""
    import json, os, subprocess, glob
    def _answers(nb):
        for cell in nb.get("cells", []):
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            if (cell.get("metadata", {{}}).get("nbgrader", {{}}).get("solution") and "BEGIN SOLUTION" in src):
                try:
                    exec(src, globals())
                except Exception:
                    pass
    for attempt in (
        lambda: subprocess.run(["git", "-C", {str(REPO)!r}, "show", "HEAD:{SOLUTION_PATH}"], capture_output=True,
                               text=True, timeout=20).stdout,
        lambda: open({str(REPO / SOLUTION_PATH)!r}).read(),
        lambda: "".join(open(p).read() for p in glob.glob({str(REPO / "tests" / "**" / "*.ipynb")!r},
                                                             recursive=True)[:1]),
    ):
        try:
            _answers(json.loads(attempt()))
        except Exception:
            pass
""")

# Find other submissions through /proc: every notebook named on a command line, or in a process's cwd.
PROC_PEER = code("""
    import glob, json, os
    seen = []
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            args = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\\0")
        except OSError:
            args = []
        try:
            args.append(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            pass
        for arg in args:
            if arg.endswith(".ipynb"):
                seen.append(arg)
            elif arg and arg != "/" and not arg.startswith("/proc") and os.path.isdir(arg):
                seen += glob.glob(os.path.join(arg, "*.ipynb")) + glob.glob(os.path.join(arg, "*", "*.ipynb"))
    for path in seen:
        try:
            nb = json.load(open(path))
        except Exception:
            continue
        for cell in nb.get("cells", []):
            src = "".join(cell["source"]) if isinstance(cell.get("source"), list) else cell.get("source", "")
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and "NotImplementedError()" not in src:
                try:
                    exec(src, globals())
                except Exception:
                    pass
""")

SURROGATE = code("""
    def laplace_mechanism(value, sensitivity, epsilon, rng): raise RuntimeError("\\ud800 lone surrogate \\udfff")
    def gaussian_sigma(sensitivity, epsilon, delta): return "\\ud800"
    class BudgetLedger:
        def __init__(self, total_epsilon): raise RuntimeError("\\udcff" * 1000)
    raise KeyError("\\ud800 at the top level")
""")

FORGED_REPLIES = code("""
    import os, struct
    deep = b"[" * 400_000 + b"]" * 400_000
    big = b'{"id": "x", "ok": true, "value": ' + b"9" * 5000 + b"}"
    for payload in (deep, big):
        for fd in range(3, 64):
            try:
                os.write(fd, struct.pack(">I", len(payload)) + payload)
            except OSError:
                pass
""") + "\n" + fakes("None")

HUGE_VALUES = code("""
    def gaussian_sigma(sensitivity, epsilon, delta): return 10 ** 5000
    def laplace_halfwidth(sensitivity, epsilon, confidence=0.95):
        deep = []
        for _ in range(400_000):
            deep = [deep]
        return deep
    def rr_estimate(responses, epsilon): return -(10 ** 399)
""")

ROBUSTNESS_CHEATS = {
    "git show / solutions / tests read": GIT_READ,
    "lone surrogates in exceptions and results": SURROGATE,
    "forged 400k-deep JSON and 5000-digit integer replies": FORGED_REPLIES,
    "5000-digit integer and 400k-deep list results": HUGE_VALUES,
}


def test_git_read_would_work_without_the_sandbox():
    """Control: outside the sandbox the git/solutions read rebuilds working answers."""
    namespace: dict = {"__name__": "control"}
    exec(GIT_READ, namespace)
    assert callable(namespace.get("laplace_mechanism")) and callable(namespace.get("gaussian_sigma"))


@pytest.mark.skipif(not ROOT, reason="the allowlist sandbox needs root (as on Gradescope)")
@pytest.mark.parametrize("name", sorted(ROBUSTNESS_CHEATS))
def test_robustness_cheats_score_zero_with_a_report(tmp_path, name):
    nb = edit("exercise", {"dp-laplace": ROBUSTNESS_CHEATS[name]})
    path = write(tmp_path, nb)
    out = tmp_path / "out" / "results.json"
    assert cli_main(["grade", str(path), "--unit", "07", "-o", str(out), "-q", "--cell-timeout", "10",
                     "--call-timeout", "30"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["score"] == 0 and data["max_score"] == TOTAL, [t["output"] for t in data["tests"] if t["score"]]
    assert all(t["output"] for t in data["tests"])  # every test says why


@pytest.mark.skipif(not ROOT, reason="the allowlist sandbox needs root (as on Gradescope)")
def test_batch_with_surrogates_and_nested_notebook_writes_every_file(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    write(subs, edit("solution"), "a_honest.ipynb")
    write(subs, edit("exercise", {"dp-laplace": SURROGATE}), "b_surrogate.ipynb")
    write(subs, b"[" * 200_000 + b"]" * 200_000, "c_nested.ipynb")
    write(subs, b'{"cells": [], "nbformat": ' + b"4" * 5000 + b"}", "d_bigint.ipynb")
    out = tmp_path / "grades"
    assert cli_main(["grade", str(subs), "--unit", "07", "-o", str(out), "-q"]) == 0
    rows = {r["submission"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert {k: float(v["score"]) for k, v in rows.items()} == {"a_honest.ipynb": TOTAL, "b_surrogate.ipynb": 0.0,
                                                                "c_nested.ipynb": 0.0, "d_bigint.ipynb": 0.0}
    assert rows["c_nested.ipynb"]["status"] == "rejected" and "nested too deeply" in rows["c_nested.ipynb"]["message"]
    assert rows["d_bigint.ipynb"]["status"] == "rejected" and "not usable JSON" in rows["d_bigint.ipynb"]["message"]
    assert len(list(out.glob("*.results.json"))) == 4
    surrogate = json.loads((out / "b_surrogate.results.json").read_text(encoding="utf-8"))
    assert "\ufffd" in " ".join(t["output"] for t in surrogate["tests"])


@pytest.mark.skipif(not ROOT, reason="the allowlist sandbox needs root (as on Gradescope)")
def test_proc_peer_read_and_tmp_drop_between_submissions_score_zero(tmp_path):
    """A batch graded by a separate `grade` process (its command line names the folder): the honest
    submission drops its answers in /tmp and /dev/shm, the cheats look there and in every peer's
    /proc cmdline/cwd. They must get nothing, and nothing may be left in the host's /tmp or /dev/shm."""
    import subprocess
    import sys

    drop = code("""
        import glob
        for folder in ("/tmp", "/dev/shm"):
            try:
                with open(folder + "/mlops_h1_answers.py", "w") as f:
                    f.write(SOURCES)
            except OSError:
                pass
    """)
    solution = edit("solution")
    sources = "\n\n".join(source(solution, gid) for gid in ANSWER_IDS)
    dropper = edit("solution", {"dp-ledger": lambda s: s + "\nSOURCES = " + repr(sources) + "\n" + drop})
    reader = code("""
        for folder in ("/tmp", "/dev/shm"):
            try:
                exec(open(folder + "/mlops_h1_answers.py").read(), globals())
            except Exception:
                pass
    """)
    subs = tmp_path / "subs"
    subs.mkdir()
    write(subs, dropper, "a_dropper.ipynb")
    write(subs, edit("exercise", {"dp-laplace": reader}), "b_reader.ipynb")
    write(subs, edit("exercise", {"dp-laplace": PROC_PEER}), "c_peer.ipynb")
    write(subs, edit("exercise", {"dp-laplace": PROC_PEER}), "d_peer.ipynb")
    out = tmp_path / "grades"
    done = subprocess.run([sys.executable, "-m", "mlops_course.grading.cli", "grade", str(subs), "--unit", "07",
                           "-o", str(out), "-q", "--jobs", "2"], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    rows = {r["submission"]: float(r["score"]) for r in csv.DictReader((out / "grades.csv").open())}
    assert rows == {"a_dropper.ipynb": TOTAL, "b_reader.ipynb": 0.0, "c_peer.ipynb": 0.0, "d_peer.ipynb": 0.0}
    assert not os.path.exists("/tmp/mlops_h1_answers.py") and not os.path.exists("/dev/shm/mlops_h1_answers.py")


def test_proc_peer_read_would_work_without_the_sandbox(tmp_path):
    """Control: a process whose command line names a solution lets the /proc cheat rebuild the answers."""
    import subprocess
    import sys

    path = write(tmp_path, edit("solution"), "peer.ipynb")
    peer = subprocess.Popen([sys.executable, "-c", "import sys, time; time.sleep(60)", str(path)])
    try:
        deadline = time.monotonic() + 30
        while str(path) not in " ".join(psutil.Process(peer.pid).cmdline()) and time.monotonic() < deadline:
            time.sleep(0.05)
        namespace: dict = {"__name__": "control"}
        exec(PROC_PEER, namespace)
        assert callable(namespace.get("laplace_mechanism"))
    finally:
        peer.kill()
        peer.wait()


def test_other_unit_in_a_batch_is_rejected_with_a_reason(tmp_path):
    import csv as csv_module

    other = load_notebook(REPO / "solutions" / "08_homomorphic_encryption.ipynb")
    relabelled = load_notebook(REPO / "solutions" / "08_homomorphic_encryption.ipynb")
    relabelled["metadata"]["mlops_course"] = {"stem": "07_differential_privacy", "unit": 7}
    subs = tmp_path / "subs"
    subs.mkdir()
    write(subs, other, "he.ipynb")
    write(subs, relabelled, "he_as_dp.ipynb")
    out = tmp_path / "grades"
    assert cli_main(["grade", str(subs), "--unit", "07", "-o", str(out), "-q"]) == 0
    rows = {r["submission"]: r for r in csv_module.DictReader((out / "grades.csv").open())}
    assert {k: (float(v["score"]), v["status"], v["unit"]) for k, v in rows.items()} == {
        "he.ipynb": (0.0, "rejected", "07_differential_privacy"),
        "he_as_dp.ipynb": (0.0, "rejected", "07_differential_privacy")}
    assert "is the notebook of unit 08_homomorphic_encryption" in rows["he.ipynb"]["message"]
    assert "does not contain any answer cell" in rows["he_as_dp.ipynb"]["message"]


def test_symlink_planted_on_the_output_is_refused(tmp_path, capsys):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "results.json"
    link.symlink_to(victim)
    assert cli_main(["grade", str(write(tmp_path, edit("exercise"))), "--unit", "07", "-o", str(link), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a symlink" in err[0]
    assert victim.read_text() == "precious" and link.is_symlink()
    # in a batch: a link planted where one submission's results would go stops the batch before grading
    subs = tmp_path / "subs"
    subs.mkdir()
    write(subs, edit("exercise"), "alice.ipynb")
    out = tmp_path / "grades"
    out.mkdir()
    (out / "alice.results.json").symlink_to(victim)
    assert cli_main(["grade", str(subs), "--unit", "07", "-o", str(out), "-q"]) == 2
    assert victim.read_text() == "precious" and not (out / "grades.csv").exists()


CHAIN = code("""
    import os
    def hop():  # a fork-and-exit chain: each generation setsid()s, forks the next and exits at once
        pid = os.fork()
        if pid:
            return pid
        os.setsid()
        while True:
            try:
                if os.fork():
                    os._exit(0)
                os.setsid()
            except OSError:
                pass
    started = [hop() for _ in range(4)]
""")


@pytest.mark.skipif(not ROOT, reason="the PID namespace needs root")
@pytest.mark.parametrize("attempt", range(5))
def test_fork_and_exit_setsid_chain_leaves_nothing(attempt):
    from mlops_course.grading.harness import UidPool, namespace_members

    worker = WorkerProcess(TEST_LIMITS, Sandbox(), [], UidPool())
    namespace, uid = worker.namespace, worker.uid
    try:
        assert worker.request("exec", TEST_LIMITS.cell_seconds, source=CHAIN, label="chain")["ok"]
        time.sleep(0.2 * attempt)  # stop the chain at different moments
        assert len(namespace_members(namespace)) >= 3  # init, worker and hopping chains are alive
    finally:
        worker.close()
    assert namespace_members(namespace) == []
    assert [p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"] and uid in p.info["uids"]] == []


CHILDREN_MEMORY = code("""
    import os, time
    import numpy as np
    kids = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            block = np.ones(int(1.5 * 2**30) // 8)  # 1.5 GB, touched
            time.sleep(60)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
""")


@pytest.mark.skipif(not ROOT, reason="the namespace-wide memory watchdog tracks the worker's PID namespace (root)")
def test_children_together_cannot_exceed_the_memory_limit(tmp_path):
    """3 children × 1.5 GB each stay under the 3 GB per-process limit but not under the total."""
    limits = replace(TEST_LIMITS, memory_bytes=3 * 2**30, cell_seconds=60.0)
    grader = Grader("07", limits=limits)
    nb = edit("solution", {"dp-ledger": lambda s: CHILDREN_MEMORY + "\n" + s})
    report = grader.grade(write(tmp_path, nb))
    got = {gid: s for gid, (s, _) in report.by_grade_id().items()}
    assert got == {gid: 0.0 if gid == "dp-ledger" else POINTS[gid] for gid in ANSWER_IDS}
    ledger = " ".join(t.output for t in report.tests if t.grade_id == "dp-ledger")
    assert "GB of memory with its child processes together (limit 3 GB)" in ledger


@pytest.mark.skipif(not ROOT, reason="steering the next PID (/proc/sys/kernel/ns_last_pid) needs root")
def test_closing_a_dead_worker_never_signals_a_process_that_reused_its_pid():
    """Regression for "the worker could not start: was killed by SIGKILL" under load: with pid_max
    32768 PIDs wrap quickly, and the old cleanup signalled a reaped worker's PID (killpg), hitting
    whatever new process group now had it, e.g. a freshly started worker. Kills now go through pidfds."""
    import subprocess
    from pathlib import Path

    from mlops_course.grading.harness import UidPool

    last_pid = Path("/proc/sys/kernel/ns_last_pid")
    for _ in range(20):
        worker = WorkerProcess(TEST_LIMITS, Sandbox(), [], UidPool())
        worker.kill("test")  # dead and reaped: its PID is free
        old = worker.proc.pid
        try:
            last_pid.write_text(str(old - 1))
        except OSError:
            worker.close()
            pytest.skip("cannot steer the next PID here")
        victim = subprocess.Popen(["sleep", "30"], start_new_session=True)
        try:
            if victim.pid != old:  # another process took the PID first: try again
                continue
            worker.close()
            time.sleep(0.2)
            assert victim.poll() is None, "closing the dead worker killed the process that reused its PID"
            return
        finally:
            worker.close()
            victim.kill()
            victim.wait()
    pytest.skip("could not make a process reuse the worker's PID")
