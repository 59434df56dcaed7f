"""Flower's Deployment Engine on loopback: a SuperLink and N SuperNodes as separate processes.

In production every hospital (phone, bank branch) runs a **SuperNode** next to its data and one
**SuperLink** coordinates them; a user submits a Flower App to the SuperLink with ``flwr run``.
:class:`Deployment` starts exactly that on 127.0.0.1 (``flower-superlink`` + ``flower-supernode``
processes), waits until it is *ready* — the SuperLink answers its ``/health`` endpoint and all N
SuperNodes are registered and online (``flwr supernode list``) — runs the course app
(``mlops_course/privacy/fl/app``) with ``flwr run`` and **always** tears everything down (also
when the run fails or Python raises): every process the SuperLink and SuperNodes started
(SuperExec, ``flwr-serverapp``, ``flwr-clientapp``) is found in the process tree, sent SIGTERM,
and SIGKILL after a grace period.

Everything stays on loopback, insecure (no TLS) and offline (runtime dependency installation
disabled; telemetry off; Flower's state under the course folder). On real machines run SuperNodes
with TLS (``--root-certificates``) and node authentication (``--auth-supernode-private-key`` on
the SuperNode, ``--enable-supernode-auth`` on the SuperLink); see the README.

Use it from Python::

    with Deployment(n_supernodes=3) as dep:
        history = dep.run(rounds=2)

or from the shell: ``mlops-course fl-deploy --supernodes 3 --rounds 2``.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from mlops_course._validation import check_int, check_positive
from mlops_course.cli import _positive_int  # argparse type of --supernodes/--rounds: an integer >= 1
from mlops_course.course import FLWR_HOME_VAR, flower_environment
from mlops_course.privacy.fl.flower_sim import FlowerHistory

__all__ = ["APP_DIR", "Deployment", "DeploymentError", "register", "free_port"]

#: the course's Flower App folder (``flwr run`` target)
APP_DIR = Path(__file__).resolve().parent / "app"
LOOPBACK = "127.0.0.1"


class DeploymentError(RuntimeError):
    """The SuperLink/SuperNodes did not start in time, or a run failed."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


