"""A data catalog: classification, owners, retention, and usage policies checked against them.

Classification levels (ordered, each includes the obligations of the ones below):

==================  ======  ================================================================
level               rank    meaning
==================  ======  ================================================================
``public``          0       may be published (aggregates already released, product catalogue)
``internal``        1       business data without personal identifiers
``confidential``    2       personal data (GDPR Art. 4(1)) or trade secrets: need-to-know
``special-category`` 3      GDPR Art. 9(1): racial or ethnic origin, political opinions,
                            religious or philosophical beliefs, trade-union membership, genetic
                            data, biometric data for identification, health, sex life or sexual
                            orientation — processing is prohibited unless an Art. 9(2)
                            condition applies (e.g. explicit consent, Art. 9(2)(a))
==================  ======  ================================================================

A usage request names columns, a **clearance** (the highest level the requester may read) and,
optionally, the Art. 9(2) condition that makes special-category processing lawful. A column is
refused (:func:`refused_columns`) when it is unknown to the catalog, classified above the
clearance, or special-category without an Art. 9(2) condition. :func:`check_usage` adds the
purpose check (purpose limitation, Art. 5(1)(b)): the request's purpose must be one the dataset
was catalogued for. Retention (storage limitation, Art. 5(1)(e)) is a number of days per dataset
(:func:`retention_expired`).

Classification can be *suggested* from the data (:func:`suggest_classification`): column names
matching Art. 9 terms → special-category; identifiers found by the compliance unit's PII scanner
(:func:`mlops_course.compliance.pii.scan_table`) or identifier-like names → confidential;
everything else → internal (``public`` is only ever a human decision).

References
----------
Regulation (EU) 2016/679 (GDPR), Art. 4(1), 5(1)(b)(e), 9. NIST SP 800-60 Vol. 1 Rev. 1 (2008),
*Guide for mapping types of information to security categories* (classification drives controls).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mlops_course._validation import check_choice, check_int

__all__ = [
    "CLASSIFICATIONS", "SPECIAL_CATEGORY_TERMS", "IDENTIFIER_TERMS", "level", "check_classification",
    "CatalogEntry", "UsageRequest", "PolicyDecision", "DataCatalog", "refused_columns", "check_usage",
    "retention_expired", "suggest_classification",
]

CLASSIFICATIONS: tuple[str, ...] = ("public", "internal", "confidential", "special-category")

#: column-name fragments that signal GDPR Art. 9(1) special categories
SPECIAL_CATEGORY_TERMS: tuple[str, ...] = (
    "race", "ethnic", "religio", "belief", "political", "union", "genetic", "dna", "biometric",
    "fingerprint", "face_embedding", "health", "diagnos", "medical", "disease", "sexual", "orientation",
)
#: column-name fragments that signal direct identifiers (personal data, Art. 4(1))
IDENTIFIER_TERMS: tuple[str, ...] = (
    "name", "email", "phone", "ssn", "passport", "address", "ip", "subject", "customer",
    "birth", "zip", "postcode", "iban", "card",
)


def check_classification(value: Any, name: str = "classification") -> str:
    """Return ``value`` if it is one of :data:`CLASSIFICATIONS`, else raise ``ValueError``.

    Parameters
    ----------
    value : str
        The classification to check.
    name : str, default "classification"
        Name of the argument, used in the error message.

    Returns
    -------
    str
        ``value`` itself.

    Raises
    ------
    ValueError
        If ``value`` is not one of :data:`CLASSIFICATIONS`.
    TypeError
        If ``value`` is unhashable.
    """
    return check_choice(name, value, CLASSIFICATIONS)


def level(classification: str) -> int:
    """Rank of a classification: public 0 < internal 1 < confidential 2 < special-category 3."""
    return CLASSIFICATIONS.index(check_classification(classification))


@dataclass(frozen=True)
class CatalogEntry:
    """One dataset in the catalog.

    Parameters
    ----------
    name : str
        Dataset name.
    owner : str
        The accountable data owner (a role or person; GDPR Art. 5(2) accountability).
    columns : mapping of str to str
        ``column -> classification``.
    purposes : tuple of str
        Purposes the data was collected for (Art. 5(1)(b)); empty: none declared.
    retention_days : int
        How long a record may be kept after collection (Art. 5(1)(e)).
    description : str
        What a row is.


    """

    name: str
    owner: str
    columns: Mapping[str, str]
    purposes: tuple[str, ...] = ()
    retention_days: int = 365
    description: str = ""

    def __post_init__(self) -> None:
        for attr in ("name", "owner"):
            value = getattr(self, attr)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{attr} must be a non-empty str, got {value!r}")
        if not isinstance(self.columns, Mapping) or not self.columns:
            raise ValueError(f"columns must be a non-empty mapping column -> classification, got {self.columns!r}")
        for col, cls in self.columns.items():
            check_classification(cls, f"classification of column {col!r}")
        object.__setattr__(self, "columns", dict(self.columns))
        object.__setattr__(self, "purposes", tuple(self.purposes))
        check_int("retention_days", self.retention_days, minimum=1)

    @property
    def classification(self) -> str:
        """The dataset's level: the highest level of its columns."""
        return max(self.columns.values(), key=level)


