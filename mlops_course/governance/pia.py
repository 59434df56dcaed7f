"""A privacy-impact-assessment (PIA / DPIA) record with risk scoring.

When is a DPIA required? GDPR Art. 35(1): when processing "is likely to result in a high risk to
the rights and freedoms of natural persons". The Article 29 Working Party guidelines (WP248
rev.01, endorsed by the EDPB) list nine criteria (:data:`DPIA_CRITERIA`) and state that
processing meeting **two or more** of them will in most cases require a DPIA
(:func:`dpia_required`).

Risk scoring. Each risk to the data subjects gets a likelihood ``L`` and a severity ``S`` on a
1–5 scale, before and after its mitigation; ``score = L × S`` in 1..25, banded as

    low ≤ 4 < medium ≤ 9 < high ≤ 16 < very high

(a 5×5 risk matrix as in ISO 31000-style assessments and the ICO's DPIA template, which asks
for likelihood and severity of harm). The assessment's outcome follows Art. 36(1): if a
**residual** risk is still high (or very high) after mitigation, the controller must consult the
supervisory authority before processing; otherwise processing may proceed with the mitigations.

References
----------
GDPR Art. 35, 36. Article 29 Working Party, *Guidelines on Data Protection Impact Assessment
(DPIA)*, WP248 rev.01 (2017). ICO, *Sample DPIA template*. CNIL, *PIA methodology* (2018).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mlops_course._validation import check_int
from mlops_course.governance.modelcard import markdown_table

__all__ = ["DPIA_CRITERIA", "LEVELS", "risk_level", "dpia_required", "Risk", "PrivacyImpactAssessment"]

DPIA_CRITERIA: dict[str, str] = {
    "evaluation_scoring": "Evaluation or scoring, including profiling and predicting",
    "automated_decision": "Automated decision-making with legal or similarly significant effect",
    "systematic_monitoring": "Systematic monitoring",
    "sensitive_data": "Sensitive data or data of a highly personal nature",
    "large_scale": "Data processed on a large scale",
    "matching_datasets": "Matching or combining datasets",
    "vulnerable_subjects": "Data concerning vulnerable data subjects",
    "innovative_technology": "Innovative use or applying new technological or organisational solutions",
    "prevents_rights": "Processing that prevents data subjects from exercising a right or using a service",
}
LEVELS: tuple[str, ...] = ("low", "medium", "high", "very high")


def risk_level(score: int) -> str:
    """Band of a score L × S in 1..25: low ≤ 4 < medium ≤ 9 < high ≤ 16 < very high."""
    score = check_int("score", score, minimum=1, maximum=25)
    return "low" if score <= 4 else "medium" if score <= 9 else "high" if score <= 16 else "very high"


def dpia_required(criteria: Iterable[str]) -> bool:
    """WP248 rule of thumb: two or more of the nine criteria → a DPIA is required.

    Raises
    ------
    ValueError
        For a criterion not in :data:`DPIA_CRITERIA`.
    """
    met = set(criteria)
    unknown = sorted(met - set(DPIA_CRITERIA))
    if unknown:
        raise ValueError(f"unknown DPIA criteria {unknown}; allowed: {list(DPIA_CRITERIA)}")
    return len(met) >= 2


def _scale(name: str, value: int) -> int:
    return check_int(name, value, minimum=1, maximum=5)


@dataclass(frozen=True)
class Risk:
    """One risk to data subjects, scored before and after its mitigation (1–5 scales).

    Parameters
    ----------
    description : str
        The risk (non-empty).
    likelihood, severity : int
        Inherent scores on 1–5.
    mitigation : str, default ""
        The planned mitigation.
    residual_likelihood, residual_severity : int or None, default None
        Scores after mitigation on 1–5, at most the inherent ones (None: unchanged).
    """

    description: str
    likelihood: int
    severity: int
    mitigation: str = ""
    residual_likelihood: int | None = None
    residual_severity: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.description, str) or not self.description.strip():
            raise ValueError("description must be a non-empty str")
        _scale("likelihood", self.likelihood)
        _scale("severity", self.severity)
        for name in ("residual_likelihood", "residual_severity"):
            value = getattr(self, name)
            if value is not None:
                _scale(name, value)
                base = self.likelihood if name == "residual_likelihood" else self.severity
                if value > base:
                    raise ValueError(f"{name} ({value}) cannot exceed the inherent value ({base})")

    @property
    def score(self) -> int:
        return self.likelihood * self.severity

    @property
    def residual_score(self) -> int:
        """Score after mitigation (unchanged values when no residual is given)."""
        rl = self.residual_likelihood if self.residual_likelihood is not None else self.likelihood
        rs = self.residual_severity if self.residual_severity is not None else self.severity
        return rl * rs

    @property
    def level(self) -> str:
        return risk_level(self.score)

    @property
    def residual_level(self) -> str:
        return risk_level(self.residual_score)


@dataclass
class PrivacyImpactAssessment:
    """A (D)PIA record: the processing, the Art. 35 screening, the scored risks and the outcome.

    Parameters
    ----------
    project : str
        The processing assessed.
    controller : str
        The controller responsible.
    purpose : str
        Purpose of the processing.
    data_categories : sequence of str, default ()
        Categories of personal data processed.
    criteria : sequence of str, default ()
        WP248 criteria met (keys of :data:`DPIA_CRITERIA`).
    risks : list of Risk, default []
        The scored risks (add more with :meth:`add`).

    Examples
    --------
    >>> pia = PrivacyImpactAssessment("credit model", "Example Bank", "credit scoring",
    ...                               criteria=["evaluation_scoring", "automated_decision"])
    >>> pia.add(Risk("re-identification from the training data", 3, 4, "DP-SGD", 1, 4))
    >>> pia.dpia_required, pia.outcome
    (True, 'proceed with the mitigations')
    """

    project: str
    controller: str
    purpose: str
    data_categories: Sequence[str] = ()
    criteria: Sequence[str] = ()
    risks: list[Risk] = field(default_factory=list)

    def __post_init__(self) -> None:
        dpia_required(self.criteria)  # validates the names
        self.criteria = tuple(self.criteria)
        self.data_categories = tuple(self.data_categories)

    def add(self, risk: Risk) -> None:
        if not isinstance(risk, Risk):
            raise TypeError(f"risk must be a Risk, got {type(risk).__name__}")
        self.risks.append(risk)

    @property
    def dpia_required(self) -> bool:
        return dpia_required(self.criteria)

    @property
    def highest_residual(self) -> str:
        """Worst residual level ("low" when no risk is recorded)."""
        if not self.risks:
            return "low"
        return max((r.residual_level for r in self.risks), key=LEVELS.index)

    @property
    def outcome(self) -> str:
        """Art. 36(1): prior consultation when a residual risk stays high; else proceed."""
        if not self.risks:
            return "incomplete: no risk assessed"
        if LEVELS.index(self.highest_residual) >= LEVELS.index("high"):
            return "consult the supervisory authority before processing (Art. 36)"
        return "proceed with the mitigations"

    def to_markdown(self) -> str:
        """The record as Markdown."""
        met = [DPIA_CRITERIA[c] for c in self.criteria]
        rows = [[r.description, r.likelihood, r.severity, r.score, r.level, r.mitigation or "—",
                 r.residual_score, r.residual_level] for r in self.risks]
        return "\n\n".join([
            f"# Privacy impact assessment: {self.project}",
            f"- **Controller**: {self.controller}\n- **Purpose**: {self.purpose}\n"
            f"- **Data categories**: {', '.join(self.data_categories) or '—'}",
            "## Screening (WP248 criteria met)\n\n" + ("\n".join(f"- {m}" for m in met) or "- none")
            + f"\n\n**DPIA required**: {'yes' if self.dpia_required else 'no'} ({len(met)} of 9 criteria; 2 or more → yes)",
            "## Risks\n\n" + markdown_table(rows, ["risk", "L", "S", "score", "level", "mitigation",
                                                     "residual", "residual level"]),
            f"## Outcome\n\n{self.outcome}",
        ]) + "\n"
