"""Secret hidden checks: a replay table of recorded answers beats the public key, not a course key.

The **replay-table cheat** is the strongest submission a student can build from the public
package without implementing anything: grade the solution locally with the development key,
record every call the checks make (function, arguments, random generator state) and the answer,
and submit answer cells that only look the answers up (restoring the generator's state afterwards,
so even "uses the rng" checks match). The test builds that table from the real solution by
running *every* property (visible and hidden) in-process, then grades it with the real isolated
grader:

* under the development key it scores full marks: hidden checks are *not* secret with it (this is
  why every report says when the public key was used);
* under another key it keeps the visible points (visible checks are public by design, for the
  self-check) and gets **no hidden point**: the hidden properties draw their inputs from
  ``secret_rng``/``secret_seed``, so the table has none of their answers.

The units tested are those whose check module uses ``secret_rng``/``secret_seed`` (unit 07 at
least); the others are listed by ``test_units_with_secret_hidden_checks``.

Also: the key never reaches the worker (environment, key file, parent's environment).
"""
from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import zlib
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

from mlops_course.grading.checks import (
    DEVELOPMENT_KEY,
    GRADING_KEY_ENV,
    GRADING_KEY_FILE_ENV,
    LocalRemote,
    check_modules,
    grading_key,
    load_checks,
    run_property,
)
from mlops_course.grading.cli import main as cli_main
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits
from mlops_course.grading.notebook import exercise_from_notebook, nbgrader_meta
from mlops_course.grading.release import release_notebook
from mlops_course.grading.worker import encode_value

#: Units whose *visible* inputs also depend on the course key, so a replay table may lose visible
#: points too (never gain): 08's harness Paillier key is derived from the key, so the visible
#: ciphertexts differ under a course key (an honest answer is key-independent and keeps them).
KEY_DEPENDENT_VISIBLE = {"08_homomorphic_encryption"}
LIMITS = Limits(cell_seconds=60.0, call_seconds=60.0, total_seconds=900.0, memory_bytes=3 * 2**30)
CHECK_DIR = REPO_ROOT / "mlops_course" / "grading" / "checks"
SECRET_UNITS = sorted(unit for unit, module in check_modules(strict=False).items()
                      if re.search(r"\bsecret_(rng|seed)\(", (CHECK_DIR / (module.rsplit(".", 1)[1] + ".py"))
                                   .read_text(encoding="utf-8")))

# Canonical key of a call: the same code runs in the recorder (here) and in the cheat (the worker).
KEY_CODE = r'''
import hashlib as _hl
import numpy as _np

def _canon(v):
    if isinstance(v, _np.random.Generator):
        return ("rng", repr(v.bit_generator.state))
    if isinstance(v, _np.ndarray):
        return ("arr", str(v.dtype), v.shape, repr(v.tolist()))
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(_canon(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted((repr(a), _canon(b)) for a, b in v.items())))
    if isinstance(v, float):
        return ("float", repr(v))
    if isinstance(v, (bool, int, str, type(None))):
        return (type(v).__name__, repr(v))
    return ("other", type(v).__name__)

def _key(*parts):
    return _hl.sha256(repr(_canon(parts)).encode()).hexdigest()

def _gens(v, out=None):
    out = [] if out is None else out
    if isinstance(v, _np.random.Generator):
        out.append(v)
    elif isinstance(v, (list, tuple)):
        for x in v:
            _gens(x, out)
    elif isinstance(v, dict):
        for x in v.values():
            _gens(x, out)
    return out
'''

REPLAY_CODE = r'''
import base64 as _b64, builtins as _bi, json as _json, math as _math, zlib as _zlib
_TABLES = globals().setdefault("_TABLES", {{}})
_TABLES.update(_json.loads(_zlib.decompress(_b64.b64decode("{table}"))))

def _dec(v):
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if isinstance(v, dict):
        if "__float__" in v:
            return float(v["__float__"])
        if "__tuple__" in v:
            return tuple(_dec(x) for x in v["__tuple__"])
        if "__dict__" in v:
            return {{k: _dec(x) for k, x in v["__dict__"].items()}}
        if "__ndarray__" in v:
            flat = [_dec(x) for x in v["__ndarray__"]]
            dtype = {{"bool": bool, "int": _np.int64, "float": _np.float64}}[v["dtype"]]
            return _np.array(flat, dtype=dtype).reshape(v["shape"])
    return v

def _replay(entry, args, kwargs):
    for gen, state in zip(_gens((args, kwargs)), entry["rngs"]):
        gen.bit_generator.state = state
    if entry["kind"] == "err":
        cls = getattr(_bi, entry["exc"], None)
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            cls = type(entry["exc"], (Exception,), {{}})
        raise cls(entry["msg"])
    return _dec(entry["value"])

_COUNTS = globals().setdefault("_COUNTS", {{}})

class _ReplayObject:
    def __init__(self, okey):
        object.__setattr__(self, "_okey", okey)
        object.__setattr__(self, "_seq", 0)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        entry = _TABLES.get(_key(self._okey, self._seq, name))
        if entry is None:
            raise AttributeError(name)
        if entry["kind"] == "attr":
            object.__setattr__(self, "_seq", self._seq + 1)
            return _dec(entry["value"])
        seq = self._seq

        def method(*args, **kwargs):
            object.__setattr__(self, "_seq", seq + 1)
            return _replay(_TABLES[_key(self._okey, seq, name, args, kwargs)], args, kwargs)
        return method
'''

