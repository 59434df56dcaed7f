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
import re
import shutil
import subprocess
from pathlib import Path

import nbformat

from mlops_course.course import course_environment

__all__ = ["course_root", "normalise", "execute_notebook", "export_slides", "NotebookExecutionError",
           "SLIDES_ASSETS"]

#: reveal.js, MathJax, jQuery and RequireJS vendored from npm (see ``mlops_course/static/slides/README.md``)
SLIDES_ASSETS = Path(__file__).resolve().parent / "static" / "slides"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookExecutionError(RuntimeError):
    """A cell of a notebook raised while ``execute_notebook`` ran it (a one-line message).

    Parameters
    ----------
    path : pathlib.Path
        The notebook.
    cell : int or None
        Index of the failing cell (0-based, as ``nbformat`` counts; ``None`` if not found).
    ename, evalue : str
        The exception's name and message, without ANSI colour codes.
    """

    def __init__(self, path: Path, cell: int | None, ename: str, evalue: str) -> None:
        self.path, self.cell, self.ename, self.evalue = path, cell, ename, evalue
        where = f"cell {cell}" if cell is not None else "a cell"
        first = evalue.strip().splitlines()[0] if evalue.strip() else ""
        super().__init__(f"{path}: {where} raised {ename}: {first}".rstrip(": "))

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

    Returns
    -------
    pathlib.Path
        ``path``, now holding the executed and normalised notebook.

    Raises
    ------
    ValueError
        If ``path`` is not an existing ``.ipynb`` file.
    NotebookExecutionError
        If a cell raises or exceeds ``timeout`` (the file is then left unchanged).
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
        # the kernel's own start-up warnings stay out of the terminal: a failure is reported below
        NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                       resources={"metadata": {"path": str(path.parent)}}).execute(stderr=subprocess.DEVNULL)
    except Exception as exc:
        from nbclient.exceptions import CellExecutionError, CellTimeoutError

        if not isinstance(exc, (CellExecutionError, CellTimeoutError)):
            raise
        raise _execution_error(path, nb, exc) from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nbformat.write(normalise(nb), path)
    return path


def _execution_error(path: Path, nb: nbformat.NotebookNode, exc: Exception) -> NotebookExecutionError:
    """The failing cell (the one holding an error output, else the first code cell never run)."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return NotebookExecutionError(path, index, _ANSI.sub("", output.get("ename", "")),
                                              _ANSI.sub("", output.get("evalue", "")))
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = _ANSI.sub("", str(getattr(exc, "evalue", "") or exc))
    cell = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()
                 and c.get("execution_count") is None), None)
    return NotebookExecutionError(path, cell, ename, evalue)


def export_slides(path: str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """Export a (stored, executed) notebook as an offline reveal.js deck ``<stem>.slides.html`` in ``out_dir``.

    The deck follows the cells' ``slideshow`` metadata: each slide-title heading starts a slide.
    Input prompts are hidden so that code and its output read as slide content. reveal.js, MathJax,
    jQuery and RequireJS come from the package (:data:`SLIDES_ASSETS`, vendored from npm with their
    licences): they are copied to ``out_dir/_static/`` and the deck loads them by relative URL, so
    it opens from disk, offline, and the folder can be copied as a whole. Long slides scroll.

    Parameters
    ----------
    path : path-like
        An ``.ipynb`` file.
    out_dir : path-like
        Output folder (created if missing).

    Returns
    -------
    pathlib.Path
        The deck's HTML file.

    Raises
    ------
    ValueError
        If ``path`` is not an existing ``.ipynb`` file.
    """
    from nbconvert import SlidesExporter

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    static = out / "_static"
    for name in ("reveal.js", "mathjax", "jquery", "requirejs"):
        shutil.copytree(SLIDES_ASSETS / name, static / name, dirs_exist_ok=True)
    exporter = SlidesExporter(
        exclude_input_prompt=True, exclude_output_prompt=True,
        extra_template_basedirs=[str(SLIDES_ASSETS / "templates")], template_name="course_reveal",
        reveal_url_prefix="_static/reveal.js", reveal_theme="white", reveal_scroll=True,
        mathjax_url="_static/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        jquery_url="_static/jquery/jquery.min.js", require_js_url="_static/requirejs/require.js")
    body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4),
                                          resources={"metadata": {"name": path.stem}})
    target = out / f"{path.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target
