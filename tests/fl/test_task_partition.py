"""The shared task (model, gradients, local training) and the client partitions.

Statistical checks are on fixed seeds and use bounds with false-alarm rate <= 1e-6 where stated.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mlops_course.privacy.fl.partition import (
    dirichlet_partition,
    iid_partition,
    label_counts,
    partition,
    shard_partition,
)
from mlops_course.privacy.fl.task import (
    TrainConfig,
    client_partitions,
    evaluate,
    flatten,
    init_params,
    load_digits_task,
    local_train,
    loss_and_grads,
    unflatten,
)


@pytest.fixture(scope="module")
def data():
    return load_digits_task(0)


def test_digits_split_is_offline_stratified_and_deterministic(data):
    again = load_digits_task(0)
    assert data.X_train.shape == (1347, 64) and data.X_test.shape == (450, 64)
    assert np.array_equal(data.X_train, again.X_train)
    assert 0.0 <= data.X_train.min() and data.X_train.max() <= 1.0
    assert np.all(np.bincount(data.y_test) >= 43)  # stratified: 450 test examples, about 45 per class


@pytest.mark.parametrize("hidden", [(), (8,), (6, 5)])
def test_gradients_match_finite_differences(hidden):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(7, 5)), rng.integers(0, 3, size=7)
    params = init_params(5, 3, rng, hidden)
    params = [p + rng.normal(scale=0.3, size=p.shape) for p in params]
    _, grads = loss_and_grads(params, X, y, l2=0.1)
    vec, g = flatten(params), flatten(grads)
    eps = 1e-6
    for i in rng.choice(vec.size, size=12, replace=False):
        up, down = vec.copy(), vec.copy()
        up[i] += eps
        down[i] -= eps
        num = (loss_and_grads(unflatten(up, params), X, y, 0.1)[0]
               - loss_and_grads(unflatten(down, params), X, y, 0.1)[0]) / (2 * eps)
        assert g[i] == pytest.approx(num, rel=1e-5, abs=1e-8)


def test_loss_matches_sklearn_log_loss(data):
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(2)
    params = [rng.normal(size=(64, 10)) * 0.1, rng.normal(size=10) * 0.1]
    loss, _ = loss_and_grads(params, data.X_test, data.y_test)
    logits = data.X_test @ params[0] + params[1]
    proba = np.exp(logits - logits.max(1, keepdims=True))
    proba /= proba.sum(1, keepdims=True)
    assert loss == pytest.approx(log_loss(data.y_test, proba, labels=range(10)), rel=1e-10)


def test_local_training_of_logreg_approaches_sklearn(data):
    cfg = TrainConfig(epochs=60, batch_size=64, lr=0.5)
    params = local_train(init_params(64, 10, np.random.default_rng(0)), data.X_train, data.y_train, cfg,
                         np.random.default_rng(0))
    ref = LogisticRegression(max_iter=2000).fit(data.X_train, data.y_train).score(data.X_test, data.y_test)
    assert evaluate(params, data.X_test, data.y_test)[1] > ref - 0.03


def test_fedprox_term_pulls_towards_the_global_model(data):
    start = init_params(64, 10, np.random.default_rng(0))
    X, y = data.X_train[:50], data.y_train[:50]
    far = local_train(start, X, y, TrainConfig(epochs=20, lr=0.5), np.random.default_rng(0))
    near = local_train(start, X, y, TrainConfig(epochs=20, lr=0.5, mu=1.0), np.random.default_rng(0))
    assert np.linalg.norm(flatten(near) - flatten(start)) < 0.7 * np.linalg.norm(flatten(far) - flatten(start))


def test_local_train_needs_rng_only_for_minibatches(data):
    p = init_params(64, 10, np.random.default_rng(0))
    local_train(p, data.X_train[:8], data.y_train[:8], TrainConfig(batch_size=16), None)
    with pytest.raises(ValueError, match="rng"):
        local_train(p, data.X_train[:40], data.y_train[:40], TrainConfig(batch_size=16), None)
    with pytest.raises(ValueError, match="at least one example"):
        local_train(p, data.X_train[:0], data.y_train[:0], TrainConfig(), None)


@pytest.mark.parametrize("kwargs", [{"epochs": 0}, {"lr": 0.0}, {"mu": -1.0}, {"batch_size": 0}])
def test_train_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        TrainConfig(**kwargs)


def test_unflatten_rejects_wrong_length():
    with pytest.raises(ValueError, match="entries"):
        unflatten(np.zeros(3), [np.zeros((2, 2))])


# ----------------------------------------------------------------------------- partitions
def _is_partition(parts, n):
    allidx = np.concatenate(parts)
    return allidx.size == n and np.array_equal(np.sort(allidx), np.arange(n))


@pytest.mark.parametrize("scheme", ["iid", "dirichlet", "shards"])
def test_every_scheme_is_a_partition(data, scheme):
    parts = partition(data.y_train, 20, scheme, np.random.default_rng(3), alpha=0.3)
    assert len(parts) == 20 and _is_partition(parts, data.y_train.size)
    assert min(len(p) for p in parts) >= 1


def test_iid_sizes_differ_by_at_most_one():
    sizes = [len(p) for p in iid_partition(103, 10, np.random.default_rng(0))]
    assert max(sizes) - min(sizes) <= 1


def test_dirichlet_alpha_controls_label_skew(data):
    # Mean total-variation distance between a client's label mix and the global mix.
    global_mix = np.bincount(data.y_train) / data.y_train.size

    def skew(alpha):
        counts = label_counts(data.y_train, dirichlet_partition(data.y_train, 10, alpha, np.random.default_rng(4)))
        mix = counts / counts.sum(1, keepdims=True)
        return float(np.mean(0.5 * np.abs(mix - global_mix).sum(1)))

    assert skew(100.0) < 0.1 < 0.5 < skew(0.05)


def test_dirichlet_matches_reference_algorithm_of_hsu_et_al():
    # Independent re-implementation of the per-class Dirichlet split with the same random stream.
    y = np.repeat(np.arange(4), 25)
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    ours = dirichlet_partition(y, 3, 0.7, rng_a, min_size=0)
    ref = [[], [], []]
    for c in range(4):
        idx = rng_b.permutation(np.flatnonzero(y == c))
        p = rng_b.dirichlet([0.7] * 3)
        for j, chunk in enumerate(np.split(idx, (np.cumsum(p)[:-1] * idx.size).astype(int))):
            ref[j].extend(chunk.tolist())
    assert all(np.array_equal(a, np.sort(b)) for a, b in zip(ours, ref, strict=True))


def test_shards_give_few_classes_per_client(data):
    counts = label_counts(data.y_train, shard_partition(data.y_train, 20, 2, np.random.default_rng(6)))
    assert np.max((counts > 0).sum(1)) <= 4


def test_client_partitions_are_seeded(data):
    a = client_partitions(data, 5, "dirichlet", 0.5, seed=7)
    b = client_partitions(data, 5, "dirichlet", 0.5, seed=7)
    assert all(np.array_equal(x, z) for x, z in zip(a, b, strict=True))


@pytest.mark.parametrize("alpha", [0.0, -1.0, float("nan"), float("inf")])
def test_dirichlet_rejects_nonpositive_alpha(alpha):
    with pytest.raises((ValueError, TypeError)):
        dirichlet_partition(np.arange(10) % 2, 2, alpha, np.random.default_rng(0))


def test_partition_bad_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_clients"):
        iid_partition(3, 5, rng)
    with pytest.raises(ValueError, match="labels"):
        dirichlet_partition([], 2, 1.0, rng)
    with pytest.raises(ValueError, match="non-negative integers"):
        dirichlet_partition([0.5, 1.0], 1, 1.0, rng)
    with pytest.raises(ValueError, match="scheme"):
        partition([0, 1], 1, "random", rng)
    with pytest.raises(TypeError, match="rng"):
        iid_partition(3, 1, None)
    with pytest.raises(ValueError, match="no Dirichlet"):
        dirichlet_partition(np.zeros(20, dtype=int), 10, 0.01, rng, min_size=2, max_tries=2)
