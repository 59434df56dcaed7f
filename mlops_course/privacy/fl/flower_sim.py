"""Flower's Simulation Engine running the course's apps in this process.

:func:`run_flower_simulation` and :func:`compare_flower_strategies` start Flower's Simulation Engine
(Ray actors run the ClientApps of :mod:`~mlops_course.privacy.fl.flower_apps`) and return the
histories; telemetry off, Flower's state under the course folder. Settings are
:class:`~mlops_course.privacy.fl.flower_settings.FlowerSettings` (keyword options here:
``seed``, ``scheme``, ``alpha``, ``strategy``, ``malicious``, ``attack``, ``attack_boost``, ...).

Two things are done carefully:

* **Environment**: Flower and Ray read telemetry and state settings from ``os.environ`` in this
  process, so :func:`~mlops_course.course.flower_environment`'s variables (defined with the rest of
  the course environment in :mod:`mlops_course.course`) are set for the duration of a run only and
  the previous environment is restored afterwards (:func:`_temporary_environ`).
* **Start-up vs failure**: this module starts Ray itself (:func:`_start_ray`) before handing over
  to Flower (which then uses the running instance). Anything ``ray.init`` raises is, by
  construction, the engine failing to start — on a loaded machine the raylet can miss Ray's fixed
  30 s start-up window — and is retried; a failure after start-up (a client raising in a round)
  never is.
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from mlops_course._validation import check_int
from mlops_course.course import flower_environment
from mlops_course.privacy.fl.flower_apps import (
    ClientFailureError,
    FlowerHistory,
    make_client_app,
    make_server_app,
)
from mlops_course.privacy.fl.flower_settings import STRATEGIES, FlowerSettings
from mlops_course.privacy.fl.task import TrainConfig

__all__ = ["DEFAULT_SETTINGS", "STRATEGIES", "ClientFailureError", "FlowerHistory", "RAY_START_ATTEMPTS",
           "compare_flower_strategies", "flower_environment", "make_client_app", "make_server_app",
           "malicious_ids", "run_flower_simulation", "settings_for", "strategy_names"]

#: The run-config defaults (derived from :class:`FlowerSettings`, their one source).
DEFAULT_SETTINGS: dict[str, Any] = FlowerSettings().as_run_config()
#: How often Ray's start-up is attempted before giving up.
RAY_START_ATTEMPTS = 3


def settings_for(config: TrainConfig | None = None, **options: Any) -> dict[str, Any]:
    """Run-config dict: defaults, then a :class:`TrainConfig`, then keyword options (``num_server_rounds=5``).

    Parameters
    ----------
    config : TrainConfig, optional
        Local-training settings (learning rate, epochs, batch size, ...) that override the defaults of
        :class:`~mlops_course.privacy.fl.flower_settings.FlowerSettings`.
    **options
        Any other setting by its run-config name (e.g. ``num_server_rounds=5``, ``strategy="median"``);
        applied last.

    Returns
    -------
    dict of str to Any
        The flat run-config Flower passes to the ServerApp and ClientApps (``flwr run --run-config``).

    Raises
    ------
    ValueError
        On an unknown setting or an invalid value.
    """
    base = FlowerSettings().with_train_config(config).as_run_config()
    return FlowerSettings.merge(base, options).as_run_config()


def strategy_names(settings: Mapping[str, Any]) -> list[str]:
    """The strategies named by the ``strategy`` setting ("median" or "fedavg median krum"), validated."""
    return FlowerSettings.merge(settings).strategies


def malicious_ids(settings: Mapping[str, Any]) -> set[int]:
    """Partition ids of the ``malicious`` setting ("0 3" or "0,3"; "" = none), validated as ints >= 0."""
    return FlowerSettings.merge(settings).malicious_ids


# ----------------------------------------------------------------------------- simulation
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
    s = FlowerSettings.merge(settings_for(config, num_server_rounds=rounds, **options))
    if len(s.strategies) > 1:
        raise ValueError(f"run_flower_simulation runs one strategy, got {s.strategy!r}; "
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
    s = FlowerSettings.merge(settings_for(config, num_server_rounds=rounds, strategy=strategies, **options))
    return {h.settings["strategy"]: h for h in _simulate(n_clients, rounds, s, num_cpus, verbose)}


def _shutdown_ray() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()


@contextmanager
def _temporary_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the block, then restore exactly what was there."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _start_ray(num_cpus: int, env: Mapping[str, str]) -> None:
    """Start Ray for Flower (which then uses this instance), retrying a failed start-up.

    ``ray.init`` raising means the engine did not start (nothing ran yet), whatever the exception's
    type — Ray reports its raylet missing the start-up window as a bare ``Exception`` — so every such
    error is retried, up to :data:`RAY_START_ATTEMPTS` times. Workers get the course environment and
    this interpreter's ``sys.path`` through Ray's ``runtime_env`` (as Flower's own start-up would).
    """
    import ray

    pythonpath = os.pathsep.join(sys.path)
    runtime_env = {"env_vars": {**env, "PYTHONPATH": pythonpath}}
    for attempt in range(1, RAY_START_ATTEMPTS + 1):
        try:
            ray.init(num_cpus=num_cpus, num_gpus=0, include_dashboard=False, runtime_env=runtime_env,
                     logging_level=logging.ERROR, log_to_driver=False)
            return
        except Exception as exc:  # noqa: BLE001 - see docstring: any error here is a start-up failure
            _shutdown_ray()
            if attempt == RAY_START_ATTEMPTS:
                raise RuntimeError(f"Ray (Flower's simulation backend) failed to start {attempt} times; "
                                   f"last error: {type(exc).__name__}: {exc}") from exc


def _simulate(n_clients: int, rounds: int, s: FlowerSettings, num_cpus: int, verbose: bool) -> list[FlowerHistory]:
    n_clients = check_int("n_clients", n_clients, minimum=2)
    rounds = check_int("rounds", rounds, minimum=1)
    num_cpus = check_int("num_cpus", num_cpus, minimum=1)
    bad = sorted(i for i in s.malicious_ids if i >= n_clients)
    if bad:
        raise ValueError(f"malicious partition ids must be in 0..{n_clients - 1}, got {bad}")
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
    env = flower_environment()
    try:
        with _temporary_environ(env):
            _start_ray(num_cpus, env)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run_simulation(server_app=server, client_app=client, num_supernodes=n_clients,
                               backend_config=backend)
    finally:
        logger.setLevel(level)
        _shutdown_ray()
    if len(box) < len(s.strategies):
        raise ClientFailureError("the Flower simulation ended without a result (see the log above)")
    return box
