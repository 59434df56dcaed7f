"""Checks of exercise 02 (safeguarding ML models): one :class:`Check` per answer cell.

Every property computes its inputs and the expected answer **in the harness**:

* signatures and ciphertexts are made and opened with the ``cryptography`` package here, from keys
  derived from fixed seeds (grading is deterministic);
* the access policy is compared with :func:`mlops_course.security.access.course_policy` on a table
  of requests and on the exhaustive grid of roles × actions × MFA × device × session age;
* the KS statistic is compared with ``scipy.stats.ks_2samp`` (absolute tolerance 1e-12);
* the ownership p-value is compared with ``scipy.stats.binom.sf`` (relative tolerance 1e-9);
* the watermark bit-error rate is compared with :mod:`mlops_course.security.watermark`.

* ``sg-plan`` (judgment: size a trigger-set watermark) — the false-accusation rate
  ``P(Bin(K, 1/C) >= k)`` and the power ``P(Bin(K, retention) >= k)`` with ``scipy.stats.binom``,
  and the smallest sufficient ``K`` by a scan here;
* ``sg-alert`` (judgment: an alert threshold with a guaranteed false-alarm rate) — benign scores are
  drawn from ``Gamma(a, 1)``, so the harness knows the **true** false-alarm rate of any threshold
  (``scipy.stats.gamma.sf``).

Hidden properties draw their inputs (keys, data, parameters) from
:func:`~mlops_course.grading.checks.secret_rng` with a tag ``"02/<grade_id>/<property>"``, so under a
course key (``MLOPS_COURSE_GRADING_KEY``) they cannot be replayed from the public package.

False-fail rate. Only ``sg-alert`` grades a quantity that depends on random data the student's
code sees (the calibration scores). Its properties need, on each of 6 visible and 6 hidden
calibration sets of n = 30,000 scores, a threshold whose true false-alarm rate lies in
``[budget/2, budget]`` (budget in [0.02, 0.1]). The reference answer (the order statistic with
``m`` scores above it, ``m`` the largest count with ``P(Bin(n, budget) <= m) <= 1e-8``) exceeds the
budget with probability <= 1e-8 per set, and falls below budget/2 only if the count of scores above
the budget/2-quantile exceeds its mean by more than ``2 z·sd`` (z = 5.6), probability < 1e-8 per
set: at most 12 × 2e-8 = 2.4e-7 for the unit (every other property is exact), < 1e-6 for any key.
"""
from __future__ import annotations

import hashlib
import json
import math

import numpy as np

from mlops_course.grading.checks import (
    BadResult,
    Check,
    ManualQuestion,
    Property,
    Remote,
    StudentError,
    as_float,
    raises,
    secret_rng,
)

__all__ = ["CHECKS", "MANUAL", "UNIT", "ALPHA_TOTAL", "ALERT_N", "smallest_plan"]

UNIT = "02_safeguards"
ALPHA_TOTAL = 1e-6
ALERT_N = 30_000  # calibration scores per alert data set


def _tag(grade_id: str, prop: str) -> str:
    return f"02/{grade_id}/{prop}"


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
        return False, ("a valid release (a 600-byte artefact, its manifest with the right SHA-256 and size, "
                       "and the publisher's Ed25519 signature of the manifest) was rejected")
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
        return False, "accepted " + "; ".join(accepted) + " (the signature must verify under the publisher's key " \
                      "over the exact manifest text, and the manifest must describe this artefact)"
    return True, "edited manifests, foreign keys and forged signatures are rejected"


def verify_hidden(remote: Remote) -> tuple[bool, str]:
    g = secret_rng(_tag("sg-verify", "hidden"))
    for size in (1, int(g.integers(2, 300)), int(g.integers(1000, 6000))):
        release = _release(g.bytes(16).hex(), g.bytes(size))
        if not _verify(remote, release, "another valid release"):
            return False, "another valid release was rejected"
    art, manifest, sig, pk = _release(g.bytes(16).hex(), g.bytes(int(g.integers(5, 50))))
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
    g = secret_rng(_tag("sg-policy", "exhaustive"))
    cases = [{**c, "subject": f"u{int(g.integers(10**6))}", "resource": f"r{int(g.integers(10**6))}",
              "token_age_s": float(g.uniform(0.0, 3600.0)) if c["token_age_s"] == 0.0
              else float(g.uniform(3600.5, 10**5))} for c in cases]
    order = g.permutation(len(cases))
    return _policy_cases(remote, [cases[i] for i in order], "every role × action × attribute combination")


