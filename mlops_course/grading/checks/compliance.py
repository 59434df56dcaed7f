"""Checks of exercise 03 (GDPR and CCPA): one :class:`Check` per answer cell.

Every property calls the student's function with harness-chosen plain data and compares the
result, in the harness, with the package's reference implementation
(:mod:`mlops_course.compliance`) or with a small reference written here for the exercise's own
formats:

* ``gdpr-purpose`` — :meth:`ConsentRegister.purpose_view` (purpose limitation, minimisation);
* ``gdpr-kanon`` — :func:`kanonymity.generalise_age` / :func:`kanonymity.generalise_zip` and
  :func:`kanonymity.k_anonymity` on the exercise's joint generalisation ladder;
* ``gdpr-erasure`` — :func:`unlearning.retrain_without` with the exercise's trainer settings:
  the student's weights must equal the reference **bit for bit** (``np.array_equal``);
* ``gdpr-audit`` — the exercise's chain format ``sha256(f"{index}|{data}|{prev}")``, compared
  with :func:`reference_verify` on: an edit of each field that leaves the stored hash (caught at
  its index), an edit with that entry's hash rewritten (caught at the next entry), deletions and
  swaps, and truncation or a recomputed chain (caught only against the head);
* ``gdpr-cards`` — :func:`pii.redact` with ``style="mask"`` restricted to card numbers.

* ``gdpr-release`` (judgment: pick k from a re-identification risk bound and the generalisation
  levels of age and ZIP that meet it with the least information loss, or refuse to release) —
  every pair of levels is tried here (5 × 6) with :func:`kanonymity.k_anonymity`, and the loss is
  Sweeney's precision loss ``(a/4 + z/5)/2`` (Sweeney 2002, "Prec");
* ``gdpr-reidentify`` (judgment: run a dictionary attack on salted-hash pseudonyms and report it) —
  every claimed re-identification is verified by hashing it here, completeness against the ids the
  harness hashed itself.

Hidden properties draw every input (data, salts, risk bounds, tamperings) from
:func:`~mlops_course.grading.checks.secret_rng` with a tag ``"03/<grade_id>/<property>"``, so under a
course key (``MLOPS_COURSE_GRADING_KEY``) a table of answers recorded from the public package cannot
match them.

No property is statistical: all are exact and deterministic (false-fail rate 0 for any key).
"""
from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np

from mlops_course.grading.checks import (
    BadResult,
    Check,
    ManualQuestion,
    Property,
    Remote,
    as_array,
    as_float,
    raises,
    secret_rng,
)

__all__ = ["CHECKS", "MANUAL", "UNIT", "reference_release", "precision_loss", "ID_DIGITS", "AGE_WIDTHS", "ZIP_STARS", "EPOCHS", "LR", "L2", "chain_hash", "reference_chain",
           "reference_verify", "reference_k_anonymise", "reference_mask_cards", "reference_purpose_view"]

UNIT = "03_gdpr_ccpa"
#: joint generalisation ladder of the exercise: level L → age band width and ZIP digits starred
AGE_LEVELS = (0, 1, 2, 3, 4)          # levels of kanonymity.generalise_age (widths 1, 5, 10, 20, *)
AGE_WIDTHS = (1, 5, 10, 20, None)
ZIP_STARS = (0, 1, 2, 3, 5)           # trailing ZIP digits replaced by "*"
EPOCHS, LR, L2 = 200, 0.5, 1e-3       # the exercise's given `train`
GENESIS = "0" * 64
_T = datetime(2024, 1, 1, tzinfo=UTC)


def _tag(grade_id: str, prop: str) -> str:
    return f"03/{grade_id}/{prop}"


# --------------------------------------------------------------------------- gdpr-purpose
def reference_purpose_view(rows: list[dict], purpose: str, purposes: dict[str, list[str]],
                           consents: dict[str, list[str]]) -> list[dict]:
    """The package's register on the exercise's plain inputs (every purpose based on consent).

    Builds a :class:`~mlops_course.compliance.register.ConsentRegister` in which every purpose
    has the legal basis "consent", records each subject's consents (purposes not declared are
    ignored) and returns :meth:`~mlops_course.compliance.register.ConsentRegister.purpose_view`.

    Parameters
    ----------
    rows : list of dict
        The full table; each row has a ``"subject_id"`` key.
    purpose : str
        The purpose asking for data.
    purposes : dict of str to list of str
        ``purpose -> columns it declared`` (in order).
    consents : dict of str to list of str
        ``subject_id -> purposes the subject consented to``; a subject missing here consented
        to nothing.

    Returns
    -------
    list of dict
        Rows of the subjects who consented to ``purpose``, in their original order, holding only
        the purpose's declared columns in declared order (purpose limitation and data
        minimisation, GDPR Art. 5(1)(b)-(c)).

    Raises
    ------
    PurposeError
        (a ``PermissionError``) if ``purpose`` is not a key of ``purposes``.

    Examples
    --------
    >>> rows = [{"subject_id": "A", "email": "a@x", "age": 30}, {"subject_id": "B", "email": "b@x", "age": 40}]
    >>> reference_purpose_view(rows, "news", {"news": ["email"]}, {"B": ["news"]})
    [{'email': 'b@x'}]
    """
    from mlops_course.compliance.register import ConsentRegister, Purpose

    register = ConsentRegister([Purpose(name, tuple(cols), "consent") for name, cols in purposes.items()])
    for subject, given in consents.items():
        for p in given:
            if p in purposes:
                register.give(subject, p, at=_T)
    return register.purpose_view(rows, purpose, at=_T)


def _rows_of(value: Any, what: str) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise BadResult(f"{what} should be a list of dicts (one per row)")
    return value


