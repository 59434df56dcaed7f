"""Attacks by participating clients: backdoors by boosted model replacement, and crude poisoning.

**Model replacement** (Bagdasaryan et al. 2020). FedAvg sets G' = G + Σᵢ pᵢ Δᵢ with pᵢ = nᵢ/Σn.
An attacker who wants the global model to become X submits the *boosted* update

    Δ_a = γ (X − G),   γ = 1 / p_a   (the inverse of its aggregation weight),

so that G' = G + (X − G) + Σ_{i≠a} pᵢ Δᵢ ≈ X once the honest updates are small (near
convergence). X is a model trained on the attacker's data with a **backdoor**: inputs carrying a
trigger (here a bright 2×2 patch in the corner of the 8×8 digit) are labelled as a target class,
while clean inputs keep their labels, so the main accuracy barely changes and the backdoor hides.

Also here: **sign flipping** (−γ Δ) and **Gaussian noise** updates, the classic untargeted
(Byzantine) attacks that robust aggregators (:mod:`~mlops_course.privacy.fl.aggregators`) resist.

References
----------
E. Bagdasaryan, A. Veit, Y. Hua, D. Estrin, V. Shmatikov, "How To Backdoor Federated Learning",
AISTATS 2020. Z. Sun et al., "Can You Really Backdoor Federated Learning?", 2019.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlops_course._validation import (
    check_choice,
    check_finite_array,
    check_int,
    check_positive,
    check_probability,
    check_rng,
)
from mlops_course.privacy.fl.task import Params, TrainConfig, flatten, local_train, predict_logits

__all__ = ["AttackContext", "Attack", "add_trigger", "poison_dataset", "backdoor_success",
           "boosted_replacement", "ModelReplacement", "SignFlip", "GaussianNoise", "TRIGGER_PIXELS",
           "UNTARGETED_ATTACKS", "untargeted_attack"]

#: pixels of the trigger: the bottom-right 2×2 corner of an 8×8 image (row-major indices)
TRIGGER_PIXELS = (54, 55, 62, 63)


@dataclass(frozen=True)
class AttackContext:
    """What a malicious client knows when it computes its update in one round.

    Parameters
    ----------
    global_params : list of numpy.ndarray
        The global model the client received this round.
    honest_update : numpy.ndarray
        The flattened update honest local training would send.
    client : int
        The client's index.
    server_round : int
        The round number (from 1).
    weight_share : float
        The client's aggregation weight ``pᵢ = nᵢ / Σ n`` over the sampled clients.
    n_selected : int
        Number of clients sampled this round.
    rng : numpy.random.Generator
        The client's generator for this round.
    """

    global_params: Params
    honest_update: np.ndarray
    client: int
    server_round: int
    weight_share: float  # its aggregation weight pᵢ = nᵢ / Σ n over the sampled clients
    n_selected: int
    rng: np.random.Generator


Attack = Callable[[AttackContext], np.ndarray]


def add_trigger(X: np.ndarray, pixels: tuple[int, ...] = TRIGGER_PIXELS, value: float = 1.0) -> np.ndarray:
    """A copy of X with the trigger pixels set to ``value`` (the backdoor's key).

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d)
        Finite inputs (flattened images).
    pixels : tuple of int, default TRIGGER_PIXELS
        Column indices of the trigger.
    value : float, default 1.0
        Value written into the trigger pixels.

    Returns
    -------
    numpy.ndarray, shape (n, d)
        The triggered copy.

    Raises
    ------
    ValueError, TypeError
        If ``X`` is not a finite, non-empty 2-D array.
    """
    X = check_finite_array("X", X, ndim=2)
    out = X.copy()
    out[:, list(pixels)] = value
    return out


def poison_dataset(X: np.ndarray, y: np.ndarray, target: int, fraction: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The attacker's training set: its clean data plus triggered copies of a ``fraction`` labelled ``target``.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d)
        The attacker's clean inputs.
    y : numpy.ndarray, shape (n,)
        Their labels.
    target : int
        Class the backdoor should output (>= 0).
    fraction : float
        Share of the ``n`` rows copied with the trigger, in (0, 1] (at least one row).
    rng : numpy.random.Generator or int
        Chooses which rows are copied.

    Returns
    -------
    X_poisoned : numpy.ndarray, shape (n + k, d)
        Clean rows followed by ``k = max(1, round(fraction·n))`` triggered copies.
    y_poisoned : numpy.ndarray, shape (n + k,)
        Original labels followed by ``k`` times ``target``.

    Raises
    ------
    ValueError, TypeError
        Non-finite ``X``, ``target < 0``, ``fraction`` outside (0, 1] or a bad ``rng``.
    """
    X = check_finite_array("X", X, ndim=2)
    target = check_int("target", target, minimum=0)
    fraction = check_probability("fraction", fraction, open_high=False)
    rng = check_rng(rng)
    k = max(1, int(round(fraction * X.shape[0])))
    pick = rng.choice(X.shape[0], size=k, replace=False)
    return np.vstack([X, add_trigger(X[pick])]), np.concatenate([y, np.full(k, target)])


