"""Data governance and the best-practice toolkit (units 04 and 10).

================  ===========================================================================
module            what it provides
================  ===========================================================================
``catalog``       classification (public / internal / confidential / special-category), owners,
                  retention; usage policies checked against the classification (GDPR Art. 5, 9)
``lineage``       lineage graph raw data → features → models; what an erasure touches; drawing
``quality``       schema, ranges, missing values, duplicates, drift (PSI, KS) as gates
``modelcard``     model cards (Mitchell et al. 2019) with per-group metrics (unit 05's metrics)
``datasheet``     datasheets for datasets (Gebru et al. 2021) with measured composition
``pia``           privacy-impact-assessment record: WP248 screening, L × S risk scoring, Art. 36
``pipeline``      defence-in-depth release pipeline: quality, purpose, privacy budget, fairness,
                  signed artefact, model card gates
``penalties``     GDPR Art. 83(4)/(5) fines and CCPA §1798.155 / §1798.199.90 penalties
``standards``     NIST AI RMF, NIST AI 100-2, OWASP ML/LLM Top 10, MITRE ATLAS, ISO/IEC 42001,
                  EU AI Act tiers mapped to the course's units
``comparison``    re-export of :mod:`mlops_course.capstone` (unit 10's DP vs HE vs FL comparison)
================  ===========================================================================

``pipeline`` imports the privacy, fairness and security units lazily (inside functions), and this
package does not import ``comparison`` (which imports them all), so importing it stays light.
"""
from __future__ import annotations

from mlops_course.governance.catalog import (
    CLASSIFICATIONS,
    CatalogEntry,
    DataCatalog,
    PolicyDecision,
    UsageRequest,
    check_usage,
    refused_columns,
    retention_expired,
    suggest_classification,
)
from mlops_course.governance.datasheet import Datasheet, composition_facts
from mlops_course.governance.lineage import ErasureImpact, LineageGraph, erasure_touches
from mlops_course.governance.modelcard import ModelCard, group_metrics, metrics_gaps, quantitative_analysis
from mlops_course.governance.penalties import ccpa_max_penalty, gdpr_crossover_turnover, gdpr_max_fine
from mlops_course.governance.pia import (
    DPIA_CRITERIA,
    PrivacyImpactAssessment,
    Risk,
    dpia_required,
    risk_level,
)
from mlops_course.governance.pipeline import (
    Gate,
    GateResult,
    ReleasePipeline,
    ReleaseReport,
    standard_pipeline,
)
from mlops_course.governance.quality import (
    ColumnSpec,
    QualityReport,
    check_drift,
    ks_statistic,
    population_stability_index,
    quality_report,
    quality_summary,
)

__all__ = [
    "CLASSIFICATIONS", "CatalogEntry", "DataCatalog", "PolicyDecision", "UsageRequest", "check_usage",
    "refused_columns", "retention_expired", "suggest_classification",
    "Datasheet", "composition_facts",
    "ErasureImpact", "LineageGraph", "erasure_touches",
    "ModelCard", "group_metrics", "metrics_gaps", "quantitative_analysis",
    "ccpa_max_penalty", "gdpr_crossover_turnover", "gdpr_max_fine",
    "DPIA_CRITERIA", "PrivacyImpactAssessment", "Risk", "dpia_required", "risk_level",
    "Gate", "GateResult", "ReleasePipeline", "ReleaseReport", "standard_pipeline",
    "ColumnSpec", "QualityReport", "check_drift", "ks_statistic", "population_stability_index", "quality_report",
    "quality_summary",
]
