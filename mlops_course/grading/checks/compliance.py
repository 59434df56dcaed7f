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

No property is statistical: all are exact and deterministic (false-fail rate 0).
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import numpy as np

from mlops_course.grading.checks import BadResult, Check, Property, Remote, as_array, raises

__all__ = ["CHECKS", "UNIT", "AGE_WIDTHS", "ZIP_STARS", "EPOCHS", "LR", "L2", "chain_hash", "reference_chain",
           "reference_verify", "reference_k_anonymise", "reference_mask_cards", "reference_purpose_view"]

UNIT = "03_gdpr_ccpa"
#: joint generalisation ladder of the exercise: level L → age band width and ZIP digits starred
AGE_LEVELS = (0, 1, 2, 3, 4)          # levels of kanonymity.generalise_age (widths 1, 5, 10, 20, *)
AGE_WIDTHS = (1, 5, 10, 20, None)
ZIP_STARS = (0, 1, 2, 3, 5)           # trailing ZIP digits replaced by "*"
EPOCHS, LR, L2 = 200, 0.5, 1e-3       # the exercise's given `train`
GENESIS = "0" * 64
_T = datetime(2024, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- gdpr-purpose
def reference_purpose_view(rows: list[dict], purpose: str, purposes: dict[str, list[str]],
                           consents: dict[str, list[str]]) -> list[dict]:
    """The package's register on the exercise's plain inputs (every purpose based on consent)."""
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
            return False, f"for purpose {purpose!r} expected {len(want)} rows (consenting subjects), got {len(got)}"
        if [{c: r.get(c) for c in w} for r, w in zip(got, want, strict=True)] != want:
            return False, f"for purpose {purpose!r} the rows are not the consenting subjects' rows in original order"
        return True, "only subjects who consented to the purpose"
    if [list(r) for r in got] != [list(r) for r in want] or got != want:
        return False, f"for purpose {purpose!r} each row should have exactly the columns {purposes[purpose]} (in that order)"
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
    rows = [{"subject_id": f"T{i}", "zip": f"0213{i}", "score": i / 10, "email": f"t{i}@example.com"} for i in range(8)]
    purposes = {"ads": ["zip", "email"], "research": ["score"]}
    consents = {"T1": ["ads"], "T3": ["research", "ads"], "T6": ["research"], "T7": ["unknown"]}  # T0, T2… absent
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
    """Smallest level of the joint ladder whose generalised (age, zip) table is k-anonymous."""
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
        return False, f"with k = {k} the smallest sufficient level is {want['level']}, got {got['level']!r}"
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
    rng = np.random.default_rng(30_301)
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
    X, y, ids = _erasure_data(30_402, 60, 12)  # subjects own several rows each
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
    """The exercise's entry hash: ``sha256(f"{index}|{data}|{prev}")`` as hex."""
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
    """First broken entry; ``len(entries)`` if the links hold but the head differs; else None."""
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


def _audit_cases(kind: str) -> list[tuple[str, list[dict], str]]:
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


def _audit(remote: Remote, kind: str) -> tuple[bool, str]:
    for label, entries, head in _audit_cases(kind):
        want = reference_verify(entries, head)
        got = _verify_call(remote, entries, head)
        if got != want:
            return False, f"{label}: expected {want}, got {got!r}"
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
    return _audit(remote, "structure")


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


def _cards(remote: Remote, texts: list[str]) -> tuple[bool, str]:
    for text in texts:
        got = remote.call("mask_cards", text)
        if not isinstance(got, str):
            raise BadResult(f"mask_cards should return a str, got {type(got).__name__}")
        want = reference_mask_cards(text)
        if got != want:
            return False, f"mask_cards({text!r}) returned {got!r}, expected {want!r}"
    return True, "matches the reference masking"


def cards_mask_valid(remote: Remote) -> tuple[bool, str]:
    return _cards(remote, _CARD_TEXTS[:2])


def cards_keep_invalid(remote: Remote) -> tuple[bool, str]:
    return _cards(remote, _CARD_TEXTS[2:])


def cards_hidden(remote: Remote) -> tuple[bool, str]:
    from mlops_course.compliance.synthetic import make_pii_corpus

    corpus = [t for t, _ in make_pii_corpus(60, np.random.default_rng(30_501))]
    extra = ["19 digits: 6011000990139424001 ok", "13 digits: 4222222222222 ok", "no digits at all",
             "4111111111111111", "amex 3714-496353-98431, visa 4012 8888 8888 1881."]
    return _cards(remote, corpus + extra)


CHECKS: tuple[Check, ...] = (
    Check("gdpr-purpose", "purpose_view", (
        Property("only subjects who consented to the purpose", 1.0, purpose_subjects,
                 "keep a row only if its subject_id's list in consents contains the purpose"),
        Property("only the purpose's declared columns, in declared order", 1.0, purpose_columns,
                 "build each output row as {c: row[c] for c in purposes[purpose]}"),
        Property("other inputs; subjects absent from consents are excluded", 0.5, purpose_hidden,
                 "use consents.get(subject_id, [])", visible=False),
        Property("ValueError for an undeclared purpose", 0.5, purpose_validates,
                 "check that purpose is a key of purposes first"),
    ), UNIT),
    Check("gdpr-kanon", "k_anonymise", (
        Property("smallest sufficient level and its generalised rows", 1.5, kanon_level_rows,
                 "try level 0, 1, 2, … and stop at the first whose smallest (age, zip) group has >= k rows"),
        Property("'k' is the size of the smallest group", 0.5, kanon_k,
                 "count the rows per (age label, zip label) pair and take the minimum"),
        Property("other inputs, k from 1 to n", 0.5, kanon_hidden,
                 "age bands: lo = (age // w) * w, label f'{lo}-{lo + w - 1}'", visible=False),
        Property("ValueError when k is not in [1, n]", 0.5, kanon_validates, "validate k first"),
    ), UNIT),
    Check("gdpr-erasure", "erase_subject", (
        Property("every row of the subject removed, order kept", 1.0, erasure_data,
                 "keep = [i for i, s in enumerate(subject_ids) if s != subject]"),
        Property("the model equals one trained without the subject (bit for bit)", 1.0, erasure_model,
                 "retrain from scratch with the given train(X_rest, y_rest)"),
        Property("a subject owning several rows", 0.5, erasure_hidden,
                 "remove every row of the subject, not only the first", visible=False),
        Property("ValueError for an unknown subject", 0.5, erasure_validates,
                 "an erasure request for someone you do not hold is an error to report"),
    ), UNIT),
    Check("gdpr-audit", "verify_chain", (
        Property("an intact chain gives None", 0.5, audit_intact,
                 "recompute every hash and back-link; return None when all match and the head matches"),
        Property("an edit that leaves the stored hash is reported at its index", 1.0, audit_edits,
                 "check index, prev (the previous entry's stored hash) and hash for each entry in order"),
        Property("a cut-off tail or a rewritten last entry is caught by the head", 0.5, audit_tail,
                 "if all links hold but the last hash differs from head, return len(entries)"),
        Property("deletions, swaps, rehashed edits and recomputed chains", 1.0, audit_structure_hidden,
                 "the first entry whose index, back-link or hash does not match", visible=False),
    ), UNIT),
    Check("gdpr-cards", "mask_cards", (
        Property("Luhn-valid card numbers are masked except the last 4 digits", 1.0, cards_mask_valid,
                 "replace every digit but the last four by '*', keep spaces and hyphens"),
        Property("Luhn-invalid numbers and other digits are left alone", 1.0, cards_keep_invalid,
                 "only 13-19 digit candidates that pass the Luhn check are cards"),
        Property("other texts (13-19 digits, several cards, corpus)", 1.0, cards_hidden,
                 "candidates: re.finditer(r'(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d-])', text)", visible=False),
    ), UNIT),
)
