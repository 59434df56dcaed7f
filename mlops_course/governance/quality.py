"""Data-quality checks as release gates: schema, ranges, missing values, duplicates, drift.

Each check returns a :class:`CheckResult` ``(check, passed, value, threshold, detail)``; a
:class:`QualityReport` collects them and passes only if every check passes, so it can stop a
pipeline (:mod:`mlops_course.governance.pipeline`) with a reason instead of training on bad data.

Drift between two snapshots of a column is measured by the **population stability index**

    PSI = Σᵢ (aᵢ − eᵢ) · ln(aᵢ / eᵢ),

where ``eᵢ`` and ``aᵢ`` are the fractions of the reference and current snapshot in bin ``i``
(deciles of the reference for numbers, categories for strings; fractions floored at 10⁻⁴ so an
empty bin does not give ∞). PSI is the symmetrised Kullback–Leibler divergence
``KL(a‖e) + KL(e‖a)``. Rule of thumb (Siddiqi 2006): < 0.1 stable, 0.1–0.25 some shift,
> 0.25 significant shift — the default gate threshold. The two-sample Kolmogorov–Smirnov
statistic ``D = supₓ |F_ref(x) − F_cur(x)|`` is reported next to it for numeric columns.

References
----------
N. Siddiqi, *Credit Risk Scorecards*, Wiley 2006, ch. 8. B. Yurdakul, "Statistical properties of
population stability index", PhD thesis, Western Michigan University 2018. E. Breck et al.,
"Data validation for machine learning", MLSys 2019 (schema + drift checks as pipeline gates).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlops_course._validation import (
    check_choice,
    check_finite_array,
    check_int,
    check_nonnegative,
    check_positive,
)

__all__ = [
    "ColumnSpec", "CheckResult", "QualityReport", "as_frame", "check_schema", "check_missing", "check_ranges",
    "check_duplicates", "population_stability_index", "ks_statistic", "check_drift", "quality_report",
    "quality_summary", "PSI_FLOOR", "PSI_THRESHOLD",
]

PSI_FLOOR = 1e-4
PSI_THRESHOLD = 0.25
KINDS = ("number", "integer", "string", "category")


@dataclass(frozen=True)
class ColumnSpec:
    """Expected content of one column.

    Parameters
    ----------
    kind : {"number", "integer", "string", "category"}
    lower, upper : float, optional
        Inclusive range of a numeric column.
    categories : tuple of str, optional
        Allowed values of a category column.
    max_missing : float
        Largest allowed fraction of missing values (None/NaN), in [0, 1].


    """

    kind: str = "number"
    lower: float | None = None
    upper: float | None = None
    categories: tuple[str, ...] | None = None
    max_missing: float = 0.0

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        if self.lower is not None and self.upper is not None and not self.lower <= self.upper:
            raise ValueError(f"lower must be <= upper, got {self.lower!r} > {self.upper!r}")
        if not 0.0 <= check_nonnegative("max_missing", self.max_missing) <= 1.0:
            raise ValueError(f"max_missing must be in [0, 1], got {self.max_missing!r}")
        if self.categories is not None:
            object.__setattr__(self, "categories", tuple(self.categories))


@dataclass(frozen=True)
class CheckResult:
    """One quality check: passed iff ``value <= threshold``.

    Parameters
    ----------
    check : str
        Name of the check.
    passed : bool
        ``value <= threshold``.
    value : float
        The measured value (a count, a fraction or a PSI).
    threshold : float
        The allowed maximum.
    detail : str
        What was found.
    """

    check: str
    passed: bool
    value: float
    threshold: float
    detail: str


@dataclass(frozen=True)
class QualityReport:
    """All checks of one snapshot; :attr:`passed` iff every check passed."""

    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    def rows(self) -> list[list[Any]]:
        """Rows for :func:`mlops_course.viz.table`: check, value, threshold, pass/FAIL, detail."""
        return [[r.check, r.value, r.threshold, "pass" if r.passed else "FAIL", r.detail] for r in self.results]


def as_frame(data: Any) -> pd.DataFrame:
    """A DataFrame from a DataFrame or a non-empty list of row dicts."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Sequence) and not isinstance(data, str) and data and all(isinstance(r, Mapping) for r in data):
        return pd.DataFrame([dict(r) for r in data])
    raise TypeError(f"data must be a pandas DataFrame or a non-empty list of dicts, got {type(data).__name__}")


