"""A tamper-evident audit log: a SHA-256 hash chain over every access, decision and erasure.

GDPR Art. 5(2) (accountability: the controller "shall be able to demonstrate compliance"),
Art. 30 (records of processing) and Art. 7(1) (demonstrate that consent was given) need records
that cannot be quietly rewritten. Each entry stores the hash of its predecessor:

    prev_hash_0 = GENESIS,   prev_hash_i = h_{i-1},
    h_i = SHA-256(canonical_json(entry_i without "hash", prev_hash_i included))

where ``canonical_json`` is the sorted-key, compact JSON of the entry's fields (``index``, ``at``,
``actor``, ``action``, ``subject_ref``, ``details`` and ``prev_hash``): the back-link is hashed as
one of the fields, not appended to the text. :func:`verify_chain` reports the first entry whose
index, stored hash or back-link does not match (Haber & Stornetta, "How to time-stamp a digital
document", J. Cryptology 3(2), 1991; Schneier & Kelsey, "Secure audit logs to support computer
forensics", ACM TISSEC 2(2), 1999).

What is caught where: an edit that leaves the stored hash is caught at its index; one that also
rewrites that entry's hash is caught at the next entry (whose ``prev_hash`` no longer matches);
editing the last entry, truncation, or recomputing the whole chain is caught only against a
published **head** (the last hash). Publishing or countersigning the head (to a regulator, a
transparency log, a signed e-mail) and passing it as ``head=`` closes that gap.

Subjects are referenced by a keyed hash (:func:`.pii.keyed_hash`), not by name: the log proves
*that* an erasure happened without keeping the erased person's identifiers (Art. 17(3)(b) and
Art. 5(2) justify keeping this record).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["GENESIS", "Entry", "entry_hash", "AuditLog", "verify_chain"]

GENESIS = "0" * 64


def _plain(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _plain(v, where) for k, v in value.items()}
    raise TypeError(f"{where} must hold only JSON data (str, numbers, lists, str-keyed dicts), "
                    f"got {type(value).__name__}")


@dataclass(frozen=True)
class Entry:
    """One audit record. ``hash`` covers every other field and ``prev_hash``.

    Parameters
    ----------
    index : int
        Position in the log (0 for the first entry).
    at : str
        ISO 8601 timestamp of the event.
    actor : str
        Who acted.
    action : str
        What was done.
    subject_ref : str
        Reference to the data subject concerned ("" if none).
    details : dict, default {}
        Extra JSON-serialisable facts.
    prev_hash : str, default GENESIS
        ``hash`` of the previous entry (``GENESIS`` for the first).
    hash : str, default ""
        SHA-256 of the other fields (see :func:`entry_hash`); "" in a draft.
    """

    index: int
    at: str
    actor: str
    action: str
    subject_ref: str
    details: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""


def entry_hash(entry: Entry | Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the entry's fields except ``hash`` (``prev_hash`` included).

    Examples
    --------
    >>> e = Entry(0, "2024-01-01T00:00:00+00:00", "dpo", "access", "ab12")
    >>> len(entry_hash(e))
    64
    """
    data = asdict(entry) if isinstance(entry, Entry) else dict(entry)
    data.pop("hash", None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AuditLog:
    """Append-only, hash-chained audit log.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> log = AuditLog()
    >>> _ = log.append("dpo", "erasure", "ab12", {"models": ["credit"]}, at=datetime(2024, 5, 1, tzinfo=timezone.utc))
    >>> log.verify() is None, len(log)
    (True, 1)
    """

    def __init__(self) -> None:
        self._entries: list[Entry] = []

    def append(self, actor: str, action: str, subject_ref: str = "", details: Mapping[str, Any] | None = None,
               *, at: datetime) -> Entry:
        """Record an event and return its entry (timestamps are explicit: no hidden clock)."""
        for name, value in (("actor", actor), ("action", action), ("subject_ref", subject_ref)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, got {type(value).__name__}")
        if not actor or not action:
            raise ValueError("actor and action must be non-empty strings")
        if not isinstance(at, datetime):
            raise TypeError(f"at must be a datetime, got {type(at).__name__}")
        details = _plain(dict(details or {}), "details")
        prev = self._entries[-1].hash if self._entries else GENESIS
        draft = Entry(len(self._entries), at.isoformat(), actor, action, subject_ref, details, prev)
        entry = Entry(**{**asdict(draft), "hash": entry_hash(draft)})
        self._entries.append(entry)
        return entry

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The entries (a copy: the log itself cannot be edited through it)."""
        return tuple(self._entries)

    @property
    def head(self) -> str:
        """Hash of the last entry (``GENESIS`` when empty): publish it to anchor the log."""
        return self._entries[-1].hash if self._entries else GENESIS

    def verify(self, head: str | None = None) -> int | None:
        """:func:`verify_chain` on this log's entries."""
        return verify_chain(self._entries, head)

    def __len__(self) -> int:
        return len(self._entries)


def verify_chain(entries: Sequence[Entry | Mapping[str, Any]], head: str | None = None) -> int | None:
    """Index of the first entry that breaks the chain, or ``None`` if the log is intact.

    Entry ``i`` is broken when its ``index`` is not ``i``, its ``prev_hash`` is not the stored hash
    of entry ``i - 1`` (``GENESIS`` for the first), or its stored ``hash`` differs from
    :func:`entry_hash` of its contents. If every link holds but ``head`` is given and differs from
    the last hash, ``len(entries)`` is returned (the tail was cut or the whole chain recomputed).

    Guarantee: an edit that leaves the stored hash is caught at its index; one that also rewrites
    that entry's hash is caught at the next entry; editing the last entry, truncation, or
    recomputing the whole chain is caught only against a published head. A deleted, inserted or
    moved entry (other than at the end) breaks an index or back-link at or after its position.

    Parameters
    ----------
    entries : sequence of Entry or mappings with the same fields
    head : str, optional
        The published head hash.

    Returns
    -------
    int or None
    """
    if isinstance(entries, Mapping) or not isinstance(entries, Sequence):
        raise TypeError(f"entries must be a sequence of entries, got {type(entries).__name__}")
    prev = GENESIS
    for i, raw in enumerate(entries):
        entry = asdict(raw) if isinstance(raw, Entry) else dict(raw)
        if entry.get("index") != i or entry.get("prev_hash") != prev or entry.get("hash") != entry_hash(entry):
            return i
        prev = entry["hash"]
    if head is not None and head != prev:
        return len(entries)
    return None
