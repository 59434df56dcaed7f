"""Federated learning: the numpy engine at scale, and Flower's overhead on the same task.

Run from the repository root::

    python benchmarks/fl.py                 # both parts (the Flower part takes ~20-40 s)
    python benchmarks/fl.py --skip-flower
    python benchmarks/fl.py --attack        # also 3. (with --skip-flower: its numpy half only)

1. **Scale**: the numpy engine (:func:`mlops_course.privacy.fl.engine.run_federated`) trains softmax
   regression on scikit-learn's digits split IID among 1,000 clients for 100 rounds, once with
   10% of the clients per round (the FedAvg paper's C = 0.1) and once with every client every round
   (100,000 local trainings). Goal: 1,000 clients × 100 rounds in under 10 s.
2. **Flower's overhead**: the same 10-client, 5-round task in the numpy engine and in Flower's
   Simulation Engine (:func:`mlops_course.privacy.fl.flower_sim.run_flower_simulation`, Ray
   actors, engine start-up included); the ratio is Flower's wall time / numpy's. Both end with the
   same weights (the maximum difference is printed).
3. **Accuracy under attack** (``--attack``): 2 of 7 IID clients flip the sign of their update and
   boost it 5× (:class:`~mlops_course.privacy.fl.attacks.SignFlip`); test accuracy after 5 rounds
   with FedAvg and the robust rules — coordinate-wise median, trimmed mean (β = 0.3), Krum and
   Multi-Krum (f = 2), norm clipping — in the numpy engine and, in ONE Flower simulation session,
   with Flower's built-in FedAvg / FedMedian / FedTrimmedAvg / Krum / MultiKrum
   (:func:`~mlops_course.privacy.fl.flower_sim.compare_flower_strategies`). The last column is
   the largest difference between the two engines' global weights, relative to their size.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import time

import numpy as np

from mlops_course.privacy.fl.aggregators import get_aggregator
from mlops_course.privacy.fl.attacks import untargeted_attack
from mlops_course.privacy.fl.engine import run_federated
from mlops_course.privacy.fl.task import TrainConfig, client_partitions, load_digits_task


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-flower", action="store_true")
    parser.add_argument("--attack", action="store_true", help="also the accuracy-under-attack table")
    args = parser.parse_args()
    print(f"# {_dt.date.today()} · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs · "
          f"Python {platform.python_version()} · numpy {np.__version__}")
    data = load_digits_task(0)
    cfg = TrainConfig(epochs=1, batch_size=16, lr=0.2)
    parts = client_partitions(data, 1000, "iid", seed=0)
    rows = []
    for fraction in (0.1, 1.0):
        secs, h = timed(lambda f=fraction: run_federated(data, parts, rounds=100, config=cfg, fraction=f, seed=0))
        trainings = sum(len(c) for c in h.clients)
        rows.append((f"numpy engine, 1,000 clients × 100 rounds, {fraction:.0%} per round", secs,
                     f"{trainings:,} local trainings, accuracy {h.final_accuracy:.3f}"))
    small_cfg = TrainConfig(epochs=1, batch_size=32, lr=0.2)
    small = client_partitions(data, 10, "iid", seed=0)
    np_secs, ours = timed(lambda: run_federated(data, small, rounds=5, config=small_cfg, seed=0, keep_weights=True))
    rows.append(("numpy engine, 10 clients × 5 rounds", np_secs, f"accuracy {ours.final_accuracy:.3f}"))
    if not args.skip_flower:
        from mlops_course.privacy.fl.flower_sim import run_flower_simulation

        fl_secs, flower = timed(lambda: run_flower_simulation(10, 5, config=small_cfg, seed=0, num_cpus=2))
        gap = max(float(np.abs(a - b).max()) for a, b in zip(flower.weights, ours.weights, strict=True))
        rows.append(("Flower simulation, 10 clients × 5 rounds", fl_secs,
                     f"ratio Flower / numpy = {fl_secs / np_secs:,.0f}×; max weight difference {gap:.1e}"))
    print("| run | seconds | notes |")
    print("| --- | ---: | --- |")
    for name, secs, note in rows:
        print(f"| {name} | {secs:.2f} | {note} |")
    if args.attack:
        attack_table(flower=not args.skip_flower)


#: (label, numpy aggregator, Flower strategy or None): f = 2 for Krum, β = 0.3 trims 2 of 7 per side
ROBUST = (("FedAvg", "fedavg", "fedavg"), ("coordinate median", "median", "median"),
          ("trimmed mean β=0.3", get_aggregator("trimmed_mean", beta=0.3), "trimmed_mean"),
          ("Krum f=2", get_aggregator("krum", n_malicious=2), "krum"),
          ("Multi-Krum f=2, m=5", get_aggregator("multi_krum", n_malicious=2), "multi_krum"),
          ("norm clipping C=0.5", get_aggregator("norm_clip", max_norm=0.5), None))


def attack_table(n: int = 7, rounds: int = 5, malicious: tuple[int, ...] = (0, 1), boost: float = 5.0,
                 seed: int = 0, flower: bool = True) -> None:
    """Print test accuracy after ``rounds`` rounds under a sign-flip attack, numpy vs Flower."""
    data = load_digits_task(seed)
    parts = client_partitions(data, n, "iid", seed=seed)
    cfg = TrainConfig(epochs=1, batch_size=32, lr=0.2)
    attack = untargeted_attack("sign_flip", boost)
    clean = run_federated(data, parts, rounds=rounds, config=cfg, seed=seed).final_accuracy
    ours = {label: run_federated(data, parts, rounds=rounds, config=cfg, seed=seed, aggregator=agg,
                                 malicious=malicious, attack=attack, keep_weights=True)
            for label, agg, _ in ROBUST}
    theirs, fl_secs = {}, float("nan")
    if flower:
        from mlops_course.privacy.fl.flower_sim import compare_flower_strategies

        names = [name for _, _, name in ROBUST if name]
        fl_secs, theirs = timed(lambda: compare_flower_strategies(
            n, rounds, names, config=cfg, seed=seed, malicious=list(malicious), attack="sign_flip",
            attack_boost=boost, num_malicious=2, trim_beta=0.3))
    print(f"\n## Accuracy under attack: {len(malicious)} of {n} IID clients send −{boost:g}× their update "
          f"(sign flip), {rounds} rounds, seed {seed}; no attack (FedAvg, numpy): {clean:.3f}")
    if flower:
        print(f"Flower: one simulation session for all {len(theirs)} strategies, {fl_secs:.1f} s")
    print("| aggregation | numpy accuracy | Flower strategy | Flower accuracy | max rel. weight difference |")
    print("| --- | ---: | --- | ---: | ---: |")
    cls = {"fedavg": "FedAvg", "median": "FedMedian", "trimmed_mean": "FedTrimmedAvg", "krum": "Krum",
           "multi_krum": "MultiKrum"}
    for label, _, name in ROBUST:
        h = ours[label]
        if name and name in theirs:
            f = theirs[name]
            gap = max(float(np.abs(a - b).max() / max(1.0, np.abs(b).max()))
                      for a, b in zip(f.weights, h.weights, strict=True))
            print(f"| {label} | {h.final_accuracy:.3f} | {cls[name]} | {f.accuracy[-1]:.3f} | {gap:.1e} |")
        else:
            print(f"| {label} | {h.final_accuracy:.3f} | {cls.get(name or '', '—')} | — | — |")


if __name__ == "__main__":
    main()
