"""Access control for an ML platform: RBAC + ABAC evaluated on every request (zero trust), an audit trail.

Policy model
------------
A request is a dict ``{"subject", "roles", "action", "resource", "mfa", "device_trusted",
"token_age_s", "network_zone"}``. The decision is *default deny*; a request is allowed only if
every rule holds (deny overrides, as in XACML's deny-overrides combining algorithm):

1. ``fresh_session`` — the token was issued at most ``max_token_age_s`` seconds ago
   (continuous verification: a stolen or stale session expires);
2. ``trusted_device`` — the request comes from a managed, healthy device (device posture);
3. ``role_permits`` (RBAC, Sandhu et al. 1996; NIST RBAC, INCITS 359) — one of the subject's
   roles grants the action (least privilege: data scientists train, engineers deploy, only
   data stewards read raw personal data);
4. ``mfa_for_privileged`` (ABAC, NIST SP 800-162) — privileged actions (``read_raw_data``,
   ``register_model``, ``deploy``) need multi-factor authentication.

``network_zone`` is deliberately *not* a rule: zero-trust architecture (NIST SP 800-207) grants
nothing for being "inside" the network. :func:`perimeter_decide` is the castle-and-moat baseline
that trusts the internal zone, to compare with.

Every decision is appended to an :class:`AuditLog`, a hash chain (each entry stores the SHA-256
of the previous one), so deleting or editing a past decision is detectable by :meth:`AuditLog.verify`
unless the editor also recomputes the hashes; anchor the head (publish the latest hash to a WORM
store or sign it) and pass it to ``verify(head=...)`` to catch that too.

Network segmentation is access control between machines: :func:`blast_radius` counts what an
attacker who owns one host can reach through the allowed flows of a flat or a segmented network.
"""
from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACTIONS", "PRIVILEGED_ACTIONS", "ROLE_PERMISSIONS", "MAX_TOKEN_AGE_S", "Decision", "Rule",
    "PolicyEngine", "AuditLog", "rbac_rule", "course_policy", "perimeter_decide", "validate_request",
    "scenario_requests", "ASSETS", "FLAT_FLOWS", "SEGMENTED_FLOWS", "reachable", "blast_radius", "plot_network",
]

ACTIONS = ("read_raw_data", "read_features", "train", "register_model", "deploy", "query", "read_audit")
PRIVILEGED_ACTIONS = frozenset({"read_raw_data", "register_model", "deploy"})
ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = {
    "data_steward": frozenset({"read_raw_data", "read_features"}),
    "data_scientist": frozenset({"read_features", "train", "register_model", "query"}),
    "ml_engineer": frozenset({"register_model", "deploy", "query"}),
    "service": frozenset({"query"}),
    "auditor": frozenset({"read_audit"}),
}
MAX_TOKEN_AGE_S = 3600.0
_FIELDS = ("subject", "roles", "action", "resource", "mfa", "device_trusted", "token_age_s", "network_zone")


@dataclass(frozen=True)
class Decision:
    """The outcome of one request: allowed or not, the rule that decided, and why.

    Parameters
    ----------
    allowed : bool
        Whether the request is allowed.
    rule : str
        Name of the rule that decided.
    reason : str
        Why.
    """

    allowed: bool
    rule: str
    reason: str


@dataclass(frozen=True)
class Rule:
    """One ABAC rule: ``check(request) -> bool`` must hold, else the request is denied with ``reason``.

    Parameters
    ----------
    name : str
        Name of the rule.
    check : callable
        ``check(request) -> bool``; True when the request satisfies the rule.
    reason : str
        Reason given when the rule denies.
    """

    name: str
    check: Callable[[Mapping[str, Any]], bool]
    reason: str


