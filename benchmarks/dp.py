"""Throughput of the differential-privacy samplers, as ratios against numpy's float Laplace.

Run from the repository root::

    python benchmarks/dp.py            # 10^6 values per sampler (OpenDP rows take ~1 min)
    python benchmarks/dp.py --n 200000 --repeat 5
    python benchmarks/dp.py --skip-opendp

Every row draws ``n`` noisy values (noise added to a vector of ``n`` zeros for the mechanisms);
the reported time is the best of ``--repeat`` runs (one run for OpenDP, which is slow), and the
ratio is the row's throughput divided by ``numpy.random.Generator.laplace``'s.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np

from mlops_course.privacy.dp.discrete import discrete_gaussian, discrete_laplace
from mlops_course.privacy.dp.fpsafe import grid_laplace_mechanism
from mlops_course.privacy.dp.gaussian import gaussian_mechanism, gaussian_sigma_analytic
from mlops_course.privacy.dp.laplace import laplace_mechanism


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """Best wall-clock time of ``repeat`` calls of ``fn`` (after one untimed warm-up for repeat > 1)."""
    if repeat > 1:
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def opendp_rows(n: int) -> list[tuple[str, Callable[[], object]]]:
    """OpenDP 0.16 samplers on the same vectors (exact samplers; the float Laplace snaps to 2^k)."""
    try:
        import opendp.prelude as dp
    except ImportError:  # pragma: no cover - optional peer
        return []
    dp.enable_features("contrib")
    floats = [0.0] * n
    ints = [0] * n
    lap = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float), scale=1.0
    )
    dlap = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=3.0)
    dgauss = dp.m.make_gaussian(dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int), scale=3.0)
    return [
        ("opendp make_laplace (float vector, exact)", lambda: lap(floats)),
        ("opendp make_laplace (int vector = discrete Laplace)", lambda: dlap(ints)),
        ("opendp make_gaussian (int vector = discrete Gaussian)", lambda: dgauss(ints)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="values per sampler (default 10^6)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row, best kept (default 3)")
    parser.add_argument("--skip-opendp", action="store_true", help="skip the (slow) OpenDP rows")
    args = parser.parse_args(argv)
    n = args.n
    rng = np.random.default_rng(0)
    zeros = np.zeros(n)
    eps, delta = 1.0, 1e-5
    sigma = gaussian_sigma_analytic(1.0, eps, delta)

    rows: list[tuple[str, Callable[[], object], int]] = [
        ("numpy Generator.laplace (float, reference)", lambda: rng.laplace(0.0, 1.0, n), args.repeat),
        ("numpy Generator.normal (float)", lambda: rng.normal(0.0, sigma, n), args.repeat),
        ("ours laplace_mechanism (float)", lambda: laplace_mechanism(zeros, 1.0, eps, rng), args.repeat),
        ("ours gaussian_mechanism (float, analytic σ)", lambda: gaussian_mechanism(zeros, 1.0, eps, delta, rng), args.repeat),
        ("ours grid_laplace_mechanism (fp-safe, os.urandom)", lambda: grid_laplace_mechanism(zeros, 1.0, eps), args.repeat),
        ("ours grid_laplace_mechanism (fp-safe, numpy rng)", lambda: grid_laplace_mechanism(zeros, 1.0, eps, rng=rng), args.repeat),
        ("ours discrete_laplace (scale 3, numpy rng)", lambda: discrete_laplace(3.0, n, rng), args.repeat),
        ("ours discrete_laplace (scale 3, os.urandom)", lambda: discrete_laplace(3.0, n, None), args.repeat),
        ("ours discrete_gaussian (σ 3, numpy rng)", lambda: discrete_gaussian(3.0, n, rng), args.repeat),
        ("ours discrete_gaussian (σ 3, os.urandom)", lambda: discrete_gaussian(3.0, n, None), args.repeat),
    ]
    if not args.skip_opendp:
        rows += [(name, fn, 1) for name, fn in opendp_rows(n)]

    try:
        from importlib.metadata import version

        opendp_version = version("opendp")
    except Exception:  # pragma: no cover - optional peer
        opendp_version = "(not installed)"
    print(f"date: {_dt.date.today().isoformat()}  python {sys.version.split()[0]}  numpy {np.__version__}  "
          f"opendp {opendp_version}")
    print(f"machine: {platform.machine()} {platform.processor() or ''} cores={os.cpu_count()} "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"n = {n:,} values per row, best of {args.repeat} (OpenDP: 1 run)\n")
    header = f"| {'sampler':<55} | {'values/s':>12} | {'vs numpy Laplace':>16} |"
    print(header)
    print(f"|{'-' * 57}|{'-' * 13}:|{'-' * 17}:|")
    reference = None
    for name, fn, repeat in rows:
        rate = n / best_time(fn, repeat)
        reference = reference or rate
        print(f"| {name:<55} | {rate:>12.3g} | {rate / reference:>15.1%} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
