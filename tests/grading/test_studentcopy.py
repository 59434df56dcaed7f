"""``mlops-course student-copy``: what students receive has no solutions, tests or hidden checks.

One copy is written per module (``write_student_copy`` itself re-imports the rewritten checks and
refuses to finish if a hidden property is left or a visible one was lost); the tests then look for
leaks in every file of the copy and of a wheel built from it, install that wheel into a folder and
run the self-check from there.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from mlops_course.grading.checks import check_modules, load_checks
from mlops_course.grading.cli import main as cli_main
from mlops_course.grading.harness import REPO_ROOT
from mlops_course.grading.notebook import nbgrader_meta
from mlops_course.grading.release import BEGIN_SOLUTION, END_SOLUTION, rubric_of
from mlops_course.grading.studentcopy import MARKER, StudentCopyError, strip_hidden, write_student_copy

UNITS = sorted(check_modules(strict=True))
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> tuple[Path, dict]:
    target = tmp_path_factory.mktemp("student") / "course"
    summary = write_student_copy(target)
    return target, summary


def _texts(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8", errors="replace")
            for p in root.rglob("*") if p.is_file()}


def _hidden_markers(unit: str) -> list[str]:
    """Names of hidden properties and ``def`` lines of the functions only hidden properties use."""
    checks = load_checks(unit)
    props = [p for c in checks for p in c.properties]
    visible_names = {p.name for p in props if p.visible}
    visible_funcs = {getattr(p.func, "__name__", "") for p in props if p.visible}
    markers = [p.name for p in props if not p.visible and p.name not in visible_names]
    markers += [f"def {p.func.__name__}(" for p in props if not p.visible
                and getattr(p.func, "__name__", "<lambda>") not in visible_funcs | {"<lambda>"}]
    return markers


def _solution_lines() -> list[str]:
    """Distinctive lines of every solution region and every rubric cell of solutions/."""
    lines = []
    for path in sorted((REPO_ROOT / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            text = cell.source
            if rubric_of(cell) is not None:
                region = text.splitlines()
            elif nbgrader_meta(cell).get("solution"):
                body = text.split(BEGIN_SOLUTION)[1:] if BEGIN_SOLUTION in text else [text]
                region = [line for part in body for line in part.split(END_SOLUTION)[0].splitlines()]
            else:
                continue
            lines += [line.strip() for line in region if len(line.strip()) >= 30]
    return lines


def test_copy_has_the_course_and_none_of_the_instructor_files(copy):
    root, _ = copy
    top = {p.name for p in root.iterdir()}
    assert {"README.md", "pyproject.toml", "notebooks", "exercises", "mlops_course"} <= top
    assert not top & {"solutions", "tests", "benchmarks", ".git", ".ci", ".venv"}
    assert not list(root.rglob("__pycache__")) and not list(root.rglob("*.egg-info")) and not list(root.rglob("*.key"))
    assert (root / "mlops_course" / "grading" / "checks" / MARKER).is_file()
    exercises = sorted(p.name for p in (root / "exercises").glob("*.ipynb"))
    assert exercises == sorted(p.name for p in (REPO_ROOT / "exercises").glob("*.ipynb"))
    assert len(list((root / "notebooks").glob("*.ipynb"))) == len(list((REPO_ROOT / "notebooks").glob("*.ipynb")))


def test_copy_keeps_every_visible_check_and_drops_every_hidden_one(copy):
    _, summary = copy
    assert sorted(summary) == UNITS
    for unit in UNITS:
        props = [p for c in load_checks(unit) for p in c.properties]
        assert summary[unit] == (sum(p.visible for p in props), sum(not p.visible for p in props)), unit
        assert summary[unit][1] > 0, f"{unit} has no hidden checks to drop"


@pytest.mark.parametrize("unit", UNITS)
def test_no_hidden_check_text_in_the_copy(copy, unit):
    root, _ = copy
    texts = _texts(root / "mlops_course" / "grading" / "checks")  # names may be common words elsewhere
    markers = _hidden_markers(unit)
    assert markers
    leaks = [(m, name) for m in markers for name, text in texts.items() if m in text]
    assert not leaks, leaks[:5]


def test_no_solution_or_rubric_text_in_the_copy(copy):
    root, _ = copy
    texts = _texts(root)
    notebooks = [n for n in texts if n.endswith(".ipynb")]
    assert len(notebooks) >= 19
    assert not [n for n in notebooks if BEGIN_SOLUTION in texts[n] or "BEGIN HIDDEN TESTS" in texts[n]]
    lines = _solution_lines()
    assert len(lines) > 50  # the search has something to find
    student_facing = {n: t for n, t in texts.items() if not n.startswith("mlops_course/")}
    # (the package's reference implementations are shipped on purpose; the notebooks must not hold answers)
    leaks = [(line, n) for line in lines for n, t in student_facing.items() if line in t]
    assert not leaks, leaks[:5]


def test_copy_installs_and_its_self_check_runs_the_visible_checks(copy, tmp_path):
    root, _ = copy
    wheel_dir, site = tmp_path / "wheel", tmp_path / "site"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(root)],
                           capture_output=True, text=True, timeout=600, cwd=tmp_path,
                           env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheel_dir.glob("mlops_course-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "mlops_course/grading/checks/dp.py" in names
        dp_text = zf.read("mlops_course/grading/checks/dp.py").decode()
        assert not [m for m in _hidden_markers("07_differential_privacy") if m in dp_text]
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                              str(wheel)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert install.returncode == 0, install.stderr[-2000:]
    solution = json.loads((REPO_ROOT / "solutions" / "07_differential_privacy.ipynb").read_text(encoding="utf-8"))
    answer = next("".join(c["source"]) for c in solution["cells"]
                  if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "dp-laplace")
    visible = sum(p.visible for c in load_checks("07_differential_privacy") if c.grade_id == "dp-laplace"
                  for p in c.properties)
    script = (
        "import mlops_course, numpy as np, math\n"
        "print('FROM', mlops_course.__file__)\n"
        "from mlops_course.grading import check\n"
        f"exec({answer!r})\n"
        "check('dp-laplace', laplace_mechanism)\n"
        "from mlops_course.grading.checks import builtin_checks\n"
        "print('HIDDEN', sum(not p.visible for c in builtin_checks('07_differential_privacy') for p in c.properties))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**ENV, "PYTHONPATH": str(site)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"FROM {site}" in done.stdout
    assert f"{visible}/{visible} visible checks pass" in done.stdout and "✘" not in done.stdout, done.stdout
    assert "HIDDEN 0" in done.stdout


def test_bundle_refuses_a_student_copy(copy, tmp_path):
    root, _ = copy
    script = ("from mlops_course.grading.bundle import build_bundle\n"
              f"build_bundle('07', {str(tmp_path / 'a.zip')!r})\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=root,
                          env={**ENV, "PYTHONPATH": str(root)})
    assert done.returncode != 0 and "student copy" in done.stderr
    assert not (tmp_path / "a.zip").exists()


def test_strip_hidden_rejects_a_computed_visibility_and_cli_refuses_a_used_folder(tmp_path, capsys):
    with pytest.raises(StudentCopyError, match="literal"):
        strip_hidden("CHECKS = (Property('p', 1, f, visible=SHOW),)")
    text, removed = strip_hidden("H = [1, 2]\ndef h(r):\n    return H\ndef v(r):\n    return 1\n"
                                 "CHECKS = [Property('v', 1, v), Property('h', 1, h, visible=False)]\n")
    assert removed == 1 and "def h" not in text and "H = " not in text and "def v" in text
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    assert cli_main(["student-copy", str(tmp_path / "used")]) == 2
    assert "new or empty folder" in capsys.readouterr().err
    with pytest.raises(ValueError, match="outside the repository"):
        write_student_copy(REPO_ROOT / "build" / "student")
