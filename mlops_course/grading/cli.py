"""Command-line interface of the grading tools: ``release``, ``grade``, ``gradescope-bundle``.

The course's ``mlops-course`` command calls :func:`register` to add these subcommands;
``python -m mlops_course.grading.cli`` runs them on their own.

Exit codes of ``grade``: 0 — graded (a report was written, whatever the score, including a
score of 0 for a malformed notebook); 2 — bad command line or unreadable path; 3 — the grader
itself failed (no exercise found, the worker cannot start). ``release --check`` exits 1 when
``exercises/`` differs from a fresh release.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["register", "main", "EXIT_GRADED", "EXIT_USAGE", "EXIT_GRADER_ERROR"]

EXIT_GRADED, EXIT_STALE, EXIT_USAGE, EXIT_GRADER_ERROR = 0, 1, 2, 3


def _default_dir(name: str) -> Path:
    from mlops_course.grading.harness import REPO_ROOT

    here = Path.cwd() / name
    return here if (Path.cwd() / "solutions").is_dir() else REPO_ROOT / name


def _release(args: argparse.Namespace) -> int:
    from mlops_course.grading.release import release_all, stale_exercises

    solutions = Path(args.solutions) if args.solutions else _default_dir("solutions")
    exercises = Path(args.exercises) if args.exercises else _default_dir("exercises")
    if not solutions.is_dir():
        print(f"release: solutions folder {solutions} not found", file=sys.stderr)
        return EXIT_USAGE
    if args.check:
        problems = stale_exercises(solutions, exercises)
        for problem in problems:
            print(f"stale: {problem}")
        if problems:
            print("run `mlops-course release` to regenerate exercises/")
        return EXIT_STALE if problems else 0
    changed = release_all(solutions, exercises)
    for path in changed:
        print(f"released {path}")
    if not changed:
        print(f"{exercises} is up to date")
    return 0


def _limits(args: argparse.Namespace):
    from mlops_course.grading.harness import Limits

    changes = {}
    for name, attr in (("cell_timeout", "cell_seconds"), ("call_timeout", "call_seconds"),
                       ("total_timeout", "total_seconds")):
        if getattr(args, name) is not None:
            changes[attr] = float(getattr(args, name))
    if args.memory_mb is not None:
        changes["memory_bytes"] = int(args.memory_mb) * 2**20
    return Limits(**changes)


def _grade(args: argparse.Namespace) -> int:
    from mlops_course.grading.harness import Grader, GraderError
    from mlops_course.grading.report import format_text, write_csv, write_results

    target = Path(args.submission)
    if not target.exists():
        print(f"grade: {target} does not exist", file=sys.stderr)
        return EXIT_USAGE
    for folder in args.checks:
        if not Path(folder).is_dir():
            print(f"grade: --checks {folder} is not a directory", file=sys.stderr)
            return EXIT_USAGE
    if args.jobs < 1:
        print("grade: --jobs must be >= 1", file=sys.stderr)
        return EXIT_USAGE
    from mlops_course.grading.checks import ChecksUnavailable, key_note, use_key_file
    from mlops_course.grading.harness import Sandbox

    hide: tuple[str, ...] = ()
    if getattr(args, "key_file", None):
        try:
            hide = (str(use_key_file(args.key_file)),)  # the worker must not read it (root: hidden)
        except ValueError as exc:
            print(f"grade: --key-file: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        grader = Grader(args.unit, args.source, tuple(args.checks), _limits(args), Sandbox(hide=hide))
        if target.is_file():
            report = grader.grade(target)
            report.output = "\n".join(t for t in (report.output, key_note()) if t)
            out = write_results(report, args.output or "results.json")
            if not args.quiet:
                print(format_text(report))
                print(f"results: {out}")
            return EXIT_GRADER_ERROR if report.status == "error" else EXIT_GRADED
        paths = sorted(p for p in target.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        out_dir = Path(args.output) if args.output else Path("grades")
        from tqdm import tqdm

        with tqdm(total=len(paths), desc="grading", unit="notebook", disable=args.quiet) as bar:
            reports = grader.grade_many(paths, jobs=args.jobs, on_done=lambda _: bar.update(1))
        for report in reports:
            report.output = "\n".join(t for t in (report.output, key_note()) if t)
        for path, report in zip(paths, reports, strict=True):
            name = "__".join(path.relative_to(target).with_suffix("").parts)
            write_results(report, out_dir / f"{name}.results.json")
        csv_path = write_csv(reports, args.csv or out_dir / "grades.csv")
        if not args.quiet:
            for report in reports:
                print(f"{report.submission}: {report.score:g} / {report.max_score:g} ({report.status})")
            print(f"grades: {csv_path}")
        return EXIT_GRADER_ERROR if any(r.status == "error" for r in reports) else EXIT_GRADED
    except (GraderError, ChecksUnavailable) as exc:
        print(f"grade: grader error: {exc}", file=sys.stderr)
        return EXIT_GRADER_ERROR


def _bundle(args: argparse.Namespace) -> int:
    from mlops_course.grading.bundle import build_bundle
    from mlops_course.grading.harness import GraderError

    try:
        out = build_bundle(args.unit, args.output, tuple(args.checks), args.source, args.key_file)
    except (GraderError, ValueError) as exc:
        print(f"gradescope-bundle: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {out}")
    if args.key_file is None:
        print("gradescope-bundle: no --key-file: hidden checks use the public development key "
              "(reproducible by students); fine for a trial, not for a class", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``release``, ``grade`` and ``gradescope-bundle`` to an argparse subparsers object."""
    p = subparsers.add_parser("release", help="generate exercises/ from solutions/",
                              description="Generate exercises/NN_*.ipynb from solutions/NN_*.ipynb.")
    p.add_argument("--solutions", help="solutions folder (default: ./solutions or the repository's)")
    p.add_argument("--exercises", help="exercises folder to write (default: next to solutions)")
    p.add_argument("--check", action="store_true", help="only check that exercises/ is up to date (exit 1 if not)")
    p.set_defaults(func=_release)

    p = subparsers.add_parser(
        "grade", help="grade a submitted notebook (or a folder of them) in an isolated worker",
        description="Grade SUBMISSION.ipynb (writes a Gradescope results.json) or every notebook in a "
                    "folder (one results file each plus a CSV). Exit codes: 0 graded, 2 usage, 3 grader error.")
    p.add_argument("submission", help="a .ipynb file or a folder of them")
    p.add_argument("--unit", help="unit number or stem (default: from the notebook)")
    p.add_argument("--source", help="released exercise (or solution) notebook to trust (default: the repository's)")
    p.add_argument("--checks", action="append", default=[], metavar="DIR",
                   help="folder of extra (e.g. private, hidden) checks; repeatable")
    p.add_argument("-o", "--output", help="results file (one submission; default results.json) or folder "
                                          "(a batch; default ./grades)")
    p.add_argument("--csv", help="CSV of grades for a batch (default OUTPUT/grades.csv)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel")
    p.add_argument("--cell-timeout", type=float, help="seconds per answer cell (default 10)")
    p.add_argument("--call-timeout", type=float, help="seconds per check request (default 30)")
    p.add_argument("--total-timeout", type=float, help="seconds per submission (default 300)")
    p.add_argument("--memory-mb", type=int, help="address-space limit of the worker in MB (default 3072)")
    p.add_argument("-q", "--quiet", action="store_true", help="no report on stdout, no progress bar")
    p.add_argument("--key-file", metavar="FILE", help="the course's grading key (hidden checks draw their "
                                                     "inputs from it; default: the public development key)")
    p.set_defaults(func=_grade)

    p = subparsers.add_parser("gradescope-bundle", help="build a Gradescope autograder zip for a unit",
                              description="Build autograder.zip (setup.sh, run_autograder, the package, "
                                          "the released exercise) for UNIT.")
    p.add_argument("unit", help="unit number or stem, e.g. 07")
    p.add_argument("-o", "--output", default="autograder.zip", help="zip to write")
    p.add_argument("--checks", action="append", default=[], metavar="DIR", help="instructor checks to include")
    p.add_argument("--source", help="released exercise (or solution) notebook (default: the repository's)")
    p.add_argument("--key-file", metavar="FILE", help="the course's grading key, baked into the zip "
                                                     "(readable by the grader only)")
    p.set_defaults(func=_bundle)

    from mlops_course.grading.studentcopy import register as _register_student_copy

    _register_student_copy(subparsers)


def main(argv: list[str] | None = None) -> int:
    """Run one grading subcommand (``python -m mlops_course.grading.cli grade ...``)."""
    parser = argparse.ArgumentParser(prog="mlops-course", description="Exercise release and grading.")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