def _check_schema_arg(schema: Any) -> dict[str, ColumnSpec]:
    if not isinstance(schema, Mapping) or not schema:
        raise ValueError("schema must be a non-empty mapping column -> ColumnSpec")
    for col, spec in schema.items():
        if not isinstance(spec, ColumnSpec):
            raise TypeError(f"schema[{col!r}] must be a ColumnSpec, got {type(spec).__name__}")
    return dict(schema)


def _kind_ok(series: pd.Series, kind: str) -> bool:
    values = series.dropna()
    if values.empty:
        return True
    if kind in ("number", "integer"):
        if not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in values):
            return False
        return kind == "number" or bool(np.all(np.asarray(values, dtype=float) % 1 == 0))
    return all(isinstance(v, str) for v in values)


def check_schema(data: Any, schema: Mapping[str, ColumnSpec]) -> CheckResult:
    """Every declared column present with the declared kind, no undeclared column (which could be
    personal data nobody catalogued). ``value`` = number of problems.

    Parameters
    ----------
    data : pandas.DataFrame, mapping of columns or sequence of row mappings
        The snapshot (anything :func:`as_frame` accepts).
    schema : mapping of str to ColumnSpec
        Expected columns.

    Returns
    -------
    CheckResult
        Threshold 0: passes iff there is no problem.
    """
    df, schema = as_frame(data), _check_schema_arg(schema)
    missing = [c for c in schema if c not in df.columns]
    extra = [c for c in df.columns if c not in schema]
    wrong = [c for c, spec in schema.items() if c in df.columns and not _kind_ok(df[c], spec.kind)]
    problems = [f"missing column {c!r}" for c in missing] + [f"undeclared column {c!r}" for c in extra]
    problems += [f"column {c!r} is not {schema[c].kind}" for c in wrong]
    n = len(problems)
    return CheckResult("schema", n == 0, float(n), 0.0, "; ".join(problems) or "all declared columns, right kinds")


def check_missing(data: Any, schema: Mapping[str, ColumnSpec]) -> CheckResult:
    """Missing-value rate of each declared column within its ``max_missing``.

    ``value`` = number of columns over their allowance.

    Parameters
    ----------
    data : pandas.DataFrame, mapping of columns or sequence of row mappings
        The snapshot (anything :func:`as_frame` accepts).
    schema : mapping of str to ColumnSpec
        Expected columns.

    Returns
    -------
    CheckResult
        Threshold 0: passes iff there is no problem.
    """
    df, schema = as_frame(data), _check_schema_arg(schema)
    over = []
    for c, spec in schema.items():
        if c in df.columns:
            rate = float(df[c].isna().mean())
            if rate > spec.max_missing:
                over.append(f"{c!r} {rate:.1%} missing > {spec.max_missing:.1%}")
    return CheckResult("missing values", not over, float(len(over)), 0.0, "; ".join(over) or "within allowance")


def check_ranges(data: Any, schema: Mapping[str, ColumnSpec]) -> CheckResult:
    """Numeric values within ``[lower, upper]`` and category values among ``categories``.

    ``value`` = number of offending (non-missing) cells.

    Parameters
    ----------
    data : pandas.DataFrame, mapping of columns or sequence of row mappings
        The snapshot (anything :func:`as_frame` accepts).
    schema : mapping of str to ColumnSpec
        Expected columns.

    Returns
    -------
    CheckResult
        Threshold 0: passes iff there is no problem.
    """
    df, schema = as_frame(data), _check_schema_arg(schema)
    bad, notes = 0, []
    for c, spec in schema.items():
        if c not in df.columns:
            continue
        values = df[c].dropna()
        if spec.kind in ("number", "integer") and _kind_ok(df[c], spec.kind):
            x = values.astype(float)
            n = int(((x < spec.lower).sum() if spec.lower is not None else 0)
                    + ((x > spec.upper).sum() if spec.upper is not None else 0))
            if n:
                notes.append(f"{n} value(s) of {c!r} outside [{spec.lower}, {spec.upper}]")
        elif spec.categories is not None:
            n = int((~values.isin(spec.categories)).sum())
            if n:
                notes.append(f"{n} value(s) of {c!r} not in {list(spec.categories)}")
        else:
            n = 0
        bad += n
    return CheckResult("ranges", bad == 0, float(bad), 0.0, "; ".join(notes) or "all values in range")


