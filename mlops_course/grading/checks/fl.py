"""Checks of exercise 09 (federated learning): one :class:`Check` per answer cell.

All comparisons happen in the harness, on plain data returned by the student's code:

* aggregation rules (``fedavg_aggregate``, ``median_aggregate``) and ``clip_update`` are compared
  with formulas evaluated here (relative tolerance 1e-9) on harness-chosen inputs, plus the
  properties they promise (a Byzantine minority cannot move the median outside the honest range;
  a clipped update keeps its direction and has norm <= C);
* ``pairwise_masks`` is compared exactly with the masks defined in the task (PRG
  ``numpy.random.default_rng(seed).integers(0, 2**32, size=dim, dtype=np.uint64)``) and must sum
  to zero modulo 2^32;
* ``dirichlet_partition`` must return a partition (every index exactly once) whose label skew
  follows α. The skew thresholds are deterministic for the fixed seeds used; over random seeds,
  the reference's mean total-variation distance to the global label mix is <= 0.03 for α = 1000
  and >= 0.64 for α = 0.01 (300 seeds each), far from the thresholds 0.1 and 0.45, and its value
  for α = 1 (0.33 ± 0.024) lies > 7 standard deviations inside (0.15, 0.55): a correct
  implementation fails with probability well below 1e-6 (:data:`ALPHA_TOTAL`).
"""
from __future__ import annotations

import math

import numpy as np

from mlops_course.grading.checks import BadResult, Check, Property, Remote, Rng, as_array, raises

__all__ = ["CHECKS", "UNIT", "ALPHA_TOTAL", "reference_masks"]

UNIT = "09_federated_learning"
ALPHA_TOTAL = 1e-6
MODULUS = 2**32


def _close(got: np.ndarray, want: np.ndarray, rel: float = 1e-9) -> bool:
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rel, atol=1e-12))


# --------------------------------------------------------------------------- fl-fedavg
def _fedavg_cases(remote: Remote, seed: int) -> tuple[bool, str]:
    rng = np.random.default_rng(seed)
    for n, d in ((3, 5), (7, 1), (1, 4)):
        updates = rng.normal(size=(n, d)).round(4)
        counts = rng.integers(1, 100, size=n)
        want = (counts / counts.sum()) @ updates
        got = as_array(remote.call("fedavg_aggregate", [u for u in updates], counts.tolist()), (d,),
                       "fedavg_aggregate(...)")
        if not _close(got, want):
            return False, f"for {n} clients the result is not Σ nᵢ uᵢ / Σ nᵢ (got {got[:3]}, expected {want[:3]})"
    return True, "weighted by example counts: Σ nᵢ uᵢ / Σ nᵢ"


def fedavg_weighted(remote: Remote) -> tuple[bool, str]:
    ups = [np.array([0.0, 0.0]), np.array([3.0, 6.0])]
    got = as_array(remote.call("fedavg_aggregate", ups, [2, 1]), (2,), "fedavg_aggregate(...)")
    if not _close(got, np.array([1.0, 2.0])):
        return False, f"updates [0, 0] (2 examples) and [3, 6] (1 example) should give [1, 2], got {got}"
    return _fedavg_cases(remote, 90_101)


def fedavg_hidden(remote: Remote) -> tuple[bool, str]:
    return _fedavg_cases(remote, 90_102)


def fedavg_validates(remote: Remote) -> tuple[bool, str]:
    bad = {"an empty list": ([], []), "mismatched shapes": ([np.zeros(3), np.zeros(4)], [1, 1]),
           "one count per update missing": ([np.zeros(3), np.zeros(3)], [1])}
    missing = [k for k, (u, c) in bad.items() if not raises(lambda u=u, c=c: remote.call("fedavg_aggregate", u, c))]
    if missing:
        return False, "no ValueError for " + ", ".join(missing)
    return True, "ValueError for an empty list, mismatched shapes and missing counts"


