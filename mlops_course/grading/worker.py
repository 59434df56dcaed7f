"""The grader's worker: the only process that ever runs a student's code.

This file is a **standalone program** (it imports nothing from ``mlops_course``) started by
:mod:`mlops_course.grading.harness` as::

    python -s -P -B worker.py REQUEST_FD REPLY_FD

with a scrubbed environment, in a new session (its own process group), with stdin from
``/dev/null`` and stdout/stderr going to a log file the harness caps and mostly ignores.

Protocol (the *private channel*): two pipes inherited by file descriptor, never stdout.
Every message is a 4-byte big-endian length followed by UTF-8 JSON. The harness sends one
request at a time and waits for the reply carrying the same random ``id``:

* ``init``   — sandbox settings; the worker locks itself down (below) and replies what it applied;
* ``exec``   — run one cell's source in the submission namespace (with a time limit);
* ``defined`` / ``call`` / ``new`` / ``method`` / ``attr`` — call the student's named function,
  build an instance of the student's class, call a method, read an attribute; arguments and
  results are *plain data* only (numbers, strings, lists, tuples, numpy arrays, ``None``) plus
  one marker ``{"__rng__": seed}`` the worker turns into ``numpy.random.default_rng(seed)``;
* ``bye``    — exit.

Started by ``unshare --pid --fork`` (as root) the script first finds itself PID 1 of a fresh PID
namespace: it forks, stays behind as the namespace's init (reaps orphans, exits when the worker
exits, which makes the kernel kill everything left in the namespace) and the child, PID 2, is the
worker. Lock-down, in this order, before any student byte runs (steps needing root are skipped
without root; the reply to ``init`` lists what was applied):

1. pre-import numpy and common standard modules;
2. root only: new mount and network namespaces (no network interface but a down loopback) and an
   **allowlisted root** (:func:`build_root`): a fresh tmpfs with ``/usr`` and the ``/bin``/``/lib``
   links, a few files of ``/etc``, the Python installation read-only (paths the harness hides, e.g.
   an installed ``mlops_course``, are covered), ``/dev`` with null/zero/full/random/urandom, a
   ``/proc`` of the PID namespace only (``hidepid=2``), a private ``/tmp`` and ``/dev/shm`` and the
   working folder (size-limited tmpfs owned by the worker's user); then ``chroot`` into it.
   Nothing else of the machine (the repository, ``.git``, other submissions) exists there;
3. resource limits (``setrlimit``): address space, CPU seconds, file size, processes, open
   files, no core dumps;
4. root only: drop to an unprivileged uid/gid (no supplementary groups) chosen by the harness,
   then ``PR_SET_NO_NEW_PRIVS`` so no set-uid program can regain privileges;
5. an import blocker on ``sys.meta_path`` refuses ``mlops_course`` (and anything else the
   harness names) and the package's entries are removed from ``sys.path``/``sys.modules``.

Everything here runs in the same process as the student's code, so the student can tamper with
it (patch these functions, write to the reply pipe, ...). That is expected: the harness treats
every reply as an untrusted claim, validates it strictly and does all comparisons itself.
"""
from __future__ import annotations

import builtins
import ctypes
import json
import math
import os
import resource
import signal
import struct
import sys
import traceback

__all__ = ["encode_value", "decode_args", "main"]

MAX_MESSAGE = 64 * 1024 * 1024
PRELOAD = (
    "numpy", "math", "cmath", "random", "statistics", "collections", "collections.abc", "itertools",
    "functools", "operator", "typing", "dataclasses", "fractions", "decimal", "numbers", "json", "re",
    "copy", "heapq", "bisect", "string", "textwrap", "enum", "abc", "warnings", "contextlib", "time",
    "datetime", "inspect", "types", "weakref", "traceback", "io", "hashlib", "secrets", "struct",
    "array", "pprint", "numpy.linalg", "numpy.random",
)
CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 1 << 14, 1 << 18
PR_SET_NO_NEW_PRIVS = 38


