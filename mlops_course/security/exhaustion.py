"""Resource exhaustion: flooding a model endpoint with expensive inputs; limits that restore service.

A model endpoint's cost per request grows with the input: a transformer's self-attention is
quadratic in the sequence length, so one long input can cost as much as hundreds to thousands of short ones
("sponge examples", Shumailov et al., EuroS&P 2021; OWASP LLM10 Unbounded Consumption). An
attacker who floods the endpoint with such inputs fills its queue, and legitimate requests time
out: a denial of service (and, on a pay-per-use cloud, a "denial of wallet").

:func:`simulate` is a deterministic discrete-event model of one endpoint: requests arrive, pass
admission control (:class:`Limits`), wait in a FIFO queue for one worker, and are dropped if
they would start after the client's timeout. The cost of a request of ``n`` tokens is

    cost(n) = c₀ + c₁ n + c₂ n²   seconds of worker time   (:func:`inference_cost`).

Admission controls (all per client, applied in this order):

* **input size limit** — reject inputs over ``max_input_size`` tokens (HTTP 413);
* **rate limit** — a token bucket of ``rate`` requests/s with ``burst`` capacity (HTTP 429);
* **compute quota** — a token bucket over *cost*: each client may consume ``quota`` seconds of
  worker time per second (burst ``quota_burst``); charging by cost rather than by request is what
  stops a few expensive requests.

Where they fail: all three are *per client*. An attacker with many identities (a botnet or
stolen API keys: a Sybil attack) gets many buckets; then only global load shedding,
authentication and abuse detection help.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mlops_course._validation import check_int, check_nonnegative, check_positive, check_rng

__all__ = ["Request", "inference_cost", "TokenBucket", "Limits", "Outcome", "poisson_requests", "simulate",
           "service_report"]

COST = (0.002, 1e-4, 2e-6)  # c0 [s], c1 [s/token], c2 [s/token²]


@dataclass(frozen=True)
class Request:
    """One request: arrival time (s), client id, input size (tokens).

    Parameters
    ----------
    time : float
        Arrival time in seconds.
    client : str
        Client id.
    size : int
        Input size in tokens.
    """

    time: float
    client: str
    size: int


def inference_cost(size: int, coefficients: tuple[float, float, float] = COST) -> float:
    """Worker seconds to serve ``size`` tokens: ``c₀ + c₁·size + c₂·size²``.

    Parameters
    ----------
    size : int
        Input size in tokens (>= 0).
    coefficients : tuple of (float, float, float), default COST
        ``(c₀, c₁, c₂)``.

    Returns
    -------
    float
        Worker seconds.

    Raises
    ------
    TypeError, ValueError
        If ``size`` is not an integer >= 0.

    Examples
    --------
    >>> round(inference_cost(100), 4), round(inference_cost(2000), 3)
    (0.032, 8.202)
    """
    size = check_int("size", size, minimum=0)
    c0, c1, c2 = coefficients
    return c0 + c1 * size + c2 * size * size


@dataclass
class TokenBucket:
    """Token bucket (Turner 1986): ``capacity`` tokens, refilled at ``rate`` tokens per second.

    A request of ``amount`` tokens at time ``t`` is allowed iff, after refilling
    ``tokens ← min(capacity, tokens + rate·(t − last))``, ``tokens >= amount``; then
    ``tokens -= amount``. Over any window of length T at most ``capacity + rate·T`` tokens pass.

    Parameters
    ----------
    rate : float
        Refill rate in tokens per second (> 0).
    capacity : float
        Bucket size (> 0).
    tokens : float, default NaN
        Tokens at the start (NaN: a full bucket).
    last : float, default 0.0
        Time of the last refill.

    Examples
    --------
    >>> b = TokenBucket(rate=1.0, capacity=2.0)
    >>> [b.allow(0.0), b.allow(0.0), b.allow(0.0), b.allow(1.0)]
    [True, True, False, True]
    """

    rate: float
    capacity: float
    tokens: float = field(default=math.nan)
    last: float = 0.0

    def __post_init__(self) -> None:
        self.rate = check_positive("rate", self.rate)
        self.capacity = check_positive("capacity", self.capacity)
        if math.isnan(self.tokens):
            self.tokens = self.capacity

    def allow(self, t: float, amount: float = 1.0) -> bool:
        """Take ``amount`` tokens at time ``t`` (non-decreasing) if available."""
        if t < self.last:
            raise ValueError(f"t must be non-decreasing, got {t} after {self.last}")
        self.tokens = min(self.capacity, self.tokens + self.rate * (t - self.last))
        self.last = t
        if self.tokens >= amount:
            self.tokens -= amount
            return True
        return False


@dataclass(frozen=True)
class Limits:
    """Per-client admission control (``None`` = off).

    Parameters
    ----------
    max_input_size : int, optional
        Largest input accepted (tokens).
    rate, burst : float, optional
        Request rate limit (requests/s) and bucket capacity (default burst = max(1, rate)).
    quota, quota_burst : float, optional
        Compute quota (worker-seconds per second) and its bucket capacity (default 10 × quota).


    """

    max_input_size: int | None = None
    rate: float | None = None
    burst: float | None = None
    quota: float | None = None
    quota_burst: float | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one request: ``"served"``, ``"timeout"``, ``"too large"``, ``"rate limited"``,
    ``"over quota"``; its latency (s) if served.

    Parameters
    ----------
    request : Request
        The request.
    status : str
        One of the statuses above.
    latency : float, default NaN
        Seconds from arrival to completion (served requests only).
    """

    request: Request
    status: str
    latency: float = math.nan


