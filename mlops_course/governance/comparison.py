"""Re-export of :mod:`mlops_course.capstone` (unit 10's DP vs HE vs FL comparison), kept so that
``from mlops_course.governance.comparison import ...`` keeps working; new code imports
:mod:`mlops_course.capstone`. Importing this module imports the privacy units (TenSEAL, the FL engine).
"""
from __future__ import annotations

from mlops_course.capstone import (
    BYTES_PER_FLOAT,
    PROTECTION,
    ComparisonTask,
    TechniqueResult,
    compare_privacy_techniques,
    load_task,
    run_central,
    run_dp,
    run_fl,
    run_he,
    slide_table_rows,
)

__all__ = ["ComparisonTask", "TechniqueResult", "load_task", "run_central", "run_dp", "run_he", "run_fl",
           "compare_privacy_techniques", "PROTECTION", "slide_table_rows", "BYTES_PER_FLOAT"]
