"""Tests of the access policy (table-driven), zero trust vs perimeter, the audit chain, segmentation."""
from __future__ import annotations

import pytest

from mlops_course.security.access import (
    ACTIONS,
    FLAT_FLOWS,
    PRIVILEGED_ACTIONS,
    ROLE_PERMISSIONS,
    SEGMENTED_FLOWS,
    AuditLog,
    blast_radius,
    course_policy,
    perimeter_decide,
    reachable,
    scenario_requests,
    validate_request,
)


def req(**changes):
    base = {"subject": "ana", "roles": ["data_scientist"], "action": "train", "resource": "churn",
            "mfa": False, "device_trusted": True, "token_age_s": 60.0, "network_zone": "internal"}
    return {**base, **changes}


# (changes, allowed, deciding rule)
TABLE = [
    ({}, True, "all"),
    ({"network_zone": "external"}, True, "all"),  # zero trust: location grants and denies nothing
    ({"action": "deploy"}, False, "role_permits"),
    ({"roles": ["ml_engineer"], "action": "deploy"}, False, "mfa_for_privileged"),
    ({"roles": ["ml_engineer"], "action": "deploy", "mfa": True}, True, "all"),
    ({"roles": ["data_steward"], "action": "read_raw_data", "mfa": True}, True, "all"),
    ({"roles": ["data_steward"], "action": "read_raw_data"}, False, "mfa_for_privileged"),
    ({"action": "read_raw_data", "mfa": True}, False, "role_permits"),
    ({"roles": ["data_scientist", "data_steward"], "action": "read_raw_data", "mfa": True}, True, "all"),
    ({"device_trusted": False}, False, "trusted_device"),
    ({"token_age_s": 3600.0}, True, "all"),
    ({"token_age_s": 3600.5}, False, "fresh_session"),
    ({"token_age_s": 1e6, "device_trusted": False}, False, "fresh_session"),  # first failing rule reported
    ({"roles": []}, False, "role_permits"),
    ({"roles": ["admin"]}, False, "role_permits"),  # unknown role grants nothing
    ({"action": "delete_everything"}, False, "known_action"),
    ({"roles": ["service"], "action": "query"}, True, "all"),
    ({"roles": ["service"], "action": "train"}, False, "role_permits"),
    ({"roles": ["auditor"], "action": "read_audit", "network_zone": "external"}, True, "all"),
]


@pytest.mark.parametrize("changes, allowed, rule", TABLE)
def test_policy_table(changes, allowed, rule):
    decision = course_policy().decide(req(**changes))
    assert (decision.allowed, decision.rule) == (allowed, rule)
    assert decision.reason


def test_exhaustive_policy_matches_the_stated_rules():
    engine = course_policy()
    for role in [*ROLE_PERMISSIONS, "nobody"]:
        for action in ACTIONS:
            for mfa in (False, True):
                for device in (False, True):
                    for age in (10.0, 7200.0):
                        got = engine.decide(req(roles=[role], action=action, mfa=mfa, device_trusted=device,
                                                token_age_s=age)).allowed
                        want = (age <= 3600 and device and action in ROLE_PERMISSIONS.get(role, ())
                                and (mfa or action not in PRIVILEGED_ACTIONS))
                        assert got == want, (role, action, mfa, device, age)
    assert len(engine.audit) == 6 * len(ACTIONS) * 8


def test_zero_trust_blocks_every_attack_and_serves_every_user():
    engine = course_policy()
    for label, is_attack, request in scenario_requests():
        assert engine.decide(request).allowed is (not is_attack), label


def test_perimeter_lets_internal_attacks_through_and_blocks_remote_staff():
    rows = [(is_attack, perimeter_decide(r).allowed) for _, is_attack, r in scenario_requests()]
    attacks_allowed = sum(allowed for is_attack, allowed in rows if is_attack)
    legit_denied = sum(not allowed for is_attack, allowed in rows if not is_attack)
    assert attacks_allowed == 5 and legit_denied == 3


def test_audit_log_records_every_decision_and_detects_edits():
    engine = course_policy()
    for _, _, request in scenario_requests():
        engine.decide(request)
    log = engine.audit
    assert len(log) == len(scenario_requests()) and log.verify() is None
    assert [e["record"]["allowed"] for e in log.entries][:6] == [True] * 6
    log.entries[8]["record"]["allowed"] = True  # cover up the insider's denied deploy
    assert log.verify() == 8


