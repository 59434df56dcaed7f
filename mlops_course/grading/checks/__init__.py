"""Checks: what the grader verifies about each answer cell, and the registry that finds them.

A :class:`Check` belongs to one answer cell (its ``grade_id``) and is a list of
:class:`Property` objects, each worth some points (partial credit per property) and either
*visible* (also run by the student's self-check, shown in full) or *hidden* (graded only,
shown after the grades are published). A property is a plain function ``prop(remote)`` that
asks the student's code for results through a :class:`Remote` and decides, **in the harness**,
on plain data, whether the property holds: it returns ``(passed, message)`` or raises.

The remote is the only way a check touches the student's code:

* :class:`WorkerRemote` (in :mod:`mlops_course.grading.harness`) sends requests to the isolated
  worker process;
* :class:`LocalRemote` calls an object in the current process (the notebook self-check).

Both turn results into the same plain data (numbers, strings, lists, tuples, numpy arrays,
``None``) through :func:`decode_value`, so a property cannot tell them apart and an object with a
rigged ``__eq__`` never reaches a comparison.

Unit modules (``checks/dp.py``, ...) define the constants ``UNIT`` (the unit's file stem) and
``CHECKS``; they are found automatically (:func:`check_modules`). An instructor's folder
given with ``--checks PATH`` holds ``*.py`` files defining ``CHECKS`` the same way. A check from
such a folder with the grade_id of a built-in check *adds* its properties (hidden tests), or
replaces the built-in one when ``replace=True``.
"""
from __future__ import annotations

import importlib
import importlib.util
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = [
    "Rng", "Property", "Check", "StudentError", "WorkerFailure", "BadResult", "Remote", "LocalRemote",
    "decode_value", "encode_args", "builtin_checks", "load_checks", "check_modules",
    "as_float", "as_array", "raises", "run_property",
    "GRADING_KEY_ENV", "GRADING_KEY_FILE_ENV", "DEVELOPMENT_KEY", "grading_key", "key_is_secret",
    "secret_seed", "secret_rng", "ManualQuestion", "builtin_manual", "ChecksUnavailable", "key_note", "use_key_file",
]


VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Rng:
    """Marker argument: the worker passes ``numpy.random.default_rng(seed)`` in its place."""

    seed: int


@dataclass(frozen=True)
class Property:
    """One graded property of an answer.

    Parameters
    ----------
    name : str
        What is checked, shown to the student (``"noise is Laplace(0, Δ/ε)"``).
    points : float
        Points earned when the property holds.
    func : callable
        ``func(remote) -> (passed, message)``; may raise :class:`StudentError` (the student's
        code raised), :class:`BadResult` (not the expected kind of data) or
        :class:`WorkerFailure` (the worker hung or died); each counts as a failure.
    hint : str
        Shown when the property fails.
    visible : bool
        Visible properties also run in the self-check; hidden ones only when grading.
    """

    name: str
    points: float
    func: Callable[[Remote], tuple[bool, str]]
    hint: str = ""
    visible: bool = True


@dataclass(frozen=True)
class Check:
    """The checks of one answer cell.

    Parameters
    ----------
    grade_id : str
        The ``grade_id`` of the answer cell in the notebook (``"dp-laplace"``).
    name : str
        The name the student's cell must define (``"laplace_mechanism"``).
    properties : tuple of Property
        Graded properties; the check's points are their sum.
    unit : str
        The unit's file stem (``"07_differential_privacy"``).
    kind : {"function", "class"}
        What ``name`` must be.
    replace : bool
        For instructor checks: replace a built-in check with the same grade_id instead of
        adding properties to it.
    hidden_visibility : {"hidden", "after_due_date", "after_published"}
        Gradescope ``visibility`` of the results of hidden properties (visible properties are
        always ``"visible"``): never shown, shown after the due date, or shown once the grades
        are published (the default).
    """

    grade_id: str
    name: str
    properties: tuple[Property, ...]
    unit: str
    kind: str = "function"
    replace: bool = False
    hidden_visibility: str = field(default="after_published")

    @property
    def points(self) -> float:
        """Points of the whole check: the sum of its properties' points."""
        return float(sum(p.points for p in self.properties))


