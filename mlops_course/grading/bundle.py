"""Gradescope autograder bundle: a zip that installs the grader and grades with the same harness.

Layout of the zip (Gradescope unpacks it into ``/autograder/source``)::

    setup.sh                 a venv with Python >= 3.11, then ``pip install "package/<wheel>[grading]"``
    run_autograder           grades the first .ipynb of /autograder/submission into
                             /autograder/results/results.json
    package/<wheel>          this package as a pure-Python wheel built into the zip; its metadata
                             declares only the ``grading`` extra of pyproject.toml, so setup.sh
                             installs exactly the grader's runtime needs (from PyPI, nothing else)
    NN_unit.ipynb            the released exercise the grader trusts
    grading.key              the course's grading key (``--key-file``; readable by root only)
    checks/                  instructor checks given with ``--checks`` (optional, private)

Both scripts take the file-system root from ``GRADESCOPE_ROOT`` (default ``/``: they use
``$GRADESCOPE_ROOT/autograder/{source,submission,results,venv}``) so a test or an instructor can
try the bundle in a temporary folder; ``AUTOGRADER_ROOT`` (the ``autograder`` folder itself) and
``AUTOGRADER_PYTHON`` (default the venv made by ``setup.sh``) override single parts. Use
Gradescope's Ubuntu 24.04 base image (Python 3.12); on older images ``setup.sh`` installs
``python3.11`` from the distribution if available and fails with a clear message otherwise.

Without ``--key-file`` the hidden checks use the public development key (reproducible from the
public package; every results.json says so): fine for a trial, not for a class.
"""
from __future__ import annotations

import base64
import hashlib
import io
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from mlops_course.course import is_project_root
from mlops_course.grading.harness import PACKAGE_DIR, exercise_paths, find_exercise, resolve_unit
from mlops_course.grading.release import release_notebook, render_notebook
from mlops_course.grading.requirements import grading_requirements

__all__ = ["build_bundle", "build_wheel", "SETUP_SH", "RUN_AUTOGRADER", "KEY_NAME"]

KEY_NAME = "grading.key"
_DATE = (2025, 1, 1, 0, 0, 0)

SETUP_SH = """#!/usr/bin/env bash
# Gradescope set-up: Python >= 3.11, a venv, the grader wheel with its `grading` extra (from PyPI).
set -euo pipefail
cd "$(dirname "$0")"
ROOT="${GRADESCOPE_ROOT:-/}"
AG="${AUTOGRADER_ROOT:-${ROOT%/}/autograder}"
PY=python3
if ! $PY -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  apt-get update -y && apt-get install -y python3.11 python3.11-venv || {
    echo "setup.sh: Python >= 3.11 is required; use Gradescope's Ubuntu 24.04 base image" >&2; exit 1; }
  PY=python3.11
fi
$PY -m venv "$AG/venv" || { apt-get update -y && apt-get install -y python3-venv && $PY -m venv "$AG/venv"; }
"$AG/venv/bin/python" -m pip install --quiet --disable-pip-version-check "./package/{wheel}[grading]"
# every unit's checks must import: a missing dependency fails here, not as a silent 0/0 later
"$AG/venv/bin/python" -c "from mlops_course.grading.checks import check_modules; check_modules(strict=True)"
# Defence in depth: the worker already runs chrooted into an allowlisted view without these files (the
# grader refuses to start where it cannot build one) and as an unprivileged uid. In addition, take all
# group/other permissions from this folder (released exercise, grading key, private checks, scripts)
# and from the installed package, so that uid could not read them even if they were visible; the
# harness runs as root and still reads them.
chmod -R go-rwx "$(pwd)" "$("$AG/venv/bin/python" -c 'import mlops_course, os; print(os.path.dirname(mlops_course.__file__))')"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope entry point: grade the submitted notebook with the course's isolated harness.
set -u
ROOT="${{GRADESCOPE_ROOT:-/}}"
AG="${{AUTOGRADER_ROOT:-${{ROOT%/}}/autograder}}"
PY="${{AUTOGRADER_PYTHON:-$AG/venv/bin/python}}"
SOURCE="$AG/source"
cd "$AG"  # `python -m` puts the working folder first on sys.path: never a checkout's mlops_course
mkdir -p "$AG/results"
SUB=$(find "$AG/submission" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort | head -n 1)
if [ -z "$SUB" ]; then
  cat > "$AG/results/results.json" <<'EOF'
{{"score": 0, "output": "No .ipynb file was submitted: upload your {stem}.ipynb notebook.", "tests": []}}
EOF
  exit 0
fi
exec "$PY" -m mlops_course.grading.cli grade "$SUB" --unit {stem} --source "$SOURCE/{stem}.ipynb" \\
  {extra}--output "$AG/results/results.json"
"""


def _package_files() -> list[tuple[str, bytes]]:
    """``(archive name, content)`` of every file of the package (no caches, no build artefacts)."""
    files = []
    for path in sorted(PACKAGE_DIR.rglob("*")):
        rel = path.relative_to(PACKAGE_DIR.parent)
        if not path.is_file() or "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo"):
            continue
        if any(part.endswith(".egg-info") for part in rel.parts):
            continue
        files.append((rel.as_posix(), path.read_bytes()))
    return files