_PEOPLE = [
    {"subject_id": "S1", "name": "Alice Berg", "email": "alice@example.org", "age": 34, "income": 41.5},
    {"subject_id": "S2", "name": "Bruno Xu", "email": "bruno@example.org", "age": 51, "income": 62.0},
    {"subject_id": "S3", "name": "Chiara Rossi", "email": "chiara@example.org", "age": 28, "income": 35.2},
    {"subject_id": "S4", "name": "Deepak Weber", "email": "deepak@example.org", "age": 45, "income": 58.9},
]
_PURPOSES = {"newsletter": ["email"], "credit": ["subject_id", "income", "age"], "survey": ["name", "age"]}
_CONSENTS = {"S1": ["newsletter", "credit"], "S2": ["credit"], "S3": [], "S4": ["newsletter", "survey", "credit"]}


def _purpose_case(remote: Remote, rows: list[dict], purpose: str, purposes: dict, consents: dict,
                  aspect: str) -> tuple[bool, str]:
    got = _rows_of(remote.call("purpose_view", rows, purpose, purposes, consents), f"purpose_view(..., {purpose!r})")
    want = reference_purpose_view(rows, purpose, purposes, consents)
    if aspect == "subjects":  # judged on the declared columns only, so minimisation is graded separately
        if len(got) != len(want):
            return False, (f"for purpose {purpose!r} with consents {consents}: {len(want)} subjects consented "
                           f"({[r.get('subject_id', '?') for r in want] if 'subject_id' in purposes[purpose] else ''}), "
                           f"your view has {len(got)} rows")
        if [{c: r.get(c) for c in w} for r, w in zip(got, want, strict=True)] != want:
            return False, f"for purpose {purpose!r} the rows are not the consenting subjects' rows in original order"
        return True, "only subjects who consented to the purpose"
    if [list(r) for r in got] != [list(r) for r in want] or got != want:
        shown = [list(r) for r in got[:1]]
        return False, (f"for purpose {purpose!r} (declared columns {purposes[purpose]}) your first row has the "
                       f"columns {shown[0] if shown else '—'}: a purpose may see exactly what it declared, no more, "
                       "in the declared order")
    return True, "only the declared columns, in declared order"


def purpose_subjects(remote: Remote) -> tuple[bool, str]:
    for purpose in ("newsletter", "credit"):
        ok, msg = _purpose_case(remote, _PEOPLE, purpose, _PURPOSES, _CONSENTS, "subjects")
        if not ok:
            return ok, msg
    return True, "only subjects who consented to the purpose, in the original order"


def purpose_columns(remote: Remote) -> tuple[bool, str]:
    for purpose in ("credit", "survey"):
        ok, msg = _purpose_case(remote, _PEOPLE, purpose, _PURPOSES, _CONSENTS, "columns")
        if not ok:
            return ok, msg
    return True, "only the declared columns, in declared order (data minimisation)"


def purpose_hidden(remote: Remote) -> tuple[bool, str]:
    g = secret_rng(_tag("gdpr-purpose", "hidden"))
    n = int(g.integers(6, 15))
    rows = [{"subject_id": f"T{i}", "zip": f"{int(g.integers(0, 100_000)):05d}", "score": round(float(g.random()), 3),
             "email": f"t{i}@example.com"} for i in range(n)]
    purposes = {"ads": [str(c) for c in g.permutation(["zip", "email"])], "research": ["score"]}
    consents = {f"T{i}": [str(p) for p in g.choice(["ads", "research", "unknown"], size=int(g.integers(0, 3)),
                                                    replace=False)]
                for i in range(n) if g.random() < 0.7}  # the others are absent from consents
    for purpose in ("ads", "research"):
        ok, msg = _purpose_case(remote, rows, purpose, purposes, consents, "columns")
        if not ok:
            return False, "other inputs (subjects missing from consents must be excluded): " + msg
    return True, "other inputs, including subjects absent from the consent table"


def purpose_validates(remote: Remote) -> tuple[bool, str]:
    if not raises(lambda: remote.call("purpose_view", _PEOPLE, "profiling", _PURPOSES, _CONSENTS)):
        return False, "an undeclared purpose should raise ValueError (purpose limitation)"
    return True, "ValueError for an undeclared purpose"


# --------------------------------------------------------------------------- gdpr-kanon
def _labels(age: int, zipcode: str, level: int) -> tuple[str, str]:
    from mlops_course.compliance.kanonymity import generalise_age, generalise_zip

    return generalise_age(age, AGE_LEVELS[level]), generalise_zip(zipcode, ZIP_STARS[level])


def reference_k_anonymise(ages: list[int], zips: list[str], k: int) -> dict[str, Any]:
    """Smallest level of the joint ladder whose generalised (age, zip) table is k-anonymous.

    Level ``L`` of the joint ladder generalises ages with
    :func:`~mlops_course.compliance.kanonymity.generalise_age` at ``AGE_LEVELS[L]`` (band widths
    1, 5, 10, 20, then ``"*"``) and ZIP codes with
    :func:`~mlops_course.compliance.kanonymity.generalise_zip` starring ``ZIP_STARS[L]`` trailing
    digits (0, 1, 2, 3, 5). The top level suppresses both, so some level always works.

    Parameters
    ----------
    ages : list of int
        Ages (>= 0), one per row.
    zips : list of str
        ZIP codes (strings of digits), one per row; same length as ``ages``.
    k : int
        Required k: every (age, ZIP) equivalence class must have >= k rows; ``1 <= k <= len(ages)``.

    Returns
    -------
    dict
        ``{"level": L, "k": achieved k (size of the smallest class), "rows": [[age label, zip
        label], ...]}`` for the smallest sufficient ``L``.

    Raises
    ------
    ValueError
        If ``k`` is not in ``[1, len(ages)]``, ``zips`` and ``ages`` differ in length, or an age
        or ZIP code is invalid.

    Examples
    --------
    >>> reference_k_anonymise([23, 27, 41], ["02139", "02138", "02141"], 2)["level"]
    4
    """
    from mlops_course.compliance.kanonymity import k_anonymity

    if not 1 <= k <= len(ages):
        raise ValueError(f"k must be in [1, {len(ages)}], got {k}")
    for level in range(len(AGE_LEVELS)):
        rows = [_labels(a, z, level) for a, z in zip(ages, zips, strict=True)]
        achieved = k_anonymity([{"age": a, "zip": z} for a, z in rows], ["age", "zip"])
        if achieved >= k:
            return {"level": level, "k": achieved, "rows": [list(r) for r in rows]}
    raise AssertionError("unreachable: the top level is fully suppressed")  # pragma: no cover


