"""PII detectors, pseudonymisation and masking.

Cross-checks: the Luhn check against published valid numbers (ISO/IEC 7812 example 79927398713 and
the card networks' public test numbers), HMAC against RFC 4231 test case 1, IP validity against the
standard library's ``ipaddress``; precision/recall on a labelled synthetic corpus (seeded; the
corpus includes hard negatives) compared with a naive regex baseline.
"""
from __future__ import annotations

import ipaddress
import re

import numpy as np
import pytest

from mlops_course.compliance.pii import (
    KINDS,
    TokenVault,
    find_pii,
    keyed_hash,
    luhn_valid,
    mask,
    precision_recall,
    redact,
    scan_table,
    valid_nino,
    valid_ssn,
)
from mlops_course.compliance.synthetic import luhn_complete, make_people, make_pii_corpus

PUBLISHED_VALID = ["79927398713", "4111111111111111", "5555555555554444", "378282246310005", "6011111111111117",
                   "4012888888881881", "371449635398431"]


@pytest.mark.parametrize("number", PUBLISHED_VALID)
def test_luhn_accepts_published_numbers_and_rejects_every_single_digit_error(number):
    assert luhn_valid(number)
    for i in range(len(number)):
        for d in "0123456789":
            if d != number[i]:
                assert not luhn_valid(number[:i] + d + number[i + 1:])


def test_luhn_complete_matches_luhn_valid():
    rng = np.random.default_rng(1)
    for _ in range(200):
        body = "".join(map(str, rng.integers(0, 10, size=int(rng.integers(5, 18)))))
        full = luhn_complete(body)
        assert luhn_valid(full) and sum(luhn_valid(body + str(d)) for d in range(10)) == 1


def test_luhn_ignores_separators_and_rejects_non_digits():
    assert luhn_valid("4111 1111-1111 1111")
    assert not luhn_valid("4111a111111111111") and not luhn_valid("") and not luhn_valid("0")


@pytest.mark.parametrize("ssn,ok", [("123-45-6789", True), ("000-12-3456", False), ("666-12-3456", False),
                                    ("900-12-3456", False), ("123-00-4567", False), ("123-45-0000", False),
                                    ("123456789", False), ("899-99-9999", True)])
def test_ssn_rules(ssn, ok):
    assert valid_ssn(ssn) is ok


@pytest.mark.parametrize("nino,ok", [("AB123456C", True), ("AB 12 34 56 C", True), ("DA123456A", False),
                                     ("AO123456A", False), ("GB123456A", False), ("AB123456E", False),
                                     ("ZZ123456A", False), ("TN123456D", False), ("AB12345C", False)])
def test_nino_rules(nino, ok):
    assert valid_nino(nino) is ok


def test_ip_detection_agrees_with_ipaddress():
    rng = np.random.default_rng(2)
    for _ in range(500):
        candidate = ".".join(str(int(v)) for v in rng.integers(0, 400, size=4))
        expected = True
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            expected = False
        found = find_pii(f"from {candidate} today", ["ip"])
        assert (len(found) == 1 and found[0].value == candidate) is expected


def _corpus_spans(corpus, detector):
    pred, gold = [], []
    for i, (text, spans) in enumerate(corpus):
        off = 10_000 * i
        gold += [(s + off, e + off, k) for s, e, k in spans]
        pred += [(s + off, e + off, k) for s, e, k in detector(text)]
    return pred, gold


def test_precision_and_recall_on_labelled_synthetic_corpus():
    corpus = make_pii_corpus(1500, np.random.default_rng(3))
    pred, gold = _corpus_spans(corpus, lambda t: [(m.start, m.end, m.kind) for m in find_pii(t)])
    scores = precision_recall(pred, gold)
    assert set(scores) == set(KINDS)
    for kind, (precision, recall, support) in scores.items():
        assert support >= 100, kind
        assert precision >= 0.99 and recall >= 0.99, (kind, precision, recall)


