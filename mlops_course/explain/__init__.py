"""Explainable AI: transparent models and post-hoc, model-agnostic explanations.

One concept per module; a *model* is any callable ``predict(X) -> (n,)`` scores.

==================  ===========================================================================
module              what it provides
==================  ===========================================================================
``transparent``     standardised logistic coefficients / odds ratios per SD; a tree as IF-THEN rules
``permutation``     permutation feature importance (Breiman 2001; = sklearn.inspection)
``pdp``             partial dependence and ICE curves (Friedman 2001; Goldstein et al. 2015)
``shapley``         exact interventional Shapley values by enumerating 2^M coalitions
``kernelshap``      KernelSHAP: Shapley-kernel weighted regression (Lundberg & Lee 2017)
``lime``            LIME for tabular data and its stability across seeds (Ribeiro et al. 2016)
``counterfactual``  closest decision-changing input: linear closed form and Growing Spheres
``surrogate``       global surrogate tree and its fidelity (R² or agreement)
==================  ===========================================================================
"""
from __future__ import annotations

from mlops_course.explain.counterfactual import Counterfactual, growing_spheres, linear_counterfactual
from mlops_course.explain.kernelshap import kernel_shap, shapley_kernel_weight
from mlops_course.explain.lime import LimeExplanation, LimeStability, lime_explain, lime_stability
from mlops_course.explain.pdp import PartialDependence, centered_ice, ice_curves, partial_dependence, pdp_grid
from mlops_course.explain.permutation import PermutationImportance, accuracy, neg_mse, permutation_importance
from mlops_course.explain.shapley import (
    ShapleyExplanation,
    coalition_values,
    exact_shapley,
    shapley_from_values,
)
from mlops_course.explain.surrogate import GlobalSurrogate, fidelity_agreement, fidelity_r2, global_surrogate
from mlops_course.explain.transparent import (
    Rule,
    odds_ratios_per_sd,
    rules_predict,
    standardized_coefficients,
    tree_rules,
)

__all__ = [
    "Counterfactual", "growing_spheres", "linear_counterfactual",
    "kernel_shap", "shapley_kernel_weight",
    "LimeExplanation", "LimeStability", "lime_explain", "lime_stability",
    "PartialDependence", "centered_ice", "ice_curves", "partial_dependence", "pdp_grid",
    "PermutationImportance", "accuracy", "neg_mse", "permutation_importance",
    "ShapleyExplanation", "coalition_values", "exact_shapley", "shapley_from_values",
    "GlobalSurrogate", "fidelity_agreement", "fidelity_r2", "global_surrogate",
    "Rule", "odds_ratios_per_sd", "rules_predict", "standardized_coefficients", "tree_rules",
]
