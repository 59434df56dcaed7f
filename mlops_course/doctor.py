"""``mlops-course doctor``: is this environment ready to teach, learn and grade the course?

Each row checks one thing (a library's version, that an import works, that a Jupyter kernel
starts) and carries the command that fixes it when it fails. The grader's own needs are the
``grading`` extra of ``pyproject.toml`` (:func:`grading_rows`), the list the Gradescope bundle installs.
"""
from __future__ import annotations

import importlib
import importlib.metadata as md
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["REQUIREMENTS", "environment_report", "format_report", "kernel_starts", "grading_rows"]

FIX_INSTALL = 'pip install -e ".[test]"  (from the course folder)'
FIX_GRADING = 'pip install -e ".[grading]"  (the autograder\'s needs)'


@dataclass(frozen=True)
class Requirement:
    """A distribution that must be installed at ``minimum`` or newer, and a module that must import."""

    dist: str
    minimum: str
    module: str


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("numpy", "1.26", "numpy"),
    Requirement("scipy", "1.11", "scipy"),
    Requirement("matplotlib", "3.8", "matplotlib"),
    Requirement("scikit-learn", "1.4", "sklearn"),
    Requirement("ipywidgets", "8.1", "ipywidgets"),
    Requirement("jupyterlab", "4.2", "jupyterlab"),
    Requirement("ipykernel", "6.29", "ipykernel"),
    Requirement("phe", "1.5", "phe"),
    Requirement("gmpy2", "2.1", "gmpy2"),
    Requirement("tenseal", "0.3.14", "tenseal"),
    Requirement("flwr", "1.42", "flwr"),
    Requirement("nbformat", "5.9", "nbformat"),
    Requirement("nbclient", "0.10", "nbclient"),
    Requirement("pytest", "8", "pytest"),
    Requirement("nbval", "0.11", "nbval"),
)


def _version_tuple(text: str) -> tuple[int, ...]:
    """Leading numeric release of a version string: ``"0.3.16rc1"`` -> ``(0, 3, 16)``."""
    parts: list[int] = []
    for piece in text.split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if digits != piece:
            break
    return tuple(parts)


def _check_requirement(req: Requirement) -> dict:
    row = {"name": req.dist, "required": f">={req.minimum}", "installed": "-", "ok": False, "fix": ""}
    try:
        row["installed"] = md.version(req.dist)
    except md.PackageNotFoundError:
        row["fix"] = f"{FIX_INSTALL}  or  pip install '{req.dist}>={req.minimum}'"
        return row
    if _version_tuple(row["installed"]) < _version_tuple(req.minimum):
        row["fix"] = f"pip install -U '{req.dist}>={req.minimum}'"
        return row
    try:
        importlib.import_module(req.module)
    except Exception as exc:  # noqa: BLE001 - any import failure is what we report
        row["fix"] = f"import {req.module} failed ({type(exc).__name__}: {exc}); reinstall: pip install --force-reinstall {req.dist}"
        return row
    row["ok"] = True
    return row


def _phe_uses_gmpy2() -> dict:
    row = {"name": "phe uses gmpy2", "required": "yes", "installed": "no", "ok": False,
           "fix": "pip install gmpy2  (phe is ~10x slower without it)"}
    try:
        from phe import util

        if getattr(util, "HAVE_GMP", False):
            row.update(installed="yes", ok=True, fix="")
    except Exception:  # noqa: BLE001
        pass
    return row


def _tenseal_works() -> dict:
    row = {"name": "tenseal CKKS round trip", "required": "works", "installed": "fails", "ok": False,
           "fix": "pip install --force-reinstall tenseal"}
    try:
        import tenseal as ts

        ctx = ts.context(ts.SCHEME_TYPE.CKKS, 8192, coeff_mod_bit_sizes=[60, 40, 40, 60])
        ctx.global_scale = 2**40
        value = ts.ckks_vector(ctx, [1.5]).decrypt()[0]
        if abs(value - 1.5) < 1e-3:
            row.update(installed="works", ok=True, fix="")
    except Exception:  # noqa: BLE001
        pass
    return row