def validate_request(request: Mapping[str, Any]) -> dict:
    """Check a request's fields and types; return a plain dict copy.

    Raises
    ------
    TypeError
        If ``request`` is not a mapping or a field has the wrong type.
    ValueError
        If a field is missing or ``token_age_s`` is negative or NaN.
    """
    if not isinstance(request, Mapping):
        raise TypeError(f"request must be a mapping, got {type(request).__name__}")
    missing = [f for f in _FIELDS if f not in request]
    if missing:
        raise ValueError(f"request is missing field(s) {missing}; required: {list(_FIELDS)}")
    out = dict(request)
    for name in ("subject", "action", "resource", "network_zone"):
        if not isinstance(out[name], str):
            raise TypeError(f"request[{name!r}] must be a str, got {type(out[name]).__name__}")
    roles = out["roles"]
    if isinstance(roles, str) or not isinstance(roles, Iterable) or not all(isinstance(r, str) for r in roles):
        raise TypeError("request['roles'] must be a list of str")
    out["roles"] = list(roles)
    for name in ("mfa", "device_trusted"):
        if not isinstance(out[name], bool):
            raise TypeError(f"request[{name!r}] must be a bool, got {type(out[name]).__name__}")
    age = out["token_age_s"]
    if isinstance(age, bool) or not isinstance(age, numbers.Real) or math.isnan(age) or age < 0:
        raise ValueError(f"request['token_age_s'] must be a number >= 0, got {age!r}")
    return out


class AuditLog:
    """An append-only, hash-chained log of access decisions.

    Entry ``i`` stores ``prev_i = hash_{i-1}`` and ``hash_i = SHA-256(hash_{i-1} ‖ JSON(record_i))``
    with ``hash_{-1}`` = 64 zeros (Schneier & Kelsey 1999, secure audit logs).

    Guarantee (SHA-256 collision resistance): a record edited *without* recomputing its hash fails
    its own hash check; an attacker who also rewrites that entry's hash breaks the ``prev`` link of
    the next entry; but an attacker with write access who edits the **last** entry (or truncates
    the log, or rewrites every hash from the edit onwards) leaves a self-consistent chain. Only an
    anchored head catches that: publish :attr:`head` somewhere the attacker cannot write (a WORM
    store, or a signature with a key the log's writer does not hold) and call ``verify(head=...)``.

    Examples
    --------
    >>> log = AuditLog()
    >>> _ = log.append({"who": "ana", "allowed": False})
    >>> published = log.head
    >>> log.entries[0]["record"]["allowed"] = True
    >>> log.entries[0]["hash"] = AuditLog.entry_hash(log.entries[0]["prev"], log.entries[0]["record"])
    >>> log.verify() is None, log.verify(head=published)
    (True, 0)
    """

    GENESIS = "0" * 64

    def __init__(self) -> None:
        self._entries: list[dict] = []

    @staticmethod
    def entry_hash(prev: str, record: Mapping[str, Any]) -> str:
        """``SHA-256(prev ‖ JSON(record))`` with sorted keys and compact separators, as a hex digest."""
        body = json.dumps(dict(record), sort_keys=True, separators=(",", ":")).encode("utf-8")
        return hashlib.sha256(prev.encode("ascii") + body).hexdigest()

    def append(self, record: Mapping[str, Any]) -> dict:
        """Append a record (JSON data) and return the stored entry ``{"seq", "record", "prev", "hash"}``."""
        prev = self._entries[-1]["hash"] if self._entries else self.GENESIS
        record = json.loads(json.dumps(dict(record)))  # a plain, independent copy
        entry = {"seq": len(self._entries), "record": record, "prev": prev, "hash": self.entry_hash(prev, record)}
        self._entries.append(entry)
        return entry

    @property
    def entries(self) -> list[dict]:
        """The stored entries (the list itself: an attacker with write access can edit it — see verify)."""
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def head(self) -> str:
        """The hash of the last entry (``GENESIS`` for an empty log): the value to anchor externally."""
        return self._entries[-1]["hash"] if self._entries else self.GENESIS

    def verify(self, head: str | None = None) -> int | None:
        """Index of the first entry whose chain is broken, or ``None`` if the log is intact.

        Parameters
        ----------
        head : str, optional
            The hash of the last entry as published when it was appended (see :attr:`head`),
            read from a store the log's writer cannot modify. Without it, an edit of the last
            entry whose hash was recomputed (or a truncation) goes unnoticed.

        Returns
        -------
        int or None
            The first ``i`` whose ``prev`` is not ``hash_{i-1}`` or whose ``hash`` is not
            ``SHA-256(prev ‖ JSON(record))``; if the chain is consistent but does not end at
            ``head``, the index of the last entry (``0`` for an emptied log) — the anchor alone
            cannot tell an edited last entry from a truncation. ``None`` if nothing is wrong.

        Raises
        ------
        TypeError
            If ``head`` is not a str.
        ValueError
            If ``head`` is not 64 hexadecimal characters.
        """
        if head is not None:
            if not isinstance(head, str):
                raise TypeError(f"head must be a str (a SHA-256 hex digest), got {type(head).__name__}")
            if len(head) != 64 or any(c not in "0123456789abcdef" for c in head.lower()):
                raise ValueError(f"head must be 64 hexadecimal characters, got {head!r}")
        prev = self.GENESIS
        for i, entry in enumerate(self._entries):
            if entry.get("prev") != prev or entry.get("hash") != self.entry_hash(prev, entry.get("record", {})):
                return i
            prev = entry["hash"]
        if head is not None and prev != head.lower():
            return max(len(self._entries) - 1, 0)
        return None

    def rows(self) -> list[list[Any]]:
        """Table rows ``[seq, subject, action, allowed, rule, hash prefix]`` for display."""
        return [[e["seq"], e["record"].get("subject"), e["record"].get("action"),
                 "allow" if e["record"].get("allowed") else "deny", e["record"].get("rule"), e["hash"][:12]]
                for e in self._entries]