def check_duplicates(data: Any, key: Sequence[str] | None = None, max_fraction: float = 0.0) -> CheckResult:
    """Duplicate rows (all columns, or the ``key`` columns) beyond their first occurrence.

    ``value`` = fraction of duplicate rows, gate ``<= max_fraction``.

    Parameters
    ----------
    data : pandas.DataFrame, mapping of columns or sequence of row mappings
        The snapshot.
    key : sequence of str or None, default None
        Columns that identify a row (None: whole rows).
    max_fraction : float, default 0.0
        Largest allowed fraction of duplicates (>= 0).

    Returns
    -------
    CheckResult
        ``value`` = fraction of duplicate rows.

    Raises
    ------
    ValueError
        If a ``key`` column is not in the data or ``max_fraction`` is negative.
    """
    df = as_frame(data)
    max_fraction = check_nonnegative("max_fraction", max_fraction)
    subset = list(key) if key is not None else None
    if subset is not None:
        unknown = [c for c in subset if c not in df.columns]
        if unknown:
            raise ValueError(f"key columns {unknown} are not in the data")
    n = int(df.astype(str).duplicated(subset=subset).sum())
    frac = n / len(df) if len(df) else 0.0
    what = f"on {subset}" if subset else "(whole rows)"
    return CheckResult("duplicates", frac <= max_fraction, frac, max_fraction, f"{n} duplicate row(s) {what}")


def _proportions(reference: np.ndarray, current: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    if reference.dtype.kind in "OUS" or current.dtype.kind in "OUS":
        cats = sorted(set(map(str, reference)) | set(map(str, current)))
        e = np.array([np.mean(reference.astype(str) == c) for c in cats])
        a = np.array([np.mean(current.astype(str) == c) for c in cats])
        return e, a
    ref = check_finite_array("reference", reference, ndim=1)
    cur = check_finite_array("current", current, ndim=1)
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(inner, ref, side="right"), minlength=inner.size + 1) / ref.size
    a = np.bincount(np.searchsorted(inner, cur, side="right"), minlength=inner.size + 1) / cur.size
    return e, a


