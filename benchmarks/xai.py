"""Shapley-value estimators: our exact enumeration and KernelSHAP vs shap's KernelExplainer.

Run from the repository root::

    python benchmarks/xai.py                   # loan data (13 features), 10 instances, background 30
    python benchmarks/xai.py --instances 5 --background 50

Every row explains the same instances of the same model (a 150-tree gradient-boosting classifier
on the Boston loan data, output = approval probability) against the same background rows, with
the same interventional value function. The reference is our exact enumeration of all 2^13
coalitions, which equals ``shap.explainers.Exact`` (tested in tests/explain). Reported: wall
time for all instances (best of ``--repeat``), time ratio vs shap.KernelExplainer with the same
number of coalitions, and the maximum absolute error of any Shapley value vs the exact ones.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np


def best_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Best wall-clock time of ``repeat`` calls and the last result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--background", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    import shap
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    from mlops_course import setup_course
    from mlops_course.datasets import load_loanapp
    from mlops_course.explain import exact_shapley, kernel_shap

    setup_course(plots=False)
    data = load_loanapp()
    X, y = data.X.to_numpy(), data.y
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    model = GradientBoostingClassifier(n_estimators=150, max_depth=3, learning_rate=0.05, random_state=0)
    model.fit(X_train, y_train)
    f = lambda Z: model.predict_proba(Z)[:, 1]  # noqa: E731
    background = X_train[np.random.default_rng(0).choice(len(X_train), args.background, replace=False)]
    rows = X_test[: args.instances]
    m = X.shape[1]

    t_exact, exact = best_time(lambda: exact_shapley(f, rows, background), args.repeat)
    results = [(f"ours exact (all 2^{m} = {2**m} coalitions)", 2**m, t_exact, 0.0, None)]
    shap_times: dict[int, float] = {}
    for n in (200, 1000, 2 * m + 2048):
        def run_shap(n=n):
            np.random.seed(0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                explainer = shap.KernelExplainer(f, background)
                return explainer.shap_values(rows, nsamples=n, l1_reg=False, silent=True)
        t_shap, sv = best_time(run_shap, args.repeat)
        shap_times[n] = t_shap
        t_ours, est = best_time(lambda n=n: kernel_shap(f, rows, background, n_coalitions=n,
                                                        rng=np.random.default_rng(0)), args.repeat)
        results.append((f"ours kernel_shap, {n} coalitions", n, t_ours, float(np.abs(est.values - exact.values).max()), n))
        results.append((f"shap.KernelExplainer, nsamples={n}", n, t_shap, float(np.abs(sv - exact.values).max()), n))

    print(f"# XAI benchmark {_dt.date.today()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} CPUs · Python {sys.version.split()[0]} · shap {shap.__version__}")
    print(f"# model: GradientBoosting (150 trees) on loanapp, {m} features; {len(rows)} instances; "
          f"background {len(background)} rows; best of {args.repeat}")
    print()
    print(f"| {'estimator':<45} | {'coalitions':>10} | {'time (s)':>9} | {'vs shap Kernel (same n)':>23} | "
          f"{'max |error| vs exact':>20} |")
    print(f"|{'-' * 47}|{'-' * 12}:|{'-' * 10}:|{'-' * 24}:|{'-' * 21}:|")
    for name, n, t, err, ref in results:
        ratio = "—" if ref is None else f"{shap_times[ref] / t:.2f}x faster" if t < shap_times[ref] else \
            f"{t / shap_times[ref]:.2f}x slower"
        if name.startswith("shap"):
            ratio = "1.00x (reference)"
        print(f"| {name:<45} | {n:>10} | {t:>9.3f} | {ratio:>23} | {err:>20.2e} |")


if __name__ == "__main__":
    main()