# --------------------------------------------------------------------------- sg-ks
def _ks_cases(remote: Remote, pairs: list[tuple[object, object]], what: str) -> tuple[bool, str]:
    from scipy import stats

    for a, b in pairs:
        want = float(stats.ks_2samp(np.asarray(a, float), np.asarray(b, float)).statistic)
        got = as_float(remote.call("ks_statistic", a, b), "ks_statistic(...)")
        if not abs(got - want) <= 1e-12:
            shown = f" for samples of sizes {len(a)} and {len(b)} (first values {list(np.round(a, 3)[:3])}, " \
                    f"{list(np.round(b, 3)[:3])})" if len(a) < 100 else ""
            return False, (f"{what}{shown}: D = {got:.6g}, expected the largest gap between the two empirical "
                           f"CDFs, {want:.6g}")
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
    rng = secret_rng(_tag("sg-ks", "hidden"))
    pairs = [([float(v) for v in rng.integers(0, 9, 3)], [float(rng.integers(0, 9))]), (rng.uniform(size=1000), rng.uniform(0.05, 1.05, size=333)),
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
            return False, (f"ownership_pvalue({k}, {n}, {c}) returned {got:.6g}; the chance that an independent model "
                           f"matches at least {k} of {n} uniformly random labels among {c} classes is {want:.6g}")
    return True, f"{what}: P(Bin(K, 1/C) ≥ k)"


def pvalue_values(remote: Remote) -> tuple[bool, str]:
    return _pvalue_cases(remote, [(3, 10, 10), (17, 50, 10), (5, 20, 4), (60, 100, 2)], "typical values")


def pvalue_edges(remote: Remote) -> tuple[bool, str]:
    return _pvalue_cases(remote, [(0, 10, 10), (10, 10, 10), (1, 1, 2), (0, 1, 3)],
                         "edges: k = 0 gives 1, k = K gives C^-K")


def pvalue_hidden(remote: Remote) -> tuple[bool, str]:
    g = secret_rng(_tag("sg-ownership", "hidden"))
    cases = []
    for _ in range(5):
        n, c = int(g.integers(5, 250)), int(g.choice([2, 3, 10, 100]))
        cases.append((int(g.integers(0, n + 1)), n, c))
    return _pvalue_cases(remote, cases + [(100, 100, 10)], "other values incl. large K")


# --------------------------------------------------------------------------- sg-plan
def smallest_plan(n_classes: int, alpha: float, retention: float, power: float,
                  k_max: int = 5000) -> tuple[int, int]:
    """Smallest number of triggers K (and its smallest threshold k) meeting both error rates.

    For each K = 1, 2, … the threshold is the smallest k with ``P(Bin(K, 1/C) >= k) <= alpha``
    (a larger k only loses power); K is sufficient when ``P(Bin(K, retention) >= k) >= power``.

    The null model is an innocent model that agrees with each trigger label by chance (1/C);
    a stolen watermarked model keeps each trigger label with probability ``retention``.

    Parameters
    ----------
    n_classes : int
        Number of classes C (>= 2).
    alpha : float
        Largest false-accusation rate, in (0, 1).
    retention : float
        Probability that a stolen model still answers a trigger with its watermark label, > 1/C.
    power : float
        Smallest detection rate for a stolen model, in (0, 1).
    k_max : int, optional
        Largest number of triggers tried.

    Returns
    -------
    K : int
        The smallest number of trigger inputs.
    k : int
        The threshold: claim ownership when >= k triggers get their watermark label.

    Raises
    ------
    ValueError
        If no K <= ``k_max`` meets both rates.

    Examples
    --------
    >>> smallest_plan(10, 0.01, 0.9, 0.95)
    (5, 3)
    """
    from scipy import stats

    for K in range(1, k_max + 1):
        ks = np.arange(K + 2)
        ok = np.nonzero(stats.binom.sf(ks - 1, K, 1.0 / n_classes) <= alpha)[0]
        if ok.size and stats.binom.sf(int(ok[0]) - 1, K, retention) >= power:
            return K, int(ok[0])
    raise ValueError("no plan with at most k_max triggers")  # pragma: no cover - parameters are chosen feasible


def _plan_report(result: object) -> tuple[int, int]:
    if not isinstance(result, dict) or not {"n_triggers", "threshold"} <= set(result):
        raise BadResult("watermark_plan should return a dict with keys 'n_triggers' and 'threshold'")
    K, k = result["n_triggers"], result["threshold"]
    if type(K) is not int or type(k) is not int:
        raise BadResult("'n_triggers' and 'threshold' should be ints")
    return K, k


def _plan_case(remote: Remote, C: int, alpha: float, retention: float, power: float, aspect: str,
               show: bool = True) -> tuple[bool, str]:
    from scipy import stats

    K, k = _plan_report(remote.call("watermark_plan", C, alpha, retention, power))
    where = (f"for C = {C} classes, false-accusation budget {alpha:g}, retention {retention:g} and power {power:g}: "
             if show else "")
    if not 1 <= k <= K:
        return False, f"{where}the threshold must be between 1 and the number of triggers, got k = {k}, K = {K}"
    fpr, pwr = float(stats.binom.sf(k - 1, K, 1.0 / C)), float(stats.binom.sf(k - 1, K, retention))
    if fpr > alpha * (1 + 1e-9):
        return False, (f"{where}with K = {K} triggers and threshold k = {k}, an independent model (each trigger "
                       f"matched with probability 1/{C}) is accused with probability {fpr:.3g} > {alpha:g}")
    if pwr < power - 1e-12:
        return False, (f"{where}with K = {K} and k = {k}, a stolen model that keeps each trigger label with "
                       f"probability {retention:g} is caught with probability {pwr:.4g} < {power:g}")
    if aspect == "valid":
        return True, f"K = {K}, k = {k}: false accusation {fpr:.2g}, power {pwr:.4g}"
    best_K, best_k = smallest_plan(C, alpha, retention, power)
    if K > best_K:
        return False, (f"{where}K = {K} triggers work, but {best_K} suffice (threshold {best_k}): every trigger is "
                       "a secret input the model must memorise, at a cost in accuracy and in what can leak")
    return True, f"the smallest plan: K = {K}, k = {k}"


def plan_valid(remote: Remote) -> tuple[bool, str]:
    return _plan_case(remote, 10, 1e-6, 0.5, 0.99, "valid")


def plan_smallest(remote: Remote) -> tuple[bool, str]:
    for case in ((10, 1e-6, 0.5, 0.99), (2, 1e-4, 0.8, 0.999)):
        ok, msg = _plan_case(remote, *case, "smallest")
        if not ok:
            return ok, msg
    return True, "the smallest number of triggers for both settings"


def plan_hidden(remote: Remote) -> tuple[bool, str]:
    g = secret_rng(_tag("sg-plan", "hidden"))
    for _ in range(3):
        C = int(g.choice([2, 3, 5, 10, 100]))
        retention = round(float(g.uniform(max(1.0 / C + 0.25, 0.5), 0.95)), 3)
        case = (C, float(g.choice([1e-3, 1e-4, 1e-6, 1e-9])), retention, float(g.choice([0.9, 0.99, 0.999])))
        ok, msg = _plan_case(remote, *case, "smallest", show=False)
        if not ok:
            return ok, msg
    return True, "other numbers of classes, budgets, retentions and powers"


# --------------------------------------------------------------------------- sg-alert
def _alert_data(g: np.random.Generator) -> tuple[np.ndarray, float]:
    """Benign anomaly scores of a calibration period: Gamma(a, 1), a in [2, 6]."""
    a = float(g.uniform(2.0, 6.0))
    return np.round(g.gamma(a, 1.0, size=ALERT_N), 6), a


def _alert_cases(remote: Remote, g: np.random.Generator, budgets: list[float], aspect: str,
                 show: bool = True) -> tuple[bool, str]:
    from scipy import stats

    fprs = []
    for budget in budgets:
        scores, a = _alert_data(g)
        t = as_float(remote.call("alert_threshold", scores, budget), "alert_threshold(...)")
        if not math.isfinite(t):
            raise BadResult("the threshold must be a finite number")
        fpr = float(stats.gamma.sf(t, a))
        fprs.append(fpr)
        empirical = float(np.mean(scores > t))
        where = (f"on {ALERT_N} calibration scores with a false-alarm budget of {budget:g} (scores above your "
                 f"threshold {t:.4g} in the calibration set: {empirical:.4f}): " if show else "")
        if aspect in ("budget", "both") and fpr > budget:
            return False, (f"{where}on the whole benign population your threshold raises a false alarm "
                           f"with probability {fpr:.4f} > {budget:g}; a threshold fitted to one sample lands on the "
                           "wrong side about half of the time unless you leave a margin for the sampling error")
        if aspect in ("useful", "both") and fpr < budget / 2:
            return False, (f"{where}your threshold's true false-alarm rate is {fpr:.4f}, below half the budget "
                           f"({budget / 2:g}): it misses attacks the budget allows you to catch; use a tighter "
                           "bound on the sampling error")
    return True, "true false-alarm rates " + ", ".join(f"{f:.4f}" for f in fprs)


def alert_budget(remote: Remote) -> tuple[bool, str]:
    return _alert_cases(remote, np.random.default_rng(20_701), [0.05, 0.02, 0.1, 0.05, 0.03, 0.08], "budget")


def alert_useful(remote: Remote) -> tuple[bool, str]:
    return _alert_cases(remote, np.random.default_rng(20_701), [0.05, 0.02, 0.1, 0.05, 0.03, 0.08], "useful")


def alert_hidden(remote: Remote) -> tuple[bool, str]:
    g = secret_rng(_tag("sg-alert", "hidden"))
    budgets = [round(float(b), 4) for b in g.uniform(0.02, 0.1, size=6)]
    return _alert_cases(remote, g, budgets, "both", show=False)


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
        return False, ("the token of seal('model-v2.npz', ...) does not open as nonce (first 12 bytes) ‖ AES-GCM "
                       "ciphertext and tag, with the name as associated data")
    if plain != text.encode():
        return False, "the token decrypts to something else"
    return True, "token = nonce ‖ AES-GCM ciphertext+tag, bound to the name"


def vault_fresh_nonce(remote: Remote) -> tuple[bool, str]:
    vault = remote.new("ArtifactVault", KEY_HEX)
    tokens = {_as_str(remote.method(vault, "seal", "m", "same text"), "seal(...)") for _ in range(4)}
    if len(tokens) < 4:
        return False, ("sealing 'same text' four times gave repeated tokens: a repeated nonce under one key breaks "
                       "GCM's confidentiality and authenticity")
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
    g = secret_rng(_tag("sg-vault", "interop-nonce"))
    nonce = g.bytes(12)
    token = nonce + _aesgcm().encrypt(nonce, b"made by the reference", b"ref.bin")
    vault = remote.new("ArtifactVault", KEY_HEX)
    got = _as_str(remote.method(vault, "open", "ref.bin", token.hex()), "open(...)")
    if got != "made by the reference":
        return False, "a token sealed by the reference implementation did not open"
    other = remote.new("ArtifactVault", secret_rng(_tag("sg-vault", "interop")).bytes(32).hex())
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
            return False, (f"{what} (W1 {W1.shape}, key matrix {X.shape}): returned {got:.6g}, expected the share "
                           f"of signature bits read wrongly, {want:.6g}")
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
    rng = secret_rng(_tag("sg-ber", "hidden"))
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
                 "a release is valid when the publisher's signature covers the manifest and the manifest "
                 "describes this artefact"),
        Property("rejects a tampered artefact with a genuine manifest", 1.0, verify_rejects_tampered_artifact,
                 "the signature proves who wrote the manifest, not which file you hold: compare the file's digest"),
        Property("rejects edited manifests, foreign keys, forged signatures", 0.5, verify_rejects_bad_signatures,
                 "a signature that does not verify is a rejection, not an error"),
        Property("other releases; malformed signatures give False", 0.5, verify_hidden,
                 "malformed input is untrusted input: reject it, never crash", visible=False),
    ), UNIT),
    Check("sg-policy", "is_allowed", (
        Property("role permissions (RBAC)", 1.0, policy_rbac,
                 "a request is allowed only if one of its roles grants the action"),
        Property("attribute rules (ABAC)", 1.0, policy_abac,
                 "every attribute rule must hold as well; where the request comes from proves nothing"),
        Property("default deny", 0.5, policy_default_deny, "unknown roles and actions grant nothing"),
        Property("every combination", 0.5, policy_exhaustive_hidden, "check every rule for every request",
                 visible=False),
    ), UNIT),
    Check("sg-ks", "ks_statistic", (
        Property("continuous samples", 1.0, ks_continuous,
                 "the largest gap between two step functions is reached at one of their jumps"),
        Property("ties and identical samples", 0.5, ks_ties,
                 "an empirical CDF at x counts the values <= x, including all tied values"),
        Property("lists and unequal sizes", 0.5, ks_hidden, "accept any 1-D sequence of numbers",
                 visible=False),
    ), UNIT),
    Check("sg-ownership", "ownership_pvalue", (
        Property("P(Bin(K, 1/C) ≥ k)", 1.0, pvalue_values,
                 "the p-value is the probability of a result at least as extreme as the one observed"),
        Property("edges k = 0 and k = K", 0.5, pvalue_edges, "'at least 0 matches' is certain"),
        Property("other values", 0.5, pvalue_hidden, "the same tail probability for any K and C", visible=False),
    ), UNIT),
    Check("sg-plan", "watermark_plan", (
        Property("meets the false-accusation budget and the power", 1.0, plan_valid,
                 "two error rates: an innocent model matches each trigger by chance (1/C), a stolen one with "
                 "probability `retention`; the threshold trades one against the other"),
        Property("the smallest number of triggers", 1.0, plan_smallest,
                 "for each candidate K take the threshold that just meets the budget, and stop at the first K "
                 "that also has the power"),
        Property("other classes, budgets and retentions", 1.0, plan_hidden,
                 "binary models need many more triggers: chance agreement is 1/2", visible=False),
    ), UNIT),
    Check("sg-alert", "alert_threshold", (
        Property("true false-alarm rate within budget (6 calibration sets)", 1.0, alert_budget,
                 "the sample quantile is a random variable: leave a margin that makes exceeding the budget "
                 "very unlikely"),
        Property("not needlessly conservative (at least half the budget)", 1.0, alert_useful,
                 "the number of calibration scores above the true quantile is binomial: a bound built on it is "
                 "much tighter in the tail than a uniform bound on the whole CDF"),
        Property("other budgets and score laws", 1.0, alert_hidden,
                 "the guarantee must hold whatever the law of the benign scores", visible=False),
    ), UNIT),
    Check("sg-vault", "ArtifactVault", (
        Property("open(seal(x)) == x", 0.5, vault_round_trip, "seal returns a hex str; open returns the str"),
        Property("token = nonce ‖ AES-GCM(ciphertext+tag), name as associated data", 1.0, vault_format,
                 "associated data is authenticated but not encrypted: it binds the token to the artefact's name"),
        Property("fresh nonce per message", 0.5, vault_fresh_nonce,
                 "a nonce is a number used once: never twice with the same key"),
        Property("ValueError for a tampered token or another name", 0.5, vault_rejects_tampering,
                 "authenticated decryption fails loudly on any change; report it as a ValueError"),
        Property("opens reference tokens; another key fails", 0.5, vault_interop_hidden,
                 "the token layout must be exactly nonce ‖ ciphertext ‖ tag", visible=False),
    ), UNIT, kind="class"),
    Check("sg-ber", "watermark_ber", (
        Property("bit-error rate of the extracted signature", 1.0, ber_values,
                 "the signature is read from the layer's weights averaged over its hidden units, projected on the "
                 "secret key"),
        Property("other shapes", 0.5, ber_hidden, "average over the hidden units, whatever their number",
                 visible=False),
        Property("ValueError for mismatched shapes", 0.5, ber_validates,
                 "the key must have one column per input of the layer and one row per signature bit"),
    ), UNIT),
)

MANUAL: tuple[ManualQuestion, ...] = (
    ManualQuestion("sg-written", 3, UNIT, "which safeguard proves theft of a licensed model"),
)
