"""PrivacyAccountant: basic-composition budget that refuses overspending and records nothing then."""
from __future__ import annotations

import math

import pytest

from mlops_course.privacy.dp.accountant import BudgetExceededError, LedgerEntry, PrivacyAccountant


def test_spend_records_and_returns_remaining():
    acc = PrivacyAccountant(1.0, 1e-5)
    assert acc.spend(0.3, 1e-6, label="histogram") == pytest.approx((0.7, 9e-6))
    assert acc.spend(0.2, label="count") == pytest.approx((0.5, 9e-6))
    assert acc.ledger == [LedgerEntry("histogram", 0.3, 1e-6), LedgerEntry("count", 0.2, 0.0)]
    assert acc.spent == pytest.approx((0.5, 1e-6))
    assert acc.remaining == pytest.approx((0.5, 9e-6))
    assert len(acc) == 2


def test_refuses_overspending_and_records_nothing():
    acc = PrivacyAccountant(1.0)
    acc.spend(0.6, label="mean age")
    before = (acc.ledger, acc.spent, acc.remaining)
    with pytest.raises(BudgetExceededError) as info:
        acc.spend(0.5, label="median income")
    msg = str(info.value)
    assert "median income" in msg and "0.5" in msg and "0.4" in msg  # query, request, what remains
    assert isinstance(info.value, ValueError)
    assert (acc.ledger, acc.spent, acc.remaining) == before
    # a query that fits is still accepted afterwards
    acc.spend(0.4, label="last")
    assert acc.remaining == (0.0, 0.0)
    with pytest.raises(BudgetExceededError):
        acc.spend(1e-9, label="one more")
    assert [e.label for e in acc.ledger] == ["mean age", "last"]


def test_refuses_delta_overspending_including_zero_delta_budget():
    acc = PrivacyAccountant(10.0)  # pure ε-DP budget
    with pytest.raises(BudgetExceededError, match="delta"):
        acc.spend(0.1, 1e-9, label="gaussian")
    assert acc.ledger == []
    acc2 = PrivacyAccountant(10.0, 1e-6)
    acc2.spend(1.0, 6e-7)
    with pytest.raises(BudgetExceededError):
        acc2.spend(1.0, 6e-7)
    assert len(acc2) == 1


def test_decimal_splits_fit_exactly():
    acc = PrivacyAccountant(1.0)
    for i in range(10):
        acc.spend(0.1, label=f"q{i}")
    assert acc.spent[0] == 1.0
    with pytest.raises(BudgetExceededError):
        acc.spend(0.01)


def test_can_spend_does_not_record():
    acc = PrivacyAccountant(1.0)
    assert acc.can_spend(1.0) and not acc.can_spend(1.5)
    assert acc.ledger == []


def test_ledger_is_a_copy():
    acc = PrivacyAccountant(1.0)
    acc.spend(0.5, label="a")
    acc.ledger.append(LedgerEntry("forged", 100.0, 0.0))
    acc.ledger.clear()
    assert acc.ledger == [LedgerEntry("a", 0.5, 0.0)]


def test_str_is_an_aligned_table():
    acc = PrivacyAccountant(2.0, 1e-5)
    acc.spend(0.5, label="count")
    acc.spend(0.25, 1e-6, label="a much longer query label")
    text = str(acc)
    lines = text.splitlines()
    assert lines[0].split() == ["#", "query", "epsilon", "delta"]
    assert "count" in lines[2] and "a much longer query label" in lines[3]
    assert any("total spent" in ln and "0.75" in ln for ln in lines)
    assert any("remaining" in ln and "1.25" in ln for ln in lines)
    assert len({len(ln) for ln in lines}) == 1  # every row (and rule) has the same width: aligned
    # the epsilon column ends at the same position on every data row
    ends = {ln.index(tok) + len(tok) for ln, tok in [(lines[2], "0.5"), (lines[3], "0.25")]}
    assert len(ends) == 1
    assert "PrivacyAccountant(" in repr(acc)


def test_empty_ledger_prints():
    text = str(PrivacyAccountant(1.0))
    assert "total spent" in text and "budget" in text


@pytest.mark.parametrize(
    "args", [(0.0,), (-1.0,), (math.nan,), (math.inf,), ("1",), (1.0, -0.1), (1.0, 1.0), (1.0, math.nan)]
)
def test_bad_budget(args):
    with pytest.raises((ValueError, TypeError)):
        PrivacyAccountant(*args)


@pytest.mark.parametrize(
    "args, kwargs",
    [((0.0,), {}), ((-0.5,), {}), ((math.nan,), {}), ((math.inf,), {}), ((0.1, -1e-6), {}),
     ((0.1, 1.0), {}), ((0.1, math.nan), {}), ((0.1,), {"label": 3})],
)
def test_bad_spend_records_nothing(args, kwargs):
    acc = PrivacyAccountant(1.0, 1e-5)
    with pytest.raises((ValueError, TypeError)) as info:
        acc.spend(*args, **kwargs)
    assert not isinstance(info.value, BudgetExceededError)
    assert acc.ledger == []
