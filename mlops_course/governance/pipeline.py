"""A defence-in-depth MLOps release pipeline: independent gates, any failure stops the release.

Defence in depth means no single control is trusted to catch everything: each gate checks one
property with its own evidence, in order, and the first failing gate **stops the release with a
reason** (fail closed: a gate that raises also fails). The standard gates
(:func:`standard_pipeline`), each reusing the unit that owns the concern:

==================  =====================================================  =================
gate                passes iff                                             reuses
==================  =====================================================  =================
data quality        schema, missing values, ranges, duplicates and drift   :mod:`.quality`
                    (PSI vs the reference snapshot) all pass
purpose             the training request's purpose is declared for the     :mod:`.catalog`
                    dataset and its columns are within clearance (Art.
                    5(1)(b), Art. 9)
privacy budget      the (ε, δ) the training spent fits the budget          ``privacy.dp``
                                                                           accountant (07)
fairness            max selection-rate gap between groups and the          ``fairness``
                    equalized-odds difference are <= the threshold         metrics (05)
signed artefact     Ed25519 signature of the manifest verifies and the     ``security.signing``
                    artefact's SHA-256 matches it                          (02)
model card          no Mitchell et al. section is empty                    :mod:`.modelcard`
==================  =====================================================  =================

:func:`demo_release` builds the whole context for a small credit model (synthetic applicants
from the compliance unit, DP-SGD from unit 07) and can inject one fault per gate, so a notebook
shows each layer stopping a bad release.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_course._validation import check_choice

__all__ = ["GateResult", "Gate", "ReleaseReport", "ReleasePipeline", "data_quality_gate", "purpose_gate",
           "privacy_budget_gate", "fairness_gate", "signature_gate", "model_card_gate", "standard_pipeline",
           "FAULTS", "demo_release"]


@dataclass(frozen=True)
class GateResult:
    """Outcome of one gate.

    Parameters
    ----------
    gate : str
        Name of the gate.
    passed : bool
        Whether the release may go on.
    reason : str
        Why (shown in the release report).
    """

    gate: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class Gate:
    """A named check ``check(context) -> (passed, reason)``.

    Parameters
    ----------
    name : str
        Name of the gate.
    check : callable
        ``check(context) -> (passed, reason)``; an exception counts as a failure (fail closed).
    """

    name: str
    check: Callable[[Mapping[str, Any]], tuple[bool, str]]

    def __call__(self, context: Mapping[str, Any]) -> GateResult:
        try:
            passed, reason = self.check(context)
        except Exception as exc:  # noqa: BLE001 - fail closed: any error stops the release
            return GateResult(self.name, False, f"gate raised {type(exc).__name__}: {exc}")
        return GateResult(self.name, bool(passed), str(reason))


@dataclass(frozen=True)
class ReleaseReport:
    """The gates that ran (in order) and whether the model was released.

    Parameters
    ----------
    results : tuple of GateResult
        Results of the gates that ran, in order.
    skipped : tuple of str
        Names of the gates not run because an earlier one failed.
    """

    results: tuple[GateResult, ...]
    skipped: tuple[str, ...]

    @property
    def released(self) -> bool:
        return not self.skipped and all(r.passed for r in self.results)

    @property
    def stopped_at(self) -> str | None:
        """Name of the failing gate (``None`` if released)."""
        failed = [r.gate for r in self.results if not r.passed]
        return failed[0] if failed else None

    @property
    def reason(self) -> str:
        failed = [r for r in self.results if not r.passed]
        return failed[0].reason if failed else "all gates passed"

    def rows(self) -> list[list[str]]:
        """``[gate, status, reason]`` for every gate, ``not run`` after the failing one."""
        rows = [[r.gate, "pass" if r.passed else "STOP", r.reason] for r in self.results]
        return rows + [[name, "not run", "release stopped earlier"] for name in self.skipped]


class ReleasePipeline:
    """Gates run in order; the first failure stops the release.

    Examples
    --------
    >>> ok = Gate("always", lambda ctx: (True, "fine"))
    >>> no = Gate("never", lambda ctx: (False, "not today"))
    >>> report = ReleasePipeline([ok, no, ok]).run({})
    >>> report.released, report.stopped_at, report.skipped
    (False, 'never', ('always',))
    """

    def __init__(self, gates: Sequence[Gate]) -> None:
        gates = list(gates)
        if not gates or not all(isinstance(g, Gate) for g in gates):
            raise ValueError("gates must be a non-empty sequence of Gate objects")
        self.gates = tuple(gates)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.gates)

    def run(self, context: Mapping[str, Any]) -> ReleaseReport:
        results = []
        for i, gate in enumerate(self.gates):
            result = gate(context)
            results.append(result)
            if not result.passed:
                return ReleaseReport(tuple(results), tuple(g.name for g in self.gates[i + 1:]))
        return ReleaseReport(tuple(results), ())


# --------------------------------------------------------------------------- the six gates
def data_quality_gate(schema: Mapping[str, Any], *, key: Sequence[str] | None = None,
                      drift_threshold: float = 0.25) -> Gate:
    """Gate on :func:`.quality.quality_report` of ``context["data"]`` (drift vs ``context["reference"]``).

    Parameters
    ----------
    schema : mapping of str to ColumnSpec
        Expected columns.
    key : sequence of str or None, default None
        Columns that identify a row for the duplicate check (None: whole rows).
    drift_threshold : float, default 0.25
        Largest allowed PSI against ``context["reference"]`` (None: ``PSI_THRESHOLD``).

    Returns
    -------
    Gate
        The gate "data quality".
    """
    from mlops_course.governance.quality import PSI_THRESHOLD, quality_report

    threshold = drift_threshold if drift_threshold is not None else PSI_THRESHOLD

    def check(ctx: Mapping[str, Any]) -> tuple[bool, str]:
        report = quality_report(ctx["data"], schema, ctx.get("reference"), key=key, drift_threshold=threshold)
        if report.passed:
            return True, f"{len(report.results)} quality checks passed"
        return False, "; ".join(f"{r.check}: {r.detail}" for r in report.failures)

    return Gate("data quality", check)


def purpose_gate(catalog: Any) -> Gate:
    """Gate on :meth:`.catalog.DataCatalog.check` of ``context["usage_request"]``."""

    def check(ctx: Mapping[str, Any]) -> tuple[bool, str]:
        decision = catalog.check(ctx["usage_request"])
        req = ctx["usage_request"]
        return decision.allowed, ("; ".join(decision.reasons) if not decision.allowed
                                  else f"purpose {req.purpose!r} declared; {len(req.columns)} columns within clearance")

    return Gate("purpose", check)


def privacy_budget_gate(epsilon_budget: float, delta_budget: float) -> Gate:
    """Gate: ``context["privacy_spent"] = (ε, δ)`` fits a fresh :class:`PrivacyAccountant` budget.

    Parameters
    ----------
    epsilon_budget : float
        ε budget (> 0).
    delta_budget : float
        δ budget.

    Returns
    -------
    Gate
        The gate "privacy budget" (fails on ε = ∞ or a spend beyond the budget).

    Raises
    ------
    ValueError, TypeError
        If the budget is invalid (checked when the gate is made).
    """
    from mlops_course.privacy.dp.accountant import PrivacyAccountant

    accountant = PrivacyAccountant(epsilon_budget, delta_budget)  # validates the budget now

    def check(ctx: Mapping[str, Any]) -> tuple[bool, str]:
        eps, delta = ctx["privacy_spent"]
        if not np.isfinite(eps):
            return False, "training spent ε = ∞ (no DP noise)"
        ok = accountant.can_spend(eps, delta)
        verdict = "within" if ok else "exceeds"
        return ok, (f"training spent (ε={eps:.3g}, δ={delta:.1g}), {verdict} the budget "
                    f"(ε={epsilon_budget:g}, δ={delta_budget:g})")

    return Gate("privacy budget", check)


def fairness_gate(max_gap: float = 0.1) -> Gate:
    """Gate: demographic-parity and equalized-odds differences of ``y_pred`` by ``groups`` <= ``max_gap``."""
    from mlops_course._validation import check_probability
    from mlops_course.fairness.metrics import demographic_parity_difference, equalized_odds_difference

    max_gap = check_probability("max_gap", max_gap)

    def check(ctx: Mapping[str, Any]) -> tuple[bool, str]:
        yt, yp, g = ctx["y_true"], ctx["y_pred"], ctx["groups"]
        dp = demographic_parity_difference(yt, yp, sensitive_features=g)
        eo = equalized_odds_difference(yt, yp, sensitive_features=g)
        ok = dp <= max_gap and eo <= max_gap
        return ok, (f"selection-rate gap {dp:.3f}, equalized-odds difference {eo:.3f} "
                    f"({'<=' if ok else 'exceed'} {max_gap:g})")

    return Gate("fairness", check)


def signature_gate(public_key: bytes) -> Gate:
    """Gate on :func:`mlops_course.security.signing.check_release` of the artefact in the context."""
    from mlops_course.security.signing import SignatureError, check_release

    def check(ctx: Mapping[str, Any]) -> tuple[bool, str]:
        try:
            check_release(ctx["artefact"], ctx["manifest"], ctx["signature"], public_key)
        except SignatureError as exc:
            return False, str(exc)
        return True, f"Ed25519 signature valid, SHA-256 {ctx['manifest']['sha256'][:12]}… matches"

    return Gate("signed artefact", check)


def model_card_gate() -> Gate:
    """Gate: ``context["model_card"]`` has no empty section."""

    def check(ctx: Mapping[str, Any]) -> tuple[bool, str]:
        missing = ctx["model_card"].missing()
        return (not missing), (f"missing sections: {missing}" if missing else "all 9 sections present")

    return Gate("model card", check)


def standard_pipeline(schema: Mapping[str, Any], catalog: Any, public_key: bytes, *, epsilon_budget: float = 1.0,
                      delta_budget: float = 1e-5, max_gap: float = 0.1, key: Sequence[str] | None = None,
                      drift_threshold: float = 0.25) -> ReleasePipeline:
    """The six gates in order: data quality, purpose, privacy budget, fairness, signature, model card.

    Parameters
    ----------
    schema : mapping of str to ColumnSpec
        Expected columns (data-quality gate).
    catalog : DataCatalog
        Catalog checked by the purpose gate.
    public_key : bytes
        Key that verifies the artefact signature.
    epsilon_budget : float, default 1.0
        ε budget of the privacy gate.
    delta_budget : float, default 1e-5
        δ budget of the privacy gate.
    max_gap : float, default 0.1
        Largest allowed fairness difference.
    key : sequence of str or None, default None
        Row key of the duplicate check.
    drift_threshold : float, default 0.25
        Largest allowed PSI.

    Returns
    -------
    ReleasePipeline
        The six gates.
    """
    return ReleasePipeline([
        data_quality_gate(schema, key=key, drift_threshold=drift_threshold), purpose_gate(catalog),
        privacy_budget_gate(epsilon_budget, delta_budget), fairness_gate(max_gap), signature_gate(public_key),
        model_card_gate(),
    ])


# --------------------------------------------------------------------------- demo
FAULTS: dict[str, str] = {
    "duplicates": "a join duplicated 10% of the rows",
    "drift": "incomes recorded in a different unit (×1.6) in this snapshot",
    "purpose": "the model is trained for marketing, a purpose the data was not collected for",
    "budget": "DP-SGD run at ε = 4 instead of the approved 1",
    "bias": "a post-processing rule flags group M as likely to default at a lower score (0.3 instead of 0.5)",
    "tampered": "the weights file was modified after signing",
    "card": "the ethical-considerations section was left empty",
}

FEATURES = ("age", "income", "debt_ratio")


def _frame(people: list[dict]) -> Any:
    import pandas as pd

    return pd.DataFrame([{k: p[k] for k in ("subject_id", *FEATURES, "sex", "defaulted")} for p in people])


def demo_release(rng: np.random.Generator, fault: str | None = None, *, n: int = 800,
                 epsilon: float = 1.0, delta: float = 1e-5) -> tuple[ReleasePipeline, dict[str, Any]]:
    """A small credit-default model and the context its release is judged on (one optional fault).

    Builds synthetic applicants (:func:`mlops_course.compliance.synthetic.make_people`), a
    reference snapshot, the catalog entry, a usage request, a DP-SGD model (unit 07), its decisions
    by sex, a signed artefact (raw float64 weights; unit 02) and a model card; ``fault`` (a key of
    :data:`FAULTS`) breaks exactly one gate's property.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Source of the synthetic data and of the DP noise.
    fault : str or None, default None
        A key of :data:`FAULTS` to break one gate, or None for a clean release.
    n : int, default 800
        Number of synthetic applicants.
    epsilon : float, default 1.0
        ε of the DP-SGD training.
    delta : float, default 1e-5
        δ of the DP-SGD training.

    Returns
    -------
    (ReleasePipeline, dict)
        The standard pipeline and the context to :meth:`ReleasePipeline.run`.

    Raises
    ------
    ValueError
        If ``fault`` is not None or a key of :data:`FAULTS`.
    """
    from mlops_course._validation import check_rng
    from mlops_course.compliance.synthetic import make_people
    from mlops_course.governance.catalog import CatalogEntry, DataCatalog, UsageRequest
    from mlops_course.governance.modelcard import ModelCard
    from mlops_course.governance.quality import ColumnSpec
    from mlops_course.privacy.dp.dpsgd import train_dp_logreg
    from mlops_course.security.signing import (
        generate_signing_key,
        make_manifest,
        public_key_of,
        sign_manifest,
    )

    rng = check_rng(rng)
    if fault is not None:
        check_choice("fault", fault, FAULTS, note=" or None")
    reference, data = _frame(make_people(n, rng)), _frame(make_people(n, rng))
    if fault == "duplicates":
        data = data.iloc[list(range(n)) + list(range(n // 10))].reset_index(drop=True)
    if fault == "drift":
        data["income"] = (data["income"] * 1.6).round(1)
    schema = {"subject_id": ColumnSpec("string"), "age": ColumnSpec("integer", 18, 100),
              "income": ColumnSpec("number", 0, 2000), "debt_ratio": ColumnSpec("number", 0, 1),
              "sex": ColumnSpec("category", categories=("F", "M")), "defaulted": ColumnSpec("integer", 0, 1)}
    catalog = DataCatalog()
    catalog.register(CatalogEntry("applicants", "credit-risk team",
                                  {"subject_id": "confidential", "age": "internal", "income": "confidential",
                                   "debt_ratio": "confidential", "sex": "confidential", "defaulted": "confidential"},
                                  purposes=("credit scoring",), retention_days=5 * 365))
    purpose = "marketing" if fault == "purpose" else "credit scoring"
    request = UsageRequest("model-training job", "applicants", (*FEATURES, "defaulted"), purpose, "confidential")

    X = data[list(FEATURES)].to_numpy(float)
    mu, sd = reference[list(FEATURES)].to_numpy(float).mean(0), reference[list(FEATURES)].to_numpy(float).std(0)
    Z, y = (X - mu) / sd, data["defaulted"].to_numpy(int)
    model = train_dp_logreg(Z, y, 4.0 if fault == "budget" else epsilon, delta, rng=rng)
    scores = model.predict_proba(Z)
    groups = data["sex"].to_numpy(str)
    threshold = np.where(groups == "M", 0.3, 0.5) if fault == "bias" else 0.5
    y_pred = (scores > threshold).astype(int)

    # raw little-endian float64 [weights, intercept, mean, std]: deterministic bytes, no pickle
    artefact = np.concatenate([model.weights, [model.intercept], mu, sd]).astype("<f8").tobytes()
    private = generate_signing_key()
    manifest = make_manifest(artefact, "credit-model.f64", epsilon=round(model.epsilon, 6))
    signature = sign_manifest(manifest, private)
    if fault == "tampered":
        artefact = artefact[:-1] + bytes([artefact[-1] ^ 1])

    card = ModelCard("credit-default model", "1.0",
                     details={"owner": "credit-risk team", "type": "logistic regression, DP-SGD (unit 07)",
                              "privacy": f"(ε = {model.epsilon:.2f}, δ = {delta:g})-DP"},
                     intended_use={"primary use": "rank applications for manual review",
                                   "out of scope": "fully automated refusals (GDPR Art. 22)"},
                     factors=["sex (protected attribute, not a model input)"],
                     metrics=["accuracy", "selection rate", "TPR", "FPR", "gaps between groups"],
                     evaluation_data="the current snapshot (synthetic applicants)",
                     training_data="the current snapshot; features standardised with the reference snapshot",
                     ethical_considerations=[] if fault == "card" else
                     ["decisions affect access to credit: human review of every refusal",
                      "sex is excluded from the inputs but proxies may remain: monitor the gaps"],
                     caveats=["synthetic data: the numbers illustrate the process, not a real portfolio"])
    card.add_analysis("sex", y, y_pred, groups)
    pipeline = standard_pipeline(schema, catalog, public_key_of(private), epsilon_budget=epsilon,
                                 delta_budget=delta, max_gap=0.1, key=("subject_id",))
    context = {"data": data, "reference": reference, "usage_request": request,
               "privacy_spent": (model.epsilon, model.delta), "y_true": y, "y_pred": y_pred, "groups": groups,
               "artefact": artefact, "manifest": manifest, "signature": signature, "model_card": card,
               "model": model, "catalog": catalog, "schema": schema}
    return pipeline, context
