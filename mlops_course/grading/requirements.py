"""The grader's runtime needs, read from one place: the ``grading`` extra of ``pyproject.toml``.

``gradescope-bundle`` installs exactly this list on Gradescope and ``mlops-course doctor``
reports which of its entries are missing. In a source checkout the list comes from the
repository's ``pyproject.toml``; in an installed copy, from the distribution's metadata
(``Requires-Dist: ...; extra == "grading"``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Requirement", "grading_requirements", "parse_requirement", "PYPROJECT"]

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(?:>=\s*([0-9][0-9A-Za-z.]*))?"
                   r"\s*(?:,\s*<\s*[0-9][0-9A-Za-z.]*)?\s*$")
# distribution name -> module it provides, where they differ
_MODULES = {"scikit-learn": "sklearn", "python-dateutil": "dateutil", "pyyaml": "yaml"}


@dataclass(frozen=True)
class Requirement:
    """One entry of the ``grading`` extra.

    Parameters
    ----------
    text : str
        The requirement as written (``"numpy>=1.26"``).
    dist : str
        Distribution name (``"scikit-learn"``).
    minimum : str
        Lowest allowed version (``""`` if unbounded).
    module : str
        The module to import to prove it works (``"sklearn"``).
    """

    text: str
    dist: str
    minimum: str
    module: str


def parse_requirement(text: str) -> Requirement:
    """Parse ``name[extras]>=version`` (an optional ``,<upper`` bound is allowed).

    Raises
    ------
    ValueError
        For any other form (the grading extra keeps to this simple one).

    Examples
    --------
    >>> parse_requirement("scikit-learn>=1.4")
    Requirement(text='scikit-learn>=1.4', dist='scikit-learn', minimum='1.4', module='sklearn')
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    match = _SPEC.match(text)
    if match is None:
        raise ValueError(f"requirement must look like 'name>=version', got {text!r}")
    dist = match.group(1)
    module = _MODULES.get(dist.lower(), dist.replace("-", "_").lower())
    return Requirement(text.strip(), dist, match.group(3) or "", module)


def _from_pyproject(path: Path) -> list[str] | None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if data.get("project", {}).get("name") != "mlops_course":
        return None
    extras = data.get("project", {}).get("optional-dependencies", {})
    return list(extras["grading"]) if "grading" in extras else None


def _from_metadata() -> list[str] | None:
    import importlib.metadata as md

    try:
        requires = md.requires("mlops_course") or []
    except md.PackageNotFoundError:
        return None
    found = []
    for line in requires:
        spec, _, marker = line.partition(";")
        if re.search(r"""extra\s*==\s*["']grading["']""", marker):
            found.append(spec.strip().replace(" ", ""))
    return found or None


def grading_requirements(pyproject: str | Path | None = None) -> tuple[Requirement, ...]:
    """The ``grading`` extra as parsed requirements.

    Parameters
    ----------
    pyproject : path, optional
        A ``pyproject.toml`` to read; default: the source checkout's, else the installed
        distribution's metadata.

    Returns
    -------
    tuple of Requirement

    Raises
    ------
    ValueError
        If neither source defines a ``grading`` extra.
    """
    texts = _from_pyproject(Path(pyproject)) if pyproject is not None else None
    if pyproject is None:
        texts = _from_pyproject(PYPROJECT) if PYPROJECT.is_file() else None
        if texts is None:
            texts = _from_metadata()
    if not texts:
        where = str(pyproject) if pyproject is not None else f"{PYPROJECT} or the installed metadata"
        raise ValueError(f"no [project.optional-dependencies] grading list found in {where}")
    return tuple(parse_requirement(t) for t in texts)