def population_stability_index(reference: Any, current: Any, bins: int = 10) -> float:
    """PSI = Σ (aᵢ − eᵢ) ln(aᵢ/eᵢ) over reference-decile bins (or categories), fractions floored at 10⁻⁴.

    Parameters
    ----------
    reference, current : array_like
        1-D numeric or string values of the two snapshots (non-empty).
    bins : int
        Number of quantile bins of the reference for numeric data (>= 2).

    Returns
    -------
    float
        >= 0; 0 for identical distributions.

    Examples
    --------
    >>> x = np.arange(1000.0)
    >>> population_stability_index(x, x)
    0.0
    """
    bins = check_int("bins", bins, minimum=2)
    ref, cur = np.asarray(reference), np.asarray(current)
    if ref.ndim != 1 or cur.ndim != 1 or ref.size == 0 or cur.size == 0:
        raise ValueError(f"reference and current must be non-empty 1-D arrays, got shapes {ref.shape} and {cur.shape}")
    e, a = _proportions(ref, cur, bins)
    e, a = np.maximum(e, PSI_FLOOR), np.maximum(a, PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def ks_statistic(reference: Any, current: Any) -> float:
    """Two-sample Kolmogorov–Smirnov statistic D = sup |F_ref − F_cur| (as ``scipy.stats.ks_2samp``).

    Parameters
    ----------
    reference : array_like, shape (n,)
        Finite reference sample.
    current : array_like, shape (m,)
        Finite current sample.

    Returns
    -------
    float
        ``D`` in [0, 1].

    Raises
    ------
    ValueError, TypeError
        If a sample is empty, not 1-D or holds NaN/inf.
    """
    ref = np.sort(check_finite_array("reference", reference, ndim=1))
    cur = np.sort(check_finite_array("current", current, ndim=1))
    grid = np.concatenate([ref, cur])
    f_ref = np.searchsorted(ref, grid, side="right") / ref.size
    f_cur = np.searchsorted(cur, grid, side="right") / cur.size
    return float(np.max(np.abs(f_ref - f_cur)))


def check_drift(reference: Any, current: Any, columns: Sequence[str] | None = None,
                threshold: float = PSI_THRESHOLD, bins: int = 10) -> CheckResult:
    """Largest PSI over ``columns`` (default: the shared columns) must be ``<= threshold``.

    Parameters
    ----------
    reference : pandas.DataFrame or mapping of columns
        Reference snapshot.
    current : pandas.DataFrame or mapping of columns
        Current snapshot.
    columns : sequence of str or None, default None
        Columns to compare (None: the shared ones).
    threshold : float, default PSI_THRESHOLD (0.25)
        Largest allowed PSI (> 0).
    bins : int, default 10
        Bins of :func:`population_stability_index` for numeric columns.

    Returns
    -------
    CheckResult
        ``value`` = the largest PSI.

    Raises
    ------
    ValueError
        If there is no column to compare or ``threshold <= 0``.
    """
    ref, cur = as_frame(reference), as_frame(current)
    threshold = check_positive("threshold", threshold)
    cols = list(columns) if columns is not None else [c for c in ref.columns if c in cur.columns]
    if not cols:
        raise ValueError("no columns to compare")
    psis = {}
    for c in cols:
        r, k = ref[c].dropna().to_numpy(), cur[c].dropna().to_numpy()
        if r.dtype == object or k.dtype == object:
            r, k = r.astype(str), k.astype(str)
        psis[c] = population_stability_index(r, k, bins)
    worst = max(psis, key=psis.get)
    shifted = [f"{c!r} PSI {v:.3f}" for c, v in psis.items() if v > threshold]
    detail = "; ".join(shifted) if shifted else f"largest PSI {psis[worst]:.3f} ({worst!r})"
    return CheckResult("drift (PSI)", psis[worst] <= threshold, psis[worst], threshold, detail)


def quality_report(data: Any, schema: Mapping[str, ColumnSpec], reference: Any = None, *,
                   key: Sequence[str] | None = None, max_duplicates: float = 0.0,
                   drift_threshold: float = PSI_THRESHOLD) -> QualityReport:
    """Schema, missing values, ranges, duplicates and (with a reference snapshot) drift.

    Parameters
    ----------
    data : pandas.DataFrame, mapping of columns or sequence of row mappings
        The snapshot (anything :func:`as_frame` accepts).
    schema : mapping of str to ColumnSpec
        Expected columns.
    reference : pandas.DataFrame, mapping or None, default None
        Reference snapshot for the drift check (None: no drift check).
    key : sequence of str or None, default None
        Row key of the duplicate check.
    max_duplicates : float, default 0.0
        Largest allowed fraction of duplicate rows.
    drift_threshold : float, default PSI_THRESHOLD (0.25)
        Largest allowed PSI.

    Returns
    -------
    QualityReport
        The four (five with ``reference``) check results.

    Examples
    --------
    >>> schema = {"age": ColumnSpec("integer", 18, 100)}
    >>> quality_report([{"age": 30}, {"age": 130}], schema).failures[0].check
    'ranges'
    """
    results = [check_schema(data, schema), check_missing(data, schema), check_ranges(data, schema),
               check_duplicates(data, key, max_duplicates)]
    if reference is not None:
        cols = [c for c in schema if c in as_frame(data).columns and c in as_frame(reference).columns]
        results.append(check_drift(reference, data, cols, drift_threshold))
    return QualityReport(tuple(results))


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def quality_summary(rows: Sequence[Mapping[str, Any]], bounds: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    """Counts of a simple quality gate on row dicts (the exercise's reference).

    * ``missing`` — cells of the ``bounds`` columns that are absent, ``None`` or NaN;
    * ``out_of_range`` — present numeric cells outside the inclusive ``[lo, hi]`` of their column;
    * ``duplicates`` — rows equal (all keys and values) to an earlier row;
    * ``passed`` — all three are 0.

    Parameters
    ----------
    rows : sequence of mapping
        The rows.
    bounds : mapping of str to [lo, hi]
        Inclusive range of each checked column.

    Returns
    -------
    dict
        ``missing``, ``out_of_range`` and ``duplicates`` (ints) and ``passed`` (bool).

    Raises
    ------
    ValueError
        If a bound is not ``[lo, hi]`` with ``lo <= hi``.

    Examples
    --------
    >>> quality_summary([{"a": 1}, {"a": 1}, {"a": None}, {"a": 9}], {"a": [0, 5]})
    {'missing': 1, 'out_of_range': 1, 'duplicates': 1, 'passed': False}
    """
    for col, b in bounds.items():
        if len(b) != 2 or not b[0] <= b[1]:
            raise ValueError(f"bounds[{col!r}] must be [lo, hi] with lo <= hi, got {b!r}")
    missing = out = dup = 0
    seen: set[tuple] = set()
    for row in rows:
        for col, (lo, hi) in bounds.items():
            value = row.get(col)
            if _is_missing(value):
                missing += 1
            elif not lo <= value <= hi:
                out += 1
        ident = tuple(sorted((k, repr(v)) for k, v in row.items()))
        if ident in seen:
            dup += 1
        seen.add(ident)
    return {"missing": missing, "out_of_range": out, "duplicates": dup, "passed": missing == out == dup == 0}
