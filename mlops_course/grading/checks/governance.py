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

Judgment tasks, graded by what the decision does:

* ``gov-tiers`` — :func:`ai_act_tier` applies Art. 5, Art. 6(2)–(3) with Annex III, and Art. 50 of
  Regulation (EU) 2024/1689 (as abridged in the task) to a system's *facts*; the student's function must
  agree on the described systems and on 60 random fact combinations (exact, false-fail rate 0).
* ``gov-rules`` — the student fits ``{column: {lo, hi, max_missing}}`` on a clean reference sample; the
  harness's gate (:func:`batch_passes`) must let **every** clean batch through **and** reject **every**
  broken one (:func:`corrupt`: unit change ×100, −999/99 999 codes, 35 % missing). Exact limits of the
  reference reject clean batches; loose limits let breaks through.

False-fail rate of the notebook's ``gov-rules`` solution (margins of a quarter of the observed range and
10 points of missing share), for any key: clean values lie in the support [lo, hi] of a scaled Beta(2, 2);
a clean value falls outside the fitted bounds only if the reference (≥ 1 940 present values) leaves more than
10 % of the support uncovered at one end, probability ≤ 2·(1 − F(0.1))^1940 = 4e-22 per column (F the
Beta(2, 2) cdf); a clean batch of 400 rows exceeds the missing limit (≥ 0.10, true rate ≤ 0.03) with
probability ≤ P(Bin(400, 0.03) > 40) = 1.5e-11. Over the 150 column-batches graded: ≤ 3e-9 < 1e-6. Broken
batches are caught with certainty (a sentinel is always planted; ×100 moves values out of any range fitted
with these margins) except a missing spike, missed with probability < 1e-30. The other tasks are exact.

Hidden properties draw every input from :func:`~mlops_course.grading.checks.secret_rng` with the tag
``"04/<grade_id>/<property>"``.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlops_course.grading.checks import BadResult, Check, ManualQuestion, Property, Remote, raises, secret_rng

__all__ = ["CHECKS", "MANUAL", "UNIT", "ai_act_tier", "quality_sample", "corrupt", "batch_passes"]

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
        shown = "; ".join(str(r) for r in rows[:12]) + (" …" if len(rows) > 12 else "")
        return False, f"bounds {bounds}, rows: {shown} → " + "; ".join(wrong)
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
    rng = secret_rng("04/gov-quality/hidden")
    t = [round(float(v), 1) for v in rng.uniform(-10.0, 30.0, size=4)]
    clean = [{"sensor": str(rng.choice(["a", "b", "c"])), "t": t[i]} for i in range(4)]
    clean = [dict(r, n=i) for i, r in enumerate(clean)]
    ok, msg = _quality_case(remote, clean, {"t": [-40.0, 60.0]}, ("missing", "out_of_range", "duplicates", "passed"))
    if not ok:
        return False, "on a clean table: " + msg
    n = int(rng.integers(8, 14))
    rows: list[dict] = []
    for _ in range(n):
        row: dict = {"k": int(rng.integers(0, 3)), "x": float(rng.integers(-2, 10))}
        u = rng.random()
        if u < 0.15:
            row["y"] = None
        elif u < 0.25:
            row["y"] = NAN
        elif u < 0.85:
            row["y"] = round(float(rng.uniform(-0.5, 1.5)), 2)
        rows.append(row)
    plain = [r for r in rows if not (isinstance(r.get("y"), float) and math.isnan(r["y"]))]  # NaN != NaN: no dups
    plain = plain or [{"k": 0, "x": 1.0}]
    for _ in range(int(rng.integers(1, 4))):
        rows.append(dict(plain[int(rng.integers(0, len(plain)))]))
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
    rng = secret_rng("04/gov-policy/hidden")
    levels = ["public", "internal", "confidential", "special-category"]
    m = int(rng.integers(6, 11))
    classes = {f"c{i}": str(rng.choice(levels)) for i in range(m)}
    requested = [str(v) for v in rng.choice(list(classes) + ["x", "zz"], size=int(rng.integers(4, 9)), replace=False)]
    cases = [(classes, requested, lvl, cond) for lvl in levels for cond in (None, "9(2)(j) research")]
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
    rng = secret_rng("04/gov-lineage/hidden")
    nodes = [f"n{i}" for i in range(int(rng.integers(8, 13)))]
    sources = nodes[:3]  # raw sources: no parents
    edges = [(nodes[i], nodes[j]) for j in range(3, len(nodes)) for i in range(j) if rng.random() < 0.25]
    holders = {src: sorted({f"u{int(v)}" for v in rng.integers(0, 4, size=2)}) for src in sources}
    return _lineage_cases(remote, [(edges, holders, f"u{i}") for i in range(5)])


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
    rng = secret_rng("04/gov-card/hidden")
    groups = [str(v) for v in rng.choice(["a", "b", "c"], size=90)]
    y_true = rng.integers(0, 2, size=90)
    y_pred = np.where(rng.random(90) < 0.8, y_true, 1 - y_true)
    for g in ("a", "b", "c"):  # every group has positives and negatives
        idx = [i for i, v in enumerate(groups) if v == g][:2]
        y_true[idx[0]], y_true[idx[1]] = 1, 0
    return _card_case(remote, y_true.tolist(), y_pred.tolist(), groups, _KEYS, gaps=True)