_AGES = [23, 27, 25, 41, 44, 48, 36, 33, 62, 67, 65, 29]
_ZIPS = ["02139", "02138", "02139", "02141", "02141", "02142", "02139", "02138", "94107", "94107", "94110", "02139"]


def _kanon(remote: Remote, ages: list[int], zips: list[str], k: int, fields: tuple[str, ...]) -> tuple[bool, str]:
    got = remote.call("k_anonymise", ages, zips, k)
    if not isinstance(got, dict) or not {"level", "k", "rows"} <= set(got):
        raise BadResult("k_anonymise should return a dict with keys 'level', 'k' and 'rows'")
    want = reference_k_anonymise(ages, zips, k)
    if "level" in fields and got["level"] != want["level"]:
        return False, (f"for ages {ages[:6]}… and ZIPs {zips[:4]}… ({len(ages)} rows) with k = {k}: level "
                       f"{got['level']!r} is not the smallest level at which every (age, ZIP) group has >= {k} rows "
                       f"(that is level {want['level']})")
    if "rows" in fields:
        rows = got["rows"]
        if not isinstance(rows, list) or [list(r) if isinstance(r, (list, tuple)) else r for r in rows] != want["rows"]:
            return False, (f"generalised rows differ at level {want['level']}: expected e.g. {want['rows'][0]}, "
                           f"got {rows[0] if isinstance(rows, list) and rows else rows!r}")
    if "k" in fields and got["k"] != want["k"]:
        return False, f"the achieved k (smallest class) is {want['k']}, got {got['k']!r}"
    return True, "matches the reference generalisation"


def kanon_level_rows(remote: Remote) -> tuple[bool, str]:
    for k in (2, 3):
        ok, msg = _kanon(remote, _AGES, _ZIPS, k, ("level", "rows"))
        if not ok:
            return ok, msg
    return True, "smallest sufficient level and its generalised rows"


def kanon_k(remote: Remote) -> tuple[bool, str]:
    return _kanon(remote, _AGES, _ZIPS, 2, ("k",))


def kanon_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng(_tag("gdpr-kanon", "hidden"))
    ages = [int(a) for a in rng.integers(18, 90, size=40)]
    zips = [str(rng.choice(["100", "606", "941"])) + f"{int(rng.integers(0, 100)):02d}" for _ in range(40)]
    for k in (1, 4, 10, 40):
        ok, msg = _kanon(remote, ages, zips, k, ("level", "rows", "k"))
        if not ok:
            return False, "other inputs: " + msg
    return True, "other inputs, k from 1 to n"


def kanon_validates(remote: Remote) -> tuple[bool, str]:
    bad = [k for k in (0, len(_AGES) + 1) if not raises(lambda k=k: remote.call("k_anonymise", _AGES, _ZIPS, k))]
    if bad:
        return False, f"no ValueError for k = {bad}"
    return True, "ValueError when k is not in [1, n]"


# --------------------------------------------------------------------------- gdpr-release
AGE_HEIGHT, ZIP_HEIGHT = 4, 5  # top levels of the two hierarchies (fully suppressed)


def precision_loss(age_level: int, zip_level: int) -> float:
    """Sweeney's precision loss of a full-domain generalisation: mean over attributes of level / height.

    Formula (Sweeney 2002, "Prec" with loss = 1 − Prec): ``loss = (a / 4 + z / 5) / 2`` for age
    level ``a`` of a 4-level hierarchy and ZIP level ``z`` (digits starred) of a 5-level one;
    0 keeps everything, 1 suppresses everything.

    Parameters
    ----------
    age_level : int
        Age generalisation level, ``0..4`` (see ``generalise_age``).
    zip_level : int
        Number of trailing ZIP digits starred, ``0..5``.

    Returns
    -------
    float
        The loss in [0, 1] (not validated: levels outside the ranges give values outside it).

    Examples
    --------
    >>> precision_loss(2, 1)
    0.35
    """
    return (age_level / AGE_HEIGHT + zip_level / ZIP_HEIGHT) / 2.0


def _required_k(max_risk: float) -> int:
    """Smallest k with 1/k <= max_risk (the prosecutor risk of a class of size k is 1/k)."""
    k = max(1, math.ceil(1.0 / max_risk))
    while k > 1 and 1.0 / (k - 1) <= max_risk:
        k -= 1
    while 1.0 / k > max_risk:
        k += 1
    return k


def _achieved_k(ages: list[int], zips: list[str], a: int, z: int) -> int:
    from mlops_course.compliance.kanonymity import generalise_age, generalise_zip, k_anonymity

    rows = [{"age": generalise_age(x, a), "zip": generalise_zip(y, z)} for x, y in zip(ages, zips, strict=True)]
    return k_anonymity(rows, ["age", "zip"])