@dataclass(frozen=True)
class UsageRequest:
    """Who wants which columns of a dataset, for what.

    Parameters
    ----------
    requester : str
    dataset : str
    columns : tuple of str
    purpose : str
    clearance : str
        Highest classification the requester may read.
    art9_condition : str or None
        The GDPR Art. 9(2) condition relied on for special-category data (e.g. ``"9(2)(a) explicit
        consent"``); ``None``: no condition, special-category columns are refused.


    """

    requester: str
    dataset: str
    columns: tuple[str, ...]
    purpose: str
    clearance: str = "internal"
    art9_condition: str | None = None

    def __post_init__(self) -> None:
        check_classification(self.clearance, "clearance")
        object.__setattr__(self, "columns", tuple(self.columns))


@dataclass(frozen=True)
class PolicyDecision:
    """Outcome of :func:`check_usage`: allowed, the columns refused and why.

    Parameters
    ----------
    allowed : bool
        Whether the request may proceed (also the truth value of the decision).
    refused : tuple of (str, str), default ()
        ``(column, reason code)`` for every refused column.
    reasons : tuple of str, default ()
        Human-readable reasons for the refusal (empty when allowed).
    """

    allowed: bool
    refused: tuple[tuple[str, str], ...] = ()
    reasons: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


def refused_columns(classifications: Mapping[str, str], requested: Iterable[str], clearance: str,
                    art9_condition: str | None = None) -> list[tuple[str, str]]:
    """Columns of a request that the classification policy refuses, with the reason code.

    Rule, for each requested column ``c`` in request order (first matching reason wins):

    * ``"unknown"``          — ``c`` is not in the catalog (uncatalogued data is not used);
    * ``"above-clearance"``  — ``level(class(c)) > level(clearance)``;
    * ``"special-category"`` — ``class(c)`` is special-category and no Art. 9(2) condition is given.

    Parameters
    ----------
    classifications : mapping of str to str
        ``column -> classification`` of the dataset.
    requested : iterable of str
        Requested columns.
    clearance : str
        One of :data:`CLASSIFICATIONS`.
    art9_condition : str, optional
        The GDPR Art. 9(2) condition relied on, if any.

    Returns
    -------
    list of (column, reason)
        Empty when every column may be used.

    Raises
    ------
    ValueError
        If ``clearance`` or a classification is not a known level.

    Examples
    --------
    >>> refused_columns({"age": "internal", "email": "confidential"}, ["age", "email"], "internal")
    [('email', 'above-clearance')]
    """
    clear = level(check_classification(clearance, "clearance"))
    for col, cls in classifications.items():
        check_classification(cls, f"classification of column {col!r}")
    out = []
    for col in requested:
        if col not in classifications:
            out.append((col, "unknown"))
        elif level(classifications[col]) > clear:
            out.append((col, "above-clearance"))
        elif classifications[col] == "special-category" and not art9_condition:
            out.append((col, "special-category"))
    return out


_REASONS = {
    "unknown": "is not in the catalog",
    "above-clearance": "is classified above the requester's clearance",
    "special-category": "is special-category data (GDPR Art. 9) and no Art. 9(2) condition is given",
}


def check_usage(entry: CatalogEntry, request: UsageRequest) -> PolicyDecision:
    """Check a usage request against the dataset's classification and declared purposes.

    Allowed iff the request targets this dataset, its purpose is among ``entry.purposes``
    (purpose limitation, GDPR Art. 5(1)(b)) and :func:`refused_columns` refuses nothing.

    Parameters
    ----------
    entry : CatalogEntry
        The dataset's catalog entry.
    request : UsageRequest
        The request.

    Returns
    -------
    PolicyDecision
        Allowed or not, with the refused columns and the reasons.

    Raises
    ------
    TypeError
        If ``entry`` or ``request`` has the wrong type.

    Examples
    --------
    >>> entry = CatalogEntry("loans", "credit-risk team", {"age": "internal", "email": "confidential"},
    ...                      purposes=("credit scoring",))
    >>> check_usage(entry, UsageRequest("analyst", "loans", ("age",), "credit scoring")).allowed
    True
    >>> check_usage(entry, UsageRequest("analyst", "loans", ("age",), "marketing")).reasons
    ("purpose 'marketing' is not among the purposes loans was collected for: ('credit scoring',)",)
    """
    if not isinstance(entry, CatalogEntry):
        raise TypeError(f"entry must be a CatalogEntry, got {type(entry).__name__}")
    if not isinstance(request, UsageRequest):
        raise TypeError(f"request must be a UsageRequest, got {type(request).__name__}")
    reasons = []
    if request.dataset != entry.name:
        reasons.append(f"request is for dataset {request.dataset!r}, not {entry.name!r}")
    if request.purpose not in entry.purposes:
        reasons.append(f"purpose {request.purpose!r} is not among the purposes {entry.name} was collected for: "
                       f"{entry.purposes}")
    refused = refused_columns(entry.columns, request.columns, request.clearance, request.art9_condition)
    reasons += [f"column {col!r} {_REASONS[why]}" for col, why in refused]
    return PolicyDecision(not reasons, tuple(refused), tuple(reasons))


