"""Executing and normalising the course notebooks (``mlops-course refresh``).

Lecture notebooks (``notebooks/``) are committed **executed**, so a reader on GitHub or in a
rendered view sees every figure, and nbval can compare the cells marked ``# NBVAL_CHECK_OUTPUT``.
Solutions are committed **without outputs** (they are the single source of the exercises; the
release strips outputs anyway). ``refresh`` re-executes notebooks in place with the course
environment and removes volatile metadata (execution timings, widget state), so a refresh that
changes nothing numeric changes nothing in git.
"""
from __future__ import annotations

import os
from pathlib import Path

import nbformat

from mlops_course.course import course_environment

__all__ = ["course_root", "normalise", "execute_notebook", "export_slides"]

VOLATILE_CELL_KEYS = ("execution",)
VOLATILE_NB_KEYS = ("widgets",)


def course_root(start: str | os.PathLike | None = None) -> Path:
    """The course folder: the nearest parent of ``start`` (default: cwd, then the package) holding
    ``notebooks/`` and ``pyproject.toml``.

    Raises
    ------
    FileNotFoundError
        If no such folder is found.
    """
    candidates = [Path(start).resolve()] if start is not None else [
        Path.cwd().resolve(), Path(__file__).resolve().parent]
    for base in candidates:
        for folder in (base, *base.parents):
            if (folder / "notebooks").is_dir() and (folder / "pyproject.toml").is_file():
                return folder
    raise FileNotFoundError(
        f"no course folder (with notebooks/ and pyproject.toml) at or above {candidates[0]}; "
        "run from the course folder or pass --root")


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop volatile metadata (timings, widget state) so that diffs show only real changes."""
    for key in VOLATILE_NB_KEYS:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
    return nb


def execute_notebook(path: str | os.PathLike, *, timeout: int = 300, kernel_name: str = "python3") -> Path:
    """Execute the notebook at ``path`` in place with the course environment and normalise it.

    Parameters
    ----------
    path : path-like
        An ``.ipynb`` file.
    timeout : int
        Per-cell time limit in seconds.
    kernel_name : str
        Jupyter kernel to use.
    """
    from nbclient import NotebookClient

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    nb = nbformat.read(path, as_version=4)
    env = course_environment()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nbformat.write(normalise(nb), path)
    return path


def export_slides(path: str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """Export a (stored, executed) notebook as a reveal.js deck ``<stem>.slides.html`` in ``out_dir``.

    The deck follows the cells' ``slideshow`` metadata: each slide-title heading starts a slide.
    Input prompts are hidden so that code and its output read as slide content.
    """
    from nbconvert import SlidesExporter

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exporter = SlidesExporter(exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4),
                                          resources={"metadata": {"name": path.stem}})
    target = out / f"{path.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target