def reference_release(ages: list[int], zips: list[str], max_risk: float, max_loss: float) -> dict[str, Any] | None:
    """The least-loss (age level, ZIP level) whose classes all have >= k rows, or None if its loss > max_loss.

    ``k`` is the smallest integer with prosecutor risk ``1/k <= max_risk``. All 5 × 6 pairs of
    levels are tried; among those whose generalised table is k-anonymous the one with the least
    :func:`precision_loss` wins (ties: the lower age level, then the lower ZIP level). Full
    suppression is always k-anonymous when ``k <= len(ages)``.

    Parameters
    ----------
    ages : list of int
        Ages, one per row.
    zips : list of str
        ZIP codes (5 digits), one per row.
    max_risk : float
        Largest acceptable re-identification risk, in (0, 1].
    max_loss : float
        Largest acceptable precision loss, in [0, 1]; above it the table must not be released.

    Returns
    -------
    dict or None
        ``{"k", "age_level", "zip_level", "loss"}`` of the plan, or ``None`` (refuse to release)
        when even the best plan loses more than ``max_loss`` (up to 1e-12).

    Raises
    ------
    ValueError
        If no pair of levels reaches the required k (``k > len(ages)``, so ``min`` gets an
        empty sequence). ``max_risk <= 0`` raises ``ZeroDivisionError`` (the harness never
        passes it).

    Examples
    --------
    >>> reference_release([30, 31, 32, 33], ["02139", "02138", "02139", "02138"], 0.5, 0.5)
    {'k': 2, 'age_level': 1, 'zip_level': 0, 'loss': 0.125}
    """
    k = _required_k(max_risk)
    feasible = [(precision_loss(a, z), a, z) for a in range(AGE_HEIGHT + 1) for z in range(ZIP_HEIGHT + 1)
                if _achieved_k(ages, zips, a, z) >= k]
    loss, a, z = min(feasible)
    if loss > max_loss + 1e-12:
        return None
    return {"k": k, "age_level": a, "zip_level": z, "loss": loss}


def _release_people(g: np.random.Generator, n: int) -> tuple[list[int], list[str]]:
    """A customer table: adult ages, ZIP codes of two towns (the first three digits)."""
    towns = [f"{int(t):03d}" for t in g.choice(1000, size=2, replace=False)]
    ages = [int(a) for a in g.integers(20, 70, size=n)]
    zips = [str(g.choice(towns)) + f"{int(g.integers(0, 100)):02d}" for _ in range(n)]
    return ages, zips


def _release_report(result: object) -> dict[str, Any] | None:
    if result is None:
        return None
    if not isinstance(result, dict) or not {"k", "age_level", "zip_level", "loss"} <= set(result):
        raise BadResult("release_plan should return None or a dict with keys 'k', 'age_level', 'zip_level', 'loss'")
    out = dict(result)
    for key in ("k", "age_level", "zip_level"):
        if type(out[key]) is not int:
            raise BadResult(f"{key!r} should be an int, got {type(out[key]).__name__}")
    out["loss"] = as_float(out["loss"], "'loss'")
    return out


def _release_case(remote: Remote, ages: list[int], zips: list[str], max_risk: float, max_loss: float,
                  aspect: str, show: bool = True) -> tuple[bool, str]:
    got = _release_report(remote.call("release_plan", ages, zips, max_risk, max_loss))
    want = reference_release(ages, zips, max_risk, max_loss)
    k = _required_k(max_risk)
    where = (f"for {len(ages)} people (ages {ages[:5]}…, ZIPs {zips[:3]}…) with max_risk = {max_risk:g} and "
             f"max_loss = {max_loss:g}: " if show else "")
    if got is None:
        if want is None:
            return True, "no generalisation meets both targets: nothing released"
        return False, (f"{where}you refused to release, but levels (age {want['age_level']}, ZIP "
                       f"{want['zip_level']}) have every class >= {k} rows and loss {want['loss']:.3f} <= {max_loss:g}")
    if not (0 <= got["age_level"] <= AGE_HEIGHT and 0 <= got["zip_level"] <= ZIP_HEIGHT):
        return False, f"{where}levels must be age 0–{AGE_HEIGHT} and ZIP 0–{ZIP_HEIGHT}, got {got}"
    if got["k"] != k:
        return False, (f"{where}a risk bound of {max_risk:g} needs classes of at least k = {k} rows (a class of "
                       f"size k re-identifies a person with probability 1/k), you reported k = {got['k']}")
    achieved = _achieved_k(ages, zips, got["age_level"], got["zip_level"])
    if achieved < k:
        return False, (f"{where}at age level {got['age_level']} and ZIP level {got['zip_level']} the smallest "
                       f"class has {achieved} rows: someone is re-identified with probability 1/{achieved} > "
                       f"{max_risk:g}")
    loss = precision_loss(got["age_level"], got["zip_level"])
    if abs(got["loss"] - loss) > 1e-9:
        return False, f"{where}the loss of those levels is {loss:.4g}, you reported {got['loss']:.4g}"
    if want is None:
        return False, (f"{where}your release loses {loss:.3f} of the precision, more than the utility target "
                       f"{max_loss:g} allows, and no generalisation meets both targets: the answer is not to release")
    if aspect == "safe":
        return True, f"classes >= {k} rows at age level {got['age_level']}, ZIP level {got['zip_level']}"
    if loss > want["loss"] + 1e-12:
        return False, (f"{where}your levels lose {loss:.3f} of the precision; levels (age {want['age_level']}, ZIP "
                       f"{want['zip_level']}) are also safe and lose only {want['loss']:.3f}")
    return True, f"the most useful safe release (loss {loss:.3f})"


_REL_AGES, _REL_ZIPS = _release_people(np.random.default_rng(30_601), 200)


def release_safe(remote: Remote) -> tuple[bool, str]:
    return _release_case(remote, _REL_AGES, _REL_ZIPS, 0.2, 0.8, "safe")


