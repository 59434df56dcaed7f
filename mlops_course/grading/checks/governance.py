"""Checks of exercise 04 (ethics and data governance): one :class:`Check` per answer cell.

Every property calls the student's function with harness-chosen plain data and compares the
result, in the harness, with the package's reference implementation:

* ``gov-quality`` — :func:`mlops_course.governance.quality.quality_summary` (missing cells,
  inclusive ranges, duplicate rows beyond the first, the pass flag);
* ``gov-policy`` — :func:`mlops_course.governance.catalog.refused_columns` (unknown column,
  above clearance, special-category without an Art. 9(2) condition; ValueError for a bad clearance);
* ``gov-lineage`` — :func:`mlops_course.governance.lineage.erasure_touches` (holders of the subject
  and the transitive closure downstream);
* ``gov-card`` — :func:`mlops_course.governance.modelcard.quantitative_analysis` (per-group n,
  accuracy, selection rate, TPR, FPR and the max − min gaps; built on the fairness unit's metrics),
  compared with relative tolerance 1e-9.

No property is statistical: all are exact and deterministic (false-fail rate 0).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlops_course.grading.checks import BadResult, Check, Property, Remote, raises

__all__ = ["CHECKS", "UNIT"]

UNIT = "04_ethics_data_governance"
NAN = float("nan")


def _int(value: Any, what: str) -> int:
    if type(value) is bool or type(value) not in (int, float) or float(value) != int(value):
        raise BadResult(f"{what} should be a whole number, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- gov-quality
def _summary(remote: Remote, rows: list[dict], bounds: dict) -> dict[str, Any]:
    got = remote.call("quality_summary", rows, bounds)
    if not isinstance(got, dict) or not {"missing", "out_of_range", "duplicates", "passed"} <= set(got):
        raise BadResult("quality_summary should return a dict with keys 'missing', 'out_of_range', "
                        "'duplicates' and 'passed'")
    out = {k: _int(got[k], f"result[{k!r}]") for k in ("missing", "out_of_range", "duplicates")}
    if type(got["passed"]) is not bool:
        raise BadResult(f"result['passed'] should be True or False, got {got['passed']!r}")
    out["passed"] = got["passed"]
    return out


def _quality_case(remote: Remote, rows: list[dict], bounds: dict, keys: tuple[str, ...]) -> tuple[bool, str]:
    from mlops_course.governance.quality import quality_summary

    got, want = _summary(remote, rows, bounds), quality_summary(rows, bounds)
    wrong = [f"{k}: got {got[k]!r}, expected {want[k]!r}" for k in keys if got[k] != want[k]]
    if wrong:
        return False, "; ".join(wrong)
    return True, ", ".join(f"{k} = {want[k]}" for k in keys)


_BOUNDS = {"age": [18, 100], "income": [0.0, 500.0]}
_ROWS = [
    {"id": 1, "age": 34, "income": 41.5},
    {"id": 2, "age": None, "income": 62.0},
    {"id": 3, "age": 17, "income": NAN},
    {"id": 4, "income": 501.0},
    {"id": 5, "age": 100, "income": 0.0},
    {"id": 1, "age": 34, "income": 41.5},
    {"id": 6, "age": 18, "income": 500.0},
    {"id": 1, "age": 34, "income": 41.5},
]


def quality_missing(remote: Remote) -> tuple[bool, str]:
    return _quality_case(remote, _ROWS, _BOUNDS, ("missing",))


def quality_ranges(remote: Remote) -> tuple[bool, str]:
    return _quality_case(remote, _ROWS, _BOUNDS, ("out_of_range",))


def quality_duplicates(remote: Remote) -> tuple[bool, str]:
    return _quality_case(remote, _ROWS, _BOUNDS, ("duplicates", "passed"))


def quality_hidden(remote: Remote) -> tuple[bool, str]:
    clean = [{"sensor": "a", "t": 20.5}, {"sensor": "b", "t": 21.0}, {"sensor": "a", "t": 21.0}]
    ok, msg = _quality_case(remote, clean, {"t": [-40.0, 60.0]}, ("missing", "out_of_range", "duplicates", "passed"))
    if not ok:
        return False, "on a clean table: " + msg
    rows = [{"k": i % 3, "x": float(i), "y": -1.0 if i == 4 else None if i == 5 else 1.0} for i in range(9)]
    rows += [dict(rows[2]), dict(rows[2]), {"k": 0, "x": 0.0}]
    ok, msg = _quality_case(remote, rows, {"x": [0.0, 7.0], "y": [0.0, 1.0]},
                            ("missing", "out_of_range", "duplicates", "passed"))
    return ok, ("on another table: " + msg) if not ok else "other tables, including a clean one"


# --------------------------------------------------------------------------- gov-policy
_CLASSES = {"zip": "internal", "age": "internal", "email": "confidential", "income": "confidential",
            "diagnosis": "special-category", "product_price": "public"}


def _refused(remote: Remote, classes: dict, requested: list[str], clearance: str, cond: str | None = None):
    got = remote.call("refused_columns", classes, requested, clearance, cond)
    if not isinstance(got, (list, tuple)):
        raise BadResult(f"refused_columns should return a list of (column, reason) pairs, got {type(got).__name__}")
    pairs = []
    for item in got:
        if not isinstance(item, (list, tuple)) or len(item) != 2 or not all(isinstance(v, str) for v in item):
            raise BadResult("each refused entry should be a (column, reason) pair of strings")
        pairs.append((item[0], item[1]))
    return pairs


def _policy_cases(remote: Remote, cases) -> tuple[bool, str]:
    from mlops_course.governance.catalog import refused_columns

    for classes, requested, clearance, cond in cases:
        got = _refused(remote, classes, requested, clearance, cond)
        want = refused_columns(classes, requested, clearance, cond)
        if got != want:
            return False, (f"request {requested} with clearance {clearance!r} and art9_condition {cond!r}: "
                           f"got {got}, expected {want}")
    return True, "refused columns and reasons as the policy says"


def policy_clearance(remote: Remote) -> tuple[bool, str]:
    return _policy_cases(remote, [(_CLASSES, ["age", "email", "product_price"], "internal", None),
                                  (_CLASSES, ["income", "zip"], "public", None),
                                  (_CLASSES, ["income", "email", "age"], "confidential", None)])


def policy_unknown_and_special(remote: Remote) -> tuple[bool, str]:
    return _policy_cases(remote, [(_CLASSES, ["age", "diagnosis", "phone"], "special-category", None),
                                  (_CLASSES, ["diagnosis", "phone"], "special-category", "9(2)(a) explicit consent"),
                                  (_CLASSES, ["diagnosis"], "confidential", "9(2)(h) health care")])


def policy_hidden(remote: Remote) -> tuple[bool, str]:
    classes = {f"c{i}": lvl for i, lvl in enumerate(["public", "internal", "confidential", "special-category"] * 2)}
    requested = ["c7", "x", "c0", "c5", "c3", "c2", "c6"]
    cases = [(classes, requested, lvl, cond) for lvl in ("public", "internal", "confidential", "special-category")
             for cond in (None, "9(2)(j) research")]
    cases.append((classes, [], "public", None))
    return _policy_cases(remote, cases)


def policy_validates(remote: Remote) -> tuple[bool, str]:
    bad = ["secret", "Public", ""]
    missing = [c for c in bad if not raises(lambda c=c: remote.call("refused_columns", _CLASSES, ["age"], c, None))]
    if missing:
        return False, f"no ValueError for clearance {missing}"
    return True, "ValueError for a clearance that is not one of the four levels"


# --------------------------------------------------------------------------- gov-lineage
_EDGES = [("crm", "clean"), ("web_logs", "sessions"), ("clean", "features"), ("sessions", "features"),
          ("features", "churn_model"), ("clean", "kpi_report"), ("web_logs", "traffic_stats")]
_HOLDERS = {"crm": ["S1", "S2", "S3"], "web_logs": ["S2", "S4"]}


def _lineage_cases(remote: Remote, cases) -> tuple[bool, str]:
    from mlops_course.governance.lineage import erasure_touches

    for edges, holders, subject in cases:
        got = remote.call("erasure_touches", edges, holders, subject)
        if not isinstance(got, (list, tuple)) or not all(isinstance(v, str) for v in got):
            raise BadResult("erasure_touches should return a list of node names")
        want = erasure_touches(edges, holders, subject)
        if sorted(got) != want or len(got) != len(want):
            return False, f"erasing {subject!r} touches {want}, got {sorted(got)}"
        if list(got) != want:
            return False, f"return the names sorted: expected {want}, got {list(got)}"
    return True, "the subject's sources and everything downstream, sorted"


def lineage_downstream(remote: Remote) -> tuple[bool, str]:
    return _lineage_cases(remote, [(_EDGES, _HOLDERS, "S1"), (_EDGES, _HOLDERS, "S2")])


def lineage_untouched(remote: Remote) -> tuple[bool, str]:
    ok, msg = _lineage_cases(remote, [(_EDGES, _HOLDERS, "S4"), (_EDGES, _HOLDERS, "S9")])
    return ok, msg if not ok else "[] for a subject nobody holds; unrelated branches untouched"


def lineage_hidden(remote: Remote) -> tuple[bool, str]:
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("x", "y"), ("y", "d"), ("b", "z"), ("q", "r")]
    holders = {"a": ["u1"], "x": ["u2", "u1"], "q": ["u3"]}
    return _lineage_cases(remote, [(edges, holders, "u1"), (edges, holders, "u2"), (edges, holders, "u3")])


# --------------------------------------------------------------------------- gov-card
_KEYS = ("n", "accuracy", "selection_rate", "tpr", "fpr")


def _close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _num(value: Any, what: str) -> float:
    if type(value) is bool or type(value) not in (int, float):
        raise BadResult(f"{what} should be a number, got {value!r}")
    return float(value)


def _card_case(remote: Remote, y_true, y_pred, groups, keys: tuple[str, ...], gaps: bool) -> tuple[bool, str]:
    from mlops_course.governance.modelcard import quantitative_analysis

    got = remote.call("quantitative_analysis", np.asarray(y_true), np.asarray(y_pred), list(groups))
    want = quantitative_analysis(y_true, y_pred, groups)
    if not isinstance(got, dict) or not isinstance(got.get("groups"), dict) or not isinstance(got.get("gaps"), dict):
        raise BadResult("quantitative_analysis should return {'groups': {group: {...}}, 'gaps': {...}}")
    if sorted(got["groups"]) != sorted(want["groups"]):
        return False, f"groups should be {sorted(want['groups'])}, got {sorted(got['groups'])}"
    for g, metrics in want["groups"].items():
        mine = got["groups"][g]
        if not isinstance(mine, dict):
            raise BadResult(f"groups[{g!r}] should be a dict of metrics")
        for k in keys:
            if k not in mine:
                return False, f"groups[{g!r}] lacks {k!r}"
            if not _close(_num(mine[k], f"groups[{g!r}][{k!r}]"), metrics[k]):
                return False, f"groups[{g!r}][{k!r}] = {mine[k]!r}, expected {metrics[k]:.6g}"
    if gaps:
        for k, v in want["gaps"].items():
            if k not in got["gaps"] or not _close(_num(got["gaps"][k], f"gaps[{k!r}]"), v):
                return False, f"gaps[{k!r}] should be {v:.6g} (max − min over groups), got {got['gaps'].get(k)!r}"
    return True, "matches the reference"


_YT = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1]
_YP = [1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1]
_G = ["F", "F", "F", "F", "F", "F", "F", "M", "M", "M", "M", "M", "M", "M", "M", "M"]


def card_basic(remote: Remote) -> tuple[bool, str]:
    ok, msg = _card_case(remote, _YT, _YP, _G, ("n", "accuracy", "selection_rate"), gaps=False)
    return ok, msg if not ok else "n, accuracy and selection rate per group"


def card_rates(remote: Remote) -> tuple[bool, str]:
    ok, msg = _card_case(remote, _YT, _YP, _G, ("tpr", "fpr"), gaps=False)
    return ok, msg if not ok else "TPR = P(ŷ=1 | y=1) and FPR = P(ŷ=1 | y=0) per group"


def card_gaps(remote: Remote) -> tuple[bool, str]:
    ok, msg = _card_case(remote, _YT, _YP, _G, (), gaps=True)
    return ok, msg if not ok else "gaps are max − min over groups"


def card_hidden(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(40_401)
    groups = list(rng.choice(["a", "b", "c"], size=90))
    y_true = rng.integers(0, 2, size=90)
    y_pred = np.where(rng.random(90) < 0.8, y_true, 1 - y_true)
    for g in ("a", "b", "c"):  # every group has positives and negatives
        idx = [i for i, v in enumerate(groups) if v == g][:2]
        y_true[idx[0]], y_true[idx[1]] = 1, 0
    return _card_case(remote, y_true.tolist(), y_pred.tolist(), groups, _KEYS, gaps=True)


CHECKS: tuple[Check, ...] = (
    Check("gov-quality", "quality_summary", (
        Property("counts missing cells (absent, None or NaN)", 1.0, quality_missing,
                 "a cell is missing if the key is absent or the value is None or a NaN float"),
        Property("counts out-of-range values (bounds inclusive)", 1.0, quality_ranges,
                 "a present value v is out of range unless lo <= v <= hi"),
        Property("counts duplicate rows beyond the first; passed flag", 0.5, quality_duplicates,
                 "count a row only if an identical row came earlier; passed iff all three counts are 0"),
        Property("other tables, including a clean one", 0.5, quality_hidden,
                 "compare whole rows (all keys) for duplicates", visible=False),
    ), UNIT),
    Check("gov-policy", "refused_columns", (
        Property("refuses columns above the clearance", 1.0, policy_clearance,
                 "rank the levels public < internal < confidential < special-category"),
        Property("unknown columns; special-category needs an Art. 9(2) condition", 1.0, policy_unknown_and_special,
                 "check in order: unknown, above-clearance, special-category without a condition"),
        Property("other requests, request order kept", 0.5, policy_hidden,
                 "one entry per refused column, in the order requested", visible=False),
        Property("ValueError for an unknown clearance", 0.5, policy_validates,
                 "validate clearance before anything else"),
    ), UNIT),
    Check("gov-lineage", "erasure_touches", (
        Property("the subject's sources and everything downstream", 1.5, lineage_downstream,
                 "follow edges transitively (children of children …), from every source holding the subject"),
        Property("nothing for an unknown subject; other branches untouched", 0.5, lineage_untouched,
                 "start only from sources whose holder list contains the subject"),
        Property("a larger graph with a diamond", 1.0, lineage_hidden,
                 "a node reachable along two paths is listed once", visible=False),
    ), UNIT),
    Check("gov-card", "quantitative_analysis", (
        Property("per-group n, accuracy and selection rate", 1.0, card_basic,
                 "selection rate = mean of y_pred in the group"),
        Property("per-group TPR and FPR", 1.0, card_rates,
                 "TPR: mean of y_pred among y_true == 1; FPR: mean of y_pred among y_true == 0, per group"),
        Property("gaps = max − min over groups", 0.5, card_gaps,
                 "for accuracy, selection_rate, tpr and fpr"),
        Property("three groups, other data", 0.5, card_hidden, "the same definitions for any groups",
                 visible=False),
    ), UNIT),
)