FUNCTION_CODE = r'''
def {name}(*args, **kwargs):
    return _replay(_TABLES[_key("call", "{name}", args, kwargs)], args, kwargs)
'''

CLASS_CODE = r'''
class {name}(_ReplayObject):
    def __init__(self, *args, **kwargs):
        base = ("new", "{name}", args, kwargs)
        n = _COUNTS.get(_key(*base), 0)
        _COUNTS[_key(*base)] = n + 1
        entry = _TABLES[_key(*base)]
        _replay(entry, args, kwargs)
        _ReplayObject.__init__(self, (base, n))
'''


class Recorder:
    """Wraps the solution's objects and records every call the checks make (key -> answer)."""

    def __init__(self) -> None:
        self.table: dict[str, dict] = {}
        self.counts: dict[str, int] = {}
        self.scope: dict[str, Any] = {}
        exec(KEY_CODE, self.scope)

    def _entry(self, func, args, kwargs, encode: bool = True) -> tuple[dict, Any]:
        gens = self.scope["_gens"]((args, kwargs))
        try:
            result = func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the answer may be an exception
            entry = {"kind": "err", "exc": type(exc).__name__, "msg": str(exc)}
            result = None
        else:
            entry = {"kind": "ok", "value": encode_value(result) if encode else None}
        entry["rngs"] = [g.bit_generator.state for g in gens]
        return entry, result

    def function(self, name: str, func):
        key = self.scope["_key"]

        def wrapped(*args, **kwargs):
            k = key("call", name, args, kwargs)
            entry, result = self._entry(func, args, kwargs)
            self.table[k] = entry
            if entry["kind"] == "err":
                raise _raise_again(entry)
            return result
        return wrapped

    def klass(self, name: str, cls):
        recorder, key = self, self.scope["_key"]

        class Proxy:
            def __init__(self, *args, **kwargs):
                base = ("new", name, args, kwargs)
                n = recorder.counts.get(key(*base), 0)
                recorder.counts[key(*base)] = n + 1
                entry, real = recorder._entry(cls, args, kwargs, encode=False)
                recorder.table[key(*base)] = entry
                if entry["kind"] == "err":
                    raise _raise_again(entry)
                object.__setattr__(self, "_real", real)
                object.__setattr__(self, "_okey", (base, n))
                object.__setattr__(self, "_seq", 0)

            def __getattr__(self, attr):
                value = getattr(self._real, attr)
                seq = self._seq
                if not callable(value):
                    recorder.table[key(self._okey, seq, attr)] = {"kind": "attr", "value": encode_value(value),
                                                                  "rngs": []}
                    object.__setattr__(self, "_seq", seq + 1)
                    return value
                recorder.table[key(self._okey, seq, attr)] = {"kind": "method", "rngs": []}

                def method(*args, **kwargs):
                    object.__setattr__(self, "_seq", seq + 1)
                    entry, result = recorder._entry(value, args, kwargs)
                    recorder.table[key(self._okey, seq, attr, args, kwargs)] = entry
                    if entry["kind"] == "err":
                        raise _raise_again(entry)
                    return result
                return method
        return Proxy


