"""Flower (``flwr`` 1.42) with the course task: ServerApp/ClientApp builders and an in-process simulation.

The same task (:mod:`~mlops_course.privacy.fl.task`) runs here as a Flower *ClientApp* (local
training on partition ``partition-id`` of ``num-partitions``) and *ServerApp* (a Flower
strategy — ``FedAvg``, ``FedProx``, ``FedMedian``, ``FedTrimmedAvg``, ``Krum``, ``MultiKrum`` —
plus server-side evaluation on the test set). Three ways to run them:

1. :func:`run_flower_simulation`: Flower's Simulation Engine in this process (Ray actors run the
   ClientApps), returning the history; telemetry off, Flower's state under the course folder;
2. the app folder ``mlops_course/privacy/fl/app`` (``flwr run``), whose modules call
   :func:`make_server_app` / :func:`make_client_app`;
3. the Deployment Engine (:mod:`~mlops_course.privacy.fl.deployment`), same app.

**Failures are errors.** Flower logs "Received N results and M failures" and aggregates what
arrived. For a course (and for reproducible numbers) a failed or missing client is a bug, so
every strategy is wrapped to raise :class:`ClientFailureError` naming the round, the node and
Flower's error message, and the simulation is shut down.

Run configuration keys (``[tool.flwr.app.config]`` of the app, or ``settings=``): ``num-server-rounds``,
``seed``, ``scheme`` (iid / dirichlet / shards), ``alpha``, ``epochs``, ``batch-size``, ``lr``, ``mu``,
``l2``, ``hidden`` ("32 16"), ``strategy`` (one name, or several — "fedavg median krum" — run one
after the other from the same initial model in one session, see :func:`compare_flower_strategies`),
``trim-beta``, ``num-malicious`` (f for Krum / Multi-Krum), ``malicious`` ("0 3" or "0,3":
partition ids that attack), ``attack`` (sign_flip / noise, from
:func:`~mlops_course.privacy.fl.attacks.untargeted_attack`, as in the numpy engine),
``attack-boost``, ``result-path``,
``num-partitions`` (nodes per round; 0 = all connected) and ``fail-partition`` (a partition id
whose ClientApp raises: used by the tests of failure handling; -1 = none).
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from mlops_course._validation import check_int
from mlops_course.privacy.fl.attacks import AttackContext, untargeted_attack
from mlops_course.privacy.fl.task import (
    TrainConfig,
    client_partitions,
    client_rng,
    evaluate,
    flatten,
    initial_params,
    load_digits_task,
    local_train,
)

__all__ = ["DEFAULT_SETTINGS", "STRATEGIES", "ClientFailureError", "FlowerHistory", "compare_flower_strategies",
           "flower_environment", "make_client_app", "make_server_app", "malicious_ids", "run_flower_simulation",
           "settings_for", "strategy_names"]

DEFAULT_SETTINGS: dict[str, Any] = {
    "num-server-rounds": 3, "seed": 0, "scheme": "iid", "alpha": 0.5, "epochs": 1, "batch-size": 16,
    "lr": 0.1, "mu": 0.0, "l2": 0.0, "hidden": "", "strategy": "fedavg", "trim-beta": 0.2,
    "num-malicious": 0, "malicious": "", "attack": "sign_flip", "attack-boost": 5.0, "result-path": "",
    "num-partitions": 0, "fail-partition": -1,
}
STRATEGIES = ("fedavg", "fedprox", "median", "trimmed_mean", "krum", "multi_krum")


class ClientFailureError(RuntimeError):
    """A ClientApp failed (raised, crashed or timed out) in a round of a Flower run."""


@dataclass
class FlowerHistory:
    """What a Flower run returned: per-round server-side test loss/accuracy and global weights."""

    rounds: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    weights: list[np.ndarray] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FlowerHistory:
        return cls(np.array(data["rounds"]), np.array(data["loss"]), np.array(data["accuracy"]),
                   [np.array(w) for w in data["weights"]], dict(data.get("settings", {})))

    def to_json(self) -> dict[str, Any]:
        return {"rounds": self.rounds.tolist(), "loss": self.loss.tolist(), "accuracy": self.accuracy.tolist(),
                "weights": [w.tolist() for w in self.weights], "settings": self.settings}


def settings_for(config: TrainConfig | None = None, **options: Any) -> dict[str, Any]:
    """Run-config dict: defaults, then a :class:`TrainConfig`, then keyword options (``num_server_rounds=5``)."""
    out = dict(DEFAULT_SETTINGS)
    if config is not None:
        cfg = config.as_dict()
        out.update({"epochs": cfg["epochs"], "batch-size": cfg["batch_size"], "lr": cfg["lr"], "mu": cfg["mu"],
                    "l2": cfg["l2"], "hidden": cfg["hidden"]})
    for key, value in options.items():
        name = key.replace("_", "-")
        if name not in DEFAULT_SETTINGS:
            raise ValueError(f"unknown setting {key!r}; allowed: {sorted(DEFAULT_SETTINGS)}")
        out[name] = " ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else value
    strategy_names(out)
    malicious_ids(out)
    untargeted_attack(str(out["attack"]), float(out["attack-boost"]))
    return out


def _names(value: Any) -> list[str]:
    return str(value).replace(",", " ").split()


def strategy_names(settings: Mapping[str, Any]) -> list[str]:
    """The strategies named by the ``strategy`` setting ("median" or "fedavg median krum"), validated."""
    names = _names(settings["strategy"])
    bad = [n for n in names if n not in STRATEGIES]
    if not names or bad or len(set(names)) < len(names):
        raise ValueError(f"strategy must name one or more distinct strategies of {STRATEGIES}, "
                         f"got {settings['strategy']!r}")
    return names


def malicious_ids(settings: Mapping[str, Any]) -> set[int]:
    """Partition ids of the ``malicious`` setting ("0 3" or "0,3"; "" = none), validated as ints >= 0."""
    try:
        ids = {int(v) for v in _names(settings["malicious"])}
    except ValueError:
        raise ValueError(f"malicious must list partition ids like '0,3', got {settings['malicious']!r}") from None
    if any(i < 0 for i in ids):
        raise ValueError(f"malicious partition ids must be >= 0, got {settings['malicious']!r}")
    return ids


def _train_config(s: Mapping[str, Any]) -> TrainConfig:
    return TrainConfig.from_dict({"epochs": s["epochs"], "batch_size": s["batch-size"], "lr": s["lr"],
                                  "mu": s["mu"], "l2": s["l2"], "hidden": str(s["hidden"])})


def _merged(run_config: Mapping[str, Any], settings: Mapping[str, Any] | None) -> dict[str, Any]:
    out = dict(DEFAULT_SETTINGS)
    out.update(dict(run_config))
    out.update(dict(settings or {}))
    return out


@lru_cache(maxsize=4)
def _data(seed: int):
    return load_digits_task(seed)


@lru_cache(maxsize=16)
def _parts(seed: int, n: int, scheme: str, alpha: float):
    return client_partitions(_data(seed), n, scheme, alpha, seed)


def _to_arrays(params: list[np.ndarray]):
    from flwr.app import Array, ArrayRecord

    return ArrayRecord({str(i): Array(np.ascontiguousarray(p)) for i, p in enumerate(params)})


def _from_arrays(record) -> list[np.ndarray]:
    return [record[str(i)].numpy() for i in range(len(record))]


# ----------------------------------------------------------------------------- ClientApp
def make_client_app(settings: Mapping[str, Any] | None = None):
    """A ``flwr.clientapp.ClientApp`` training the course task on its partition.

    The node's ``partition-id`` / ``num-partitions`` (node config) pick its data; ``settings``
    (if given) override the run config. A malicious partition (``malicious`` setting) replaces
    its update by the ``attack`` (sign flip or noise, scaled by ``attack-boost``) built by
    :func:`~mlops_course.privacy.fl.attacks.untargeted_attack` with the same
    :class:`~mlops_course.privacy.fl.attacks.AttackContext` as the numpy engine gives it (its
    honest update, rng ``client_rng(seed, round, id)``, weight share nᵢ/Σn: every node trains
    every round), so Flower and the engine attack identically.
    """
    from flwr.app import Message, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp

    app = ClientApp()

    @app.train()
    def train(msg, context):  # noqa: ANN001 - Flower's signature
        s = _merged(context.run_config, settings)
        pid, n = int(context.node_config["partition-id"]), int(context.node_config["num-partitions"])
        seed, server_round = int(s["seed"]), int(msg.content["config"]["server-round"])
        data = _data(seed)
        idx = _parts(seed, n, str(s["scheme"]), float(s["alpha"]))[pid]
        if int(s["fail-partition"]) == pid:  # for tests of failure handling
            raise RuntimeError(f"partition {pid} was told to fail (fail-partition setting)")
        params = _from_arrays(msg.content["arrays"])
        rng = client_rng(seed, server_round, pid)
        trained = local_train(params, data.X_train[idx], data.y_train[idx], _train_config(s), rng)
        if pid in malicious_ids(s):
            honest = flatten(trained) - flatten(params)
            attack = untargeted_attack(str(s["attack"]), float(s["attack-boost"]))
            counts = [p.size for p in _parts(seed, n, str(s["scheme"]), float(s["alpha"]))]
            ctx = AttackContext(params, honest, pid, server_round, idx.size / sum(counts), n, rng)
            vec = flatten(params) + attack(ctx)
            sizes = np.cumsum([p.size for p in params])[:-1]
            trained = [v.reshape(p.shape) for v, p in zip(np.split(vec, sizes), params, strict=True)]
        loss, _ = evaluate(trained, data.X_train[idx], data.y_train[idx])
        metrics = MetricRecord({"num-examples": int(idx.size), "train-loss": float(loss)})
        return Message(RecordDict({"arrays": _to_arrays(trained), "metrics": metrics}), reply_to=msg)

    @app.evaluate()
    def evaluate_(msg, context):  # noqa: ANN001
        s = _merged(context.run_config, settings)
        pid, n = int(context.node_config["partition-id"]), int(context.node_config["num-partitions"])
        data = _data(int(s["seed"]))
        idx = _parts(int(s["seed"]), n, str(s["scheme"]), float(s["alpha"]))[pid]
        loss, acc = evaluate(_from_arrays(msg.content["arrays"]), data.X_train[idx], data.y_train[idx])
        metrics = MetricRecord({"num-examples": int(idx.size), "loss": loss, "accuracy": acc})
        return Message(RecordDict({"metrics": metrics}), reply_to=msg)

    return app


# ----------------------------------------------------------------------------- ServerApp
def _raise_on_failures(kind: str, server_round: int, replies: list, expected: int) -> None:
    errors = [m for m in replies if m.has_error()]
    if errors:
        first = errors[0]
        raise ClientFailureError(
            f"{len(errors)} of {expected} clients failed in {kind} round {server_round}; node "
            f"{first.metadata.src_node_id}: {first.error.reason}")
    if len(replies) < expected:
        raise ClientFailureError(f"only {len(replies)} of {expected} clients replied in {kind} round "
                                 f"{server_round} (timeout or crash)")


def _strict(base: type) -> type:
    """Subclass of a Flower strategy that raises ClientFailureError instead of skipping failures."""

    class Strict(base):  # type: ignore[misc, valid-type]
        _sent: dict[str, int]

        def configure_train(self, server_round, arrays, config, grid):  # noqa: ANN001
            msgs = list(super().configure_train(server_round, arrays, config, grid))
            self._sent = {**getattr(self, "_sent", {}), "train": len(msgs)}
            return msgs

        def aggregate_train(self, server_round, replies: Iterable):  # noqa: ANN001
            replies = list(replies)
            _raise_on_failures("train", server_round, replies, self._sent["train"])
            return super().aggregate_train(server_round, replies)

        def configure_evaluate(self, server_round, arrays, config, grid):  # noqa: ANN001
            msgs = list(super().configure_evaluate(server_round, arrays, config, grid))
            self._sent = {**getattr(self, "_sent", {}), "evaluate": len(msgs)}
            return msgs

        def aggregate_evaluate(self, server_round, replies: Iterable):  # noqa: ANN001
            replies = list(replies)
            _raise_on_failures("evaluate", server_round, replies, self._sent.get("evaluate", 0))
            return super().aggregate_evaluate(server_round, replies)

    Strict.__name__ = Strict.__qualname__ = f"Strict{base.__name__}"
    return Strict


def _strategy(s: Mapping[str, Any], n_nodes: int, name: str):
    from flwr.serverapp import strategy as fs

    common = {"fraction_train": 1.0, "fraction_evaluate": 0.0, "min_train_nodes": n_nodes,
              "min_evaluate_nodes": 0, "min_available_nodes": n_nodes}
    f = int(s["num-malicious"])
    if name == "fedavg":
        return _strict(fs.FedAvg)(**common)
    if name == "fedprox":
        return _strict(fs.FedProx)(**common, proximal_mu=float(s["mu"]))
    if name == "median":
        return _strict(fs.FedMedian)(**common)
    if name == "trimmed_mean":
        return _strict(fs.FedTrimmedAvg)(**common, beta=float(s["trim-beta"]))
    if name == "krum":
        return _strict(fs.Krum)(**common, num_malicious_nodes=f)
    if name == "multi_krum":
        return _strict(fs.MultiKrum)(**common, num_malicious_nodes=f, num_nodes_to_select=max(1, n_nodes - f))
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}")


def make_server_app(settings: Mapping[str, Any] | None = None,
                    sink: Callable[[FlowerHistory], None] | None = None, num_nodes: int | None = None):
    """A ``flwr.serverapp.ServerApp`` running the chosen strategy and evaluating on the test set.

    Parameters
    ----------
    settings : mapping, optional
        Overrides of the run config (see module docstring).
    sink : callable, optional
        Receives the :class:`FlowerHistory` of each strategy in turn (in-process runs). With a
        ``result-path`` setting the history is also written there as JSON (separate-process runs:
        ``flwr run``, deployment); with several strategies the JSON maps each name to its history.
    num_nodes : int, optional
        Nodes to wait for and train on every round (default: the ``num-partitions`` setting, else
        all nodes connected when the run starts).
    """
    from flwr.app import MetricRecord
    from flwr.serverapp import ServerApp

    app = ServerApp()

    @app.main()
    def main(grid, context) -> None:  # noqa: ANN001
        s = _merged(context.run_config, settings)
        n = num_nodes or int(s.get("num-partitions", 0)) or len(list(grid.get_node_ids()))
        seed = int(s["seed"])
        data = _data(seed)
        params0 = initial_params(data, _train_config(s), seed)
        like = [p.shape for p in params0]
        names = strategy_names(s)
        results: dict[str, FlowerHistory] = {}
        for name in names:  # several strategies: one after the other, each from params0, same session
            hist: dict[str, list[Any]] = {"rounds": [], "loss": [], "accuracy": [], "weights": []}

            def central_eval(server_round: int, arrays, hist=hist) -> MetricRecord:  # noqa: ANN001
                params = [a.reshape(shape) for a, shape in zip(_from_arrays(arrays), like, strict=True)]
                loss, acc = evaluate(params, data.X_test, data.y_test)
                hist["rounds"].append(server_round)
                hist["loss"].append(loss)
                hist["accuracy"].append(acc)
                hist["weights"].append(flatten(params))
                return MetricRecord({"loss": loss, "accuracy": acc})

            _strategy(s, n, name).start(grid=grid, initial_arrays=_to_arrays(params0),
                                        num_rounds=int(s["num-server-rounds"]), evaluate_fn=central_eval)
            results[name] = FlowerHistory(np.array(hist["rounds"]), np.array(hist["loss"]),
                                          np.array(hist["accuracy"]), hist["weights"], {**s, "strategy": name})
            if sink is not None:
                sink(results[name])
        if s.get("result-path"):
            path = Path(str(s["result-path"]))
            path.parent.mkdir(parents=True, exist_ok=True)
            out = results[names[0]].to_json() if len(names) == 1 else {k: h.to_json() for k, h in results.items()}
            path.write_text(json.dumps(out), encoding="utf-8")

    return app


# ----------------------------------------------------------------------------- simulation
def flower_environment() -> dict[str, str]:
    """Variables every Flower process of the course gets: telemetry off, state in the course folder,
    no runtime dependency installation (everything is installed; the course runs offline)."""
    from mlops_course.course import state_dir

    home = state_dir() / "flwr"
    home.mkdir(parents=True, exist_ok=True)
    return {"FLWR_TELEMETRY_ENABLED": "0", "FLWR_HOME": str(home), "RAY_USAGE_STATS_ENABLED": "0",
            "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1", "FLWR_DISABLE_UPDATE_CHECK": "1"}


def run_flower_simulation(n_clients: int = 3, rounds: int = 2, *, config: TrainConfig | None = None,
                          num_cpus: int = 2, verbose: bool = False, **options: Any) -> FlowerHistory:
    """Run the course task with Flower's Simulation Engine in this process and return the history.

    Parameters
    ----------
    n_clients : int
        Number of virtual SuperNodes (= partitions), >= 2 (Flower's strategies need 2).
    rounds : int
        Server rounds, >= 1.
    config : TrainConfig, optional
        Local training (same meaning as in the numpy engine).
    num_cpus : int
        CPUs given to Ray (each ClientApp uses one).
    verbose : bool
        Show Flower's INFO log (default: warnings from the engine are hidden, errors raise).
    **options
        Further settings (``seed``, ``scheme``, ``alpha``, ``strategy``, ``malicious``, ...).

    Returns
    -------
    FlowerHistory
        Row r = after r rounds (row 0 = initial model): test loss, accuracy, flattened weights.

    Raises
    ------
    ClientFailureError
        If any ClientApp fails in any round (the simulation is shut down first).
    ValueError
        On bad arguments (several strategies: use :func:`compare_flower_strategies`).
    """
    s = settings_for(config, num_server_rounds=rounds, **options)
    if len(strategy_names(s)) > 1:
        raise ValueError(f"run_flower_simulation runs one strategy, got {s['strategy']!r}; "
                         "use compare_flower_strategies for several")
    return _simulate(n_clients, rounds, s, num_cpus, verbose)[0]


def compare_flower_strategies(n_clients: int = 5, rounds: int = 3,
                              strategies: Iterable[str] = ("fedavg", "median", "krum"), *,
                              config: TrainConfig | None = None, num_cpus: int = 2, verbose: bool = False,
                              **options: Any) -> dict[str, FlowerHistory]:
    """Run several Flower strategies one after the other in ONE simulation session.

    The ServerApp trains with each strategy in turn for ``rounds`` rounds, every time from the
    same initial model, so the engine starts once (its start-up dominates short runs). Client
    behaviour (data, local training, ``malicious`` / ``attack``) is the same for every strategy
    and round r uses ``client_rng(seed, r, id)`` as in the numpy engine, so each history equals
    a separate :func:`run_flower_simulation` with that strategy.

    Parameters
    ----------
    n_clients, rounds, config, num_cpus, verbose, **options
        As in :func:`run_flower_simulation` (e.g. ``malicious=[0, 1]``, ``attack="sign_flip"``,
        ``attack_boost=5.0``, ``num_malicious=2`` for Krum).
    strategies : iterable of str
        Distinct names from :data:`STRATEGIES` (Flower's FedAvg, FedProx, FedMedian,
        FedTrimmedAvg, Krum, MultiKrum).

    Returns
    -------
    dict of str to FlowerHistory
        One history per strategy, in the order given.

    Raises
    ------
    ClientFailureError
        If any ClientApp fails in any round.
    ValueError
        On bad arguments (unknown or repeated strategy, bad malicious ids or attack).

    Examples
    --------
    >>> runs = compare_flower_strategies(5, 3, ("fedavg", "median"), malicious=[0, 1])  # doctest: +SKIP
    >>> runs["median"].accuracy[-1] > runs["fedavg"].accuracy[-1]  # doctest: +SKIP
    True
    """
    strategies = list(strategies)
    s = settings_for(config, num_server_rounds=rounds, strategy=strategies, **options)
    return {h.settings["strategy"]: h for h in _simulate(n_clients, rounds, s, num_cpus, verbose)}


def _shutdown_ray() -> None:
    try:
        import ray

        if ray.is_initialized():
            ray.shutdown()
    except ImportError:  # pragma: no cover - flwr[simulation] ships ray
        pass


def _ray_startup_failure(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it chains) is Ray failing to start its local node."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if "timed out during startup" in str(exc) or "Timed out waiting for file" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _simulate(n_clients: int, rounds: int, s: dict[str, Any], num_cpus: int, verbose: bool) -> list[FlowerHistory]:
    n_clients = check_int("n_clients", n_clients, minimum=2)
    rounds = check_int("rounds", rounds, minimum=1)
    num_cpus = check_int("num_cpus", num_cpus, minimum=1)
    bad = sorted(i for i in malicious_ids(s) if i >= n_clients)
    if bad:
        raise ValueError(f"malicious partition ids must be in 0..{n_clients - 1}, got {bad}")
    os.environ.update(flower_environment())
    import warnings

    from flwr.simulation import run_simulation

    box: list[FlowerHistory] = []
    server = make_server_app(s, sink=box.append, num_nodes=n_clients)
    client = make_client_app(s)
    logger = logging.getLogger("flwr")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.ERROR)
    backend = {"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
               "init_args": {"num_cpus": num_cpus, "num_gpus": 0, "include_dashboard": False}}
    try:
        for attempt in range(2):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    run_simulation(server_app=server, client_app=client, num_supernodes=n_clients,
                                   backend_config=backend)
                break
            except Exception as exc:  # noqa: BLE001 - only Ray's start-up failure is retried
                # On a loaded machine Ray's raylet can miss its fixed 30 s start-up window ("The current
                # node timed out during startup"): that is the engine failing to start, not a client
                # failing in a round, so start it once more before giving up.
                if attempt == 1 or box or not _ray_startup_failure(exc):
                    raise
                _shutdown_ray()
    finally:
        logger.setLevel(level)
        _shutdown_ray()
    if len(box) < len(strategy_names(s)):
        raise ClientFailureError("the Flower simulation ended without a result (see the log above)")
    return box
