"""A privacy-budget accountant that refuses queries which would overspend.

The guarantee is part of the API (as in OpenDP / Google DP): every query declares the (ε, δ)
it costs, the accountant adds them up with *basic composition* (Dwork & Roth 2014, Thm 3.16)

    ε_spent = Σ εᵢ <= ε_budget,      δ_spent = Σ δᵢ <= δ_budget,

and a query that would break either inequality is refused *before* it runs, with nothing
recorded. Basic composition is loose for many queries (see ``composition.advanced_composition``
and RDP accounting) but it is always correct and easy to audit.

Examples
--------
>>> acc = PrivacyAccountant(epsilon_budget=1.0)
>>> acc.spend(0.5, label="count")
(0.5, 0.0)
>>> acc.spend(0.75, label="mean")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
...
BudgetExceededError: query 'mean' asks for epsilon=0.75, delta=0 but only epsilon=0.5, delta=0 remain (budget epsilon=1, delta=0)
>>> [e.label for e in acc.ledger]
['count']
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from mlops_course._validation import check_delta, check_epsilon, check_nonnegative

__all__ = ["BudgetExceededError", "LedgerEntry", "PrivacyAccountant", "charge"]

# Relative slack for floating-point sums, so that e.g. ten queries of ε = 0.1 fit a budget of 1.0.
_REL_TOL = 1e-12


class BudgetExceededError(ValueError):
    """Raised when a query would exceed the privacy budget (nothing is recorded)."""


@dataclass(frozen=True)
class LedgerEntry:
    """One accepted query: its label and the (ε, δ) it spent.

    Parameters
    ----------
    label : str
        What the query was.
    epsilon : float
        ε spent.
    delta : float
        δ spent.
    """

    label: str
    epsilon: float
    delta: float


class PrivacyAccountant:
    """Track (ε, δ) spent by queries on one data set under basic composition; refuse overspending.

    Parameters
    ----------
    epsilon_budget : float
        Total ε allowed, > 0.
    delta_budget : float, default 0
        Total δ allowed, in [0, 1). With 0 only pure ε-DP queries (δ = 0) are accepted.

    Attributes
    ----------
    ledger : list of LedgerEntry
        A copy of the accepted queries, in order.
    spent, remaining : tuple of float
        (ε, δ) spent so far / still available.

    Raises
    ------
    ValueError, TypeError
        On an invalid budget.

    Notes
    -----
    Sums use ``math.fsum`` and a relative tolerance of 1e-12, so budgets split into decimal
    pieces (10 × 0.1 = 1.0) are not refused because of rounding.

    Thread-safe: :meth:`spend` checks and records under one lock, so concurrent queries can never
    overspend the budget together. Mechanisms take the accountant as ``accountant=`` and charge it
    *before* drawing noise (:func:`charge`), so the guarantee travels with the call (OpenDP style).

    References
    ----------
    Dwork & Roth, *The Algorithmic Foundations of Differential Privacy*, 2014, Theorem 3.16;
    the "privacy odometer / filter" view: Rogers, Roth, Ullman, Vadhan, NeurIPS 2016.

    Examples
    --------
    >>> acc = PrivacyAccountant(1.0, 1e-5)
    >>> acc.spend(0.3, 1e-6, label="histogram")
    (0.7, 9e-06)
    >>> acc.remaining
    (0.7, 9e-06)
    """

    def __init__(self, epsilon_budget: float, delta_budget: float = 0.0) -> None:
        self._eps_budget = check_epsilon(epsilon_budget, "epsilon_budget")
        self._delta_budget = check_delta(delta_budget, "delta_budget", allow_zero=True)
        self._entries: list[LedgerEntry] = []
        self._lock = threading.RLock()

    # --- read-only views -------------------------------------------------------------------
    @property
    def epsilon_budget(self) -> float:
        return self._eps_budget

    @property
    def delta_budget(self) -> float:
        return self._delta_budget

    @property
    def ledger(self) -> list[LedgerEntry]:
        """A copy of the accepted entries (mutating it does not change the accountant)."""
        with self._lock:
            return list(self._entries)

    @property
    def spent(self) -> tuple[float, float]:
        """(Σ εᵢ, Σ δᵢ) over accepted queries."""
        with self._lock:
            entries = list(self._entries)
        return math.fsum(e.epsilon for e in entries), math.fsum(e.delta for e in entries)

    @property
    def remaining(self) -> tuple[float, float]:
        """(ε, δ) still available, clipped at 0."""
        eps, delta = self.spent
        return max(0.0, self._eps_budget - eps), max(0.0, self._delta_budget - delta)

    # --- spending ------------------------------------------------------------------------
    def can_spend(self, epsilon: float, delta: float = 0.0) -> bool:
        """Whether a query costing (ε, δ) would fit the remaining budget (nothing recorded)."""
        epsilon = check_epsilon(epsilon)
        delta = check_nonnegative("delta", delta)
        eps_spent, delta_spent = self.spent
        eps_ok = math.fsum([eps_spent, epsilon]) <= self._eps_budget * (1 + _REL_TOL)
        delta_ok = math.fsum([delta_spent, delta]) <= self._delta_budget * (1 + _REL_TOL)
        return eps_ok and delta_ok

    def spend(self, epsilon: float, delta: float = 0.0, label: str = "") -> tuple[float, float]:
        """Record a query costing (ε, δ), or refuse it.

        Parameters
        ----------
        epsilon : float
            ε of the query, > 0.
        delta : float, default 0
            δ of the query, in [0, 1).
        label : str, default ""
            Name of the query for the ledger (e.g. ``"mean age"``).

        Returns
        -------
        (epsilon, delta) : tuple of float
            The remaining budget after the query.

        Raises
        ------
        BudgetExceededError
            If the query would exceed the ε or δ budget; the ledger is left unchanged.
        ValueError, TypeError
            On ε <= 0, δ outside [0, 1) or a non-string label (nothing recorded either).
        """
        epsilon = check_epsilon(epsilon)
        delta = check_delta(delta, allow_zero=True)
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        with self._lock:  # check-then-record is atomic: concurrent spends cannot overspend
            if not self.can_spend(epsilon, delta):
                rem_eps, rem_delta = self.remaining
                name = f"query {label!r}" if label else "query"
                raise BudgetExceededError(
                    f"{name} asks for epsilon={epsilon:g}, delta={delta:g} but only "
                    f"epsilon={rem_eps:g}, delta={rem_delta:g} remain "
                    f"(budget epsilon={self._eps_budget:g}, delta={self._delta_budget:g})"
                )
            self._entries.append(LedgerEntry(label, epsilon, delta))
            return self.remaining

    # --- display -------------------------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __repr__(self) -> str:
        eps, delta = self.spent
        return (
            f"PrivacyAccountant(epsilon_budget={self._eps_budget:g}, delta_budget={self._delta_budget:g}, "
            f"queries={len(self._entries)}, spent=({eps:g}, {delta:g}))"
        )

    def __str__(self) -> str:
        """Aligned table: one row per query, then the total spent, the budget and what remains."""
        entries = self.ledger
        eps, delta = self.spent
        rem_eps, rem_delta = self.remaining
        rows = [(str(i + 1), e.label, f"{e.epsilon:.6g}", f"{e.delta:.3g}") for i, e in enumerate(entries)]
        footer = [
            ("", "total spent", f"{eps:.6g}", f"{delta:.3g}"),
            ("", "budget", f"{self._eps_budget:.6g}", f"{self._delta_budget:.3g}"),
            ("", "remaining", f"{rem_eps:.6g}", f"{rem_delta:.3g}"),
        ]
        header = ("#", "query", "epsilon", "delta")
        widths = [max(len(r[c]) for r in [header, *rows, *footer]) for c in range(4)]

        def fmt(r: tuple[str, str, str, str]) -> str:
            return (
                f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}"
            ).rstrip()

        rule = "-" * (sum(widths) + 6)
        lines = [fmt(header), rule, *(fmt(r) for r in rows), rule, *(fmt(r) for r in footer)]
        return "\n".join(lines)


def charge(accountant: Any, epsilon: float, delta: float = 0.0, label: str = "") -> None:
    """Charge ``accountant`` for a mechanism call, *before* the mechanism draws its noise.

    Mechanisms call this after validating their arguments and before touching the random
    generator, so a refused query releases nothing and consumes no randomness.

    Parameters
    ----------
    accountant : PrivacyAccountant or None
        ``None`` charges nothing (the caller accounts by hand).
    epsilon, delta : float
        The (ε, δ) the call costs.
    label : str
        Ledger label.

    Raises
    ------
    TypeError
        If ``accountant`` is neither None nor a :class:`PrivacyAccountant`.
    BudgetExceededError
        If the call would exceed the budget (nothing recorded).

    Examples
    --------
    >>> acc = PrivacyAccountant(1.0)
    >>> charge(acc, 0.4, label="count"); acc.spent
    (0.4, 0.0)
    """
    if accountant is None:
        return
    if not isinstance(accountant, PrivacyAccountant):
        raise TypeError(f"accountant must be a PrivacyAccountant or None, got {type(accountant).__name__}")
    accountant.spend(epsilon, delta, label=label)
