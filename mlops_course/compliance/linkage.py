"""Why pseudonymised data is still personal data: linkage and dictionary attacks.

GDPR Recital 26: "personal data which have undergone pseudonymisation, which could be attributed
to a natural person by the use of additional information should be considered to be information
on an identifiable natural person". Two kinds of "additional information" are shown here:

* **quasi-identifiers** left in the release (ZIP code, birth year, sex) joined with a public,
  named data set — Sweeney (2000) found 87% of the US population unique on {5-digit ZIP, full
  birth date, sex} and re-identified the Governor of Massachusetts in "anonymised" hospital data
  this way (L. Sweeney, "Simple demographics often identify people uniquely", CMU 2000; "k-anonymity:
  a model for protecting privacy", IJUFKS 10(5), 2002);
* an **unkeyed hash** of an identifier: anyone can hash a list of candidate e-mails and look the
  pseudonyms up (a dictionary attack). A keyed hash (HMAC, :func:`.pii.keyed_hash`) stops this
  one, but not the quasi-identifier join.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

__all__ = ["uniqueness", "linkage_attack", "reidentification_rate", "sha256_hex", "dictionary_attack"]


def _check_rows(name: str, rows: Any, columns: Sequence[str]) -> Sequence[Mapping[str, Any]]:
    if isinstance(rows, Mapping) or not isinstance(rows, Sequence):
        raise TypeError(f"{name} must be a sequence of mappings (one per row), got {type(rows).__name__}")
    if not rows:
        raise ValueError(f"{name} must not be empty")
    if isinstance(columns, str) or not columns:
        raise ValueError(f"quasi_identifiers must be a non-empty sequence of column names, got {columns!r}")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"{name}[{i}] must be a mapping, got {type(row).__name__}")
        missing = [c for c in columns if c not in row]
        if missing:
            raise ValueError(f"{name}[{i}] lacks the column(s) {missing}")
    return rows


def _key(row: Mapping[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
    return tuple(row[c] for c in columns)


def uniqueness(rows: Sequence[Mapping[str, Any]], quasi_identifiers: Sequence[str]) -> float:
    """Fraction of records that are unique on the quasi-identifiers (equivalence class of size 1).

    A unique record is re-identified by anyone who knows those attributes of its subject.

    Parameters
    ----------
    rows : sequence of mapping
        The table, one mapping (column -> value) per record; non-empty.
    quasi_identifiers : sequence of str
        Non-empty list of quasi-identifier columns, present in every row.

    Returns
    -------
    float
        Share of unique records, in [0, 1].

    Raises
    ------
    TypeError
        If ``rows`` is not a sequence of mappings.
    ValueError
        If ``rows`` is empty, ``quasi_identifiers`` is empty or a row lacks one of its columns.

    Examples
    --------
    >>> uniqueness([{"z": 1}, {"z": 1}, {"z": 2}], ["z"])
    0.3333333333333333
    """
    rows = _check_rows("rows", rows, quasi_identifiers)
    counts = Counter(_key(r, quasi_identifiers) for r in rows)
    return sum(1 for r in rows if counts[_key(r, quasi_identifiers)] == 1) / len(rows)


def linkage_attack(released: Sequence[Mapping[str, Any]], auxiliary: Sequence[Mapping[str, Any]],
                   quasi_identifiers: Sequence[str], identity: str) -> dict[int, Any]:
    """Re-identify released records by joining them with a named auxiliary table.

    A released record ``i`` is re-identified when exactly one auxiliary record shares its
    quasi-identifier values; the attack then attributes that record's ``identity`` to it.

    Parameters
    ----------
    released : sequence of mappings
        The pseudonymised release (identifiers removed or hashed, quasi-identifiers kept).
    auxiliary : sequence of mappings
        Public data with names (a voter roll, a social-media profile dump, …).
    quasi_identifiers : sequence of str
        Columns present in both tables.
    identity : str
        Column of ``auxiliary`` holding the identity (e.g. ``"name"``).

    Returns
    -------
    dict
        ``index in released -> identity`` for every re-identified record.

    Examples
    --------
    >>> rel = [{"zip": "02139", "sex": "F", "diagnosis": "flu"}]
    >>> aux = [{"zip": "02139", "sex": "F", "name": "Alice"}, {"zip": "02139", "sex": "M", "name": "Bob"}]
    >>> linkage_attack(rel, aux, ["zip", "sex"], "name")
    {0: 'Alice'}
    """
    released = _check_rows("released", released, quasi_identifiers)
    auxiliary = _check_rows("auxiliary", auxiliary, list(quasi_identifiers) + [identity])
    index: dict[tuple[Any, ...], list[Any]] = {}
    for row in auxiliary:
        index.setdefault(_key(row, quasi_identifiers), []).append(row[identity])
    found = {}
    for i, row in enumerate(released):
        matches = index.get(_key(row, quasi_identifiers), [])
        if len(matches) == 1:
            found[i] = matches[0]
    return found


def reidentification_rate(found: Mapping[int, Any], truth: Sequence[Any]) -> float:
    """Fraction of released records whose attributed identity is correct.

    Parameters
    ----------
    found : mapping
        Output of :func:`linkage_attack`.
    truth : sequence
        True identity of each released record (known to the teacher, not the attacker).

    Returns
    -------
    float
        Correct attributions divided by ``len(truth)``, in [0, 1].

    Raises
    ------
    ValueError
        If ``truth`` is empty.
    """
    if not truth:
        raise ValueError("truth must not be empty")
    return sum(1 for i, who in found.items() if truth[i] == who) / len(truth)


def sha256_hex(value: Any) -> str:
    """Unkeyed SHA-256 of ``str(value)``: a *bad* pseudonym (anyone can recompute it)."""
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()


def dictionary_attack(pseudonyms: Iterable[str], candidates: Iterable[Any],
                      hash_fn: Callable[[Any], str] = sha256_hex) -> dict[str, Any]:
    """Reverse pseudonyms by hashing candidate values: ``pseudonym -> value`` for every hit.

    Works against any public, deterministic function (unkeyed hashes); fails against
    :func:`.pii.keyed_hash` without the key, since the attacker cannot compute ``hash_fn``.

    Parameters
    ----------
    pseudonyms : iterable of str
        The released pseudonyms.
    candidates : iterable
        Values the attacker guesses (e.g. a list of e-mail addresses).
    hash_fn : callable, default sha256_hex
        The public function believed to have made the pseudonyms.

    Returns
    -------
    dict
        Pseudonym -> recovered value, for every pseudonym matched by a candidate.

    Examples
    --------
    >>> found = dictionary_attack([sha256_hex("bob@example.org")], ["alice@example.org", "bob@example.org"])
    >>> list(found.values())
    ['bob@example.org']
    """
    table = {hash_fn(c): c for c in candidates}
    return {p: table[p] for p in pseudonyms if p in table}
