"""Simpson's paradox: an aggregate gap that reverses within every stratum.

Pooled rate of group ``g``: ``r_g = Σ_s a_{g,s} / Σ_s n_{g,s}`` (``a`` admitted, ``n`` applicants in
stratum ``s``) weights the within-stratum rates ``r_{g,s}`` by where group ``g`` applied. If two
groups apply to different strata, the pooled comparison mixes the effect of the group with the
effect of the stratum. *Direct standardisation* removes it: weight every group's stratum rates by
the same distribution (the pooled share of applicants of each stratum),
``r_g^std = Σ_s (n_s/n) · r_{g,s}``.

On the Berkeley 1973 data men were admitted at 44.5% and women at 30.4%, yet women had the
higher rate in four of six departments and the higher standardised rate: women applied mostly
to departments that rejected most applicants of either sex (Bickel, Hammel & O'Connell 1975).
Whether to condition on the department is a causal question (was the choice of department
itself shaped by discrimination?), not a statistical one.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["SimpsonResult", "simpsons_paradox"]


@dataclass(frozen=True)
class SimpsonResult:
    """Pooled, per-stratum and standardised rates of each group.

    Parameters
    ----------
    pooled : pandas.Series
        Rate per group over all strata.
    by_stratum : pandas.DataFrame
        Rate per stratum (rows) and group (columns).
    standardised : pandas.Series
        Rate per group with the pooled stratum weights.
    favoured_pooled : object
        Group with the highest pooled rate.
    strata_favouring : pandas.Series
        Number of strata in which each group has the highest rate.


    """

    pooled: pd.Series
    by_stratum: pd.DataFrame
    standardised: pd.Series
    favoured_pooled: object
    strata_favouring: pd.Series

    @property
    def reverses(self) -> bool:
        """True when the pooled favourite is not the favourite after standardisation."""
        return self.standardised.idxmax() != self.favoured_pooled


def simpsons_paradox(table: pd.DataFrame, *, group: str = "sex", stratum: str = "dept",
                     successes: str = "admitted", failures: str = "rejected") -> SimpsonResult:
    """Compare pooled and within-stratum rates of a count table (e.g. Berkeley admissions).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per (stratum, group) with non-negative integer count columns ``successes`` and
        ``failures`` (as :func:`mlops_course.datasets.load_berkeley_admissions`).
    group, stratum, successes, failures : str
        Column names.

    Returns
    -------
    SimpsonResult

    Raises
    ------
    ValueError
        Missing columns, negative or missing counts, an empty (stratum, group) cell, fewer than two groups.

    Examples
    --------
    >>> from mlops_course.datasets import load_berkeley_admissions
    >>> res = simpsons_paradox(load_berkeley_admissions())
    >>> res.favoured_pooled, res.standardised.idxmax(), res.reverses
    ('male', 'female', True)
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    for col in (group, stratum, successes, failures):
        if col not in table.columns:
            raise ValueError(f"table has no column {col!r}; columns: {list(table.columns)}")
    counts = table[[successes, failures]]
    if counts.isna().any().any() or (counts < 0).any().any():
        raise ValueError(f"table columns {successes!r} and {failures!r} must be counts >= 0 without missing values")
    if table[group].nunique() < 2:
        raise ValueError(f"table must have at least two groups in {group!r}")
    agg = table.groupby([stratum, group])[[successes, failures]].sum()
    n = agg[successes] + agg[failures]
    if (n == 0).any():
        raise ValueError("every (stratum, group) cell needs at least one applicant")
    by_stratum = (agg[successes] / n).unstack(group)
    if by_stratum.isna().any().any():
        raise ValueError("every group must appear in every stratum")
    pooled_counts = table.groupby(group)[[successes, failures]].sum()
    pooled = pooled_counts[successes] / pooled_counts.sum(axis=1)
    weights = n.groupby(level=stratum).sum()
    weights = weights / weights.sum()
    standardised = by_stratum.mul(weights, axis=0).sum(axis=0)
    winners = by_stratum.idxmax(axis=1).value_counts().reindex(by_stratum.columns, fill_value=0)
    return SimpsonResult(pooled.rename("pooled"), by_stratum, standardised.rename("standardised"),
                         pooled.idxmax(), winners.rename("strata_favouring"))
