"""Fairness: group metrics, a per-group table with confidence intervals, three mitigations
(reweighing, group thresholds, a fairness-penalised logistic regression), the impossibility
results and Simpson's paradox.

Modules (one concept each): :mod:`.metrics`, :mod:`.table`, :mod:`.reweighing`,
:mod:`.thresholds`, :mod:`.inprocessing`, :mod:`.impossibility`, :mod:`.simpson`, :mod:`.plots`,
:mod:`.adult` (the course model's decisions on UCI Adult, audited in unit 05).
Data with protected attributes: :mod:`mlops_course.datasets`.
"""
from __future__ import annotations

from mlops_course.fairness.adult import AdultDecisions, adult_income_decisions
from mlops_course.fairness.impossibility import (
    calibrate_within_groups,
    chouldechova_fpr,
    chouldechova_table,
    kmr_table,
)
from mlops_course.fairness.inprocessing import FairLogisticRegression
from mlops_course.fairness.metrics import (
    RATES,
    FourFifths,
    accuracy,
    average_odds_difference,
    by_group,
    calibration_by_group,
    demographic_parity_difference,
    demographic_parity_ratio,
    difference,
    disparate_impact,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_negative_rate_difference,
    false_positive_rate,
    false_positive_rate_difference,
    four_fifths_rule,
    positive_predictive_value,
    predictive_parity_difference,
    predictive_parity_ratio,
    ratio,
    selection_rate,
    statistical_parity_difference,
    true_negative_rate,
    true_positive_rate,
)
from mlops_course.fairness.reweighing import reweighing_table, reweighing_weights
from mlops_course.fairness.simpson import SimpsonResult, simpsons_paradox
from mlops_course.fairness.table import group_table
from mlops_course.fairness.thresholds import (
    apply_thresholds,
    demographic_parity_thresholds,
    equal_opportunity_thresholds,
    equalized_odds_thresholds,
    threshold_for_rate,
)

__all__ = [
    "AdultDecisions", "adult_income_decisions",
    "RATES", "FourFifths", "accuracy", "average_odds_difference", "by_group", "calibration_by_group",
    "demographic_parity_difference", "demographic_parity_ratio", "difference", "disparate_impact",
    "equal_opportunity_difference", "equal_opportunity_ratio", "equalized_odds_difference",
    "equalized_odds_ratio", "false_negative_rate", "false_negative_rate_difference", "false_positive_rate",
    "false_positive_rate_difference", "four_fifths_rule", "positive_predictive_value",
    "predictive_parity_difference", "predictive_parity_ratio", "ratio", "selection_rate",
    "statistical_parity_difference", "true_negative_rate", "true_positive_rate", "group_table",
    "reweighing_weights", "reweighing_table", "apply_thresholds", "threshold_for_rate",
    "demographic_parity_thresholds", "equal_opportunity_thresholds", "equalized_odds_thresholds",
    "FairLogisticRegression", "chouldechova_fpr", "chouldechova_table", "calibrate_within_groups",
    "kmr_table", "SimpsonResult", "simpsons_paradox",
]
