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

Judgment tasks (6, 7) are graded by properties of the student's choices in the harness's **own**
simulations: ``fl-defence`` (the rule's guarantee covers the attackers; final accuracy of the package's
numpy federated engine with sign-flipping attackers vs clean FedAvg; the cost of the defence without
attackers) and ``fl-flag`` (every attacker of a round the harness builds is flagged, at most one honest
client). Both are deterministic given the seeds; their calibration is stated next to the code.

Secret inputs. Every hidden property draws its data, parameters and ``Rng`` seeds from
``secret_rng``/``secret_seed`` with a tag ``"09/<grade_id>/<property>"``, so a table replaying answers
recorded from the public package cannot match them under a course key. The Dirichlet thresholds hold
over random seeds (above), hence for any key; the judgment margins are > 5 standard deviations
(fl-defence) or fixed geometric gaps (fl-flag), measured over fresh seeds by the tests.
"""
from __future__ import annotations

import math

import numpy as np

from mlops_course.grading.checks import (
    BadResult,
    Check,
    ManualQuestion,
    Property,
    Remote,
    Rng,
    as_array,
    raises,
    secret_rng,
    secret_seed,
)

__all__ = ["CHECKS", "MANUAL", "UNIT", "ALPHA_TOTAL", "reference_masks", "simulate_defence", "flag_scenario"]

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
            return False, (f"{n} clients with example counts {counts.tolist()}: the aggregate should weight each update "
                           f"by its share of the examples, expected {np.round(want[:3], 4)}..., got {np.round(got[:3], 4)}...")
    return True, "weighted by example counts: Σ nᵢ uᵢ / Σ nᵢ"


def fedavg_weighted(remote: Remote) -> tuple[bool, str]:
    ups = [np.array([0.0, 0.0]), np.array([3.0, 6.0])]
    got = as_array(remote.call("fedavg_aggregate", ups, [2, 1]), (2,), "fedavg_aggregate(...)")
    if not _close(got, np.array([1.0, 2.0])):
        return False, f"updates [0, 0] (2 examples) and [3, 6] (1 example) should give [1, 2], got {got}"
    return _fedavg_cases(remote, 90_101)


def fedavg_hidden(remote: Remote) -> tuple[bool, str]:
    return _fedavg_cases(remote, secret_seed("09/fl-fedavg/hidden"))


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
    labels = _labels(secret_seed("09/fl-dirichlet/hidden/labels"))
    seed, other_seed = secret_seed("09/fl-dirichlet/hidden/rng"), secret_seed("09/fl-dirichlet/hidden/rng2")
    parts = _parts(remote.call("dirichlet_partition", labels, 10, 1.0, Rng(seed)), 10)
    skew = _skew(labels, parts)
    if not 0.15 < skew < 0.55:
        return False, f"alpha = 1 should give moderate label skew (about 0.33), got {skew:.2f}"
    again = _parts(remote.call("dirichlet_partition", labels, 10, 1.0, Rng(seed)), 10)
    other = _parts(remote.call("dirichlet_partition", labels, 10, 1.0, Rng(other_seed)), 10)
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
        want = np.median(updates, axis=0)
        if not _close(got, want):
            return False, (f"{n} clients, first coordinate values {sorted(updates[:, 0].tolist())}: the median of that "
                           f"coordinate is {want[0]:.4g}{' (n even: the mean of the two middle values)' if n % 2 == 0 else ''}, "
                           f"got {got[0]:.4g}")
    return True, "coordinate-wise median, also for an even number of clients"


def median_robust(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("09/fl-median/hidden-robust")
    honest = rng.normal(1.0, 0.1, size=(5, 6))
    evil = np.full((2, 6), float(rng.choice([-1.0, 1.0])) * 10.0 ** float(rng.uniform(3, 7)))
    got = as_array(remote.call("median_aggregate", [u for u in np.vstack([honest, evil])]), (6,))
    if not (np.all(got >= honest.min(0)) and np.all(got <= honest.max(0))):
        return False, (f"2 updates of {evil[0, 0]:.3g} among 5 honest ones near 1.0 moved the result to "
                       f"{np.round(got, 3)}, outside the honest range: 2 of 7 attackers must not control the aggregate")
    return True, "a minority of huge (Byzantine) updates cannot move it"


def median_validates(remote: Remote) -> tuple[bool, str]:
    if not raises(lambda: remote.call("median_aggregate", [])):
        return False, "no ValueError for an empty list of updates"
    if not raises(lambda: remote.call("median_aggregate", [np.zeros(2), np.zeros(3)])):
        return False, "no ValueError for updates of different shapes"
    return True, "ValueError for an empty list and mismatched shapes"


# --------------------------------------------------------------------------- fl-masks
def reference_masks(seeds: np.ndarray, dim: int) -> np.ndarray:
    """m_u = Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv) mod 2^32 (same definition as secagg.pairwise_masks).

    ``PRG(s)`` is ``numpy.random.default_rng(s).integers(0, 2**32, size=dim)``. Each pair's
    stream is added by one client and subtracted by the other, so the masks of all clients sum
    to 0 mod 2^32 and cancel in the server's sum.

    Parameters
    ----------
    seeds : numpy.ndarray
        Pairwise seeds, shape (n, n); only the upper triangle ``seeds[u, v]`` (u < v) is read.
    dim : int
        Length of each mask (the model's number of parameters).

    Returns
    -------
    numpy.ndarray
        Masks, shape (n, dim), dtype uint64, entries in ``[0, 2^32)``.

    Examples
    --------
    >>> masks = reference_masks(np.array([[0, 11, 12], [0, 0, 13], [0, 0, 0]]), 4)
    >>> masks.shape, (masks.sum(axis=0) % MODULUS).tolist()
    ((3, 4), [0, 0, 0, 0])
    """
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
            return False, (f"{n} clients, dim {dim}: the masks' column sums modulo 2**32 are "
                           f"{(got.sum(axis=0) % MODULUS)[:3].tolist()}..., they must all be 0 so the server recovers the sum")
    return True, "the masks of all clients sum to 0 modulo 2**32"


def masks_definition(remote: Remote) -> tuple[bool, str]:
    seeds = _seeds(90_403, 4)
    got = _masks(remote, seeds, 5).astype(np.uint64)
    want = reference_masks(seeds, 5)
    if not np.array_equal(got, want):
        rows = [u for u in range(4) if not np.array_equal(got[u], want[u])]
        return False, (f"4 clients, dim 5: the masks of clients {rows} differ from m_u = Σ_v>u PRG(s_uv) − Σ_v<u PRG(s_uv) "
                       f"mod 2**32 (client {rows[0]}: expected {want[rows[0], :2].tolist()}..., got "
                       f"{got[rows[0], :2].astype(np.int64).tolist()}...)")
    return True, "each mask follows the definition (the server cannot remove it from one update)"


def masks_hidden(remote: Remote) -> tuple[bool, str]:
    seeds = _seeds(secret_seed("09/fl-masks/hidden"), 7)
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


# --------------------------------------------------------------------------- fl-defence (judgment)
# The student picks a server-side aggregation rule and its parameters for a stated number of clients,
# attackers and non-IID level α. The harness runs its own federated simulation (the package's numpy
# engine on the digits task: 20 clients, Dirichlet(α) label skew, 10 rounds, the attackers send −γ
# times their honest update) and compares the final test accuracy with clean FedAvg (no attackers) on
# the same partition and seed. With attackers the choice must keep >= DEFENCE_KEEP of it; without
# attackers a defence must cost little (>= DEFENCE_KEEP_CLEAN). Calibration (3 seeds per cell,
# α in {0.5, 1, 2}, 0-5 attackers of 20): Multi-Krum with f = #attackers and m = n − f keeps 0.81-1.0
# (>= 0.93 for <= 3 attackers), FedAvg 0.11-0.32 under attack, median / trimmed mean 0.35-0.86 at
# α <= 1, Krum (m = 1) and Multi-Krum with m = 2 about 0.5, and without attackers median keeps 0.67-0.95.
# The hidden property uses 5 attackers at α in [1.5, 2.5] (the solution keeps 0.91-1.0 over 8 seeds),
# 2-3 attackers at α in [0.7, 2] (0.875-1.0 over 30 scenarios: mean 0.96, sd 0.036, so the 0.75 limit is
# > 5 sd away) and a clean federation at α in [0.5, 1], where a defence "just in case" (Multi-Krum
# f = 4) keeps only 0.70-0.91 of FedAvg.
DEFENCE_CLIENTS = 20
DEFENCE_ROUNDS = 10
DEFENCE_KEEP = 0.75
DEFENCE_KEEP_CLEAN = 0.95
AGGREGATOR_OPTIONS = {"fedavg": (), "median": (), "trimmed_mean": ("beta",), "krum": ("n_malicious",),
                      "multi_krum": ("n_malicious", "n_selected"), "norm_clip": ("max_norm",)}


def _defence_choice(value: object, what: str) -> tuple[str, dict]:
    if not isinstance(value, dict) or not isinstance(value.get("aggregator"), str):
        raise BadResult(f"{what} should return a dict like {{'aggregator': name, <option>: value}}, "
                        f"got {type(value).__name__}")
    name = value["aggregator"]
    if name not in AGGREGATOR_OPTIONS:
        raise BadResult(f"{what}: aggregator must be one of {sorted(AGGREGATOR_OPTIONS)}, got {name!r}")
    options = {k: v for k, v in value.items() if k != "aggregator"}
    unknown = sorted(set(options) - set(AGGREGATOR_OPTIONS[name]))
    if unknown:
        raise BadResult(f"{what}: {name} takes the options {list(AGGREGATOR_OPTIONS[name])}, got {unknown}")
    for key, v in options.items():
        kind = float if key in ("beta", "max_norm") else int
        if type(v) not in ((int, float) if kind is float else (int,)) or isinstance(v, bool):
            raise BadResult(f"{what}: option {key} should be {'a number' if kind is float else 'an int'}, got {v!r}")
    return name, options


def _tolerates(name: str, options: dict, n: int, f: int) -> tuple[bool, str]:
    """Whether the rule's own guarantee covers f Byzantine clients among n (no simulation)."""
    if f == 0:
        return True, "no attackers"
    if name == "fedavg" or name == "norm_clip":
        return False, f"{name} lets every client move the average: {f} attackers are not tolerated by design"
    if name == "median":
        return (f < n / 2), f"the median tolerates fewer than n/2 = {n / 2:g} attackers"
    if name == "trimmed_mean":
        k = int(options.get("beta", 0.2) * n)
        return k >= f, f"β = {options.get('beta', 0.2)} trims k = ⌊βn⌋ = {k} values per side; {f} attackers need k >= {f}"
    assumed = int(options.get("n_malicious", 1))
    if assumed < f:
        return False, f"{name} assumes n_malicious = {assumed} attackers, but there are {f}"
    if n <= 2 * assumed + 2:
        return False, f"{name} needs n > 2·n_malicious + 2 (n = {n}, n_malicious = {assumed})"
    if name == "multi_krum":
        m = int(options.get("n_selected", n - assumed))
        if m > n - f:
            return False, f"multi_krum averages n_selected = {m} updates, more than the {n - f} honest ones"
    return True, f"{name}'s guarantee covers {f} attackers among {n}"


def simulate_defence(name: str, options: dict, n_attackers: int, alpha: float, seed: int,
                     boost: float) -> tuple[float, float]:
    """``(accuracy with the chosen rule under attack, clean FedAvg accuracy)`` in the harness's own simulation.

    Both runs use the package's numpy engine on the digits task: ``DEFENCE_CLIENTS`` clients with
    a Dirichlet(α) label split, ``DEFENCE_ROUNDS`` rounds of one local epoch (batch 16, lr 0.1).
    The attacked run aggregates with the student's rule while ``n_attackers`` clients (chosen
    from ``seed``) send sign-flipped updates scaled by ``boost``. Takes seconds, not milliseconds.

    Parameters
    ----------
    name : str
        Aggregator name for :func:`~mlops_course.privacy.fl.aggregators.get_aggregator`
        (``"median"``, ``"trimmed_mean"``, ...).
    options : dict
        Keyword arguments of that aggregator (``{"trim": 0.2}``).
    n_attackers : int
        Number of malicious clients, ``0..DEFENCE_CLIENTS`` (0: no attack).
    alpha : float
        Dirichlet concentration of the label split (> 0; small = very non-IID).
    seed : int
        Seed of the partition, the training and the choice of attackers.
    boost : float
        Scale of the sign-flip attack (:class:`~mlops_course.privacy.fl.attacks.SignFlip`).

    Returns
    -------
    attacked : float
        Final test accuracy with the chosen rule under attack, in [0, 1].
    clean : float
        Final test accuracy of plain FedAvg without attackers, in [0, 1].

    Raises
    ------
    ValueError
        From the package when ``name`` or ``options`` do not describe a known aggregator.
    """
    from mlops_course.privacy.fl.aggregators import get_aggregator
    from mlops_course.privacy.fl.attacks import SignFlip
    from mlops_course.privacy.fl.engine import run_federated
    from mlops_course.privacy.fl.task import TrainConfig, client_partitions, load_digits_task

    data = load_digits_task(seed=0)
    config = TrainConfig(epochs=1, batch_size=16, lr=0.1)
    parts = client_partitions(data, DEFENCE_CLIENTS, "dirichlet", alpha=alpha, seed=seed)
    clean = run_federated(data, parts, rounds=DEFENCE_ROUNDS, config=config, seed=seed).final_accuracy
    attackers = list(np.random.default_rng([seed, 7]).choice(DEFENCE_CLIENTS, n_attackers, replace=False))
    run = run_federated(data, parts, rounds=DEFENCE_ROUNDS, config=config, seed=seed,
                        aggregator=get_aggregator(name, **options), malicious=[int(a) for a in attackers],
                        attack=SignFlip(boost) if n_attackers else None)
    return float(run.final_accuracy), float(clean)


def _judge_defence(remote: Remote, n_attackers: int, alpha: float, seed: int, boost: float) -> tuple[bool, str]:
    what = f"choose_defence(n_clients={DEFENCE_CLIENTS}, n_attackers={n_attackers}, alpha={alpha})"
    name, options = _defence_choice(remote.call("choose_defence", DEFENCE_CLIENTS, n_attackers, alpha), what)
    try:
        acc, clean = simulate_defence(name, options, n_attackers, alpha, seed, boost)
    except ValueError as exc:
        return False, f"{what} chose {name} {options}, which the server cannot run here: {exc}"
    keep = DEFENCE_KEEP if n_attackers else DEFENCE_KEEP_CLEAN
    label = f"{name} {options}" if options else name
    if acc < keep * clean:
        cause = (f"{n_attackers} sign-flipping attackers (boost {boost:.3g})" if n_attackers
                 else "no attackers: the defence's own cost on non-IID data")
        return False, (f"{what} chose {label}: final test accuracy {acc:.3f} with {cause}, but it should keep at "
                       f"least {keep:g} × the clean FedAvg accuracy {clean:.3f} = {keep * clean:.3f}")
    return True, f"{label}: accuracy {acc:.3f} vs clean FedAvg {clean:.3f} ({n_attackers} attackers, α = {alpha})"


def defence_tolerates(remote: Remote) -> tuple[bool, str]:
    for f in (2, 4):
        what = f"choose_defence(n_clients={DEFENCE_CLIENTS}, n_attackers={f}, alpha=1.0)"
        name, options = _defence_choice(remote.call("choose_defence", DEFENCE_CLIENTS, f, 1.0), what)
        ok, why = _tolerates(name, options, DEFENCE_CLIENTS, f)
        if not ok:
            return False, f"{what} chose {name} {options}: {why}"
    return True, "the chosen rules' guarantees cover 2 and 4 attackers among 20"


def defence_under_attack(remote: Remote) -> tuple[bool, str]:
    return _judge_defence(remote, 3, 1.0, seed=90_601, boost=5.0)


def defence_no_attack(remote: Remote) -> tuple[bool, str]:
    return _judge_defence(remote, 0, 1.0, seed=90_602, boost=5.0)


def defence_hidden(remote: Remote) -> tuple[bool, str]:
    gen = secret_rng("09/fl-defence/hidden")
    # a quarter of the clients (5 of 20) on milder skew, then 2-3 attackers on any skew
    for n_attackers, alpha in ((5, round(float(gen.uniform(1.5, 2.5)), 2)),
                               (int(gen.integers(2, 4)), round(float(gen.uniform(0.7, 2.0)), 2))):
        what = f"choose_defence(n_clients={DEFENCE_CLIENTS}, n_attackers={n_attackers}, alpha={alpha})"
        name, options = _defence_choice(remote.call("choose_defence", DEFENCE_CLIENTS, n_attackers, alpha), what)
        ok, why = _tolerates(name, options, DEFENCE_CLIENTS, n_attackers)
        if not ok:
            return False, f"{what} chose {name} {options}: {why}"
        ok, message = _judge_defence(remote, n_attackers, alpha, seed=int(gen.integers(1, 2**31)),
                                     boost=round(float(gen.uniform(3.0, 8.0)), 2))
        if not ok:
            return False, message
    alpha = round(float(gen.uniform(0.5, 1.0)), 2)  # strong skew: where robustness costs most
    ok, message = _judge_defence(remote, 0, alpha, seed=int(gen.integers(1, 2**31)), boost=1.0)
    if not ok:
        return False, message
    return True, "2 other attacks and a clean federation: accurate enough each time"


# --------------------------------------------------------------------------- fl-flag (judgment)
# The student flags suspicious client updates of one round. The harness builds the round itself:
# 20 clients on a Dirichlet(α) split of the digits task train locally (one epoch) from a model warmed
# up by 3 FedAvg rounds; the attackers send −γ times the honest clients' mean update (a coordinated
# sign flip, γ in [1.5, 5]) or random noise γ times longer than the median honest update (γ in [3.5, 6]); finally every update is multiplied by one
# common factor 10^U(−2, 2), so a fixed norm threshold cannot work. Required: every attacker
# flagged, at most FLAG_FALSE_POSITIVES honest clients flagged. Calibration of honest rounds
# (α in {0.5, 1, 2}): cosine with the coordinate-wise median 0.01-0.74, norm / median norm
# 0.42-2.0 (80 rounds: cosine >= -0.06); the attacks have cosine about -0.9 (sign flip) or norm
# >= 3.5 × the median (noise).
FLAG_CLIENTS = 20
FLAG_FALSE_POSITIVES = 1


def flag_scenario(gen: np.random.Generator, n_attackers: int, attack: str) -> tuple[np.ndarray, list[int]]:
    """``(updates (n, d), attacker ids)`` of one round built from the package's numpy FL task.

    ``FLAG_CLIENTS`` clients (Dirichlet split with α ~ U(0.5, 2)) train one local epoch from the
    model after 3 FedAvg rounds; their honest updates are real. Each attacker's update is then
    replaced: ``"sign_flip"`` sends ``−c ·`` (mean honest update) with c ~ U(1.5, 5), any other
    value sends a random direction with norm U(3.5, 6) × the median honest norm. Finally all
    updates are multiplied by one factor 10^U(−2, 2), so a fixed norm threshold cannot work.

    Parameters
    ----------
    gen : numpy.random.Generator
        Source of the seed, the split, the attackers and the attacks.
    n_attackers : int
        Number of attackers, ``0..FLAG_CLIENTS``.
    attack : {"sign_flip", "noise"}
        Kind of malicious update (anything but ``"sign_flip"`` means ``"noise"``).

    Returns
    -------
    updates : numpy.ndarray
        Updates of the round, shape (FLAG_CLIENTS, number of model parameters).
    attackers : list of int
        The attackers' client indices, sorted.
    """
    from mlops_course.privacy.fl.engine import run_federated
    from mlops_course.privacy.fl.task import (
        TrainConfig,
        client_partitions,
        flatten,
        initial_params,
        load_digits_task,
        local_train,
        unflatten,
    )

    data = load_digits_task(seed=0)
    config = TrainConfig(epochs=1, batch_size=16, lr=0.1)
    seed = int(gen.integers(1, 2**31))
    alpha = float(gen.uniform(0.5, 2.0))
    parts = client_partitions(data, FLAG_CLIENTS, "dirichlet", alpha=alpha, seed=seed)
    start = run_federated(data, parts, rounds=3, config=config, seed=seed, keep_weights=True).weights[-1]
    params = unflatten(start, initial_params(data, config, seed))
    updates = np.array([flatten(local_train(params, data.X_train[p], data.y_train[p], config,
                                            np.random.default_rng([seed, 100 + i]))) - start
                        for i, p in enumerate(parts)])
    attackers = sorted(int(a) for a in gen.choice(FLAG_CLIENTS, n_attackers, replace=False))
    median_norm = float(np.median(np.linalg.norm(updates, axis=1)))
    honest_mean = np.delete(updates, attackers, axis=0).mean(axis=0)
    for a in attackers:
        if attack == "sign_flip":  # coordinated: push against the round's honest direction
            updates[a] = -float(gen.uniform(1.5, 5.0)) * honest_mean
        else:
            noise = gen.normal(size=updates.shape[1])
            updates[a] = noise / np.linalg.norm(noise) * median_norm * float(gen.uniform(3.5, 6.0))
    return updates * 10.0 ** float(gen.uniform(-2.0, 2.0)), attackers


def _flagged(value: object, what: str) -> list[int]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list) or not all(type(v) in (int, bool) or (type(v) is float and v == int(v))
                                              for v in value):
        raise BadResult(f"{what} should return a list of client indices (ints)")
    if value and all(type(v) is bool for v in value):
        raise BadResult(f"{what} should return client indices, not a boolean mask")
    out = sorted({int(v) for v in value})
    if out and (out[0] < 0 or out[-1] >= FLAG_CLIENTS):
        raise BadResult(f"{what} returned indices outside 0..{FLAG_CLIENTS - 1}: {out}")
    return out


