"""The Gradescope bundle is the real thing: every unit, one fresh venv made by ``setup.sh``.

For each graded unit (01–09) the test builds ``autograder.zip``, unpacks it where Gradescope would
(``<root>/autograder/source`` under a temporary root given as ``GRADESCOPE_ROOT``), runs the
bundle's own ``setup.sh`` (the first run creates ``<root>/autograder/venv`` from the system
Python and installs the grader wheel with its ``grading`` extra; later units re-run it on the same
venv, as a Gradescope image would) and then ``run_autograder`` twice: on the solution notebook
(full marks) and on the untouched exercise (0). The venv is never the development one: the
grader runs with only what the ``grading`` extra installs. The notebooks are read from ``solutions/``
and ``exercises/`` and the points from the checks installed in the bundle's venv, at test time, never
hard-coded: the solution must score every autograded point, the blank exercise none.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from mlops_course.grading.bundle import build_bundle
from mlops_course.grading.checks import builtin_checks, check_modules
from mlops_course.grading.harness import REPO_ROOT

UNITS = sorted(check_modules(strict=True))
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
TIMINGS: dict[str, float] = {}


def _env(root: Path) -> dict[str, str]:
    """The caller's environment (pip's index and cache settings) without the course's own variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MLOPS_COURSE_", "AUTOGRADER_", "PYTHON")) and k not in ("VIRTUAL_ENV",)}
    env.update(PATH=SYSTEM_PATH, GRADESCOPE_ROOT=str(root))
    return env


