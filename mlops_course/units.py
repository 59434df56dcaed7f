"""The course map: the 11 units, their slides, notebooks, exercises and helper modules.

One table, used by the README, the introduction notebook, ``mlops-course release`` and
the grader (a submission names its unit by file name ``NN_*.ipynb``).
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Unit", "UNITS", "unit_by_number", "unit_by_stem"]


@dataclass(frozen=True)
class Unit:
    """One unit of the course."""

    number: int
    title: str
    stem: str  # file stem shared by notebook, solution and exercise, e.g. "07_differential_privacy"
    slides: tuple[str, ...]  # slide titles of ../shared/lecture-slides.md the unit covers
    modules: tuple[str, ...]  # helper modules in mlops_course
    has_exercise: bool = False  # True once solutions/<stem>.ipynb exists

    @property
    def notebook(self) -> str:
        return f"notebooks/{self.stem}.ipynb"

    @property
    def exercise(self) -> str:
        return f"exercises/{self.stem}.ipynb"

    @property
    def solution(self) -> str:
        return f"solutions/{self.stem}.ipynb"


UNITS: tuple[Unit, ...] = (
    Unit(0, "Introduction: the imperative", "00_introduction",
         ("Introduction: The Imperative", "Agenda"), ("mlops_course.units", "mlops_course.course")),
    Unit(1, "Security threats in ML systems", "01_security_threats",
         ("Introduction: The Imperative", "Security Challenges in MLOps", "Specific Security Threats in ML Systems"),
         ("mlops_course.security",), has_exercise=True),
    Unit(2, "Safeguarding ML models", "02_safeguards",
         ("Safeguarding ML Models: Methods & Technologies",), ("mlops_course.security",),
         has_exercise=True),
    Unit(3, "Regulatory compliance: GDPR and CCPA", "03_gdpr_ccpa",
         ("Regulatory Compliance: GDPR and CCPA",), ("mlops_course.compliance",),
         has_exercise=True),
    Unit(4, "Ethics and data governance", "04_ethics_data_governance",
         ("Ethical Dimensions of Data Management", "Data Governance: The Foundation"),
         ("mlops_course.governance",), has_exercise=True),
    Unit(5, "Addressing bias in ML systems", "05_bias",
         ("Addressing Bias in ML Systems",), ("mlops_course.fairness", "mlops_course.datasets"),
         has_exercise=True),
    Unit(6, "Explainable AI", "06_explainable_ai", ("Explainable AI (XAI)",), ("mlops_course.explain",),
         has_exercise=True),
    Unit(7, "Differential privacy", "07_differential_privacy",
         ("Privacy-Preserving Techniques", "Differential Privacy: Introduction",
          "Differential Privacy: How It Works", "Differential Privacy: Key Properties",
          "Comparison of Privacy-Preserving Techniques", "Implementation Considerations"),
         ("mlops_course.privacy.dp",), has_exercise=True),
    Unit(8, "Homomorphic encryption", "08_homomorphic_encryption",
         ("Homomorphic Encryption: Introduction", "Homomorphic Encryption: Types",
          "Comparison of Privacy-Preserving Techniques", "Comparison (Continued)", "Implementation Considerations"),
         ("mlops_course.privacy.he",), has_exercise=True),
    Unit(9, "Federated learning", "09_federated_learning",
         ("Federated Learning: Introduction", "Federated Learning: Process", "Federated Learning: Advantages",
          "Comparison of Privacy-Preserving Techniques", "Implementation Considerations"),
         ("mlops_course.privacy.fl",), has_exercise=True),
    Unit(10, "Best practices and frameworks", "10_best_practices",
         ("Why Privacy Techniques Matter in MLOps", "Tangible Risks of Neglecting Security, Compliance & Ethics",
          "Societal Impact of Security & Ethics Failures", "Best Practices for MLOps Security, Compliance & Privacy",
          "Actionable Recommendations", "Conclusion"), ("mlops_course.governance", "mlops_course.compliance")),
)


def unit_by_number(number: int) -> Unit:
    """Return the unit with this number (0-10)."""
    for unit in UNITS:
        if unit.number == number:
            return unit
    raise ValueError(f"number must be one of 0..{len(UNITS) - 1}, got {number!r}")


def unit_by_stem(stem: str) -> Unit:
    """Return the unit whose file stem (e.g. ``07_differential_privacy``) matches ``stem``."""
    for unit in UNITS:
        if unit.stem == stem:
            return unit
    raise ValueError(f"stem must be one of {[u.stem for u in UNITS]}, got {stem!r}")