NAIVE = {"card": re.compile(r"\b\d(?:[ -]?\d){12,18}\b"), "ssn": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
         "ip": re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")}


@pytest.mark.parametrize("kind", sorted(NAIVE))
def test_checksums_and_format_rules_are_what_buys_precision(kind):
    corpus = make_pii_corpus(1500, np.random.default_rng(4))
    naive = lambda t: [(m.start(), m.end(), kind) for m in NAIVE[kind].finditer(t)]  # noqa: E731
    ours = lambda t: [(m.start, m.end, m.kind) for m in find_pii(t, [kind])]  # noqa: E731
    naive_p = precision_recall(*_corpus_spans(corpus, naive))[kind][0]
    ours_p = precision_recall(*_corpus_spans(corpus, ours))[kind][0]
    assert naive_p < 0.85 < 0.99 <= ours_p


def test_precision_recall_formula():
    scores = precision_recall([(0, 1, "ssn"), (2, 3, "ssn"), (4, 5, "email")], [(0, 1, "ssn"), (6, 7, "ssn")])
    assert scores["ssn"] == (0.5, 0.5, 2)
    assert scores["email"][0] == 0.0 and np.isnan(scores["email"][1])


def test_redact_removes_every_gold_value():
    corpus = make_pii_corpus(300, np.random.default_rng(5))
    for text, spans in corpus:
        out = redact(text)
        for s, e, kind in spans:
            assert text[s:e] not in out and f"[{kind.upper()}]" in out


def test_redact_hash_style_is_consistent_pseudonymisation():
    key = b"0123456789abcdef"
    a = redact("mail bob@example.org", style="hash", key=key)
    b = redact("again bob@example.org", style="hash", key=key)
    assert a.split()[-1] == b.split()[-1] and "bob" not in a


def test_mask():
    assert mask("4111-1111-1111-1111", "card") == "****-****-****-1111"
    assert mask("123-45-6789", "ssn") == "***-**-6789"
    assert mask("+44 20 7946 0123", "phone") == "+** ** **** **23"
    assert mask("alice@example.org", "email") == "a****@example.org"
    assert mask("192.0.2.17", "ip") == "192.0.2.*"
    assert mask("Alice Berg", "name") == "A**** B***"


def test_keyed_hash_is_hmac_sha256_rfc4231_case1():
    key = bytes([0x0B] * 20)
    expected = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    assert keyed_hash("Hi There", key, length=64) == expected
    assert keyed_hash("Hi There", key) == expected[:16]
    assert keyed_hash("Hi There", bytes([0x0C] * 20)) != expected[:16]


def test_token_vault_roundtrip_and_forget():
    vault = TokenVault(np.random.default_rng(0))
    t = vault.tokenise("S0001")
    assert vault.tokenise("S0001") == t and vault.tokenise("S0002") != t
    assert vault.detokenise(t) == "S0001" and len(vault) == 2
    assert vault.forget("S0001") and not vault.forget("S0001")
    with pytest.raises(KeyError):
        vault.detokenise(t)
    assert TokenVault().tokenise("x").startswith("tok_")


def test_scan_table_flags_identifier_columns():
    people = make_people(40, np.random.default_rng(6))
    flagged = scan_table(people)
    assert flagged == {"name": "name", "email": "email", "phone": "phone", "ssn": "ssn"}


def test_bad_input():
    with pytest.raises(TypeError, match="text"):
        find_pii(123)
    with pytest.raises(ValueError, match="kinds"):
        find_pii("x", ["passport"])
    with pytest.raises(ValueError, match="key"):
        keyed_hash("x", b"short")
    with pytest.raises(ValueError, match="length"):
        keyed_hash("x", b"k" * 16, length=4)
    with pytest.raises(ValueError, match="kind"):
        mask("x", "passport")
    with pytest.raises(ValueError, match="style"):
        redact("x", style="blur")
    with pytest.raises(ValueError, match="key"):
        redact("x", style="hash")
    with pytest.raises(ValueError, match="rows"):
        scan_table([])
    with pytest.raises(TypeError, match="row"):
        scan_table([1, 2])
    with pytest.raises(ValueError, match="threshold"):
        scan_table([{"a": "b"}], threshold=0)
    with pytest.raises(TypeError):
        luhn_valid(4111111111111111)
    with pytest.raises(ValueError, match="digits"):
        luhn_complete("12a")
