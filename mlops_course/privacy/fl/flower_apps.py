"""Flower (``flwr`` 1.42) apps of the course task: the ClientApp and the ServerApp.

The same task (:mod:`~mlops_course.privacy.fl.task`) runs here as a Flower *ClientApp* (local
training on partition ``partition-id`` of ``num-partitions``) and *ServerApp* (a Flower strategy —
``FedAvg``, ``FedProx``, ``FedMedian``, ``FedTrimmedAvg``, ``Krum``, ``MultiKrum`` — plus server-side
evaluation on the test set). They are run in process by :mod:`~mlops_course.privacy.fl.flower_sim`,
by ``flwr run`` on the app folder ``mlops_course/privacy/fl/app``, and by the Deployment Engine
(:mod:`~mlops_course.privacy.fl.deployment`). Settings: :class:`~.flower_settings.FlowerSettings`.

**Failures are errors.** Flower logs "Received N results and M failures" and aggregates what
arrived. For a course (and for reproducible numbers) a failed or missing client is a bug, so
every strategy is wrapped to raise :class:`ClientFailureError` naming the round, the node and
Flower's error message.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from mlops_course.privacy.fl.attacks import AttackContext, untargeted_attack
from mlops_course.privacy.fl.flower_settings import STRATEGIES, FlowerSettings
from mlops_course.privacy.fl.task import (
    client_partitions,
    client_rng,
    evaluate,
    flatten,
    initial_params,
    load_digits_task,
    local_train,
    unflatten,
)

__all__ = ["ClientFailureError", "FlowerHistory", "make_client_app", "make_server_app"]


class ClientFailureError(RuntimeError):
    """A ClientApp failed (raised, crashed or timed out) in a round of a Flower run."""


@dataclass
class FlowerHistory:
    """What a Flower run returned: per-round server-side test loss/accuracy and global weights.

    Parameters
    ----------
    rounds : numpy.ndarray
        The server rounds at which the global model was evaluated, in order.
    loss : numpy.ndarray
        Test cross-entropy of the global model at each of ``rounds``.
    accuracy : numpy.ndarray
        Test accuracy, in [0, 1], at each of ``rounds``.
    weights : list of numpy.ndarray
        The flattened global parameters at each of ``rounds``.
    settings : dict
        The run configuration (``FlowerSettings.as_run_config()``, dashed keys) with the
        strategy this history belongs to.
    """

    rounds: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    weights: list[np.ndarray] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FlowerHistory:
        """Rebuild a history from :meth:`to_json` output (a separate-process run's result file)."""
        return cls(np.array(data["rounds"]), np.array(data["loss"]), np.array(data["accuracy"]),
                   [np.array(w) for w in data["weights"]], dict(data.get("settings", {})))

    def to_json(self) -> dict[str, Any]:
        """The history as JSON-able lists and dicts."""
        return {"rounds": self.rounds.tolist(), "loss": self.loss.tolist(), "accuracy": self.accuracy.tolist(),
                "weights": [w.tolist() for w in self.weights], "settings": self.settings}


def _settings(run_config: Mapping[str, Any], settings: Mapping[str, Any] | FlowerSettings | None) -> FlowerSettings:
    """The run's settings: Flower's run config, overridden by the in-process ``settings``."""
    if isinstance(settings, FlowerSettings):
        settings = settings.as_run_config()
    return FlowerSettings.merge(run_config, settings)


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
def make_client_app(settings: Mapping[str, Any] | FlowerSettings | None = None):
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
        s = _settings(context.run_config, settings)
        pid, n = int(context.node_config["partition-id"]), int(context.node_config["num-partitions"])
        seed, server_round = s.seed, int(msg.content["config"]["server-round"])
        data = _data(seed)
        parts = _parts(seed, n, s.scheme, s.alpha)
        idx = parts[pid]
        if s.fail_partition == pid:  # for tests of failure handling
            raise RuntimeError(f"partition {pid} was told to fail (fail-partition setting)")
        params = _from_arrays(msg.content["arrays"])
        rng = client_rng(seed, server_round, pid)
        trained = local_train(params, data.X_train[idx], data.y_train[idx], s.train_config, rng)
        if pid in s.malicious_ids:
            honest = flatten(trained) - flatten(params)
            attack = untargeted_attack(s.attack, s.attack_boost)
            share = idx.size / sum(p.size for p in parts)
            ctx = AttackContext(params, honest, pid, server_round, share, n, rng)
            trained = unflatten(flatten(params) + attack(ctx), params)
        loss, _ = evaluate(trained, data.X_train[idx], data.y_train[idx])
        metrics = MetricRecord({"num-examples": int(idx.size), "train-loss": float(loss)})
        return Message(RecordDict({"arrays": _to_arrays(trained), "metrics": metrics}), reply_to=msg)

    @app.evaluate()
    def evaluate_(msg, context):  # noqa: ANN001
        s = _settings(context.run_config, settings)
        pid, n = int(context.node_config["partition-id"]), int(context.node_config["num-partitions"])
        data = _data(s.seed)
        idx = _parts(s.seed, n, s.scheme, s.alpha)[pid]
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


def _strategy(s: FlowerSettings, n_nodes: int, name: str):
    from flwr.serverapp import strategy as fs

    common = {"fraction_train": 1.0, "fraction_evaluate": 0.0, "min_train_nodes": n_nodes,
              "min_evaluate_nodes": 0, "min_available_nodes": n_nodes}
    f = s.num_malicious
    if name == "fedavg":
        return _strict(fs.FedAvg)(**common)
    if name == "fedprox":
        return _strict(fs.FedProx)(**common, proximal_mu=s.mu)
    if name == "median":
        return _strict(fs.FedMedian)(**common)
    if name == "trimmed_mean":
        return _strict(fs.FedTrimmedAvg)(**common, beta=s.trim_beta)
    if name == "krum":
        return _strict(fs.Krum)(**common, num_malicious_nodes=f)
    if name == "multi_krum":
        return _strict(fs.MultiKrum)(**common, num_malicious_nodes=f, num_nodes_to_select=max(1, n_nodes - f))
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}")


def make_server_app(settings: Mapping[str, Any] | FlowerSettings | None = None,
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
        s = _settings(context.run_config, settings)
        n = num_nodes or s.num_partitions or len(list(grid.get_node_ids()))
        data = _data(s.seed)
        params0 = initial_params(data, s.train_config, s.seed)
        like = [p.shape for p in params0]
        names = s.strategies
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
                                        num_rounds=s.num_server_rounds, evaluate_fn=central_eval)
            results[name] = FlowerHistory(np.array(hist["rounds"]), np.array(hist["loss"]),
                                          np.array(hist["accuracy"]), hist["weights"],
                                          {**s.as_run_config(), "strategy": name})
            if sink is not None:
                sink(results[name])
        if s.result_path:
            path = Path(s.result_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            out = results[names[0]].to_json() if len(names) == 1 else {k: h.to_json() for k, h in results.items()}
            path.write_text(json.dumps(out), encoding="utf-8")

    return app
