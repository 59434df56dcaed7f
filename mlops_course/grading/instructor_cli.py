"""``mlops-course`` subcommands that turn a graded batch into pages for people.

* ``feedback SUBMISSIONS --results DIR -o OUT``: one HTML feedback page per student;
* ``class-report RESULTS [-o FILE]``: the class at a glance (also written by ``grade DIR``);
* ``rubric SUBMISSIONS --results DIR -o OUT [--scores CSV --final FILE]``: rubric pages per written
  question and a score sheet; with ``--scores``, the final grades (automatic + manual);
* ``similarity SUBMISSIONS -o FILE``: pairs of similar answers, and answers like the reference code.

Every error is one line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

__all__ = ["register"]

EXIT_USAGE = 2


def _run(name: str, job: Callable[[], str]) -> int:
    try:
        message = job()
    except (ValueError, TypeError, OSError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(message)
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from mlops_course.grading.feedback import write_feedback

    return _run("feedback", lambda: f"wrote {len(write_feedback(args.submissions, args.results, args.output, not args.hide_hidden))}"
                                   f" feedback pages to {args.output} (index.html)")


def _class_report(args: argparse.Namespace) -> int:
    from mlops_course.grading.classreport import write_class_report

    return _run("class-report", lambda: f"wrote {write_class_report(args.results, args.output)}")


def _rubric(args: argparse.Namespace) -> int:
    from mlops_course.grading import rubric

    def job() -> str:
        if args.scores:
            final = args.final or "final_grades.csv"
            out = rubric.write_final_grades(args.submissions, args.results, args.scores, final, unit=args.unit)
            return f"wrote {out}"
        pages = rubric.write_rubric_pages(args.submissions, args.results, args.output, unit=args.unit,
                                          solutions=args.solutions)
        return f"wrote {len(pages)} rubric pages and {args.output}/manual_scores.csv"

    return _run("rubric", job)


def _similarity(args: argparse.Namespace) -> int:
    from mlops_course.grading.similarity import write_similarity_report

    return _run("similarity", lambda: f"wrote {write_similarity_report(args.submissions, args.output, unit=args.unit, threshold=args.threshold)}")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``feedback``, ``class-report``, ``rubric`` and ``similarity`` to an argparse subparsers object."""
    p = subparsers.add_parser("feedback", help="one HTML feedback page per graded submission",
                              description="Write OUTPUT/<name>.html for every notebook below SUBMISSIONS, from "
                                          "the results files that 'grade SUBMISSIONS -o RESULTS' wrote.")
    p.add_argument("submissions", help="the folder that was graded")
    p.add_argument("--results", default="grades", help="folder of *.results.json (default ./grades)")
    p.add_argument("-o", "--output", default="feedback", help="folder for the pages (default ./feedback)")
    p.add_argument("--hide-hidden", action="store_true", help="show hidden checks' results without their messages")
    p.set_defaults(func=_feedback)

    p = subparsers.add_parser("class-report", help="HTML report of a graded batch for the instructor",
                              description="Score distribution, per-task and per-property failure rates, the most "
                                          "common failure messages and grading times of a graded batch.")
    p.add_argument("results", nargs="?", default="grades", help="folder of *.results.json (default ./grades)")
    p.add_argument("-o", "--output", help="HTML file (default RESULTS/class_report.html)")
    p.set_defaults(func=_class_report)

    p = subparsers.add_parser("rubric", help="rubric pages for written answers; read manual scores back",
                              description="Without --scores: one HTML page per manually graded question (rubric and "
                                          "model answer beside every student's answer) and OUTPUT/manual_scores.csv "
                                          "to fill in. With --scores: check the sheet and write the final grades.")
    p.add_argument("submissions", help="the folder that was graded")
    p.add_argument("--results", default="grades", help="folder of *.results.json (default ./grades)")
    p.add_argument("-o", "--output", default="rubric", help="folder for pages and score sheet (default ./rubric)")
    p.add_argument("--unit", help="unit stem when neither results nor notebooks say it")
    p.add_argument("--solutions", help="folder of solution notebooks holding the rubrics (default ./solutions)")
    p.add_argument("--scores", help="the filled-in manual_scores.csv")
    p.add_argument("--final", help="final grades CSV to write with --scores (default ./final_grades.csv)")
    p.set_defaults(func=_rubric)

    p = subparsers.add_parser("similarity", help="flag similar answers for review (never auto-penalised)",
                              description="Winnowing fingerprints of every answer cell: pairs of students at or "
                                          "above the threshold, and answers like the package's reference code.")
    p.add_argument("submissions", help="folder of submitted notebooks")
    p.add_argument("-o", "--output", default="similarity.html", help="HTML report (a CSV is written beside it)")
    p.add_argument("--unit", help="unit stem when the notebooks do not say it")
    p.add_argument("--threshold", type=float, default=0.7, help="Jaccard index at which a pair is listed (default 0.7)")
    p.set_defaults(func=_similarity)