def kernel_starts(timeout: float = 60.0) -> dict:
    """Start a ``python3`` Jupyter kernel, run ``1 + 1`` and shut it down.

    The kernel's own log (e.g. ipykernel 7's "Kernel is running over TCP without encryption"
    warning, harmless for a kernel on 127.0.0.1) goes to a temporary file instead of the terminal,
    so the report is the last thing ``doctor`` prints; its last line is shown only if the kernel
    fails.
    """
    import tempfile

    row = {"name": "jupyter kernel python3", "required": "starts", "installed": "fails", "ok": False,
           "fix": "python -m ipykernel install --user --name python3"}
    with tempfile.TemporaryFile(mode="w+b") as log:
        try:
            from jupyter_client.manager import start_new_kernel

            km, kc = start_new_kernel(kernel_name="python3", startup_timeout=timeout, stdout=log, stderr=log)
            try:
                reply = kc.execute_interactive("1 + 1", timeout=timeout, output_hook=lambda msg: None)
                if reply["content"]["status"] == "ok":
                    row.update(installed="starts", ok=True, fix="")
            finally:
                kc.stop_channels()
                km.shutdown_kernel(now=True)
        except Exception as exc:  # noqa: BLE001
            row["installed"] = f"fails ({type(exc).__name__})"
        if not row["ok"]:
            log.seek(0)
            lines = [line for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
            if lines:
                row["fix"] += f"  (kernel said: {lines[-1][:200]})"
    return row


def grading_rows() -> list[dict]:
    """One row per entry of the ``grading`` extra that :data:`REQUIREMENTS` does not already check.

    The grader's runtime needs (what ``gradescope-bundle`` installs) come from ``pyproject.toml``'s
    ``grading`` extra; a missing one is reported with ``pip install "mlops_course[grading]"``.
    """
    from mlops_course.grading.requirements import grading_requirements

    try:
        extra = grading_requirements()
    except ValueError as exc:
        return [{"name": "grading extra", "required": "declared", "installed": "missing", "ok": False,
                 "fix": str(exc)}]
    known = {r.dist.lower() for r in REQUIREMENTS}
    rows = []
    for req in extra:
        if req.dist.lower() in known:
            continue
        row = _check_requirement(Requirement(req.dist, req.minimum or "0", req.module))
        row["name"] = f"{req.dist} (grading)"
        if not row["ok"]:
            row["fix"] = f"{FIX_GRADING}  or  pip install '{req.text}'"
        rows.append(row)
    return rows


def environment_report(*, kernel: bool = True) -> list[dict]:
    """Check every key library and that a kernel starts.

    Parameters
    ----------
    kernel : bool
        Also start a Jupyter kernel (takes ~1-2 s).

    Returns
    -------
    list of dict
        One row per check with keys ``name``, ``required``, ``installed``, ``ok`` and ``fix``.
    """
    checks: list[Callable[[], dict | list[dict]]] = [lambda r=r: _check_requirement(r) for r in REQUIREMENTS]
    checks += [lambda: grading_rows(), _phe_uses_gmpy2, _tenseal_works]
    if kernel:
        checks.append(kernel_starts)
    rows: list[dict] = []
    for check in checks:
        result = check()
        rows.extend(result if isinstance(result, list) else [result])
    return rows


def format_report(rows: list[dict]) -> str:
    """An aligned text table of ``rows`` with a final verdict and the fixes."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise TypeError(f"rows must be a list of dicts from environment_report(), got {type(rows).__name__}")
    headers = ("check", "required", "found", "status")
    table = [(r["name"], r["required"], r["installed"], "ok" if r["ok"] else "MISSING") for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *table, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*headers).rstrip(), line.format(*("-" * w for w in widths))]
    out += [line.format(*row).rstrip() for row in table]
    failed = [r for r in rows if not r["ok"]]
    if failed:
        out.append(f"\n{len(failed)} problem(s). Fix:")
        out += [f"  {r['name']}: {r['fix']}" for r in failed]
    else:
        out.append(f"\nAll {len(rows)} checks passed: the course is ready.")
    return "\n".join(out)
