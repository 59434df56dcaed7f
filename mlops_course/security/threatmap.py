"""A map of the course's threats to OWASP ML Top 10, OWASP LLM Top 10, MITRE ATLAS and NIST AI 100-2.

Sources (identifiers as published; check the live lists, they are revised):

* OWASP Machine Learning Security Top 10 (2023 edition): ML01 Input Manipulation Attack,
  ML02 Data Poisoning Attack, ML03 Model Inversion Attack, ML04 Membership Inference Attack,
  ML05 Model Theft, ML06 AI Supply Chain Attacks, ML07 Transfer Learning Attack, ML08 Model
  Skewing, ML09 Output Integrity Attack, ML10 Model Poisoning.
* OWASP Top 10 for LLM Applications (2025): LLM01 Prompt Injection, LLM02 Sensitive Information
  Disclosure, LLM03 Supply Chain, LLM04 Data and Model Poisoning, LLM05 Improper Output Handling,
  LLM06 Excessive Agency, LLM07 System Prompt Leakage, LLM08 Vector and Embedding Weaknesses,
  LLM09 Misinformation, LLM10 Unbounded Consumption.
* MITRE ATLAS techniques (atlas.mitre.org), e.g. AML.T0020 Poison Training Data,
  AML.T0043 Craft Adversarial Data, AML.T0024 Exfiltration via AI Inference API (.000 membership,
  .001 inversion, .002 model extraction), AML.T0051 LLM Prompt Injection (.000 direct, .001
  indirect), AML.T0056 Extract LLM System Prompt, AML.T0029 Denial of AI Service, AML.T0034 Cost
  Harvesting, AML.T0010 AI Supply Chain Compromise, AML.T0011.000 Unsafe AI Artifacts,
  AML.T0018 Manipulate AI Model (formerly Backdoor ML Model), AML.T0025 Exfiltration via Cyber Means, AML.T0015 Evade AI Model,
  AML.T0012 Valid Accounts.
* NIST AI 100-2 E2025, *Adversarial Machine Learning: A Taxonomy and Terminology of Attacks and
  Mitigations*: predictive-AI attacks by the attacker's goal (availability, integrity, privacy)
  — evasion, poisoning (availability, targeted, backdoor, model poisoning), privacy (data
  reconstruction, membership inference, model extraction) — and generative-AI attacks (direct
  and indirect prompt injection, supply-chain attacks, misuse).

Each row also names where the course demonstrates the attack (unit 01) and the safeguard
(unit 02 or the privacy units), so the table is an index into the notebooks.
"""
from __future__ import annotations

from dataclasses import dataclass

from mlops_course._validation import check_choice

__all__ = ["Threat", "THREATS", "FRAMEWORKS", "threat_table", "threats_in"]

FRAMEWORKS = ("owasp_ml", "owasp_llm", "atlas", "nist")


@dataclass(frozen=True)
class Threat:
    """One threat and its identifiers in each framework (empty tuple: not covered by that list).

    Parameters
    ----------
    name : str
        The threat.
    slide_term : str
        The lecture slide's term for it.
    demo : str
        Where the course demonstrates it (unit · notebook section).
    owasp_ml, owasp_llm, atlas, nist : tuple of str
        Identifiers in OWASP ML Top 10, OWASP LLM Top 10, MITRE ATLAS and NIST AI 100-2.
    safeguards : tuple of str
        Safeguards the course shows against it.
    """

    name: str
    slide_term: str
    demo: str
    owasp_ml: tuple[str, ...]
    owasp_llm: tuple[str, ...]
    atlas: tuple[str, ...]
    nist: tuple[str, ...]
    safeguards: tuple[str, ...]


