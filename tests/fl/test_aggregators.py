"""Aggregation rules: equal to Flower's own functions on the same updates, robust where they claim."""
from __future__ import annotations

import numpy as np
import pytest
from flwr.server.strategy import aggregate as flwr_agg

from mlops_course.privacy.fl.aggregators import (
    clip_by_norm,
    coordinate_median,
    fedavg,
    get_aggregator,
    krum,
    krum_scores,
    multi_krum,
    norm_clipped_mean,
    trimmed_mean,
)


@pytest.fixture
def updates():
    rng = np.random.default_rng(0)
    return rng.normal(size=(9, 13)), rng.integers(1, 50, size=9)


def _flower(u):
    return [[row[:5], row[5:]] for row in u]  # two "layers" per client, as Flower sees a model


def _join(layers):
    return np.concatenate([np.ravel(x) for x in layers])


def test_fedavg_equals_flower_aggregate(updates):
    u, n = updates
    ref = _join(flwr_agg.aggregate(list(zip(_flower(u), n.tolist(), strict=True))))
    np.testing.assert_allclose(fedavg(u, n), ref, rtol=1e-12, atol=1e-14)


def test_fedavg_equals_flower_message_api_aggregation(updates):
    from flwr.app import Array, ArrayRecord, MetricRecord, RecordDict
    from flwr.serverapp.strategy.strategy_utils import aggregate_arrayrecords

    u, n = updates
    records = [RecordDict({"arrays": ArrayRecord({"a": Array(row[:5]), "b": Array(row[5:])}),
                           "metrics": MetricRecord({"num-examples": int(k)})}) for row, k in zip(u, n, strict=True)]
    out = aggregate_arrayrecords(records, "num-examples")
    np.testing.assert_allclose(fedavg(u, n), np.concatenate([out["a"].numpy(), out["b"].numpy()]), rtol=1e-12)


def test_median_equals_flower(updates):
    u, n = updates
    ref = _join(flwr_agg.aggregate_median(list(zip(_flower(u), n.tolist(), strict=True))))
    np.testing.assert_array_equal(coordinate_median(u), ref)


@pytest.mark.parametrize("beta", [0.0, 0.1, 0.2, 0.4])
def test_trimmed_mean_equals_flower_and_scipy(updates, beta):
    from scipy import stats

    u, n = updates
    ref = _join(flwr_agg.aggregate_trimmed_avg(list(zip(_flower(u), n.tolist(), strict=True)), beta))
    np.testing.assert_allclose(trimmed_mean(u, beta), ref, rtol=1e-12)
    np.testing.assert_allclose(trimmed_mean(u, beta), stats.trim_mean(u, beta, axis=0), rtol=1e-12)


@pytest.mark.parametrize("f", [0, 1, 2, 3])
def test_krum_and_multikrum_equal_flower(updates, f):
    u, n = updates
    results = list(zip(_flower(u), n.tolist(), strict=True))
    np.testing.assert_array_equal(krum(u, f), _join(flwr_agg.aggregate_krum(results, f, 0)))
    np.testing.assert_allclose(multi_krum(u, f, 4, n), _join(flwr_agg.aggregate_krum(results, f, 4)), rtol=1e-12)


def test_krum_scores_by_brute_force(updates):
    u, _ = updates
    d = ((u[:, None, :] - u[None, :, :]) ** 2).sum(-1)
    want = [np.sort(np.delete(d[i], i))[: 9 - 2 - 2].sum() for i in range(9)]
    np.testing.assert_allclose(krum_scores(u, 2), want, rtol=1e-10)


def test_robust_rules_resist_a_minority_of_huge_updates():
    rng = np.random.default_rng(1)
    honest = rng.normal(loc=1.0, scale=0.1, size=(7, 20))
    evil = np.full((2, 20), 1e6)
    u = np.vstack([honest, evil])
    assert np.abs(fedavg(u) - 1.0).max() > 1e5  # one Byzantine client moves FedAvg anywhere
    for rule in (coordinate_median(u), trimmed_mean(u, 0.25), krum(u, 2), multi_krum(u, 2, 5)):
        assert np.all(rule >= honest.min(0)) and np.all(rule <= honest.max(0))
    # norm clipping bounds each client's influence: every clipped update has norm <= C
    assert np.linalg.norm(norm_clipped_mean(u, 1.0)) <= 1.0 + 1e-12


def test_clip_by_norm():
    np.testing.assert_allclose(clip_by_norm([3.0, 4.0], 1.0), [0.6, 0.8])
    np.testing.assert_array_equal(clip_by_norm([0.3, 0.4], 1.0), [0.3, 0.4])
    np.testing.assert_array_equal(clip_by_norm([0.0, 0.0], 1.0), [0.0, 0.0])


def test_get_aggregator_names():
    u = np.arange(15.0).reshape(5, 3)  # 5 > 2*1 + 2: Krum's default f=1 is in range
    for name in ("fedavg", "median", "trimmed_mean", "krum", "multi_krum", "norm_clip"):
        assert get_aggregator(name)(u, np.ones(5)).shape == (3,)
    with pytest.raises(ValueError, match="aggregator"):
        get_aggregator("mean")


@pytest.mark.parametrize("rule", [fedavg, coordinate_median, lambda u: trimmed_mean(u, 0.1), lambda u: krum(u, 0)])
def test_bad_inputs(rule):
    with pytest.raises(ValueError, match="empty"):
        rule([])
    with pytest.raises(ValueError, match="same shape"):
        rule([np.zeros(3), np.zeros(4)])
    with pytest.raises(ValueError, match="finite"):
        rule([[np.nan, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="stacked"):
        rule(np.zeros(3))


def test_bad_weights_and_parameters():
    u = np.zeros((3, 2))
    with pytest.raises(ValueError, match="one entry per update"):
        fedavg(u, [1, 2])
    with pytest.raises(ValueError, match="positive sum"):
        fedavg(u, [0, 0, 0])
    with pytest.raises(ValueError, match="beta"):
        trimmed_mean(u, 0.5)
    with pytest.raises(ValueError, match="n_malicious"):
        krum(u, 3)
    with pytest.raises(ValueError, match="max_norm"):
        norm_clipped_mean(u, 0.0)


@pytest.mark.parametrize("n, f", [(6, 3), (6, 2), (4, 1), (3, 1), (2, 0)])
def test_krum_refuses_n_at_most_2f_plus_2(n, f):
    # Blanchard et al. 2017, Prop. 1 needs n > 2f + 2; krum(n=6, f=3) used to return an update
    u = np.random.default_rng(0).normal(size=(n, 4))
    assert n <= 2 * f + 2
    with pytest.raises(ValueError, match=r"n > 2\*n_malicious \+ 2"):
        krum(u, f)
    with pytest.raises(ValueError, match=r"n > 2\*n_malicious \+ 2"):
        multi_krum(u, f, 1)
    with pytest.raises(ValueError, match="n > 2"):
        get_aggregator("krum", n_malicious=f)(u, np.ones(n))


@pytest.mark.parametrize("n, f", [(7, 2), (5, 1), (3, 0)])
def test_krum_accepts_the_smallest_n_above_2f_plus_2(n, f):
    u = np.random.default_rng(0).normal(size=(n, 4))
    assert n == 2 * f + 3
    assert krum(u, f).shape == (4,)