class StudentError(Exception):
    """The student's code raised an exception (its type name, MRO names and message).

    Only names and text cross from the worker, never the exception object itself, so a
    student's exception class cannot run code in the harness.

    Parameters
    ----------
    type_name : str
        The exception's class name (``"ValueError"``).
    mro : sequence of str
        Class names of the exception's method resolution order, the class itself first
        (``["ValueError", "Exception", "BaseException", "object"]``); :meth:`is_a` searches it.
    message : str
        ``str(exc)`` of the student's exception.
    traceback : str, optional
        The formatted traceback, if the remote sent one (shown in the self-check).
    """

    def __init__(self, type_name: str, mro: Sequence[str], message: str, traceback: str = "") -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.mro = tuple(mro)
        self.message = message
        self.traceback = traceback

    def is_a(self, name: str) -> bool:
        """Whether the exception is (a subclass of) the built-in exception called ``name``."""
        return name in self.mro

    @property
    def not_implemented(self) -> bool:
        """Whether the student's code raised ``NotImplementedError`` (the task is still a stub)."""
        return self.is_a("NotImplementedError")


class WorkerFailure(Exception):
    """The worker hung, crashed, exited or broke the protocol while answering."""


class BadResult(Exception):
    """A result that is not the plain data a property expects."""


class Remote(Protocol):
    """How a property talks to the student's code (see :class:`LocalRemote`, ``WorkerRemote``).

    Arguments may be plain data or :class:`Rng` markers (sent through :func:`encode_args`);
    results come back as plain data through :func:`decode_value`. An exception in the student's
    code arrives as :class:`StudentError`, a result that is not plain data as :class:`BadResult`,
    and a hung or dead worker as :class:`WorkerFailure`.
    """

    def defined(self, name: str) -> bool:
        """Whether the student's namespace holds a callable called ``name``."""
        ...

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """``name(*args, **kwargs)`` in the student's namespace, its result as plain data."""
        ...

    def repeat(self, n: int, name: str, *args: Any, **kwargs: Any) -> list[Any]:
        """``n`` calls ``name(*args, **kwargs)`` in one round trip (sampling a noisy mechanism)."""
        ...

    def new(self, name: str, *args: Any, **kwargs: Any) -> str:
        """Instantiate ``name(*args, **kwargs)`` remotely; return a handle naming the object."""
        ...

    def method(self, handle: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """``obj.method(*args, **kwargs)`` on the object behind ``handle``, as plain data."""
        ...

    def attr(self, handle: str, attr: str) -> Any:
        """Attribute ``attr`` of the object behind ``handle``, as plain data."""
        ...


# --------------------------------------------------------------------------- secret inputs
GRADING_KEY_ENV = "MLOPS_COURSE_GRADING_KEY"
GRADING_KEY_FILE_ENV = "MLOPS_COURSE_GRADING_KEY_FILE"
DEVELOPMENT_KEY = b"mlops-course public development key: hidden checks are NOT secret with it"


def grading_key() -> bytes:
    """The course's grading key: what makes hidden checks' inputs unknowable to students.

    Read from ``$MLOPS_COURSE_GRADING_KEY`` (the key itself) or ``$MLOPS_COURSE_GRADING_KEY_FILE``
    (a file holding it); without either, the public :data:`DEVELOPMENT_KEY` (hidden checks are then
    reproducible from the public package, fine for development and tests, not for a real class).
    The key is read in the harness only; the worker never sees it.

    Raises
    ------
    ValueError
        If the key file cannot be read or a key is empty.
    """
    import os

    text = os.environ.get(GRADING_KEY_ENV)
    if text is None and os.environ.get(GRADING_KEY_FILE_ENV):
        path = Path(os.environ[GRADING_KEY_FILE_ENV])
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"{GRADING_KEY_FILE_ENV} must name a readable key file, got {str(path)!r}: {exc}") from exc
    if text is None:
        return DEVELOPMENT_KEY
    if not text.strip():
        raise ValueError(f"the grading key must be a non-empty string, got {text!r}")
    return text.strip().encode("utf-8")


