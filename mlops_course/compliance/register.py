"""Consent and purpose register: lawful bases, consent events, purpose limitation, minimisation.

Legal map (Regulation (EU) 2016/679 "GDPR"; California Civil Code "CCPA" as amended by the CPRA):

* **Art. 5(1)(b) purpose limitation** — data collected for a purpose may not be processed for an
  incompatible one: :meth:`ConsentRegister.purpose_view` returns only the subjects that may be
  processed for the purpose;
* **Art. 5(1)(c) data minimisation** — "adequate, relevant and limited to what is necessary":
  the view keeps only the columns the purpose declared; asking for more raises
  :class:`PurposeError`;
* **Art. 6(1)(a)–(f) lawful bases** — :data:`LAWFUL_BASES`; each purpose declares one;
* **Art. 7(1), 7(3) consent** — the controller must demonstrate consent (timestamped events
  are kept, never overwritten) and withdrawing must be as easy as giving it; withdrawal does
  not make earlier processing unlawful, so :meth:`~ConsentRegister.has_consent` is evaluated
  *at a time*;
* **Art. 21 right to object** — to processing based on legitimate interests or a public task
  (and always to direct marketing): :meth:`~ConsentRegister.object`;
* **CCPA §1798.120 right to opt out of sale/sharing** — :meth:`~ConsentRegister.opt_out_of_sale`,
  honoured by :func:`mlops_course.compliance.requests.export_for_sale`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_course._validation import check_choice

__all__ = ["LAWFUL_BASES", "Purpose", "ConsentEvent", "PurposeError", "ConsentRegister"]

#: GDPR Art. 6(1)(a)–(f)
LAWFUL_BASES: tuple[str, ...] = (
    "consent",               # (a) the data subject has given consent
    "contract",              # (b) necessary for a contract with the subject
    "legal_obligation",      # (c) necessary to comply with a legal obligation
    "vital_interests",       # (d) to protect someone's vital interests
    "public_task",           # (e) task in the public interest / official authority
    "legitimate_interests",  # (f) legitimate interests, unless overridden by the subject's rights
)
SALE = "__sale__"  # CCPA opt-out events are stored under this pseudo-purpose


class PurposeError(PermissionError):
    """Processing that the register does not allow (undeclared purpose or column)."""


@dataclass(frozen=True)
class Purpose:
    """A declared processing purpose.

    Parameters
    ----------
    name : str
        E.g. ``"credit_scoring"``.
    columns : tuple of str
        The only columns this purpose may use (data minimisation, Art. 5(1)(c)).
    lawful_basis : str
        One of :data:`LAWFUL_BASES` (Art. 6(1)).
    description : str
        What the processing is for, as told to the subject (Art. 13(1)(c)).
    """

    name: str
    columns: tuple[str, ...]
    lawful_basis: str
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or self.name == SALE:
            raise ValueError(f"name must be a non-empty str, got {self.name!r}")
        check_choice("lawful_basis", self.lawful_basis, LAWFUL_BASES, note=" (GDPR Art. 6(1))")
        if isinstance(self.columns, str) or not self.columns or not all(isinstance(c, str) for c in self.columns):
            raise ValueError(f"columns must be a non-empty tuple of column names, got {self.columns!r}")
        object.__setattr__(self, "columns", tuple(self.columns))


@dataclass(frozen=True)
class ConsentEvent:
    """One timestamped event: ``kind`` in ``give``, ``withdraw``, ``object``, ``opt_out``, ``opt_in``.

    Parameters
    ----------
    subject_id : str
        The data subject.
    purpose : str
        The processing purpose concerned.
    kind : {"give", "withdraw", "object", "opt_out", "opt_in"}
        The event.
    at : datetime.datetime
        When it happened.
    """

    subject_id: str
    purpose: str
    kind: str
    at: datetime


class ConsentRegister:
    """Purposes and an append-only history of consent, objection and opt-out events.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda d: datetime(2024, 1, d, tzinfo=timezone.utc)
    >>> reg = ConsentRegister([Purpose("marketing", ("email",), "consent")])
    >>> reg.give("S1", "marketing", at=t(1)); reg.withdraw("S1", "marketing", at=t(10))
    >>> reg.has_consent("S1", "marketing", at=t(5)), reg.has_consent("S1", "marketing", at=t(11))
    (True, False)
    """

    def __init__(self, purposes: Iterable[Purpose] = ()) -> None:
        self._purposes: dict[str, Purpose] = {}
        self._events: list[ConsentEvent] = []
        for p in purposes:
            self.declare(p)

    # ------------------------------------------------------------------ purposes
    def declare(self, purpose: Purpose) -> None:
        """Declare a purpose (names are unique)."""
        if not isinstance(purpose, Purpose):
            raise TypeError(f"purpose must be a Purpose, got {type(purpose).__name__}")
        if purpose.name in self._purposes:
            raise ValueError(f"purpose {purpose.name!r} is already declared")
        self._purposes[purpose.name] = purpose

    def purpose(self, name: str) -> Purpose:
        """The declared purpose called ``name``; :class:`PurposeError` if undeclared (Art. 5(1)(b))."""
        if name not in self._purposes:
            raise PurposeError(f"purpose {name!r} is not declared; declared purposes: {sorted(self._purposes)}")
        return self._purposes[name]

    @property
    def purposes(self) -> tuple[Purpose, ...]:
        return tuple(self._purposes.values())

    # ------------------------------------------------------------------ events
    def _record(self, subject_id: str, purpose: str, kind: str, at: datetime) -> None:
        if not isinstance(subject_id, str) or not subject_id:
            raise ValueError(f"subject_id must be a non-empty str, got {subject_id!r}")
        if not isinstance(at, datetime):
            raise TypeError(f"at must be a datetime, got {type(at).__name__}")
        if purpose != SALE:
            self.purpose(purpose)
        self._events.append(ConsentEvent(subject_id, purpose, kind, at))

    def give(self, subject_id: str, purpose: str, *, at: datetime) -> None:
        """Record consent (Art. 6(1)(a), 7(1)); only for purposes whose basis is consent."""
        if self.purpose(purpose).lawful_basis != "consent":
            raise PurposeError(f"purpose {purpose!r} is based on {self._purposes[purpose].lawful_basis!r}, not "
                               "consent; asking for consent there misleads the subject")
        self._record(subject_id, purpose, "give", at)

    def withdraw(self, subject_id: str, purpose: str, *, at: datetime) -> None:
        """Record withdrawal of consent (Art. 7(3)): effective from ``at`` on, not retroactively."""
        self._record(subject_id, purpose, "withdraw", at)

    def object(self, subject_id: str, purpose: str, *, at: datetime) -> None:
        """Record an objection (Art. 21) to a purpose based on legitimate interests or a public task."""
        if self.purpose(purpose).lawful_basis not in ("legitimate_interests", "public_task"):
            raise PurposeError(f"Art. 21 objection applies to legitimate_interests/public_task purposes; "
                               f"{purpose!r} is based on {self._purposes[purpose].lawful_basis!r}")
        self._record(subject_id, purpose, "object", at)

    def opt_out_of_sale(self, subject_id: str, *, at: datetime) -> None:
        """CCPA §1798.120(a): the consumer directs the business not to sell or share their data."""
        self._record(subject_id, SALE, "opt_out", at)

    def opt_in_to_sale(self, subject_id: str, *, at: datetime) -> None:
        """The consumer later authorises sale again (§1798.120(d) / §1798.135(c)(4))."""
        self._record(subject_id, SALE, "opt_in", at)

    def _last(self, subject_id: str, purpose: str, at: datetime) -> ConsentEvent | None:
        if not isinstance(at, datetime):
            raise TypeError(f"at must be a datetime, got {type(at).__name__}")
        last = None
        for e in self._events:  # later-recorded events win ties
            if e.subject_id == subject_id and e.purpose == purpose and e.at <= at:
                if last is None or e.at >= last.at:
                    last = e
        return last

    def has_consent(self, subject_id: str, purpose: str, *, at: datetime) -> bool:
        """Whether the subject's latest consent event for ``purpose`` at time ``at`` is ``give``."""
        self.purpose(purpose)
        last = self._last(subject_id, purpose, at)
        return last is not None and last.kind == "give"

    def may_process(self, subject_id: str, purpose: str, *, at: datetime) -> bool:
        """Whether the subject's data may be processed for ``purpose`` at time ``at``.

        consent → an active consent (Art. 6(1)(a), 7(3)); legitimate interests / public task → no
        objection (Art. 21); contract, legal obligation, vital interests → yes (the necessity is the
        controller's assessment, recorded by declaring the purpose).
        """
        basis = self.purpose(purpose).lawful_basis
        if basis == "consent":
            return self.has_consent(subject_id, purpose, at=at)
        if basis in ("legitimate_interests", "public_task"):
            last = self._last(subject_id, purpose, at)
            return last is None or last.kind != "object"
        return True

    def sale_allowed(self, subject_id: str, *, at: datetime) -> bool:
        """CCPA §1798.120: False once the consumer opted out (until they opt back in)."""
        last = self._last(subject_id, SALE, at)
        return last is None or last.kind != "opt_out"

    def history(self, subject_id: str) -> list[ConsentEvent]:
        """Every event of a subject, in recording order (for access requests, Art. 15)."""
        return [e for e in self._events if e.subject_id == subject_id]

    def forget(self, subject_id: str) -> int:
        """Delete a subject's events (erasure, Art. 17); return how many were removed."""
        before = len(self._events)
        self._events = [e for e in self._events if e.subject_id != subject_id]
        return before - len(self._events)

    # ------------------------------------------------------------------ enforcement
    def purpose_view(self, rows: Sequence[Mapping[str, Any]], purpose: str, *, at: datetime,
                     columns: Sequence[str] | None = None, id_column: str = "subject_id") -> list[dict[str, Any]]:
        """The data a job for ``purpose`` may see: allowed subjects, declared columns only.

        Purpose limitation (Art. 5(1)(b)): rows of subjects for whom :meth:`may_process` is false
        are dropped. Data minimisation (Art. 5(1)(c)): only the purpose's columns are kept (the
        ``id_column`` is kept only if declared). Asking for an undeclared column raises.

        Parameters
        ----------
        rows : sequence of mappings
            The full table; each row has ``id_column``.
        purpose : str
            A declared purpose.
        at : datetime
            When the job runs (consent is evaluated then).
        columns : sequence of str, optional
            Columns the job asks for (default: all declared ones, in declared order).
        id_column : str

        Returns
        -------
        list of dict

        Raises
        ------
        PurposeError
            Undeclared purpose, or a requested column not declared for it.
        """
        declared = self.purpose(purpose).columns
        wanted = tuple(declared if columns is None else columns)
        extra = [c for c in wanted if c not in declared]
        if extra:
            raise PurposeError(f"columns {extra} are not declared for purpose {purpose!r} "
                               f"(data minimisation, GDPR Art. 5(1)(c)); declared: {list(declared)}")
        out = []
        for i, row in enumerate(rows):
            if id_column not in row:
                raise ValueError(f"rows[{i}] lacks the id column {id_column!r}")
            if self.may_process(str(row[id_column]), purpose, at=at):
                out.append({c: row[c] for c in wanted if c in row})
        return out
