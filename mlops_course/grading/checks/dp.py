"""Checks of exercise 07 (differential privacy): one :class:`Check` per answer cell.

The checks are **property checks** computed in the harness on plain data returned by the
student's code; none of them trusts a single implementation:

* noise mechanisms are tested statistically: the harness chooses the input, the parameters and
  the seed, draws many outputs through the student's function and runs two exact tests of
  ``output - value``: a Kolmogorov–Smirnov test against the Laplace law (``scipy.stats.kstest``)
  and a test of the mean absolute noise, whose law is exact: ``|Lap(0, b)| ~ Exp(b)``, so the sum
  of ``n`` of them is ``Gamma(n, b)`` (:func:`_mean_abs_bounds`);
* closed-form answers are compared with the formula (relative tolerance 1e-9), evaluated here
  independently of :mod:`mlops_course.privacy.dp` (the tests cross-check both);
* behaviour (``ValueError`` on invalid input, use of the ``rng`` argument, refusing a query over
  budget) is checked by calling the student's code and looking at what comes back.

False-fail rate. Each statistical property runs its KS test and its mean-|noise| test at level
``ALPHA_PER_TEST / 2`` each, and :data:`N_STATISTICAL_TESTS` such properties exist, so by the union
bound an honest solution (any correct Laplace sampler, numpy's or another) fails any of them with
probability at most ``N_STATISTICAL_TESTS * ALPHA_PER_TEST = 1e-6`` (over the choice of seeds; the
seeds are fixed, so grading is deterministic).

Power. The KS test alone only catches gross errors: at level 1e-7 its critical distance is about
0.0205 with 20,000 draws and 0.029 with 10,000, while Laplace laws whose scales differ by 10% are
only 0.0175 apart (15%: 0.0257; 20%: 0.0335), so it detects scale errors of about 15% or more
(20,000 draws) / 20% (10,000 draws); a 10% error passed KS for 88 of 200 seeds with 20,000 draws
and 199 of 200 with 10,000. The mean-|noise| test is much sharper: the sample mean of
``|noise|`` has relative sd ``1/sqrt(n)``, and its acceptance band at level 1e-7 is about ±3.8% of
``b`` (20,000 draws) / ±5.3% (10,000 draws), so a scale 10% too large passes with probability
3e-16 (20,000 draws) / 1.2e-5 (10,000 draws). A factor-2 error or ``ε/Δ`` instead of ``Δ/ε``
fails both tests.
"""
from __future__ import annotations

import math

import numpy as np

from mlops_course.grading.checks import (
    BadResult,
    Check,
    Property,
    Remote,
    Rng,
    as_array,
    as_float,
    raises,
)

__all__ = ["CHECKS", "ALPHA_TOTAL", "ALPHA_PER_TEST", "N_STATISTICAL_TESTS", "UNIT"]

UNIT = "07_differential_privacy"
ALPHA_TOTAL = 1e-6
N_STATISTICAL_TESTS = 5  # statistical properties: laplace visible + hidden, dp_mean visible + hidden + interior
ALPHA_PER_TEST = ALPHA_TOTAL / N_STATISTICAL_TESTS  # per property, split evenly between KS and mean |noise|
REL_TOL = 1e-9


def _ks_pvalue(samples: np.ndarray, loc: float, scale: float) -> float:
    """p-value of the one-sample KS test of ``samples`` against Laplace(loc, scale)."""
    from scipy import stats

    return float(stats.kstest(samples, "laplace", args=(loc, scale)).pvalue)


def _mean_abs_bounds(n: int, scale: float, alpha: float) -> tuple[float, float]:
    """Two-sided acceptance band of ``mean(|noise|)`` for ``n`` i.i.d. Laplace(0, scale) draws.

    ``|Lap(0, b)| ~ Exp(b)`` exactly, so ``Σ|noise| ~ Gamma(n, b)``; the band holds the sample mean
    with probability ``1 - alpha`` (exact quantiles, no normal approximation).
    """
    from scipy import stats

    return (float(stats.gamma.ppf(alpha / 2, n, scale=scale)) / n,
            float(stats.gamma.isf(alpha / 2, n, scale=scale)) / n)


def _close(got: float, want: float, rel: float = REL_TOL, abs_tol: float = 1e-12) -> bool:
    return math.isclose(got, want, rel_tol=rel, abs_tol=abs_tol)


