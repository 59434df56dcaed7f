"""Differential privacy: mechanisms, samplers, queries, accounting and DP-SGD.

One concept per module:

==========================  ==================================================================
module                      what it provides
==========================  ==================================================================
``randomized_response``     local DP for bits (Warner 1965): keep w.p. e^ε/(1+e^ε), debias
``laplace``                 Laplace mechanism, b = Δ₁/ε, and its 95 % half-width ln(20)·b
``gaussian``                Gaussian mechanism: classic σ (ε < 1) and analytic σ (Balle & Wang)
``exponential``             exponential mechanism and report-noisy-max
``discrete``                discrete Laplace and discrete Gaussian samplers (accurate float64, see module)
``fpsafe``                  floating-point-safe grid Laplace and Mironov's attack on the naive one
``queries``                 clipping, sensitivities, DP count / sum / mean / histogram / quantile
``composition``             basic, advanced, optimal (KOV), parallel composition; group privacy
``rdp``                     RDP / zCDP of the (subsampled) Gaussian and conversion to (ε, δ)
``accountant``              ``PrivacyAccountant``: a budget that refuses overspending queries
``accuracy``                confidence half-widths of Laplace / Gaussian noise
``dpsgd``                   DP-SGD logistic regression with RDP accounting
==========================  ==================================================================

Every name below is importable from ``mlops_course.privacy.dp`` directly.
"""
from __future__ import annotations

from mlops_course.privacy.dp.accountant import BudgetExceededError, LedgerEntry, PrivacyAccountant, charge
from mlops_course.privacy.dp.accuracy import gaussian_halfwidth, noise_halfwidth, noise_interval
from mlops_course.privacy.dp.composition import (
    advanced_composition,
    basic_composition,
    group_privacy,
    kov_composition,
    kov_delta,
    parallel_composition,
    post_processing,
)
from mlops_course.privacy.dp.discrete import discrete_gaussian, discrete_laplace
from mlops_course.privacy.dp.dpsgd import (
    DPLogisticRegression,
    accuracy_epsilon_tradeoff,
    breast_cancer_tradeoff,
    calibrate_noise_multiplier,
    check_dpsgd_settings,
    clipped_noisy_sum,
    dpsgd_epsilon,
    dpsgd_logreg,
    poisson_batch,
    train_dp_logreg,
)
from mlops_course.privacy.dp.exponential import (
    exponential_mechanism,
    exponential_mechanism_probabilities,
    report_noisy_max,
)
from mlops_course.privacy.dp.fpsafe import (
    default_grid,
    grid_laplace_guarantee,
    grid_laplace_mechanism,
    grid_laplace_parameters,
    mironov_attack,
    naive_float_laplace,
    sampler_relative_error,
)
from mlops_course.privacy.dp.gaussian import (
    gaussian_delta,
    gaussian_mechanism,
    gaussian_sigma_analytic,
    gaussian_sigma_classic,
)
from mlops_course.privacy.dp.laplace import laplace_halfwidth, laplace_mechanism, laplace_scale
from mlops_course.privacy.dp.queries import (
    clip,
    count_sensitivity,
    dp_count,
    dp_histogram,
    dp_mean,
    dp_quantile,
    dp_sum,
    histogram_sensitivity,
    mean_sensitivity,
    sum_sensitivity,
)
from mlops_course.privacy.dp.randomized_response import randomized_response, rr_estimate, rr_keep_probability
from mlops_course.privacy.dp.rdp import (
    DEFAULT_ORDERS,
    gaussian_rdp,
    gaussian_zcdp,
    rdp_to_dp,
    sampled_gaussian_rdp,
    zcdp_to_dp,
)

__all__ = [
    # mechanisms (randomized_response, laplace, gaussian, exponential, discrete, fpsafe)
    "rr_keep_probability",
    "randomized_response",
    "rr_estimate",
    "laplace_scale",
    "laplace_mechanism",
    "laplace_halfwidth",
    "gaussian_sigma_classic",
    "gaussian_sigma_analytic",
    "gaussian_delta",
    "gaussian_mechanism",
    "exponential_mechanism_probabilities",
    "exponential_mechanism",
    "report_noisy_max",
    "discrete_laplace",
    "discrete_gaussian",
    "default_grid",
    "grid_laplace_guarantee",
    "sampler_relative_error",
    "grid_laplace_parameters",
    "grid_laplace_mechanism",
    "naive_float_laplace",
    "mironov_attack",
    # queries
    "clip",
    "count_sensitivity",
    "sum_sensitivity",
    "mean_sensitivity",
    "histogram_sensitivity",
    "dp_count",
    "dp_sum",
    "dp_mean",
    "dp_histogram",
    "dp_quantile",
    # accounting
    "basic_composition",
    "advanced_composition",
    "kov_composition",
    "kov_delta",
    "parallel_composition",
    "post_processing",
    "group_privacy",
    "DEFAULT_ORDERS",
    "gaussian_rdp",
    "sampled_gaussian_rdp",
    "rdp_to_dp",
    "gaussian_zcdp",
    "zcdp_to_dp",
    "BudgetExceededError",
    "charge",
    "LedgerEntry",
    "PrivacyAccountant",
    # accuracy
    "gaussian_halfwidth",
    "noise_halfwidth",
    "noise_interval",
    # DP-SGD
    "DPLogisticRegression",
    "dpsgd_epsilon",
    "calibrate_noise_multiplier",
    "dpsgd_logreg",
    "train_dp_logreg",
    "accuracy_epsilon_tradeoff",
    "breast_cancer_tradeoff",
    "check_dpsgd_settings",
    "poisson_batch",
    "clipped_noisy_sum",
]
