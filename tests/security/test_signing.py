"""Tests of artefact signing (Ed25519), the pickle code-execution demo and the safe loading paths.

Published values: RFC 8032 §7.1 test 1 (Ed25519 key pair). No statistical assertions.
"""
from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from mlops_course.security.signing import (
    SignatureError,
    UnsafePickleError,
    check_release,
    generate_signing_key,
    load_linear_model,
    load_npz,
    make_manifest,
    malicious_pickle,
    public_key_of,
    restricted_loads,
    save_linear_model,
    save_npz,
    scan_pickle,
    sign_file,
    sign_manifest,
    verify_file,
    verify_release,
)

RFC8032_SK = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PK = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


@pytest.fixture(scope="module")
def model():
    X, y = load_digits(return_X_y=True)
    return LogisticRegression(max_iter=300).fit(X[:400] / 16, y[:400]), X / 16


@pytest.fixture
def release():
    sk = generate_signing_key()
    data = b"\x00weights\x01" * 100
    manifest = make_manifest(data, "model.npz", version="1.2.0")
    return data, manifest, sign_manifest(manifest, sk), public_key_of(sk)


def test_public_key_matches_rfc8032():
    assert public_key_of(RFC8032_SK) == RFC8032_PK


def test_manifest_holds_sha256_and_size():
    m = make_manifest(b"abc", "x.bin", run="42")
    assert m == {"name": "x.bin", "size": 3, "sha256": hashlib.sha256(b"abc").hexdigest(), "run": "42"}


def test_valid_release_verifies(release):
    data, manifest, sig, pk = release
    assert len(sig) == 64
    assert verify_release(data, manifest, sig, pk)
    check_release(data, manifest, sig, pk)


def test_tampered_artefact_is_rejected(release):
    data, manifest, sig, pk = release
    tampered = bytearray(data)
    tampered[7] ^= 0x01
    assert not verify_release(bytes(tampered), manifest, sig, pk)
    with pytest.raises(SignatureError, match="tampered"):
        check_release(bytes(tampered), manifest, sig, pk)


def test_edited_manifest_forged_or_foreign_signature_is_rejected(release):
    data, manifest, sig, pk = release
    evil = b"backdoored model"
    assert not verify_release(evil, make_manifest(evil, "model.npz", version="1.2.0"), sig, pk)
    assert not verify_release(data, {**manifest, "version": "9.9.9"}, sig, pk)
    assert not verify_release(data, manifest, bytes(64), pk)
    assert not verify_release(data, manifest, sig, public_key_of(generate_signing_key()))
    other_sk = generate_signing_key()
    assert not verify_release(data, manifest, sign_manifest(manifest, other_sk), pk)


def test_sign_and_verify_files(tmp_path):
    sk = generate_signing_key()
    path = tmp_path / "model.npz"
    path.write_bytes(b"weights")
    sig_path = sign_file(path, sk, version="1")
    assert verify_file(path, public_key_of(sk))["version"] == "1"
    other = tmp_path / "other.npz"
    other.write_bytes(b"weights")
    with pytest.raises(SignatureError, match="not 'other.npz'"):
        verify_file(other, public_key_of(sk), sig_path)
    path.write_bytes(b"weightz")
    with pytest.raises(SignatureError):
        verify_file(path, public_key_of(sk))


def test_unpickling_runs_code(tmp_path):
    marker = tmp_path / "pwned.txt"
    payload = malicious_pickle(marker)
    assert not marker.exists()
    obj = pickle.loads(payload)  # noqa: S301 - the point of the demo
    assert marker.exists() and "code ran" in marker.read_text()
    assert obj["model"] == "LogisticRegression"


def test_scanner_and_allowlist_stop_the_payload(tmp_path):
    marker = tmp_path / "pwned.txt"
    payload = malicious_pickle(marker)
    found = scan_pickle(payload)
    assert "builtins getattr" in found and any(f.startswith("pathlib") for f in found)
    with pytest.raises(UnsafePickleError, match="builtins.getattr"):
        restricted_loads(payload)
    assert not marker.exists()


def test_allowlist_loads_a_real_model(model):
    clf, X = model
    data = pickle.dumps(clf)
    assert set(scan_pickle(data)) <= {f"{m} {n}" for m, n in
                                      __import__("mlops_course.security.signing", fromlist=["x"]).SAFE_GLOBALS}
    loaded = restricted_loads(data)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    with pytest.raises(UnsafePickleError):
        restricted_loads(data, allowed=set())