def _statistical(samples: np.ndarray, loc: float, scale: float, what: str) -> tuple[bool, str]:
    if not np.isfinite(samples).all():
        return False, f"{what} contains NaN or infinite values"
    if np.unique(samples).size < samples.size // 2:
        return False, f"{what} repeats the same noise: draw independent noise for every output"
    p = _ks_pvalue(samples, loc, scale)
    spread = float(np.mean(np.abs(samples - loc)))
    if p < ALPHA_PER_TEST / 2:
        return False, (f"the outputs do not follow Laplace noise of scale {scale:g} around the true value "
                       f"(KS test p = {p:.1e}; mean |noise| = {spread:.3g}, expected {scale:.3g})")
    low, high = _mean_abs_bounds(samples.size, scale, ALPHA_PER_TEST / 2)
    if not low <= spread <= high:
        return False, (f"the noise has the wrong scale: mean |noise| over {samples.size} outputs is {spread:.4g}, "
                       f"but Laplace noise of scale {scale:.4g} gives a value in [{low:.4g}, {high:.4g}] "
                       f"(with probability 1 - {ALPHA_PER_TEST / 2:.0e})")
    return True, (f"{samples.size} outputs are consistent with Laplace(0, {scale:g}) noise (KS p = {p:.2g}; "
                  f"mean |noise| {spread:.4g} in [{low:.4g}, {high:.4g}])")


# --------------------------------------------------------------------------- dp-laplace
def _laplace_distribution(remote: Remote, value: np.ndarray, sensitivity: float, epsilon: float,
                          seed: int) -> tuple[bool, str]:
    out = as_array(remote.call("laplace_mechanism", value, sensitivity, epsilon, Rng(seed)), value.shape,
                   "laplace_mechanism(array, ...)")
    return _statistical((out - value).ravel(), 0.0, sensitivity / epsilon, "laplace_mechanism's output")


def laplace_distribution(remote: Remote) -> tuple[bool, str]:
    return _laplace_distribution(remote, np.full(20_000, 3.7), 2.0, 0.5, seed=70_101)


def laplace_distribution_hidden(remote: Remote) -> tuple[bool, str]:
    return _laplace_distribution(remote, np.full((100, 200), -10.0), 1.0, 2.0, seed=70_102)


def laplace_shape(remote: Remote) -> tuple[bool, str]:
    scalar = remote.call("laplace_mechanism", 1.5, 1.0, 1.0, Rng(70_103))
    as_float(scalar, "laplace_mechanism(1.5, ...) (a float in)")
    as_array(remote.call("laplace_mechanism", np.zeros((3, 4)), 1.0, 1.0, Rng(70_104)), (3, 4),
             "laplace_mechanism(array of shape (3, 4), ...)")
    return True, "a float gives a float and an array keeps its shape"


def laplace_uses_rng(remote: Remote) -> tuple[bool, str]:
    first = as_array(remote.call("laplace_mechanism", np.zeros(50), 1.0, 1.0, Rng(70_105)), (50,))
    again = as_array(remote.call("laplace_mechanism", np.zeros(50), 1.0, 1.0, Rng(70_105)), (50,))
    other = as_array(remote.call("laplace_mechanism", np.zeros(50), 1.0, 1.0, Rng(70_106)), (50,))
    if not np.array_equal(first, again):
        return False, "two calls with identically seeded rng gave different noise: draw the noise from `rng`"
    if np.array_equal(first, other):
        return False, "different seeds gave the same output: the noise must come from `rng`"
    return True, "the noise comes from the rng argument"


def laplace_validates(remote: Remote) -> tuple[bool, str]:
    bad = [(1.0, 0.0), (1.0, -1.0), (0.0, 1.0), (-2.0, 1.0)]
    missing = [f"sensitivity={s}, epsilon={e}" for s, e in bad
               if not raises(lambda s=s, e=e: remote.call("laplace_mechanism", 0.0, s, e, Rng(70_107)))]
    if missing:
        return False, "no ValueError for " + "; ".join(missing)
    return True, "ValueError for epsilon <= 0 and sensitivity <= 0"