def rbac_rule(role_permissions: Mapping[str, Iterable[str]] = ROLE_PERMISSIONS) -> Rule:
    """RBAC as a rule: some role of the subject grants the action (unknown roles grant nothing)."""
    perms = {str(role): frozenset(actions) for role, actions in role_permissions.items()}

    def check(request: Mapping[str, Any]) -> bool:
        return any(request["action"] in perms.get(role, frozenset()) for role in request["roles"])

    return Rule("role_permits", check, "no role of the subject grants this action (least privilege)")


@dataclass
class PolicyEngine:
    """Evaluates every request against its rules (default deny) and records each decision.

    Parameters
    ----------
    rules : sequence of Rule
        Checked in order; the first failing rule denies (deny overrides).
    audit : AuditLog
        Receives one entry per decision (allowed or denied).

    Examples
    --------
    >>> engine = course_policy()
    >>> req = {"subject": "ana", "roles": ["data_scientist"], "action": "train", "resource": "churn",
    ...        "mfa": False, "device_trusted": True, "token_age_s": 60, "network_zone": "internal"}
    >>> engine.decide(req).allowed
    True
    >>> engine.decide({**req, "action": "deploy"}).rule
    'role_permits'
    """

    rules: tuple[Rule, ...] = ()
    audit: AuditLog = field(default_factory=AuditLog)

    def decide(self, request: Mapping[str, Any]) -> Decision:
        """Decide one request and append the decision to the audit log."""
        req = validate_request(request)
        decision = Decision(True, "all", "every rule holds")
        if req["action"] not in ACTIONS:
            decision = Decision(False, "known_action", f"unknown action {req['action']!r} (default deny)")
        else:
            for rule in self.rules:
                if not rule.check(req):
                    decision = Decision(False, rule.name, rule.reason)
                    break
        self.audit.append({"subject": req["subject"], "roles": req["roles"], "action": req["action"],
                           "resource": req["resource"], "network_zone": req["network_zone"],
                           "allowed": decision.allowed, "rule": decision.rule})
        return decision


