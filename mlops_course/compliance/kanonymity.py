"""k-anonymity by full-domain generalisation and suppression (Samarati 2001; Sweeney 2002).

A table is **k-anonymous** with respect to quasi-identifiers ``QI`` when every combination of QI
values that occurs, occurs at least ``k`` times: each record hides in an *equivalence class* of
size ``>= k``, so a linkage attack (:mod:`.linkage`) can narrow a person down to at most ``1/k``.

Generalisation replaces values by coarser ones along a hierarchy (age 37 → 35–39 → 30–39 →
20–39 → ``*``; ZIP 02139 → 0213* → 021** …). *Full-domain* generalisation applies one level per
column to the whole table; the levels form a lattice and we search it bottom-up for a minimal
node (smallest total height) that reaches k, allowing up to ``max_suppression`` outlier records
to be removed (Samarati, "Protecting respondents' identities in microdata release", IEEE TKDE
13(6), 2001; Sweeney, "Achieving k-anonymity privacy protection using generalization and
suppression", IJUFKS 10(5), 2002).

Limits: k-anonymity says nothing about the sensitive column — if a whole class shares one
diagnosis the attacker learns it anyway (homogeneity attack); :func:`l_diversity` measures that
(Machanavajjhala et al., "ℓ-diversity", ACM TKDD 1(1), 2007). Differential privacy (unit 07) is
the guarantee that does not depend on what the attacker knows.
"""
from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlops_course._validation import check_int

__all__ = ["AGE_WIDTHS", "generalise_age", "generalise_zip", "Hierarchy", "AGE", "ZIP", "SUPPRESS",
           "equivalence_classes", "k_anonymity", "is_k_anonymous", "l_diversity", "generalise",
           "Generalisation", "minimal_generalisation"]

#: band width of age per level; ``None`` = fully suppressed (``"*"``)
AGE_WIDTHS: tuple[int | None, ...] = (1, 5, 10, 20, None)


def generalise_age(age: int, level: int) -> str:
    """Age generalised to a band: level 0 ``"37"``, 1 ``"35-39"``, 2 ``"30-39"``, 3 ``"20-39"``, 4 ``"*"``.

    Formula: with band width ``w = AGE_WIDTHS[level]``, ``lo = ⌊age / w⌋·w`` and the label is
    ``f"{lo}-{lo + w - 1}"``.

    Parameters
    ----------
    age : int
        Age in years (>= 0).
    level : int
        Generalisation level in ``0..len(AGE_WIDTHS) − 1``.

    Returns
    -------
    str
        The generalised age.

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If ``age < 0`` or ``level`` is out of range.

    Examples
    --------
    >>> [generalise_age(37, level) for level in range(5)]
    ['37', '35-39', '30-39', '20-39', '*']
    """
    age = check_int("age", age, minimum=0)
    level = check_int("level", level, minimum=0, maximum=len(AGE_WIDTHS) - 1)
    width = AGE_WIDTHS[level]
    if width is None:
        return "*"
    if width == 1:
        return str(age)
    lo = (age // width) * width
    return f"{lo}-{lo + width - 1}"


def generalise_zip(zipcode: str, level: int) -> str:
    """ZIP code with its last ``level`` digits replaced by ``*``: ``generalise_zip("02139", 2) == "021**"``.

    Parameters
    ----------
    zipcode : str
        A string of digits.
    level : int
        Number of trailing digits to hide, in ``0..len(zipcode)``.

    Returns
    -------
    str
        The generalised ZIP code.

    Raises
    ------
    ValueError
        If ``zipcode`` is not a string of digits or ``level`` is out of range.
    TypeError
        If ``level`` is not an integer.

    Examples
    --------
    >>> [generalise_zip("02139", level) for level in (0, 1, 3, 5)]
    ['02139', '0213*', '02***', '*****']
    """
    if not isinstance(zipcode, str) or not zipcode.isdigit():
        raise ValueError(f"zipcode must be a string of digits, got {zipcode!r}")
    level = check_int("level", level, minimum=0, maximum=len(zipcode))
    return zipcode[: len(zipcode) - level] + "*" * level


@dataclass(frozen=True)
class Hierarchy:
    """A generalisation hierarchy: ``func(value, level)`` for ``level`` in ``0..height``.

    Parameters
    ----------
    func : callable
        ``func(value, level)`` returns the value generalised to ``level``.
    height : int
        Highest level (the most general).
    """

    func: Callable[[Any, int], Any]
    height: int


AGE = Hierarchy(generalise_age, len(AGE_WIDTHS) - 1)
ZIP = Hierarchy(generalise_zip, 5)
SUPPRESS = Hierarchy(lambda value, level: value if level == 0 else "*", 1)  # e.g. sex


def _check_rows(rows: Any, columns: Sequence[str]) -> Sequence[Mapping[str, Any]]:
    if isinstance(rows, Mapping) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a sequence of mappings, got {type(rows).__name__}")
    if not rows:
        raise ValueError("rows must not be empty")
    if isinstance(columns, str) or not columns:
        raise ValueError(f"quasi_identifiers must be a non-empty sequence of column names, got {columns!r}")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"rows[{i}] must be a mapping, got {type(row).__name__}")
        missing = [c for c in columns if c not in row]
        if missing:
            raise ValueError(f"rows[{i}] lacks the quasi-identifier column(s) {missing}")
    return rows


