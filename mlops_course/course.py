"""Course environment: one call at the top of every notebook, and the one home of what the course
knows about its environment.

``setup_course()`` makes a notebook fast, reproducible and private:

* a seeded ``numpy.random.Generator`` (returned; pass it as ``rng=`` everywhere),
* matplotlib defaults (readable sizes, titled figures, no interactive backend surprises),
* BLAS/OpenMP thread limits so small fits are fast and bit-for-bit reproducible,
* Flower telemetry off and Flower's state kept in the course state folder.

The same settings are exported as environment variables by ``mlops-course lab`` so that
kernels started by JupyterLab inherit them. Everything else that needs the environment reads it
here: the variable names (:data:`HOME_VAR`, :data:`THREAD_VARS`, :data:`FLOWER_VARS`), the state
folder (:func:`state_dir`), the Flower/Ray variables (:func:`flower_environment`) and the course
folder (:func:`project_root`), which is found from the working folder, so it is right for a
non-editable install too (the installed package then lives in ``site-packages``, not in the course).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from mlops_course._validation import check_int

__all__ = ["DEFAULT_SEED", "HOME_VAR", "DEBUG_VAR", "THREAD_VARS", "FLOWER_VARS", "FLWR_HOME_VAR", "FORCED_VARS",
           "PROJECT_NAME", "CourseRootNotFound", "state_dir", "thread_environment", "flower_environment", "course_environment",
           "is_project_root", "project_root", "find_project_root", "setup_course"]

DEFAULT_SEED = 2025

#: the course state folder (default ``~/.mlops_course``)
HOME_VAR = "MLOPS_COURSE_HOME"
#: set to show tracebacks instead of one-line errors in the command line
DEBUG_VAR = "MLOPS_COURSE_DEBUG"
#: thread limits of BLAS/OpenMP/numexpr (1 = fastest and bit-for-bit reproducible for small fits)
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
#: Flower and Ray settings that do not depend on the machine (``FLWR_HOME`` is added by
#: :func:`flower_environment`): no telemetry, no update check, no runtime installs (offline course)
FLOWER_VARS = {
    "FLWR_TELEMETRY_ENABLED": "0",
    "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1",
    "FLWR_DISABLE_UPDATE_CHECK": "1",
    "RAY_USAGE_STATS_ENABLED": "0",
    # keep Ray's current behaviour for CPU-only runs without its FutureWarning
    "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "0",
}
#: Flower's state folder (set by :func:`flower_environment` to ``flwr`` in the course state folder)
FLWR_HOME_VAR = "FLWR_HOME"
#: variables :func:`setup_course` always overwrites (telemetry is never left on)
FORCED_VARS = ("FLWR_TELEMETRY_ENABLED", "RAY_USAGE_STATS_ENABLED")
#: the distribution name a course folder's ``pyproject.toml`` declares (normalised, PEP 503)
PROJECT_NAME = "mlops-course"


class CourseRootNotFound(ValueError):
    """No course folder at or above the starting folder (a one-line message says what to do)."""


def state_dir() -> Path:
    """The course state folder (``$MLOPS_COURSE_HOME`` or ``~/.mlops_course``); created if missing."""
    path = Path(os.environ.get(HOME_VAR, Path.home() / ".mlops_course")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def thread_environment(threads: int = 1) -> dict[str, str]:
    """``{name: str(threads)}`` for every variable of :data:`THREAD_VARS`.

    >>> thread_environment(2)["OMP_NUM_THREADS"]
    '2'
    """
    threads = check_int("threads", threads, minimum=1)
    return dict.fromkeys(THREAD_VARS, str(threads))


def flower_environment() -> dict[str, str]:
    """Variables every Flower process of the course gets: :data:`FLOWER_VARS` plus ``FLWR_HOME``, the
    ``flwr`` folder of the course state folder (created if missing)."""
    home = state_dir() / "flwr"
    home.mkdir(parents=True, exist_ok=True)
    return {**FLOWER_VARS, FLWR_HOME_VAR: str(home)}


def _project_name(pyproject: Path) -> str | None:
    """The normalised ``[project] name`` of a ``pyproject.toml`` (``None`` if unreadable)."""
    import tomllib

    try:
        name = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return re.sub(r"[-_.]+", "-", name).lower() if isinstance(name, str) else None


def is_project_root(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a course folder: ``notebooks/``, ``exercises/`` or ``solutions/``, and a
    ``pyproject.toml`` naming ``mlops-course`` (an instructor checkout, a student copy, or a folder of
    lecture notebooks only)."""
    folder = Path(folder)
    return (any((folder / part).is_dir() for part in ("notebooks", "exercises", "solutions"))
            and (folder / "pyproject.toml").is_file()
            and _project_name(folder / "pyproject.toml") == PROJECT_NAME)