def _judge_flags(remote: Remote, updates: np.ndarray, attackers: list[int], label: str) -> tuple[bool, str]:
    what = f"flag_suspicious({label}: {updates.shape[0]} updates of {updates.shape[1]} numbers, {len(attackers)} attackers)"
    flagged = _flagged(remote.call("flag_suspicious", updates), what)
    missed = sorted(set(attackers) - set(flagged))
    false = sorted(set(flagged) - set(attackers))
    if missed:
        return False, (f"{what} flagged {flagged}: it missed {len(missed)} of the {len(attackers)} attackers "
                       f"(every attacker must be flagged)")
    if len(false) > FLAG_FALSE_POSITIVES:
        return False, (f"{what} flagged {len(flagged)} clients, {len(false)} of them honest: at most "
                       f"{FLAG_FALSE_POSITIVES} honest client may be flagged (non-IID clients differ legitimately)")
    return True, f"{label}: all {len(attackers)} attackers flagged, {len(false)} honest client(s) flagged"


def flag_visible(remote: Remote) -> tuple[bool, str]:
    gen = np.random.default_rng(90_701)
    updates, attackers = flag_scenario(gen, 3, "sign_flip")
    return _judge_flags(remote, updates, attackers, "sign flip")


def flag_clean(remote: Remote) -> tuple[bool, str]:
    gen = np.random.default_rng(90_702)
    updates, attackers = flag_scenario(gen, 0, "sign_flip")
    return _judge_flags(remote, updates, attackers, "no attack")


