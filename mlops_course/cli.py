"""The ``mlops-course`` command: one subcommand per job.

* ``doctor``   check the environment and print the fixes
* ``lab``      start JupyterLab on the course with the course's environment settings
* ``refresh``  re-execute the lecture notebooks in place (they are committed executed)
* ``slides``   export the lecture notebooks as reveal.js decks that follow the slide titles
* ``fl-deploy``  a Flower SuperLink + SuperNodes on loopback running the course's Flower app
* ``release``, ``grade``, ``gradescope-bundle``  (from :mod:`mlops_course.grading.cli`)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from mlops_course import __version__
from mlops_course.course import course_environment

__all__ = ["main", "build_parser"]


def _cmd_doctor(args: argparse.Namespace) -> int:
    from mlops_course.doctor import environment_report, format_report

    rows = environment_report(kernel=not args.no_kernel)
    print(format_report(rows))
    return 0 if all(r["ok"] for r in rows) else 1


#: JupyterLab setting defaults of the course (the user can still change them in the settings editor)
LAB_SETTINGS: dict[str, dict] = {
    # offline and private: never fetch the news feed nor check for updates (no popup asking either)
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # render every cell (no virtual scrolling): scrolling back to a figure in class never shows a blank
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}
#: font sizes for projecting in a lecture hall (``mlops-course lab --presentation``)
PRESENTATION_FONTS = {"code-font-size": "20px", "content-font-size1": "20px", "ui-font-size1": "16px"}


def lab_settings(presentation: bool = False) -> Path:
    """Write the course's JupyterLab setting defaults (``overrides.json``) into the state folder.

    Returns the folder, passed to JupyterLab as ``--LabApp.app_settings_dir``.
    """
    from mlops_course.course import state_dir

    folder = state_dir() / "lab-settings"
    folder.mkdir(parents=True, exist_ok=True)
    settings = dict(LAB_SETTINGS)
    if presentation:
        settings["@jupyterlab/apputils-extension:themes"] = {"overrides": dict(PRESENTATION_FONTS)}
    (folder / "overrides.json").write_text(json.dumps(settings, indent=2) + "\n")
    return folder


def lab_command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The JupyterLab command line and environment that ``mlops-course lab`` runs."""
    from mlops_course.notebooks import course_root

    root = course_root(args.root)
    env = dict(os.environ)
    env.update(course_environment(args.threads))
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
           f"--ServerApp.ip={args.ip}", f"--ServerApp.port={args.port}",
           f"--LabApp.app_settings_dir={lab_settings(args.presentation)}",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if args.no_browser:
        cmd.append("--ServerApp.open_browser=False")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers, CI and Gradescope run as root
        cmd.append("--ServerApp.allow_root=True")
    extra = list(args.jupyter_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    cmd += extra
    return cmd, env


def _cmd_lab(args: argparse.Namespace) -> int:
    cmd, env = lab_command(args)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    print(f"Starting JupyterLab on the course (notebooks/, exercises/, solutions/) at http://{args.ip}:{args.port}/lab")
    print("Telemetry off; course state in", env["MLOPS_COURSE_HOME"], "- stop with Ctrl+C.")
    return subprocess.call(cmd, env=env)


def _cmd_refresh(args: argparse.Namespace) -> int:
    from mlops_course.notebooks import course_root, execute_notebook

    paths = args.paths or sorted((course_root(args.root) / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"executing {path}", flush=True)
        execute_notebook(path, timeout=args.timeout)
    return 0


def _cmd_slides(args: argparse.Namespace) -> int:
    from mlops_course.notebooks import course_root, export_slides

    root = course_root(args.root)
    paths = args.paths or sorted((root / "notebooks").glob("*.ipynb"))
    out = Path(args.output) if args.output else root / "build" / "slides"
    for path in paths:
        print(f"wrote {export_slides(path, out)}")
    print("Open a deck in a browser (reveal.js loads from a CDN), or present live and offline from "
          "JupyterLab: open the notebook, then View > Render as slideshow (RISE, Alt+R).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mlops-course``."""
    parser = argparse.ArgumentParser(prog="mlops-course", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mlops-course {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("doctor", help="check the environment (versions, imports, a Jupyter kernel)")
    p.add_argument("--no-kernel", action="store_true", help="skip starting a Jupyter kernel")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("lab", help="start JupyterLab on the course with the course environment")
    p.add_argument("--root", default=None, help="course folder (default: found from the current folder)")
    p.add_argument("--ip", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8888)
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads per kernel (default 1)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--presentation", action="store_true",
                   help="large fonts for projecting in a lecture hall (code and text 20px)")
    p.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    p.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="extra arguments passed to JupyterLab")
    p.set_defaults(func=_cmd_lab)

    p = sub.add_parser("refresh", help="re-execute lecture notebooks in place (outputs are committed)")
    p.add_argument("paths", nargs="*", help="notebooks to execute (default: notebooks/*.ipynb)")
    p.add_argument("--root", default=None)
    p.add_argument("--timeout", type=int, default=300, help="per-cell time limit in seconds")
    p.set_defaults(func=_cmd_refresh)

    p = sub.add_parser("slides", help="export lecture notebooks as reveal.js slide decks (one per unit)")
    p.add_argument("paths", nargs="*", help="notebooks to export (default: notebooks/*.ipynb)")
    p.add_argument("--root", default=None)
    p.add_argument("-o", "--output", default=None, help="output folder (default: build/slides)")
    p.set_defaults(func=_cmd_slides)

    from mlops_course.privacy.fl import deployment  # `fl-deploy`: Flower's Deployment Engine on loopback

    deployment.register(sub)

    try:
        from mlops_course.grading import cli as grading_cli
    except ImportError:  # pragma: no cover - grading is part of the package
        grading_cli = None
    if grading_cli is not None:
        grading_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mlops-course`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