# --------------------------------------------------------------------------- gov-tiers (judgment)
ANNEX_III = ("biometrics", "critical_infrastructure", "education", "employment", "essential_services",
             "law_enforcement", "migration", "justice")
OTHER_AREAS = ("marketing", "spam_filtering", "entertainment", "logistics", "customer_service")


def ai_act_tier(facts: dict) -> str:
    """The EU AI Act tier of a system from its facts (Regulation (EU) 2024/1689), as the task states it.

    1. Art. 5(1)(b), (c), (f): exploiting vulnerabilities, social scoring, or emotion recognition at work or
       in education (unless for medical or safety reasons) → ``"unacceptable"``;
    2. Art. 6(2) + Annex III (its areas; emotion recognition is Annex III 1(c)) → ``"high"``, unless the
       Art. 6(3) derogation applies (a narrow procedural task) — never when the system profiles persons;
    3. Art. 50: interacts with people, generates synthetic content, or recognises emotions → ``"limited"``;
    4. otherwise ``"minimal"``.
    """
    emotion = facts["emotion_recognition"]
    if facts["social_scoring"] or facts["exploits_vulnerabilities"]:
        return "unacceptable"
    if emotion in ("workplace", "education") and not facts["medical_or_safety"]:
        return "unacceptable"
    if (facts["annex_iii_area"] is not None or emotion is not None) and (
            facts["profiling"] or not facts["narrow_procedural_task"]):
        return "high"
    if facts["interacts_with_people"] or facts["synthetic_content"] or emotion is not None:
        return "limited"
    return "minimal"


_NO = {"social_scoring": False, "exploits_vulnerabilities": False, "emotion_recognition": None,
       "medical_or_safety": False, "annex_iii_area": None, "narrow_procedural_task": False, "profiling": False,
       "interacts_with_people": False, "synthetic_content": False}
TIER_CASES = {
    "municipal 'citizen trust score' that limits access to services": dict(_NO, social_scoring=True),
    "credit scoring of loan applicants": dict(_NO, annex_iii_area="essential_services", profiling=True),
    "CV ranking of job applicants": dict(_NO, annex_iii_area="employment", profiling=True),
    "tool that converts hand-written exam forms to text for the admissions office":
        dict(_NO, annex_iii_area="education", narrow_procedural_task=True),
    "the same tool, also ranking applicants by predicted success":
        dict(_NO, annex_iii_area="education", narrow_procedural_task=True, profiling=True),
    "call-centre software detecting agents' emotions": dict(_NO, emotion_recognition="workplace"),
    "cockpit system detecting pilot fatigue and stress": dict(_NO, emotion_recognition="workplace", medical_or_safety=True),
    "shop camera estimating shoppers' mood for advertising": dict(_NO, emotion_recognition="other"),
    "customer-service chatbot": dict(_NO, interacts_with_people=True),
    "chatbot that pre-screens job applicants": dict(_NO, annex_iii_area="employment", interacts_with_people=True,
                                                    profiling=True),
    "image generator for marketing": dict(_NO, synthetic_content=True),
    "spam filter": dict(_NO),
    "toy that nudges children to dangerous behaviour": dict(_NO, exploits_vulnerabilities=True,
                                                            interacts_with_people=True),
}


