"""Gradescope autograder bundle: a zip that installs this package and grades with the same harness.

Layout of the zip (Gradescope unpacks it into ``/autograder/source``)::

    setup.sh                 installs Python >= 3.11 if needed, a venv, the grading dependencies
                             and this package from ./package (no network access to our sources)
    run_autograder           grades the first .ipynb of /autograder/submission into
                             /autograder/results/results.json
    package/                 this package's source (pyproject.toml + mlops_course/)
    NN_unit.ipynb            the released exercise the grader trusts (also for reference)
    checks/                  instructor checks given with --checks (optional, private)

``run_autograder`` honours ``AUTOGRADER_ROOT`` (default ``/autograder``) and
``AUTOGRADER_PYTHON`` (default the venv made by ``setup.sh``) so it can be tried locally.
Use Gradescope's Ubuntu 24.04 base image (Python 3.12); on older images ``setup.sh`` installs
``python3.11`` from the distribution if available and fails with a clear message otherwise.
"""
from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from mlops_course.grading.harness import PACKAGE_DIR, REPO_ROOT, GraderError, find_exercise, resolve_unit
from mlops_course.grading.release import release_notebook, render_notebook

__all__ = ["build_bundle", "SETUP_SH", "RUN_AUTOGRADER"]

GRADING_REQUIREMENTS = ("numpy>=1.26", "scipy>=1.11", "nbformat>=5.9", "psutil>=5.9", "tqdm>=4.66")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope set-up: Python >= 3.11, a venv with the grading dependencies, this package (no extras).
set -euo pipefail
cd "$(dirname "$0")"
PY=python3
if ! $PY -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  apt-get update -y && apt-get install -y python3.11 python3.11-venv || {
    echo "setup.sh: Python >= 3.11 is required; use Gradescope's Ubuntu 24.04 base image" >&2; exit 1; }
  PY=python3.11
fi
$PY -m venv /autograder/venv || { apt-get update -y && apt-get install -y python3-venv && $PY -m venv /autograder/venv; }
/autograder/venv/bin/python -m pip install --quiet {requirements}
/autograder/venv/bin/python -m pip install --quiet --no-deps ./package
/autograder/venv/bin/python -c "import mlops_course.grading.harness"
# The worker drops to an unprivileged uid. Where the container allows no mount namespace (so the
# grader cannot hide files itself), make the reference implementation, the released exercise and any
# private checks unreadable to that uid; the harness runs as root and still reads them.
chmod -R go-rwx /autograder/source "$(/autograder/venv/bin/python -c 'import mlops_course, os; print(os.path.dirname(mlops_course.__file__))')"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope entry point: grade the submitted notebook with the course's isolated harness.
set -u
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PY="${{AUTOGRADER_PYTHON:-/autograder/venv/bin/python}}"
SOURCE="$ROOT/source"
mkdir -p "$ROOT/results"
SUB=$(find "$ROOT/submission" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort | head -n 1)
if [ -z "$SUB" ]; then
  cat > "$ROOT/results/results.json" <<'EOF'
{{"score": 0, "output": "No .ipynb file was submitted: upload your {stem}.ipynb notebook.", "tests": []}}
EOF
  exit 0
fi
exec "$PY" -m mlops_course.grading.cli grade "$SUB" --unit {stem} --source "$SOURCE/{stem}.ipynb" \\
  {checks}--output "$ROOT/results/results.json"
"""


def _copy_package(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(PACKAGE_DIR, target / "mlops_course", ignore=ignore)
    pyproject = REPO_ROOT / "pyproject.toml"
    if not pyproject.is_file():
        raise GraderError(f"cannot build the bundle: {pyproject} not found")
    shutil.copy2(pyproject, target / "pyproject.toml")
    readme = REPO_ROOT / "README.md"
    if readme.is_file():
        shutil.copy2(readme, target / "README.md")
    else:
        (target / "README.md").write_text("# mlops_course\n", encoding="utf-8")


def build_bundle(unit: str, output: str | Path, checks_dirs: Sequence[str | Path] = (),
                 source: str | Path | None = None) -> Path:
    """Write a Gradescope autograder zip for ``unit``; return its path.

    Parameters
    ----------
    unit : str
        Unit number or stem (``7``, ``07_differential_privacy``).
    output : path
        The zip to write.
    checks_dirs : sequence of paths
        Instructor check folders to include (copied into ``checks/``).
    source : path, optional
        Released exercise or solution notebook; default: the repository's.
    """
    stem = resolve_unit(unit)
    find_exercise(stem, source)  # fails early if there is no exercise
    candidates = [Path(source)] if source else [REPO_ROOT / "exercises" / f"{stem}.ipynb",
                                                  REPO_ROOT / "solutions" / f"{stem}.ipynb"]
    import nbformat

    nb = next(nbformat.read(str(p), as_version=4) for p in candidates if p.is_file())
    exercise_text = render_notebook(release_notebook(nb))
    output = Path(output)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _copy_package(root / "package")
        (root / f"{stem}.ipynb").write_text(exercise_text, encoding="utf-8")
        checks_arg = ""
        if checks_dirs:
            for index, folder in enumerate(checks_dirs):
                shutil.copytree(folder, root / "checks" / f"{index:02d}",
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                checks_arg += f'--checks "$SOURCE/checks/{index:02d}" '
        (root / "setup.sh").write_text(SETUP_SH.replace("{requirements}", " ".join(
            f'"{r}"' for r in GRADING_REQUIREMENTS)), encoding="utf-8")
        (root / "run_autograder").write_text(RUN_AUTOGRADER.format(stem=stem, checks=checks_arg), encoding="utf-8")
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(root.rglob("*")):
                if path.is_dir():
                    continue
                info = zipfile.ZipInfo(str(path.relative_to(root)), date_time=(2025, 1, 1, 0, 0, 0))
                executable = path.name in ("setup.sh", "run_autograder")
                info.external_attr = ((stat.S_IFREG | (0o755 if executable else 0o644)) << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
    return output