def course_policy(max_token_age_s: float = MAX_TOKEN_AGE_S, audit: AuditLog | None = None) -> PolicyEngine:
    """The course's zero-trust policy: fresh session, trusted device, RBAC, MFA for privileged actions.

    Parameters
    ----------
    max_token_age_s : float, default MAX_TOKEN_AGE_S
        Oldest accepted session token, in seconds (> 0).
    audit : AuditLog or None, default None
        Where decisions are recorded (None: a new log).

    Returns
    -------
    PolicyEngine
        The engine with the four rules.

    Raises
    ------
    ValueError, TypeError
        If ``max_token_age_s`` is not a finite number > 0.
    """
    from mlops_course._validation import check_positive

    max_age = check_positive("max_token_age_s", max_token_age_s)
    rules = (
        Rule("fresh_session", lambda r: r["token_age_s"] <= max_age,
             f"session older than {max_age:g} s: re-authenticate"),
        Rule("trusted_device", lambda r: r["device_trusted"], "device is not managed or fails posture checks"),
        rbac_rule(ROLE_PERMISSIONS),
        Rule("mfa_for_privileged", lambda r: r["mfa"] or r["action"] not in PRIVILEGED_ACTIONS,
             "privileged action needs multi-factor authentication"),
    )
    return PolicyEngine(rules, audit if audit is not None else AuditLog())


def perimeter_decide(request: Mapping[str, Any]) -> Decision:
    """Castle-and-moat baseline: anything from the internal network is trusted, nothing else is."""
    req = validate_request(request)
    if req["network_zone"] == "internal":
        return Decision(True, "perimeter", "inside the corporate network")
    return Decision(False, "perimeter", "outside the corporate network")


def _req(subject: str, roles: list[str], action: str, *, zone: str = "internal", mfa: bool = True,
         device: bool = True, age: float = 300.0, resource: str = "churn-model") -> dict:
    return {"subject": subject, "roles": roles, "action": action, "resource": resource, "mfa": mfa,
            "device_trusted": device, "token_age_s": age, "network_zone": zone}


def scenario_requests() -> list[tuple[str, bool, dict]]:
    """A fixed mix of legitimate and malicious requests: ``(label, is_attack, request)``.

    Attacks: phished credentials used from outside; the same credentials used from a compromised
    *internal* laptop; an insider using a role for something it does not grant; a replayed stale
    session token; a compromised CI service trying to read raw data. Legitimate: daily work from
    the office and from home.
    """
    return [
        ("scientist trains (office)", False, _req("ana", ["data_scientist"], "train", mfa=False)),
        ("scientist queries (home)", False, _req("ana", ["data_scientist"], "query", zone="external", mfa=False)),
        ("engineer deploys with MFA (home)", False, _req("ben", ["ml_engineer"], "deploy", zone="external")),
        ("steward reads raw data with MFA", False, _req("cleo", ["data_steward"], "read_raw_data")),
        ("app queries the model", False, _req("web-app", ["service"], "query", mfa=False)),
        ("auditor reads the audit log", False, _req("dan", ["auditor"], "read_audit", zone="external")),
        ("phished password from the internet", True,
         _req("ben", ["ml_engineer"], "deploy", zone="external", mfa=False, device=False)),
        ("phished password on an internal laptop", True,
         _req("ben", ["ml_engineer"], "deploy", mfa=False, device=False)),
        ("insider: scientist deploys", True, _req("eve", ["data_scientist"], "deploy")),
        ("insider: scientist reads raw data", True, _req("eve", ["data_scientist"], "read_raw_data")),
        ("replayed stale session token", True, _req("cleo", ["data_steward"], "read_raw_data", age=86_400.0)),
        ("compromised CI service reads raw data", True, _req("ci-bot", ["service"], "read_raw_data", mfa=False)),
    ]


# --------------------------------------------------------------------------- network segmentation
ASSETS = ("internet", "api_gateway", "model_server", "feature_store", "training_cluster", "raw_data_lake",
          "model_registry", "notebook_server", "ci_runner")

