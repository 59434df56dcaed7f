"""A map of AI security, risk and governance frameworks to the course's units.

Frameworks (identifiers as published; titles are short paraphrases — check the live documents,
several are revised regularly):

* **NIST AI RMF 1.0** (NIST AI 100-1, January 2023): four functions GOVERN, MAP, MEASURE, MANAGE
  and their categories (e.g. MEASURE 2.10 privacy risk, MEASURE 2.11 fairness and bias).
* **NIST AI 100-2 E2025**, *Adversarial Machine Learning: A Taxonomy and Terminology*;
  **OWASP ML Security Top 10** (2023); **OWASP Top 10 for LLM Applications** (2025);
  **MITRE ATLAS** techniques — taken from the security unit's threat map
  (:data:`mlops_course.security.threatmap.THREATS`: each threat names where the course demonstrates
  it and its safeguards), plus the list items that map has no threat for.
* **ISO/IEC 42001:2023**, AI management systems: Annex A control objectives A.2–A.10.
* **EU AI Act**, Regulation (EU) 2024/1689: the risk tiers (unacceptable: Art. 5; high: Art. 6 and
  Annex III, with the obligations of Art. 9–15; transparency: Art. 50; minimal) and the
  general-purpose AI model obligations (Art. 53, 55).

Each :class:`StandardItem` lists the course units (numbers of :data:`mlops_course.units.UNITS`)
where the item is shown, measured or exercised; an empty tuple means the course does not cover
it (reported, not hidden: :func:`uncovered`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_course._validation import check_choice

__all__ = ["FRAMEWORKS", "StandardItem", "STANDARDS", "items", "units_for", "uncovered", "coverage_matrix",
           "EU_AI_ACT_TIERS", "EU_AI_ACT_EXAMPLES", "eu_ai_act_tier"]

FRAMEWORKS: dict[str, str] = {
    "nist_ai_rmf": "NIST AI RMF 1.0 (AI 100-1)",
    "nist_ai_100_2": "NIST AI 100-2 E2025",
    "owasp_ml": "OWASP ML Top 10 (2023)",
    "owasp_llm": "OWASP LLM Top 10 (2025)",
    "mitre_atlas": "MITRE ATLAS",
    "iso_42001": "ISO/IEC 42001:2023",
    "eu_ai_act": "EU AI Act (2024/1689)",
}


@dataclass(frozen=True)
class StandardItem:
    """One item of a framework and the course units that cover it.

    Parameters
    ----------
    framework : str
        Key of :data:`FRAMEWORKS`.
    identifier : str
        The item's identifier in that framework.
    title : str
        Its title.
    units : tuple of int
        Course units covering it.
    note : str, default ""
        Remark on the coverage.
    """

    framework: str
    identifier: str
    title: str
    units: tuple[int, ...]
    note: str = ""


_RMF = (
    ("GOVERN 1", "Policies, processes and procedures for AI risk are in place and transparent", (3, 4, 10)),
    ("GOVERN 2", "Accountability structures: roles, responsibilities, training", (4, 10)),
    ("GOVERN 3", "Workforce diversity, equity, inclusion and accessibility in AI risk work", (10,)),
    ("GOVERN 4", "A culture that considers and communicates AI risk", (10,)),
    ("GOVERN 5", "Engagement with relevant AI actors and affected communities", (4,)),
    ("GOVERN 6", "Risks of third-party software, data and supply chain", (1, 2)),
    ("MAP 1", "Context of use is established and understood", (4,)),
    ("MAP 2", "The AI system is categorised", (4, 10)),
    ("MAP 3", "Capabilities, intended use, benefits and costs are understood", (4,)),
    ("MAP 4", "Risks and benefits are mapped for all components", (1, 4)),
    ("MAP 5", "Impacts on individuals, groups, communities and society are characterised", (4, 5)),
    ("MEASURE 1", "Appropriate methods and metrics are identified and applied", (5, 6, 7)),
    ("MEASURE 2.7", "Security and resilience are evaluated", (1, 2)),
    ("MEASURE 2.8", "Transparency and accountability risks are examined", (4, 6)),
    ("MEASURE 2.9", "The model is explained and its output interpreted", (6,)),
    ("MEASURE 2.10", "Privacy risk is examined", (3, 7, 8, 9)),
    ("MEASURE 2.11", "Fairness and bias are evaluated", (5,)),
    ("MEASURE 2.12", "Environmental impact and sustainability are assessed", (10,)),
    ("MEASURE 3", "Mechanisms track identified risks over time", (2, 4)),
    ("MEASURE 4", "Feedback about the efficacy of measurement is gathered", (10,)),
    ("MANAGE 1", "Risks are prioritised and responded to", (4, 10)),
    ("MANAGE 2", "Strategies maximise benefits and minimise negative impacts", (7, 8, 9, 10)),
    ("MANAGE 3", "Risks from third-party entities are managed", (2,)),
    ("MANAGE 4", "Risk treatments, response, recovery and communication are documented and monitored",
     (3, 10)),
)

_ISO = (
    ("A.2", "Policies related to AI", (10,)),
    ("A.3", "Internal organisation (roles, responsibilities, reporting of concerns)", (4, 10)),
    ("A.4", "Resources for AI systems (data, tooling, computing, people) documented", (4,)),
    ("A.5", "Assessing impacts of AI systems on individuals, groups and society", (4, 5)),
    ("A.6", "AI system life cycle (requirements, design, verification, deployment, monitoring)", (2, 10)),
    ("A.7", "Data for AI systems (acquisition, quality, provenance, preparation)", (3, 4)),
    ("A.8", "Information for interested parties (documentation, incident communication)", (4, 6)),
    ("A.9", "Use of AI systems (responsible use, intended use)", (4, 10)),
    ("A.10", "Third-party and customer relationships", (1, 2)),
)

_AI_ACT = (
    ("Art. 5", "Unacceptable risk: prohibited practices (social scoring, manipulation, exploiting "
               "vulnerabilities, untargeted facial scraping, …)", (4, 10)),
    ("Art. 6 + Annex III", "High risk: e.g. creditworthiness of natural persons (Annex III 5(b)), "
                           "employment, education, essential services", (4, 10)),
    ("Art. 9", "High risk: risk-management system", (4, 10)),
    ("Art. 10", "High risk: data and data governance (quality, relevance, bias examination)", (4, 5)),
    ("Art. 11", "High risk: technical documentation", (4,)),
    ("Art. 12", "High risk: record-keeping (automatic logs)", (3,)),
    ("Art. 13", "High risk: transparency and information to deployers", (4, 6)),
    ("Art. 14", "High risk: human oversight", (5, 6)),
    ("Art. 15", "High risk: accuracy, robustness and cybersecurity", (1, 2)),
    ("Art. 50", "Limited risk: transparency obligations (chatbots, synthetic content)", (10,)),
    ("Minimal risk", "No obligations; voluntary codes of conduct (Art. 95)", (10,)),
    ("Art. 53, 55", "General-purpose AI models; systemic-risk models: evaluation, adversarial testing, "
                    "incident reporting, cybersecurity", (1, 10)),
)

_EXTRA_LISTS = (
    ("owasp_ml", "ML07", "Transfer Learning Attack", (), "not demonstrated in the course"),
    ("owasp_ml", "ML08", "Model Skewing (feedback-loop manipulation)", (2, 4),
     "drift monitoring (02) and drift gates (04)"),
    ("owasp_ml", "ML09", "Output Integrity Attack", (2, 8), "TLS (02); ciphertext integrity (08)"),
    ("owasp_llm", "LLM05", "Improper Output Handling", (1,), "output filtering in the prompt-injection demo"),
    ("owasp_llm", "LLM09", "Misinformation", (10,), "discussed (societal impact), no code"),
)

_OWASP_ML_TITLES = {
    "ML01": "Input Manipulation Attack", "ML02": "Data Poisoning Attack", "ML03": "Model Inversion Attack",
    "ML04": "Membership Inference Attack", "ML05": "Model Theft", "ML06": "AI Supply Chain Attacks",
    "ML10": "Model Poisoning",
}
_OWASP_LLM_TITLES = {
    "LLM01": "Prompt Injection", "LLM02": "Sensitive Information Disclosure", "LLM03": "Supply Chain",
    "LLM04": "Data and Model Poisoning", "LLM06": "Excessive Agency", "LLM07": "System Prompt Leakage",
    "LLM08": "Vector and Embedding Weaknesses", "LLM10": "Unbounded Consumption",
}


def _threat_units(threat) -> set[int]:
    units = {int(m) for m in re.findall(r"^(\d\d) ·", threat.demo)}
    for s in threat.safeguards:
        units |= {int(m) for m in re.findall(r"\((\d\d)\)", s)}
    return units | {2}  # every threat of the map lists its safeguards, shown in unit 02


#: units beyond the threat map's demos: federated learning (09) shows backdoor / model-poisoning attacks with
#: robust aggregation and gradient inversion
_MORE_UNITS: dict[tuple[str, str], tuple[int, ...]] = {
    ("owasp_ml", "ML02"): (9,), ("owasp_ml", "ML10"): (9,), ("owasp_ml", "ML03"): (9,),
    ("nist_ai_100_2", "PredAI · Poisoning · backdoor"): (9,),
    ("nist_ai_100_2", "PredAI · Privacy · data reconstruction"): (9,),
}


def _from_threatmap() -> list[StandardItem]:
    from mlops_course.security.threatmap import THREATS

    fields = {"owasp_ml": "owasp_ml", "owasp_llm": "owasp_llm", "mitre_atlas": "atlas", "nist_ai_100_2": "nist"}
    collected: dict[tuple[str, str], dict] = {}
    for t in THREATS:
        for framework, attr in fields.items():
            for ident in getattr(t, attr):
                if ident.startswith("("):  # "(out of scope: ...)"
                    continue
                entry = collected.setdefault((framework, ident), {"units": set(), "threats": []})
                entry["units"] |= _threat_units(t)
                entry["threats"].append(t.name)
    titles = {**_OWASP_ML_TITLES, **_OWASP_LLM_TITLES}
    out = []
    for (framework, ident), e in collected.items():
        title = titles.get(ident, "; ".join(dict.fromkeys(e["threats"])))
        units = e["units"] | set(_MORE_UNITS.get((framework, ident), ()))
        out.append(StandardItem(framework, ident, title, tuple(sorted(units)),
                                "threats: " + "; ".join(dict.fromkeys(e["threats"]))))
    return out


def _build() -> tuple[StandardItem, ...]:
    out = [StandardItem("nist_ai_rmf", i, t, u) for i, t, u in _RMF]
    out += _from_threatmap()
    out += [StandardItem(f, i, t, u, n) for f, i, t, u, n in _EXTRA_LISTS]
    out += [StandardItem("iso_42001", i, t, u) for i, t, u in _ISO]
    out += [StandardItem("eu_ai_act", i, t, u) for i, t, u in _AI_ACT]
    order = list(FRAMEWORKS)
    return tuple(sorted(out, key=lambda s: (order.index(s.framework), _natural(s.identifier))))


def _natural(text: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


STANDARDS: tuple[StandardItem, ...] = _build()


def _check_framework(framework: str | None) -> None:
    if framework is not None:
        check_choice("framework", framework, FRAMEWORKS, note=" or None")


def items(framework: str | None = None, unit: int | None = None) -> list[StandardItem]:
    """Items of one framework (or all), optionally only those covered by ``unit``.

    Parameters
    ----------
    framework : str or None, default None
        Key of :data:`FRAMEWORKS` (None: all frameworks).
    unit : int or None, default None
        Keep only items covered by this unit (None: all).

    Returns
    -------
    list of StandardItem
        In the map's order.

    Raises
    ------
    ValueError
        If ``framework`` is not None or a key of :data:`FRAMEWORKS`.
    """
    _check_framework(framework)
    return [s for s in STANDARDS if (framework is None or s.framework == framework)
            and (unit is None or unit in s.units)]


def units_for(framework: str, identifier: str) -> tuple[int, ...]:
    """The units covering one item (``KeyError`` if the item is not in the map).

    Parameters
    ----------
    framework : str
        Key of :data:`FRAMEWORKS`.
    identifier : str
        The item's identifier.

    Returns
    -------
    tuple of int
        The covering units.

    Raises
    ------
    ValueError
        If ``framework`` is unknown.
    KeyError
        If the item is not in the map.
    """
    _check_framework(framework)
    for s in STANDARDS:
        if s.framework == framework and s.identifier == identifier:
            return s.units
    raise KeyError(f"{identifier!r} is not an item of {framework!r} in the map")


def uncovered() -> list[StandardItem]:
    """Items no unit covers (honest gaps)."""
    return [s for s in STANDARDS if not s.units]


def coverage_matrix():
    """A DataFrame frameworks × units 1–10: how many items of the framework each unit covers."""
    import pandas as pd

    units = list(range(1, 11))
    data = [[sum(u in s.units for s in STANDARDS if s.framework == f) for u in units] for f in FRAMEWORKS]
    return pd.DataFrame(data, index=list(FRAMEWORKS.values()), columns=[f"{u:02d}" for u in units])


EU_AI_ACT_TIERS: tuple[str, ...] = ("unacceptable", "high", "limited", "minimal")
EU_AI_ACT_EXAMPLES: dict[str, str] = {
    "social scoring of natural persons leading to detrimental treatment": "unacceptable",
    "creditworthiness evaluation / credit scoring of natural persons": "high",
    "CV screening and ranking of job applicants": "high",
    "customer-service chatbot": "limited",
    "spam filter": "minimal",
}


def eu_ai_act_tier(*, prohibited_practice: bool = False, annex_iii_use: bool = False,
                   interacts_or_generates: bool = False) -> str:
    """Risk tier of an AI system (simplified decision order of Regulation (EU) 2024/1689).

    1. an Art. 5 prohibited practice → ``"unacceptable"``;
    2. an Annex III use case (or a safety component under Annex I) → ``"high"`` (Art. 6; the
       Art. 6(3) exemptions are not modelled);
    3. interacts with people or generates synthetic content → ``"limited"`` (Art. 50);
    4. otherwise ``"minimal"``.

    Parameters
    ----------
    prohibited_practice : bool, default False
        The system is an Art. 5 prohibited practice.
    annex_iii_use : bool, default False
        It is an Annex III use case (or an Annex I safety component).
    interacts_or_generates : bool, default False
        It interacts with people or generates synthetic content.

    Returns
    -------
    str
        ``"unacceptable"``, ``"high"``, ``"limited"`` or ``"minimal"``.

    Raises
    ------
    TypeError
        If a flag is not a bool.
    """
    for name, value in (("prohibited_practice", prohibited_practice), ("annex_iii_use", annex_iii_use),
                        ("interacts_or_generates", interacts_or_generates)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    if prohibited_practice:
        return "unacceptable"
    if annex_iii_use:
        return "high"
    return "limited" if interacts_or_generates else "minimal"
