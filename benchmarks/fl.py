"""Federated learning: the numpy engine at scale, and Flower's overhead on the same task.

Run from the repository root::

    python benchmarks/fl.py                 # both parts (the Flower part takes ~20-40 s)
    python benchmarks/fl.py --skip-flower

1. **Scale**: the numpy engine (:func:`mlops_course.privacy.fl.engine.run_federated`) trains softmax
   regression on scikit-learn's digits split IID among 1,000 clients for 100 rounds, once with
   10% of the clients per round (the FedAvg paper's C = 0.1) and once with every client every round
   (100,000 local trainings). Goal: 1,000 clients × 100 rounds in under 10 s.
2. **Flower's overhead**: the same 10-client, 5-round task in the numpy engine and in Flower's
   Simulation Engine (:func:`mlops_course.privacy.fl.flower_sim.run_flower_simulation`, Ray
   actors, engine start-up included); the ratio is Flower's wall time / numpy's. Both end with the
   same weights (the maximum difference is printed).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import time

import numpy as np

from mlops_course.privacy.fl.engine import run_federated
from mlops_course.privacy.fl.task import TrainConfig, client_partitions, load_digits_task


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-flower", action="store_true")
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


if __name__ == "__main__":
    main()