def release_best(remote: Remote) -> tuple[bool, str]:
    for risk in (0.2, 0.09):
        ok, msg = _release_case(remote, _REL_AGES, _REL_ZIPS, risk, 0.8, "best")
        if not ok:
            return ok, msg
    return True, "the least information loss among the safe generalisations"


def release_refuse(remote: Remote) -> tuple[bool, str]:
    want = reference_release(_REL_AGES, _REL_ZIPS, 0.09, 1.0)
    assert want is not None
    return _release_case(remote, _REL_AGES, _REL_ZIPS, 0.09, want["loss"] - 0.05, "best")


def release_hidden(remote: Remote) -> tuple[bool, str]:
    g = secret_rng(_tag("gdpr-release", "hidden"))
    ages, zips = _release_people(g, int(g.integers(150, 300)))
    for _ in range(3):
        k = int(g.integers(2, 9))
        risk = round(0.7 / k + 0.3 / (k - 1), 4)  # strictly between 1/k and 1/(k-1): k is needed
        best = reference_release(ages, zips, risk, 1.0)
        max_loss = round(best["loss"] + float(g.choice([-0.04, 0.02, 0.1])), 4)
        ok, msg = _release_case(remote, ages, zips, risk, max_loss, "best", show=False)
        if not ok:
            return ok, msg
    return True, "other tables, risk bounds and utility targets"


# --------------------------------------------------------------------------- gdpr-reidentify
ID_DIGITS = 5  # customer ids are "C" followed by 5 digits


def _pseudonym(salt: str, customer_id: str) -> str:
    return hashlib.sha256((salt + customer_id).encode()).hexdigest()


def _pseudonym_case(g: np.random.Generator, n: int) -> tuple[list[str], str, dict[str, str]]:
    """n pseudonyms: most sha256(salt + id) of valid ids, some keyed (HMAC) or of ids outside the format."""
    import hmac

    salt = "".join(str(c) for c in g.choice(list("abcdef0123456789"), size=16))
    truth: dict[str, str] = {}
    out = []
    for _ in range(n):
        cid = f"C{int(g.integers(0, 10**ID_DIGITS)):0{ID_DIGITS}d}"
        kind = g.random()
        if kind < 0.7:
            h = _pseudonym(salt, cid)
            truth[h] = cid
        elif kind < 0.85:  # keyed with a secret the analyst does not have
            h = hmac.new(g.bytes(32), cid.encode(), hashlib.sha256).hexdigest()
        else:  # an id from another system (6 digits): not in the searched space
            h = _pseudonym(salt, f"C{int(g.integers(0, 10**6)):06d}")
        out.append(h)
    return out, salt, truth


def _reid_report(result: object) -> tuple[dict[str, str], float]:
    if not isinstance(result, dict) or not {"ids", "rate"} <= set(result):
        raise BadResult("reidentify should return a dict with keys 'ids' and 'rate'")
    ids = result["ids"]
    if not isinstance(ids, dict) or not all(isinstance(v, str) for v in ids.values()):
        raise BadResult("'ids' should map each re-identified pseudonym to its customer id (a str)")
    return ids, as_float(result["rate"], "'rate'")


def _reid_case(remote: Remote, pseudonyms: list[str], salt: str, truth: dict[str, str], aspect: str,
               show: bool = True) -> tuple[bool, str]:
    ids, rate = _reid_report(remote.call("reidentify", pseudonyms, salt))
    where = f"for {len(pseudonyms)} pseudonyms with salt {salt!r}: " if show else ""
    wrong = [h for h, cid in ids.items() if h not in pseudonyms or _pseudonym(salt, cid) != h]
    if wrong:
        return False, (f"{where}{len(wrong)} claimed re-identifications do not hash to their pseudonym (e.g. "
                       f"{ids[wrong[0]]!r}): a report must contain only what you verified")
    missed = [h for h in truth if h not in ids]
    if aspect == "rate":
        want = len(ids) / len(pseudonyms)
        if abs(rate - want) > 1e-9:
            return False, (f"{where}you re-identified {len(ids)} of {len(pseudonyms)} pseudonyms, so the rate is "
                           f"{want:.4g}, you reported {rate:.4g}")
        return True, f"rate {rate:.3f} reported"
    if missed:
        return False, (f"{where}{len(missed)} of the {len(truth)} pseudonyms of ids in the stated format were not "
                       f"re-identified (e.g. {truth[missed[0]]!r}): the id space is small enough to try every id")
    return True, f"all {len(truth)} re-identifiable pseudonyms found, nothing invented"


def reid_complete(remote: Remote) -> tuple[bool, str]:
    return _reid_case(remote, *_pseudonym_case(np.random.default_rng(30_701), 30), "complete")


def reid_rate(remote: Remote) -> tuple[bool, str]:
    return _reid_case(remote, *_pseudonym_case(np.random.default_rng(30_702), 20), "rate")


def reid_hidden(remote: Remote) -> tuple[bool, str]:
    g = secret_rng(_tag("gdpr-reidentify", "hidden"))
    case = _pseudonym_case(g, int(g.integers(15, 40)))
    for aspect in ("complete", "rate"):
        ok, msg = _reid_case(remote, *case, aspect, show=False)
        if not ok:
            return ok, msg
    return True, "another salt and other customers"


# --------------------------------------------------------------------------- gdpr-erasure
def _erasure_data(seed: int, n: int, owners: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n, 3)), 3)
    y = (X @ np.array([1.0, -2.0, 0.5]) + rng.logistic(size=n) > 0).astype(np.int64)
    ids = [f"S{int(i):03d}" for i in rng.integers(0, owners, size=n)]
    return X, y, ids


