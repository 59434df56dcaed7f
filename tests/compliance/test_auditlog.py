"""What the hash-chained audit log catches, and where.

An edit that leaves the stored hash is caught at its index; one that also rewrites that entry's
hash is caught at the next entry; editing the last entry, truncation, or recomputing the whole
chain is caught only against a published head. Deletions, insertions and swaps inside the log break
a link at their position.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta

import pytest

from mlops_course.compliance.auditlog import GENESIS, AuditLog, Entry, entry_hash, verify_chain

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
EDITS = {
    "index": lambda v: v + 1,
    "at": lambda v: v.replace("09", "10"),
    "actor": lambda v: v + "x",
    "action": lambda v: "access" if v != "access" else "erasure",
    "subject_ref": lambda v: v + "0",
    "details": lambda v: {**v, "rows": 999},
    "prev_hash": lambda v: "f" * 64,
    "hash": lambda v: "0" * 64,
}


def _log(n: int = 12) -> AuditLog:
    log = AuditLog()
    for i in range(n):
        log.append("dpo", ["access", "decision", "erasure"][i % 3], f"ref{i % 4}", {"rows": i, "models": ["m"]},
                   at=T0 + timedelta(minutes=i))
    return log


def test_intact_log_verifies_and_head_is_last_hash():
    log = _log()
    assert log.verify() is None and log.verify(head=log.head) is None
    assert log.head == log.entries[-1].hash and AuditLog().head == GENESIS
    assert all(e.prev_hash == (log.entries[i - 1].hash if i else GENESIS) for i, e in enumerate(log.entries))


def test_hash_is_sha256_of_sorted_json_without_hash_field():
    e = _log(1).entries[0]
    fields = {k: v for k, v in asdict(e).items() if k != "hash"}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert e.hash == entry_hash(e) == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("field", sorted(EDITS))
def test_edit_that_leaves_the_stored_hash_is_caught_at_its_index(field):
    entries = list(_log().entries)
    for i in range(len(entries)):
        tampered = list(entries)
        tampered[i] = replace(entries[i], **{field: EDITS[field](getattr(entries[i], field))})
        assert verify_chain(tampered) == i, (field, i)


def test_edits_of_dict_entries_are_detected_too():
    entries = [asdict(e) for e in _log().entries]
    for i in range(len(entries)):
        tampered = copy.deepcopy(entries)
        tampered[i]["details"]["models"].append("other")
        assert verify_chain(tampered) == i


def _rehashed(entry: Entry, **changes) -> Entry:
    """``entry`` with ``changes`` applied and its own ``hash`` recomputed (the forger's best single edit)."""
    edited = replace(entry, **changes)
    return replace(edited, hash=entry_hash(edited))


def test_edit_with_its_own_hash_rewritten_is_caught_at_the_next_entry():
    log = _log()
    entries = list(log.entries)
    for i in range(len(entries) - 1):
        tampered = list(entries)
        tampered[i] = _rehashed(entries[i], details={**entries[i].details, "rows": 999})
        # the edited entry is self-consistent: its own hash and back-link still hold
        assert tampered[i].hash == entry_hash(tampered[i]) and tampered[i].prev_hash == entries[i].prev_hash
        assert verify_chain(tampered) == i + 1, i
        assert verify_chain(tampered, head=log.head) == i + 1, i


def test_last_entry_rehashed_is_caught_only_against_the_head():
    log = _log()
    entries = list(log.entries)
    tampered = entries[:-1] + [_rehashed(entries[-1], actor="intruder")]
    assert verify_chain(tampered) is None  # invisible to the chain alone
    assert verify_chain(tampered, head=log.head) == len(entries)  # caught against the published head


def test_deletion_insertion_and_reordering():
    log = _log()
    entries = list(log.entries)
    for i in range(len(entries) - 1):
        assert verify_chain(entries[:i] + entries[i + 1:]) == i  # deletion breaks the successor
        assert verify_chain(entries[:i] + [entries[i + 1], entries[i]] + entries[i + 2:]) == i  # swap
        forged = replace(entries[i], actor="intruder")
        assert verify_chain(entries[:i] + [forged] + entries[i:]) == i  # insertion
    # cutting off the tail is invisible to the chain alone, visible against the published head
    assert verify_chain(entries[:-1]) is None
    assert verify_chain(entries[:-1], head=log.head) == len(entries) - 1


def test_recomputed_chain_is_caught_only_by_the_head():
    log = _log(6)
    forged = AuditLog()
    for e in log.entries:
        details = {**e.details, "rows": 0} if e.index == 2 else e.details
        forged.append(e.actor, e.action, e.subject_ref, details, at=datetime.fromisoformat(e.at))
    assert forged.verify() is None
    assert forged.verify(head=log.head) == len(forged)


def test_entries_are_a_copy():
    log = _log(3)
    entries = log.entries
    assert isinstance(entries, tuple) and isinstance(entries[0], Entry)
    with pytest.raises(AttributeError):
        entries[0].actor = "x"  # frozen


def test_bad_input():
    log = AuditLog()
    with pytest.raises(TypeError, match="at"):
        log.append("dpo", "access", at="2024-01-01")
    with pytest.raises(TypeError, match="details"):
        log.append("dpo", "access", "", {"when": T0}, at=T0)
    with pytest.raises(ValueError, match="actor"):
        log.append("", "access", at=T0)
    with pytest.raises(TypeError, match="subject_ref"):
        log.append("dpo", "access", 5, at=T0)
    with pytest.raises(TypeError, match="entries"):
        verify_chain({"index": 0})
    assert len(log) == 0
