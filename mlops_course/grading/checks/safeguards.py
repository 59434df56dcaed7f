"""Checks of exercise 02 (safeguarding ML models): one :class:`Check` per answer cell.

Every property computes its inputs and the expected answer **in the harness**:

* signatures and ciphertexts are made and opened with the ``cryptography`` package here, from keys
  derived from fixed seeds (grading is deterministic);
* the access policy is compared with :func:`mlops_course.security.access.course_policy` on a table
  of requests and on the exhaustive grid of roles × actions × MFA × device × session age;
* the KS statistic is compared with ``scipy.stats.ks_2samp`` (absolute tolerance 1e-12);
* the ownership p-value is compared with ``scipy.stats.binom.sf`` (relative tolerance 1e-9);
* the watermark bit-error rate is compared with :mod:`mlops_course.security.watermark`.

No property is statistical (no random outputs are graded), so the false-fail rate is zero.
"""
from __future__ import annotations

import hashlib
import json
import math

import numpy as np

from mlops_course.grading.checks import BadResult, Check, Property, Remote, StudentError, as_float, raises

__all__ = ["CHECKS", "UNIT"]

UNIT = "02_safeguards"


def _as_bool(value: object, what: str) -> bool:
    if type(value) is bool:
        return value
    raise BadResult(f"{what} should return True or False, got a {type(value).__name__}")


def _as_str(value: object, what: str) -> str:
    if type(value) is str:
        return value
    raise BadResult(f"{what} should return a str, got a {type(value).__name__}")


# --------------------------------------------------------------------------- sg-verify
def _signing_key(seed: str):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def _public_hex(sk) -> str:
    from cryptography.hazmat.primitives import serialization

    return sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _release(seed: str, artifact: bytes, name: str = "model.npz") -> tuple[str, str, str, str]:
    """(artifact_hex, manifest_json, signature_hex, public_key_hex) of a valid release."""
    sk = _signing_key(seed)
    manifest = {"name": name, "sha256": hashlib.sha256(artifact).hexdigest(), "size": len(artifact),
                "version": "1.0.0"}
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return artifact.hex(), text, sk.sign(text.encode("utf-8")).hex(), _public_hex(sk)


def _verify(remote: Remote, args: tuple, what: str) -> bool:
    return _as_bool(remote.call("verify_release", *args), f"verify_release ({what})")


def verify_accepts(remote: Remote) -> tuple[bool, str]:
    release = _release("sg-verify-1", b"\x93NUMPY weights " * 40)
    if not _verify(remote, release, "a valid release"):
        return False, "a valid release (good signature, matching SHA-256) was rejected"
    return True, "a valid release is accepted"


def verify_rejects_tampered_artifact(remote: Remote) -> tuple[bool, str]:
    art, manifest, sig, pk = _release("sg-verify-2", b"clean model bytes " * 30)
    data = bytearray(bytes.fromhex(art))
    data[5] ^= 0x01
    if _verify(remote, (bytes(data).hex(), manifest, sig, pk), "tampered artefact"):
        return False, ("a modified artefact next to a genuine signed manifest was accepted: the signature "
                       "only covers the manifest, so also compare the artefact's SHA-256 with it")
    return True, "a tampered artefact is rejected even though the manifest's signature is valid"


def verify_rejects_bad_signatures(remote: Remote) -> tuple[bool, str]:
    art, manifest, sig, pk = _release("sg-verify-3", b"model v3 " * 50)
    edited = json.loads(manifest)
    edited["version"] = "6.6.6"
    cases = {
        "an edited manifest": (art, json.dumps(edited, sort_keys=True, separators=(",", ":")), sig, pk),
        "another publisher's key": (art, manifest, sig, _public_hex(_signing_key("someone else"))),
        "a zero signature": (art, manifest, "00" * 64, pk),
    }
    evil = b"backdoored weights"
    evil_manifest = {"name": "model.npz", "sha256": hashlib.sha256(evil).hexdigest(), "size": len(evil),
                     "version": "1.0.0"}
    cases["a recomputed manifest for another artefact"] = (
        evil.hex(), json.dumps(evil_manifest, sort_keys=True, separators=(",", ":")), sig, pk)
    accepted = [what for what, args in cases.items() if _verify(remote, args, what)]
    if accepted:
        return False, "accepted " + "; ".join(accepted)
    return True, "edited manifests, foreign keys and forged signatures are rejected"