def _raise_again(entry: dict) -> Exception:
    import builtins

    cls = getattr(builtins, entry["exc"], None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = type(entry["exc"], (Exception,), {})
    return cls(entry["msg"])


def _solution_namespace(unit: str) -> tuple[dict, nbformat.NotebookNode]:
    """Run the released set-up cells and the solution's answer cells in-process."""
    solution = nbformat.read(str(REPO_ROOT / "solutions" / f"{unit}.ipynb"), as_version=4)
    released = release_notebook(solution)
    exercise = exercise_from_notebook(released, unit)
    answers = {nbgrader_meta(c).get("grade_id"): c.source for c in solution.cells if c.cell_type == "code"}
    namespace: dict[str, Any] = {"__name__": "__main__"}
    sources = list(exercise.setup_sources) + [answers[g] for g in exercise.answer_ids if g in answers]
    for src in sources:
        clean = "\n".join(line for line in src.split("\n") if not line.lstrip().startswith(("%", "!")))
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(clean, f"<{unit}>", "exec"), namespace)
    return namespace, released


def _replay_submission(unit: str, tmp_path: Path) -> tuple[Path, dict[str, float], dict[str, float]]:
    """Record the solution's answers to every property (dev key); write the lookup-table notebook.

    Returns the notebook's path and the visible / hidden points per grade_id.
    """
    assert grading_key() == DEVELOPMENT_KEY
    namespace, released = _solution_namespace(unit)
    checks = load_checks(unit)
    recorder = Recorder()
    visible: dict[str, float] = {}
    hidden: dict[str, float] = {}
    cells: dict[str, str] = {}
    for check in checks:
        obj = namespace[check.name]
        wrapped = recorder.klass(check.name, obj) if check.kind == "class" else recorder.function(check.name, obj)
        remote = LocalRemote({check.name: wrapped})
        for prop in check.properties:
            passed, message, _ = run_property(prop, remote, check.name)
            assert passed, f"the solution fails {check.grade_id}: {prop.name} in-process: {message}"
            target = visible if prop.visible else hidden
            target[check.grade_id] = target.get(check.grade_id, 0.0) + prop.points
        template = CLASS_CODE if check.kind == "class" else FUNCTION_CODE
        cells[check.grade_id] = cells.get(check.grade_id, "") + template.format(name=check.name)
    blob = base64.b64encode(zlib.compress(json.dumps(recorder.table).encode())).decode()
    header = KEY_CODE + REPLAY_CODE.format(table=blob)
    nb = json.loads(nbformat.writes(released))
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in cells:
            cell["source"] = header + cells[gid]
    path = tmp_path / f"{unit}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert "BEGIN SOLUTION" not in path.read_text(encoding="utf-8")
    return path, visible, hidden


def test_units_with_secret_hidden_checks():
    """Which units' hidden checks draw on the course key (the replay test below runs on these)."""
    print(f"\nunits with secret hidden checks: {SECRET_UNITS}")
    assert "07_differential_privacy" in SECRET_UNITS


@pytest.mark.slow
@pytest.mark.parametrize("unit", SECRET_UNITS)
def test_replay_table_gets_full_marks_with_the_public_key_and_no_hidden_point_with_a_course_key(
        unit, tmp_path, monkeypatch):
    monkeypatch.delenv(GRADING_KEY_ENV, raising=False)
    monkeypatch.delenv(GRADING_KEY_FILE_ENV, raising=False)
    submission, visible, hidden = _replay_submission(unit, tmp_path)
    assert sum(hidden.values()) > 0, f"unit {unit} has no hidden properties"
    grader = Grader(unit, limits=LIMITS)

    public = grader.grade(submission).by_grade_id()
    # with the public development key the table answers every property: hidden checks are not secret
    for gid in set(visible) | set(hidden):
        assert public[gid][0] == pytest.approx(visible.get(gid, 0.0) + hidden.get(gid, 0.0)), (gid, public[gid])

    monkeypatch.setenv(GRADING_KEY_ENV, "a course key the students never saw: 5d1f0c")
    report = Grader(unit, limits=LIMITS).grade(submission)
    got = report.by_grade_id()
    hidden_earned = {t.name: t.score for t in report.tests if t.visibility != "visible" and t.score > 0}
    assert hidden_earned == {}, f"hidden points earned by a replay table under a course key: {hidden_earned}"
    for gid, points in visible.items():  # the visible checks are public by design (the self-check)
        if unit in KEY_DEPENDENT_VISIBLE:  # ... except where their inputs are encrypted under a course key
            assert got[gid][0] <= points + 1e-9, (gid, got[gid])
        else:
            assert got[gid][0] == pytest.approx(points), (gid, got[gid])
    assert "public development key" not in report.output


