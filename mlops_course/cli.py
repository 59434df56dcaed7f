"""The ``mlops-course`` command: one subcommand per job.

* ``doctor``   check the environment and print the fixes
* ``lab``      start JupyterLab on the course with the course's environment settings
* ``refresh``  re-execute the lecture notebooks in place (they are committed executed)
* ``slides``   export the lecture notebooks as offline reveal.js decks that follow the slide titles
* ``fl-deploy``  a Flower SuperLink + SuperNodes on loopback running the course's Flower app
* ``release``, ``grade``, ``gradescope-bundle``, ``student-copy``  (from :mod:`mlops_course.grading.cli`)
* ``feedback``, ``class-report``, ``rubric``, ``similarity``  (from :mod:`mlops_course.grading.instructor_cli`)

Every error is one line on stderr (``mlops-course <command>: error: ...``) and a non-zero exit
(2 for a bad command line or input, 1 for a failed run); ``MLOPS_COURSE_DEBUG=1`` shows the
traceback instead. ``mlops-course --help`` imports nothing heavy: ``fl-deploy`` (Flower, SciPy)
is imported only when it is the command being run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from mlops_course import __version__
from mlops_course.course import DEBUG_VAR, HOME_VAR, course_environment, project_root

__all__ = ["main", "build_parser", "lab_command", "lab_settings", "install_jupyter_settings", "LAB_SETTINGS",
           "PRESENTATION_FONTS",
           "HIDDEN_FILES", "STUDENT_HIDDEN", "LANDING_NOTEBOOK"]

DESCRIPTION = ("The course's command line: check the environment, open the course in JupyterLab, "
               "re-execute or export the lecture notebooks, run Flower's Deployment Engine, "
               "release and grade exercises.")
#: exit codes: bad command line or input; a run that failed
EXIT_USAGE, EXIT_FAILED = 2, 1


class CourseArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line: ``mlops-course lab: error: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _fail(command: str, message: str, code: int = EXIT_USAGE) -> int:
    print(f"mlops-course {command}: error: {message}".splitlines()[0], file=sys.stderr)
    return code


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a TCP port 1..65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port 1..65535, got {text!r}")
    return value


def _cmd_doctor(args: argparse.Namespace) -> int:
    from mlops_course.doctor import environment_report, format_report

    rows = environment_report(kernel=not args.no_kernel)
    print(format_report(rows))
    return 0 if all(r["ok"] for r in rows) else 1


#: JupyterLab setting defaults of the course (``overrides.json`` in the app settings folder; the user
#: can still change them in the settings editor)
LAB_SETTINGS: dict[str, dict] = {
    # offline and private: never fetch the news feed nor check for updates (no popup asking either)
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # render every cell (no virtual scrolling): scrolling back to a figure in class never shows a blank
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    # RISE: a slide taller than the screen scrolls (a long cell no longer pushes its plot out of reach)
    "jupyterlab-rise:plugin": {"scroll": True},
}
#: font sizes for projecting in a lecture hall (``mlops-course lab --presentation``)
PRESENTATION_FONTS = {"code-font-size": "20px", "content-font-size1": "20px", "ui-font-size1": "16px"}
#: never shown in JupyterLab's file browser: build artefacts (``ContentsManager.hide_globs``;
#: names starting with a dot, e.g. ``.venv``, are hidden by Jupyter anyway)
HIDDEN_FILES = ("__pycache__", "*.pyc", "*.pyo", "*.egg-info", "build", "dist", ".venv*", "*.so", "*~",
                ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache")
#: also hidden with ``lab --student``: what an instructor needs and a student should not browse
STUDENT_HIDDEN = ("solutions", "tests", "benchmarks")
#: the page ``lab`` opens
LANDING_NOTEBOOK = "notebooks/00_introduction.ipynb"


def lab_settings(presentation: bool = False) -> Path:
    """Write the course's JupyterLab setting defaults (``overrides.json``) into the state folder.

    Parameters
    ----------
    presentation : bool
        Kept for compatibility; fonts are *user* settings (see :func:`presentation_settings`),
        because JupyterLab's theme manager reads its CSS overrides only from the user's settings.

    Returns
    -------
    pathlib.Path
        The folder, passed to JupyterLab as ``--LabApp.app_settings_dir``.
    """
    from mlops_course.course import state_dir

    folder = state_dir() / "lab-settings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(LAB_SETTINGS, indent=2) + "\n")
    return folder


def install_jupyter_settings(prefix: str | os.PathLike | None = None) -> list[Path]:
    """Install the course's JupyterLab settings into an environment, for a plain ``jupyter lab`` (Binder).

    Writes :data:`LAB_SETTINGS` into ``<prefix>/share/jupyter/lab/settings/overrides.json``
    (merged into an existing file) and the hidden build artefacts (:data:`HIDDEN_FILES`) into
    ``<prefix>/etc/jupyter/jupyter_server_config.json`` (merged). ``binder/postBuild`` calls it.

    Parameters
    ----------
    prefix : path-like, optional
        The environment's prefix (default: ``sys.prefix``).

    Returns
    -------
    list of pathlib.Path
        The two files written.
    """
    root = Path(prefix if prefix is not None else sys.prefix)
    overrides = root / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(overrides.read_text()) if overrides.is_file() else {}
    for plugin, values in LAB_SETTINGS.items():
        current.setdefault(plugin, {}).update(values)
    overrides.write_text(json.dumps(current, indent=2) + "\n")
    # the server's main config file (JSON files in jupyter_server_config.d/ are read for extensions only)
    server = root / "etc" / "jupyter" / "jupyter_server_config.json"
    server.parent.mkdir(parents=True, exist_ok=True)
    config = json.loads(server.read_text()) if server.is_file() else {}
    config.setdefault("ContentsManager", {})["hide_globs"] = list(HIDDEN_FILES)
    server.write_text(json.dumps(config, indent=2) + "\n")
    return [overrides, server]


def presentation_settings() -> Path:
    """The user-settings folder of presentation mode, with large fonts written into it.

    JupyterLab's theme manager applies ``overrides`` (``--jp-code-font-size`` ...) from the
    **user** value of ``@jupyterlab/apputils-extension:themes`` only, not from app defaults, so
    ``lab --presentation`` runs JupyterLab with its own user-settings folder (in the course state
    folder) whose theme settings hold :data:`PRESENTATION_FONTS`. Your normal settings are left
    untouched; other settings you change while presenting are kept for the next presentation.

    Returns
    -------
    pathlib.Path
        The folder, passed to JupyterLab as ``--LabApp.user_settings_dir``.
    """
    from mlops_course.course import state_dir

    folder = state_dir() / "lab-presentation-settings"
    themes = folder / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
    themes.parent.mkdir(parents=True, exist_ok=True)
    themes.write_text(json.dumps({"overrides": dict(PRESENTATION_FONTS)}, indent=2) + "\n")
    return folder


def lab_command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The JupyterLab command line and environment that ``mlops-course lab`` runs.

    Raises
    ------
    mlops_course.course.CourseRootNotFound
        If ``args.root`` (or the current folder) is not inside a course folder (a ``ValueError``).
    """
    root = project_root(args.root)
    env = dict(os.environ)
    env.update(course_environment(args.threads))
    hidden = list(HIDDEN_FILES) + (list(STUDENT_HIDDEN) if getattr(args, "student", False) else [])
    landing = "/lab/tree/" + LANDING_NOTEBOOK if (root / LANDING_NOTEBOOK).is_file() else "/lab"
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
           f"--ServerApp.ip={args.ip}", f"--ServerApp.port={args.port}",
           f"--LabApp.app_settings_dir={lab_settings()}",
           f"--LabApp.default_url={landing}",
           f"--ContentsManager.hide_globs={json.dumps(hidden)}",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if args.presentation:
        cmd.append(f"--LabApp.user_settings_dir={presentation_settings()}")
    if args.no_browser:
        cmd.append("--ServerApp.open_browser=False")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers, CI and Gradescope run as root
        cmd.append("--ServerApp.allow_root=True")
    extra = list(args.jupyter_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    cmd += extra
    return cmd, env


def _server_info(pid: int, runtime_dir: Path) -> dict[str, Any] | None:
    """The ``jpserver-<pid>.json`` Jupyter writes once it listens (real port, token, URL)."""
    path = runtime_dir / f"jpserver-{pid}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def lab_url(info: dict[str, Any], landing: str) -> str:
    """The URL to open: the server's real address and port, the landing page and the token."""
    base = str(info.get("url") or f"http://{info['hostname']}:{info['port']}/").rstrip("/")
    token = info.get("token")
    return f"{base}{landing}" + (f"?token={token}" if token else "")


def _cmd_lab(args: argparse.Namespace) -> int:
    cmd, env = lab_command(args)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    from jupyter_core.paths import jupyter_runtime_dir

    runtime = Path(env.get("JUPYTER_RUNTIME_DIR") or jupyter_runtime_dir())
    landing = next(c.split("=", 1)[1] for c in cmd if c.startswith("--LabApp.default_url="))
    print("Starting JupyterLab on the course (telemetry off; course state in "
          f"{env[HOME_VAR]}) ...", flush=True)
    proc = subprocess.Popen(cmd, env=env)
    try:
        deadline = time.monotonic() + args.startup_timeout
        info = None
        while proc.poll() is None and time.monotonic() < deadline:
            info = _server_info(proc.pid, runtime)
            if info is not None:
                break
            time.sleep(0.2)
        if proc.poll() is not None:
            return _fail("lab", f"JupyterLab exited with code {proc.returncode} before it was ready "
                                "(see its messages above)", EXIT_FAILED)
        if info is None:
            print(f"mlops-course lab: JupyterLab is not ready after {args.startup_timeout:g} s; "
                  "it keeps starting (see its messages)", file=sys.stderr)
        else:
            print(f"\nThe course is open at:\n\n    {lab_url(info, landing)}\n\n"
                  "Stop with Ctrl+C.\n", flush=True)
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:  # Jupyter got the same Ctrl+C and shuts down (or asks): wait for it
                continue
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _notebook_paths(args: argparse.Namespace) -> list[Path]:
    if args.paths:
        paths = [Path(p) for p in args.paths]
        for path in paths:
            if path.suffix != ".ipynb" or not path.is_file():
                raise ValueError(f"{path} is not an existing .ipynb notebook")
        return paths
    return sorted((project_root(args.root) / "notebooks").glob("*.ipynb"))


def _cmd_refresh(args: argparse.Namespace) -> int:
    from mlops_course.notebooks import execute_notebook

    for path in _notebook_paths(args):
        print(f"executing {path}", flush=True)
        execute_notebook(path, timeout=args.timeout)
    return 0


def _cmd_slides(args: argparse.Namespace) -> int:
    from mlops_course.notebooks import export_slides

    paths = _notebook_paths(args)
    out = Path(args.output) if args.output else project_root(args.root) / "build" / "slides"
    for path in paths:
        print(f"wrote {export_slides(path, out)}")
    print(f"Open a deck in a browser: it works offline (reveal.js and MathJax are in {out / '_static'}); "
          "arrow keys move between slides. To present live (code runs, sliders work), open the notebook "
          "in JupyterLab and press Alt+R (RISE).")
    return 0


#: subcommands whose modules are imported only when they run (help text kept here, checked by a test)
LAZY_COMMANDS = {
    "fl-deploy": ("mlops_course.privacy.fl.deployment",
                  "run the federated-learning app on Flower's Deployment Engine (loopback)"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``mlops-course``.

    Parameters
    ----------
    command : str, optional
        The subcommand about to run. A lazily imported subcommand (``fl-deploy``) gets its full
        parser only when it is ``command`` or when ``command`` is ``None`` (build everything);
        otherwise a stub that only lists it in ``--help``.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = CourseArgumentParser(prog="mlops-course", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"mlops-course {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("doctor", help="check the environment (versions, imports, a Jupyter kernel)",
                       description="Check versions and imports of the course's libraries and start a Jupyter "
                                   "kernel; print the fix for anything missing (exit 1 if anything is).")
    p.add_argument("--no-kernel", action="store_true", help="skip starting a Jupyter kernel")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("lab", help="start JupyterLab on the course with the course environment",
                       description="Start JupyterLab on the course folder (telemetry off, BLAS threads limited, "
                                   "build artefacts hidden), open notebooks/00_introduction.ipynb and print "
                                   "its URL with the real port and token.")
    p.add_argument("--root", default=None, help="course folder (default: found from the current folder)")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8888,
                   help="port to try first (default 8888; Jupyter takes the next free one if it is busy)")
    p.add_argument("--threads", type=_positive_int, default=1, help="BLAS/OpenMP threads per kernel (default 1)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--presentation", action="store_true",
                   help="large fonts for projecting in a lecture hall (code and text 20px)")
    p.add_argument("--student", action="store_true",
                   help="also hide solutions/, tests/ and benchmarks/ from the file browser")
    p.add_argument("--startup-timeout", type=float, default=120.0, help=argparse.SUPPRESS)
    p.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    p.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="extra arguments passed to JupyterLab")
    p.set_defaults(func=_cmd_lab)

    p = sub.add_parser("refresh", help="re-execute lecture notebooks in place (outputs are committed)",
                       description="Execute notebooks in place with the course environment and strip volatile "
                                   "metadata. A failing cell stops with one line naming the notebook and cell; "
                                   "the notebook file is left unchanged.")
    p.add_argument("paths", nargs="*", help="notebooks to execute (default: notebooks/*.ipynb)")
    p.add_argument("--root", default=None, help="course folder (default: found from the current folder)")
    p.add_argument("--timeout", type=_positive_int, default=300, help="per-cell time limit in seconds")
    p.set_defaults(func=_cmd_refresh)

    p = sub.add_parser("slides", help="export lecture notebooks as offline reveal.js slide decks (one per unit)",
                       description="Write one reveal.js deck per notebook; reveal.js and MathJax are copied "
                                   "from the package beside the decks, so they open offline.")
    p.add_argument("paths", nargs="*", help="notebooks to export (default: notebooks/*.ipynb)")
    p.add_argument("--root", default=None, help="course folder (default: found from the current folder)")
    p.add_argument("-o", "--output", default=None, help="output folder (default: build/slides)")
    p.set_defaults(func=_cmd_slides)

    for name, (module, help_text) in LAZY_COMMANDS.items():
        if command is None or command == name:
            import importlib

            importlib.import_module(module).register(sub)
        else:  # listed in --help without importing Flower and SciPy
            sub.add_parser(name, help=help_text, add_help=False)

    try:
        from mlops_course.grading import cli as grading_cli
    except ImportError:  # pragma: no cover - grading is part of the package
        grading_cli = None
    if grading_cli is not None:
        grading_cli.register(sub)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first argument not starting with ``-``)."""
    return next((a for a in argv if not a.startswith("-")), None)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mlops-course`` console script.

    Returns
    -------
    int
        The exit code: 0 success, 1 a run that failed, 2 a bad command line or input (one line on
        stderr), 130 interrupted; subcommands may define more (see ``grade``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    # no command (--help, --version, a typo): no lazily imported module is needed
    args = build_parser(_command_of(argv) or "").parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"mlops-course {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every error is one line; MLOPS_COURSE_DEBUG=1 shows the traceback
        if os.environ.get(DEBUG_VAR):
            raise
        from mlops_course.notebooks import NotebookExecutionError

        usage = isinstance(exc, (ValueError, TypeError, FileNotFoundError, NotADirectoryError))
        kind = "" if usage or isinstance(exc, NotebookExecutionError) else f"{type(exc).__name__}: "
        message = _ANSI.sub("", str(exc)).strip() or type(exc).__name__
        return _fail(args.command, kind + message, EXIT_USAGE if usage else EXIT_FAILED)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