def key_is_secret() -> bool:
    """Whether a course key (not the public development key) is in use."""
    return grading_key() != DEVELOPMENT_KEY


def use_key_file(path: str | Path) -> Path:
    """Make this process grade with the key in ``path`` (what ``grade --key-file`` does).

    Sets ``$MLOPS_COURSE_GRADING_KEY_FILE`` to the file's absolute path and drops
    ``$MLOPS_COURSE_GRADING_KEY``, so :func:`grading_key` reads the file. Only the harness's
    environment changes: the worker gets a fresh environment without either variable, and the
    file should be hidden from it (the CLI passes it to the sandbox's ``hide``).

    Parameters
    ----------
    path : path
        A readable text file holding the course key (any non-empty text; e.g.
        ``python -c "import secrets; print(secrets.token_hex(32))" > grading.key``).

    Returns
    -------
    pathlib.Path
        The absolute path of the key file.

    Raises
    ------
    ValueError
        If the file cannot be read or holds no key.
    """
    import os

    resolved = Path(path).expanduser().resolve()
    try:
        text = resolved.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"key file must be a readable text file, got {str(path)!r}: {exc}") from exc
    if not text.strip():
        raise ValueError(f"key file must hold a non-empty key, got an empty file {str(path)!r}")
    os.environ.pop(GRADING_KEY_ENV, None)
    os.environ[GRADING_KEY_FILE_ENV] = str(resolved)
    return resolved


def key_note() -> str:
    """The line a report carries when hidden checks used the public development key (else ``""``)."""
    if key_is_secret():
        return ""
    return ("Hidden checks used the public development key (no course grading key was given), so their "
            "inputs can be reproduced from the public package: grade with --key-file for a real class.")


def secret_seed(tag: str) -> int:
    """A 63-bit seed for a hidden property, ``HMAC-SHA256(key, tag)``: unknowable without the key.

    Hidden properties draw every input (data, parameters, the ``Rng`` seeds they pass to the
    student's code) from ``secret_rng(tag)`` or ``Rng(secret_seed(tag))`` with a tag unique to
    the property (``"07/dp-laplace/hidden-law"``), so a submission that replays answers recorded
    from the public package cannot match them once an instructor sets a course key.

    Examples
    --------
    >>> secret_seed("07/x") == secret_seed("07/x") != secret_seed("07/y")
    True
    """
    import hashlib
    import hmac

    if not isinstance(tag, str) or not tag:
        raise ValueError(f"tag must be a non-empty str, got {tag!r}")
    digest = hmac.new(grading_key(), tag.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def secret_rng(tag: str) -> np.random.Generator:
    """``numpy.random.default_rng(secret_seed(tag))``: the generator a hidden property draws inputs from."""
    return np.random.default_rng(secret_seed(tag))


@dataclass(frozen=True)
class ManualQuestion:
    """A written answer graded by a person (nbgrader's "manually graded answer").

    The answer cell carries ``nbgrader: {solution: true, grade: true, grade_id, points}`` and no
    automatic check; ``mlops-course grade`` reports it as "needs manual grading", and the rubric
    lives in the solution notebook. Unit modules list them in ``MANUAL`` (trusted: a submission
    cannot add points by editing cell metadata).

    Parameters
    ----------
    grade_id : str
        The answer cell's ``grade_id``.
    points : float
        Points a grader can award (> 0).
    unit : str
        The unit's file stem.
    title : str
        The question in a few words (shown in reports).
    """

    grade_id: str
    points: float
    unit: str
    title: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.points, (int, float)) or isinstance(self.points, bool) or not self.points > 0:
            raise ValueError(f"points must be a number > 0, got {self.points!r}")