def _tier_cases(remote: Remote, cases: dict[str, dict], where: str) -> tuple[bool, str]:
    wrong = []
    for name, facts in cases.items():
        got = remote.call("ai_act_tier", facts)
        if not isinstance(got, str):
            raise BadResult(f"ai_act_tier should return a str, got {type(got).__name__}")
        want = ai_act_tier(facts)
        if got != want:
            shown = {k: v for k, v in facts.items() if v not in (False, None)}
            wrong.append(f"{name} {shown}: you said {got!r}, the Act says {want!r}")
    if wrong:
        return False, f"{where}: {len(wrong)} of {len(cases)} wrong; first: " + "; ".join(wrong[:2])
    return True, f"{where}: all {len(cases)} systems in the right tier"


def tiers_visible(remote: Remote) -> tuple[bool, str]:
    return _tier_cases(remote, TIER_CASES, "the described systems")


def tiers_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("04/gov-tiers/hidden")
    cases = {}
    for i in range(60):
        p = rng.uniform(0.05, 0.5)
        facts = {k: bool(rng.random() < p) for k in _NO if isinstance(_NO[k], bool)}
        facts["social_scoring"] = bool(rng.random() < 0.06)
        facts["exploits_vulnerabilities"] = bool(rng.random() < 0.06)
        facts["emotion_recognition"] = [None, None, None, "workplace", "education", "other"][int(rng.integers(0, 6))]
        area = rng.integers(0, len(ANNEX_III) + len(OTHER_AREAS) + 4)
        facts["annex_iii_area"] = ANNEX_III[area] if area < len(ANNEX_III) else None
        cases[f"system {i} ({(ANNEX_III + OTHER_AREAS + ('other',) * 4)[area]})"] = facts
    return _tier_cases(remote, cases, "other systems")


# --------------------------------------------------------------------------- gov-rules (judgment)
N_REFERENCE, N_BATCH = 2_000, 400


def quality_sample(rng: np.random.Generator, n: int, spec: dict[str, tuple[float, float, float]]) -> list[dict]:
    """Rows of columns ``spec[col] = (lo, hi, missing_rate)``: values lo + (hi − lo)·Beta(2, 2), rounded to 3
    decimals, missing (None) with the column's rate. The support [lo, hi] is what a good rule must cover.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the values and of the missing cells.
    n : int
        Number of rows.
    spec : dict of str to (float, float, float)
        ``column -> (lo, hi, missing_rate)`` with ``lo < hi`` and ``missing_rate`` in [0, 1].

    Returns
    -------
    list of dict
        ``n`` rows, each ``{column: float or None}`` with the columns in ``spec`` order.

    Examples
    --------
    >>> rows = quality_sample(np.random.default_rng(0), 3, {"age": (18.0, 90.0, 0.0)})
    >>> len(rows), all(18.0 <= r["age"] <= 90.0 for r in rows)
    (3, True)
    """
    cols = {c: (lo + (hi - lo) * rng.beta(2.0, 2.0, size=n)).round(3) for c, (lo, hi, _) in spec.items()}
    miss = {c: rng.random(n) < rate for c, (_, _, rate) in spec.items()}
    return [{c: (None if miss[c][i] else float(cols[c][i])) for c in spec} for i in range(n)]


def corrupt(rng: np.random.Generator, rows: list[dict], kind: str, column: str) -> list[dict]:
    """A broken batch: ``"unit"`` (column × 100: a percentage stored as a fraction, or cents as euros),
    ``"sentinel"`` (5 % of the column set to −999 or 99 999, a legacy "unknown" code), ``"missing"``
    (35 % of the column lost by a failed join).

    Parameters
    ----------
    rng : numpy.random.Generator
        Decides which cells are hit.
    rows : list of dict
        A clean batch (not modified: the rows are copied).
    kind : {"unit", "sentinel", "missing"}
        The fault to inject. A sentinel batch always gets at least one sentinel (row 0).
    column : str
        The column to corrupt; every row must have it.

    Returns
    -------
    list of dict
        The corrupted copy of ``rows``. An unknown ``kind`` returns an unchanged copy.

    Examples
    --------
    >>> corrupt(np.random.default_rng(0), [{"p": 0.5}, {"p": None}], "unit", "p")
    [{'p': 50.0}, {'p': None}]
    """
    out = [dict(r) for r in rows]
    for r in out:
        u = rng.random()
        if kind == "unit" and r[column] is not None:
            r[column] = round(r[column] * 100.0, 3)
        elif kind == "sentinel" and u < 0.05:
            r[column] = float(rng.choice([-999.0, 99_999.0]))
        elif kind == "missing" and u < 0.35:
            r[column] = None
    if kind == "sentinel" and all(r[column] not in (-999.0, 99_999.0) for r in out):
        out[0][column] = -999.0
    return out


