"""Consent and purpose register: lawful bases, consent over time, objection, opt-out, enforcement."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mlops_course.compliance.register import LAWFUL_BASES, ConsentRegister, Purpose, PurposeError


def t(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC)


ROWS = [{"subject_id": f"S{i}", "email": f"s{i}@example.org", "income": 10.0 * i, "ssn": "123-45-6789"}
        for i in range(1, 6)]


@pytest.fixture
def reg():
    return ConsentRegister([
        Purpose("marketing", ("email",), "consent", "newsletter"),
        Purpose("credit", ("subject_id", "income"), "contract"),
        Purpose("fraud", ("subject_id", "income"), "legitimate_interests"),
    ])


def test_six_lawful_bases_of_article_6():
    assert LAWFUL_BASES == ("consent", "contract", "legal_obligation", "vital_interests", "public_task",
                            "legitimate_interests")


def test_consent_is_evaluated_at_a_time_and_withdrawal_is_not_retroactive(reg):
    reg.give("S1", "marketing", at=t(2))
    reg.withdraw("S1", "marketing", at=t(10))
    reg.give("S1", "marketing", at=t(20))
    assert [reg.has_consent("S1", "marketing", at=t(d)) for d in (1, 2, 9, 10, 15, 25)] == [
        False, True, True, False, False, True]
    assert not reg.has_consent("S2", "marketing", at=t(25))


def test_events_recorded_out_of_order_and_ties(reg):
    reg.withdraw("S1", "marketing", at=t(10))
    reg.give("S1", "marketing", at=t(2))  # recorded later, happened earlier
    assert reg.has_consent("S1", "marketing", at=t(5)) and not reg.has_consent("S1", "marketing", at=t(11))
    reg.give("S1", "marketing", at=t(12))
    reg.withdraw("S1", "marketing", at=t(12))  # same instant: the later record wins
    assert not reg.has_consent("S1", "marketing", at=t(12))


def test_may_process_per_lawful_basis(reg):
    reg.object("S2", "fraud", at=t(5))
    assert reg.may_process("S1", "credit", at=t(1))  # contract: no consent needed
    assert reg.may_process("S2", "fraud", at=t(4)) and not reg.may_process("S2", "fraud", at=t(6))
    assert not reg.may_process("S1", "marketing", at=t(6))
    with pytest.raises(PurposeError, match="Art. 21"):
        reg.object("S1", "credit", at=t(1))
    with pytest.raises(PurposeError, match="not consent"):
        reg.give("S1", "credit", at=t(1))


def test_purpose_view_limits_subjects_and_columns(reg):
    reg.give("S2", "marketing", at=t(1))
    reg.give("S4", "marketing", at=t(1))
    reg.withdraw("S4", "marketing", at=t(3))
    assert reg.purpose_view(ROWS, "marketing", at=t(2)) == [{"email": "s2@example.org"}, {"email": "s4@example.org"}]
    assert reg.purpose_view(ROWS, "marketing", at=t(4)) == [{"email": "s2@example.org"}]
    view = reg.purpose_view(ROWS, "credit", at=t(4), columns=["income"])
    assert view == [{"income": 10.0 * i} for i in range(1, 6)]
    with pytest.raises(PurposeError, match=r"5\(1\)\(c\)"):
        reg.purpose_view(ROWS, "credit", at=t(4), columns=["income", "ssn"])
    with pytest.raises(PurposeError, match="not declared"):
        reg.purpose_view(ROWS, "profiling", at=t(4))


def test_opt_out_of_sale_and_back(reg):
    assert reg.sale_allowed("S1", at=t(1))
    reg.opt_out_of_sale("S1", at=t(2))
    reg.opt_in_to_sale("S1", at=t(8))
    assert [reg.sale_allowed("S1", at=t(d)) for d in (1, 3, 9)] == [True, False, True]


def test_history_and_forget(reg):
    reg.give("S1", "marketing", at=t(1))
    reg.opt_out_of_sale("S1", at=t(2))
    reg.give("S2", "marketing", at=t(1))
    assert [e.kind for e in reg.history("S1")] == ["give", "opt_out"]
    assert reg.forget("S1") == 2 and reg.history("S1") == [] and len(reg.history("S2")) == 1


def test_bad_input(reg):
    with pytest.raises(ValueError, match="lawful_basis"):
        Purpose("x", ("a",), "because")
    with pytest.raises(ValueError, match="columns"):
        Purpose("x", (), "consent")
    with pytest.raises(ValueError, match="columns"):
        Purpose("x", "email", "consent")
    with pytest.raises(ValueError, match="already"):
        reg.declare(Purpose("marketing", ("email",), "consent"))
    with pytest.raises(TypeError, match="Purpose"):
        reg.declare("marketing")
    with pytest.raises(TypeError, match="at"):
        reg.give("S1", "marketing", at="2024-01-01")
    with pytest.raises(ValueError, match="subject_id"):
        reg.give("", "marketing", at=t(1))
    with pytest.raises(PurposeError):
        reg.withdraw("S1", "unknown", at=t(1))
    with pytest.raises(ValueError, match="id column"):
        reg.purpose_view([{"email": "x"}], "credit", at=t(1))
