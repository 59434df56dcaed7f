"""Resource exhaustion: cost model, token bucket, and the endpoint simulation with its limits.

Stated effect (fixed seeds): 5 users at 1 request/s are all served in 32 ms (p95); a flood of
2,000-token requests leaves them < 20% served; a size limit restores 100%; an attacker who adapts
to the size limit is stopped only by the compute quota; 50 Sybil identities defeat every
per-client limit.
"""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course.security.exhaustion import (
    Limits,
    Request,
    TokenBucket,
    inference_cost,
    poisson_requests,
    service_report,
    simulate,
)

USERS = {f"user{i}" for i in range(5)}


@pytest.fixture(scope="module")
def traffic():
    rng = np.random.default_rng(0)
    legit = [r for u in sorted(USERS) for r in poisson_requests(rng, u, 1.0, 60.0, (10, 100))]
    flood = poisson_requests(rng, "attacker", 5.0, 50.0, 2000, start=5.0)
    adapted = poisson_requests(rng, "attacker", 20.0, 50.0, 512, start=5.0)
    sybil = [r for i in range(50) for r in poisson_requests(rng, f"bot{i}", 0.4, 50.0, 512, start=5.0)]
    return legit, flood, adapted, sybil


def served(requests, limits=None):
    return service_report(simulate(requests, limits), USERS)["served_share"]


def test_cost_model():
    assert inference_cost(0) == pytest.approx(0.002)
    assert inference_cost(1000) == pytest.approx(0.002 + 0.1 + 2.0)
    assert inference_cost(2000) / inference_cost(100) > 250  # one long input = hundreds of short ones


def test_token_bucket_bound():
    # over any window of length T at most capacity + rate * T tokens pass
    b = TokenBucket(rate=2.0, capacity=3.0)
    times = np.sort(np.random.default_rng(0).uniform(0, 10, 500))
    allowed = np.array([t for t in times if b.allow(float(t))])
    for start in np.arange(0, 10, 0.5):
        for length in (0.5, 1.0, 4.0):
            n = np.sum((allowed >= start) & (allowed < start + length))
            assert n <= 3.0 + 2.0 * length + 1e-9
    with pytest.raises(ValueError):
        b.allow(1.0)  # time went backwards


def test_stated_effect_flood_and_limits(traffic):
    legit, flood, adapted, sybil = traffic
    assert served(legit) == 1.0
    assert service_report(simulate(legit), USERS)["p95_latency"] < 0.05
    assert served(legit + flood) < 0.2                                   # denial of service
    assert served(legit + flood, Limits(max_input_size=512)) == 1.0      # size limit restores it
    assert served(legit + adapted, Limits(max_input_size=512)) < 0.5     # ... until the attacker adapts
    assert served(legit + adapted, Limits(rate=2.0, burst=5.0)) < 0.9    # a request-count limit is not enough
    assert served(legit + adapted, Limits(quota=0.1, quota_burst=1.0)) == 1.0  # charging by cost is
    full = Limits(max_input_size=512, rate=2.0, burst=5.0, quota=0.1, quota_burst=1.0)
    assert served(legit + sybil, full) < 0.5                             # Sybils get one bucket each


def test_simulation_rules():
    reqs = [Request(0.0, "a", 100), Request(0.0, "b", 100), Request(0.01, "a", 10_000)]
    out = simulate(reqs, Limits(max_input_size=1000), timeout=0.05)
    assert [o.status for o in out] == ["served", "served", "too large"]
    assert out[1].latency == pytest.approx(2 * inference_cost(100))
    out = simulate([Request(0.0, "a", 3000), Request(0.1, "b", 10)], timeout=1.0)
    assert [o.status for o in out] == ["served", "timeout"]
    out = simulate([Request(t, "a", 10) for t in (0.0, 0.1, 0.2)], Limits(rate=1.0, burst=1.0))
    assert [o.status for o in out] == ["served", "rate limited", "rate limited"]
    out = simulate([Request(t, "a", 1000) for t in (0.0, 5.0)], Limits(quota=0.1, quota_burst=3.0))
    assert [o.status for o in out] == ["served", "over quota"]


def test_poisson_requests_rate():
    reqs = poisson_requests(np.random.default_rng(3), "u", 10.0, 100.0, 50)
    # count ~ Poisson(1000): |N - 1000| > 160 has probability < 1e-6
    assert abs(len(reqs) - 1000) < 160 and all(r.size == 50 and 0 <= r.time < 100 for r in reqs)


def test_bad_inputs():
    with pytest.raises(ValueError):
        inference_cost(-1)
    with pytest.raises(ValueError):
        TokenBucket(rate=0.0, capacity=1.0)
    with pytest.raises(ValueError):
        poisson_requests(np.random.default_rng(0), "u", -1.0, 10.0, 5)
    with pytest.raises(ValueError):
        poisson_requests(np.random.default_rng(0), "u", 1.0, 10.0, (5, 1))
    with pytest.raises(ValueError):
        simulate([], timeout=0.0)
    with pytest.raises(ValueError):
        service_report([], {"a"})
