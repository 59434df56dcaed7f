"""Integrity of model artefacts: Ed25519 signatures, the pickle problem and a safe loading path.

Signing a release
-----------------
A release is an artefact (bytes) plus a *manifest* ``{"name", "size", "sha256", ...}``. The
publisher signs the canonical JSON of the manifest with Ed25519 (RFC 8032; Bernstein et al.
2012), a deterministic signature scheme over Curve25519 with 128-bit security:

    σ = Sign(sk, JSON(manifest)),   accept  ⇔  Verify(pk, JSON(manifest), σ)  ∧  SHA-256(artefact) = manifest.sha256

Both halves are needed: the signature proves who wrote the manifest (and that it was not edited),
the digest binds the manifest to *these* bytes (SHA-256 is second-preimage resistant: nobody can
feasibly find another artefact with the same digest). Verifying only the signature accepts any artefact next to a valid
manifest; verifying only the digest accepts any manifest the attacker recomputed.

Why unpickling a model is code execution
----------------------------------------
``pickle`` stores objects as a small program for a stack machine whose ``REDUCE`` opcode calls
*any importable callable* with attacker-chosen arguments (Python docs: "Never unpickle data that
could have come from an untrusted source"). :func:`malicious_pickle` builds a harmless payload
that only writes a marker file when loaded; :func:`scan_pickle` lists the callables a pickle
imports without running it (as scanners like picklescan do); :func:`restricted_loads` refuses any
global outside an allowlist (the approach of skops' trusted types); :func:`save_npz` /
:func:`load_npz` store weights as plain arrays (``numpy.load(..., allow_pickle=False)``), which
cannot carry code at all. MITRE ATLAS calls the attack AML.T0011.000 *Unsafe AI Artifacts*.
"""
from __future__ import annotations

import hashlib
import io
import json
import pickle
import pickletools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "SignatureError", "UnsafePickleError", "generate_signing_key", "public_key_of", "canonical_json",
    "make_manifest", "sign_manifest", "verify_release", "check_release", "sign_file", "verify_file",
    "SignedRelease", "malicious_pickle", "scan_pickle", "restricted_loads", "SAFE_GLOBALS",
    "save_npz", "load_npz", "save_linear_model", "load_linear_model",
]


class SignatureError(ValueError):
    """A release failed verification (bad signature, wrong key, or artefact/manifest mismatch)."""


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for a global outside the allowlist."""


def _check_bytes(name: str, value: Any, size: int | None = None) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__}")
    out = bytes(value)
    if size is not None and len(out) != size:
        raise ValueError(f"{name} must be {size} bytes, got {len(out)}")
    return out


# --------------------------------------------------------------------------- keys and manifests
def generate_signing_key() -> bytes:
    """A fresh Ed25519 private key (32 raw bytes; keep it secret, e.g. in a KMS or CI secret)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def public_key_of(private_key: bytes) -> bytes:
    """The 32-byte Ed25519 public key (publish it: anyone can verify, nobody can sign)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    sk = Ed25519PrivateKey.from_private_bytes(_check_bytes("private_key", private_key, 32))
    return sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def canonical_json(manifest: dict) -> bytes:
    """The exact bytes that are signed: JSON with sorted keys, no spaces, UTF-8."""
    if not isinstance(manifest, dict):
        raise TypeError(f"manifest must be a dict, got {type(manifest).__name__}")
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def make_manifest(data: bytes, name: str, **extra: Any) -> dict:
    """``{"name", "size", "sha256", **extra}`` for an artefact (extra: version, training run, ...).

    Parameters
    ----------
    data : bytes
        The artefact.
    name : str
        Its file name (non-empty).
    **extra
        Further fields (must not be ``name``, ``size`` or ``sha256``).

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    TypeError
        If ``data`` is not bytes.
    ValueError
        Empty ``name`` or an extra field overriding a reserved one.

    Examples
    --------
    >>> make_manifest(b"abc", "m.npz")["sha256"][:16]
    'ba7816bf8f01cfea'
    """
    data = _check_bytes("data", data)
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty str, got {name!r}")
    reserved = {"name", "size", "sha256"} & set(extra)
    if reserved:
        raise ValueError(f"extra fields must not override {sorted(reserved)}")
    return {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), **extra}


def sign_manifest(manifest: dict, private_key: bytes) -> bytes:
    """Ed25519 signature (64 bytes) of :func:`canonical_json` of the manifest.

    Parameters
    ----------
    manifest : dict
        JSON-serialisable manifest.
    private_key : bytes
        Raw 32-byte Ed25519 private key.

    Returns
    -------
    bytes
        The 64-byte signature.

    Raises
    ------
    TypeError, ValueError
        If ``private_key`` is not 32 bytes.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    sk = Ed25519PrivateKey.from_private_bytes(_check_bytes("private_key", private_key, 32))
    return sk.sign(canonical_json(manifest))