def equivalence_classes(rows: Sequence[Mapping[str, Any]], quasi_identifiers: Sequence[str]
                        ) -> dict[tuple[Any, ...], list[int]]:
    """``QI values -> indices of the rows sharing them`` (in first-seen order).

    Parameters
    ----------
    rows : sequence of mapping
        The table, one mapping (column -> value) per record; non-empty.
    quasi_identifiers : sequence of str
        Non-empty list of quasi-identifier columns, present in every row.

    Returns
    -------
    dict
        Tuple of quasi-identifier values -> list of row indices.

    Raises
    ------
    TypeError
        If ``rows`` is not a sequence of mappings.
    ValueError
        If ``rows`` is empty, ``quasi_identifiers`` is empty or a row lacks one of its columns.
    """
    rows = _check_rows(rows, quasi_identifiers)
    classes: dict[tuple[Any, ...], list[int]] = {}
    for i, row in enumerate(rows):
        classes.setdefault(tuple(row[c] for c in quasi_identifiers), []).append(i)
    return classes


def k_anonymity(rows: Sequence[Mapping[str, Any]], quasi_identifiers: Sequence[str]) -> int:
    """The k of the table: size of its smallest equivalence class.

    Parameters
    ----------
    rows : sequence of mapping
        The table, one mapping (column -> value) per record; non-empty.
    quasi_identifiers : sequence of str
        Non-empty list of quasi-identifier columns, present in every row.

    Returns
    -------
    int
        The smallest equivalence-class size (>= 1).

    Raises
    ------
    TypeError
        If ``rows`` is not a sequence of mappings.
    ValueError
        If ``rows`` is empty, ``quasi_identifiers`` is empty or a row lacks one of its columns.

    Examples
    --------
    >>> k_anonymity([{"a": 1}, {"a": 1}, {"a": 2}, {"a": 2}, {"a": 2}], ["a"])
    2
    """
    return min(len(v) for v in equivalence_classes(rows, quasi_identifiers).values())


def is_k_anonymous(rows: Sequence[Mapping[str, Any]], quasi_identifiers: Sequence[str], k: int) -> bool:
    """Whether every equivalence class has at least ``k`` records.

    Parameters
    ----------
    rows : sequence of mapping
        The table, one mapping (column -> value) per record; non-empty.
    quasi_identifiers : sequence of str
        Non-empty list of quasi-identifier columns, present in every row.
    k : int
        Required class size (>= 1).

    Returns
    -------
    bool
        ``k_anonymity(rows, quasi_identifiers) >= k``.

    Raises
    ------
    TypeError
        If ``rows`` is not a sequence of mappings.
    ValueError
        If ``rows`` is empty, ``quasi_identifiers`` is empty or a row lacks one of its columns.
    """
    k = check_int("k", k, minimum=1)
    return k_anonymity(rows, quasi_identifiers) >= k


def l_diversity(rows: Sequence[Mapping[str, Any]], quasi_identifiers: Sequence[str], sensitive: str) -> int:
    """Distinct ℓ-diversity: the fewest distinct ``sensitive`` values in any equivalence class.

    ``ℓ = 1`` means some class is homogeneous: its members' sensitive value is disclosed.

    Parameters
    ----------
    rows : sequence of mapping
        The table, one mapping (column -> value) per record; non-empty.
    quasi_identifiers : sequence of str
        Non-empty list of quasi-identifier columns, present in every row.
    sensitive : str
        The sensitive column, present in every row.

    Returns
    -------
    int
        ℓ, the smallest number of distinct sensitive values in a class (>= 1).

    Raises
    ------
    TypeError
        If ``rows`` is not a sequence of mappings.
    ValueError
        If ``rows`` is empty, ``quasi_identifiers`` is empty or a row lacks one of its columns.
    """
    rows = _check_rows(rows, list(quasi_identifiers) + [sensitive])
    classes = equivalence_classes(rows, quasi_identifiers)
    return min(len({rows[i][sensitive] for i in idx}) for idx in classes.values())