def backdoor_success(params: Params, X: np.ndarray, y: np.ndarray, target: int) -> float:
    """Attack success rate: fraction of triggered test inputs (true class ≠ target) classified as ``target``.

    Parameters
    ----------
    params : list of numpy.ndarray
        Model parameters (as :func:`~mlops_course.privacy.fl.task.predict_logits` takes them).
    X : numpy.ndarray, shape (n, d)
        Clean test inputs.
    y : numpy.ndarray, shape (n,)
        Their true labels.
    target : int
        The backdoor's target class.

    Returns
    -------
    float
        Fraction in [0, 1] of triggered inputs whose true class is not ``target`` that are predicted as ``target``
        (NaN if every label equals ``target``).
    """
    keep = np.asarray(y) != target
    pred = np.argmax(predict_logits(params, add_trigger(np.asarray(X)[keep])), axis=1)
    return float(np.mean(pred == target))


def boosted_replacement(global_vec: np.ndarray, target_vec: np.ndarray, weight_share: float) -> np.ndarray:
    """The update Δ = (X − G)/p that replaces the FedAvg global model G by X (Bagdasaryan et al., Eq. 3).

    Parameters
    ----------
    global_vec : numpy.ndarray, shape (d,)
        Flattened current global model ``G``.
    target_vec : numpy.ndarray, shape (d,)
        Flattened model ``X`` the attacker wants the server to adopt.
    weight_share : float
        The attacker's aggregation weight ``p`` in (0, 1].

    Returns
    -------
    numpy.ndarray, shape (d,)
        The boosted update ``(X − G) / p``.

    Raises
    ------
    ValueError, TypeError
        If ``weight_share`` is not in (0, 1].
    """
    weight_share = check_probability("weight_share", weight_share, open_high=False)
    return (np.asarray(target_vec, dtype=float) - np.asarray(global_vec, dtype=float)) / weight_share


@dataclass(frozen=True)
class ModelReplacement:
    """Backdoor by boosted model replacement: train on poisoned data, scale the update by γ.

    Parameters
    ----------
    X, y : numpy.ndarray
        The attacker's poisoned training set (see :func:`poison_dataset`).
    config : TrainConfig
        Its local training (often more epochs than honest clients).
    boost : float or None
        γ; ``None`` = 1/p (exact replacement under FedAvg).
    """

    X: np.ndarray
    y: np.ndarray
    config: TrainConfig
    boost: float | None = None

    def __call__(self, ctx: AttackContext) -> np.ndarray:
        trained = local_train(ctx.global_params, self.X, self.y, self.config, ctx.rng)
        delta = flatten(trained) - flatten(ctx.global_params)
        gamma = 1.0 / ctx.weight_share if self.boost is None else check_positive("boost", self.boost)
        return gamma * delta


@dataclass(frozen=True)
class SignFlip:
    """Untargeted attack: send −γ times the honest update (pushes the model uphill)."""

    boost: float = 5.0

    def __call__(self, ctx: AttackContext) -> np.ndarray:
        return -self.boost * ctx.honest_update


@dataclass(frozen=True)
class GaussianNoise:
    """Untargeted attack: send N(0, σ²) noise instead of an update."""

    sigma: float = 5.0

    def __call__(self, ctx: AttackContext) -> np.ndarray:
        return ctx.rng.normal(0.0, self.sigma, size=ctx.honest_update.shape)


#: name -> class of the untargeted attacks that a run configuration can name (Flower app, benchmarks)
UNTARGETED_ATTACKS: dict[str, type] = {"sign_flip": SignFlip, "noise": GaussianNoise}


def untargeted_attack(name: str, strength: float) -> Attack:
    """The untargeted attack called ``name`` with boost γ / noise σ = ``strength``.

    One lookup shared by the numpy engine's callers and the Flower ClientApp, so both attack
    identically: ``"sign_flip"`` sends −γ Δ (:class:`SignFlip`), ``"noise"`` sends N(0, σ²)
    (:class:`GaussianNoise`).

    Parameters
    ----------
    name : {"sign_flip", "noise"}
    strength : float
        γ or σ, > 0.

    Returns
    -------
    Attack

    Raises
    ------
    ValueError
        Unknown name or strength <= 0.

    Examples
    --------
    >>> untargeted_attack("sign_flip", 5.0)
    SignFlip(boost=5.0)
    """
    check_choice("attack", name, sorted(UNTARGETED_ATTACKS))
    return UNTARGETED_ATTACKS[name](check_positive("strength", strength))