def test_npz_round_trip_and_no_pickle(tmp_path, model):
    clf, X = model
    path = save_linear_model(tmp_path / "m.npz", clf)
    np.testing.assert_array_equal(load_linear_model(path).predict(X), clf.predict(X))
    with pytest.raises(TypeError):
        save_npz(tmp_path / "bad.npz", {"obj": np.array([{"a": 1}], dtype=object)})
    np.savez(tmp_path / "evil.npz", obj=np.array([{"a": 1}], dtype=object))  # written by an attacker
    with pytest.raises(ValueError, match="allow_pickle"):
        load_npz(tmp_path / "evil.npz")
    assert load_npz(save_npz(tmp_path / "ok.npz", {"w": [1.0, 2.0]}))["w"].tolist() == [1.0, 2.0]


@pytest.mark.parametrize("call, exc", [
    (lambda: public_key_of(b"short"), ValueError),
    (lambda: sign_manifest({"a": 1}, "key"), TypeError),
    (lambda: sign_manifest(["not", "a", "dict"], generate_signing_key()), TypeError),
    (lambda: make_manifest("text", "x"), TypeError),
    (lambda: make_manifest(b"x", ""), ValueError),
    (lambda: make_manifest(b"x", "n", sha256="forged"), ValueError),
    (lambda: verify_release(b"x", {}, b"s" * 64, b"short"), ValueError),
    (lambda: restricted_loads("not bytes"), TypeError),
    (lambda: save_linear_model("m.npz", object()), TypeError),
])
def test_bad_input(call, exc):
    with pytest.raises(exc):
        call()


class _RecordingUnpickler(pickle.Unpickler):
    """The peer check: the real unpickler, with find_class recording what it imports (and calling nothing)."""

    def __init__(self, data: bytes) -> None:
        import io

        super().__init__(io.BytesIO(data))
        self.imported: list[str] = []

    def find_class(self, module, name):
        self.imported.append(f"{module} {name}")
        if module.split(".")[0] in ("numpy", "sklearn"):  # harmless: load for real so loading continues
            return super().find_class(module, name)
        return lambda *a, **k: None


def _imports(data: bytes) -> set[str]:
    u = _RecordingUnpickler(data)
    try:
        u.load()
    except Exception:  # noqa: BLE001 - the dummy callables may not fit a later opcode; imports are recorded
        pass
    return set(u.imported)


HAND_PICKLES = {
    "INST (protocol 0)": (b"(S'x'\nibuiltins\nprint\n.", "builtins print"),
    "GLOBAL + REDUCE": (b"cos\nsystem\n(S'echo hi'\ntR.", "os system"),
    "OBJ": (b"(cos\nsystem\nS'echo hi'\no.", "os system"),
    "NEWOBJ": (b"\x80\x02cbuiltins\nobject\n)\x81.", "builtins object"),
    "STACK_GLOBAL": (b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02hi\x85R.", "os system"),
    "STACK_GLOBAL via memo": (b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x94h\x00h\x01\x93)R.", "os system"),
    "STACK_GLOBAL across MARK/POP_MARK": (b"\x80\x04\x8c\x02os(1\x8c\x06system\x93)R.", "os system"),
    "STACK_GLOBAL after DUP/POP": (b"\x80\x04\x8c\x02os2\x8c\x01x0\x8c\x06system\x93)R.", "os system"),
}


@pytest.mark.parametrize("kind", sorted(HAND_PICKLES))
def test_scan_pickle_finds_every_import_opcode(kind):
    # the old scanner returned [] for INST and "None system" across MARK/POP_MARK
    data, want = HAND_PICKLES[kind]
    found = scan_pickle(data)
    assert want in found
    assert _imports(data) <= set(found)  # everything the real unpickler imports is reported


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_scan_pickle_matches_the_real_unpickler_on_a_model(model, protocol):
    clf, _ = model
    data = pickle.dumps(clf, protocol=protocol)
    assert set(scan_pickle(data)) == _imports(data)


def test_scan_pickle_reports_copyreg_extensions_and_bad_input():
    import copyreg

    code = 0x7A11
    assert code not in copyreg._inverted_registry
    assert scan_pickle(b"\x80\x02\x83" + code.to_bytes(2, "little") + b")R.") == [f"copyreg-extension {code}"]
    assert scan_pickle(pickle.dumps([1, "a", {"b": 2.0}])) == []  # containers import nothing
    with pytest.raises(ValueError, match="not a valid pickle"):
        scan_pickle(b"\xff\xff")
    with pytest.raises(TypeError):
        scan_pickle("cos\nsystem\n.")
