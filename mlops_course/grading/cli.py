"""Command-line interface of the grading tools: ``release``, ``grade``, ``gradescope-bundle``.

The course's ``mlops-course`` command calls :func:`register` to add these subcommands;
``python -m mlops_course.grading.cli`` runs them on their own.

Exit codes of ``grade``: 0 — graded (a report was written, whatever the score, including a
score of 0 for a malformed notebook); 2 — bad command line, a missing path, a folder without
notebooks, an output path that is a symlink, or no root without ``--unsafe-same-user``; 3 — the
grader itself failed (no exercise found, the worker cannot start, a results file could not be
written). ``release --check`` exits 1 when ``exercises/`` differs from a fresh release. Every
error is one line on stderr, never a traceback.

``grade`` refuses to run without root unless ``--unsafe-same-user`` is given; that mode's limits
(:data:`mlops_course.grading.harness.UNSAFE_LIMITS`) are printed and written into every report.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["register", "main", "EXIT_GRADED", "EXIT_USAGE", "EXIT_GRADER_ERROR"]

EXIT_GRADED, EXIT_STALE, EXIT_USAGE, EXIT_GRADER_ERROR = 0, 1, 2, 3


def _default_dir(name: str) -> Path:
    """``name`` in the working folder if it holds ``solutions/``, else in the course folder
    (:func:`mlops_course.course.find_project_root`), else in the working folder."""
    from mlops_course.course import find_project_root

    root = find_project_root()
    return Path.cwd() / name if (Path.cwd() / "solutions").is_dir() or root is None else root / name


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


def _error(message: str, code: int = EXIT_USAGE) -> int:
    """Print ``grade: <message>`` as one line on stderr and return ``code``."""
    text = " ".join(str(message).split()) or "unknown error"
    print(f"grade: {text}".encode("utf-8", "replace").decode("utf-8"), file=sys.stderr)
    return code


def _grade(args: argparse.Namespace) -> int:
    try:
        return _grade_checked(args)
    except Exception as exc:  # noqa: BLE001 - every error of the grading CLI is one line, never a traceback
        if os.environ.get("MLOPS_COURSE_DEBUG"):
            raise
        from mlops_course.grading.checks import ChecksUnavailable
        from mlops_course.grading.harness import GraderError

        if isinstance(exc, (GraderError, ChecksUnavailable)):
            return _error(f"grader error: {exc}", EXIT_GRADER_ERROR)
        return _error(f"internal error: {type(exc).__name__}: {exc}", EXIT_GRADER_ERROR)


def _grade_checked(args: argparse.Namespace) -> int:
    from mlops_course.grading.harness import NOT_ROOT, UNSAFE_LIMITS, Grader, Sandbox
    from mlops_course.grading.report import format_text, write_csv, write_results

    target = Path(args.submission)
    if not target.exists():
        return _error(f"{target} does not exist")
    for folder in args.checks:
        if not Path(folder).is_dir():
            return _error(f"--checks {folder} is not a directory")
    if args.jobs < 1:
        return _error(f"--jobs must be >= 1, got {args.jobs}")
    if os.geteuid() != 0 and not args.unsafe_same_user:
        return _error(NOT_ROOT)
    from mlops_course.grading.checks import key_note, use_key_file

    hide: tuple[str, ...] = ()
    if getattr(args, "key_file", None):
        try:  # the harness reads the key; the worker never gets it (fresh environment, file hidden)
            hide = (str(use_key_file(args.key_file)),)
        except ValueError as exc:
            return _error(f"--key-file: {exc}")
    if target.is_dir():
        paths = sorted(p for p in target.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        if not paths:
            return _error(f"{target} holds no .ipynb notebook to grade")
        out_dir = Path(args.output) if args.output else Path("grades")
        outputs = [out_dir / f"{'__'.join(p.relative_to(target).with_suffix('').parts)}.results.json" for p in paths]
        outputs.append(Path(args.csv) if args.csv else out_dir / "grades.csv")
    elif not target.is_file():
        return _error(f"{target} is neither a notebook file nor a folder")
    else:
        paths = [target]
        outputs = [Path(args.output or "results.json")]
    for out in outputs:
        if out.is_symlink():
            return _error(f"output path {out} is a symlink; refusing to write through it (remove it or choose "
                          "another path)")
    if args.unsafe_same_user:
        print(f"grade: {UNSAFE_LIMITS}", file=sys.stderr)
    sandbox = Sandbox(privileged=False if args.unsafe_same_user and os.geteuid() != 0 else None,
                      unsafe_same_user=bool(args.unsafe_same_user), hide=hide)
    grader = Grader(args.unit, args.source, tuple(args.checks), _limits(args), sandbox)
    if target.is_file():
        report = grader.grade(target)
        report.output = "\n".join(t for t in (report.output, key_note()) if t)
        try:
            out = write_results(report, outputs[0])
        except (OSError, ValueError) as exc:
            return _error(f"could not write {outputs[0]}: {exc}", EXIT_GRADER_ERROR)
        if not args.quiet:
            print(format_text(report))
            print(f"results: {out}")
        return EXIT_GRADER_ERROR if report.status == "error" else EXIT_GRADED
    if args.unit is None:
        print("grade: no --unit given: each notebook is graded as the unit its metadata (or file name) names; "
              "see the unit column of the CSV", file=sys.stderr)
    from tqdm import tqdm

    with tqdm(total=len(paths), desc="grading", unit="notebook", disable=args.quiet) as bar:
        reports = grader.grade_many(paths, jobs=args.jobs, on_done=lambda _: bar.update(1))
    for report in reports:
        report.output = "\n".join(t for t in (report.output, key_note()) if t)
    failed = []
    for out, report in zip(outputs[:-1], reports, strict=True):
        try:
            write_results(report, out)
        except (OSError, ValueError) as exc:
            failed.append(f"{out}: {exc}")
    try:
        csv_path = write_csv(reports, outputs[-1])
    except (OSError, ValueError) as exc:
        failed.append(f"{outputs[-1]}: {exc}")
        csv_path = None
    report_path = None
    if csv_path is not None:
        from mlops_course.grading.classreport import write_class_report

        target_report = out_dir / "class_report.html"
        if target_report.is_symlink():
            failed.append(f"{target_report}: is a symlink; refusing to write through it")
        else:
            try:  # the instructor's view of the batch: distribution, failure rates, messages, times
                report_path = write_class_report(out_dir, target_report)
            except (OSError, ValueError) as exc:
                failed.append(f"{target_report}: {exc}")
    if not args.quiet:
        for report in reports:
            print(f"{report.submission} [{report.unit}]: {report.score:g} / {report.max_score:g} ({report.status})")
        if csv_path is not None:
            print(f"grades: {csv_path}")
        if report_path is not None:
            print(f"class report: {report_path}")
    errors = [r for r in reports if r.status == "error"]
    if errors and args.quiet:  # --quiet hides the report, never the reason for exit status 3
        for report in errors:
            reason = " ".join(str(report.output).split())[:300]
            print(f"grade: {report.submission} [{report.unit}]: grader error: {reason}", file=sys.stderr)
    if failed:
        return _error(f"could not write {len(failed)} file(s): " + "; ".join(failed), EXIT_GRADER_ERROR)
    return EXIT_GRADER_ERROR if errors else EXIT_GRADED


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
    """Add ``release``, ``grade``, ``gradescope-bundle``, ``student-copy`` and the instructor tools.

    The instructor tools (``feedback``, ``class-report``, ``rubric``, ``similarity``) live in
    :mod:`mlops_course.grading.instructor_cli`.
    """
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
    if "--unsafe-same-user" not in p._option_string_actions:  # used by _grade_checked
        p.add_argument("--unsafe-same-user", action="store_true",
                       help="grade without root (weaker isolation; see the limits printed when used)")
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

    from mlops_course.grading.instructor_cli import register as _register_instructor_tools

    _register_instructor_tools(subparsers)


def main(argv: list[str] | None = None) -> int:
    """Run one grading subcommand (``python -m mlops_course.grading.cli grade ...``)."""
    parser = _OneLineParser(prog="mlops-course", description="Exercise release and grading.")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


class _OneLineParser(argparse.ArgumentParser):
    """Command-line errors as one line (``mlops-course grade: error: ...``), exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


if __name__ == "__main__":
    sys.exit(main())