# --------------------------------------------------------------------------- fl-dirichlet
def _parts(value: object, n_clients: int) -> list[np.ndarray]:
    if not isinstance(value, (list, tuple)) or len(value) != n_clients:
        raise BadResult(f"dirichlet_partition should return a list of {n_clients} index arrays")
    out = []
    for part in value:
        if isinstance(part, list) and not part:
            out.append(np.zeros(0))
        else:
            out.append(as_array(part, what="each client's indices").ravel())
    return out


def _skew(labels: np.ndarray, parts: list[np.ndarray]) -> float:
    k = int(labels.max()) + 1
    glob = np.bincount(labels, minlength=k) / labels.size
    tvs = []
    for p in parts:
        if p.size:
            mix = np.bincount(labels[p.astype(np.int64)], minlength=k) / p.size
            tvs.append(0.5 * np.abs(mix - glob).sum())
    return float(np.mean(tvs))


def _labels(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(np.repeat(np.arange(10), 100))


def dirichlet_is_partition(remote: Remote) -> tuple[bool, str]:
    labels = _labels(90_201)
    parts = _parts(remote.call("dirichlet_partition", labels, 10, 1.0, Rng(90_202)), 10)
    allidx = np.concatenate(parts)
    if allidx.size != labels.size or not np.array_equal(np.sort(allidx), np.arange(labels.size)):
        lost = labels.size - np.unique(allidx).size
        return False, (f"the parts must hold every index 0..{labels.size - 1} exactly once "
                       f"({allidx.size} indices returned, {lost} missing)")
    return True, "every example goes to exactly one client"


def dirichlet_alpha_controls_skew(remote: Remote) -> tuple[bool, str]:
    labels = _labels(90_203)
    iid = _skew(labels, _parts(remote.call("dirichlet_partition", labels, 10, 1000.0, Rng(90_204)), 10))
    skewed = _skew(labels, _parts(remote.call("dirichlet_partition", labels, 10, 0.01, Rng(90_205)), 10))
    if not iid < 0.1:
        return False, f"alpha = 1000 should give near-IID clients (label skew < 0.1), got {iid:.2f}"
    if not skewed > 0.45:
        return False, f"alpha = 0.01 should give clients dominated by few classes (skew > 0.45), got {skewed:.2f}"
    return True, f"label skew {iid:.2f} at alpha = 1000 and {skewed:.2f} at alpha = 0.01"


def dirichlet_hidden(remote: Remote) -> tuple[bool, str]:
    labels = _labels(90_206)
    parts = _parts(remote.call("dirichlet_partition", labels, 10, 1.0, Rng(90_207)), 10)
    skew = _skew(labels, parts)
    if not 0.15 < skew < 0.55:
        return False, f"alpha = 1 should give moderate label skew (about 0.33), got {skew:.2f}"
    again = _parts(remote.call("dirichlet_partition", labels, 10, 1.0, Rng(90_207)), 10)
    other = _parts(remote.call("dirichlet_partition", labels, 10, 1.0, Rng(90_208)), 10)
    if not all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True)):
        return False, "the same seed gave a different partition: draw everything from `rng`"
    if all(np.array_equal(np.sort(a), np.sort(b)) for a, b in zip(parts, other, strict=True)):
        return False, "different seeds gave the same partition: draw the proportions from `rng`"
    return True, "moderate skew at alpha = 1, reproducible through rng"


def dirichlet_validates(remote: Remote) -> tuple[bool, str]:
    labels = np.arange(20) % 4
    missing = [a for a in (0.0, -1.0) if not raises(lambda a=a: remote.call("dirichlet_partition", labels, 2, a,
                                                                             Rng(90_209)))]
    if missing:
        return False, f"no ValueError for alpha = {missing}"
    return True, "ValueError for alpha <= 0"


