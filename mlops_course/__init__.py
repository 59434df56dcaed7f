"""mlops_course: the tested helper package of the course
*Security, Compliance, Ethics & Privacy in MLOps*.

Notebooks start with::

    from mlops_course import setup_course
    rng = setup_course()
"""
from __future__ import annotations

from mlops_course.course import setup_course

__version__ = "0.1.0"
__all__ = ["setup_course", "__version__"]
