"""The numpy engine (FedAvg/FedProx, non-IID), attacks against it and defences (robust rules, DP-FedAvg)."""
from __future__ import annotations

import dp_accounting as dpa
import numpy as np
import pytest

from mlops_course.privacy.dp.accountant import BudgetExceededError, PrivacyAccountant
from mlops_course.privacy.fl.attacks import (
    GaussianNoise,
    ModelReplacement,
    SignFlip,
    add_trigger,
    backdoor_success,
    boosted_replacement,
    poison_dataset,
)
from mlops_course.privacy.fl.dpfedavg import (
    DPFedAvg,
    charge_rounds,
    clip_update,
    dpfedavg_epsilon,
    dpfedavg_noise_multiplier,
)
from mlops_course.privacy.fl.engine import run_federated
from mlops_course.privacy.fl.task import TrainConfig, client_partitions, flatten, load_digits_task

CFG = TrainConfig(epochs=1, lr=0.2, batch_size=32)


@pytest.fixture(scope="module")
def data():
    return load_digits_task(0)


@pytest.fixture(scope="module")
def iid(data):
    return client_partitions(data, 10, "iid", seed=0)


def test_fedavg_learns_and_is_deterministic(data, iid):
    a = run_federated(data, iid, rounds=10, config=CFG, seed=1, keep_weights=True)
    b = run_federated(data, iid, rounds=10, config=CFG, seed=1, keep_weights=True)
    assert a.accuracy[0] == pytest.approx(0.1) and a.final_accuracy > 0.88
    assert np.array_equal(a.weights[-1], b.weights[-1])
    n_params = 64 * 10 + 10
    assert list(a.bytes_up[1:]) == [10 * n_params * 8] * 10 and a.bytes_down[0] == 0


def test_one_round_one_client_full_batch_is_one_sgd_step(data):
    from mlops_course.privacy.fl.task import initial_params, loss_and_grads

    part = [np.arange(20)]
    h = run_federated(data, part, rounds=1, config=TrainConfig(batch_size=32, lr=0.3), keep_weights=True)
    p0 = initial_params(data, TrainConfig(), 0)
    _, g = loss_and_grads(p0, data.X_train[:20], data.y_train[:20])
    np.testing.assert_allclose(h.weights[1], flatten(p0) - 0.3 * flatten(g), rtol=1e-12, atol=1e-15)


def test_client_sampling_fraction_and_poisson(data, iid):
    fixed = run_federated(data, iid, rounds=5, config=CFG, fraction=0.3)
    assert all(len(c) == 3 for c in fixed.clients[1:])
    poisson = run_federated(data, iid, rounds=30, config=CFG, fraction=0.5, sampling="poisson")
    sizes = np.array([len(c) for c in poisson.clients[1:]])
    assert len(set(sizes.tolist())) > 1 and 2 < sizes.mean() < 8


def test_non_iid_hurts_and_increases_drift_fedprox_reduces_drift(data):
    iid = client_partitions(data, 10, "iid", seed=0)
    skew = client_partitions(data, 10, "dirichlet", 0.05, seed=0)
    cfg = TrainConfig(epochs=5, lr=0.2, batch_size=16)
    h_iid = run_federated(data, iid, rounds=3, config=cfg)
    h_skew = run_federated(data, skew, rounds=3, config=cfg)
    h_prox = run_federated(data, skew, rounds=3, config=TrainConfig(epochs=5, lr=0.2, batch_size=16, mu=1.0))
    assert h_skew.accuracy[1] < h_iid.accuracy[1] - 0.1
    assert h_skew.drift[1:].mean() > 1.5 * h_iid.drift[1:].mean()
    assert h_prox.drift[1:].mean() < h_skew.drift[1:].mean()


@pytest.mark.parametrize("rule", ["median", "trimmed_mean", "krum"])
def test_robust_rules_resist_sign_flipping(data, iid, rule):
    kw = {"config": CFG, "rounds": 10, "malicious": [0, 1], "attack": SignFlip(10.0)}
    assert run_federated(data, iid, aggregator="fedavg", **kw).final_accuracy < 0.3
    assert run_federated(data, iid, aggregator=rule, **kw).final_accuracy > 0.85


