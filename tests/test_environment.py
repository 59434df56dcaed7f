"""The one course-environment module (:mod:`mlops_course.course`): variable names, the state folder,
the Flower/Ray settings and the course folder, also for a non-editable install."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mlops_course
from mlops_course import course
from mlops_course.course import CourseRootNotFound, find_project_root, is_project_root, project_root

ROOT = Path(__file__).resolve().parents[1]
UNIT = "07_differential_privacy"


# ----------------------------------------------------------------------------- variables
def test_thread_environment_sets_every_thread_variable():
    assert course.THREAD_VARS == ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                  "NUMEXPR_NUM_THREADS")
    assert course.thread_environment(3) == dict.fromkeys(course.THREAD_VARS, "3")
    with pytest.raises(ValueError, match="threads must be >= 1"):
        course.thread_environment(0)


def test_flower_environment_turns_telemetry_off_and_keeps_state_in_the_course_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(course.HOME_VAR, str(tmp_path / "state"))
    env = course.flower_environment()
    assert env[course.FLWR_HOME_VAR] == str(tmp_path / "state" / "flwr") and (tmp_path / "state" / "flwr").is_dir()
    assert env["FLWR_TELEMETRY_ENABLED"] == "0" and env["RAY_USAGE_STATS_ENABLED"] == "0"
    assert env["FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION"] == "1"
    assert set(course.FORCED_VARS) <= set(course.FLOWER_VARS)
    assert all(course.FLOWER_VARS[k] == "0" for k in course.FORCED_VARS)


def test_course_environment_is_threads_flower_and_home(monkeypatch, tmp_path):
    monkeypatch.setenv(course.HOME_VAR, str(tmp_path))
    env = course.course_environment(2)
    assert env == {**course.thread_environment(2), **course.flower_environment(), course.HOME_VAR: str(tmp_path),
                   "PYTHONHASHSEED": "0"}


def test_flower_modules_use_the_course_environment():
    from mlops_course.privacy.fl import deployment, flower_sim

    assert flower_sim.flower_environment is course.flower_environment
    assert deployment.flower_environment is course.flower_environment


def test_variable_names_are_written_only_in_the_course_module():
    """The environment knowledge lives in mlops_course/course.py; the worker is a standalone script
    (it may import nothing from the package), every other module takes the names from there."""
    names = [*course.THREAD_VARS, *course.FLOWER_VARS, course.FLWR_HOME_VAR, course.HOME_VAR]
    pattern = re.compile("|".join(rf"[\"']{re.escape(n)}[\"']" for n in names))
    found = []
    for path in sorted((ROOT / "mlops_course").rglob("*.py")):
        if path.name in ("course.py", "worker.py") and path.parent.name in ("mlops_course", "grading"):
            continue
        found += [f"{path.relative_to(ROOT)}: {m.group()}" for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert not found, found


# ----------------------------------------------------------------------------- course folder
def _course(folder: Path, name: str = "mlops_course", *, exercises: bool = True, exist_ok: bool = False) -> Path:
    (folder / "notebooks").mkdir(parents=True, exist_ok=exist_ok)
    if exercises:
        (folder / "exercises").mkdir()
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n', encoding="utf-8")
    return folder


def test_project_root_found_from_a_subfolder(tmp_path):
    root = _course(tmp_path / "course")
    (root / "notebooks" / "deep").mkdir()
    assert project_root(root / "notebooks" / "deep") == root.resolve()
    assert project_root(str(root)) == root.resolve()
    assert project_root(ROOT / "notebooks") == ROOT


@pytest.mark.parametrize("name, exercises", [("other-project", True), ("mlops_course", False), ("mlops_course", True)])
def test_a_folder_is_a_course_only_with_course_folders_and_its_pyproject(tmp_path, name, exercises):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n', encoding="utf-8")
    assert not is_project_root(folder)  # a pyproject alone is not a course
    _course(tmp_path / "x", name, exercises=exercises, exist_ok=True)
    # lecture notebooks alone (what `mlops-course lab --root` may serve) are a course folder too
    assert is_project_root(folder) == (name == "mlops_course")
    assert is_project_root(ROOT)


def test_project_root_outside_a_course_is_one_clear_error(tmp_path):
    with pytest.raises(CourseRootNotFound, match=r"no course folder .* at or above .*pass --root") as info:
        project_root(tmp_path)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)
    assert find_project_root(tmp_path) is None
    with pytest.raises(TypeError, match="start must be a path"):
        project_root(3)


def test_without_start_an_editable_checkout_is_the_fallback(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    checkout = Path(mlops_course.__file__).resolve().parents[1]
    assert checkout == ROOT and is_project_root(checkout)  # this test suite runs on an editable install
    assert project_root() == ROOT
    with pytest.raises(CourseRootNotFound):  # an explicit --root is never replaced by the fallback
        project_root(tmp_path)


def test_harness_repo_root_is_this_checkout():
    from mlops_course.grading import harness

    assert harness.REPO_ROOT == ROOT
    assert harness.exercise_paths(UNIT) == [ROOT / "exercises" / f"{UNIT}.ipynb", ROOT / "solutions" / f"{UNIT}.ipynb"]
    assert harness.exercise_paths(UNIT, "x.ipynb") == [Path("x.ipynb")]


# ----------------------------------------------------------------------------- non-editable install
PROBE = """
import json, sys
import mlops_course
from mlops_course.course import CourseRootNotFound, project_root
from mlops_course.grading import harness
out = {"file": mlops_course.__file__, "repo_root": None if harness.REPO_ROOT is None else str(harness.REPO_ROOT)}
try:
    out["root"] = str(project_root())