# --------------------------------------------------------------------------- fl-median
def median_matches(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(90_301)
    for n, d in ((5, 4), (6, 3), (1, 2)):
        updates = rng.normal(size=(n, d)).round(3)
        got = as_array(remote.call("median_aggregate", [u for u in updates]), (d,), "median_aggregate(...)")
        if not _close(got, np.median(updates, axis=0)):
            return False, f"for {n} clients the result is not the coordinate-wise median (n even: mean of the middle two)"
    return True, "coordinate-wise median, also for an even number of clients"


def median_robust(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(90_302)
    honest = rng.normal(1.0, 0.1, size=(5, 6))
    evil = np.full((2, 6), 1e6)
    got = as_array(remote.call("median_aggregate", [u for u in np.vstack([honest, evil])]), (6,))
    if not (np.all(got >= honest.min(0)) and np.all(got <= honest.max(0))):
        return False, "2 huge updates among 7 moved the result outside the honest clients' range"
    return True, "a minority of huge (Byzantine) updates cannot move it"


def median_validates(remote: Remote) -> tuple[bool, str]:
    if not raises(lambda: remote.call("median_aggregate", [])):
        return False, "no ValueError for an empty list of updates"
    if not raises(lambda: remote.call("median_aggregate", [np.zeros(2), np.zeros(3)])):
        return False, "no ValueError for updates of different shapes"
    return True, "ValueError for an empty list and mismatched shapes"


# --------------------------------------------------------------------------- fl-masks
def reference_masks(seeds: np.ndarray, dim: int) -> np.ndarray:
    """m_u = Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv) mod 2^32 (same definition as secagg.pairwise_masks)."""
    n = seeds.shape[0]
    masks = np.zeros((n, dim), dtype=np.uint64)
    for u in range(n):
        for v in range(u + 1, n):
            r = np.random.default_rng(int(seeds[u, v])).integers(0, MODULUS, size=dim, dtype=np.uint64)
            masks[u] = (masks[u] + r) % MODULUS
            masks[v] = (masks[v] + MODULUS - r) % MODULUS
    return masks


def _seeds(seed: int, n: int) -> np.ndarray:
    s = np.random.default_rng(seed).integers(0, 2**40, size=(n, n))
    return np.triu(s, 1) + np.triu(s, 1).T


def _masks(remote: Remote, seeds: np.ndarray, dim: int) -> np.ndarray:
    got = as_array(remote.call("pairwise_masks", seeds, dim), (seeds.shape[0], dim), "pairwise_masks(...)")
    if np.any(got < 0) or np.any(got >= MODULUS) or np.any(got != np.round(got)):
        raise BadResult("masks must be integers in [0, 2**32)")
    return got


def masks_cancel(remote: Remote) -> tuple[bool, str]:
    for seed, n, dim in ((90_401, 3, 4), (90_402, 6, 9)):
        got = _masks(remote, _seeds(seed, n), dim).astype(np.uint64)
        if np.any(got.sum(axis=0) % MODULUS):
            return False, f"the {n} masks do not sum to 0 modulo 2**32"
    return True, "the masks of all clients sum to 0 modulo 2**32"


def masks_definition(remote: Remote) -> tuple[bool, str]:
    seeds = _seeds(90_403, 4)
    got = _masks(remote, seeds, 5).astype(np.uint64)
    if not np.array_equal(got, reference_masks(seeds, 5)):
        return False, "m_u must be Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv) mod 2**32 with the task's PRG"
    return True, "each mask follows the definition (the server cannot remove it from one update)"


def masks_hidden(remote: Remote) -> tuple[bool, str]:
    seeds = _seeds(90_404, 7)
    got = _masks(remote, seeds, 3).astype(np.uint64)
    if not np.array_equal(got, reference_masks(seeds, 3)):
        return False, "wrong masks for 7 clients"
    return True, "other inputs"


# --------------------------------------------------------------------------- fl-clip
def _clip(u: np.ndarray, c: float) -> np.ndarray:
    norm = float(np.linalg.norm(u))
    return u * (c / norm) if norm > c else u


def clip_scales(remote: Remote) -> tuple[bool, str]:
    got = as_array(remote.call("clip_update", np.array([3.0, 4.0]), 1.0), (2,), "clip_update([3, 4], 1)")
    if not _close(got, np.array([0.6, 0.8])):
        return False, f"clip_update([3, 4], 1) should be [0.6, 0.8], got {got}"
    rng = np.random.default_rng(90_501)
    for c in (0.5, 2.0, 10.0):
        u = rng.normal(size=(3, 4))
        got = as_array(remote.call("clip_update", u, c), (3, 4), "clip_update(...)")
        if not _close(got, _clip(u, c)) or np.linalg.norm(got) > c * (1 + 1e-12):
            return False, f"for C = {c} the result is not u · min(1, C/‖u‖) (norm over all entries, shape kept)"
    return True, "scaled to norm C when longer, unchanged when shorter, shape kept"


def clip_validates(remote: Remote) -> tuple[bool, str]:
    missing = [c for c in (0.0, -1.0) if not raises(lambda c=c: remote.call("clip_update", np.ones(2), c))]
    if missing:
        return False, f"no ValueError for clip_norm = {missing}"
    zero = as_array(remote.call("clip_update", np.zeros(3), 1.0), (3,))
    if not np.array_equal(zero, np.zeros(3)) or not all(math.isfinite(v) for v in zero):
        return False, "a zero update should stay zero (no division by zero)"
    return True, "ValueError for clip_norm <= 0; a zero update stays zero"


CHECKS: tuple[Check, ...] = (
    Check("fl-fedavg", "fedavg_aggregate", (
        Property("weighted mean Σ nᵢ uᵢ / Σ nᵢ", 1.5, fedavg_weighted,
                 "multiply each update by its count, sum, divide by the total count"),
        Property("weighted mean for other inputs", 0.5, fedavg_hidden, "works for any number of clients",
                 visible=False),
        Property("ValueError for empty / mismatched input", 1.0, fedavg_validates,
                 "check len(updates) > 0, equal shapes and one count per update"),
    ), UNIT),
    Check("fl-dirichlet", "dirichlet_partition", (
        Property("a partition: every index exactly once", 1.0, dirichlet_is_partition,
                 "split each class's shuffled indices at floor(cumsum(p) · n_c); keep the remainder"),
        Property("alpha controls the label skew", 1.0, dirichlet_alpha_controls_skew,
                 "draw p ~ rng.dirichlet([alpha] * n_clients) for every class"),
        Property("moderate skew at alpha = 1; reproducible through rng", 0.5, dirichlet_hidden,
                 "use only the rng argument for randomness", visible=False),
        Property("ValueError for alpha <= 0", 0.5, dirichlet_validates, "validate alpha first"),
    ), UNIT),
    Check("fl-median", "median_aggregate", (
        Property("coordinate-wise median", 1.0, median_matches, "np.median(np.stack(updates), axis=0)"),
        Property("resists a Byzantine minority", 0.5, median_robust, "the median of each coordinate",
                 visible=False),
        Property("ValueError for empty / mismatched input", 0.5, median_validates,
                 "check the list is non-empty and the shapes agree"),
    ), UNIT),
    Check("fl-masks", "pairwise_masks", (
        Property("masks sum to 0 mod 2**32", 1.0, masks_cancel,
                 "for u < v add PRG(s_uv) to client u's mask and subtract it from client v's"),
        Property("masks follow the definition", 1.5, masks_definition,
                 "PRG(s) = np.random.default_rng(int(s)).integers(0, 2**32, size=dim, dtype=np.uint64)"),
        Property("masks for other inputs", 0.5, masks_hidden, "any number of clients", visible=False),
    ), UNIT),
    Check("fl-clip", "clip_update", (
        Property("Δ · min(1, C/‖Δ‖)", 1.5, clip_scales, "norm = np.linalg.norm(update) over all entries"),
        Property("ValueError for C <= 0; zero update stays zero", 0.5, clip_validates,
                 "validate clip_norm; only scale when the norm exceeds C"),
    ), UNIT),
)
