"""Tests of the threat map: identifiers well-formed and from the published lists, coverage, rendering."""
from __future__ import annotations

import re

import pytest

from mlops_course.security.threatmap import FRAMEWORKS, THREATS, threat_table, threats_in

OWASP_ML = {f"ML{i:02d}" for i in range(1, 11)}
OWASP_LLM = {f"LLM{i:02d}" for i in range(1, 11)}
ATLAS = re.compile(r"^AML\.T\d{4}(\.\d{3})?$")


def test_identifiers_are_well_formed():
    for t in THREATS:
        assert set(t.owasp_ml) <= OWASP_ML, t.name
        assert set(t.owasp_llm) <= OWASP_LLM, t.name
        assert t.atlas and all(ATLAS.match(a) for a in t.atlas), t.name
        assert t.nist and t.safeguards and t.demo, t.name
        # classic infrastructure attacks are in no OWASP ML/LLM entry: then NIST must say "out of scope"
        assert t.owasp_ml or t.owasp_llm or t.nist[0].startswith("(out of scope"), t.name


def test_every_slide_threat_is_mapped():
    terms = {t.slide_term for t in THREATS}
    for term in ("Data poisoning", "Model theft & extraction", "Model inversion attacks", "Adversarial attacks",
                 "Inference attacks", "Prompt injection attacks", "Infrastructure vulnerabilities",
                 "Resource exhaustion"):
        assert term in terms


def test_well_known_pairs():
    assert "Model extraction via prediction API" in threats_in("owasp_ml", "ML05")
    assert threats_in("atlas", "AML.T0024.002") == ["Model extraction via prediction API"]
    assert "Direct prompt injection" in threats_in("owasp_llm", "LLM01")
    assert threats_in("owasp_llm", "LLM07") == ["System-prompt leakage"]
    assert "Membership inference" in threats_in("owasp_ml", "ML04")
    assert "Malicious pickled model (supply chain)" in threats_in("atlas", "AML.T0011.000")
    assert threats_in("owasp_ml", "ML99") == []


def test_classic_infrastructure_threats_are_not_forced_into_llm_entries():
    # LLM06 Excessive Agency is about an agent's permissions, LLM02 about the model disclosing data:
    # stolen credentials and TLS eavesdropping are neither (OWASP Top 10 for LLM Applications 2025)
    assert threats_in("owasp_llm", "LLM06") == ["Direct prompt injection"]
    by_name = {t.name: t for t in THREATS}
    for name in ("Eavesdropping on inference traffic", "Stolen credentials / insider misuse"):
        assert by_name[name].owasp_ml == () and by_name[name].owasp_llm == (), name
    assert "| Eavesdropping on inference traffic | — | — | AML.T0025 |" in threat_table()._repr_markdown_()


def test_table_renders_all_rows():
    tab = threat_table()
    assert len(tab.rows) == len(THREATS)
    md = tab._repr_markdown_()
    assert md.splitlines()[0].startswith("| Threat | OWASP ML | OWASP LLM | MITRE ATLAS")
    assert "AML.T0051.001" in md
    assert threat_table(("name", "demo")).headers == ["Threat", "Demo"]


@pytest.mark.parametrize("call", [lambda: threat_table(("name", "cve")), lambda: threat_table(()),
                                  lambda: threats_in("iso", "x")])
def test_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_frameworks_are_fields():
    assert all(hasattr(THREATS[0], f) for f in FRAMEWORKS)