def test_noise_attack_breaks_fedavg_not_median(data, iid):
    kw = {"config": CFG, "rounds": 8, "malicious": [3], "attack": GaussianNoise(5.0)}
    assert run_federated(data, iid, **kw).final_accuracy < 0.6
    assert run_federated(data, iid, aggregator="median", **kw).final_accuracy > 0.85


def test_model_replacement_plants_a_hidden_backdoor_that_median_and_krum_stop(data, iid):
    Xp, yp = poison_dataset(data.X_train[iid[0]], data.y_train[iid[0]], 0, 0.5, np.random.default_rng(1))
    attack = ModelReplacement(Xp, yp, TrainConfig(epochs=5, lr=0.2, batch_size=32))
    success = {"backdoor": lambda p: backdoor_success(p, data.X_test, data.y_test, 0)}
    kw = {"config": CFG, "rounds": 12, "malicious": [0], "attack": attack, "metrics": success}
    plain = run_federated(data, iid, **kw)
    assert plain.metrics["backdoor"][-1] > 0.9 and plain.final_accuracy > 0.88  # works and hides
    for rule in ("median", "krum"):
        assert run_federated(data, iid, aggregator=rule, **kw).metrics["backdoor"][-1] < 0.1


def test_boosted_replacement_replaces_the_fedavg_model():
    g, x = np.zeros(4), np.array([1.0, -2.0, 3.0, 0.5])
    share = 0.2
    delta = boosted_replacement(g, x, share)
    honest = np.zeros((4, 4))  # converged honest clients
    new = g + (share * delta + 0.2 * honest.sum(0))
    np.testing.assert_allclose(new, x)


def test_trigger_and_poison():
    X = np.zeros((4, 64))
    assert add_trigger(X)[:, [54, 55, 62, 63]].min() == 1.0 and X.max() == 0.0
    Xp, yp = poison_dataset(X, np.arange(4), 7, 0.5, np.random.default_rng(0))
    assert Xp.shape == (6, 64) and list(yp[4:]) == [7, 7]


def test_engine_bad_inputs(data, iid):
    with pytest.raises(ValueError, match="at least one client"):
        run_federated(data, [])
    with pytest.raises(ValueError, match="at least one example"):
        run_federated(data, [np.arange(5), np.array([], dtype=int)])
    with pytest.raises(ValueError, match="fraction"):
        run_federated(data, iid, fraction=0.0)
    with pytest.raises(ValueError, match="sampling"):
        run_federated(data, iid, sampling="random")
    with pytest.raises(ValueError, match="malicious ids"):
        run_federated(data, iid, malicious=[10], attack=SignFlip())
    with pytest.raises(ValueError, match="need an attack"):
        run_federated(data, iid, malicious=[1])


# ----------------------------------------------------------------------------- DP-FedAvg
def test_clip_update():
    np.testing.assert_allclose(clip_update([3.0, 4.0], 1.0), [0.6, 0.8])
    np.testing.assert_array_equal(clip_update([[0.1, 0.2]], 1.0), [[0.1, 0.2]])
    with pytest.raises(ValueError):
        clip_update([1.0], 0.0)
    with pytest.raises(ValueError):
        clip_update([np.inf], 1.0)


def test_dpfedavg_sensitivity_and_noise_law():
    # Removing one client changes the clipped sum by <= C; the noise is N(0, (zC)^2) on the sum.
    from scipy import stats

    dp = DPFedAvg(clip_norm=0.5, noise_multiplier=2.0, expected_clients=4.0)
    rng = np.random.default_rng(0)
    u = rng.normal(scale=10.0, size=(5, 3))
    noiseless = DPFedAvg(0.5, 0.0, 4.0)
    diff = noiseless.aggregate(u, rng) - noiseless.aggregate(u[:4], rng)
    assert np.linalg.norm(diff) * 4.0 <= 0.5 + 1e-12
    samples = np.array([dp.aggregate(u, np.random.default_rng(s)) for s in range(2000)])
    noise = (samples - noiseless.aggregate(u, rng)).ravel() * 4.0 / (2.0 * 0.5)
    assert stats.kstest(noise, "norm").pvalue > 1e-6  # false alarm 1e-6