THREATS: tuple[Threat, ...] = (
    Threat("Label-flipping data poisoning", "Data poisoning", "01 · poisoning",
           ("ML02",), ("LLM04",), ("AML.T0020",), ("PredAI · Poisoning · availability/targeted",),
           ("signed data sets (integrity)", "access control on training data", "drift monitoring")),
    Threat("Backdoor trigger in training data", "Data poisoning", "01 · poisoning",
           ("ML02", "ML10"), ("LLM04",), ("AML.T0020", "AML.T0018"), ("PredAI · Poisoning · backdoor",),
           ("signed artefacts", "RBAC on who may train/register", "data sanitisation (01)")),
    Threat("Adversarial examples (FGSM / PGD)", "Adversarial attacks", "01 · evasion",
           ("ML01",), (), ("AML.T0043", "AML.T0015"), ("PredAI · Evasion",),
           ("OOD monitoring", "adversarial training (01)")),
    Threat("Model extraction via prediction API", "Model theft & extraction", "01 · extraction",
           ("ML05",), ("LLM10",), ("AML.T0024.002",), ("PredAI · Privacy · model extraction",),
           ("query-pattern monitoring", "watermarking", "rate limits / rounding (01)")),
    Threat("Theft of the model file", "Model theft & extraction", "02 · crypto, access",
           ("ML05",), (), ("AML.T0025",), ("(out of scope: classic exfiltration)",),
           ("encryption at rest", "RBAC + zero trust", "network segmentation", "watermarking")),
    Threat("Model inversion", "Model inversion attacks", "01 · inversion",
           ("ML03",), ("LLM02",), ("AML.T0024.001",), ("PredAI · Privacy · data reconstruction",),
           ("confidence rounding (01)", "differential privacy (07)")),
    Threat("Membership inference", "Inference attacks", "01 · membership",
           ("ML04",), ("LLM02",), ("AML.T0024.000",), ("PredAI · Privacy · membership inference",),
           ("DP-SGD (07)", "access control on the API")),
    Threat("Direct prompt injection", "Prompt injection attacks", "01 · prompt_injection",
           (), ("LLM01", "LLM06"), ("AML.T0051.000",), ("GenAI · Direct prompt injection",),
           ("privilege separation", "least-privilege tools (RBAC)", "output filtering (01)")),
    Threat("Indirect prompt injection (retrieved text)", "Prompt injection attacks", "01 · prompt_injection",
           (), ("LLM01", "LLM08"), ("AML.T0051.001",), ("GenAI · Indirect prompt injection",),
           ("treat retrieved text as data", "zero trust for tool calls")),
    Threat("System-prompt leakage", "Prompt injection attacks", "01 · prompt_injection",
           (), ("LLM07",), ("AML.T0056",), ("GenAI · Privacy · prompt extraction",),
           ("no secrets in prompts", "canary tokens + output monitoring (01)")),
    Threat("Resource exhaustion / flooding", "Resource exhaustion", "01 · exhaustion",
           (), ("LLM10",), ("AML.T0029", "AML.T0034"), ("Availability violation",),
           ("rate limits, quotas, input size limits (01)", "monitoring")),
    Threat("Malicious pickled model (supply chain)", "Infrastructure vulnerabilities", "02 · signing",
           ("ML06",), ("LLM03",), ("AML.T0010", "AML.T0011.000"), ("Supply-chain attack · model",),
           ("signature verification", "safe formats (npz, no pickle)")),
    Threat("Eavesdropping on inference traffic", "Infrastructure vulnerabilities", "02 · crypto",
           (), (), ("AML.T0025",), ("(out of scope: classic network attack)",),
           ("TLS in transit", "network segmentation")),
    Threat("Stolen credentials / insider misuse", "Infrastructure vulnerabilities", "02 · access",
           (), (), ("AML.T0012",), ("(out of scope: classic access abuse)",),
           ("MFA + device posture", "RBAC least privilege", "audit trail")),
)


def threats_in(framework: str, identifier: str) -> list[str]:
    """Names of the threats mapped to ``identifier`` of ``framework`` (e.g. ``("owasp_llm", "LLM01")``).

    Parameters
    ----------
    framework : str
        One of :data:`FRAMEWORKS`.
    identifier : str
        An identifier of that framework.

    Returns
    -------
    list of str
        Names of the matching threats, in table order (empty if none).

    Raises
    ------
    ValueError
        If ``framework`` is not one of :data:`FRAMEWORKS`.
    """
    check_choice("framework", framework, FRAMEWORKS)
    return [t.name for t in THREATS if identifier in getattr(t, framework)]


def threat_table(columns: tuple[str, ...] = ("name", "owasp_ml", "owasp_llm", "atlas", "nist", "safeguards")):
    """The map as a :class:`mlops_course.viz.Table` (Markdown in Jupyter, aligned text elsewhere).

    Parameters
    ----------
    columns : tuple of str
        Fields of :class:`Threat` to show, in order.

    Raises
    ------
    ValueError
        If a column is not a field of :class:`Threat`.
    """
    from mlops_course.viz import table

    headers = {"name": "Threat", "slide_term": "Slide", "demo": "Demo", "owasp_ml": "OWASP ML",
               "owasp_llm": "OWASP LLM", "atlas": "MITRE ATLAS", "nist": "NIST AI 100-2",
               "safeguards": "Safeguards"}
    bad = [c for c in columns if c not in headers]
    if bad or not columns:
        raise ValueError(f"columns must be a non-empty subset of {tuple(headers)}, got {columns!r}")

    def cell(value: object) -> str:
        if isinstance(value, tuple):
            return ", ".join(value) if value else "—"
        return str(value)

    rows = [[cell(getattr(t, c)) for c in columns] for t in THREATS]
    return table(rows, [headers[c] for c in columns])