def test_audit_log_detects_deletion_and_insertion():
    log = AuditLog()
    for i in range(5):
        log.append({"i": i})
    del log.entries[2]
    assert log.verify() == 2
    log = AuditLog()
    for i in range(3):
        log.append({"i": i})
    log.entries.insert(1, {"seq": 1, "record": {"i": 99}, "prev": log.entries[0]["hash"], "hash": "f" * 64})
    assert log.verify() == 1
    assert AuditLog().verify() is None


def _rehash(log, i):
    """What an insider with write access does after editing entry i: recompute its stored hash."""
    import hashlib
    import json

    entry = log.entries[i]
    body = json.dumps(entry["record"], sort_keys=True, separators=(",", ":")).encode()
    entry["hash"] = hashlib.sha256(entry["prev"].encode() + body).hexdigest()


def _five_entries():
    log = AuditLog()
    for i in range(5):
        log.append({"i": i, "allowed": False})
    return log


def test_audit_edit_without_rehash_fails_its_own_hash_check():
    log = _five_entries()
    published = log.head
    log.entries[2]["record"]["allowed"] = True
    assert log.verify() == 2 and log.verify(head=published) == 2


def test_audit_edit_with_rehash_is_caught_at_the_next_entry():
    log = _five_entries()
    published = log.head
    log.entries[2]["record"]["allowed"] = True
    _rehash(log, 2)
    assert log.verify() == 3 and log.verify(head=published) == 3


def test_audit_rehashed_last_entry_is_caught_only_with_the_anchored_head():
    log = _five_entries()
    published = log.head
    assert log.verify(head=published) is None
    log.entries[4]["record"]["allowed"] = True
    _rehash(log, 4)
    assert log.verify() is None  # self-consistent chain: undetectable without an anchor
    assert log.verify(head=published) == 4
    assert log.verify(head=log.head) is None  # an anchor the attacker can rewrite proves nothing


def test_audit_rewriting_every_later_hash_or_truncating_needs_the_head():
    log = _five_entries()
    published = log.head
    log.entries[1]["record"]["allowed"] = True
    for i in range(1, 5):  # recompute the whole chain from the edit onwards
        if i > 1:
            log.entries[i]["prev"] = log.entries[i - 1]["hash"]
        _rehash(log, i)
    assert log.verify() is None and log.verify(head=published) == 4
    log = _five_entries()
    published = log.head
    del log.entries[3:]
    assert log.verify() is None and log.verify(head=published) == 2
    del log.entries[:]
    assert log.verify() is None and log.verify(head=published) == 0
    assert AuditLog().verify(head=AuditLog.GENESIS) is None


@pytest.mark.parametrize("bad, exc", [(123, TypeError), (b"0" * 64, TypeError), ("abc", ValueError),
                                      ("g" * 64, ValueError), ("0" * 65, ValueError)])
def test_audit_verify_bad_head(bad, exc):
    with pytest.raises(exc):
        _five_entries().verify(head=bad)


def test_audit_chain_uses_sha256_of_previous_hash_and_record():
    import hashlib
    import json

    log = AuditLog()
    entry = log.append({"b": 2, "a": 1})
    want = hashlib.sha256(("0" * 64 + json.dumps({"a": 1, "b": 2}, separators=(",", ":"))).encode()).hexdigest()
    assert entry["hash"] == want and entry["prev"] == "0" * 64


def test_segmentation_shrinks_the_blast_radius():
    assert blast_radius(FLAT_FLOWS, "model_server") == 7
    assert reachable(SEGMENTED_FLOWS, "model_server") == {"feature_store"}
    assert "raw_data_lake" not in reachable(SEGMENTED_FLOWS, "internet")
    assert reachable(SEGMENTED_FLOWS, "internet") == {"api_gateway", "model_server", "feature_store"}
    with pytest.raises(ValueError):
        blast_radius(SEGMENTED_FLOWS, "printer")


@pytest.mark.parametrize("bad, exc", [
    ("not a mapping", TypeError),
    ({"subject": "a"}, ValueError),
    (req(roles="data_scientist"), TypeError),
    (req(roles=[1]), TypeError),
    (req(mfa="yes"), TypeError),
    (req(device_trusted=1), TypeError),
    (req(token_age_s=-1.0), ValueError),
    (req(token_age_s=float("nan")), ValueError),
    (req(token_age_s="old"), ValueError),
    (req(action=None), TypeError),
])
def test_bad_requests(bad, exc):
    with pytest.raises(exc):
        validate_request(bad)
    with pytest.raises(exc):
        course_policy().decide(bad)


def test_bad_policy_arguments():
    with pytest.raises(ValueError):
        course_policy(max_token_age_s=0)