def test_dpfedavg_epsilon_matches_dp_accounting():
    z, q, rounds, delta = 1.1, 0.1, 50, 1e-5
    from mlops_course.privacy.dp.rdp import DEFAULT_ORDERS

    acc = dpa.rdp.RdpAccountant(orders=list(DEFAULT_ORDERS))  # same integer orders as ours
    acc.compose(dpa.PoissonSampledDpEvent(q, dpa.GaussianDpEvent(z)), rounds)
    assert dpfedavg_epsilon(z, q, rounds, delta) == pytest.approx(acc.get_epsilon(delta), rel=1e-6)
    z_cal = dpfedavg_noise_multiplier(2.0, delta, q, rounds)
    assert dpfedavg_epsilon(z_cal, q, rounds, delta) == pytest.approx(2.0, rel=1e-3)


def test_accountant_refuses_an_over_budget_run():
    acc = PrivacyAccountant(1.0, 1e-5)
    with pytest.raises(BudgetExceededError):
        charge_rounds(acc, 0.5, 0.5, 100, 1e-6)
    assert acc.ledger == []
    assert charge_rounds(acc, 5.0, 0.1, 10, 1e-6) < 1.0 and len(acc.ledger) == 1


def test_dpfedavg_in_the_engine_trains_with_moderate_noise(data):
    parts = client_partitions(data, 100, "iid", seed=0)
    cfg = TrainConfig(epochs=2, lr=0.2, batch_size=16)
    dp = DPFedAvg(clip_norm=1.0, noise_multiplier=1.0, expected_clients=30.0)
    h = run_federated(data, parts, rounds=15, config=cfg, fraction=0.3, sampling="poisson", dp=dp)
    assert h.final_accuracy > 0.7
    loud = run_federated(data, parts, rounds=15, config=cfg, fraction=0.3, sampling="poisson",
                         dp=DPFedAvg(1.0, 50.0, 30.0))
    assert loud.final_accuracy < h.final_accuracy


def test_dpfedavg_bad_inputs():
    with pytest.raises(ValueError):
        DPFedAvg(0.0, 1.0, 5.0)
    with pytest.raises(ValueError):
        DPFedAvg(1.0, -1.0, 5.0)
    with pytest.raises(ValueError, match="stacked"):
        DPFedAvg(1.0, 1.0, 5.0).aggregate(np.zeros(3), np.random.default_rng(0))


def test_dpfedavg_warns_when_the_run_breaks_its_accounting_assumptions(data):
    import warnings

    from mlops_course.privacy.fl.dpfedavg import AccountingAssumptionWarning

    dp = DPFedAvg(1.0, 1.0, 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Poisson at q with divisor qN = 0.3 * 10: no warning
        assert dp.check_sampling(10, 0.3, "poisson") is True
    with pytest.warns(AccountingAssumptionWarning, match="Poisson"):
        assert dp.check_sampling(10, 0.3, "fixed") is False
    with pytest.warns(AccountingAssumptionWarning, match="q\\*N"):
        assert dp.check_sampling(20, 0.3, "poisson") is False
    with pytest.raises(ValueError, match="sampling"):
        dp.check_sampling(10, 0.3, "random")
    # the engine runs the check: a fixed-size sample with DP-FedAvg now warns
    parts = client_partitions(data, 10, "iid", seed=0)
    with pytest.warns(AccountingAssumptionWarning, match="Poisson"):
        run_federated(data, parts, rounds=1, config=CFG, fraction=0.3, sampling="fixed", dp=dp)