def _project_version() -> str:
    import tomllib

    pyproject = PACKAGE_DIR.parent / "pyproject.toml"  # the checkout of an editable install
    if is_project_root(PACKAGE_DIR.parent):
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
    import importlib.metadata as md

    return md.version("mlops_course")


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"sha256={digest}"


def build_wheel(out_dir: str | Path) -> Path:
    """Write a pure-Python wheel of the package for the grader; return its path.

    The wheel holds the whole package (the grader needs its hidden checks) and, as metadata,
    ``Provides-Extra: grading`` with the ``grading`` list of ``pyproject.toml`` as its only
    requirements: ``pip install "<wheel>[grading]"`` installs exactly the grader's needs, not the
    course's notebook stack. Built without setuptools (a wheel is a zip with a ``RECORD``), so
    building a bundle needs no network.

    Parameters
    ----------
    out_dir : path
        Folder to write ``mlops_course-<version>-py3-none-any.whl`` into.

    Returns
    -------
    pathlib.Path
    """
    version = _project_version()
    requirements = grading_requirements()
    dist_info = f"mlops_course-{version}.dist-info"
    metadata = "\n".join(
        ["Metadata-Version: 2.1", "Name: mlops_course", f"Version: {version}",
         "Summary: mlops_course grader build (harness, worker and checks; requirements: the grading extra)",
         "Requires-Python: >=3.11", "Provides-Extra: grading"]
        + [f'Requires-Dist: {r.text}; extra == "grading"' for r in requirements]) + "\n"
    files = _package_files() + [
        (f"{dist_info}/METADATA", metadata.encode("utf-8")),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: mlops_course.grading.bundle\n"
                               b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{dist_info}/entry_points.txt", b"[console_scripts]\nmlops-course = mlops_course.cli:main\n"),
        (f"{dist_info}/top_level.txt", b"mlops_course\n"),
    ]
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in files)
    record += f"{dist_info}/RECORD,,\n"
    files.append((f"{dist_info}/RECORD", record.encode("utf-8")))
    out = Path(out_dir) / f"mlops_course-{version}-py3-none-any.whl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out


def _read_key(key_file: str | Path) -> bytes:
    path = Path(key_file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"key_file must be a readable file, got {str(path)!r}: {exc.strerror}") from exc
    if not data.strip():
        raise ValueError(f"key_file must hold a non-empty key, got an empty file {str(path)!r}")
    return data


def build_bundle(unit: str, output: str | Path, checks_dirs: Sequence[str | Path] = (),
                 source: str | Path | None = None, key_file: str | Path | None = None) -> Path:
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
    key_file : path, optional
        The course's grading key (a text file); baked into the zip as ``grading.key`` and passed
        to ``grade --key-file``. Without it, hidden checks use the public development key.

    Returns
    -------
    pathlib.Path
        ``output``.

    Raises
    ------
    GraderError
        If the unit has no exercise.
    ValueError
        If ``key_file`` or a checks folder cannot be read, or this package is a student copy.
    """
    if (PACKAGE_DIR / "grading" / "checks" / "STUDENT_COPY").exists():
        raise ValueError("this package is a student copy (its hidden checks were removed): build the bundle from "
                         "the instructor's repository")
    stem = resolve_unit(unit)
    find_exercise(stem, source)  # fails early if there is no exercise
    key = _read_key(key_file) if key_file is not None else None
    for folder in checks_dirs:
        if not Path(folder).is_dir():
            raise ValueError(f"checks folder must be an existing directory, got {str(folder)!r}")
    import nbformat

    nb = next(nbformat.read(str(p), as_version=4) for p in exercise_paths(stem, source) if p.is_file())
    exercise_text = render_notebook(release_notebook(nb))
    output = Path(output)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        wheel = build_wheel(root / "package")
        (root / f"{stem}.ipynb").write_text(exercise_text, encoding="utf-8")
        extra = ""
        if checks_dirs:
            for index, folder in enumerate(checks_dirs):
                shutil.copytree(folder, root / "checks" / f"{index:02d}",
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                extra += f'--checks "$SOURCE/checks/{index:02d}" '
        if key is not None:
            (root / KEY_NAME).write_bytes(key)
            extra += f'--key-file "$SOURCE/{KEY_NAME}" '
        (root / "setup.sh").write_text(SETUP_SH.replace("{wheel}", wheel.name), encoding="utf-8")
        (root / "run_autograder").write_text(RUN_AUTOGRADER.format(stem=stem, extra=extra), encoding="utf-8")
        output.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(root.rglob("*")):
                if path.is_dir():
                    continue
                info = zipfile.ZipInfo(str(path.relative_to(root)), date_time=_DATE)
                mode = 0o755 if path.name in ("setup.sh", "run_autograder") else 0o600 if path.name == KEY_NAME else 0o644
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
        output.write_bytes(buffer.getvalue())
    return output