def retention_expired(collected_at: datetime, retention_days: int, now: datetime) -> bool:
    """Whether a record collected at ``collected_at`` is past its retention period at ``now``.

    Expired iff ``now - collected_at > retention_days`` days (storage limitation, Art. 5(1)(e)).

    Parameters
    ----------
    collected_at : datetime.datetime
        When the record was collected.
    retention_days : int
        Retention period in days (>= 1).
    now : datetime.datetime
        The time of the check.

    Returns
    -------
    bool
        True if the retention period is over.

    Raises
    ------
    TypeError
        If a time is not a datetime or ``retention_days`` not an integer.
    ValueError
        If ``retention_days < 1``.
    """
    if not isinstance(collected_at, datetime) or not isinstance(now, datetime):
        raise TypeError("collected_at and now must be datetime objects")
    days = check_int("retention_days", retention_days, minimum=1)
    return now - collected_at > timedelta(days=days)


def _matches(column: str, terms: Sequence[str]) -> bool:
    parts = column.lower().replace("-", "_").replace(" ", "_").split("_")
    return any(part.startswith(t) for part in parts for t in terms)


def suggest_classification(rows: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    """Suggest a classification for every column of a table, with the reason.

    * name contains an Art. 9 term (:data:`SPECIAL_CATEGORY_TERMS`) → ``special-category``;
    * the compliance unit's PII scanner finds identifiers in the values, or the name is an
      identifier term (:data:`IDENTIFIER_TERMS`) → ``confidential``;
    * otherwise ``internal``.

    Returns
    -------
    dict
        ``column -> (classification, reason)`` in column order. A suggestion, to be confirmed by
        the data owner.

    Raises
    ------
    ValueError
        If ``rows`` is empty.
    """
    from mlops_course.compliance.pii import scan_table

    if isinstance(rows, Mapping) or not isinstance(rows, Sequence) or not rows:
        raise ValueError("rows must be a non-empty sequence of mappings (one per row)")
    columns: dict[str, None] = {}
    for r in rows:
        columns.update(dict.fromkeys(r))
    found = scan_table(rows)
    out = {}
    for col in columns:
        if _matches(col, SPECIAL_CATEGORY_TERMS):
            out[col] = ("special-category", "name matches a GDPR Art. 9(1) category")
        elif col in found:
            out[col] = ("confidential", f"values are {found[col]} identifiers (PII scan)")
        elif _matches(col, IDENTIFIER_TERMS):
            out[col] = ("confidential", "name is an identifier or quasi-identifier")
        else:
            out[col] = ("internal", "no identifier found")
    return out


@dataclass
class DataCatalog:
    """The catalog: datasets by name (see :class:`CatalogEntry`).

    Examples
    --------
    >>> catalog = DataCatalog()
    >>> catalog.register(CatalogEntry("loans", "credit-risk team", {"age": "internal"}, ("credit scoring",)))
    >>> catalog["loans"].classification
    'internal'
    """

    _entries: dict[str, CatalogEntry] = field(default_factory=dict, repr=False)

    def register(self, entry: CatalogEntry) -> None:
        """Add a dataset (names are unique)."""
        if not isinstance(entry, CatalogEntry):
            raise TypeError(f"entry must be a CatalogEntry, got {type(entry).__name__}")
        if entry.name in self._entries:
            raise ValueError(f"dataset {entry.name!r} is already catalogued")
        self._entries[entry.name] = entry

    def __getitem__(self, name: str) -> CatalogEntry:
        if name not in self._entries:
            raise KeyError(f"no dataset called {name!r}; catalogued: {list(self._entries)}")
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> tuple[CatalogEntry, ...]:
        return tuple(self._entries.values())

    def check(self, request: UsageRequest) -> PolicyDecision:
        """:func:`check_usage` of the request against its dataset (unknown dataset: refused)."""
        if request.dataset not in self._entries:
            return PolicyDecision(False, tuple((c, "unknown") for c in request.columns),
                                  (f"dataset {request.dataset!r} is not in the catalog",))
        return check_usage(self._entries[request.dataset], request)

    def rows(self) -> list[list[Any]]:
        """One row per dataset: name, owner, classification, #columns, purposes, retention (days)."""
        return [[e.name, e.owner, e.classification, len(e.columns), ", ".join(e.purposes) or "—", e.retention_days]
                for e in self._entries.values()]
