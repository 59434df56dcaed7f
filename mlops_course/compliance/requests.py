"""Data-subject requests, answered by a controller that logs every access, decision and erasure.

=========================================  =====================================================
right                                      method of :class:`Controller`
=========================================  =====================================================
access (GDPR Art. 15) / right to know      :meth:`~Controller.access` — every row held, derived
(CCPA §1798.100, §1798.110)                rows (also by pseudonym), models trained on it,
                                           purposes, lawful bases, consent history
erasure (Art. 17) / delete (§1798.105)     :meth:`~Controller.erase` — sources, derived
                                           datasets and models (retrained), consent history,
                                           token vault
opt out of sale (§1798.120)                :meth:`~Controller.export_for_sale` honours the
                                           register's opt-outs
purpose limitation, minimisation           :meth:`~Controller.purpose_view` (Art. 5(1)(b)(c))
storage limitation (Art. 5(1)(e)),         :meth:`~Controller.enforce_retention`
retention disclosure (§1798.100(a)(3))
automated decisions (Art. 22)              :meth:`~Controller.decide` logs each decision and
                                           flags adverse ones for human review (Art. 22(3))
=========================================  =====================================================

Every call appends to the hash-chained :class:`.auditlog.AuditLog` (Art. 5(2) accountability),
referring to the subject by a keyed hash, never by name. Time is always an explicit argument.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from mlops_course.compliance.auditlog import AuditLog
from mlops_course.compliance.pii import TokenVault, keyed_hash
from mlops_course.compliance.records import DataStore, ErasureResult
from mlops_course.compliance.register import ConsentRegister

__all__ = ["Controller"]


class Controller:
    """A data controller: the lineage store, the consent register, the audit log and a secret key.

    Parameters
    ----------
    store : DataStore
    register : ConsentRegister
    key : bytes
        Secret key (>= 16 bytes) for pseudonyms (:meth:`pseudonym`) and audit references.
    log : AuditLog, optional
        A new one by default.
    vault : TokenVault, optional
        A token vault whose entries are forgotten on erasure.
    actor : str
        Who is recorded in the audit log.
    """

    def __init__(self, store: DataStore, register: ConsentRegister, *, key: bytes, log: AuditLog | None = None,
                 vault: TokenVault | None = None, actor: str = "controller") -> None:
        if not isinstance(store, DataStore):
            raise TypeError(f"store must be a DataStore, got {type(store).__name__}")
        if not isinstance(register, ConsentRegister):
            raise TypeError(f"register must be a ConsentRegister, got {type(register).__name__}")
        keyed_hash("check", key)  # validates the key
        self.store, self.register, self._key = store, register, bytes(key)
        self.log = AuditLog() if log is None else log
        self.vault, self.actor = vault, actor

    def pseudonym(self, subject_id: Any) -> str:
        """Keyed-hash pseudonym used in derived datasets (GDPR Art. 4(5))."""
        return keyed_hash(subject_id, self._key)

    def _ref(self, subject_id: Any) -> str:
        return keyed_hash(f"audit:{subject_id}", self._key)

    # ------------------------------------------------------------------ Art. 5(1)(b)(c)
    def purpose_view(self, dataset: str, purpose: str, *, at: datetime,
                     columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """What a job for ``purpose`` may read from ``dataset`` (purpose limitation + minimisation).

        Refusals (:class:`.register.PurposeError`) are logged too.
        """
        try:
            rows = self.register.purpose_view(self.store.rows(dataset), purpose, at=at, columns=columns,
                                              id_column=self.store.id_column)
        except PermissionError as exc:
            self.log.append(self.actor, "access_refused", "", {"dataset": dataset, "purpose": purpose,
                                                              "reason": str(exc)}, at=at)
            raise
        self.log.append(self.actor, "access", "", {"dataset": dataset, "purpose": purpose, "rows": len(rows),
                                                   "columns": list(columns or self.register.purpose(purpose).columns)},
                        at=at)
        return rows

    # ------------------------------------------------------------------ Art. 15 / §1798.100, .110
    def access(self, subject_id: str, *, at: datetime) -> dict[str, Any]:
        """Everything held about a subject (GDPR Art. 15(1) and (3); CCPA §1798.100(a), §1798.110).

        Returns
        -------
        dict
            ``data``: ``node -> rows`` for every source/dataset row with the subject's id or
            pseudonym; ``reached``: every node their data flowed into (lineage); ``models``: models
            trained on it; ``purposes``: ``[(purpose, lawful basis, may process now)]``;
            ``consent_history``: the register's events; ``sale_opted_out``.

        Raises
        ------
        KeyError
            If the subject is not held.
        """
        reached = self.store.reached_by(subject_id)
        if not reached:
            raise KeyError(f"subject {subject_id!r} is not held in any source")
        pseudonym, idc = self.pseudonym(subject_id), self.store.id_column
        data = {}
        for name in reached:
            if self.store.node(name).kind == "model":
                continue
            rows = [r for r in self.store.rows(name)
                    if r.get(idc) == subject_id or any(pseudonym in str(v) for v in r.values())]
            if rows:
                data[name] = rows
        report = {
            "subject_id": subject_id,
            "data": data,
            "reached": reached,
            "models": [n for n in reached if self.store.node(n).kind == "model"],
            "purposes": [(p.name, p.lawful_basis, self.register.may_process(subject_id, p.name, at=at))
                         for p in self.register.purposes],
            "consent_history": [asdict(e) for e in self.register.history(subject_id)],
            "sale_opted_out": not self.register.sale_allowed(subject_id, at=at),
        }
        self.log.append(self.actor, "access_request", self._ref(subject_id),
                        {"nodes": list(data), "models": report["models"]}, at=at)
        return report

    # ------------------------------------------------------------------ Art. 17 / §1798.105
    def erase(self, subject_id: str, *, at: datetime) -> ErasureResult:
        """Erase a subject everywhere: sources, derived datasets (recomputed), models (retrained),
        consent history and token vault (GDPR Art. 17(1); CCPA §1798.105(a), (c)).

        The audit entry keeps only a keyed reference (Art. 17(3)(b), Art. 5(2)).
        """
        result = self.store.erase(subject_id)
        events = self.register.forget(subject_id)
        if self.vault is not None:
            self.vault.forget(subject_id)
        self.log.append(self.actor, "erasure", self._ref(subject_id), {
            "rows_removed": dict(result.rows_removed), "datasets_recomputed": list(result.datasets_recomputed),
            "models_retrained": list(result.models_retrained), "consent_events_removed": events}, at=at)
        return result

    # ------------------------------------------------------------------ §1798.120
    def export_for_sale(self, dataset: str, *, at: datetime) -> list[dict[str, Any]]:
        """Rows of ``dataset`` that may be sold or shared: consumers who opted out are left out
        (CCPA §1798.120(a), (d)); the export is logged."""
        idc = self.store.id_column
        rows = self.store.rows(dataset)
        if any(idc not in r for r in rows):
            raise ValueError(f"dataset {dataset!r} has rows without {idc!r}: cannot honour opt-outs")
        kept = [r for r in rows if self.register.sale_allowed(str(r[idc]), at=at)]
        self.log.append(self.actor, "export_for_sale", "", {"dataset": dataset, "rows": len(kept),
                                                            "withheld": len(rows) - len(kept)}, at=at)
        return kept

    # ------------------------------------------------------------------ Art. 5(1)(e)
    def enforce_retention(self, source: str, *, now: datetime, max_age: timedelta,
                          column: str = "collected_at") -> list[str]:
        """Erase every subject of ``source`` whose ``column`` timestamp is older than ``max_age``
        (storage limitation, GDPR Art. 5(1)(e); CCPA §1798.100(a)(3)). Returns the erased ids."""
        if not isinstance(max_age, timedelta) or max_age <= timedelta(0):
            raise ValueError(f"max_age must be a positive timedelta, got {max_age!r}")
        if self.store.node(source).kind != "source":
            raise ValueError(f"{source!r} is not a source")
        cutoff = now - max_age
        expired = list(dict.fromkeys(str(r[self.store.id_column]) for r in self.store.rows(source)
                                     if r[column] < cutoff))
        for sid in expired:
            self.erase(sid, at=now)
        self.log.append(self.actor, "retention", "", {"source": source, "cutoff": cutoff.isoformat(),
                                                      "erased": len(expired)}, at=now)
        return expired

    # ------------------------------------------------------------------ Art. 22
    def decide(self, model: str, subject_id: str, row: dict[str, Any], *, at: datetime,
               threshold: float = 0.5) -> tuple[float, bool]:
        """Score one applicant with a model and log the decision (Art. 22).

        Returns ``(probability of the adverse class, adverse?)``; an adverse decision is flagged
        in the log for human review (Art. 22(3)) and explanation (Art. 13(2)(f), 15(1)(h); see
        :mod:`.explanation`).
        """
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
        p = float(self.store.predict(model, [row])[0])
        adverse = p >= threshold
        self.log.append(self.actor, "decision", self._ref(subject_id), {
            "model": model, "score": round(p, 6), "adverse": adverse, "human_review": adverse}, at=at)
        return p, adverse