def find_project_root(start: str | os.PathLike | None = None) -> Path | None:
    """:func:`project_root`, or ``None`` where it would raise :class:`CourseRootNotFound`."""
    try:
        return project_root(start)
    except CourseRootNotFound:
        return None


def project_root(start: str | os.PathLike | None = None) -> Path:
    """The course folder: ``start`` (default: the current folder) or its nearest parent that
    :func:`is_project_root`.

    Without ``start``, if the current folder is not inside a course, the folder holding the
    installed package is used when it is itself a course checkout (an editable install); a package
    installed into ``site-packages`` never is, so a non-editable install needs the course folder.

    Parameters
    ----------
    start : path or None
        Where to start looking (``--root``); its parents are searched too.

    Returns
    -------
    pathlib.Path
        The resolved course folder.

    Raises
    ------
    CourseRootNotFound
        If no course folder is found (a ``ValueError``).
    TypeError
        If ``start`` is not a path.
    """
    if start is not None and not isinstance(start, (str, os.PathLike)):
        raise TypeError(f"start must be a path (str or os.PathLike) or None, got {type(start).__name__}")
    base = Path(start if start is not None else Path.cwd()).expanduser().resolve()
    for folder in (base, *base.parents):
        if is_project_root(folder):
            return folder
    if start is None:
        checkout = Path(__file__).resolve().parents[1]
        if is_project_root(checkout):
            return checkout
    raise CourseRootNotFound(
        f"no course folder (notebooks/, exercises/ or solutions/, and a pyproject.toml naming {PROJECT_NAME}) "
        f"at or above {base}: run from the course folder or pass --root")


def course_environment(threads: int = 1) -> dict[str, str]:
    """Environment variables the course sets for itself and for kernels it starts.

    Parameters
    ----------
    threads : int
        Thread limit for BLAS/OpenMP libraries (1 makes small fits fastest and reproducible).
    """
    return {**thread_environment(threads), **flower_environment(), HOME_VAR: str(state_dir()),
            "PYTHONHASHSEED": "0"}


def setup_course(seed: int = DEFAULT_SEED, *, threads: int = 1, plots: bool = True) -> np.random.Generator:
    """Prepare a notebook: environment, thread limits, plot style; return a seeded RNG.

    Parameters
    ----------
    seed : int
        Seed of the returned generator (the course default is 2025).
    threads : int
        BLAS/OpenMP thread limit.
    plots : bool
        Whether to apply the course's matplotlib defaults.

    Returns
    -------
    numpy.random.Generator
        ``np.random.default_rng(seed)``.

    Examples
    --------
    >>> rng = setup_course(0, plots=False)
    >>> float(rng.random()) == float(np.random.default_rng(0).random())
    True
    """
    seed = check_int("seed", seed, minimum=0)
    env = course_environment(threads)
    # setdefault for thread variables (an instructor may choose more); telemetry is always off.
    for key, value in env.items():
        if key in FORCED_VARS:
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)
    try:  # variables alone do not reach a BLAS that is already loaded
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pass
    if plots:
        import matplotlib as mpl

        mpl.rcParams.update({
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 90,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 11,
            "svg.hashsalt": "mlops-course",
        })
    return np.random.default_rng(seed)
