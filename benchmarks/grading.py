"""Benchmark of the isolated grader.

1. Per-submission overhead: wall time of grading the exercise-07 solution notebook
   (``Grader.grade``: worker start, sandbox, answer cells, all visible and hidden checks) against a
   bare ``nbclient`` execution of the same notebook (kernel start + every cell, including the
   in-notebook self-checks). Goal: overhead <= 2 s. For comparison: nbgrader about 4 s per
   submission, otter-grader's local runner 9-12 s.
2. Batch: wall time of grading 20 submissions with ``--jobs 1`` and ``--jobs 2`` (the same code
   path as ``mlops-course grade DIR --jobs N``), and the CPU time used by the workers, to show
   that two jobs keep both cores busy.

Run: ``python benchmarks/grading.py [--repeat 3] [--batch 20]``; prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from mlops_course.grading.harness import REPO_ROOT, Grader

SOLUTION = REPO_ROOT / "solutions" / "07_differential_privacy.ipynb"


def bare_nbclient(path: Path) -> float:
    nb = nbformat.read(str(path), as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(REPO_ROOT)}}).execute()
    return time.perf_counter() - start


def grade_once(grader: Grader, path: Path) -> float:
    start = time.perf_counter()
    report = grader.grade(path)
    elapsed = time.perf_counter() - start
    assert report.score == report.max_score, report.output
    return elapsed


def children_cpu() -> float:
    """CPU seconds of the finished workers (children of this process)."""
    times = os.times()
    return times.children_user + times.children_system


def total_cpu() -> float:
    """CPU seconds of the harness (this process) and its finished workers."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def batch(grader: Grader, folder: Path, jobs: int) -> tuple[float, float, float]:
    paths = sorted(folder.glob("*.ipynb"))
    workers0, all0, start = children_cpu(), total_cpu(), time.perf_counter()
    reports = grader.grade_many(paths, jobs=jobs)
    wall = time.perf_counter() - start
    assert all(r.score == r.max_score for r in reports)
    return wall, children_cpu() - workers0, total_cpu() - all0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args()

    grader = Grader("07")
    grade_once(grader, SOLUTION)  # warm-up: imports scipy in the harness, fills the exercise cache
    bare = [bare_nbclient(SOLUTION) for _ in range(args.repeat)]
    graded = [grade_once(grader, SOLUTION) for _ in range(args.repeat)]
    bare_s, grade_s = statistics.median(bare), statistics.median(graded)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(args.batch):
            shutil.copy(SOLUTION, folder / f"student_{i:02d}.ipynb")
        wall1, workers1, cpu1 = batch(grader, folder, 1)
        wall2, workers2, cpu2 = batch(grader, folder, 2)

    print(f"cores: {os.cpu_count()}, sandbox: {'root (full)' if grader.sandbox.active else 'unprivileged'}")
    print()
    print("| measurement | seconds |")
    print("|---|---|")
    print(f"| bare nbclient execution of the solution (median of {args.repeat}) | {bare_s:.2f} |")
    print(f"| grading the solution, isolated worker, all checks (median of {args.repeat}) | {grade_s:.2f} |")
    print(f"| per-submission overhead over bare nbclient (goal <= 2 s) | {grade_s - bare_s:+.2f} |")
    print(f"| {args.batch} submissions, --jobs 1 (wall) | {wall1:.2f} |")
    print(f"| {args.batch} submissions, --jobs 2 (wall) | {wall2:.2f} |")
    print(f"| speed-up of --jobs 2 | {wall1 / wall2:.2f}x |")
    print(f"| CPU / wall with --jobs 1 (harness + workers; workers only) | {cpu1 / wall1:.2f}; {workers1 / wall1:.2f} |")
    print(f"| CPU / wall with --jobs 2 (2.0 = both cores busy) | {cpu2 / wall2:.2f}; {workers2 / wall2:.2f} |")


if __name__ == "__main__":
    main()