def check_release(data: bytes, manifest: dict, signature: bytes, public_key: bytes) -> None:
    """Verify a release; raise :class:`SignatureError` saying which check failed.

    Parameters
    ----------
    data : bytes
        The artefact.
    manifest : dict
        Its signed manifest.
    signature : bytes
        Ed25519 signature of the manifest.
    public_key : bytes
        Raw 32-byte Ed25519 public key of the expected signer.

    Raises
    ------
    SignatureError
        If the signature does not verify under ``public_key`` (forged, edited manifest, other
        signer) or the artefact's size or SHA-256 differ from the manifest (tampered artefact).
    TypeError, ValueError
        For arguments of the wrong type or length.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _check_bytes("data", data)
    pk = Ed25519PublicKey.from_public_bytes(_check_bytes("public_key", public_key, 32))
    try:
        pk.verify(_check_bytes("signature", signature), canonical_json(manifest))
    except InvalidSignature as exc:
        raise SignatureError("signature does not verify: the manifest was edited or signed by another key") from exc
    if manifest.get("size") != len(data) or manifest.get("sha256") != hashlib.sha256(data).hexdigest():
        raise SignatureError("artefact does not match the signed manifest (size or SHA-256 differ): tampered")


def verify_release(data: bytes, manifest: dict, signature: bytes, public_key: bytes) -> bool:
    """``True`` iff :func:`check_release` passes (a malformed signature is just ``False``).

    Parameters
    ----------
    data : bytes
        The artefact.
    manifest : dict
        Its signed manifest.
    signature : bytes
        Ed25519 signature of the manifest.
    public_key : bytes
        Raw 32-byte Ed25519 public key of the expected signer.

    Returns
    -------
    bool
        Whether every check passed.

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong type or length (not a verification failure).
    """
    try:
        check_release(data, manifest, signature, public_key)
    except SignatureError:
        return False
    return True


@dataclass(frozen=True)
class SignedRelease:
    """What :func:`sign_file` writes next to an artefact (``<file>.sig.json``).

    Parameters
    ----------
    manifest : dict
        The manifest.
    signature : bytes
        Its Ed25519 signature.
    """

    manifest: dict
    signature: bytes

    def to_json(self) -> str:
        return json.dumps({"manifest": self.manifest, "signature": self.signature.hex()}, sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> SignedRelease:
        obj = json.loads(text)
        return cls(obj["manifest"], bytes.fromhex(obj["signature"]))


def sign_file(path: str | Path, private_key: bytes, **extra: Any) -> Path:
    """Sign a file; write and return ``<path>.sig.json`` (manifest + hex signature).

    Parameters
    ----------
    path : str or pathlib.Path
        File to sign.
    private_key : bytes
        Raw 32-byte Ed25519 private key.
    **extra
        Further manifest fields.

    Returns
    -------
    pathlib.Path
        The ``.sig.json`` file written.
    """
    path = Path(path)
    manifest = make_manifest(path.read_bytes(), path.name, **extra)
    out = path.with_name(path.name + ".sig.json")
    out.write_text(SignedRelease(manifest, sign_manifest(manifest, private_key)).to_json(), encoding="utf-8")
    return out


def verify_file(path: str | Path, public_key: bytes, sig_path: str | Path | None = None) -> dict:
    """Verify a file against its ``.sig.json``; return the manifest or raise :class:`SignatureError`.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    public_key : bytes
        Raw 32-byte Ed25519 public key of the expected signer.
    sig_path : str, pathlib.Path or None, default None
        The signature file (None: ``<path>.sig.json``).

    Returns
    -------
    dict
        The verified manifest.

    Raises
    ------
    SignatureError
        Bad signature, tampered file, or a manifest for another file name.
    """
    path = Path(path)
    sig_path = Path(sig_path) if sig_path is not None else path.with_name(path.name + ".sig.json")
    release = SignedRelease.from_json(sig_path.read_text(encoding="utf-8"))
    check_release(path.read_bytes(), release.manifest, release.signature, public_key)
    if release.manifest.get("name") != path.name:
        raise SignatureError(f"signed manifest is for {release.manifest.get('name')!r}, not {path.name!r}")
    return release.manifest


# --------------------------------------------------------------------------- pickle
class _WritesMarker:
    """Unpickling this object calls ``Path(marker).write_text(text)`` — a stand-in for malware."""

    def __init__(self, marker: Path, text: str) -> None:
        self.marker, self.text = marker, text

    def __reduce__(self):
        return (self.marker.write_text, (self.text,))


def malicious_pickle(marker: str | Path, text: str = "code ran while loading the model\n") -> bytes:
    """A pickle that looks like a model file but writes ``text`` to ``marker`` when loaded.

    Harmless by construction (it only writes one file you name, e.g. in a temporary folder), yet
    it shows the general fact: whatever ``REDUCE`` calls runs inside ``pickle.loads`` with the
    loader's privileges — it could as well start a shell or read credentials.

    Parameters
    ----------
    marker : str or pathlib.Path
        File written when the pickle is loaded.
    text : str, optional
        What is written (default: a one-line message).

    Returns
    -------
    bytes
        The pickle.
    """
    payload = {"model": "LogisticRegression", "coef": [[0.1, -0.2]], "__init__": _WritesMarker(Path(marker), text)}
    return pickle.dumps(payload, protocol=4)


_MARK = object()  # a MARK on the simulated pickle stack
_STRING_OPS = frozenset({"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE",
                         "BINUNICODE", "BINUNICODE8"})


def scan_pickle(data: bytes) -> list[str]:
    """The globals (``"module name"``) a pickle imports, found by reading its opcodes (no execution).

    Every opcode that makes the unpickler import a callable is reported:

    - ``GLOBAL`` (protocols 0-3) and ``INST`` (protocol 0, import *and* call) carry
      ``module name`` in their argument;
    - ``STACK_GLOBAL`` (protocol 4+) takes module and name from the stack: the scanner simulates
      the unpickler's stack (with each opcode's stack effect from :mod:`pickletools`, including
      ``MARK``/``POP_MARK``, ``DUP`` and the memo ``PUT``/``GET``/``MEMOIZE``), so strings fetched
      from the memo are resolved; operands it cannot resolve are reported as ``?``;
    - ``EXT1``/``EXT2``/``EXT4`` import through the :mod:`copyreg` extension registry: reported as
      the registered ``module name``, or ``copyreg-extension <code>`` when unregistered.

    ``REDUCE``, ``OBJ``, ``NEWOBJ``, ``NEWOBJ_EX`` and ``BUILD`` *call* what is on the stack; the
    callables they can reach come only from the opcodes above (or from ``PERSID``/``BINPERSID``,
    reported as ``persistent-id``, which a plain ``pickle.loads`` refuses), so an empty result
    means no import and no call of anything but built-in containers. A scanner is a heuristic:
    it tells you what a file *would* import; the safe fix is not to unpickle untrusted files.

    Parameters
    ----------
    data : bytes
        The pickle.

    Returns
    -------
    list of str
        Distinct ``"module name"`` entries in order of first appearance.

    Raises
    ------
    TypeError
        If ``data`` is not bytes.
    ValueError
        If ``data`` is not a well-formed pickle opcode stream.

    Examples
    --------
    >>> scan_pickle(b"(S'x'\\nibuiltins\\nprint\\n.")
    ['builtins print']
    """
    import copyreg

    data = _check_bytes("data", data)
    found: list[str] = []
    stack: list[Any] = []
    memo: dict[int, Any] = {}

    def pop() -> Any:
        return stack.pop() if stack else None

    try:
        for op, arg, _ in pickletools.genops(io.BytesIO(data)):
            name = op.name
            before = [x.name for x in op.stack_before]
            top = stack[-1] if stack else None
            if name in ("GLOBAL", "INST"):
                found.append(" ".join(str(arg).split()))
            elif name == "STACK_GLOBAL":
                module, attr = (stack[-2] if len(stack) >= 2 else None), top
                found.append(f"{module if isinstance(module, str) else '?'} {attr if isinstance(attr, str) else '?'}")
            elif name in ("EXT1", "EXT2", "EXT4"):
                pair = copyreg._inverted_registry.get(int(arg))  # type: ignore[attr-defined]
                found.append(f"{pair[0]} {pair[1]}" if pair else f"copyreg-extension {int(arg)}")
            elif name in ("PERSID", "BINPERSID"):
                found.append("persistent-id ?")
            if name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(arg)] = top
                continue
            if name == "MEMOIZE":
                memo[len(memo)] = top
                continue
            if name == "DUP":
                stack.append(top)
                continue
            if name in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo.get(int(arg)))
                continue
            # generic stack effect: pop what the opcode consumes, push what it produces
            if "mark" in before:
                while stack and stack[-1] is not _MARK:
                    stack.pop()
                pop()  # the mark itself
                for _ in range(before.index("mark")):
                    pop()
            else:
                for _ in before:
                    pop()
            if name in _STRING_OPS:
                stack.append(arg if isinstance(arg, str) else None)
            elif name == "MARK":
                stack.append(_MARK)
            else:
                stack.extend([None] * len(op.stack_after))
    except ValueError as exc:
        raise ValueError(f"data is not a valid pickle: {exc}") from exc
    return list(dict.fromkeys(found))


#: Globals a linear model's pickle legitimately needs (numpy 1.x and 2.x spellings).
SAFE_GLOBALS: frozenset[tuple[str, str]] = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("sklearn.linear_model._logistic", "LogisticRegression"),
})


class _AllowlistUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, allowed: frozenset[tuple[str, str]]) -> None:
        super().__init__(file)
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.allowed:
            raise UnsafePickleError(f"refusing to load global {module}.{name}: not in the allowlist")
        return super().find_class(module, name)


def restricted_loads(data: bytes, allowed: frozenset[tuple[str, str]] | set = SAFE_GLOBALS) -> Any:
    """``pickle.loads`` that only resolves globals in ``allowed`` (Python docs, *Restricting Globals*).

    Parameters
    ----------
    data : bytes
        The pickle.
    allowed : set of (str, str), default SAFE_GLOBALS
        ``(module, name)`` globals the pickle may resolve.

    Returns
    -------
    object
        The unpickled object.

    Raises
    ------
    UnsafePickleError
        Before anything runs, when the pickle imports a callable outside the allowlist.
    """
    data = _check_bytes("data", data)
    return _AllowlistUnpickler(io.BytesIO(data), frozenset(allowed)).load()


# --------------------------------------------------------------------------- safe format
def save_npz(path: str | Path, arrays: dict[str, Any]) -> Path:
    """Save named numeric arrays (no objects) to ``.npz``; raise ``TypeError`` for object arrays.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file.
    arrays : dict of str to array_like
        Named numeric arrays (bool, int, uint or float).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If an array is not numeric.
    """
    clean = {}
    for key, value in arrays.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"arrays[{key!r}] must be numeric, got dtype {arr.dtype}")
        clean[str(key)] = arr
    path = Path(path)
    with path.open("wb") as fh:
        np.savez(fh, **clean)
    return path


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Load arrays with ``allow_pickle=False``: plain numbers only, no code can run."""
    with np.load(Path(path), allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def save_linear_model(path: str | Path, model: Any) -> Path:
    """Store a fitted scikit-learn linear classifier as arrays (``coef_``, ``intercept_``, ``classes_``).

    Parameters
    ----------
    path : str or pathlib.Path
        Output ``.npz`` file.
    model : object
        Fitted classifier with ``coef_``, ``intercept_`` and ``classes_``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``model`` lacks one of the attributes or holds non-numeric arrays.
    """
    for attr in ("coef_", "intercept_", "classes_"):
        if not hasattr(model, attr):
            raise TypeError(f"model must be a fitted linear classifier with {attr}")
    return save_npz(path, {"coef": model.coef_, "intercept": model.intercept_, "classes": model.classes_})


def load_linear_model(path: str | Path) -> Any:
    """Rebuild a ``LogisticRegression`` for prediction from :func:`save_linear_model`'s arrays."""
    from sklearn.linear_model import LogisticRegression

    arrays = load_npz(path)
    model = LogisticRegression()
    model.coef_, model.intercept_, model.classes_ = arrays["coef"], arrays["intercept"], arrays["classes"]
    model.n_features_in_ = int(arrays["coef"].shape[1])
    return model