# --------------------------------------------------------------------------- dp-gaussian-sigma
def _sigma(sensitivity: float, epsilon: float, delta: float) -> float:
    """Dwork & Roth (2014), Thm A.1: σ = Δ₂·sqrt(2 ln(1.25/δ))/ε."""
    return sensitivity * math.sqrt(2.0 * math.log(1.25 / delta)) / epsilon


def _sigma_cases(remote: Remote, cases: list[tuple[float, float, float]]) -> tuple[bool, str]:
    for args in cases:
        got = as_float(remote.call("gaussian_sigma", *args), f"gaussian_sigma{args}")
        if not _close(got, _sigma(*args)):
            return False, f"gaussian_sigma{args} returned {got:.6g}, expected Δ·sqrt(2 ln(1.25/δ))/ε"
    return True, "σ = Δ·sqrt(2 ln(1.25/δ))/ε"


def sigma_formula(remote: Remote) -> tuple[bool, str]:
    return _sigma_cases(remote, [(1.0, 0.5, 1e-5), (2.0, 0.9, 1e-6)])


def sigma_formula_hidden(remote: Remote) -> tuple[bool, str]:
    return _sigma_cases(remote, [(0.3, 0.1, 0.01), (5.0, 0.999, 0.5), (1e-3, 1e-3, 1e-9)])


def sigma_validates(remote: Remote) -> tuple[bool, str]:
    bad = [(1.0, 1.0, 1e-5), (1.0, 2.0, 1e-5), (1.0, 0.0, 1e-5), (1.0, -0.5, 1e-5),
           (1.0, 0.5, 0.0), (1.0, 0.5, 1.0), (1.0, 0.5, -0.1), (0.0, 0.5, 1e-5), (-1.0, 0.5, 1e-5)]
    missing = [str(args) for args in bad if not raises(lambda a=args: remote.call("gaussian_sigma", *a))]
    if missing:
        return False, "no ValueError for (sensitivity, epsilon, delta) = " + ", ".join(missing)
    return True, "ValueError when epsilon or delta is outside (0, 1) or sensitivity <= 0"


# --------------------------------------------------------------------------- dp-rr
def _rr_expected(responses: np.ndarray, epsilon: float) -> float:
    p = math.exp(epsilon) / (1.0 + math.exp(epsilon))
    return (float(np.mean(responses)) - (1.0 - p)) / (2.0 * p - 1.0)


def rr_recovers(remote: Remote) -> tuple[bool, str]:
    # epsilon = ln 3 -> p = 3/4; a true fraction 0.3 is reported as 1 at rate 0.3·0.75 + 0.7·0.25 = 0.4
    responses = np.array([1] * 400 + [0] * 600, dtype=np.int64)
    got = as_float(remote.call("rr_estimate", responses, math.log(3.0)), "rr_estimate(...)")
    if not _close(got, 0.3, rel=1e-7):
        return False, f"reports with 40% ones at epsilon = ln 3 should give 0.3, got {got:.6g}"
    return True, "recovers the true fraction from the report rate"