def _erasure(remote: Remote, X: np.ndarray, y: np.ndarray, ids: list[str], subject: str,
             aspect: str) -> tuple[bool, str]:
    from mlops_course.compliance.unlearning import retrain_without

    got = remote.call("erase_subject", X, y, ids, subject)
    if not isinstance(got, dict) or not {"X", "y", "subject_ids", "weights"} <= set(got):
        raise BadResult("erase_subject should return a dict with keys 'X', 'y', 'subject_ids', 'weights'")
    Xk, yk, kept, w = retrain_without(X, y, ids, subject, epochs=EPOCHS, lr=LR, l2=L2)
    if aspect == "data":
        gx = as_array(got["X"], Xk.shape, "the returned X")
        gy = as_array(got["y"], yk.shape, "the returned y")
        if not (np.array_equal(gx, Xk) and np.array_equal(gy, yk) and list(got["subject_ids"]) == kept):
            return False, f"erasing {subject} should remove exactly its {len(ids) - len(kept)} row(s), keeping the order"
        return True, "every row of the subject removed, the rest kept in order"
    gw = as_array(got["weights"], w.shape, "the returned weights")
    if not np.array_equal(gw, w):
        diff = float(np.max(np.abs(gw - w)))
        return False, f"the weights differ from a model trained without {subject} (max difference {diff:.3g})"
    return True, "the model equals, bit for bit, one trained without the subject"


def erasure_data(remote: Remote) -> tuple[bool, str]:
    X, y, ids = _erasure_data(30_401, 40, 40)
    return _erasure(remote, X, y, ids, ids[7], "data")


def erasure_model(remote: Remote) -> tuple[bool, str]:
    X, y, ids = _erasure_data(30_401, 40, 40)
    return _erasure(remote, X, y, ids, ids[7], "model")


def erasure_hidden(remote: Remote) -> tuple[bool, str]:
    g = secret_rng(_tag("gdpr-erasure", "hidden"))
    X, y, ids = _erasure_data(int(g.integers(2**62)), int(g.integers(40, 80)), 12)  # subjects own several rows
    subject = max(set(ids), key=ids.count)
    for aspect in ("data", "model"):
        ok, msg = _erasure(remote, X, y, ids, subject, aspect)
        if not ok:
            return False, f"a subject with {ids.count(subject)} rows: " + msg
    return True, "a subject owning several rows"


def erasure_validates(remote: Remote) -> tuple[bool, str]:
    X, y, ids = _erasure_data(30_401, 40, 40)
    if not raises(lambda: remote.call("erase_subject", X, y, ids, "S999")):
        return False, "erasing a subject that is not in the data should raise ValueError"
    return True, "ValueError for an unknown subject"


# --------------------------------------------------------------------------- gdpr-audit
def chain_hash(index: int, data: str, prev: str) -> str:
    """The exercise's entry hash: ``sha256(f"{index}|{data}|{prev}")`` as hex.

    Parameters
    ----------
    index : int
        Position of the entry in the chain (0 for the first).
    data : str
        The logged event.
    prev : str
        Hash of the previous entry (64 hex digits; ``"0" * 64`` for the first entry).

    Returns
    -------
    str
        The 64-character lowercase hex SHA-256 digest of the UTF-8 text.

    Examples
    --------
    >>> chain_hash(0, "erasure S3", "0" * 64)[:16]
    '6a9d7e71ea8f1204'
    """
    return hashlib.sha256(f"{index}|{data}|{prev}".encode()).hexdigest()


def reference_chain(data: list[str]) -> list[dict[str, Any]]:
    """A valid chain over ``data``."""
    entries, prev = [], GENESIS
    for i, d in enumerate(data):
        h = chain_hash(i, d, prev)
        entries.append({"index": i, "data": d, "prev": prev, "hash": h})
        prev = h
    return entries


def reference_verify(entries: list[dict[str, Any]], head: str) -> int | None:
    """First broken entry; ``len(entries)`` if the links hold but the head differs; else None.

    Entry ``i`` is broken if its ``index`` is not ``i``, its ``prev`` is not the previous
    entry's ``hash`` (``"0" * 64`` for entry 0) or its ``hash`` is not :func:`chain_hash` of its
    own fields. A chain whose links all hold can still have been truncated or recomputed: only
    the separately kept ``head`` reveals that.

    Parameters
    ----------
    entries : list of dict
        Chain entries with keys ``"index"``, ``"data"``, ``"prev"`` and ``"hash"``.
    head : str
        The hash of the last entry, as kept apart from the log.

    Returns
    -------
    int or None
        Index of the first broken entry; ``len(entries)`` if every link holds but the last hash
        is not ``head``; ``None`` if the chain is intact.

    Examples
    --------
    >>> chain = reference_chain(["a", "b", "c"])
    >>> reference_verify(chain, chain[-1]["hash"]) is None
    True
    >>> reference_verify(chain[:1] + chain[2:], chain[-1]["hash"])
    1
    >>> reference_verify(chain[:-1], chain[-1]["hash"])
    2
    """
    prev = GENESIS
    for i, e in enumerate(entries):
        if e.get("index") != i or e.get("prev") != prev or e.get("hash") != chain_hash(e["index"], e["data"], e["prev"]):
            return i
        prev = e["hash"]
    return len(entries) if prev != head else None


_EVENTS = ["access credit S1", "decision credit S1 adverse", "consent S2 newsletter", "erasure S3",
           "export sale 412 rows", "access research S4", "withdraw S2 newsletter", "decision credit S5 ok"]


def _verify_call(remote: Remote, entries: list[dict], head: str) -> int | None:
    got = remote.call("verify_chain", entries, head)
    if got is not None and type(got) is not int:
        raise BadResult(f"verify_chain should return None or an int index, got {type(got).__name__}")
    return got


