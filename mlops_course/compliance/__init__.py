"""Regulatory compliance (GDPR and CCPA) as code: find personal data, limit it, answer requests.

One concept per module; each right is implemented next to the article it comes from:

================  ===========================================================================
module            what it provides (legal basis)
================  ===========================================================================
``synthetic``     fake data subjects and a labelled PII corpus (nothing real)
``pii``           detectors (e-mail, phone, Luhn-checked cards, SSN, NINO, IP, names), keyed
                  hashing, tokenisation, masking (Art. 4(1), 4(5); CCPA §1798.140(v))
``linkage``       linkage and dictionary attacks: pseudonymised data is personal data
                  (Recital 26)
``kanonymity``    k-anonymity check, full-domain generalisation with suppression, ℓ-diversity
``register``      purposes, lawful bases, consent events, objection, opt-out of sale;
                  purpose limitation and data minimisation (Art. 5(1)(b)(c), 6, 7, 21;
                  §1798.120)
``records``       the lineage store: sources → derived datasets → models; erasure that
                  recomputes everything downstream
``requests``      the ``Controller``: access / right to know (Art. 15; §1798.100, .110),
                  erasure / delete (Art. 17; §1798.105), opt-out of sale (§1798.120), retention
                  (Art. 5(1)(e)), logged decisions (Art. 22)
``unlearning``    exact unlearning: retraining and SISA (Bourtoule et al. 2021) with bit-for-bit
                  verification and measured cost
``auditlog``      tamper-evident hash-chained audit log (Art. 5(2), 30)
``explanation``   the link to unit 06's counterfactual explanations (Art. 13(2)(f), 15(1)(h), 22)
================  ===========================================================================
"""
from __future__ import annotations

from mlops_course.compliance.auditlog import AuditLog, Entry, verify_chain
from mlops_course.compliance.kanonymity import (
    AGE,
    SUPPRESS,
    ZIP,
    Hierarchy,
    generalise,
    k_anonymity,
    l_diversity,
    minimal_generalisation,
)
from mlops_course.compliance.linkage import dictionary_attack, linkage_attack, uniqueness
from mlops_course.compliance.pii import TokenVault, find_pii, keyed_hash, luhn_valid, mask, redact, scan_table
from mlops_course.compliance.records import DataStore, LogRegTrainer
from mlops_course.compliance.register import LAWFUL_BASES, ConsentRegister, Purpose, PurposeError
from mlops_course.compliance.requests import Controller
from mlops_course.compliance.synthetic import make_people, make_pii_corpus
from mlops_course.compliance.unlearning import SISA, retrain_without, train_logreg, verify_exact_unlearning

__all__ = [
    "AuditLog", "Entry", "verify_chain",
    "AGE", "ZIP", "SUPPRESS", "Hierarchy", "generalise", "k_anonymity", "l_diversity", "minimal_generalisation",
    "dictionary_attack", "linkage_attack", "uniqueness",
    "TokenVault", "find_pii", "keyed_hash", "luhn_valid", "mask", "redact", "scan_table",
    "DataStore", "LogRegTrainer",
    "LAWFUL_BASES", "ConsentRegister", "Purpose", "PurposeError",
    "Controller",
    "make_people", "make_pii_corpus",
    "SISA", "retrain_without", "train_logreg", "verify_exact_unlearning",
]