def poisson_requests(rng: np.random.Generator, client: str, rate: float, duration: float, size: int | tuple[int, int],
                     start: float = 0.0) -> list[Request]:
    """Requests of one client arriving as a Poisson process of ``rate``/s during ``[start, start + duration)``.

    ``size`` is a fixed number of tokens or a range ``(low, high)`` drawn uniformly (inclusive).

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Source of the arrival times and sizes.
    client : str
        Client id.
    rate : float
        Arrival rate per second (> 0).
    duration : float
        Length of the window in seconds (> 0).
    size : int or tuple of (int, int)
        Tokens per request, or an inclusive range (each >= 0).
    start : float, default 0.0
        Start of the window (>= 0).

    Returns
    -------
    list of Request
        In arrival order.

    Raises
    ------
    ValueError, TypeError
        Bad ``rng``, non-positive ``rate``/``duration``, negative ``start`` or a bad ``size``.
    """
    rng = check_rng(rng)
    rate = check_positive("rate", rate)
    duration = check_positive("duration", duration)
    start = check_nonnegative("start", start)
    times = []
    t = start + rng.exponential(1.0 / rate)
    while t < start + duration:
        times.append(t)
        t += rng.exponential(1.0 / rate)
    if isinstance(size, tuple):
        lo, hi = (check_int("size[0]", size[0], minimum=0), check_int("size[1]", size[1], minimum=0))
        if lo > hi:
            raise ValueError(f"size range must have low <= high, got {size}")
        sizes = rng.integers(lo, hi + 1, size=len(times))
    else:
        sizes = np.full(len(times), check_int("size", size, minimum=0))
    return [Request(float(t), client, int(s)) for t, s in zip(times, sizes, strict=True)]


def simulate(requests: list[Request], limits: Limits | None = None, *, timeout: float = 2.0,
             coefficients: tuple[float, float, float] = COST) -> list[Outcome]:
    """Serve ``requests`` with one FIFO worker behind admission control; deterministic.

    In order of arrival: admission (size limit, then the client's rate bucket, then its compute
    quota charged with the request's cost); an admitted request starts at
    ``max(arrival, worker free)``; if that is later than ``arrival + timeout`` the client has
    given up and the request is dropped without using the worker ("timeout"); otherwise it is
    served and its latency is ``start + cost − arrival``.

    Parameters
    ----------
    requests : list of Request
    limits : Limits, optional
    timeout : float, default 2.0
        Seconds a client waits for the worker to start its request.
    coefficients : (c0, c1, c2)
        Cost model of :func:`inference_cost`.

    Returns
    -------
    list of Outcome
        In arrival order.
    """
    limits = Limits() if limits is None else limits
    timeout = check_positive("timeout", timeout)
    rate_buckets: dict[str, TokenBucket] = {}
    quota_buckets: dict[str, TokenBucket] = {}
    free_at = 0.0
    out = []
    for req in sorted(requests, key=lambda r: (r.time, r.client)):
        cost = inference_cost(req.size, coefficients)
        if limits.max_input_size is not None and req.size > limits.max_input_size:
            out.append(Outcome(req, "too large"))
            continue
        if limits.rate is not None:
            bucket = rate_buckets.setdefault(req.client, TokenBucket(limits.rate, limits.burst or max(1.0, limits.rate)))
            if not bucket.allow(req.time):
                out.append(Outcome(req, "rate limited"))
                continue
        if limits.quota is not None:
            bucket = quota_buckets.setdefault(req.client, TokenBucket(limits.quota, limits.quota_burst or 10 * limits.quota))
            if not bucket.allow(req.time, cost):
                out.append(Outcome(req, "over quota"))
                continue
        start = max(req.time, free_at)
        if start > req.time + timeout:
            out.append(Outcome(req, "timeout"))
            continue
        free_at = start + cost
        out.append(Outcome(req, "served", free_at - req.time))
    return out


def service_report(outcomes: list[Outcome], clients: set[str] | frozenset[str]) -> dict[str, float]:
    """Service seen by ``clients``: share served, p95 latency of the served (s), and counts.

    Parameters
    ----------
    outcomes : list of Outcome
        Outcomes of a simulation.
    clients : set of str
        The clients to report on.

    Returns
    -------
    dict
        ``requests``, ``served_share``, ``p95_latency`` (nan if nothing served) and the share of
        each rejection status.

    Raises
    ------
    ValueError
        If no outcome is from ``clients``.
    """
    mine = [o for o in outcomes if o.request.client in clients]
    if not mine:
        raise ValueError("no request from these clients")
    lat = np.array([o.latency for o in mine if o.status == "served"])
    report = {"requests": float(len(mine)), "served_share": float(lat.size / len(mine)),
              "p95_latency": float(np.percentile(lat, 95)) if lat.size else math.nan}
    for status in ("timeout", "too large", "rate limited", "over quota"):
        report[status] = float(np.mean([o.status == status for o in mine]))
    return report