class GraderTimeout(BaseException):
    """Raised inside the student's code when a cell or call exceeds its time limit.

    A ``BaseException`` so that ``except Exception`` in the student's code does not swallow it.
    """


class NotPlainData(TypeError):
    """A result that is not plain data (numbers, strings, lists, tuples, arrays, None)."""


# --------------------------------------------------------------------------- codec
def encode_value(value: object, depth: int = 0) -> object:
    """Encode a result as JSON-able plain data (the only thing that crosses the channel).

    ``float``/``int``/``bool``/``str``/``None`` pass through; numpy scalars become Python values
    (``np.float64`` → float, ``np.int64`` → int, ``np.bool_`` → bool, ``np.str_`` → str, e.g. the
    values of ``np.unique``); numpy arrays become ``{"__ndarray__": flat list, "shape": [...],
    "dtype": kind}``, tuples ``{"__tuple__": [...]}``, dicts whose keys are strings (``str`` or
    ``np.str_``) ``{"__dict__": {...}}``; anything else raises :class:`NotPlainData` (e.g. an object
    with an always-true ``__eq__``). Non-finite floats become ``{"__float__": "nan"|"inf"|"-inf"}``.

    Parameters
    ----------
    value : object
        What the student's code returned.
    depth : int, optional
        Current nesting depth (used by the recursion; callers leave it at 0).

    Returns
    -------
    object
        JSON-able data that :func:`mlops_course.grading.checks.decode_value` rebuilds.

    Raises
    ------
    NotPlainData
        For any other type (subclasses of ``int``/``str``/``list``/... included), dict keys that
        are not strings, non-numeric arrays, arrays over 5 000 000 entries, or nesting deeper than 20.

    Examples
    --------
    >>> encode_value((1, float("inf")))
    {'__tuple__': [1, {'__float__': 'inf'}]}
    """
    import numpy as np

    if depth > 20:
        raise NotPlainData("result is nested too deeply")
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float or isinstance(value, np.floating):
        return _encode_float(float(value))
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if type(value) is np.str_:
        return str(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise NotPlainData(f"array of dtype {value.dtype} is not numeric")
        if value.size > 5_000_000:
            raise NotPlainData(f"array of {value.size} entries is too large")
        kind = {"b": "bool", "i": "int", "u": "int", "f": "float"}[value.dtype.kind]
        flat = value.ravel().tolist()
        if kind == "float":
            flat = [_encode_float(x) for x in flat] if not np.isfinite(value).all() else flat
        return {"__ndarray__": flat, "shape": list(value.shape), "dtype": kind}
    if type(value) is list:
        return [encode_value(v, depth + 1) for v in value]
    if type(value) is tuple:
        return {"__tuple__": [encode_value(v, depth + 1) for v in value]}
    if type(value) is dict and all(type(k) in (str, np.str_) for k in value):
        return {"__dict__": {str(k): encode_value(v, depth + 1) for k, v in value.items()}}
    raise NotPlainData(f"a {type(value).__name__} object is not plain data (return numbers or arrays)")


def _encode_float(x: float):
    if math.isfinite(x):
        return x
    return {"__float__": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def decode_args(value):
    """Decode harness-chosen arguments: markers for arrays, tuples and seeded generators."""
    import numpy as np

    if isinstance(value, list):
        return [decode_args(v) for v in value]
    if isinstance(value, dict):
        if "__rng__" in value:
            return np.random.default_rng(value["__rng__"])
        if "__ndarray__" in value:
            return np.array(value["__ndarray__"], dtype=value["dtype"]).reshape(value["shape"])
        if "__tuple__" in value:
            return tuple(decode_args(v) for v in value["__tuple__"])
        if "__float__" in value:
            return float(value["__float__"])
        if "__dict__" in value:
            return {k: decode_args(v) for k, v in value["__dict__"].items()}
        raise ValueError(f"unknown argument marker {sorted(value)}")
    return value


# --------------------------------------------------------------------------- channel
class Channel:
    """Length-prefixed JSON messages over two inherited pipe file descriptors."""

    def __init__(self, request_fd: int, reply_fd: int) -> None:
        self.request_fd = request_fd
        self.reply_fd = reply_fd

    def _read_exactly(self, n: int) -> bytes:
        chunks, got = [], 0
        while got < n:
            chunk = os.read(self.request_fd, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError("harness closed the channel")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def recv(self) -> dict:
        (size,) = struct.unpack(">I", self._read_exactly(4))
        if size > MAX_MESSAGE:
            raise ValueError("request too large")
        return json.loads(self._read_exactly(size).decode("utf-8"))

    def send(self, message: dict) -> None:
        data = json.dumps(message, allow_nan=False).encode("utf-8")
        view = memoryview(struct.pack(">I", len(data)) + data)
        while view:
            written = os.write(self.reply_fd, view)
            view = view[written:]


# --------------------------------------------------------------------------- output capture
class CappedWriter:
    """A text stream that keeps the first ``limit`` characters and counts (drops) the rest."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[str] = []
        self.size = 0

    def write(self, text) -> int:
        text = str(text)
        room = self.limit - self.size
        if room > 0:
            self.kept.append(text[:room])
        self.size += len(text)
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def take(self) -> tuple[str, int]:
        text, size = "".join(self.kept), self.size
        self.kept, self.size = [], 0
        return text, size


# --------------------------------------------------------------------------- sandbox
class _ImportBlocker:
    """A ``sys.meta_path`` finder that refuses the reference implementation."""

    def __init__(self, prefixes: list[str]) -> None:
        self.prefixes = tuple(prefixes)

    def find_spec(self, fullname, path=None, target=None):
        for prefix in self.prefixes:
            if fullname == prefix or fullname.startswith(prefix + "."):
                raise ImportError(
                    f"importing {fullname!r} is blocked while grading: the task asks for your own "
                    "implementation, not the course's reference"
                )
        return None

    def find_module(self, fullname, path=None):  # pragma: no cover - legacy API
        return None


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    libc.unshare.argtypes = [ctypes.c_int]
    return libc


def _mount(libc, source: bytes, target: str, fstype: bytes | None, flags: int, data: bytes | None) -> None:
    if libc.mount(source, os.fsencode(target), fstype, flags, data) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


# Files of /etc the interpreter and common libraries read (dynamic loader, time zone, user names).
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf",
             "hosts", "mime.types", "ssl", "fonts", "alternatives", "matplotlibrc")
DEVICES = ("null", "zero", "full", "random", "urandom")


def _covers(entry: str, hidden: str) -> bool:
    """Whether the path ``entry`` is ``hidden`` or lies inside it."""
    return entry == hidden or entry.startswith(hidden.rstrip(os.sep) + os.sep)


def _installation_paths(hidden: list[str]) -> list[str]:
    """The folders of the Python installation the worker may see (read-only), outermost only.

    ``sys.base_prefix`` and ``sys.prefix`` (standard library, site-packages; a virtual environment
    inside a repository exposes only its own folder), plus other ``sys.path`` folders that hold
    nothing hidden (a folder containing a hidden path, e.g. a repository root on ``sys.path``,
    is left out entirely rather than shown minus the hidden part).
    """
    wanted = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, os.path.dirname(os.__file__))}
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        real = os.path.realpath(entry)
        if any(_covers(real, w) for w in wanted):
            continue
        if any(_covers(h, real) for h in hidden):
            continue
        wanted.add(real)
    out = sorted(wanted)
    return [p for p in out if not any(p != q and _covers(p, q) for q in out) and p != "/"]


def _bind(libc, source: str, target: str, readonly: bool = True) -> None:
    if os.path.isdir(source):
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if not os.path.exists(target):
            with open(target, "w"):
                pass
    _mount(libc, os.fsencode(source), target, None, MS_BIND | MS_REC, None)
    if readonly:
        _mount(libc, b"none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


def build_root(libc, config: dict, notes: list) -> list[str]:
    """Build the worker's whole file system in a fresh tmpfs and ``chroot`` into it (root only).

    Allowlist, everything else does not exist for the student's code:

    * read-only: ``/usr`` and the ``/bin``, ``/lib``... links or folders, a few files of ``/etc``
      (:data:`ETC_FILES`), the Python installation (:func:`_installation_paths`);
    * ``/dev`` with ``null``, ``zero``, ``full``, ``random``, ``urandom`` and a private ``/dev/shm``;
    * ``/proc`` of the worker's own PID namespace (only its processes), ``hidepid=2`` when the
      kernel allows it;
    * a private ``/tmp`` and the working folder, fresh size-limited tmpfs mounts owned by the
      worker's user;
    * every path of ``config["hide"]`` that falls inside an exposed folder (the installed package,
      private checks) is covered by an empty unreadable tmpfs (folders) or ``/dev/null`` (files).

    Returns the exposed installation folders.
    """
    root = config["root"]
    uid, gid, size = config["uid"], config["gid"], int(config["workdir_bytes"])
    hidden = [os.path.realpath(h) for h in config.get("hide", [])]
    _mount(libc, b"none", "/", None, MS_REC | MS_PRIVATE, None)
    _mount(libc, b"tmpfs", root, b"tmpfs", MS_NOSUID | MS_NODEV, b"size=8m,mode=0755")
    for name in sorted(os.listdir("/")):
        host = "/" + name
        if os.path.islink(host) and name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            os.symlink(os.readlink(host), os.path.join(root, name))
        elif name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr") and os.path.isdir(host):
            _bind(libc, host, root + host)
    for name in ETC_FILES:
        if os.path.exists("/etc/" + name):
            _bind(libc, os.path.realpath("/etc/" + name), f"{root}/etc/{name}")
    exposed = _installation_paths(hidden)
    for path in exposed:
        if not os.path.exists(root + path):
            _bind(libc, path, root + path)
    for path in hidden:
        target = root + path
        if not any(_covers(path, e) for e in exposed + ["/usr", "/etc"]) or not os.path.exists(target):
            continue
        if os.path.isdir(target):
            _mount(libc, b"tmpfs", target, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, b"size=4k,mode=000")
        else:
            _mount(libc, b"/dev/null", target, None, MS_BIND, None)
    os.makedirs(root + "/dev", mode=0o755)
    _mount(libc, b"tmpfs", root + "/dev", b"tmpfs", MS_NOSUID, b"size=64k,mode=0755")
    for name in DEVICES:
        _bind(libc, "/dev/" + name, f"{root}/dev/{name}", readonly=False)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    owned = f"size={size},mode=1777,uid={uid},gid={gid}".encode()
    for private in ("/dev/shm", "/tmp"):
        os.makedirs(root + private, mode=0o1777)
        _mount(libc, b"tmpfs", root + private, b"tmpfs", MS_NOSUID | MS_NODEV, owned)
    os.makedirs(root + "/proc", mode=0o555)
    try:
        _mount(libc, b"proc", root + "/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, b"hidepid=2")
    except OSError:
        _mount(libc, b"proc", root + "/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
        notes.append("/proc mounted without hidepid")
    workdir = root + config["workdir"]
    os.makedirs(workdir, mode=0o755, exist_ok=True)
    _mount(libc, b"tmpfs", workdir, b"tmpfs", MS_NOSUID | MS_NODEV,
           f"size={size},mode=0700,uid={uid},gid={gid}".encode())
    os.chroot(root)
    return exposed


def lock_down(config: dict) -> dict:
    """Apply the sandbox described by ``config``; return what was applied (plain data)."""
    applied: dict = {"notes": []}
    notes = applied["notes"]
    for name in PRELOAD:
        try:
            __import__(name)
        except Exception as exc:  # pragma: no cover - depends on the platform
            notes.append(f"preload {name} failed: {exc}")
    workdir = config["workdir"]
    root = os.geteuid() == 0
    privileged = root and config.get("privileged", True)
    applied["network_isolated"] = False
    applied["files_hidden"] = False
    applied["pid_namespace"] = os.getpid() == 2 and os.getppid() == 1
    if privileged:
        if not applied["pid_namespace"]:
            raise RuntimeError("the privileged worker must run in its own PID namespace (started by `unshare`)")
        libc = _libc()
        if libc.unshare(CLONE_NEWNS | CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "unshare(mount, network) failed")
        applied["network_isolated"] = True
        applied["exposed"] = build_root(libc, config, notes)
        applied["files_hidden"] = applied["allowlist_root"] = True
    os.chdir(workdir)
    limits = config["limits"]
    for name, value in (("RLIMIT_CORE", 0), ("RLIMIT_FSIZE", limits["file_bytes"]),
                        ("RLIMIT_NOFILE", limits["open_files"]), ("RLIMIT_CPU", limits["cpu_seconds"]),
                        ("RLIMIT_NPROC", limits["processes"]), ("RLIMIT_AS", limits["memory_bytes"])):
        if value is None:
            continue
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (ValueError, OSError) as exc:
            notes.append(f"{name} not applied: {exc}")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the file limit fails instead of killing us
    applied["uid"] = os.getuid()
    if privileged:
        os.setgroups([])
        os.setgid(config["gid"])
        os.setuid(config["uid"])
        try:
            os.setuid(0)
        except PermissionError:
            pass
        else:  # pragma: no cover - the kernel refused to drop privileges
            raise RuntimeError("could not drop root privileges")
        applied["uid"] = os.getuid()
    if _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
        applied["no_new_privs"] = True
    # The reference implementation must not be importable (see module docstring for the limits).
    blocked = list(config.get("block", []))
    sys.meta_path[:] = [f for f in sys.meta_path if not any(b in repr(f) for b in blocked)]
    sys.meta_path.insert(0, _ImportBlocker(blocked))
    hidden = [os.path.realpath(p) for p in config.get("hide", [])]
    sys.path[:] = [p for p in sys.path if p and not any(_covers(os.path.realpath(p), h) for h in hidden)]
    for name in list(sys.modules):
        if any(name == b or name.startswith(b + ".") for b in blocked):
            del sys.modules[name]
    sys.path_importer_cache.clear()
    return applied


# --------------------------------------------------------------------------- execution
def _strip_magics(source: str) -> str:
    """Replace IPython magics and shell escapes (``%...``, ``!...``) by ``pass``."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines.append(line[: len(line) - len(stripped)] + "pass  # IPython magic removed by the grader")
        else:
            lines.append(line)
    return "\n".join(lines)


def _compile(source: str, label: str):
    try:
        return compile(source, f"<cell {label}>", "exec")
    except SyntaxError:
        return compile(_strip_magics(source), f"<cell {label}>", "exec")


def _error(exc: BaseException) -> dict:
    if isinstance(exc, GraderTimeout):
        return {"type": "GraderTimeout", "mro": ["GraderTimeout"], "message": "time limit exceeded",
                "traceback": ""}
    frames = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in frames if f.filename != __file__]
    tb = "".join(traceback.format_list(frames[-6:])) + "".join(
        traceback.format_exception_only(type(exc), exc))
    try:
        mro = [c.__name__ for c in type(exc).__mro__]
    except Exception:  # pragma: no cover - hostile exception classes
        mro = ["BaseException"]
    try:
        message = str(exc)
    except Exception:  # pragma: no cover - hostile __str__
        message = "<unprintable exception>"
    return {"type": type(exc).__name__, "mro": mro, "message": message[:2000], "traceback": tb[-4000:]}


def _on_alarm(signum, frame):
    raise GraderTimeout()


class Worker:
    """The request loop: executes cells and calls into the submission's namespace."""

    def __init__(self, channel: Channel, output_limit: int) -> None:
        self.channel = channel
        self.namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
        self.handles: dict = {}
        self.out = CappedWriter(output_limit)

    def _timed(self, timeout: float, func, *args, **kwargs):
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(float(timeout), 0.001))
        try:
            return func(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def handle(self, request: dict) -> dict:
        op = request["op"]
        timeout = request.get("timeout", 10.0)
        if op == "exec":
            code = _compile(request["source"], request.get("label", "?"))
            self._timed(timeout, exec, code, self.namespace)
            return {"value": None}
        if op == "defined":
            obj = self.namespace.get(request["name"])
            return {"value": obj is not None and callable(obj)}
        if op in ("call", "new", "method", "attr"):
            return {"value": self._call(op, request, timeout)}
        raise ValueError(f"unknown op {op!r}")

    def _call(self, op: str, request: dict, timeout: float):
        if op == "attr":
            obj = self.handles[request["handle"]]
            return encode_value(self._timed(timeout, getattr, obj, request["attr"]))
        if op == "method":
            target = getattr(self.handles[request["handle"]], request["method"])
        else:
            target = self.namespace.get(request["name"])
            if target is None or not callable(target):
                raise NameError(f"{request['name']} is not defined (or not callable) in your answer cells")
        args = decode_args(request.get("args", []))
        kwargs = decode_args(request.get("kwargs", {"__dict__": {}}))
        repeat = int(request.get("repeat", 1))

        def run():
            results = [target(*args, **kwargs) for _ in range(repeat)]
            return results if request.get("repeat") is not None else results[0]

        result = self._timed(timeout, run)
        if op == "new":
            self.handles[request["handle"]] = result
            return None
        return encode_value(result)

    def serve(self) -> None:
        while True:
            try:
                request = self.channel.recv()
            except EOFError:
                return
            if request.get("op") == "bye":
                return
            reply: dict = {"id": request.get("id")}
            sys.stdout = sys.stderr = self.out
            try:
                reply.update(ok=True, **self.handle(request))
            except BaseException as exc:  # noqa: BLE001 - everything the student raises is reported
                signal.setitimer(signal.ITIMER_REAL, 0)
                reply.update(ok=False, error=_error(exc))
            finally:
                sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            text, size = self.out.take()
            reply["stdout"] = text
            reply["stdout_size"] = size
            try:
                self.channel.send(reply)
            except (ValueError, TypeError):
                self.channel.send({"id": request.get("id"), "ok": False, "error": {
                    "type": "NotPlainData", "mro": ["NotPlainData"], "message": "result is not JSON data",
                    "traceback": ""}})


def _become_init(keep: tuple[int, ...]) -> None:
    """As PID 1 of a fresh PID namespace: fork the real worker (PID 2) and stay behind as its init.

    The init closes the channel, reaps every orphan of the namespace and exits when the worker
    exits (code ``128 + signal`` when it was killed by a signal); the kernel then kills every
    process left in the namespace, so nothing a submission started survives its worker. Returns
    only in the worker.
    """
    pid = os.fork()
    if pid == 0:
        return
    for fd in keep:
        try:
            os.close(fd)
        except OSError:
            pass
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:  # pragma: no cover - the worker is always our child
            os._exit(1)
        except InterruptedError:  # pragma: no cover
            continue
        if done == pid:
            code = os.waitstatus_to_exitcode(status)
            os._exit(code if code >= 0 else 128 - code)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    request_fd, reply_fd = int(argv[0]), int(argv[1])
    if os.getpid() == 1:
        _become_init((request_fd, reply_fd))
    channel = Channel(request_fd, reply_fd)
    config = channel.recv()
    try:
        applied = lock_down(config)
    except BaseException as exc:  # noqa: BLE001 - report, then exit
        channel.send({"id": config.get("id"), "ok": False, "error": _error(exc)})
        return 1
    channel.send({"id": config.get("id"), "ok": True, "value": applied})
    Worker(channel, int(config.get("output_limit", 65536))).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