def _audit_cases(kind: str, events: list[str] | None = None) -> list[tuple[str, list[dict], str]]:
    _EVENTS = events or globals()["_EVENTS"]  # noqa: N806 - the default events, or the hidden ones
    chain = reference_chain(_EVENTS)
    head = chain[-1]["hash"]
    cases = []
    if kind == "edits":
        for i in range(len(chain)):
            for field, new in (("data", chain[i]["data"] + "!"), ("prev", "f" * 64), ("hash", "e" * 64),
                               ("index", i + 1)):
                tampered = [dict(e) for e in chain]
                tampered[i][field] = new
                cases.append((f"entry {i}'s {field!r} edited", tampered, head))
    elif kind == "structure":
        for i in range(len(chain) - 1):
            cases.append((f"entry {i} deleted", chain[:i] + chain[i + 1:], head))
            cases.append((f"entries {i} and {i + 1} swapped", chain[:i] + [chain[i + 1], chain[i]] + chain[i + 2:], head))
        rewritten = reference_chain(_EVENTS[:3] + ["erasure S9"] + _EVENTS[4:])
        cases.append(("the whole chain recomputed after an edit", rewritten, head))
        cases.append(("an edited entry with its own hash recomputed", chain[:2] + [
            {**chain[2], "data": "consent S2 all", "hash": chain_hash(2, "consent S2 all", chain[2]["prev"])}
        ] + chain[3:], head))
    else:  # tail
        cases.append(("the last entry cut off", chain[:-1], head))
        cases.append(("the last two entries cut off", chain[:-2], head))
        last = len(chain) - 1
        cases.append(("the last entry edited with its own hash recomputed", chain[:-1] + [
            {**chain[-1], "data": "decision credit S5 adverse",
             "hash": chain_hash(last, "decision credit S5 adverse", chain[-1]["prev"])}], head))
    return cases


def _audit(remote: Remote, kind: str, events: list[str] | None = None) -> tuple[bool, str]:
    for label, entries, head in _audit_cases(kind, events):
        want = reference_verify(entries, head)
        got = _verify_call(remote, entries, head)
        if got != want:
            where = "" if events else f" (a chain of {len(entries)} entries over the events {_EVENTS[:3]}…)"
            return False, (f"{label}{where}: the first entry that no longer matches is {want}, "
                           f"your verify_chain returned {got!r}")
    return True, "all tamperings reported at the right index"


def audit_intact(remote: Remote) -> tuple[bool, str]:
    for data in (_EVENTS, _EVENTS[:1]):
        chain = reference_chain(data)
        got = _verify_call(remote, chain, chain[-1]["hash"])
        if got is not None:
            return False, f"an intact chain of {len(chain)} entries should give None, got {got!r}"
    if _verify_call(remote, [], GENESIS) is not None:
        return False, "an empty log with head = '0' * 64 should give None"
    return True, "an intact chain verifies"


def audit_edits(remote: Remote) -> tuple[bool, str]:
    return _audit(remote, "edits")


def audit_tail(remote: Remote) -> tuple[bool, str]:
    return _audit(remote, "tail")


def audit_structure_hidden(remote: Remote) -> tuple[bool, str]:
    g = secret_rng(_tag("gdpr-audit", "structure"))
    verbs = ("access", "consent", "erasure", "export", "decision", "withdraw")
    events = [f"{g.choice(verbs)} S{int(g.integers(1, 100))} {int(g.integers(0, 10**6))}"
              for _ in range(int(g.integers(5, 12)))]
    return _audit(remote, "structure", events)


# --------------------------------------------------------------------------- gdpr-cards
def reference_mask_cards(text: str) -> str:
    """The package's detector and masking, restricted to card numbers."""
    from mlops_course.compliance.pii import redact

    return redact(text, ["card"], style="mask")


_CARD_TEXTS = [
    "Paid with 4111 1111 1111 1111 on Monday.",
    "Cards on file: 5555-5555-5555-4444 and 378282246310005; nothing else.",
    "Order 4111 1111 1111 1112 was cancelled (not a card: the Luhn check fails).",
    "Call +44 20 7946 0958 or quote ticket 2024-05-17-0042.",
]


def _cards(remote: Remote, texts: list[str], show: bool = True) -> tuple[bool, str]:
    for text in texts:
        got = remote.call("mask_cards", text)
        if not isinstance(got, str):
            raise BadResult(f"mask_cards should return a str, got {type(got).__name__}")
        want = reference_mask_cards(text)
        if got != want:
            if not show:
                return False, "a text with card numbers or card-like numbers was masked differently"
            return False, (f"mask_cards({text!r}) returned {got!r}; a Luhn-valid card keeps only its last 4 digits "
                           "and its separators, everything else stays as it is")
    return True, "matches the reference masking"


def cards_mask_valid(remote: Remote) -> tuple[bool, str]:
    return _cards(remote, _CARD_TEXTS[:2])


def cards_keep_invalid(remote: Remote) -> tuple[bool, str]:
    return _cards(remote, _CARD_TEXTS[2:])


def cards_hidden(remote: Remote) -> tuple[bool, str]:
    from mlops_course.compliance.synthetic import make_pii_corpus

    g = secret_rng(_tag("gdpr-cards", "hidden"))
    corpus = [t for t, _ in make_pii_corpus(60, g)]
    extra = []
    for _ in range(12):
        prefix, lengths = _BRANDS[int(g.integers(len(_BRANDS)))]  # branded: the reference also checks the IIN
        digits = _luhn_number(g, prefix, int(g.choice(lengths)), valid=bool(g.random() < 0.6))
        sep = str(g.choice(["", " ", "-"]))
        groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
        extra.append(f"{g.choice(['paid with', 'ref', 'card'])} {sep.join(groups)} {g.choice(['ok', 'thanks', '.'])}")
    extra.append(" and ".join(extra[:3]))
    return _cards(remote, corpus + extra, show=False)


