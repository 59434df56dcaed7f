"""Federated learning: one task, a numpy reference engine, attacks and defences, and Flower.

==================  ======================================================================
module              what it provides
==================  ======================================================================
``task``            data (digits, offline), MLP / logistic model, local SGD (+FedProx), eval
``partition``       IID, Dirichlet(α) label skew, pathological shards
``engine``          numpy FedAvg/FedProx rounds with history (loss, accuracy, bytes, drift)
``aggregators``     FedAvg, coordinate median, trimmed mean, Krum / Multi-Krum, norm clipping
``attacks``         backdoor by boosted model replacement, sign flip, noise
``dpfedavg``        DP-FedAvg: clip updates, Gaussian noise, user-level ε via the DP unit
``secagg``          pairwise-masked secure aggregation with dropouts (X25519 + Shamir)
``inversion``       exact input recovery from a single-example gradient
``flower_settings`` typed run configuration of the Flower app (one source of defaults)
``flower_apps``     Flower ClientApp / ServerApp of the task (strict strategies: failures raise)
``flower_sim``      Flower's Simulation Engine in process (environment restored, Ray start-up retried)
``deployment``      Flower Deployment Engine on loopback (SuperLink + SuperNodes)
==================  ======================================================================

Flower is imported only by ``flower_apps``, ``flower_sim`` and ``deployment`` (and only when used).
"""
from __future__ import annotations

from mlops_course.privacy.fl.aggregators import (
    clip_by_norm,
    coordinate_median,
    fedavg,
    get_aggregator,
    krum,
    multi_krum,
    norm_clipped_mean,
    trimmed_mean,
)
from mlops_course.privacy.fl.attacks import (
    GaussianNoise,
    ModelReplacement,
    SignFlip,
    backdoor_success,
    poison_dataset,
)
from mlops_course.privacy.fl.dpfedavg import (
    DPFedAvg,
    clip_update,
    dpfedavg_epsilon,
    dpfedavg_noise_multiplier,
)
from mlops_course.privacy.fl.engine import FLHistory, run_federated
from mlops_course.privacy.fl.inversion import batch_gradient, invert_gradient, reconstruction_error
from mlops_course.privacy.fl.partition import (
    dirichlet_partition,
    iid_partition,
    label_counts,
    shard_partition,
)
from mlops_course.privacy.fl.secagg import SecureAggregation, pairwise_masks, secure_sum
from mlops_course.privacy.fl.task import TaskData, TrainConfig, client_partitions, load_digits_task

__all__ = [
    "TaskData", "TrainConfig", "load_digits_task", "client_partitions",
    "iid_partition", "dirichlet_partition", "shard_partition", "label_counts",
    "FLHistory", "run_federated",
    "fedavg", "coordinate_median", "trimmed_mean", "krum", "multi_krum", "norm_clipped_mean", "clip_by_norm",
    "get_aggregator",
    "ModelReplacement", "SignFlip", "GaussianNoise", "poison_dataset", "backdoor_success",
    "DPFedAvg", "clip_update", "dpfedavg_epsilon", "dpfedavg_noise_multiplier",
    "SecureAggregation", "pairwise_masks", "secure_sum",
    "batch_gradient", "invert_gradient", "reconstruction_error",
]
