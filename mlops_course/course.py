"""Course environment: one call at the top of every notebook.

``setup_course()`` makes a notebook fast, reproducible and private:

* a seeded ``numpy.random.Generator`` (returned; pass it as ``rng=`` everywhere),
* matplotlib defaults (readable sizes, titled figures, no interactive backend surprises),
* BLAS/OpenMP thread limits so small fits are fast and bit-for-bit reproducible,
* Flower telemetry off and Flower's state kept in the course state folder.

The same settings are exported as environment variables by ``mlops-course lab`` so that
kernels started by JupyterLab inherit them.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mlops_course._validation import check_int

__all__ = ["DEFAULT_SEED", "state_dir", "course_environment", "setup_course"]

DEFAULT_SEED = 2025


def state_dir() -> Path:
    """The course state folder (``$MLOPS_COURSE_HOME`` or ``~/.mlops_course``); created if missing."""
    path = Path(os.environ.get("MLOPS_COURSE_HOME", Path.home() / ".mlops_course")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def course_environment(threads: int = 1) -> dict[str, str]:
    """Environment variables the course sets for itself and for kernels it starts.

    Parameters
    ----------
    threads : int
        Thread limit for BLAS/OpenMP libraries (1 makes small fits fastest and reproducible).
    """
    threads = check_int("threads", threads, minimum=1)
    home = state_dir()
    return {
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "FLWR_TELEMETRY_ENABLED": "0",
        "FLWR_HOME": str(home / "flwr"),
        "RAY_USAGE_STATS_ENABLED": "0",
        "MLOPS_COURSE_HOME": str(home),
        "PYTHONHASHSEED": "0",
    }


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
        if key in ("FLWR_TELEMETRY_ENABLED", "RAY_USAGE_STATS_ENABLED"):
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