@pytest.fixture(scope="module")
def gradescope():
    """A Gradescope-like root shared by the nine units (its ``autograder/venv`` is made once)."""
    if shutil.which("python3", path=SYSTEM_PATH) is None:
        pytest.fail("no system python3 to build the bundle's venv from")
    # Not under /tmp: the worker mounts a private /tmp over the venv's folder otherwise (on
    # Gradescope the venv is /autograder/venv).
    root = Path(tempfile.mkdtemp(prefix="mlops-gradescope-", dir="/var/tmp"))
    (root / "autograder").mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)
    print("\nGradescope bundle timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in TIMINGS.items()))


def _install(root: Path, unit: str, tmp_path: Path, key_file: Path | None = None) -> None:
    zip_path = build_bundle(unit, tmp_path / "autograder.zip", key_file=key_file)
    source = root / "autograder" / "source"
    shutil.rmtree(source, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            zf.extract(info, source)
            os.chmod(source / info.filename, info.external_attr >> 16 & 0o777)
    python = root / "autograder" / "venv" / "bin" / "python"
    if python.is_file():  # a fresh image per unit on Gradescope: install this unit's wheel, not a cached one
        subprocess.run([str(python), "-m", "pip", "uninstall", "-y", "-q", "mlops_course"], env=_env(root),
                       capture_output=True, timeout=300, cwd=root, check=True)
    start = time.monotonic()
    done = subprocess.run(["bash", str(source / "setup.sh")], env=_env(root), capture_output=True, text=True,
                          timeout=1200, cwd=root)
    TIMINGS[f"setup {unit[:2]}"] = time.monotonic() - start
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]


def _grade(root: Path, notebook: Path, unit: str, label: str) -> dict:
    ag = root / "autograder"
    for folder in ("submission", "results"):
        shutil.rmtree(ag / folder, ignore_errors=True)
    (ag / "submission").mkdir()
    shutil.copy(notebook, ag / "submission" / notebook.name)
    start = time.monotonic()
    done = subprocess.run(["bash", str(ag / "source" / "run_autograder")], env=_env(root), capture_output=True,
                          text=True, timeout=1200, cwd=root)
    TIMINGS[f"{label} {unit[:2]}"] = time.monotonic() - start
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads((ag / "results" / "results.json").read_text(encoding="utf-8"))


def _bundle_checks(root: Path, unit: str) -> tuple[float, set[str]]:
    """Points and grade_ids of the unit's checks *as installed in the bundle's venv* (read there, so a
    check edited after this test process imported it cannot make the comparison stale)."""
    python = root / "autograder" / "venv" / "bin" / "python"
    code = ("import json, mlops_course\n"
            "from mlops_course.grading.checks import builtin_checks\n"
            f"checks = builtin_checks({unit!r})\n"
            "print(json.dumps([mlops_course.__file__, sum(c.points for c in checks), [c.grade_id for c in checks]]))")
    done = subprocess.run([str(python), "-c", code], env=_env(root), capture_output=True, text=True, timeout=300,
                          cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    where, points, ids = json.loads(done.stdout.strip().splitlines()[-1])
    # the grader really runs from the bundle's venv, not from the development checkout
    assert where.startswith(str(root / "autograder" / "venv")), where
    return float(points), set(ids)


@pytest.mark.slow
@pytest.mark.parametrize("unit", UNITS)
def test_bundle_grades_solution_full_and_exercise_zero_in_a_fresh_venv(gradescope, unit, tmp_path):
    _install(gradescope, unit, tmp_path)
    auto_points, auto_ids = _bundle_checks(gradescope, unit)
    assert auto_points > 0

    solution = _grade(gradescope, REPO_ROOT / "solutions" / f"{unit}.ipynb", unit, "solution")
    auto = [t for t in solution["tests"] if t["name"].split(":")[0] in auto_ids]
    assert sum(t["max_score"] for t in auto) == pytest.approx(auto_points)
    failed = [t["name"] + " -> " + t["output"][:200] for t in auto if t["score"] != t["max_score"]]
    assert not failed, failed
    assert solution["score"] == pytest.approx(auto_points)
    assert "public development key" in solution["output"]  # no --key-file: the results say so

    blank = _grade(gradescope, REPO_ROOT / "exercises" / f"{unit}.ipynb", unit, "blank")
    assert blank["score"] == 0
    assert sum(t["max_score"] for t in blank["tests"] if t["name"].split(":")[0] in auto_ids) == \
        pytest.approx(auto_points)


@pytest.mark.slow
def test_bundle_with_a_course_key_grades_with_it(gradescope, tmp_path):
    unit = "07_differential_privacy"
    key = tmp_path / "course.key"
    key.write_text("bundle-course-key-91c2e\n")
    _install(gradescope, unit, tmp_path, key_file=key)
    baked = gradescope / "autograder" / "source" / "grading.key"
    assert baked.read_text() == key.read_text() and baked.stat().st_mode & 0o077 == 0
    result = _grade(gradescope, REPO_ROOT / "solutions" / f"{unit}.ipynb", unit, "keyed")
    auto_points, _ = _bundle_checks(gradescope, unit)
    assert result["score"] == pytest.approx(auto_points)
    assert "public development key" not in result["output"]
    assert "bundle-course-key" not in json.dumps(result)


def test_bundle_wheel_declares_exactly_the_grading_extra(tmp_path):
    from mlops_course.grading.requirements import grading_requirements

    zip_path = build_bundle("07", tmp_path / "a.zip")
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        wheels = [n for n in names if n.startswith("package/") and n.endswith(".whl")]
        assert len(wheels) == 1 and not any("solutions" in n or "__pycache__" in n for n in names)
        zf.extract(wheels[0], tmp_path)
        assert "[grading]" in zf.read("setup.sh").decode()
    with zipfile.ZipFile(tmp_path / wheels[0]) as wheel:
        meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        lines = wheel.read(meta).decode().splitlines()
        assert "mlops_course/grading/harness.py" in wheel.namelist()
        assert wheel.testzip() is None
    requires = sorted(line.split(": ", 1)[1] for line in lines if line.startswith("Requires-Dist:"))
    assert requires == sorted(f'{r.text}; extra == "grading"' for r in grading_requirements())


def test_bundle_refuses_an_unreadable_key_file_and_bakes_a_given_one(tmp_path):
    with pytest.raises(ValueError, match="key_file"):
        build_bundle("07", tmp_path / "a.zip", key_file=tmp_path / "missing.key")
    key = tmp_path / "course.key"
    key.write_text("s3cret-course-key\n")
    with zipfile.ZipFile(build_bundle("07", tmp_path / "b.zip", key_file=key)) as zf:
        assert zf.read("grading.key") == b"s3cret-course-key\n"
        assert zf.getinfo("grading.key").external_attr >> 16 & 0o077 == 0  # root only
        assert '--key-file "$SOURCE/grading.key"' in zf.read("run_autograder").decode()


# ----------------------------------------------------------------------------- doctor reads the same list
def test_doctor_reports_each_missing_grading_requirement(monkeypatch):
    import mlops_course.doctor as doctor
    import mlops_course.grading.requirements as requirements
    from mlops_course.grading.requirements import parse_requirement

    real = requirements.grading_requirements()
    assert {r.dist for r in real} >= {"numpy", "nbformat", "psutil", "pandas", "scikit-learn", "cryptography"}
    fake = (*real, parse_requirement("surely-not-installed-pkg>=1.0"))
    monkeypatch.setattr(requirements, "grading_requirements", lambda: fake)
    rows = {r["name"]: r for r in doctor.grading_rows()}
    missing = rows["surely-not-installed-pkg (grading)"]
    assert not missing["ok"] and 'pip install -e ".[grading]"' in missing["fix"]
    assert all(row["ok"] for name, row in rows.items() if name != missing["name"])
    assert "1 problem(s)" in doctor.format_report(list(rows.values()))


def test_doctor_ends_on_its_verdict_without_kernel_warnings():
    done = subprocess.run([sys.executable, "-m", "mlops_course.cli", "doctor"], capture_output=True, text=True,
                          timeout=600, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""  # the kernel's own log (e.g. "running over TCP without encryption") is kept out
    assert done.stdout.rstrip().splitlines()[-1].startswith("All ")
    assert "(grading)" in done.stdout


# ----------------------------------------------------------------------------- strict registry
def test_a_check_module_that_fails_to_import_is_a_grader_error(monkeypatch, tmp_path, capsys):
    from mlops_course.grading.checks import ChecksUnavailable
    from mlops_course.grading.cli import main as cli_main

    module = check_modules(strict=False)["07_differential_privacy"]
    monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setitem(sys.modules, module, None)  # `import` of it now fails, as with a missing dependency
    with pytest.raises(ChecksUnavailable, match=r"unit 07_differential_privacy .*mlops_course\[grading\]"):
        builtin_checks("07_differential_privacy")
    with pytest.raises(ChecksUnavailable):
        check_modules(strict=True)
    assert "07_differential_privacy" in check_modules(strict=False)  # listing does not import
    out = tmp_path / "results.json"
    code = cli_main(["grade", str(REPO_ROOT / "solutions" / "07_differential_privacy.ipynb"), "--unit", "07",
                     "-o", str(out), "-q"])
    assert code == 3, capsys.readouterr()
    err = capsys.readouterr().err
    assert "cannot be imported" in err or (out.is_file() and "cannot be imported" in out.read_text())
    assert "no graded exercise" not in err