KEY_TEXT = "course-key-7f3a9b2c4d"
SNOOP = r'''
import os

def _sees_the_key():
    found = []
    for name, value in os.environ.items():
        if "GRADING_KEY" in name or "{key}" in value:
            found.append(name)
    for path in ("{path}", "/proc/1/environ", f"/proc/{{os.getppid()}}/environ", "/proc/self/environ"):
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            if b"{key}" in data or b"GRADING_KEY" in data:
                found.append(path)
        except OSError:
            pass
    print(os.environ)
    return found

def gaussian_sigma(sensitivity, epsilon, delta):
    import math
    if _sees_the_key():
        return -1.0  # a wrong answer: the property fails if the key was visible
    if not (0 < epsilon < 1 and 0 < delta < 1 and sensitivity > 0):
        raise ValueError("bad")
    return sensitivity * math.sqrt(2 * math.log(1.25 / delta)) / epsilon
'''


def test_the_key_never_reaches_the_worker(tmp_path, monkeypatch):
    monkeypatch.delenv(GRADING_KEY_ENV, raising=False)
    monkeypatch.delenv(GRADING_KEY_FILE_ENV, raising=False)
    key_file = tmp_path / "course.key"
    key_file.write_text(KEY_TEXT + "\n")
    key_file.chmod(0o644)  # even a world-readable key file stays out of the worker's reach
    code = SNOOP.format(key=KEY_TEXT, path=key_file)
    # positive control: in a process that can see the key, the snooper notices it
    scope: dict[str, Any] = {}
    exec(code, scope)
    monkeypatch.setenv(GRADING_KEY_FILE_ENV, str(key_file))
    with contextlib.redirect_stdout(io.StringIO()):
        assert scope["_sees_the_key"]() and scope["gaussian_sigma"](1.0, 0.5, 1e-5) == -1.0
    monkeypatch.delenv(GRADING_KEY_FILE_ENV)

    solution = json.loads((REPO_ROOT / "solutions" / "07_differential_privacy.ipynb").read_text(encoding="utf-8"))
    for cell in solution["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "dp-gaussian-sigma":
            cell["source"] = code
    submission = tmp_path / "07_differential_privacy.ipynb"
    submission.write_text(json.dumps(solution), encoding="utf-8")
    out = tmp_path / "results.json"
    assert cli_main(["grade", str(submission), "--unit", "07", "--key-file", str(key_file), "-o", str(out),
                     "--total-timeout", "900", "-q"]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    sigma = [t for t in results["tests"] if t["name"].startswith("dp-gaussian-sigma")]
    assert sigma and all(t["score"] == t["max_score"] for t in sigma), [t["output"] for t in sigma]
    assert "public development key" not in results["output"]
    assert KEY_TEXT not in out.read_text(encoding="utf-8")


def test_use_key_file_rejects_missing_and_empty_files(tmp_path, monkeypatch):
    from mlops_course.grading.checks import key_is_secret, secret_seed, use_key_file

    monkeypatch.delenv(GRADING_KEY_ENV, raising=False)
    monkeypatch.delenv(GRADING_KEY_FILE_ENV, raising=False)
    with pytest.raises(ValueError, match="readable"):
        use_key_file(tmp_path / "missing.key")
    (tmp_path / "empty.key").write_text("  \n")
    with pytest.raises(ValueError, match="non-empty"):
        use_key_file(tmp_path / "empty.key")
    public = secret_seed("07/x")
    (tmp_path / "k.key").write_text("k1\n")
    use_key_file(tmp_path / "k.key")
    assert key_is_secret() and secret_seed("07/x") != public
    assert cli_main(["grade", str(tmp_path), "--key-file", str(tmp_path / "missing.key")]) == 2


def test_secret_seed_is_hmac_of_the_key_and_changes_with_it(monkeypatch):
    """HMAC-SHA256 (stdlib) of the tag under the key; another key changes every one of 200 seeds
    (a repeat by chance has probability < 200² · 2^-63)."""
    import hashlib
    import hmac

    from mlops_course.grading.checks import secret_seed

    tags = [f"07/tag-{i}" for i in range(200)]
    monkeypatch.delenv(GRADING_KEY_FILE_ENV, raising=False)
    monkeypatch.setenv(GRADING_KEY_ENV, "key-a")
    a = [secret_seed(t) for t in tags]
    monkeypatch.setenv(GRADING_KEY_ENV, "key-b")
    b = [secret_seed(t) for t in tags]
    assert a[0] == int.from_bytes(hmac.new(b"key-a", tags[0].encode(), hashlib.sha256).digest()[:8], "big") >> 1
    assert not set(a) & set(b) and np.unique(a).size == len(tags)
