"""Model cards (Mitchell et al. 2019) generated as Markdown from code, with per-group metrics.

A model card is short documentation shipped with a trained model. Its nine sections
(Mitchell et al. 2019, Fig. 1) are :data:`SECTIONS`: model details; intended use; factors
(groups, instrumentation, environments); metrics; evaluation data; training data; quantitative
analyses (*unitary* results per factor and *intersectional* results); ethical considerations;
caveats and recommendations.

The quantitative analyses are computed, never typed: :func:`group_metrics` evaluates the
model's decisions per group with the fairness unit's metrics
(:func:`mlops_course.fairness.metrics.by_group`): count, accuracy, selection rate
``P(ŷ=1 | g)``, true-positive rate ``P(ŷ=1 | y=1, g)`` and false-positive rate
``P(ŷ=1 | y=0, g)``, plus the largest gap between groups of each rate (the demographic-parity
and equalized-odds differences of unit 05).

References
----------
M. Mitchell, S. Wu, A. Zaldivar, P. Barnes, L. Vasserman, B. Hutchinson, E. Spitzer, I. D. Raji,
T. Gebru, "Model Cards for Model Reporting", FAT* 2019, doi:10.1145/3287560.3287596.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SECTIONS", "GROUP_METRICS", "group_metrics", "metrics_gaps", "quantitative_analysis", "ModelCard",
           "markdown_table"]

SECTIONS: tuple[str, ...] = (
    "Model Details", "Intended Use", "Factors", "Metrics", "Evaluation Data", "Training Data",
    "Quantitative Analyses", "Ethical Considerations", "Caveats and Recommendations",
)
#: per-group quantities of the quantitative-analyses section, with their fairness-unit rate names
GROUP_METRICS: dict[str, str] = {
    "accuracy": "accuracy", "selection_rate": "selection_rate", "tpr": "true_positive_rate",
    "fpr": "false_positive_rate",
}


def _labels(name: str, values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0/1 labels")
    return arr.astype(int)


def group_metrics(y_true: Any, y_pred: Any, groups: Any) -> dict[str, dict[str, float]]:
    """Per-group count, accuracy, selection rate, TPR and FPR (fairness unit's ``by_group``).

    Parameters
    ----------
    y_true, y_pred : array_like of 0/1
    groups : array_like
        Group label of every row (converted to ``str``).

    Returns
    -------
    dict
        ``group -> {"n", "accuracy", "selection_rate", "tpr", "fpr"}`` in sorted group order;
        a rate undefined in a group (no positives / negatives) is NaN.

    Raises
    ------
    ValueError
        Mismatched lengths, non-binary labels or empty input.

    Examples
    --------
    >>> group_metrics([1, 0, 1, 0], [1, 1, 1, 0], ["a", "a", "b", "b"])["a"]["fpr"]
    1.0
    """
    from mlops_course.fairness.metrics import by_group

    yt, yp = _labels("y_true", y_true), _labels("y_pred", y_pred)
    g = np.asarray(groups).astype(str)
    if not yt.shape == yp.shape == g.shape:
        raise ValueError(f"y_true, y_pred and groups must have the same length, got {yt.shape}, {yp.shape}, {g.shape}")
    out: dict[str, dict[str, float]] = {str(k): {"n": float(np.sum(g == k))} for k in sorted(set(g))}
    for key, rate in GROUP_METRICS.items():
        series = by_group(rate, yt, yp, sensitive_features=g)
        for k, v in series.items():
            out[str(k)][key] = float(v)
    return out


def metrics_gaps(per_group: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Largest difference between groups of every rate (NaN groups ignored; NaN if < 2 defined)."""
    gaps = {}
    for key in GROUP_METRICS:
        vals = [v[key] for v in per_group.values() if not np.isnan(v[key])]
        gaps[key] = float(max(vals) - min(vals)) if len(vals) >= 2 else float("nan")
    return gaps


def quantitative_analysis(y_true: Any, y_pred: Any, groups: Any) -> dict[str, Any]:
    """``{"groups": group_metrics(...), "gaps": metrics_gaps(...)}`` (the exercise's reference).

    Parameters
    ----------
    y_true, y_pred : array_like of 0/1
        True labels and decisions.
    groups : array_like
        Group label of every row.

    Returns
    -------
    dict
        ``"groups"``: :func:`group_metrics` output; ``"gaps"``: :func:`metrics_gaps` of it.

    Raises
    ------
    ValueError
        Mismatched lengths, non-binary labels or empty input.
    """
    per = group_metrics(y_true, y_pred, groups)
    return {"groups": per, "gaps": metrics_gaps(per)}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if np.isnan(value):
            return "n/a"
        return f"{value:.0f}" if value.is_integer() and abs(value) >= 1 else f"{value:.3f}"
    return str(value)


def markdown_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table.

    Parameters
    ----------
    rows : sequence of sequence
        Table cells, one sequence per row (floats: 3 decimals, whole numbers >= 1 without, NaN as "n/a").
    headers : sequence of str
        Column headers.

    Returns
    -------
    str
        The table, one line per row (no trailing newline).
    """
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _block(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "\n".join(f"- **{k}**: {v}" for k, v in value.items())
    return "\n".join(f"- {v}" for v in value)


@dataclass
class ModelCard:
    """A model card; empty sections are reported by :meth:`missing` and refused by the release gate.

    Each section is free text, a mapping (rendered as a bullet list ``key: value``) or a list of
    bullets. ``quantitative`` holds the output of :func:`quantitative_analysis` per factor name.

    Parameters
    ----------
    name : str
        Model name.
    version : str
        Model version.
    details, intended_use, factors, metrics, evaluation_data, training_data : str, mapping or list
        The sections of Mitchell et al. (2019) of the same names.
    quantitative : dict, default {}
        Factor name -> :func:`quantitative_analysis` output.
    ethical_considerations, caveats : str, mapping or list
        The last two sections.

    Examples
    --------
    >>> card = ModelCard("credit-model", "1.0", details={"owner": "risk team"})
    >>> "Intended Use" in card.missing()
    True
    """

    name: str
    version: str
    details: Any = field(default_factory=dict)
    intended_use: Any = field(default_factory=dict)
    factors: Any = field(default_factory=list)
    metrics: Any = field(default_factory=list)
    evaluation_data: Any = ""
    training_data: Any = ""
    quantitative: dict[str, dict[str, Any]] = field(default_factory=dict)
    ethical_considerations: Any = field(default_factory=list)
    caveats: Any = field(default_factory=list)

    def add_analysis(self, factor: str, y_true: Any, y_pred: Any, groups: Any) -> dict[str, Any]:
        """Compute and store the per-group results for one factor (e.g. ``"sex"``)."""
        self.quantitative[str(factor)] = quantitative_analysis(y_true, y_pred, groups)
        return self.quantitative[str(factor)]

    def _sections(self) -> dict[str, Any]:
        return dict(zip(SECTIONS, (self.details, self.intended_use, self.factors, self.metrics,
                                   self.evaluation_data, self.training_data, self.quantitative,
                                   self.ethical_considerations, self.caveats), strict=True))

    def missing(self) -> list[str]:
        """Names of the sections that are empty."""
        return [name for name, value in self._sections().items() if not value]

    def quantitative_markdown(self) -> str:
        """The quantitative-analyses section: one table per factor, gaps in the last row."""
        parts = []
        for factor, result in self.quantitative.items():
            rows = [[g, m["n"], m["accuracy"], m["selection_rate"], m["tpr"], m["fpr"]]
                    for g, m in result["groups"].items()]
            gaps = result["gaps"]
            rows.append(["**max gap**", "", gaps["accuracy"], gaps["selection_rate"], gaps["tpr"], gaps["fpr"]])
            parts.append(f"**By {factor}**\n\n" + markdown_table(
                rows, ["group", "n", "accuracy", "selection rate", "TPR", "FPR"]))
        return "\n\n".join(parts)

    def to_markdown(self) -> str:
        """The card as Markdown (a missing section says so: the gap is visible, not hidden)."""
        out = [f"# Model card: {self.name} (version {self.version})"]
        for name, value in self._sections().items():
            out.append(f"## {name}")
            if not value:
                out.append("*Missing — to be completed before release.*")
            elif name == "Quantitative Analyses":
                out.append(self.quantitative_markdown())
            else:
                out.append(_block(value))
        return "\n\n".join(out) + "\n"
