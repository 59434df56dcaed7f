"""Flower 1.42 at three scales: in-process simulation, the app folder, the Deployment Engine.

These are the only tests that start Flower (two simulations and one deployment with two runs);
they live in this one module so that xdist (``--dist loadscope``) runs them on one worker, and
everything is torn down in ``finally``/context managers. Everything else here is fast.
"""
from __future__ import annotations

import argparse
import os
from types import SimpleNamespace

import numpy as np
import psutil
import pytest

from mlops_course.privacy.fl.aggregators import get_aggregator
from mlops_course.privacy.fl.attacks import SignFlip, untargeted_attack
from mlops_course.privacy.fl.engine import run_federated
from mlops_course.privacy.fl.flower_apps import ClientFailureError, _raise_on_failures
from mlops_course.privacy.fl.flower_settings import FlowerSettings
from mlops_course.privacy.fl.flower_sim import (
    DEFAULT_SETTINGS,
    _start_ray,
    _temporary_environ,
    compare_flower_strategies,
    malicious_ids,
    run_flower_simulation,
    settings_for,
    strategy_names,
)
from mlops_course.privacy.fl.task import TrainConfig, client_partitions, load_digits_task

pytestmark = pytest.mark.slow
CFG = TrainConfig(epochs=1, lr=0.2, batch_size=32)


def _numpy_weights(seed, n, scheme, rounds, alpha=0.5):
    data = load_digits_task(seed)
    parts = client_partitions(data, n, scheme, alpha, seed)
    return run_federated(data, parts, rounds=rounds, config=CFG, seed=seed, keep_weights=True)


# ----------------------------------------------------------------------------- fast checks
def test_settings_validation():
    s = settings_for(CFG, seed=3, malicious=[0, 2], strategy="median")
    assert s["malicious"] == "0 2" and s["batch-size"] == 32 and s["strategy"] == "median"
    with pytest.raises(ValueError, match="unknown setting"):
        settings_for(rounds=3)
    with pytest.raises(ValueError, match="strategy"):
        settings_for(strategy="fedsgd")
    with pytest.raises(ValueError, match="n_clients"):
        run_flower_simulation(1, 1)
    s = settings_for(malicious="0,3", strategy="fedavg, median krum")
    assert malicious_ids(s) == {0, 3} and strategy_names(s) == ["fedavg", "median", "krum"]
    for bad in ({"malicious": "a,b"}, {"malicious": "-1"}, {"strategy": "median median"}, {"strategy": ""},
                {"attack": "label_flip"}, {"attack_boost": 0.0}):
        with pytest.raises(ValueError):
            settings_for(**bad)
    with pytest.raises(ValueError, match="compare_flower_strategies"):
        run_flower_simulation(2, 1, strategy="fedavg median")
    with pytest.raises(ValueError, match=r"0\.\.2"):
        compare_flower_strategies(3, 1, malicious=[3])
    assert untargeted_attack("sign_flip", 5.0) == SignFlip(5.0)


def test_typed_settings_coerce_and_name_the_bad_key():
    s = FlowerSettings.merge({"seed": "3", "batch-size": 32.0}, malicious=[0, 2])
    assert (s.seed, s.batch_size, s.malicious, s.malicious_ids) == (3, 32, "0 2", {0, 2})
    with pytest.raises(ValueError, match="seed must be an int, got 'x'"):
        FlowerSettings(seed="x")
    with pytest.raises(ValueError, match="batch-size must be a whole number"):
        FlowerSettings.merge({"batch-size": 1.5})
    with pytest.raises(ValueError, match="unknown setting 'rounds'"):
        FlowerSettings.merge(rounds=2)


def test_app_folder_defaults_are_the_settings_defaults():
    import tomllib

    from mlops_course.privacy.fl.deployment import APP_DIR

    config = tomllib.loads((APP_DIR / "pyproject.toml").read_text())["tool"]["flwr"]["app"]["config"]
    assert config == DEFAULT_SETTINGS


def test_flower_environment_is_restored_after_a_run_block(monkeypatch):
    monkeypatch.setenv("FLWR_TELEMETRY_ENABLED", "1")
    monkeypatch.delenv("FLWR_HOME", raising=False)
    with _temporary_environ({"FLWR_TELEMETRY_ENABLED": "0", "FLWR_HOME": "/x"}):
        assert os.environ["FLWR_TELEMETRY_ENABLED"] == "0" and os.environ["FLWR_HOME"] == "/x"
    assert os.environ["FLWR_TELEMETRY_ENABLED"] == "1" and "FLWR_HOME" not in os.environ


def test_ray_start_up_is_retried_whatever_it_raises_then_reported(monkeypatch):
    import ray

    calls = []

    def flaky_init(**kwargs):
        calls.append(kwargs)
        if len(calls) < 3:
            raise Exception("The current node timed out during startup.")  # what Ray raises

    monkeypatch.setattr(ray, "init", flaky_init)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    _start_ray(2, {"FLWR_TELEMETRY_ENABLED": "0"})
    assert len(calls) == 3 and calls[-1]["runtime_env"]["env_vars"]["FLWR_TELEMETRY_ENABLED"] == "0"
    calls.clear()
    monkeypatch.setattr(ray, "init", lambda **kw: (_ for _ in ()).throw(OSError("no shm")))
    with pytest.raises(RuntimeError, match="failed to start 3 times; last error: OSError: no shm"):
        _start_ray(1, {})


