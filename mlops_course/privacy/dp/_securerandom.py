"""Vectorised integer samplers on bulk random 64-bit words (OS CSPRNG by default).

Private helpers shared by :mod:`.discrete` and :mod:`.fpsafe`.

Randomness: ``rng=None`` reads ``os.urandom`` (the kernel CSPRNG, what ``secrets`` uses) in one
bulk call; a ``numpy.random.Generator`` may be passed instead for reproducible tests. Both paths
run the same code on the same 64-bit words.

Discrete Laplace ``P(K = k) = (1-q)/(1+q) · q^|k|``, ``q = e^{-1/t}``, is sampled as a sign
times a magnitude ``G`` with ``P(G = 0) = (1-q)/(1+q)`` and ``P(G >= m) = 2q^m/(1+q)`` for
``m >= 1``. Inverting that CDF gives ``G = floor(t · (E + c₀))`` with ``E ~ Exp(1)`` and
``c₀ = ln(2/(1+q))``; one 64-bit word gives both the sign (bit 0) and ``E = -ln U`` with
``U = (j + 1/2)·2⁻⁵³`` (bits 11..63). To keep the resolution of ``U`` fine where the logarithm is
steep, a word with ``U < 2⁻⁶`` (probability exactly ``2⁻⁶``) is replaced by
``6 ln 2 + E'`` with a fresh ``E'`` (memorylessness of the exponential law, applied
recursively), so the support is unbounded and every bucket is resolved with a relative
precision of order ``t · 2⁻⁴⁵`` (float rounding of ``ln``, ``+`` and ``·`` included).
"""
from __future__ import annotations

import math
import os

import numpy as np

_TAIL_BITS = 6
_TAIL_J = np.uint64(1 << (53 - _TAIL_BITS))
_TAIL_OFFSET = _TAIL_BITS * math.log(2.0)
_SHIFT = np.uint64(11)
_ONE = np.uint64(1)
_INV_2_53 = 2.0**-53


def random_words(n: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """``n`` uniformly random ``uint64`` words from ``os.urandom`` (``rng=None``) or ``rng``."""
    nbytes = 8 * int(n)
    buf = os.urandom(nbytes) if rng is None else rng.bytes(nbytes)
    return np.frombuffer(buf, dtype=np.uint64)


def uniform_open(words: np.ndarray) -> np.ndarray:
    """``U = (j + 1/2) · 2⁻⁵³`` in (0, 1) from the top 53 bits ``j`` of each word (exact floats)."""
    return ((words >> _SHIFT).astype(np.float64) + 0.5) * _INV_2_53


def standard_exponential(words: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """``Exp(1)`` samples ``-ln U`` with the memoryless refill of the tail ``U < 2⁻⁶`` (see module doc)."""
    j = words >> _SHIFT
    e = -np.log((j.astype(np.float64) + 0.5) * _INV_2_53)
    tail = np.flatnonzero(j < _TAIL_J)
    offset = _TAIL_OFFSET
    while tail.size:
        j2 = random_words(tail.size, rng) >> _SHIFT
        e[tail] = offset - np.log((j2.astype(np.float64) + 0.5) * _INV_2_53)
        tail = tail[j2 < _TAIL_J]
        offset += _TAIL_OFFSET
    return e


def discrete_laplace_t(t: float, n: int, rng: np.random.Generator | None) -> np.ndarray:
    """``n`` draws of ``K`` with ``P(K = k) ∝ exp(-|k|/t)`` as ``int64`` (see module doc)."""
    words = random_words(n, rng)
    c0 = -math.log1p(math.expm1(-1.0 / t) / 2.0)  # ln(2/(1+q)) without cancellation for large t
    g = np.floor(t * (standard_exponential(words, rng) + c0)).astype(np.int64)
    return np.where((words & _ONE).astype(bool), -g, g)