except CourseRootNotFound as exc:
    out["error"] = str(exc)
try:
    exercise = harness.find_exercise(sys.argv[1])
    out["answers"] = len(exercise.answer_ids)
    grader = harness.Grader(sys.argv[1], sandbox=harness.Sandbox(privileged=False, unsafe_same_user=True))
    out["hide"] = list(grader._hide)
except harness.GraderError as exc:
    out["grader_error"] = str(exc)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The package built as a wheel from a copy of the checkout and installed with ``--target``
    (no ``.pth``, no editable finder: the package lives in ``site`` only). The build is isolated
    (as a user's ``pip install .``): ``pyproject.toml`` needs setuptools >= 77, newer than the venv's."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "mlops_course", src / "mlops_course", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                            "-w", str(base / "dist"), str(src)], capture_output=True, text=True, timeout=600,
                           cwd=base, env=env)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (base / "dist").glob("mlops_course-*.whl")
    target = base / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                              str(wheel)], capture_output=True, text=True, timeout=600, cwd=base, env=env)
    assert install.returncode == 0, install.stderr[-2000:]
    assert not is_project_root(target)
    return target


def _probe(site: Path, cwd: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(site), "MLOPS_COURSE_HOME": str(cwd / ".state")}
    done = subprocess.run([sys.executable, "-c", PROBE, UNIT], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["file"] == str(site / "mlops_course" / "__init__.py")  # the installed copy, not the checkout
    return out


def test_non_editable_install_finds_the_checkout_from_inside_it(site):
    out = _probe(site, ROOT / "notebooks")
    assert out["root"] == str(ROOT) and out["repo_root"] == str(ROOT)
    assert out["answers"] >= 3  # the grader read the checkout's exercise
    assert str(ROOT / "solutions") in out["hide"] and str(site / "mlops_course") in out["hide"]


def test_non_editable_install_reads_the_exercise_of_the_course_it_runs_in(site, tmp_path):
    copy = _course(tmp_path / "copy")
    shutil.copy(ROOT / "exercises" / f"{UNIT}.ipynb", copy / "exercises" / f"{UNIT}.ipynb")
    (copy / "exercises" / "sub").mkdir()
    out = _probe(site, copy / "exercises" / "sub")
    assert out["root"] == str(copy.resolve()) and out["repo_root"] == str(copy.resolve())
    assert out["answers"] >= 3
    assert not any(h.startswith(str(ROOT)) for h in out["hide"])  # nothing of the other checkout


def test_non_editable_install_outside_a_course_says_what_to_do(site, tmp_path):
    out = _probe(site, tmp_path)
    assert "root" not in out and out["repo_root"] is None
    assert "no course folder" in out["error"] and "run from the course folder or pass --root" in out["error"]
    assert "run from the course folder or pass --source" in out["grader_error"]
    env = {**os.environ, "PYTHONPATH": str(site), "MLOPS_COURSE_HOME": str(tmp_path / ".state")}
    lab = subprocess.run([sys.executable, "-m", "mlops_course.cli", "lab", "--dry-run"], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path, env=env)
    assert lab.returncode == 2 and len(lab.stderr.strip().splitlines()) == 1, lab.stderr
    assert "mlops-course lab: error: no course folder" in lab.stderr and "--root" in lab.stderr
