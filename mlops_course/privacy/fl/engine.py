"""The numpy reference engine: FedAvg / FedProx rounds, with attacks and defences pluggable.

One round t (McMahan et al. 2017, Algorithm 1), matching the slide *Federated Learning: Process*:

1. **Initialization** (t = 0): the server creates the global model w₀ (:func:`task.initial_params`).
2. **Distribution**: it samples clients S_t — a fixed fraction C of the N clients without
   replacement, or each client independently with probability C (``sampling="poisson"``, needed
   for DP-FedAvg's accounting) — and sends them w_t.
3. **Local training**: each client i ∈ S_t runs :func:`task.local_train` (E epochs of SGD,
   FedProx term μ) and returns its update Δᵢ = wᵢ − w_t and example count nᵢ.
4. **Update aggregation**: w_{t+1} = w_t + η_s · A({Δᵢ}, {nᵢ}) with A = FedAvg
   (Σ nᵢ Δᵢ / Σ nᵢ), a robust rule from :mod:`aggregators`, or DP-FedAvg.
5. **Iteration**: repeat for T rounds; the server evaluates w_{t+1} on held-out data.

Per round the history records test loss/accuracy, bytes sent down and up (float64 models),
client drift (mean ‖Δᵢ − Δ̄‖, the spread of local updates that grows with heterogeneity) and any
extra metrics. Everything is deterministic given ``seed``: client i in round t trains with
``client_rng(seed, t, i)``, exactly as the Flower app does.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_course._validation import check_choice, check_int, check_positive, check_probability
from mlops_course.privacy.fl.aggregators import get_aggregator
from mlops_course.privacy.fl.attacks import Attack, AttackContext
from mlops_course.privacy.fl.dpfedavg import DPFedAvg
from mlops_course.privacy.fl.task import (
    Params,
    TaskData,
    TrainConfig,
    client_rng,
    evaluate,
    flatten,
    initial_params,
    local_train,
    num_parameters,
    unflatten,
)

__all__ = ["FLHistory", "run_federated", "BYTES_PER_PARAMETER"]

BYTES_PER_PARAMETER = 8  # float64 on the wire


@dataclass
class FLHistory:
    """Per-round record of a federated run (round r = after r aggregations; row 0 = initial model).

    Parameters
    ----------
    rounds : numpy.ndarray, shape (R + 1,)
        Round numbers ``0..R``.
    loss, accuracy : numpy.ndarray, shape (R + 1,)
        Test loss and accuracy of the global model after each round.
    bytes_down, bytes_up : numpy.ndarray of int, shape (R + 1,)
        Model bytes sent to / received from the sampled clients in each round.
    drift : numpy.ndarray, shape (R + 1,)
        Client drift ``mean ‖Δᵢ − Δ̄‖`` of the round's updates (0 for row 0 or no client).
    clients : list of numpy.ndarray
        Indices of the clients sampled in each round (empty for row 0).
    params : list of numpy.ndarray
        The final global model.
    metrics : dict of str to numpy.ndarray, default {}
        Extra per-round metrics requested by the caller.
    weights : list of numpy.ndarray, default []
        Flattened global model after each round (only if requested).
    """

    rounds: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    bytes_down: np.ndarray
    bytes_up: np.ndarray
    drift: np.ndarray
    clients: list[np.ndarray]
    params: Params
    metrics: dict[str, np.ndarray] = field(default_factory=dict)
    weights: list[np.ndarray] = field(default_factory=list)

    @property
    def final_accuracy(self) -> float:
        return float(self.accuracy[-1])

    @property
    def total_bytes(self) -> int:
        return int(self.bytes_down.sum() + self.bytes_up.sum())


def _sample(n_clients: int, fraction: float, sampling: str, rng: np.random.Generator) -> np.ndarray:
    if sampling == "poisson":
        return np.flatnonzero(rng.random(n_clients) < fraction)
    k = max(1, int(round(fraction * n_clients)))
    return np.sort(rng.choice(n_clients, size=k, replace=False)) if k < n_clients else np.arange(n_clients)


def run_federated(
    data: TaskData,
    parts: Sequence[np.ndarray],
    *,
    rounds: int = 10,
    config: TrainConfig | None = None,
    fraction: float = 1.0,
    sampling: str = "fixed",
    seed: int = 0,
    aggregator: str | Callable[[np.ndarray, np.ndarray], np.ndarray] = "fedavg",
    server_lr: float = 1.0,
    malicious: Sequence[int] = (),
    attack: Attack | None = None,
    dp: DPFedAvg | None = None,
    metrics: Mapping[str, Callable[[Params], float]] | None = None,
    keep_weights: bool = False,
    progress: bool = False,
) -> FLHistory:
    """Run federated training in numpy and return its per-round history.

    Parameters
    ----------
    data : TaskData
        Training pool (clients' data are rows of ``X_train``) and the server's test set.
    parts : sequence of index arrays
        Client i holds ``data.X_train[parts[i]]`` (see :mod:`partition`); each non-empty.
    rounds : int
        T >= 1.
    config : TrainConfig
        Local training (epochs, batch size, learning rate, FedProx μ, hidden layers).
    fraction : float
        C in (0, 1]: fraction (or Poisson rate) of clients per round.
    sampling : {"fixed", "poisson"}
    seed : int
        Seeds the initial model, client sampling and every client's minibatches.
    aggregator : str or callable
        A name of :data:`aggregators.AGGREGATORS` or ``agg(updates (n, d), counts (n,)) -> (d,)``.
    server_lr : float
        η_s > 0 (1 = plain FedAvg).
    malicious : sequence of int
        Client ids controlled by the attacker; when sampled they send ``attack(ctx)``.
    attack : callable, optional
        See :mod:`attacks`; required when ``malicious`` is not empty.
    dp : DPFedAvg, optional
        Replace the aggregator by DP-FedAvg (clip + Gaussian noise); use ``sampling="poisson"``
        for its accounting to hold.
    metrics : mapping of str to callable, optional
        Extra per-round metrics of the global model, e.g. backdoor success.
    keep_weights : bool
        Keep the flattened global model of every round (for comparisons with Flower).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    FLHistory

    Raises
    ------
    ValueError
        Empty ``parts``, an empty client, bad fraction/rounds/sampling, malicious ids out of
        range or without an attack.
    """
    if len(parts) == 0:
        raise ValueError("parts must hold at least one client, got an empty list")
    n_clients = len(parts)
    parts = [np.asarray(p, dtype=np.int64) for p in parts]
    if any(p.size == 0 for p in parts):
        raise ValueError("every client needs at least one example; got an empty client data set")
    rounds = check_int("rounds", rounds, minimum=1)
    fraction = check_probability("fraction", fraction, open_high=False)
    server_lr = check_positive("server_lr", server_lr)
    seed = check_int("seed", seed, minimum=0)
    check_choice("sampling", sampling, ("fixed", "poisson"))
    bad = sorted({int(m) for m in malicious} - set(range(n_clients)))
    if bad:
        raise ValueError(f"malicious ids must be in 0..{n_clients - 1}, got {bad}")
    if malicious and attack is None:
        raise ValueError("malicious clients need an attack (see mlops_course.privacy.fl.attacks)")
    if dp is not None:  # warns when the run breaks DP-FedAvg's accounting assumptions (Poisson, qN)
        dp.check_sampling(n_clients, fraction, sampling)
    config = config or TrainConfig()
    agg = get_aggregator(aggregator) if isinstance(aggregator, str) else aggregator
    evil = {int(m) for m in malicious}
    Xs = [data.X_train[p] for p in parts]
    ys = [data.y_train[p] for p in parts]
    counts = np.array([p.size for p in parts], dtype=float)

    params = initial_params(data, config, seed)
    size = num_parameters(params) * BYTES_PER_PARAMETER
    server_rng = np.random.default_rng([seed, 1, 0, 0])
    extra = dict(metrics or {})
    hist: dict[str, list[Any]] = {k: [] for k in ("loss", "acc", "down", "up", "drift", "clients", "w")}
    hist_extra: dict[str, list[float]] = {k: [] for k in extra}

    def record(p: Params, sampled: np.ndarray, drift: float) -> None:
        loss, acc = evaluate(p, data.X_test, data.y_test)
        hist["loss"].append(loss)
        hist["acc"].append(acc)
        hist["down"].append(size * sampled.size)
        hist["up"].append(size * sampled.size)
        hist["drift"].append(drift)
        hist["clients"].append(sampled)
        if keep_weights:
            hist["w"].append(flatten(p))
        for name, fn in extra.items():
            hist_extra[name].append(float(fn(p)))

    record(params, np.zeros(0, dtype=np.int64), 0.0)
    iterator = range(1, rounds + 1)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="FL rounds", leave=False)
    for t in iterator:
        sampled = _sample(n_clients, fraction, sampling, server_rng)
        g = flatten(params)
        updates = np.empty((sampled.size, g.size))
        share = counts[sampled] / counts[sampled].sum() if sampled.size else counts[:0]
        for row, i in enumerate(sampled):
            needs_rng = Xs[i].shape[0] > config.batch_size or int(i) in evil
            rng = client_rng(seed, t, int(i)) if needs_rng else None
            honest = flatten(local_train(params, Xs[i], ys[i], config, rng)) - g
            if int(i) in evil:
                ctx = AttackContext(params, honest, int(i), t, float(share[row]), int(sampled.size),
                                    rng)  # type: ignore[arg-type]
                honest = np.asarray(attack(ctx), dtype=float)  # type: ignore[misc]
            updates[row] = honest
        if dp is not None:
            step = dp.aggregate(updates, server_rng)
        elif sampled.size:
            step = agg(updates, counts[sampled])
        else:
            step = np.zeros_like(g)
        drift = float(np.mean(np.linalg.norm(updates - updates.mean(axis=0), axis=1))) if sampled.size else 0.0
        params = unflatten(g + server_lr * step, params)
        record(params, sampled, drift)

    return FLHistory(
        rounds=np.arange(rounds + 1), loss=np.array(hist["loss"]), accuracy=np.array(hist["acc"]),
        bytes_down=np.array(hist["down"], dtype=np.int64), bytes_up=np.array(hist["up"], dtype=np.int64),
        drift=np.array(hist["drift"]), clients=hist["clients"], params=params,
        metrics={k: np.array(v) for k, v in hist_extra.items()}, weights=hist["w"],
    )