class Deployment:
    """SuperLink + N SuperNodes on loopback, as a context manager.

    Parameters
    ----------
    n_supernodes : int
        Number of SuperNodes (each gets ``partition-id`` i of ``num-partitions`` N), >= 1.
    startup_timeout : float
        Seconds to wait for the SuperLink's health check and the nodes' registration.
    run_timeout : float
        Seconds a run may take before it is declared failed.
    workdir : path, optional
        Folder for logs and results (default: ``<course state>/flwr/deployments/<id>``).

    Attributes
    ----------
    connection : str
        Name of the SuperLink connection written to Flower's config (``flwr run APP <connection>``).
    """

    def __init__(self, n_supernodes: int = 3, *, startup_timeout: float = 90.0, run_timeout: float = 300.0,
                 workdir: str | Path | None = None) -> None:
        self.n_supernodes = check_int("n_supernodes", n_supernodes, minimum=1)
        self.startup_timeout = check_positive("startup_timeout", startup_timeout)
        self.run_timeout = check_positive("run_timeout", run_timeout)
        self.env = {**os.environ, **flower_environment()}
        self.env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + self.env.get("PATH", "")
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.home = Path(self.env[FLWR_HOME_VAR])
        ident = uuid.uuid4().hex[:8]
        self.workdir = Path(workdir) if workdir else self.home / "deployments" / ident
        self.connection = f"mlops-course-{ident}"
        self.port = 0
        self.procs: list[subprocess.Popen] = []
        self._seen: dict[int, float] = {}  # pid -> create_time of every process we started (tree)
        self._logs: list[Any] = []
        self._last_cli = ""

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Deployment:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / log_name, "wb")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.workdir)
        self.procs.append(proc)
        self._track()
        return proc

    def start(self) -> None:
        """Start the SuperLink, wait for ``/health``, start the SuperNodes, wait until all are online."""
        self.port = free_port()
        superlink = self._spawn([_bin("flower-superlink"), "--insecure", "--host", LOOPBACK, "--port",
                                 str(self.port), "--disable-runtime-dependency-installation"], "superlink.log")
        deadline = time.monotonic() + self.startup_timeout
        while not self._healthy():
            self._check_alive(superlink, "superlink.log")
            if time.monotonic() > deadline:
                raise DeploymentError(f"the SuperLink did not pass its health check within {self.startup_timeout:g} s")
            time.sleep(0.2)
        self._write_connection()
        for i in range(self.n_supernodes):
            self._spawn([_bin("flower-supernode"), "--insecure", "--superlink", self.address, "--port",
                         str(free_port()), "--node-config", f"partition-id={i} num-partitions={self.n_supernodes}"],
                        f"supernode-{i}.log")
        while self.online_nodes() < self.n_supernodes:
            for i, proc in enumerate(self.procs[1:]):
                self._check_alive(proc, f"supernode-{i}.log")
            if time.monotonic() > deadline:
                raise DeploymentError(f"only {self.online_nodes()} of {self.n_supernodes} SuperNodes registered "
                                      f"within {self.startup_timeout:g} s; last CLI output:\n{self._last_cli}")
            time.sleep(0.5)
        self._track()

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.address}/health", timeout=1.0) as response:
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError):
            return False

    def _check_alive(self, proc: subprocess.Popen, log_name: str) -> None:
        if proc.poll() is not None:
            tail = (self.workdir / log_name).read_text(errors="replace")[-1500:]
            raise DeploymentError(f"{Path(proc.args[0]).name} exited with code {proc.returncode}:\n{tail}")

    def _flwr(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        env = {**self.env, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
        env.pop("FORCE_COLOR", None)
        env.pop("CLICOLOR_FORCE", None)
        out = subprocess.run([_bin("flwr"), *args], env=env, capture_output=True, text=True,
                             timeout=timeout, stdin=subprocess.DEVNULL, cwd=self.workdir)
        self._last_cli = f"$ flwr {' '.join(args)}\n{out.stdout[-1000:]}{out.stderr[-1000:]}"
        return out

    @staticmethod
    def _json(text: str) -> dict[str, Any]:
        """The JSON object in a ``flwr --format json`` output (ANSI colour codes and banners ignored)."""
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end < start:
            return {}
        try:
            value = json.loads(text[start:end + 1])
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    def online_nodes(self) -> int:
        """How many SuperNodes the SuperLink lists as online (``flwr supernode list --format json``)."""
        nodes = self._json(self._flwr("supernode", "list", self.connection, "--format", "json").stdout).get("nodes")
        return sum(1 for node in nodes or [] if isinstance(node, dict) and node.get("status") == "online")

    # ------------------------------------------------------------------ flower config
    def _config_path(self) -> Path:
        return self.home / "config.toml"

    def _write_connection(self) -> None:
        import tomli
        import tomli_w

        path = self._config_path()
        config: dict[str, Any] = tomli.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        config.setdefault("superlink", {})[self.connection] = {"address": self.address, "insecure": True}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tomli_w.dumps(config), encoding="utf-8")

    def _remove_connection(self) -> None:
        import tomli
        import tomli_w

        path = self._config_path()
        if not path.is_file():
            return
        config = tomli.loads(path.read_text(encoding="utf-8"))
        if config.get("superlink", {}).pop(self.connection, None) is not None:
            path.write_text(tomli_w.dumps(config), encoding="utf-8")

    # ------------------------------------------------------------------ runs
    def run(self, rounds: int = 2, app: str | Path = APP_DIR, **settings: Any) -> FlowerHistory:
        """Submit the app with ``flwr run``, wait for the run to finish, return its history.

        Parameters
        ----------
        rounds : int
            ``num-server-rounds``.
        app : path
            Flower App folder (default: the course app).
        **settings
            Run-config overrides (``seed=3``, ``scheme="dirichlet"``, ``strategy="median"``, ...).

        Raises
        ------
        DeploymentError
            If the run cannot be submitted, does not finish in ``run_timeout`` or does not
            finish as *completed* (e.g. a ClientApp failed).
        """
        if not self.procs:
            raise DeploymentError("the deployment is not started: use `with Deployment(...) as dep:`")
        rounds = check_int("rounds", rounds, minimum=1)
        result = self.workdir / f"result-{uuid.uuid4().hex[:8]}.json"
        config = {"num-server-rounds": rounds, "num-partitions": self.n_supernodes, **{
            k.replace("_", "-"): v for k, v in settings.items()}, "result-path": str(result)}
        pairs = " ".join(f"{k}={json.dumps(v)}" for k, v in config.items())
        out = self._flwr("run", str(app), self.connection, "--format", "json", "--run-config", pairs)
        self._track()
        run_id = self._json(out.stdout).get("run-id")
        if run_id is None:
            raise DeploymentError(f"flwr run failed:\n{out.stdout[-1500:]}\n{out.stderr[-1500:]}")
        status = self._wait_for(run_id, result)
        if status != "finished:completed" or not result.is_file():
            log = self._flwr("log", str(run_id), self.connection, "--show").stdout
            reasons = [line for line in log.splitlines() if "Error" in line or "error" in line][-3:]
            raise DeploymentError(f"run {run_id} ended as {status!r}: " + " | ".join(reasons))
        return FlowerHistory.from_json(json.loads(result.read_text(encoding="utf-8")))

    def _status(self, run_id: Any) -> str:
        runs = self._json(self._flwr("ls", self.connection, "--run-id", str(run_id), "--format",
                                     "json").stdout).get("runs") or [{}]
        return str(runs[0].get("status", "unknown")) if isinstance(runs[0], dict) else "unknown"

    def _wait_for(self, run_id: Any, result: Path) -> str:
        """Wait for the run to finish: cheap checks of the result file, ``flwr ls`` every few seconds."""
        deadline = time.monotonic() + self.run_timeout
        status, next_query = "unknown", time.monotonic() + 3.0
        while time.monotonic() < deadline:
            self._track()
            if result.is_file() or time.monotonic() >= next_query:
                status = self._status(run_id)
                if status.startswith("finished"):
                    return status
                next_query = time.monotonic() + 3.0
            time.sleep(0.3)
        self._flwr("stop", str(run_id), self.connection)
        raise DeploymentError(f"run {run_id} did not finish within {self.run_timeout:g} s (last status {status!r})")

    # ------------------------------------------------------------------ teardown
    def _track(self) -> None:
        """Remember every process in our tree (SuperExec and app processes start in new sessions)."""
        import psutil

        for proc in self.procs:
            try:
                root = psutil.Process(proc.pid)
                for p in [root, *root.children(recursive=True)]:
                    self._seen.setdefault(p.pid, p.create_time())
            except psutil.NoSuchProcess:
                continue

    def processes(self) -> list[Any]:
        """``psutil.Process`` objects of every live process this deployment started (zombies excluded)."""
        import psutil

        alive = []
        for pid, created in self._seen.items():
            try:
                p = psutil.Process(pid)
                if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                continue
        return alive

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM every process of the deployment, SIGKILL what is left after ``grace`` seconds."""
        import psutil

        self._track()
        victims = self.processes()
        for p in victims:
            try:
                p.send_signal(signal.SIGTERM)
            except psutil.NoSuchProcess:
                pass
        _, left = psutil.wait_procs(victims, timeout=grace)
        self._track()  # anything started while shutting down
        left = list({p.pid: p for p in [*left, *self.processes()]}.values())
        for p in left:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(left, timeout=5.0)
        for proc in self.procs:
            try:
                proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:  # pragma: no cover - killed above
                pass
        for log in self._logs:
            log.close()
        self._logs.clear()
        self._remove_connection()


# ---------------------------------------------------------------------- CLI
def _parse_settings(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects key=value, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _cmd(args: argparse.Namespace) -> int:
    try:
        settings = _parse_settings(args.set)
        with Deployment(args.supernodes, startup_timeout=args.timeout) as dep:
            print(f"SuperLink on {dep.address} with {args.supernodes} SuperNodes (connection {dep.connection})")
            if args.serve:
                print(f"serving; submit with: flwr run {APP_DIR} {dep.connection}   (Ctrl-C stops everything)")
                while True:
                    time.sleep(1.0)
            history = dep.run(args.rounds, **settings)
        for r, loss, acc in zip(history.rounds, history.loss, history.accuracy, strict=True):
            print(f"round {int(r)}: test loss {loss:.4f}, accuracy {acc:.4f}")
        return 0
    except KeyboardInterrupt:
        print("stopped; every process was shut down")
        return 0
    except (DeploymentError, ValueError) as exc:
        print(f"fl-deploy: {exc}", file=sys.stderr)
        return 1


def _cli_seconds(text: str) -> float:
    """argparse type of ``--timeout``: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``fl-deploy`` (SuperLink + SuperNodes on loopback, run the course app) to a CLI."""
    p = subparsers.add_parser(
        "fl-deploy", help="run the federated-learning app on Flower's Deployment Engine (loopback)",
        description="Start a Flower SuperLink and N SuperNodes on 127.0.0.1, run the course's Flower App "
                    "with flwr run, print the per-round test accuracy, and stop every process.")
    p.add_argument("--supernodes", type=_positive_int, default=3, help="number of SuperNodes (default 3)")
    p.add_argument("--rounds", type=_positive_int, default=2, help="server rounds (default 2)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="run-config override, e.g. --set strategy='\"median\"' --set seed=3 (repeatable)")
    p.add_argument("--timeout", type=_cli_seconds, default=90.0, help="start-up timeout in seconds")
    p.add_argument("--serve", action="store_true", help="keep the federation running until Ctrl-C")
    p.set_defaults(func=_cmd)