def _reply(error=None):
    return SimpleNamespace(has_error=lambda: error is not None, error=SimpleNamespace(reason=error),
                           metadata=SimpleNamespace(src_node_id=42))


def test_a_failed_or_missing_client_is_an_error_not_a_log_line():
    _raise_on_failures("train", 1, [_reply(), _reply()], 2)
    with pytest.raises(ClientFailureError, match="1 of 2 clients failed in train round 3; node 42: boom"):
        _raise_on_failures("train", 3, [_reply(), _reply("boom")], 2)
    with pytest.raises(ClientFailureError, match="only 1 of 2 clients replied"):
        _raise_on_failures("evaluate", 1, [_reply()], 2)


def test_app_folder_is_a_valid_flower_app_without_dependencies():
    from flwr.cli.config_utils import load_and_validate

    from mlops_course.privacy.fl.deployment import APP_DIR

    config, warnings = load_and_validate(APP_DIR / "pyproject.toml", check_module=False)
    assert config is not None and not warnings
    assert config["project"]["dependencies"] == []
    assert set(settings_for()) <= set(config["tool"]["flwr"]["app"]["config"]) | {"num-partitions"}


def test_cli_registration():
    from mlops_course.privacy.fl.deployment import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["fl-deploy", "--supernodes", "2", "--set", "seed=3"])
    assert args.supernodes == 2 and args.set == ["seed=3"] and callable(args.func)


def test_deployment_that_fails_to_start_leaves_no_process():
    from mlops_course.privacy.fl.deployment import Deployment, DeploymentError

    dep = Deployment(1, startup_timeout=0.01)
    with pytest.raises(DeploymentError, match="health check"), dep:
        pass
    assert dep._seen and dep.processes() == []


# ----------------------------------------------------------------------------- Flower runs
def test_flower_simulation_agrees_with_the_numpy_engine():
    flower = run_flower_simulation(3, 2, config=CFG, seed=3, scheme="dirichlet", alpha=0.5)
    ours = _numpy_weights(3, 3, "dirichlet", 2)
    assert list(flower.rounds) == [0, 1, 2]
    assert max(np.abs(a - b).max() for a, b in zip(flower.weights, ours.weights, strict=True)) < 1e-9
    np.testing.assert_allclose(flower.accuracy, ours.accuracy, atol=1e-12)
    import ray

    assert not ray.is_initialized()


def test_deployment_engine_runs_the_app_and_leaves_nothing_behind_even_on_failure():
    from mlops_course.privacy.fl.deployment import Deployment, DeploymentError

    dep = Deployment(2)
    pids: set[int] = set()
    with dep:
        assert dep.online_nodes() == 2
        history = dep.run(1, seed=5, batch_size=32, lr=0.2)
        np.testing.assert_allclose(history.weights[-1], _numpy_weights(5, 2, "iid", 1).weights[-1], atol=1e-9)
        with pytest.raises(DeploymentError, match="failed"):
            dep.run(1, fail_partition=1)
        pids = {p.pid for p in dep.processes()}
        assert len(pids) >= 3  # SuperLink, 2 SuperNodes (+ SuperExec / app processes)
    assert dep.processes() == []
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_flower_robust_strategies_resist_sign_flipping_like_the_numpy_engine():
    """2 of 7 clients send −5× their honest update (sign flip, the Byzantine setting of Blanchard et
    al. 2017; n = 7 > 2f + 2 = 6 as Krum's guarantee needs, and Krum's score sums n − f − 2 = 3
    distances, so no two clients tie — with 5 clients a mutual nearest pair ties and the pick depends
    on the order Flower receives replies in). One simulation session runs Flower's FedAvg, FedMedian
    and Krum in turn; each must equal the numpy engine with the same seeds, partitions, attack and
    aggregator (all three rules are deterministic), FedAvg must collapse and the robust rules stay
    near the clean accuracy. Deterministic given the seeds: no false-alarm rate to state."""
    seed, n, rounds, evil, boost = 0, 7, 3, [0, 1], 5.0
    flower = compare_flower_strategies(n, rounds, ("fedavg", "median", "krum"), config=CFG, seed=seed,
                                       malicious=evil, attack="sign_flip", attack_boost=boost, num_malicious=2)
    import ray

    assert not ray.is_initialized()
    data = load_digits_task(seed)
    parts = client_partitions(data, n, "iid", 0.5, seed)
    clean = run_federated(data, parts, rounds=rounds, config=CFG, seed=seed).final_accuracy
    ours = {name: run_federated(data, parts, rounds=rounds, config=CFG, seed=seed, aggregator=agg, malicious=evil,
                                attack=SignFlip(boost), keep_weights=True)
            for name, agg in (("fedavg", "fedavg"), ("median", "median"),
                              ("krum", get_aggregator("krum", n_malicious=2)))}
    for name, ref in ours.items():
        hist = flower[name]
        assert list(hist.rounds) == list(range(rounds + 1)) and hist.settings["strategy"] == name
        for a, b in zip(hist.weights, ref.weights, strict=True):  # FedAvg's weights blow up: relative 1e-9
            assert np.abs(a - b).max() <= 1e-9 * max(1.0, np.abs(b).max()), name
        np.testing.assert_allclose(hist.accuracy, ref.accuracy, atol=1e-12)
    assert flower["fedavg"].accuracy[-1] < 0.2 < clean - 0.4  # collapse (10 classes: chance = 0.1)
    for name in ("median", "krum"):
        assert flower[name].accuracy[-1] >= clean - 0.15, (name, flower[name].accuracy, clean)