def rr_formula_hidden(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(70_301)
    for epsilon, n, rate in ((0.5, 2_000, 0.2), (3.0, 777, 0.9), (1.0, 10, 0.5)):
        responses = (rng.random(n) < rate).astype(np.int64)
        got = as_float(remote.call("rr_estimate", responses, epsilon), "rr_estimate(...)")
        if not _close(got, _rr_expected(responses, epsilon), rel=1e-7, abs_tol=1e-9):
            return False, "the estimate is not (mean − (1 − p)) / (2p − 1) for other epsilons and inputs"
    return True, "matches the unbiased estimator for other inputs"


def rr_not_clipped(remote: Remote) -> tuple[bool, str]:
    zeros = [0] * 100
    got = as_float(remote.call("rr_estimate", zeros, math.log(3.0)), "rr_estimate(list of 0s, ln 3)")
    if not _close(got, -0.5, rel=1e-7):
        return False, f"all-zero reports at epsilon = ln 3 should give -0.5 (no clipping), got {got:.6g}"
    return True, "accepts a list and does not clip the estimate"


# --------------------------------------------------------------------------- dp-mean
def _dp_mean_distribution(remote: Remote, x: np.ndarray, lower: float, upper: float, epsilon: float,
                          seed: int) -> tuple[bool, str]:
    outputs = remote.repeat(10_000, "dp_mean", x, lower, upper, epsilon, Rng(seed))
    if not isinstance(outputs, list):
        raise BadResult("expected a list of outputs")
    samples = np.array([as_float(v, "dp_mean(...)") for v in outputs])
    center = float(np.mean(np.clip(x, lower, upper)))
    scale = (upper - lower) / (len(x) * epsilon)
    return _statistical(samples, center, scale, "dp_mean's output")


def dp_mean_distribution(remote: Remote) -> tuple[bool, str]:
    x = np.random.default_rng(70_401).uniform(-20.0, 30.0, size=50).round(3)
    return _dp_mean_distribution(remote, x, 0.0, 10.0, 1.0, seed=70_402)


def dp_mean_distribution_hidden(remote: Remote) -> tuple[bool, str]:
    x = np.random.default_rng(70_403).normal(0.0, 20.0, size=200).round(3)
    return _dp_mean_distribution(remote, x, -5.0, 5.0, 0.3, seed=70_404)


def dp_mean_distribution_interior_hidden(remote: Remote) -> tuple[bool, str]:
    # The data never reach the upper bound (and some values lie below the lower one), so a
    # data-dependent "sensitivity" such as (clip(x).max() - clip(x).min())/n is about 2.5 times too
    # small and fails, while the correct scale (U - L)/(n ε) = 10/(100·1) passes.
    gen = np.random.default_rng(70_408)
    x = np.concatenate([gen.uniform(3.0, 4.0, 95), gen.uniform(-20.0, -5.0, 5)]).round(3)
    return _dp_mean_distribution(remote, x, 0.0, 10.0, 1.0, seed=70_409)


def dp_mean_clips(remote: Remote) -> tuple[bool, str]:
    x = np.array([-100.0, 5.0, 100.0, 7.0])
    got = as_float(remote.call("dp_mean", x, 0.0, 10.0, 1e9, Rng(70_405)), "dp_mean(...)")
    if not abs(got - 5.5) < 1e-6:
        return False, f"with negligible noise, [-100, 5, 100, 7] clipped to [0, 10] has mean 5.5, got {got:.6g}"
    return True, "values are clipped to [lower, upper] before averaging"


def dp_mean_uses_rng(remote: Remote) -> tuple[bool, str]:
    x = np.linspace(0.0, 1.0, 20)
    first = as_float(remote.call("dp_mean", x, 0.0, 1.0, 1.0, Rng(70_406)))
    again = as_float(remote.call("dp_mean", x, 0.0, 1.0, 1.0, Rng(70_406)))
    other = as_float(remote.call("dp_mean", x, 0.0, 1.0, 1.0, Rng(70_407)))
    if first != again:
        return False, "identically seeded rng gave different outputs: draw the noise from `rng`"
    if first == other:
        return False, "different seeds gave the same output: the noise must come from `rng`"
    return True, "the noise comes from the rng argument"


# --------------------------------------------------------------------------- dp-ledger
def _entries(value: object) -> list[tuple[str, float]]:
    if not isinstance(value, (list, tuple)):
        raise BadResult(f"entries should be a list of (label, epsilon), got a {type(value).__name__}")
    pairs = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 2 or not isinstance(item[0], str):
            raise BadResult("each entry should be a (label, epsilon) tuple")
        pairs.append((item[0], as_float(item[1], "an entry's epsilon")))
    return pairs


def _same_entries(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> bool:
    return len(got) == len(want) and all(g[0] == w[0] and _close(g[1], w[1]) for g, w in zip(got, want, strict=True))


def ledger_spends(remote: Remote) -> tuple[bool, str]:
    ledger = remote.new("BudgetLedger", 1.0)
    for eps, label, left in ((0.5, "q1", 0.5), (0.25, "q2", 0.25)):
        got = as_float(remote.method(ledger, "spend", eps, label), f"spend({eps}, {label!r})")
        if not _close(got, left):
            return False, f"after spending {eps} the remaining budget should be {left}, spend returned {got:.6g}"
    remaining = as_float(remote.attr(ledger, "remaining"), "remaining")
    if not _close(remaining, 0.25):
        return False, f"remaining should be 0.25, got {remaining:.6g}"
    if not _same_entries(_entries(remote.attr(ledger, "entries")), [("q1", 0.5), ("q2", 0.25)]):
        return False, "entries should be [('q1', 0.5), ('q2', 0.25)]"
    return True, "spend returns the remaining budget and entries records (label, epsilon)"


def ledger_refuses(remote: Remote) -> tuple[bool, str]:
    ledger = remote.new("BudgetLedger", 1.0)
    remote.method(ledger, "spend", 0.75, "a")
    if not raises(lambda: remote.method(ledger, "spend", 0.5, "b")):
        return False, "spending 0.5 with 0.25 left should raise ValueError"
    remaining = as_float(remote.attr(ledger, "remaining"), "remaining")
    if not _close(remaining, 0.25) or len(_entries(remote.attr(ledger, "entries"))) != 1:
        return False, "a refused query must not change remaining or entries"
    last = as_float(remote.method(ledger, "spend", 0.25, "c"), "spend(0.25, 'c')")
    if not abs(last) < 1e-9:
        return False, f"spending exactly the remaining 0.25 should be allowed and leave 0, got {last:.6g}"
    return True, "refuses a query over budget, records nothing, allows spending exactly what is left"


def ledger_independent_hidden(remote: Remote) -> tuple[bool, str]:
    first = remote.new("BudgetLedger", 1.0)
    second = remote.new("BudgetLedger", 2.0)
    remote.method(first, "spend", 0.5, "x")
    if _entries(remote.attr(second, "entries")) or not _close(as_float(remote.attr(second, "remaining")), 2.0):
        return False, "two ledgers share state (a class-level list?): each instance needs its own entries"
    return True, "each ledger has its own state"


def ledger_rejects_nonpositive(remote: Remote) -> tuple[bool, str]:
    ledger = remote.new("BudgetLedger", 1.0)
    for eps in (0.0, -0.1):
        if not raises(lambda eps=eps: remote.method(ledger, "spend", eps, "z")):
            return False, f"spend({eps}, ...) should raise ValueError"
    if _entries(remote.attr(ledger, "entries")):
        return False, "a refused query must not be recorded"
    return True, "ValueError for epsilon <= 0"


# --------------------------------------------------------------------------- dp-halfwidth
def _halfwidth(sensitivity: float, epsilon: float, confidence: float = 0.95) -> float:
    """h = (Δ/ε)·ln(1/(1 − c)) since P(|Lap(b)| > h) = exp(−h/b)."""
    return sensitivity / epsilon * math.log(1.0 / (1.0 - confidence))


def halfwidth_default(remote: Remote) -> tuple[bool, str]:
    for args in ((1.0, 1.0), (2.0, 0.5)):
        got = as_float(remote.call("laplace_halfwidth", *args), f"laplace_halfwidth{args}")
        if not _close(got, _halfwidth(*args)):
            return False, f"laplace_halfwidth{args} returned {got:.6g}, expected (Δ/ε)·ln 20 = {_halfwidth(*args):.6g}"
    return True, "95% half-width is (Δ/ε)·ln 20"


def halfwidth_coverage(remote: Remote) -> tuple[bool, str]:
    scale = 1.5 / 0.7
    for confidence in (0.5, 0.9, 0.99):
        h = as_float(remote.call("laplace_halfwidth", 1.5, 0.7, confidence=confidence), "laplace_halfwidth(...)")
        coverage = 1.0 - math.exp(-h / scale)
        if not abs(coverage - confidence) < 1e-9:
            return False, f"for confidence={confidence} the half-width covers P(|Z| <= h) = {coverage:.6g}"
    return True, "P(|noise| <= h) equals the requested confidence"


def halfwidth_hidden(remote: Remote) -> tuple[bool, str]:
    got = as_float(remote.call("laplace_halfwidth", 3.0, 0.2, 0.8), "laplace_halfwidth(...)")
    if not _close(got, _halfwidth(3.0, 0.2, 0.8)):
        return False, "wrong half-width for other inputs"
    missing = [c for c in (0.0, 1.0, 1.5, -0.2)
               if not raises(lambda c=c: remote.call("laplace_halfwidth", 1.0, 1.0, c))]
    if missing:
        return False, f"no ValueError for confidence in {missing}"
    return True, "other inputs and invalid confidence levels"


CHECKS: tuple[Check, ...] = (
    Check("dp-laplace", "laplace_mechanism", (
        Property("noise is Laplace(0, Δ/ε)", 1.0, laplace_distribution,
                 "add rng.laplace(0.0, sensitivity / epsilon, size=...) to the value"),
        Property("noise is Laplace(0, Δ/ε) for other inputs (2-D array)", 0.5, laplace_distribution_hidden,
                 "independent noise of scale sensitivity/epsilon for every entry", visible=False),
        Property("float in → float out, array shape kept", 0.5, laplace_shape,
                 "return a float for a float value and an array of the same shape for an array"),
        Property("uses the rng argument", 0.5, laplace_uses_rng,
                 "draw the noise with rng.laplace, not np.random or a new generator"),
        Property("ValueError for epsilon <= 0 or sensitivity <= 0", 0.5, laplace_validates,
                 "check the arguments first and raise ValueError"),
    ), UNIT),
    Check("dp-gaussian-sigma", "gaussian_sigma", (
        Property("σ = Δ·sqrt(2 ln(1.25/δ))/ε", 1.0, sigma_formula, "use math.log (natural log) and math.sqrt"),
        Property("σ for other inputs", 0.5, sigma_formula_hidden, "the same formula for any valid input",
                 visible=False),
        Property("ValueError outside 0 < ε < 1, 0 < δ < 1, Δ > 0", 0.5, sigma_validates,
                 "the classic bound holds only for 0 < epsilon < 1"),
    ), UNIT),
    Check("dp-rr", "rr_estimate", (
        Property("recovers the true fraction (ε = ln 3)", 1.0, rr_recovers,
                 "p = e^ε/(1+e^ε); estimate = (mean(responses) − (1 − p)) / (2p − 1)"),
        Property("unbiased estimator for other inputs", 0.5, rr_formula_hidden,
                 "the same formula for any epsilon", visible=False),
        Property("accepts a list, no clipping", 0.5, rr_not_clipped,
                 "np.asarray(responses) and do not clip to [0, 1]"),
    ), UNIT),
    Check("dp-mean", "dp_mean", (
        Property("output is clipped mean + Laplace((U−L)/(nε))", 1.0, dp_mean_distribution,
                 "clip x to [lower, upper], average, add rng.laplace(0, (upper-lower)/(len(x)*epsilon))"),
        Property("clipped mean + Laplace noise for other inputs", 0.5, dp_mean_distribution_hidden,
                 "the noise scale is (upper − lower)/(n·ε) with n = len(x)", visible=False),
        Property("noise scale does not depend on the data (data inside the bounds)", 0.5,
                 dp_mean_distribution_interior_hidden,
                 "the sensitivity is (upper − lower)/n from the bounds, never from the data's own range",
                 visible=False),
        Property("clips to [lower, upper]", 0.5, dp_mean_clips, "np.clip(x, lower, upper) before the mean"),
        Property("uses the rng argument", 0.5, dp_mean_uses_rng, "draw the noise with rng.laplace"),
    ), UNIT),
    Check("dp-ledger", "BudgetLedger", (
        Property("spend returns remaining; entries records (label, ε)", 1.0, ledger_spends,
                 "append (label, epsilon) to self.entries and return self.remaining"),
        Property("refuses a query over budget and records nothing", 1.0, ledger_refuses,
                 "check before recording: raise ValueError if epsilon > remaining"),
        Property("ledgers do not share state", 0.5, ledger_independent_hidden,
                 "create self.entries = [] in __init__, not at class level", visible=False),
        Property("ValueError for epsilon <= 0", 0.5, ledger_rejects_nonpositive,
                 "a query must spend a positive epsilon"),
    ), UNIT, kind="class"),
    Check("dp-halfwidth", "laplace_halfwidth", (
        Property("95% half-width is (Δ/ε)·ln 20", 1.0, halfwidth_default,
                 "h = (sensitivity/epsilon)·ln(1/(1 − confidence)), default confidence 0.95"),
        Property("P(|noise| <= h) = confidence", 0.5, halfwidth_coverage,
                 "use the confidence argument: P(|Z| > h) = exp(−h/b)"),
        Property("other inputs; ValueError for confidence outside (0, 1)", 0.5, halfwidth_hidden,
                 "validate confidence", visible=False),
    ), UNIT),
)