def _rules(remote: Remote, reference: list[dict]) -> dict[str, dict[str, float]]:
    got = remote.call("fit_quality_rules", reference)
    if not isinstance(got, dict):
        raise BadResult(f"fit_quality_rules should return a dict column -> rule, got {type(got).__name__}")
    out = {}
    for col in reference[0]:
        rule = got.get(col)
        if not isinstance(rule, dict) or not {"lo", "hi", "max_missing"} <= set(rule):
            raise BadResult(f"rules[{col!r}] should be a dict with 'lo', 'hi' and 'max_missing'")
        out[col] = {k: _num(rule[k], f"rules[{col!r}][{k!r}]") for k in ("lo", "hi", "max_missing")}
    return out


def batch_passes(rules: dict[str, dict[str, float]], rows: list[dict]) -> tuple[bool, str]:
    """The harness's gate: a batch passes iff in every column the share of missing values is ≤ max_missing and
    every present value lies in [lo, hi]. Returns (passed, the first reason it failed).

    Parameters
    ----------
    rules : dict of str to dict
        ``column -> {"lo": float, "hi": float, "max_missing": float}`` (the student's rules, as
        plain data); columns are checked in this order.
    rows : list of dict
        The batch (non-empty); a row without a column counts as missing there.

    Returns
    -------
    passed : bool
        Whether every column meets its rule.
    reason : str
        ``"passed"``, or the first violation (column, missing share or an out-of-range value).

    Examples
    --------
    >>> rules = {"age": {"lo": 0.0, "hi": 120.0, "max_missing": 0.1}}
    >>> batch_passes(rules, [{"age": 30.0}, {"age": -999.0}])
    (False, "'age': 1 value(s) outside [0, 120], e.g. -999.0")
    """
    for col, rule in rules.items():
        values = [r.get(col) for r in rows]
        missing = sum(v is None for v in values) / len(rows)
        if missing > rule["max_missing"]:
            return False, f"{col!r}: {missing:.1%} missing > max_missing {rule['max_missing']:.3g}"
        outside = [v for v in values if v is not None and not rule["lo"] <= v <= rule["hi"]]
        if outside:
            return False, f"{col!r}: {len(outside)} value(s) outside [{rule['lo']:.4g}, {rule['hi']:.4g}], e.g. {outside[0]}"
    return True, "passed"


def _rules_case(remote: Remote, rng: np.random.Generator, spec: dict, clean_batches: int, where: str):
    rules = _rules(remote, quality_sample(rng, N_REFERENCE, spec))
    shown = ", ".join(f"{c}: [{r['lo']:.4g}, {r['hi']:.4g}], ≤ {r['max_missing']:.3g} missing" for c, r in rules.items())
    for b in range(clean_batches):
        ok, why = batch_passes(rules, quality_sample(rng, N_BATCH, spec))
        if not ok:
            return False, (f"{where}: your rules {{{shown}}} rejected clean batch {b + 1} of {clean_batches} "
                           f"({N_BATCH} rows from the reference's distribution): {why}")
    for kind in ("unit", "sentinel", "missing"):
        for col in spec:
            ok, _ = batch_passes(rules, corrupt(rng, quality_sample(rng, N_BATCH, spec), kind, col))
            if ok:
                return False, f"{where}: your rules {{{shown}}} let through a batch with a {kind!r} defect in {col!r}"
    return True, (f"{where}: {clean_batches} clean batches pass, {3 * len(spec)} broken ones (unit change, sentinel "
                  "codes, missing spike in each column) are caught")


def rules_visible(remote: Remote) -> tuple[bool, str]:
    spec = {"age": (18.0, 90.0, 0.01), "income_k": (8.0, 250.0, 0.03), "utilisation": (0.0, 1.0, 0.02)}
    return _rules_case(remote, np.random.default_rng(40_501), spec, 10, "loan applications")