#: flat network: every internal host can open a connection to every other one
FLAT_FLOWS: frozenset[tuple[str, str]] = frozenset(
    {("internet", "api_gateway")}
    | {(a, b) for a in ASSETS[1:] for b in ASSETS[1:] if a != b})

#: segmented network: only the flows the ML workflow needs (allow-list between zones)
SEGMENTED_FLOWS: frozenset[tuple[str, str]] = frozenset({
    ("internet", "api_gateway"), ("api_gateway", "model_server"), ("model_server", "feature_store"),
    ("training_cluster", "feature_store"), ("training_cluster", "model_registry"),
    ("training_cluster", "raw_data_lake"), ("ci_runner", "model_registry"), ("ci_runner", "model_server"),
    ("notebook_server", "feature_store"),
})


def reachable(flows: Iterable[tuple[str, str]], start: str) -> set[str]:
    """Hosts an attacker who controls ``start`` can reach by following allowed flows (BFS), excluding ``start``.

    Parameters
    ----------
    flows : iterable of (str, str)
        Allowed network flows ``(from, to)``.
    start : str
        The compromised host.

    Returns
    -------
    set of str
        The reachable hosts.
    """
    graph: dict[str, set[str]] = {}
    for a, b in flows:
        graph.setdefault(a, set()).add(b)
    seen, frontier = {start}, [start]
    while frontier:
        node = frontier.pop()
        for nxt in graph.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen - {start}


def blast_radius(flows: Iterable[tuple[str, str]], start: str) -> int:
    """Number of other assets reachable from a compromised ``start`` (lateral movement).

    Parameters
    ----------
    flows : iterable of (str, str)
        Allowed network flows ``(from, to)``.
    start : str
        The compromised asset (must appear in a flow).

    Returns
    -------
    int
        ``len(reachable(flows, start))``.

    Raises
    ------
    ValueError
        If ``start`` appears in no flow.
    """
    flows = list(flows)
    if start not in {x for f in flows for x in f}:
        raise ValueError(f"start must be an asset of the network, got {start!r}")
    return len(reachable(flows, start))


#: diagram positions (x, y) of the assets: zones from the internet (left) to the data (right)
_POSITIONS = {"internet": (0.0, 2.0), "api_gateway": (1.0, 2.0), "model_server": (2.0, 2.0),
              "ci_runner": (2.0, 0.6), "feature_store": (3.0, 2.0), "notebook_server": (3.0, 3.3),
              "model_registry": (3.0, 0.6), "training_cluster": (4.0, 1.3), "raw_data_lake": (5.0, 2.0)}


def plot_network(ax, flows: Iterable[tuple[str, str]], compromised: str, title: str) -> None:
    """Draw the assets, the allowed flows (arrows) and what a compromised host can reach (red).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    flows : iterable of (source, destination)
    compromised : str
        The asset the attacker controls (drawn black); reachable assets are red, others green.
    title : str
    """
    from mlops_course.viz import titled

    flows = list(flows)
    hit = reachable(flows, compromised)
    for a, b in flows:
        (x0, y0), (x1, y1) = _POSITIONS[a], _POSITIONS[b]
        color = "tab:red" if a == compromised or a in hit else "0.75"
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "->", "color": color, "lw": 1.2, "shrinkA": 14, "shrinkB": 14})
    for name, (x, y) in _POSITIONS.items():
        color = "black" if name == compromised else ("tab:red" if name in hit else "tab:green")
        ax.scatter([x], [y], s=260, color=color, zorder=3)
        ax.annotate(name.replace("_", "\n"), (x, y), textcoords="offset points", xytext=(0, -26),
                    ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.6, 5.6)
    ax.set_ylim(-0.4, 3.9)
    ax.set_xticks([])
    ax.set_yticks([])
    titled(ax, title, "network zones: internet → serving → features → training → data",
           f"red: reachable from {compromised} ({len(hit)})")