def generalise(rows: Sequence[Mapping[str, Any]], levels: Mapping[str, int],
               hierarchies: Mapping[str, Hierarchy]) -> list[dict[str, Any]]:
    """Apply one generalisation level per column to every row (full-domain generalisation).

    Columns not in ``levels`` are copied unchanged.

    Parameters
    ----------
    rows : sequence of mapping
        The table (non-empty); every row has the columns of ``levels``.
    levels : mapping of str to int
        Column -> level in ``0..hierarchies[column].height``.
    hierarchies : mapping of str to Hierarchy
        Hierarchy of each column in ``levels``.

    Returns
    -------
    list of dict
        New rows; the original rows are not modified.

    Raises
    ------
    ValueError
        If a column of ``levels`` has no hierarchy, a level is out of range, or ``rows`` is malformed.
    TypeError
        If ``rows`` is not a sequence of mappings or a level is not an integer.
    """
    rows = _check_rows(rows, list(levels))
    for col, level in levels.items():
        if col not in hierarchies:
            raise ValueError(f"no hierarchy for column {col!r}; known: {sorted(hierarchies)}")
        check_int(f"levels[{col!r}]", level, minimum=0, maximum=hierarchies[col].height)
    return [{c: (hierarchies[c].func(v, levels[c]) if c in levels else v) for c, v in row.items()} for row in rows]


@dataclass(frozen=True)
class Generalisation:
    """Result of :func:`minimal_generalisation`.

    Parameters
    ----------
    levels : dict
        Chosen level per quasi-identifier.
    rows : list of dict
        The generalised table without the suppressed records.
    k : int
        Achieved k (smallest class size after suppression).
    suppressed : tuple of int
        Indices (in the input) of the removed outlier records.
    height : int
        Total generalisation height ``Σ levels`` (the information-loss measure minimised).


    """

    levels: dict[str, int]
    rows: list[dict[str, Any]]
    k: int
    suppressed: tuple[int, ...]
    height: int


def minimal_generalisation(rows: Sequence[Mapping[str, Any]], quasi_identifiers: Sequence[str], k: int,
                           hierarchies: Mapping[str, Hierarchy], *, max_suppression: int = 0) -> Generalisation:
    """Find a minimal full-domain generalisation that makes the table k-anonymous.

    Lattice nodes (one level per quasi-identifier) are visited by increasing total height
    ``Σ levels`` (ties: lexicographic order of the level vector); the first node where the records
    in classes smaller than ``k`` number at most ``max_suppression`` is returned, those records
    suppressed (Samarati 2001, minimal generalisation with a suppression threshold).

    Parameters
    ----------
    rows : sequence of mappings
    quasi_identifiers : sequence of str
        Columns to generalise; each needs a hierarchy.
    k : int
        Target, ``1 <= k <= len(rows)``.
    hierarchies : mapping
        ``column -> Hierarchy`` (e.g. ``{"age": AGE, "zip": ZIP, "sex": SUPPRESS}``).
    max_suppression : int
        Records that may be removed instead of generalising further.

    Returns
    -------
    Generalisation

    Raises
    ------
    ValueError
        If ``k`` is out of range or a quasi-identifier has no hierarchy.

    Examples
    --------
    >>> rows = [{"age": a, "zip": z} for a, z in [(31, "02139"), (36, "02138"), (33, "02141"), (38, "02142")]]
    >>> g = minimal_generalisation(rows, ["age", "zip"], 2, {"age": AGE, "zip": ZIP})
    >>> g.levels, g.k
    ({'age': 1, 'zip': 2}, 2)
    """
    rows = _check_rows(rows, quasi_identifiers)
    k = check_int("k", k, minimum=1, maximum=len(rows))
    max_suppression = check_int("max_suppression", max_suppression, minimum=0, maximum=len(rows))
    missing = [c for c in quasi_identifiers if c not in hierarchies]
    if missing:
        raise ValueError(f"no hierarchy for quasi-identifier(s) {missing}")
    heights = [hierarchies[c].height for c in quasi_identifiers]
    nodes = sorted(itertools.product(*(range(h + 1) for h in heights)), key=lambda v: (sum(v), v))
    for node in nodes:
        levels = dict(zip(quasi_identifiers, node, strict=True))
        table = generalise(rows, levels, hierarchies)
        keys = [tuple(r[c] for c in quasi_identifiers) for r in table]
        sizes = Counter(keys)
        outliers = tuple(i for i, key in enumerate(keys) if sizes[key] < k)
        if len(outliers) <= max_suppression and len(outliers) < len(rows):
            kept = [r for i, r in enumerate(table) if i not in set(outliers)]
            return Generalisation(levels, kept, k_anonymity(kept, quasi_identifiers), outliers, sum(node))
    raise AssertionError("unreachable: the top of the lattice suppresses every quasi-identifier")  # pragma: no cover