def rules_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("04/gov-rules/hidden")
    for _ in range(2):
        spec = {}
        for c in rng.choice(["temp", "speed", "dose", "score", "weight", "ratio", "count"], size=3, replace=False):
            lo = float(rng.uniform(-50.0, 50.0))
            spec[str(c)] = (round(lo, 2), round(lo + float(rng.uniform(0.5, 200.0)), 2), float(rng.uniform(0.0, 0.03)))
        ok, msg = _rules_case(remote, rng, spec, 20, "other data")
        if not ok:
            return ok, msg
    return True, "two other datasets: every clean batch passes, every broken one is caught"


CHECKS: tuple[Check, ...] = (
    Check("gov-quality", "quality_summary", (
        Property("counts missing cells (absent, None or NaN)", 1.0, quality_missing,
                 "a value can be missing in three ways in Python data: no key, None, or a float NaN"),
        Property("counts out-of-range values (bounds inclusive)", 1.0, quality_ranges,
                 "the bounds are the allowed values themselves (inclusive)"),
        Property("counts duplicate rows beyond the first; passed flag", 0.5, quality_duplicates,
                 "the first occurrence of a row is not a duplicate; the gate passes only a table with no problem at all"),
        Property("other tables, including a clean one", 0.5, quality_hidden,
                 "two rows are duplicates only if all their keys and values agree", visible=False),
    ), UNIT),
    Check("gov-policy", "refused_columns", (
        Property("refuses columns above the clearance", 1.0, policy_clearance,
                 "the four levels are ordered: a clearance covers its own level and every level below"),
        Property("unknown columns; special-category needs an Art. 9(2) condition", 1.0, policy_unknown_and_special,
                 "each column gets the first reason that applies, in the order the policy lists them"),
        Property("other requests, request order kept", 0.5, policy_hidden,
                 "one entry per refused column, in the order requested", visible=False),
        Property("ValueError for an unknown clearance", 0.5, policy_validates,
                 "an unknown clearance is a configuration error, whatever is requested"),
    ), UNIT),
    Check("gov-lineage", "erasure_touches", (
        Property("the subject's sources and everything downstream", 1.5, lineage_downstream,
                 "influence flows along every path: what was computed from a computed table is touched too"),
        Property("nothing for an unknown subject; other branches untouched", 0.5, lineage_untouched,
                 "an erasure starts from the sources that hold the person, and only from those"),
        Property("a larger graph with a diamond", 1.0, lineage_hidden,
                 "a node reachable along two paths is listed once", visible=False),
    ), UNIT),
    Check("gov-card", "quantitative_analysis", (
        Property("per-group n, accuracy and selection rate", 1.0, card_basic,
                 "a selection rate is the share of favourable decisions in the group"),
        Property("per-group TPR and FPR", 1.0, card_rates,
                 "TPR and FPR are rates among the truly positive and the truly negative rows of each group"),
        Property("gaps = max − min over groups", 0.5, card_gaps,
                 "for accuracy, selection_rate, tpr and fpr"),
        Property("three groups, other data", 0.5, card_hidden, "the same definitions for any groups",
                 visible=False),
    ), UNIT),
    Check("gov-tiers", "ai_act_tier", (
        Property("the described systems in the right EU AI Act tier", 1.5, tiers_visible,
                 "check the prohibitions first, then Annex III with its derogation (and the exception to it), then "
                 "the transparency duties; an exception to a prohibition does not make a system harmless"),
        Property("60 other combinations of facts", 1.5, tiers_hidden,
                 "every fact can occur with every other: apply the articles in order of severity", visible=False),
    ), UNIT),
    Check("gov-rules", "fit_quality_rules", (
        Property("loan data: clean batches pass, broken batches are caught", 1.5, rules_visible,
                 "a rule fitted too tightly to the reference rejects normal variation of a new batch; one too loose "
                 "lets a unit change or a legacy code through: leave a margin that depends on the data's spread"),
        Property("two other datasets (other columns, scales and missing rates)", 1.5, rules_hidden,
                 "derive every limit from the reference you are given, per column", visible=False),
    ), UNIT),
)

MANUAL: tuple[ManualQuestion, ...] = (
    ManualQuestion("gov-q-consent", 2, UNIT, "consent and informed participation (Royal Free / DeepMind)"),
    ManualQuestion("gov-q-accountability", 2, UNIT, "accountability (Dutch childcare-benefits scandal)"),
    ManualQuestion("gov-q-misuse", 2, UNIT, "misuse and dual use (toxic-molecule generation)"),
    ManualQuestion("gov-q-impact", 2, UNIT, "long-term impact of a proxy label (Obermeyer et al.)"),
)