def flag_hidden(remote: Remote) -> tuple[bool, str]:
    gen = secret_rng("09/fl-flag/hidden")
    for attack in ("noise", "sign_flip"):
        updates, attackers = flag_scenario(gen, int(gen.integers(2, 5)), attack)
        ok, message = _judge_flags(remote, updates, attackers, f"hidden {attack}")
        if not ok:
            return False, message
    return True, "other rounds, scales and attacks (sign flip, boosted noise)"

CHECKS: tuple[Check, ...] = (
    Check("fl-fedavg", "fedavg_aggregate", (
        Property("weighted mean Σ nᵢ uᵢ / Σ nᵢ", 1.5, fedavg_weighted,
                 "a client with more examples should count for more: weight by its share of all examples"),
        Property("weighted mean for other inputs", 0.5, fedavg_hidden, "works for any number of clients",
                 visible=False),
        Property("ValueError for empty / mismatched input", 1.0, fedavg_validates,
                 "a server must refuse a round it cannot average: no updates, different shapes, missing counts"),
    ), UNIT),
    Check("fl-dirichlet", "dirichlet_partition", (
        Property("a partition: every index exactly once", 1.0, dirichlet_is_partition,
                 "rounding the cut points must neither drop nor duplicate examples"),
        Property("alpha controls the label skew", 1.0, dirichlet_alpha_controls_skew,
                 "each class's proportions over the clients come from a Dirichlet(α) draw: small α concentrates "
                 "a class on few clients"),
        Property("moderate skew at alpha = 1; reproducible through rng", 0.5, dirichlet_hidden,
                 "all randomness must come from the generator you are given", visible=False),
        Property("ValueError for alpha <= 0", 0.5, dirichlet_validates,
                 "a Dirichlet concentration must be positive"),
    ), UNIT),
    Check("fl-median", "median_aggregate", (
        Property("coordinate-wise median", 1.0, median_matches,
                 "take the median of each coordinate separately, over the clients"),
        Property("resists a Byzantine minority", 0.5, median_robust,
                 "a rank statistic ignores how far the extreme values are", visible=False),
        Property("ValueError for empty / mismatched input", 0.5, median_validates,
                 "refuse a round with no updates or updates of different shapes"),
    ), UNIT),
    Check("fl-masks", "pairwise_masks", (
        Property("masks sum to 0 mod 2**32", 1.0, masks_cancel,
                 "each pair's random vector must be added by one client and subtracted by the other"),
        Property("masks follow the definition", 1.5, masks_definition,
                 "both clients of a pair expand the same shared seed with the PRG of the task"),
        Property("masks for other inputs", 0.5, masks_hidden, "any number of clients", visible=False),
    ), UNIT),
    Check("fl-clip", "clip_update", (
        Property("Δ · min(1, C/‖Δ‖)", 1.5, clip_scales,
                 "clipping bounds the L2 norm of the whole update and keeps its direction"),
        Property("ValueError for C <= 0; zero update stays zero", 0.5, clip_validates,
                 "a norm bound must be positive; an update already inside the ball is left alone"),
    ), UNIT),
    Check("fl-defence", "choose_defence", (
        Property("the rule's guarantee covers the stated attackers", 0.5, defence_tolerates,
                 "each robust rule tolerates a bounded number of attackers, set by its parameter"),
        Property("keeps accuracy under a sign-flip attack (3 of 20, α = 1)", 1.0, defence_under_attack,
                 "on non-IID data, coordinate-wise rules and single-update selection discard honest "
                 "information too; compare rules in a simulation before you choose"),
        Property("costs little without attackers", 0.5, defence_no_attack,
                 "robustness has a price on non-IID data: pay it only when there are attackers"),
        Property("5 and 2-3 attackers, and a clean federation", 2.0, defence_hidden,
                 "your choice must follow the number of attackers and the skew you are given", visible=False),
    ), UNIT),
    Check("fl-flag", "flag_suspicious", (
        Property("flags every sign-flipping attacker, at most one honest client", 1.0, flag_visible,
                 "compare each update with a robust reference of the round (direction and size), "
                 "not with fixed numbers"),
        Property("flags (almost) nobody when nobody attacks", 0.5, flag_clean,
                 "non-IID clients differ legitimately: a threshold must leave room for that"),
        Property("other rounds, scales and attacks", 1.5, flag_hidden,
                 "the updates' overall scale changes from round to round; attackers may also send long noise",
                 visible=False),
    ), UNIT),
)

MANUAL: tuple[ManualQuestion, ...] = (
    ManualQuestion("fl-interpret", 4, UNIT, "the price and the limits of robust aggregation"),
)