_BRANDS = (("4", (13, 16, 19)), ("52", (16,)), ("37", (15,)), ("6011", (16, 19)))


def _luhn_number(g: np.random.Generator, prefix: str, n: int, valid: bool) -> str:
    """A random n-digit number starting with ``prefix`` whose Luhn check passes (valid) or fails."""
    body = [int(d) for d in prefix] + [int(d) for d in g.integers(0, 10, size=n - 1 - len(prefix))]
    total = 0
    for i, d in enumerate(reversed(body)):  # the check digit will be position 0 from the right
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    check = (10 - total % 10) % 10
    if not valid:
        check = (check + int(g.integers(1, 10))) % 10
    return "".join(map(str, body)) + str(check)


CHECKS: tuple[Check, ...] = (
    Check("gdpr-purpose", "purpose_view", (
        Property("only subjects who consented to the purpose", 1.0, purpose_subjects,
                 "purpose limitation: a row may be used for a purpose only if its subject consented to it"),
        Property("only the purpose's declared columns, in declared order", 1.0, purpose_columns,
                 "data minimisation: a purpose sees what it declared, nothing more"),
        Property("other inputs; subjects absent from consents are excluded", 0.5, purpose_hidden,
                 "no record of consent means no consent", visible=False),
        Property("ValueError for an undeclared purpose", 0.5, purpose_validates,
                 "processing for a purpose nobody declared is exactly what purpose limitation forbids"),
    ), UNIT),
    Check("gdpr-kanon", "k_anonymise", (
        Property("smallest sufficient level and its generalised rows", 1.5, kanon_level_rows,
                 "generalise step by step and stop at the first level where no (age, ZIP) group is smaller "
                 "than k"),
        Property("'k' is the size of the smallest group", 0.5, kanon_k,
                 "a table is as anonymous as its smallest equivalence class"),
        Property("other inputs, k from 1 to n", 0.5, kanon_hidden,
                 "a band of width w contains the ages from a multiple of w to the next multiple minus one",
                 visible=False),
        Property("ValueError when k is not in [1, n]", 0.5, kanon_validates,
                 "no table of n rows has classes of more than n rows"),
    ), UNIT),
    Check("gdpr-release", "release_plan", (
        Property("the release meets the re-identification risk bound", 1.0, release_safe,
                 "a person in a class of k rows is re-identified with probability 1/k: turn the risk bound into k "
                 "first, then generalise until every class is that large"),
        Property("the most useful safe release (least precision loss)", 1.0, release_best,
                 "age and ZIP need not be generalised together: try the combinations and keep the safest-enough "
                 "one that loses least"),
        Property("refuses when no generalisation meets both the risk and the utility target", 1.0, release_refuse,
                 "if every safe table is too coarse to be useful, the right decision is not to release"),
        Property("other tables, risk bounds and utility targets", 1.0, release_hidden,
                 "k depends on the risk bound; whether to release depends on the utility target", visible=False),
    ), UNIT),
    Check("gdpr-erasure", "erase_subject", (
        Property("every row of the subject removed, order kept", 1.0, erasure_data,
                 "a subject may own several rows; erasure concerns all of them and nothing else"),
        Property("the model equals one trained without the subject (bit for bit)", 1.0, erasure_model,
                 "exact unlearning: the model must be the one that would exist had the subject never been there"),
        Property("a subject owning several rows", 0.5, erasure_hidden,
                 "remove every row of the subject, not only the first", visible=False),
        Property("ValueError for an unknown subject", 0.5, erasure_validates,
                 "an erasure request for someone you do not hold is an error to report"),
    ), UNIT),
    Check("gdpr-audit", "verify_chain", (
        Property("an intact chain gives None", 0.5, audit_intact,
                 "an intact log: every entry's hash recomputes and links to its predecessor, and the last one is "
                 "the published head"),
        Property("an edit that leaves the stored hash is reported at its index", 1.0, audit_edits,
                 "walk the chain from the start; the first entry whose position, back-link or own hash does not "
                 "match is where tampering begins"),
        Property("a cut-off tail or a rewritten last entry is caught by the head", 0.5, audit_tail,
                 "a consistent chain can still be a shortened or rewritten one: only the published head tells"),
        Property("deletions, swaps, rehashed edits and recomputed chains", 1.0, audit_structure_hidden,
                 "the first entry whose index, back-link or hash does not match", visible=False),
    ), UNIT),
    Check("gdpr-cards", "mask_cards", (
        Property("Luhn-valid card numbers are masked except the last 4 digits", 1.0, cards_mask_valid,
                 "masking keeps the shape of the number and just enough digits for a human to recognise it"),
        Property("Luhn-invalid numbers and other digits are left alone", 1.0, cards_keep_invalid,
                 "a regex finds candidates; the check digit decides which are cards"),
        Property("other texts (13-19 digits, several cards, corpus)", 1.0, cards_hidden,
                 "every candidate of 13 to 19 digits, each decided on its own", visible=False),
    ), UNIT),
    Check("gdpr-reidentify", "reidentify", (
        Property("every pseudonym of an id in the stated format is re-identified, nothing invented", 1.5,
                 reid_complete,
                 "a hash hides nothing when the set of possible inputs is small and the salt is known"),
        Property("the re-identification rate is reported", 0.5, reid_rate,
                 "the rate is what you verified, over all pseudonyms"),
        Property("another salt and other customers", 1.0, reid_hidden,
                 "keyed pseudonyms cannot be reversed without the key: report only what you verified",
                 visible=False),
    ), UNIT),
)

MANUAL: tuple[ManualQuestion, ...] = (
    ManualQuestion("gdpr-written", 3, UNIT, "is the hashed, k-anonymous table anonymous data?"),
)