def verify_hidden(remote: Remote) -> tuple[bool, str]:
    for i, size in enumerate((1, 100, 5000)):
        release = _release(f"sg-verify-h{i}", bytes(range(256)) * (size // 256 + 1))
        if not _verify(remote, release, "another valid release"):
            return False, "another valid release was rejected"
    art, manifest, sig, pk = _release("sg-verify-h9", b"weights")
    for bad_sig in (sig[:-2], "zz" * 64):
        try:
            ok = _verify(remote, (art, manifest, bad_sig, pk), "a malformed signature")
        except StudentError as err:
            if err.not_implemented:
                raise
            return False, f"a malformed signature raised {err.type_name}: return False instead"
        if ok:
            return False, "a malformed signature was accepted"
    return True, "other releases; malformed signatures give False"


# --------------------------------------------------------------------------- sg-policy
def _req(**changes) -> dict:
    base = {"subject": "ana", "roles": ["data_scientist"], "action": "train", "resource": "churn",
            "mfa": False, "device_trusted": True, "token_age_s": 60.0, "network_zone": "internal"}
    return {**base, **changes}


def _policy_cases(remote: Remote, cases: list[dict], what: str) -> tuple[bool, str]:
    from mlops_course.security.access import course_policy

    engine = course_policy()
    for request in cases:
        want = engine.decide(request).allowed
        got = _as_bool(remote.call("is_allowed", request), "is_allowed")
        if got != want:
            shown = {k: v for k, v in request.items() if k not in ("subject", "resource")}
            return False, f"{what}: is_allowed({shown}) returned {got}, expected {want}"
    return True, f"{what}: all {len(cases)} decisions match the policy"


def policy_rbac(remote: Remote) -> tuple[bool, str]:
    return _policy_cases(remote, [
        _req(), _req(action="deploy"), _req(roles=["ml_engineer"], action="deploy", mfa=True),
        _req(roles=["service"], action="query"), _req(roles=["service"], action="train"),
        _req(action="read_raw_data", mfa=True), _req(roles=["data_steward"], action="read_raw_data", mfa=True),
        _req(roles=["data_scientist", "data_steward"], action="read_raw_data", mfa=True),
        _req(roles=["auditor"], action="read_audit", network_zone="external"),
    ], "role permissions")


def policy_abac(remote: Remote) -> tuple[bool, str]:
    return _policy_cases(remote, [
        _req(roles=["ml_engineer"], action="deploy"), _req(roles=["data_steward"], action="read_raw_data"),
        _req(roles=["data_scientist"], action="register_model"), _req(device_trusted=False),
        _req(token_age_s=3600.0), _req(token_age_s=3601.0), _req(network_zone="external"),
        _req(roles=["ml_engineer"], action="deploy", mfa=True, device_trusted=False),
        _req(roles=["ml_engineer"], action="query", network_zone="internal", device_trusted=False),
    ], "attribute rules (MFA, device, session age, location)")


def policy_default_deny(remote: Remote) -> tuple[bool, str]:
    return _policy_cases(remote, [
        _req(roles=[]), _req(roles=["admin"]), _req(roles=["admin"], action="deploy", mfa=True),
        _req(action="delete_model"), _req(roles=["ml_engineer"], action="DEPLOY", mfa=True),
    ], "default deny")


def policy_exhaustive_hidden(remote: Remote) -> tuple[bool, str]:
    from mlops_course.security.access import ACTIONS, ROLE_PERMISSIONS

    cases = [_req(roles=[role], action=action, mfa=mfa, device_trusted=device, token_age_s=age,
                  network_zone=zone)
             for role in [*ROLE_PERMISSIONS, "guest"] for action in ACTIONS
             for mfa in (False, True) for device in (False, True) for age in (0.0, 5000.0)
             for zone in (("internal", "external") if action == "query" else ("internal",))]
    return _policy_cases(remote, cases, "every role × action × attribute combination")


# --------------------------------------------------------------------------- sg-ks
def _ks_cases(remote: Remote, pairs: list[tuple[object, object]], what: str) -> tuple[bool, str]:
    from scipy import stats

    for a, b in pairs:
        want = float(stats.ks_2samp(np.asarray(a, float), np.asarray(b, float)).statistic)
        got = as_float(remote.call("ks_statistic", a, b), "ks_statistic(...)")
        if not abs(got - want) <= 1e-12:
            return False, f"{what}: got {got:.6g}, expected {want:.6g} (scipy.stats.ks_2samp)"
    return True, f"{what}: matches scipy.stats.ks_2samp"


def ks_continuous(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(20_201)
    return _ks_cases(remote, [(rng.normal(size=50), rng.normal(0.5, 1.0, size=80)),
                              (rng.normal(size=30), rng.normal(size=30) - 2.0),
                              (rng.exponential(size=70), rng.normal(size=20))], "continuous samples")


def ks_ties(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(20_202)
    pairs = [(rng.integers(0, 5, 40).astype(float), rng.integers(0, 7, 60).astype(float)),
             (np.array([0.0, 0.0, 1.0]), np.array([1.0, 1.0, 1.0, 0.0])),
             (np.array([3.0, 1.0, 2.0]), np.array([2.0, 3.0, 1.0]))]
    return _ks_cases(remote, pairs, "samples with ties and identical samples")


def ks_hidden(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(20_203)
    pairs = [([1.0, 2.0, 3.0], [4.0]), (rng.uniform(size=1000), rng.uniform(0.05, 1.05, size=333)),
             (rng.integers(0, 17, 500).astype(float), rng.integers(0, 17, 7).astype(float))]
    return _ks_cases(remote, pairs, "lists, one-point samples and unequal sizes")


# --------------------------------------------------------------------------- sg-ownership
def _binom_sf(k: int, n: int, c: int) -> float:
    from scipy import stats

    return float(stats.binom.sf(k - 1, n, 1.0 / c))


def _pvalue_cases(remote: Remote, cases: list[tuple[int, int, int]], what: str) -> tuple[bool, str]:
    for k, n, c in cases:
        want = _binom_sf(k, n, c)
        got = as_float(remote.call("ownership_pvalue", k, n, c), f"ownership_pvalue({k}, {n}, {c})")
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-300):
            return False, f"ownership_pvalue({k}, {n}, {c}) returned {got:.6g}, expected P(Bin({n}, 1/{c}) ≥ {k}) = {want:.6g}"
    return True, f"{what}: P(Bin(K, 1/C) ≥ k)"


def pvalue_values(remote: Remote) -> tuple[bool, str]:
    return _pvalue_cases(remote, [(3, 10, 10), (17, 50, 10), (5, 20, 4), (60, 100, 2)], "typical values")


def pvalue_edges(remote: Remote) -> tuple[bool, str]:
    return _pvalue_cases(remote, [(0, 10, 10), (10, 10, 10), (1, 1, 2), (0, 1, 3)],
                         "edges: k = 0 gives 1, k = K gives C^-K")


def pvalue_hidden(remote: Remote) -> tuple[bool, str]:
    return _pvalue_cases(remote, [(100, 100, 10), (40, 200, 10), (25, 200, 10), (7, 7, 3), (2, 30, 100)],
                         "other values incl. large K")


# --------------------------------------------------------------------------- sg-vault
KEY_HEX = hashlib.sha256(b"sg-vault key").hexdigest()


def _aesgcm():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(bytes.fromhex(KEY_HEX))


def _token(value: object, what: str) -> bytes:
    text = _as_str(value, what)
    try:
        token = bytes.fromhex(text)
    except ValueError as exc:
        raise BadResult(f"{what} should be a hex string") from exc
    if len(token) < 12 + 16:
        raise BadResult(f"{what} is too short to hold a 12-byte nonce and a 16-byte tag")
    return token


def vault_round_trip(remote: Remote) -> tuple[bool, str]:
    vault = remote.new("ArtifactVault", KEY_HEX)
    for name, text in (("model.npz", "weights: 0.1, 0.2"), ("data.csv", "age,bmi\n42,27.5"), ("empty", "")):
        token = _as_str(remote.method(vault, "seal", name, text), "seal(...)")
        back = _as_str(remote.method(vault, "open", name, token), "open(...)")
        if back != text:
            return False, f"open(name, seal(name, {text!r})) returned {back!r}"
    return True, "open(seal(x)) == x"


def vault_format(remote: Remote) -> tuple[bool, str]:
    from cryptography.exceptions import InvalidTag

    vault = remote.new("ArtifactVault", KEY_HEX)
    text = "coef = [[0.25, -1.5]]"
    token = _token(remote.method(vault, "seal", "model-v2.npz", text), "seal(...)")
    if text.encode() in token:
        return False, "the plaintext appears in the token: it is not encrypted"
    try:
        plain = _aesgcm().decrypt(token[:12], token[12:], b"model-v2.npz")
    except InvalidTag:
        return False, ("AES-GCM with nonce = first 12 bytes and associated data = name.encode() cannot open the "
                       "token: use AESGCM(key).encrypt(nonce, plaintext, name.encode()) and return (nonce + ct).hex()")
    if plain != text.encode():
        return False, "the token decrypts to something else"
    return True, "token = nonce ‖ AES-GCM ciphertext+tag, bound to the name"


def vault_fresh_nonce(remote: Remote) -> tuple[bool, str]:
    vault = remote.new("ArtifactVault", KEY_HEX)
    tokens = {_as_str(remote.method(vault, "seal", "m", "same text"), "seal(...)") for _ in range(4)}
    if len(tokens) < 4:
        return False, "sealing the same text twice gave the same token: draw a fresh random nonce every time"
    return True, "a fresh nonce per message"


def vault_rejects_tampering(remote: Remote) -> tuple[bool, str]:
    vault = remote.new("ArtifactVault", KEY_HEX)
    token = bytearray(_token(remote.method(vault, "seal", "model.npz", "weights v1"), "seal(...)"))
    problems = []
    for position in (0, 12, len(token) - 1):
        bad = bytearray(token)
        bad[position] ^= 0x01
        if not raises(lambda b=bad: remote.method(vault, "open", "model.npz", bytes(b).hex())):
            problems.append(f"a flipped bit at byte {position}")
    if not raises(lambda: remote.method(vault, "open", "other.npz", bytes(token).hex())):
        problems.append("opening under another name")
    if problems:
        return False, "no ValueError for " + ", ".join(problems)
    return True, "ValueError for any modified token and for another name"


def vault_interop_hidden(remote: Remote) -> tuple[bool, str]:
    nonce = bytes(range(12))
    token = nonce + _aesgcm().encrypt(nonce, b"made by the reference", b"ref.bin")
    vault = remote.new("ArtifactVault", KEY_HEX)
    got = _as_str(remote.method(vault, "open", "ref.bin", token.hex()), "open(...)")
    if got != "made by the reference":
        return False, "a token sealed by the reference implementation did not open"
    other = remote.new("ArtifactVault", hashlib.sha256(b"another key").hexdigest())
    if not raises(lambda: remote.method(other, "open", "ref.bin", token.hex())):
        return False, "a vault with another key opened the token (expected ValueError)"
    return True, "opens reference tokens; another key fails"


# --------------------------------------------------------------------------- sg-ber
def _ber_reference(W1: np.ndarray, X: np.ndarray, bits: np.ndarray) -> float:
    from mlops_course.security.watermark import extract_bits

    return float(np.mean(extract_bits(W1, X) != bits))


def _ber_cases(remote: Remote, cases, what: str) -> tuple[bool, str]:
    for W1, X, bits in cases:
        want = _ber_reference(W1, X, bits)
        got = as_float(remote.call("watermark_ber", W1, X, bits), "watermark_ber(...)")
        if not abs(got - want) <= 1e-12:
            return False, f"{what}: returned {got:.6g}, expected {want:.6g}"
    return True, f"{what}: BER = mean(1[X·mean_k W1[:, k] > 0] ≠ b)"


def ber_values(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(20_601)
    W1 = rng.normal(size=(16, 8))
    X = rng.normal(size=(12, 16))
    w = W1.mean(axis=1)
    exact_bits = (X @ w > 0).astype(np.int64)
    flipped = exact_bits.copy()
    flipped[:3] = 1 - flipped[:3]
    return _ber_cases(remote, [(W1, X, exact_bits), (W1, X, flipped), (W1, X, 1 - exact_bits)],
                      "embedded, 3 flipped and inverted signatures")


def ber_hidden(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(20_602)
    cases = [(rng.normal(size=(64, 3)), rng.normal(size=(32, 64)), rng.integers(0, 2, 32)),
             (rng.normal(size=(5, 40)), rng.normal(size=(5, 5)), rng.integers(0, 2, 5))]
    return _ber_cases(remote, cases, "other shapes")


def ber_validates(remote: Remote) -> tuple[bool, str]:
    W1, X, bits = np.ones((6, 4)), np.ones((3, 4)), np.array([0, 1, 1])
    if not raises(lambda: remote.call("watermark_ber", W1, X, bits)):
        return False, "no ValueError when key_matrix has 4 columns but W1 has 6 rows"
    if not raises(lambda: remote.call("watermark_ber", W1, np.ones((3, 6)), np.array([0, 1]))):
        return False, "no ValueError when bits has 2 entries but key_matrix has 3 rows"
    return True, "ValueError for mismatched shapes"


CHECKS: tuple[Check, ...] = (
    Check("sg-verify", "verify_release", (
        Property("accepts a valid release", 1.0, verify_accepts,
                 "verify the Ed25519 signature over manifest_json.encode() and compare SHA-256 and size"),
        Property("rejects a tampered artefact with a genuine manifest", 1.0, verify_rejects_tampered_artifact,
                 "hashlib.sha256(bytes.fromhex(artifact_hex)).hexdigest() must equal manifest['sha256']"),
        Property("rejects edited manifests, foreign keys, forged signatures", 0.5, verify_rejects_bad_signatures,
                 "catch cryptography.exceptions.InvalidSignature and return False"),
        Property("other releases; malformed signatures give False", 0.5, verify_hidden,
                 "bytes.fromhex can raise ValueError: return False, never raise", visible=False),
    ), UNIT),
    Check("sg-policy", "is_allowed", (
        Property("role permissions (RBAC)", 1.0, policy_rbac, "a request is allowed only if one of its roles grants the action"),
        Property("attribute rules (ABAC)", 1.0, policy_abac,
                 "MFA for privileged actions, a trusted device, a session at most 3600 s old; ignore network_zone"),
        Property("default deny", 0.5, policy_default_deny, "unknown roles and actions grant nothing"),
        Property("every combination", 0.5, policy_exhaustive_hidden, "check every rule for every request",
                 visible=False),
    ), UNIT),
    Check("sg-ks", "ks_statistic", (
        Property("continuous samples", 1.0, ks_continuous,
                 "evaluate both empirical CDFs at every point of both samples; D = max |F_a - F_b|"),
        Property("ties and identical samples", 0.5, ks_ties,
                 "np.searchsorted(sorted_sample, grid, side='right') / n is the empirical CDF"),
        Property("lists and unequal sizes", 0.5, ks_hidden, "accept lists (np.asarray)", visible=False),
    ), UNIT),
    Check("sg-ownership", "ownership_pvalue", (
        Property("P(Bin(K, 1/C) ≥ k)", 1.0, pvalue_values,
                 "sum math.comb(K, i) q**i (1-q)**(K-i) for i = k..K with q = 1/C (note: ≥ k, not > k)"),
        Property("edges k = 0 and k = K", 0.5, pvalue_edges, "k = 0 gives exactly 1"),
        Property("other values", 0.5, pvalue_hidden, "the same sum for any K and C", visible=False),
    ), UNIT),
    Check("sg-vault", "ArtifactVault", (
        Property("open(seal(x)) == x", 0.5, vault_round_trip, "seal returns a hex str; open returns the str"),
        Property("token = nonce ‖ AES-GCM(ciphertext+tag), name as associated data", 1.0, vault_format,
                 "AESGCM(key).encrypt(nonce, plaintext.encode(), name.encode()); return (nonce + ct).hex()"),
        Property("fresh nonce per message", 0.5, vault_fresh_nonce, "nonce = os.urandom(12) inside seal"),
        Property("ValueError for a tampered token or another name", 0.5, vault_rejects_tampering,
                 "catch cryptography.exceptions.InvalidTag and raise ValueError"),
        Property("opens reference tokens; another key fails", 0.5, vault_interop_hidden,
                 "the token layout must be exactly nonce ‖ ciphertext ‖ tag", visible=False),
    ), UNIT, kind="class"),
    Check("sg-ber", "watermark_ber", (
        Property("bit-error rate of the extracted signature", 1.0, ber_values,
                 "w = W1.mean(axis=1); bits_hat = (key_matrix @ w > 0); BER = mean(bits_hat != bits)"),
        Property("other shapes", 0.5, ber_hidden, "average over the hidden units (axis=1)", visible=False),
        Property("ValueError for mismatched shapes", 0.5, ber_validates,
                 "check key_matrix.shape[1] == W1.shape[0] and len(bits) == key_matrix.shape[0]"),
    ), UNIT),
)
