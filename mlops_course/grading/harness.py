"""The grading harness: runs a submission in an isolated worker and scores it on plain data.

Process model
-------------
The harness never executes student code itself. For each submission it starts **one worker**
(:mod:`mlops_course.grading.worker`, a standalone script run by the same interpreter with
``-s -P -B``, a scrubbed environment and ``start_new_session=True``), and talks to it over two
private pipes passed by file descriptor (length-prefixed JSON; stdout is not used, so printing
cannot forge anything). As root (required unless ``Sandbox(unsafe_same_user=True)``) the worker is
started by util-linux ``unshare --pid --fork --kill-child --mount --net``: it is PID 2 of its own PID
namespace under a tiny init, and before any student code runs it builds an **allowlisted file
system** (a fresh tmpfs root holding ``/usr``, a few ``/etc`` files, the Python installation
read-only minus ``mlops_course``, a minimal ``/dev``, its own ``/proc``, a private ``/tmp`` and
``/dev/shm`` and its working folder), ``chroot``-s into it, applies ``setrlimit`` limits, drops to a
unique unprivileged uid and blocks ``import mlops_course`` (see the worker's docstring).

The harness sends the released set-up cells, then the student's answer cells one at a time
(per-cell time limit), then the checks' requests ("call ``laplace_mechanism`` with these
arguments and this seed"). Every reply is parsed defensively (:func:`parse_reply`: no recursion
blow-up, no 5000-digit integers) and decoded strictly into plain data; every comparison happens
here. A request that times out, a worker that dies, exits, floods its reply or breaks the protocol
costs only the affected check: the worker is killed and a fresh one is started for the remaining
checks, without the answer cell that caused the failure. Killing goes through a pidfd (never a
PID that may have been recycled) to the ``unshare`` process; the kernel then kills the namespace's
init and every process in it, and the harness waits until the namespace is empty. A watchdog
thread sums the proportional memory of every process of the namespace and kills it above
:attr:`Limits.memory_bytes`. The time budget of a submission is bounded by
:attr:`Limits.total_seconds`. Manually graded questions (``MANUAL`` of the unit's check module)
are reported as "needs manual grading" with the student's answer, outside the autograded score.

Limits of the isolation (documented)
------------------------------------
* The total memory limit is a polling fallback (cgroup v2 is not used; this grader's host has
  cgroup v1): memory allocated between two 50 ms samples can overshoot the total briefly, each
  process staying under its own ``RLIMIT_AS``.
* The import blocker lives in the student's process and can be undone; as root that does not
  matter because the package's files do not exist in the worker's file system. Copy-pasted
  reference code cannot be told apart from the student's own.
* Where namespaces cannot be created (root without ``CAP_SYS_ADMIN``) the worker fails to start
  and grading stops with a :class:`GraderError`.
* Without root (``unsafe_same_user``) only the import blocker, per-process limits and the
  plain-data channel apply: see :data:`UNSAFE_LIMITS` for everything that mode cannot prevent.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nbformat
import psutil

from mlops_course.course import find_project_root, thread_environment
from mlops_course.grading import worker as worker_module
from mlops_course.grading.checks import (
    BadResult,
    Check,
    ManualQuestion,
    Property,
    StudentError,
    WorkerFailure,
    builtin_manual,
    decode_value,
    encode_args,
    load_checks,
    run_property,
)
from mlops_course.grading.notebook import (
    Answers,
    Exercise,
    SubmissionError,
    cell_source,
    exercise_from_notebook,
    extract_answers,
    load_notebook,
    nbgrader_meta,
    unit_of,
)
from mlops_course.grading.release import BEGIN_SOLUTION, release_notebook
from mlops_course.grading.report import MANUAL_STATUS, GradeReport, TestResult

__all__ = ["Limits", "Sandbox", "GraderError", "Grader", "WorkerProcess", "WorkerStartError", "start_worker",
           "START_ATTEMPTS", "find_exercise", "exercise_paths",
           "resolve_unit", "PACKAGE_DIR", "REPO_ROOT", "UNSAFE_LIMITS", "NOT_ROOT", "parse_reply"]

#: the installed ``mlops_course`` package (in ``site-packages`` for a non-editable install)
PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: the course folder when this module was imported (:func:`mlops_course.course.find_project_root`:
#: the working folder or a parent of it, else the checkout of an editable install), ``None`` if
#: there is none. The grader itself looks again at call time (the working folder may change).
REPO_ROOT: Path | None = find_project_root()
WORKER_PATH = Path(worker_module.__file__).resolve()
GRACE_SECONDS = 0.5


class GraderError(RuntimeError):
    """A problem of the grader or its configuration (not of the submission)."""


UNSAFE_LIMITS = (
    "UNSAFE same-user mode: the submission's code runs as the grading user, without the root sandbox. "
    "It cannot prevent the code from: reading every file that user can read (the repository with .git, "
    "tests/ and solutions/, the installed reference package, private check folders, other submissions, "
    "a grading key file); writing every file that user can write (the grader's checks and package for "
    "later runs, files in /tmp and /dev/shm that later submissions read); signalling or tracing the "
    "harness (killing it, reading its memory and environment, including MLOPS_COURSE_GRADING_KEY); "
    "leaving a setsid/double-forked process behind that forges results.json or grades.csv after the "
    "report is written; seeing other processes and their command lines in /proc; using the network; "
    "exceeding the memory limit with processes that left the worker's process tree. Only the import "
    "blocker, per-process resource limits and the plain-data channel apply. Use it only for trusted "
    "code (your own tests); grade students as root."
)
NOT_ROOT = ("grading needs root for the sandbox (namespaces, hidden repository, unprivileged uid); "
            "run as root (e.g. in a container) or pass --unsafe-same-user to accept its limits")


class CallTimeout(WorkerFailure):
    """A cell or call exceeded its time limit."""


@dataclass(frozen=True)
class Limits:
    """Resource and time limits of one submission's worker.

    Parameters
    ----------
    cell_seconds : float
        Wall-clock limit of one answer cell.
    call_seconds : float
        Wall-clock limit of one request of a check (a batch of repeated calls counts as one).
    total_seconds : float
        Wall-clock budget of the whole submission (all workers, cells and checks).
    memory_bytes : int
        ``RLIMIT_AS`` of the worker (and its children).
    file_bytes : int
        ``RLIMIT_FSIZE``: largest file the worker may write (also caps its stdout/stderr log).
    workdir_bytes : int
        Size of the private working folder (a tmpfs when running as root).
    processes : int
        ``RLIMIT_NPROC`` (per uid: effective with the worker's unique uid as root).
    open_files : int
        ``RLIMIT_NOFILE``.
    output_chars : int
        Characters of the student's printed output kept per request (the rest is dropped).
    reply_bytes : int
        Largest reply accepted from the worker.
    max_workers : int
        How many workers one submission may use (restarts after failures).
    start_seconds : float
        Wall-clock limit of a worker's start-up (interpreter, numpy, lock-down); generous because
        a loaded machine can take seconds, and a slow start is the grader's problem, not the
        submission's.
    """

    cell_seconds: float = 10.0
    call_seconds: float = 30.0
    total_seconds: float = 300.0
    memory_bytes: int = 3 * 2**30
    file_bytes: int = 16 * 2**20
    workdir_bytes: int = 64 * 2**20
    processes: int = 64
    open_files: int = 256
    output_chars: int = 4096
    reply_bytes: int = 32 * 2**20
    max_workers: int = 8
    start_seconds: float = 120.0

    @property
    def cpu_seconds(self) -> int:
        return int(math.ceil(self.total_seconds)) + 5


@dataclass(frozen=True)
class Sandbox:
    """Isolation settings.

    Parameters
    ----------
    privileged : bool or None
        Use the root-only measures (namespaces, hidden folders, uid drop); ``None`` = when root.
    hide : tuple of str
        Extra folders or files made unreadable to the worker (root only).
    block : tuple of str
        Top-level packages the worker refuses to import.
    unsafe_same_user : bool
        Allow grading without the root sandbox (the worker runs as the grading user); see
        :data:`UNSAFE_LIMITS` for what that mode cannot prevent. Without it, :class:`Grader`
        refuses to grade when it is not root (or ``privileged=False``).
    """

    privileged: bool | None = None
    hide: tuple[str, ...] = ()
    block: tuple[str, ...] = ("mlops_course",)
    unsafe_same_user: bool = False

    @property
    def active(self) -> bool:
        return os.geteuid() == 0 and self.privileged is not False


# --------------------------------------------------------------------------- uids
def _mapped_uid_range() -> tuple[int, int]:
    """The largest uid range usable in this user namespace (``/proc/self/uid_map``)."""
    best = (10_000, 60_000)
    try:
        lines = Path("/proc/self/uid_map").read_text().split("\n")
    except OSError:  # pragma: no cover - not Linux
        return best
    for line in lines:
        parts = line.split()
        if len(parts) == 3:
            inside, _, count = (int(p) for p in parts)
            lo, hi = max(inside, 10_000), min(inside + count, 2**31 - 1)
            if hi - lo > best[1] - best[0]:
                best = (lo, hi)
    return best


class UidPool:
    """Hands out unique unprivileged uids (one per worker, never one in use by a process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: set[int] = set()
        lo, hi = _mapped_uid_range()
        self._lo, self._hi = max(lo, hi - 2**24) if hi - lo > 2**25 else lo, hi

    def acquire(self) -> int:
        used = {p.info["uids"].real for p in psutil.process_iter(["uids"]) if p.info.get("uids")}
        with self._lock:
            for _ in range(1000):
                uid = self._lo + secrets.randbelow(self._hi - self._lo)
                if uid not in used and uid not in self._taken and uid != 65534:
                    self._taken.add(uid)
                    return uid
        raise GraderError("no free uid for the worker")  # pragma: no cover

    def release(self, uid: int) -> None:
        with self._lock:
            self._taken.discard(uid)


# --------------------------------------------------------------------------- worker process
def _describe_exit(code: int | None, init: bool = False) -> str:
    if code is None:
        return "stopped responding"
    if init and code > 128 and code - 128 in signal.Signals._value2member_map_:
        code = -(code - 128)  # the namespace's init reports a worker killed by signal N as 128 + N
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        reason = {"SIGKILL": " (out of memory or another limit?)", "SIGXCPU": " (CPU time limit)",
                  "SIGSEGV": " (crashed)"}.get(name, "")
        return f"was killed by {name}{reason}"
    return f"exited with code {code} (sys.exit, os._exit or a crash in your code?)"


class ReplyError(ValueError):
    """A reply the harness refuses to parse (huge integers, too deep, not JSON)."""


# Paillier ciphertexts (unit 08) are integers mod n², ~1,240 digits for a 2048-bit n; Python refuses
# to parse more than 4,300 digits (sys.get_int_max_str_digits), which is what crashed the grader.
MAX_INT_DIGITS = 4000


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ReplyError(f"an integer with {len(text.lstrip('-'))} digits (limit {MAX_INT_DIGITS})")
    return int(text)


def parse_reply(data: bytes) -> Any:
    """Decode one reply of the worker; anything odd raises :class:`ReplyError` with the reason.

    Refused: invalid UTF-8 or JSON, nesting deeper than the interpreter's recursion limit
    (``json`` raises ``RecursionError`` on a 400,000-deep reply; results deeper than 25 levels are
    refused later by ``decode_value``), integers with more than :data:`MAX_INT_DIGITS` digits.
    Strings may contain lone surrogates (``"\ud800"``); the reports replace them when writing.
    """
    try:
        return json.loads(data.decode("utf-8"), parse_int=_parse_int)
    except ReplyError:
        raise
    except RecursionError as exc:
        raise ReplyError("a reply nested too deeply") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReplyError(f"a malformed reply ({type(exc).__name__})") from exc


def _pss_bytes(pid: int) -> int:
    """Proportional set size of one process (shared pages split between their users), 0 if gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return 0
    return 0


def _pid_namespace(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def namespace_members(namespace: str) -> list[int]:
    """Host PIDs of every process in the PID namespace ``namespace`` (``"pid:[inode]"``)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and _pid_namespace(int(entry.name)) == namespace:
            found.append(int(entry.name))
    return found


def _kill_pid(pid: int, namespace: str | None = None) -> None:
    """SIGKILL ``pid`` through a pidfd (never a recycled PID); with ``namespace``, only if it is in it."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        if namespace is None or _pid_namespace(pid) == namespace:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
    except OSError:
        pass
    finally:
        os.close(fd)


class WorkerStartError(GraderError):
    """The worker died before it finished locking itself down (no submission code had run yet)."""


#: start attempts of one worker: a start-up failure happens before any submission code runs (the worker is
#: still locking itself down), so retrying it is safe; seen rarely on a loaded machine as util-linux
#: ``unshare`` failing to re-raise its child's signal ("sigprocmask unblock failed")
START_ATTEMPTS = 3


def start_worker(limits: Limits, sandbox: Sandbox, hide: Sequence[str], uids: UidPool | None) -> WorkerProcess:
    """A new :class:`WorkerProcess`, retrying up to :data:`START_ATTEMPTS` times if it fails to start.

    Parameters
    ----------
    limits, sandbox, hide, uids
        As for :class:`WorkerProcess`.

    Returns
    -------
    WorkerProcess
        A locked-down worker ready for requests.

    Raises
    ------
    WorkerStartError
        If every attempt failed (the last attempt's reason, with the worker log's tail).
    """
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return WorkerProcess(limits, sandbox, hide, uids)
        except WorkerStartError:
            if attempt == START_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class WorkerProcess:
    """One running worker and its private channel (see the module docstring).

    As root the worker runs in its own PID namespace (``unshare --pid --fork --kill-child``): the
    worker is PID 2 under a tiny init (PID 1, see ``worker._become_init``). Killing the
    ``unshare`` process makes the kernel kill the init and with it every process of the namespace,
    however it forked or ``setsid``-ed; :meth:`kill` then waits until the namespace is empty.
    A watchdog thread sums the proportional memory (PSS) of all processes of the namespace and
    kills it when the sum exceeds :attr:`Limits.memory_bytes` (the cgroup-free fallback, see the
    module docstring for its limits).

    Parameters
    ----------
    limits : Limits
        Time, memory and resource limits of the worker.
    sandbox : Sandbox
        Isolation settings (root-only measures, blocked packages).
    hide : sequence of str
        Folders and files the worker must not see (the package, ``solutions/``, private checks).
    uids : UidPool or None
        Where the worker's unique unprivileged uid comes from (root); ``None`` without root.
    """

    WATCH_SECONDS = 0.05

    def __init__(self, limits: Limits, sandbox: Sandbox, hide: Sequence[str], uids: UidPool | None) -> None:
        self.limits = limits
        self.dead: str | None = None
        self.uid: int | None = None
        self._uids = uids
        self.namespace: str | None = None
        self._pidfd: int | None = None
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self.peak_memory = 0
        self.tmp = Path(tempfile.mkdtemp(prefix="mlops-grade-"))
        self.applied: dict = {}
        try:
            self._start(sandbox, hide)
        except BaseException:
            self.close()
            raise

    def _start(self, sandbox: Sandbox, hide: Sequence[str]) -> None:
        workdir = self.tmp / "work"
        workdir.mkdir()
        (self.tmp / "root").mkdir(mode=0o700)
        privileged = sandbox.active
        gid = None
        command = [sys.executable, "-s", "-P", "-B", str(WORKER_PATH)]
        if privileged:
            unshare = shutil.which("unshare", path="/usr/bin:/bin:/usr/sbin:/sbin")
            if unshare is None:
                raise GraderError("the sandbox needs util-linux `unshare` (apt-get install util-linux)")
            command = [unshare, "--pid", "--fork", "--kill-child", "--mount", "--net", "--propagation", "private",
                       *command]
            if self._uids is not None:
                self.uid = self._uids.acquire()
                gid = self.uid
        os.chmod(workdir, 0o700)
        self.log_path = self.tmp / "worker.log"
        log = open(self.log_path, "wb")  # noqa: SIM115 - handed to the child, closed below
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(workdir), "TMPDIR": str(workdir),
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg", **thread_environment(1),
        }
        try:
            self.proc = subprocess.Popen(
                [*command, str(req_r), str(resp_w)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=str(self.tmp),
                pass_fds=(req_r, resp_w), start_new_session=True, close_fds=True)
        finally:
            os.close(req_r)
            os.close(resp_w)
            log.close()
        self._req, self._resp = req_w, resp_r
        os.set_blocking(self._req, False)
        os.set_blocking(self._resp, False)
        self._pidfd = os.pidfd_open(self.proc.pid)
        self.privileged = privileged
        config = {
            "workdir": str(workdir), "root": str(self.tmp / "root"), "uid": self.uid, "gid": gid,
            "privileged": privileged, "hide": [str(p) for p in hide], "block": list(sandbox.block),
            "workdir_bytes": self.limits.workdir_bytes, "output_limit": self.limits.output_chars,
            "limits": {"memory_bytes": self.limits.memory_bytes, "cpu_seconds": self.limits.cpu_seconds,
                       "file_bytes": self.limits.file_bytes, "processes": self.limits.processes,
                       "open_files": self.limits.open_files},
        }
        try:
            reply = self.request("init", self.limits.start_seconds, **config)
        except WorkerFailure as exc:
            raise WorkerStartError(f"the grading worker could not start: {exc}{self._log_hint()}") from exc
        if not reply.get("ok"):
            raise GraderError(f"the grading worker could not lock itself down: {_error_text(reply.get('error'))}")
        self.applied = reply.get("value") if isinstance(reply.get("value"), dict) else {}
        if privileged:
            init = [c.pid for c in psutil.Process(self.proc.pid).children()]
            self.namespace = _pid_namespace(init[0]) if init else None
            if self.namespace is None or self.namespace == _pid_namespace(os.getpid()):
                raise GraderError("the grading worker did not get its own PID namespace")
        self._watchdog = threading.Thread(target=self._watch, name="mlops-grade-memory", daemon=True)
        self._watchdog.start()

    def _log_hint(self) -> str:
        tail = self._log_tail()
        return f" (worker log: {tail})" if tail else ""

    # ------------------------------------------------------------------ memory watchdog
    def members(self) -> list[int]:
        """Host PIDs of the worker's processes (its PID namespace, or its descendants without root)."""
        if self.namespace is not None:
            return namespace_members(self.namespace)
        if self.proc.returncode is not None:  # reaped: its PID may belong to another process by now
            return []
        try:
            root = psutil.Process(self.proc.pid)
            return [root.pid] + [c.pid for c in root.children(recursive=True)]
        except psutil.Error:
            return []

    def memory(self) -> int:
        """Total proportional memory (bytes) of the worker and all its child processes."""
        return sum(_pss_bytes(pid) for pid in self.members())

    def _watch(self) -> None:
        while not self._stop.wait(self.WATCH_SECONDS):
            used = self.memory()
            self.peak_memory = max(self.peak_memory, used)
            if used > self.limits.memory_bytes:
                self.kill(f"used {used / 2**30:.2f} GB of memory with its child processes together "
                          f"(limit {self.limits.memory_bytes / 2**30:g} GB)")
                return

    # ------------------------------------------------------------------ channel
    def _exit_text(self) -> str:
        return self.dead or _describe_exit(self.proc.returncode, getattr(self, "privileged", False))

    def _wait(self, fd: int, writable: bool, deadline: float) -> None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CallTimeout("timed out")
            fds = [fd, self._pidfd]
            r, w, _ = select.select([f for f in fds if not writable or f != fd], [fd] if writable else [], [], left)
            if (fd in w) or (fd in r):
                return
            if self._pidfd in r or self.proc.poll() is not None:
                self.proc.wait()
                raise WorkerFailure(self._exit_text())

    def _send(self, message: dict, deadline: float) -> None:
        data = json.dumps(message).encode("utf-8")
        view = memoryview(struct.pack(">I", len(data)) + data)
        while view:
            self._wait(self._req, True, deadline)
            try:
                view = view[os.write(self._req, view):]
            except BlockingIOError:
                continue
            except BrokenPipeError as exc:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=5)
                raise WorkerFailure(self._exit_text()) from exc

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, got = [], 0
        while got < n:
            try:
                chunk = os.read(self._resp, min(n - got, 1 << 20))
            except BlockingIOError:
                self._wait(self._resp, False, deadline)
                continue
            if not chunk:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=2)
                raise WorkerFailure(self._exit_text())
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def request(self, op: str, timeout: float, **fields: Any) -> dict:
        """Send one request and return the worker's reply (a dict with ``ok``, ``value``/``error``).

        Raises
        ------
        WorkerFailure
            On a timeout, a dead worker, an oversized or malformed reply; the worker is killed.
        """
        if self.dead:
            raise WorkerFailure(self.dead)
        rid = secrets.token_hex(8)
        deadline = time.monotonic() + timeout + GRACE_SECONDS
        try:
            self._send({"id": rid, "op": op, "timeout": timeout, **fields}, deadline)
            (size,) = struct.unpack(">I", self._read(4, deadline))
            if size > self.limits.reply_bytes:
                raise WorkerFailure(f"sent a reply of {size} bytes (limit {self.limits.reply_bytes})")
            try:
                reply = parse_reply(self._read(size, deadline))
            except ReplyError as exc:
                raise WorkerFailure(f"sent {exc} (was the grader's channel tampered with?)") from exc
            if not isinstance(reply, dict) or reply.get("id") != rid or not isinstance(reply.get("ok"), bool):
                raise WorkerFailure("sent a reply that does not answer the request (tampered channel?)")
            return reply
        except CallTimeout as exc:
            self.kill(f"did not finish within {timeout:g} s (an endless loop?)")
            raise CallTimeout(self.dead) from exc
        except WorkerFailure as exc:
            self.kill(str(exc))
            raise WorkerFailure(self.dead) from exc

    # ------------------------------------------------------------------ cleanup
    def _log_tail(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 400))
                return f.read().decode("utf-8", "replace").strip().splitlines()[-1][:300]
        except (OSError, IndexError, AttributeError):
            return ""

    def kill(self, reason: str = "was stopped") -> None:
        """Kill the worker and everything it started; remember why. Returns when all are gone.

        Signals go through pidfds, never to a bare PID that may have been recycled (the worker's
        PID after it was reaped can belong to an unrelated process: this is what killed freshly
        started workers with SIGKILL under load when PIDs wrap quickly, ``pid_max`` = 32768).
        """
        if self.dead is None:
            self.dead = reason
        proc = getattr(self, "proc", None)
        if proc is None:
            return
        members = self.members() if self.namespace is None and proc.returncode is None else []
        if proc.returncode is None and self._pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        for pid in members:  # without a namespace: the descendants found while the worker lived
            _kill_pid(pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        if self.namespace is not None:
            deadline = time.monotonic() + 10
            while (left := namespace_members(self.namespace)) and time.monotonic() < deadline:
                for pid in left:  # normally the kernel already did this when the init died
                    _kill_pid(pid, self.namespace)
                time.sleep(0.01)

    def close(self) -> None:
        """Kill the worker (if running), close the channel and delete its folder."""
        self._stop.set()
        proc = getattr(self, "proc", None)
        if self.dead is None and proc is not None and proc.poll() is None and getattr(self, "_req", None) is not None:
            # a polite exit first: the worker, its init and `unshare` end normally, so their CPU time is
            # accounted to this process (benchmarks); whatever is left is killed below
            with contextlib.suppress(WorkerFailure, OSError, subprocess.TimeoutExpired):
                self._send({"id": "bye", "op": "bye"}, time.monotonic() + 1.0)
                proc.wait(timeout=2)
        self.kill()
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(timeout=5)
        for fd in ("_req", "_resp", "_pidfd"):
            value = getattr(self, fd, None)
            if value is not None:
                with contextlib.suppress(OSError):
                    os.close(value)
                setattr(self, fd, None)
        if self.uid is not None and self._uids is not None:
            self._uids.release(self.uid)
        shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------- session
class Session:
    """The workers of one submission: start, run cells, restart without a failing cell."""

    def __init__(self, exercise: Exercise, answers: Answers, limits: Limits, sandbox: Sandbox,
                 hide: Sequence[str], uids: UidPool | None, deadline: float) -> None:
        self.exercise = exercise
        self.answers = answers
        self.limits = limits
        self.sandbox = sandbox
        self.hide = hide
        self.uids = uids
        self.deadline = deadline
        self.worker: WorkerProcess | None = None
        self.started = 0
        self.cell_errors: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        self.notes: list[str] = []
        self.applied: dict = {}

    def timeout(self, limit: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0.05:
            raise WorkerFailure(f"the total time limit of {self.limits.total_seconds:g} s was reached")
        return min(limit, left)

    def ensure(self) -> WorkerProcess:
        """A live worker that has run the set-up cells and the (non-skipped) answer cells."""
        while self.worker is None or self.worker.dead:
            if self.worker is not None:
                self.worker.close()
                self.worker = None
            if self.started >= self.limits.max_workers:
                raise WorkerFailure("the worker failed too many times; remaining checks were not run")
            self.timeout(0)
            self.started += 1
            self.worker = start_worker(self.limits, self.sandbox, self.hide, self.uids)
            self.applied = self.applied or self.worker.applied
            self._run_cells(self.worker)
        return self.worker

    def _run_cells(self, worker: WorkerProcess) -> None:
        for index, source in enumerate(self.exercise.setup_sources):
            try:
                reply = worker.request("exec", self.timeout(self.limits.cell_seconds), source=source,
                                       label=f"setup-{index}")
            except WorkerFailure as exc:
                raise GraderError(f"the exercise's set-up cell {index} failed in the worker: {exc}") from exc
            error = reply.get("error") if not reply["ok"] else None
            if isinstance(error, dict) and "blocked while grading" not in str(error.get("message")):
                note = f"set-up cell {index} raised {error.get('type')}: {str(error.get('message'))[:200]}"
                if note not in self.notes:
                    self.notes.append(note)
        for gid in self.exercise.answer_ids:
            if gid not in self.answers.sources or gid in self.skipped:
                continue
            try:
                reply = worker.request("exec", self.timeout(self.limits.cell_seconds),
                                       source=self.answers.sources[gid], label=gid)
            except WorkerFailure as exc:
                self.skipped[gid] = f"running your answer cell, the worker {exc}"
                return
            error = reply.get("error") if not reply["ok"] else None
            if isinstance(error, dict) and error.get("type") == "GraderTimeout":
                # a cell that does not finish is broken, whether or not it swallowed the interruption
                worker.kill("timed out")
                self.skipped[gid] = (f"your answer cell did not finish within {self.limits.cell_seconds:g} s "
                                     "(an endless loop at the top level of the cell?)")
                return
            if not reply["ok"] and gid not in self.cell_errors:
                self.cell_errors[gid] = _error_text(reply.get("error"))

    def request(self, op: str, limit: float, **fields: Any) -> dict:
        worker = self.ensure()
        return worker.request(op, self.timeout(limit), **fields)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None


def _isolation_note(applied: dict) -> str:
    """One line saying which isolation measures the worker applied (from its ``init`` reply)."""
    if not applied:
        return "Graded in a separate worker process."
    measures = ["separate process", "resource limits", "memory limit for all its processes together"]
    if applied.get("allowlist_root"):
        measures.append("own file system (working folder, private /tmp and /dev/shm, Python read-only)")
    else:
        measures.append("reference import blocked (files NOT hidden)")
    measures.append("own PID namespace" if applied.get("pid_namespace") else "processes visible")
    measures.append("no network" if applied.get("network_isolated") else "network NOT isolated")
    measures.append("unprivileged user" if applied.get("uid") not in (0, None) and os.geteuid() == 0
                    else "same user as the grader")
    text = "Graded in an isolated worker: " + ", ".join(measures) + "."
    problems = [str(n) for n in applied.get("notes", []) if isinstance(n, str)]
    return text + ("" if not problems else " Sandbox notes: " + "; ".join(problems[:3]))


def _error_text(error: Any) -> str:
    if not isinstance(error, dict):
        return "raised an error"
    text = f"{error.get('type')}: {str(error.get('message'))[:300]}"
    tb = str(error.get("traceback") or "").strip().splitlines()
    where = [line.strip() for line in tb if line.strip().startswith('File "<cell')]
    if where:
        text += f" ({where[-1].split(', in ')[0].replace('File ', '')})"
    return text


class WorkerRemote:
    """A :class:`~mlops_course.grading.checks.Remote` that runs calls in the session's worker."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._handles = 0

    def _value(self, reply: dict) -> Any:
        if reply["ok"]:
            return decode_value(reply.get("value"))
        error = reply.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("type"), str):
            raise BadResult("the worker reported a malformed error")
        mro = error.get("mro")
        mro = [m for m in mro if isinstance(m, str)] if isinstance(mro, list) else []
        if error["type"] == "GraderTimeout":  # the student's state may be half-updated: start afresh
            if self.session.worker is not None:
                self.session.worker.kill("timed out")
            raise CallTimeout(f"did not finish within {self.session.limits.call_seconds:g} s (an endless loop?)")
        if error["type"] == "NotPlainData":
            raise BadResult(str(error.get("message")))
        raise StudentError(error["type"], mro, str(error.get("message", ""))[:500], str(error.get("traceback", "")))

    def _request(self, op: str, **fields: Any) -> Any:
        return self._value(self.session.request(op, self.session.limits.call_seconds, **fields))

    def defined(self, name: str) -> bool:
        return self._request("defined", name=name) is True

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._request("call", name=name, args=encode_args(list(args)), kwargs=encode_args(kwargs))

    def repeat(self, n: int, name: str, *args: Any, **kwargs: Any) -> list[Any]:
        return self._request("call", name=name, args=encode_args(list(args)), kwargs=encode_args(kwargs),
                             repeat=int(n))

    def new(self, name: str, *args: Any, **kwargs: Any) -> str:
        self._handles += 1
        handle = f"h{self._handles}"
        self._request("new", name=name, handle=handle, args=encode_args(list(args)), kwargs=encode_args(kwargs))
        return handle

    def method(self, handle: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._request("method", handle=handle, method=method, args=encode_args(list(args)),
                             kwargs=encode_args(kwargs))

    def attr(self, handle: str, attr: str) -> Any:
        return self._request("attr", handle=handle, attr=attr)


# --------------------------------------------------------------------------- exercises and units
def resolve_unit(unit: str | int | None, nb: dict | None = None, filename: str | None = None) -> str:
    """The unit stem from ``--unit`` (``7``, ``07`` or ``07_differential_privacy``) or the notebook.

    Parameters
    ----------
    unit : str, int or None
        ``--unit`` as given; ``None`` or blank = from the notebook.
    nb : dict or None
        The submitted notebook (its ``nbgrader`` metadata names the unit).
    filename : str or None
        The submission's file name (``07_differential_privacy.ipynb`` names the unit).

    Returns
    -------
    str
        The unit stem, e.g. ``"07_differential_privacy"``.

    Raises
    ------
    GraderError
        If ``unit`` names no unit.
    SubmissionError
        If no unit is given and the notebook does not tell (and more than one unit is graded).
    """
    from mlops_course.units import UNITS, unit_by_number, unit_by_stem

    if unit is not None and str(unit).strip():
        text = str(unit).strip()
        try:
            return unit_by_number(int(text)).stem if text.isdigit() else unit_by_stem(text).stem
        except ValueError as exc:
            raise GraderError(f"unknown unit {text!r}: use a number 0-{len(UNITS) - 1} or a stem like "
                              "07_differential_privacy") from exc
    claimed = unit_of(nb or {}, filename)
    if claimed is not None:
        return claimed
    graded = [u.stem for u in UNITS if u.has_exercise]
    if len(graded) == 1:
        return graded[0]
    raise SubmissionError("cannot tell which unit this notebook belongs to: pass --unit")


def exercise_paths(unit: str, source: str | Path | None = None) -> list[Path]:
    """Where the exercise of ``unit`` is looked for, in order.

    Parameters
    ----------
    unit : str
        The unit stem.
    source : path or None
        A released or solution notebook given by the instructor (``--source``).

    Returns
    -------
    list of pathlib.Path
        ``[source]`` if given; else ``exercises/<unit>.ipynb`` and ``solutions/<unit>.ipynb`` of the
        course folder (:func:`mlops_course.course.project_root`); empty if there is no course folder.
    """
    if source:
        return [Path(source)]
    root = find_project_root()
    return [] if root is None else [root / "exercises" / f"{unit}.ipynb", root / "solutions" / f"{unit}.ipynb"]


def find_exercise(unit: str, source: str | Path | None = None) -> Exercise:
    """The released exercise of ``unit``: from ``source`` (a released or solution notebook), else
    ``exercises/<unit>.ipynb`` or (released in memory) ``solutions/<unit>.ipynb`` of the course folder.

    Parameters
    ----------
    unit : str
        The unit stem.
    source : path or None
        A released or solution notebook to trust instead of the course folder's.

    Returns
    -------
    Exercise
        The released exercise (solution blocks removed).

    Raises
    ------
    GraderError
        If none of :func:`exercise_paths` is a file.
    """
    candidates = exercise_paths(unit, source)
    for path in candidates:
        if path.is_file():
            nb = nbformat.read(str(path), as_version=4)
            if any(BEGIN_SOLUTION in "".join(c.source) for c in nb.cells):
                nb = release_notebook(nb)
            return exercise_from_notebook(nb, unit)
    if not candidates:
        raise GraderError(f"no released exercise for unit {unit}: no course folder at or above {Path.cwd()}; "
                          "run from the course folder or pass --source")
    raise GraderError(f"no released exercise for unit {unit}: looked for {', '.join(map(str, candidates))}")


# --------------------------------------------------------------------------- grader
@dataclass
class Grader:
    """Grades submissions of one unit.

    Parameters
    ----------
    unit : str or None
        Unit stem or number; ``None`` = from each notebook's metadata or file name.
    source : path or None
        The released exercise (or its solution notebook) the grader trusts.
    checks_dirs : sequence of paths
        Instructor folders with extra checks (``--checks``).
    limits : Limits
    sandbox : Sandbox

    Examples
    --------
    >>> report = Grader("07").grade("solutions/07_differential_privacy.ipynb")  # doctest: +SKIP
    >>> report.score, report.max_score  # doctest: +SKIP
    (15.0, 15.0)
    """

    unit: str | None = None
    source: str | Path | None = None
    checks_dirs: Sequence[str | Path] = ()
    limits: Limits = field(default_factory=Limits)
    sandbox: Sandbox = field(default_factory=Sandbox)

    def __post_init__(self) -> None:
        if not self.sandbox.active and not self.sandbox.unsafe_same_user:
            raise GraderError(NOT_ROOT)
        self._uids = UidPool() if self.sandbox.active else None
        self._cache: dict[str, tuple[Exercise, tuple[Check, ...], tuple[ManualQuestion, ...]]] = {}
        self._lock = threading.Lock()
        hide = [str(PACKAGE_DIR)]
        root = find_project_root()
        if root is not None and (root / "solutions").is_dir():
            hide.append(str(root / "solutions"))
        hide += [str(Path(d).resolve()) for d in self.checks_dirs]
        if self.source is not None:
            hide.append(str(Path(self.source).resolve()))
        self._hide = tuple(dict.fromkeys(hide + list(self.sandbox.hide)))

    @property
    def mode(self) -> str:
        """``"root"`` (the full sandbox) or ``"unsafe-same-user"``."""
        return "root" if self.sandbox.active else "unsafe-same-user"

    def _unit_data(self, unit: str) -> tuple[Exercise, tuple[Check, ...], tuple[ManualQuestion, ...]]:
        with self._lock:
            if unit not in self._cache:
                checks = load_checks(unit, self.checks_dirs)
                manual = tuple(m for m in builtin_manual(unit) if isinstance(m, ManualQuestion))
                if not checks and not manual:
                    raise SubmissionError(f"unit {unit} has no graded exercise")
                self._cache[unit] = (find_exercise(unit, self.source), checks, manual)
            return self._cache[unit]

    def grade(self, path: str | Path) -> GradeReport:
        """Grade one submission; problems of the submission give a report, never an exception.

        Raises
        ------
        GraderError
            Only for problems of the grader itself (no exercise found, worker cannot start).
        """
        path = Path(path)
        start = time.monotonic()
        name = path.name
        unit = resolve_unit(self.unit) if self.unit is not None else None
        notes: list[str] = []
        nb: dict | None = None
        checks: Sequence[Check] = ()
        manual: Sequence[ManualQuestion] = ()
        try:
            if unit is not None:
                self._unit_data(unit)
            nb = load_notebook(path)
            unit = resolve_unit(self.unit, nb, name)
            if self.unit is None:
                notes.append(f"No --unit given: graded as unit {unit}, {_unit_source(nb, name)}.")
            exercise, checks, manual = self._unit_data(unit)
            try:
                answers = extract_answers(nb, exercise, name)
            except SubmissionError as exc:
                return self._report(name, unit, _rejected(checks, str(exc)), [str(exc)] + notes, start,
                                    "rejected", manual, None)
            tests, run_notes = self._run(exercise, answers, checks, start) if checks else ([], [])
        except SubmissionError as exc:
            if unit is not None and unit in self._cache:
                _, checks, manual = self._cache[unit]
            return self._report(name, unit, _rejected(checks, str(exc)), [str(exc)] + notes, start, "rejected",
                                manual, None)
        return self._report(name, unit, tests, notes + run_notes, start, "graded", manual, nb)

    def _report(self, name: str, unit: str | None, tests: list[TestResult], notes: list[str], start: float,
                status: str, manual: Sequence[ManualQuestion], nb: dict | None) -> GradeReport:
        """The report: autograded tests, then one "needs manual grading" entry per manual question."""
        answers = _manual_answers(nb, manual)
        for question in manual:
            found = answers[question.grade_id]
            text = ("Needs manual grading: a grader reads your answer and awards up to "
                    f"{question.points:g} points (not included in the autograded score)."
                    if found is not None else
                    f"Needs manual grading, but the answer cell {question.grade_id!r} is missing from your notebook.")
            tests.append(TestResult(f"{question.grade_id}: needs manual grading", question.grade_id, 0.0,
                                    float(question.points), text, "visible", MANUAL_STATUS))
        listed = [{"grade_id": q.grade_id, "points": float(q.points), "title": q.title,
                   "answer": answers[q.grade_id]} for q in manual]
        if self.mode != "root":
            notes.append(UNSAFE_LIMITS)
        return GradeReport(name, unit, tests, "\n".join(notes), time.monotonic() - start, status, listed, self.mode)

    def _run(self, exercise: Exercise, answers: Answers, checks: Sequence[Check],
             start: float) -> tuple[list[TestResult], list[str]]:
        session = Session(exercise, answers, self.limits, self.sandbox, self._hide, self._uids,
                          start + self.limits.total_seconds)
        tests: list[TestResult] = []
        try:
            for check in checks:
                tests.extend(self._run_check(session, check))
        finally:
            session.close()
        notes = [_isolation_note(session.applied)] + list(session.notes)
        return tests, notes

    def _run_check(self, session: Session, check: Check) -> list[TestResult]:
        gid = check.grade_id
        remote = WorkerRemote(session)
        broken = session.answers.problems.get(gid)
        if broken is None and gid not in session.answers.sources:
            broken = f"the exercise has no answer cell {gid!r}"
        if broken is None:
            try:
                session.ensure()
                if gid in session.skipped:
                    broken = session.skipped[gid]
                elif not remote.defined(check.name):
                    what = "class" if check.kind == "class" else "function"
                    broken = f"your answer cell does not define the {what} {check.name}"
                    if gid in session.cell_errors:
                        broken += f": it raised {session.cell_errors[gid]}"
            except (WorkerFailure, StudentError, BadResult) as exc:
                broken = f"the worker {exc}" if isinstance(exc, WorkerFailure) else str(exc)
        results = []
        for prop in check.properties:
            if broken is not None:
                results.append(_result(check, prop, False, broken, hint=False))
                continue
            passed, message, broken = run_property(prop, remote, check.name)
            results.append(_result(check, prop, passed, message, hint=broken is None))
        return results

    def grade_many(self, paths: Iterable[str | Path], jobs: int = 1,
                   on_done: Callable[[GradeReport], None] | None = None) -> list[GradeReport]:
        """Grade several submissions with ``jobs`` workers in parallel; reports in input order."""
        paths = list(paths)
        if jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {jobs}")

        def one(path: Path | str) -> GradeReport:
            try:
                report = self.grade(path)
            except Exception as exc:  # noqa: BLE001 - one broken grading must not stop the batch
                report = GradeReport(Path(path).name, self.unit, [], f"internal grader error: {exc}", 0.0, "error",
                                     sandbox=self.mode)
            if on_done is not None:
                on_done(report)
            return report

        if jobs == 1:
            return [one(p) for p in paths]
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(one, paths))


def _result(check: Check, prop: Property, passed: bool, message: str, hint: bool = True) -> TestResult:
    visibility = "visible" if prop.visible else check.hidden_visibility
    mark = "✔" if passed else "✘"
    output = f"{mark} {message}"
    if not passed and hint and prop.hint and prop.visible:
        output += f"\nHint: {prop.hint}"
    return TestResult(f"{check.grade_id}: {prop.name}", check.grade_id, prop.points if passed else 0.0,
                      prop.points, output, visibility)


def _rejected(checks: Sequence[Check], message: str) -> list[TestResult]:
    return [_result(c, p, False, "not graded: " + message, hint=False) for c in checks for p in c.properties]


def _unit_source(nb: dict, filename: str) -> str:
    """Where :func:`resolve_unit` took a notebook's unit from (for the report)."""
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    course = meta.get("mlops_course")
    if isinstance(course, dict) and isinstance(course.get("stem"), str):
        return "taken from the notebook's metadata (mlops_course.stem)"
    if unit_of({}, filename) is not None:
        return "taken from the file name"
    return "the only unit with a graded exercise"


def _manual_answers(nb: dict | None, manual: Sequence[ManualQuestion]) -> dict[str, str | None]:
    """``grade_id -> source`` of each manual question's cell in the submission (``None`` if absent).

    The trusted list is ``manual`` (the unit module's ``MANUAL``); cell metadata only locates the
    answer. Duplicated cells are joined, separated by a line, so a grader sees all of them.
    """
    found: dict[str, list[str]] = {q.grade_id: [] for q in manual}
    for cell in (nb or {}).get("cells", []) if isinstance(nb, dict) else []:
        gid = nbgrader_meta(cell).get("grade_id") if isinstance(cell, dict) else None
        if isinstance(gid, str) and gid in found:
            found[gid].append(cell_source(cell))
    return {gid: ("\n\n-----\n\n".join(parts) if parts else None) for gid, parts in found.items()}


def with_limits(grader: Grader, **changes: Any) -> Grader:
    """A copy of ``grader`` with some limits changed (used by tests and the CLI)."""
    return Grader(grader.unit, grader.source, grader.checks_dirs, replace(grader.limits, **changes), grader.sandbox)