# --------------------------------------------------------------------------- plain data
def encode_args(value: Any) -> Any:
    """Encode harness-chosen arguments as JSON data (see ``worker.decode_args``)."""
    if isinstance(value, Rng):
        return {"__rng__": int(value.seed)}
    if isinstance(value, np.ndarray):
        kind = {"b": "bool", "i": "int64", "u": "int64", "f": "float64"}[value.dtype.kind]
        return {"__ndarray__": value.ravel().tolist(), "shape": list(value.shape), "dtype": kind}
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode_args(v) for v in value]}
    if isinstance(value, list):
        return [encode_args(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": {str(k): encode_args(v) for k, v in value.items()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} to the worker")


_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_DTYPES = {"bool": bool, "int": np.int64, "float": np.float64}


def decode_value(data: Any, depth: int = 0) -> Any:
    """Rebuild a result from JSON data, strictly: anything unexpected raises :class:`BadResult`.

    Only ``None``, ``bool``, ``int``, ``float``, ``str``, lists and the markers written by
    ``worker.encode_value`` (arrays of bool/int/float, tuples, string-keyed dicts, non-finite
    floats) are accepted. Arrays are rebuilt here, in the harness, from a flat list of numbers.
    Types are compared exactly (``type(x) is int``), so a subclass with a rigged ``__eq__``
    cannot pass for a number.

    Parameters
    ----------
    data : object
        JSON-decoded data as the worker sent it.
    depth : int, optional
        Current nesting depth (used by the recursion; callers leave it at 0). Data nested more
        than 25 levels deep is refused.

    Returns
    -------
    object
        ``None``, ``bool``, ``int``, ``float``, ``str``, or a ``list``/``tuple``/``dict`` (str keys)
        of those, or a numpy array of dtype bool, int64 or float64.

    Raises
    ------
    BadResult
        If ``data`` is nested too deeply, holds a type or marker not listed above, or an array
        marker whose shape, dtype or entries do not fit.

    Examples
    --------
    >>> decode_value({"__tuple__": [1, {"__float__": "inf"}]})
    (1, inf)
    >>> decode_value({"__ndarray__": [1, 2, 3, 4], "shape": [2, 2], "dtype": "int"}).tolist()
    [[1, 2], [3, 4]]
    """
    if depth > 25:
        raise BadResult("result is nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode_value(v, depth + 1) for v in data]
    if type(data) is not dict:
        raise BadResult(f"unexpected {type(data).__name__} in the result")
    keys = set(data)
    if keys == {"__float__"} and data["__float__"] in _FLOATS:
        return _FLOATS[data["__float__"]]
    if keys == {"__tuple__"} and type(data["__tuple__"]) is list:
        return tuple(decode_value(v, depth + 1) for v in data["__tuple__"])
    if keys == {"__dict__"} and type(data["__dict__"]) is dict:
        return {str(k): decode_value(v, depth + 1) for k, v in data["__dict__"].items()}
    if keys == {"__ndarray__", "shape", "dtype"}:
        flat, shape, dtype = data["__ndarray__"], data["shape"], data["dtype"]
        if dtype not in _DTYPES or type(flat) is not list or type(shape) is not list:
            raise BadResult("malformed array in the result")
        if not all(type(s) is int and s >= 0 for s in shape) or math.prod(shape) != len(flat):
            raise BadResult("malformed array shape in the result")
        values = [decode_value(v, depth + 1) if type(v) is dict else v for v in flat]
        if not all(type(v) in (bool, int, float) for v in values):
            raise BadResult("array entries must be numbers")
        return np.array(values, dtype=_DTYPES[dtype]).reshape(shape)
    raise BadResult(f"unexpected object in the result (keys {sorted(keys)[:5]})")


def as_float(value: Any, what: str = "the result") -> float:
    """``value`` as a Python float if it is a real number (or a 0-d int/float array).

    Parameters
    ----------
    value : object
        A decoded result (see :func:`decode_value`). ``bool`` is not a number here.
    what : str, optional
        How the message names the value (``"the noisy count"``).

    Returns
    -------
    float
        ``float(value)``; may be ``nan`` or ``inf`` if the student returned one.

    Raises
    ------
    BadResult
        If ``value`` is not an ``int``, a ``float`` or a 0-d numeric array.

    Examples
    --------
    >>> as_float(3), as_float(np.array(2.5))
    (3.0, 2.5)
    """
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf":
        value = value.item()
    if type(value) in (int, float):
        return float(value)
    raise BadResult(f"{what} should be a number, got {_describe(value)}")


def as_array(value: Any, shape: tuple[int, ...] | None = None, what: str = "the result") -> np.ndarray:
    """``value`` as a float array (optionally of a given shape).

    Parameters
    ----------
    value : object
        A decoded result: a numeric (bool/int/float) numpy array, or a flat list of ints and floats.
    shape : tuple of int, optional
        The shape the array must have; ``None`` accepts any shape.
    what : str, optional
        How the message names the value (``"the gradient"``).

    Returns
    -------
    numpy.ndarray
        A float64 copy of ``value``.

    Raises
    ------
    BadResult
        If ``value`` is neither a numeric array nor a list of numbers, or its shape differs
        from ``shape``.

    Examples
    --------
    >>> as_array([1, 2.5], shape=(2,))
    array([1. , 2.5])
    """
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        arr = value.astype(float)
    elif isinstance(value, list) and all(type(v) in (int, float) for v in value):
        arr = np.array(value, dtype=float)
    else:
        raise BadResult(f"{what} should be a numpy array, got {_describe(value)}")
    if shape is not None and arr.shape != tuple(shape):
        raise BadResult(f"{what} should have shape {tuple(shape)}, got {arr.shape}")
    return arr


def raises(remote_call: Callable[[], Any], exc_name: str = "ValueError") -> bool:
    """Whether ``remote_call()`` makes the student's code raise ``exc_name``.

    Parameters
    ----------
    remote_call : callable
        A no-argument call into the student's code through a :class:`Remote`
        (``lambda: remote.call("f", 0.0)``).
    exc_name : str
        The exception class name the student's code must raise (a subclass counts, see
        :meth:`StudentError.is_a`).

    Returns
    -------
    bool
        True if the call raised ``exc_name`` (or a subclass); False if it returned, or raised
        another error.

    Raises
    ------
    StudentError
        Re-raised when the student's code raises ``NotImplementedError``, so that the property
        reports the task as not implemented yet rather than as a missing validation.

    Examples
    --------
    >>> remote = LocalRemote({"f": lambda x: math.sqrt(x)})
    >>> raises(lambda: remote.call("f", -1.0))
    True
    >>> raises(lambda: remote.call("f", 4.0))
    False
    """
    try:
        remote_call()
    except StudentError as err:
        if err.not_implemented:
            raise
        return err.is_a(exc_name)
    return False


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def run_property(prop: Property, remote: Remote, name: str) -> tuple[bool, str, str | None]:
    """Run one property: ``(passed, message, reason the check's other properties cannot run)``.

    Every failure mode becomes a message: the student's exception, a result of the wrong kind,
    a hung or dead worker, even a bug in the property (reported as an internal error). Nothing
    is raised.

    Parameters
    ----------
    prop : Property
        The property to run.
    remote : Remote
        How ``prop.func`` reaches the student's code.
    name : str
        The name the student's cell defines (used in the "not implemented yet" message).

    Returns
    -------
    passed : bool
        Whether the property holds.
    message : str
        The property's message, or what went wrong.
    stop : str or None
        When the student's code raises ``NotImplementedError`` or the worker fails, the reason
        the check's remaining properties need not run (the harness marks them failed with it);
        otherwise ``None``.

    Examples
    --------
    >>> prop = Property("positive", 1.0, lambda r: (r.call("f") > 0, "f() > 0"))
    >>> run_property(prop, LocalRemote({"f": lambda: 2}), "f")
    (True, 'f() > 0', None)
    """
    try:
        passed, message = prop.func(remote)
        return bool(passed), str(message), None
    except StudentError as exc:
        if exc.not_implemented:
            text = f"{name} is not implemented yet (it raises NotImplementedError)"
            return False, text, text
        return False, f"your code raised {exc.type_name}: {exc.message}", None
    except BadResult as exc:
        return False, str(exc), None
    except WorkerFailure as exc:
        text = f"the worker {exc}"
        return False, text, text
    except Exception as exc:  # noqa: BLE001 - a bug in a check must not stop the grading
        return False, f"internal error in this check ({type(exc).__name__}: {exc}); please report it", None


# --------------------------------------------------------------------------- local remote
class LocalRemote:
    """A :class:`Remote` over objects of the current process (used by the self-check).

    Parameters
    ----------
    objects : dict
        ``name -> object`` the properties may call (the student's function or class).
    """

    def __init__(self, objects: dict[str, Any]) -> None:
        self.objects = dict(objects)
        self.handles: dict[str, Any] = {}

    def _decode_args(self, args: Any) -> Any:
        from mlops_course.grading.worker import decode_args

        return decode_args(encode_args(args))

    def _run(self, func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        try:
            return func(*self._decode_args(list(args)), **self._decode_args(kwargs))
        except Exception as exc:
            raise StudentError(type(exc).__name__, [c.__name__ for c in type(exc).__mro__], str(exc)) from exc

    def _plain(self, value: Any) -> Any:
        from mlops_course.grading.worker import NotPlainData, encode_value

        try:
            return decode_value(encode_value(value))
        except NotPlainData as exc:
            raise BadResult(str(exc)) from exc

    def _target(self, name: str) -> Callable[..., Any]:
        obj = self.objects.get(name)
        if obj is None or not callable(obj):
            raise StudentError("NameError", ["NameError", "Exception"], f"{name} is not defined")
        return obj

    def defined(self, name: str) -> bool:
        return callable(self.objects.get(name))

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        result = self._run(self._target(name), args, kwargs)
        return self._plain(result)

    def repeat(self, n: int, name: str, *args: Any, **kwargs: Any) -> list[Any]:
        target = self._target(name)
        real_args, real_kwargs = self._decode_args(list(args)), self._decode_args(kwargs)
        try:
            results = [target(*real_args, **real_kwargs) for _ in range(n)]
        except Exception as exc:
            raise StudentError(type(exc).__name__, [c.__name__ for c in type(exc).__mro__], str(exc)) from exc
        return self._plain(results)

    def new(self, name: str, *args: Any, **kwargs: Any) -> str:
        result = self._run(self._target(name), args, kwargs)
        handle = f"h{len(self.handles)}"
        self.handles[handle] = result
        return handle

    def method(self, handle: str, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            func = getattr(self.handles[handle], method)
        except AttributeError as exc:
            raise StudentError("AttributeError", ["AttributeError", "Exception"], str(exc)) from exc
        result = self._run(func, args, kwargs)
        return self._plain(result)

    def attr(self, handle: str, attr: str) -> Any:
        try:
            value = getattr(self.handles[handle], attr)
        except Exception as exc:
            raise StudentError(type(exc).__name__, [c.__name__ for c in type(exc).__mro__], str(exc)) from exc
        return self._plain(value)


# --------------------------------------------------------------------------- registry
class ChecksUnavailable(RuntimeError):
    """A unit's check module cannot be imported (a grader problem, never a student's)."""


def _declared_unit(path: Path) -> str | None:
    """The ``UNIT = "..."`` constant of a check module, read from its source without importing it."""
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "UNIT" and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            return node.value.value
    return None


def _unit_modules() -> dict[str, str]:
    """``unit stem -> module name`` of every module here that declares ``UNIT`` (nothing imported)."""
    import pkgutil

    found: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        unit = _declared_unit(Path(__path__[0]) / f"{info.name}.py")
        if unit is not None:
            found[unit] = f"{__name__}.{info.name}"
    return found


def _import_checks(unit: str, module: str) -> Any:
    try:
        loaded = importlib.import_module(module)
    except Exception as exc:
        raise ChecksUnavailable(
            f"the checks of unit {unit} ({module}) cannot be imported: {type(exc).__name__}: {exc}. "
            "Install the grader's dependencies: pip install \"mlops_course[grading]\" "
            "(mlops-course doctor lists what is missing)") from exc
    if not hasattr(loaded, "CHECKS"):
        raise ChecksUnavailable(f"{module} declares UNIT = {unit!r} but defines no CHECKS")
    return loaded


def check_modules(strict: bool = True) -> dict[str, str]:
    """``unit stem -> module`` for every module of this package declaring ``UNIT`` (and ``CHECKS``).

    Parameters
    ----------
    strict : bool
        Import every module and raise :class:`ChecksUnavailable` if one fails (what the grader,
        ``setup.sh`` of the Gradescope bundle and the tests use). ``False`` lists the modules
        without importing them.

    Raises
    ------
    ChecksUnavailable
        With ``strict=True``, naming the unit, the import error and the fix.
    """
    found = _unit_modules()
    if strict:
        for unit, module in found.items():
            _import_checks(unit, module)
    return found


def builtin_checks(unit: str) -> tuple[Check, ...]:
    """The checks shipped with the package for a unit (empty if the unit has no check module).

    Raises
    ------
    ChecksUnavailable
        If the unit has a check module that cannot be imported: a missing dependency is a grader
        error, never a silent "no graded exercise".
    """
    module = _unit_modules().get(unit)
    if module is None:
        return ()
    return tuple(_import_checks(unit, module).CHECKS)


def builtin_manual(unit: str) -> tuple[ManualQuestion, ...]:
    """The manually graded questions of a unit (its module's ``MANUAL``; empty if none)."""
    module = _unit_modules().get(unit)
    if module is None:
        return ()
    return tuple(getattr(_import_checks(unit, module), "MANUAL", ()))


def _load_folder(folder: Path) -> list[Check]:
    if not folder.is_dir():
        raise ValueError(f"checks folder must be an existing directory, got {str(folder)!r}")
    found: list[Check] = []
    for path in sorted(folder.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"_mlops_instructor_checks_{path.stem}", path)
        if spec is None or spec.loader is None:  # pragma: no cover - glob only yields .py files
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        checks = getattr(module, "CHECKS", ())
        for check in checks:
            if not isinstance(check, Check):
                raise TypeError(f"{path}: CHECKS must hold Check objects, got {type(check).__name__}")
            found.append(check)
    return found


def load_checks(unit: str, extra_dirs: Iterable[str | Path] = ()) -> tuple[Check, ...]:
    """Built-in checks of ``unit`` merged with instructor checks from ``extra_dirs``.

    An extra check whose grade_id matches a built-in one adds its properties to it (or replaces it
    when ``replace=True``); a new grade_id adds a check. Checks for other units are ignored.
    Instructor files are executed as Python: they are trusted code, like the package.

    Parameters
    ----------
    unit : str
        The unit's file stem (``"07_differential_privacy"``).
    extra_dirs : iterable of path, optional
        Instructor folders (``--checks PATH``) whose ``*.py`` files define ``CHECKS``.

    Returns
    -------
    tuple of Check
        Built-in checks first (in their order), then new instructor checks.

    Raises
    ------
    ValueError
        If a folder in ``extra_dirs`` is not an existing directory.
    TypeError
        If an instructor file's ``CHECKS`` holds something other than :class:`Check` objects.
    ChecksUnavailable
        If the unit's built-in check module cannot be imported.
    """
    merged: dict[str, Check] = {c.grade_id: c for c in builtin_checks(unit)}
    for folder in extra_dirs:
        for extra in _load_folder(Path(folder)):
            if extra.unit != unit:
                continue
            base = merged.get(extra.grade_id)
            if base is None or extra.replace:
                merged[extra.grade_id] = extra
            else:
                merged[extra.grade_id] = Check(base.grade_id, base.name, base.properties + extra.properties,
                                               base.unit, base.kind, False, base.hidden_visibility)
    return tuple(merged.values())
