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

Judgment tasks (7, 8) are graded by properties, never against one expected value:

* ``dp-plan``: the student's ``plan_mean_release`` chooses ε and a clipping bound U from a public
  sample; the harness judges the plan on its **own** private data set (another sample of the same
  population) with the exact probability that the error stays within the target
  (:func:`plan_success`, no Monte Carlo), the budget, and thrift (ε at most ``PLAN_THRIFT`` times the
  cheapest plan on its data, :func:`cheapest_plan`), and requires a refusal when no plan fits;
* ``dp-audit``: the student's ``audit_epsilon`` turns outputs of a mechanism on neighbouring data sets
  into a lower bound on ε at the confidence the harness passes; it must be sound (<= the true ε of the
  mechanism the harness ran, including ε = 0), informative (>= ``AUDIT_POWER`` · ε) and expose a
  mechanism with too little noise.

Secret inputs. Every hidden property draws its data, parameters and ``Rng`` seeds from
``secret_rng``/``secret_seed`` with a tag ``"07/<grade_id>/<property>"``, so with a course key
(``MLOPS_COURSE_GRADING_KEY``) a table replaying answers recorded from the public package cannot match.

False-fail rate, for any key (the seeds come from the key; grading is deterministic given it).
Each statistical property runs its KS test and its mean-|noise| test at level ``ALPHA_PER_TEST / 2``
each, and :data:`N_STATISTICAL_TESTS` such properties exist; the audit task passes the confidence
``1 − AUDIT_MISS`` to the student's bound in each of at most ``N_AUDIT_CASES`` cases, so a valid bound
over-claims with probability at most :data:`ALPHA_AUDIT`. By the union bound an honest solution fails
any of them with probability at most ``N_STATISTICAL_TESTS * ALPHA_PER_TEST + ALPHA_AUDIT = 1e-6``.
The remaining judgment properties are deterministic given the data; their margins for an honest
answer are measured over many keys in ``tests/dp/test_grading_dp.py`` (a plan with a 20% safety margin:
P(|error| <= X) > 0.96 against the required 0.95 and ε < 1.6 × the cheapest against the allowed 2;
the audit's bound lies > 6 standard deviations above ``AUDIT_POWER`` · ε).

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
    ManualQuestion,
    Property,
    Remote,
    Rng,
    as_array,
    as_float,
    raises,
    secret_rng,
    secret_seed,
)

__all__ = ["CHECKS", "MANUAL", "ALPHA_TOTAL", "ALPHA_PER_TEST", "ALPHA_AUDIT", "N_STATISTICAL_TESTS", "UNIT"]

UNIT = "07_differential_privacy"
ALPHA_TOTAL = 1e-6
#: share of ALPHA_TOTAL for the audit task: the miss probability of the confidence level the harness
#: passes to ``audit_epsilon`` (``1 - AUDIT_MISS`` per hidden case) times its number of cases
AUDIT_MISS = 2e-8
N_AUDIT_CASES = 5
ALPHA_AUDIT = AUDIT_MISS * N_AUDIT_CASES
N_STATISTICAL_TESTS = 5  # statistical properties: laplace visible + hidden, dp_mean visible + hidden + interior
# per property, split evenly between KS and mean |noise|
ALPHA_PER_TEST = (ALPHA_TOTAL - ALPHA_AUDIT) / N_STATISTICAL_TESTS
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
    gen = secret_rng("07/dp-laplace/hidden-law")
    value = np.full((100, 200), round(float(gen.uniform(-50.0, 50.0)), 3))
    sensitivity, epsilon = round(float(gen.uniform(0.2, 5.0)), 3), round(float(gen.uniform(0.1, 3.0)), 3)
    return _laplace_distribution(remote, value, sensitivity, epsilon, seed=secret_seed("07/dp-laplace/hidden-law/rng"))


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
        want = _sigma(*args)
        if not _close(got, want):
            return False, (f"gaussian_sigma(sensitivity={args[0]:.6g}, epsilon={args[1]:.6g}, delta={args[2]:.3g}) "
                           f"returned {got:.6g}; Theorem A.1 gives σ = {want:.6g} (ratio {got / want if want else math.nan:.4g})")
    return True, "σ matches Dwork & Roth's Theorem A.1"


def sigma_formula(remote: Remote) -> tuple[bool, str]:
    return _sigma_cases(remote, [(1.0, 0.5, 1e-5), (2.0, 0.9, 1e-6)])


def sigma_formula_hidden(remote: Remote) -> tuple[bool, str]:
    gen = secret_rng("07/dp-gaussian-sigma/hidden-formula")
    cases = [(float(10.0 ** gen.uniform(-3, 1)), float(gen.uniform(0.001, 0.999)), float(10.0 ** gen.uniform(-12, -0.5)))
             for _ in range(4)]
    return _sigma_cases(remote, cases)


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
    rng = secret_rng("07/dp-rr/hidden-formula")
    cases = [(float(rng.uniform(0.1, 4.0)), int(rng.integers(10, 3000)), float(rng.uniform(0.05, 0.95))) for _ in range(3)]
    for epsilon, n, rate in cases:
        responses = (rng.random(n) < rate).astype(np.int64)
        got = as_float(remote.call("rr_estimate", responses, epsilon), "rr_estimate(...)")
        want = _rr_expected(responses, epsilon)
        if not _close(got, want, rel=1e-7, abs_tol=1e-9):
            return False, (f"{n} reports with a fraction {np.mean(responses):.4g} of ones at epsilon = {epsilon:.4g}: "
                           f"an unbiased estimate is {want:.6g}, got {got:.6g}")
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
    gen = secret_rng("07/dp-mean/hidden-law")
    half = round(float(gen.uniform(2.0, 8.0)), 2)
    x = gen.normal(0.0, 4.0 * half, size=int(gen.integers(100, 400))).round(3)  # reaches both bounds
    epsilon = round(float(gen.uniform(0.1, 2.0)), 3)
    return _dp_mean_distribution(remote, x, -half, half, epsilon, seed=secret_seed("07/dp-mean/hidden-law/rng"))


def dp_mean_distribution_interior_hidden(remote: Remote) -> tuple[bool, str]:
    # The data never reach the upper bound (and some values lie below the lower one), so a
    # data-dependent "sensitivity" such as (clip(x).max() - clip(x).min())/n is about 2.5 times too
    # small and fails, while the correct scale (U - L)/(n ε) = 10/(100·1) passes.
    gen = secret_rng("07/dp-mean/hidden-interior")
    x = np.concatenate([gen.uniform(3.0, 4.0, 95), gen.uniform(-20.0, -5.0, 5)]).round(3)
    epsilon = round(float(gen.uniform(0.5, 2.0)), 3)
    return _dp_mean_distribution(remote, x, 0.0, 10.0, epsilon, seed=secret_seed("07/dp-mean/hidden-interior/rng"))


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
    gen = secret_rng("07/dp-ledger/hidden-independent")
    total_a, total_b = round(float(gen.uniform(0.5, 3.0)), 3), round(float(gen.uniform(0.5, 3.0)), 3)
    first = remote.new("BudgetLedger", total_a)
    second = remote.new("BudgetLedger", total_b)
    remote.method(first, "spend", round(total_a / 2, 4), "x")
    if _entries(remote.attr(second, "entries")) or not _close(as_float(remote.attr(second, "remaining")), total_b):
        return False, (f"spending on a ledger of {total_a} changed another ledger of {total_b}: "
                       "two ledgers share state; each ledger must own its record of queries")
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
    gen = secret_rng("07/dp-halfwidth/hidden")
    args = (round(float(gen.uniform(0.1, 5.0)), 3), round(float(gen.uniform(0.05, 3.0)), 3),
            round(float(gen.uniform(0.5, 0.999)), 4))
    got = as_float(remote.call("laplace_halfwidth", *args), "laplace_halfwidth(...)")
    if not _close(got, _halfwidth(*args)):
        return False, (f"laplace_halfwidth{args} returned {got:.6g}: P(|noise| <= h) should equal the confidence "
                       f"{args[2]}, it is {1.0 - math.exp(-got * args[1] / args[0]):.6g}")
    missing = [c for c in (0.0, 1.0, 1.5, -0.2)
               if not raises(lambda c=c: remote.call("laplace_halfwidth", 1.0, 1.0, c))]
    if missing:
        return False, f"no ValueError for confidence in {missing}"
    return True, "other inputs and invalid confidence levels"


# --------------------------------------------------------------------------- dp-plan (judgment)
# The student plans a DP mean of a non-negative quantity from a *public* sample of the same
# population: a clipping bound U (values clipped to [0, U]) and an epsilon. The harness judges the
# plan on its own private data set x of size n (drawn from the same population):
#
#   error = mean(clip(x, 0, U)) - mean(x) + Lap(U / (n ε)) = c + Lap(b),
#   P(|c + Lap(b)| <= X) = 1 - e^{-(X - |c|)/b}/2 - e^{-(X + |c|)/b}/2     (exact, for |c| < X),
#
# so "error <= X at 95%" is decided exactly (no Monte Carlo, no false alarm). The cheapest plan,
# ε* = min over U of the smallest ε meeting the target on x, is found by a grid over U.
PLAN_CONFIDENCE = 0.95
PLAN_THRIFT = 2.0  # a plan may spend at most this multiple of ε*


def plan_success(x: np.ndarray, upper: float, epsilon: float, target: float) -> float:
    """Exact P(|released mean − mean(x)| <= target) of the clipped Laplace mean with (upper, epsilon)."""
    n = x.size
    bias = abs(float(np.mean(np.clip(x, 0.0, upper)) - np.mean(x)))
    if bias >= target:
        return 0.0
    b = upper / (n * epsilon)
    return 1.0 - 0.5 * math.exp(-(target - bias) / b) - 0.5 * math.exp(-(target + bias) / b)


def cheapest_plan(x: np.ndarray, target: float, confidence: float = PLAN_CONFIDENCE) -> tuple[float, float]:
    """``(ε*, U*)``: the smallest ε (over clipping bounds U on a quantile grid) meeting the target on x."""
    n = x.size
    grid = np.quantile(x, np.linspace(0.3, 1.0, 701))
    bias = np.abs(np.array([np.mean(np.clip(x, 0.0, u)) for u in grid]) - np.mean(x))
    ok = bias < target
    lo, hi = np.full(grid.size, 1e-12), np.full(grid.size, 1e9)  # bisection on the scale b, per U
    for _ in range(120):
        mid = np.sqrt(lo * hi)
        with np.errstate(over="ignore"):
            prob = 1.0 - 0.5 * np.exp(-(target - bias) / mid) - 0.5 * np.exp(-(target + bias) / mid)
        good = prob >= confidence
        lo, hi = np.where(good, mid, lo), np.where(good, hi, mid)
    eps = np.where(ok, grid / (n * lo), np.inf)
    best = int(np.argmin(eps))
    return float(eps[best]), float(grid[best])


def plan_population(gen: np.random.Generator) -> dict:
    """A scenario: Gamma(k, θ) population, public sample, private data, target X, budget (ε units)."""
    k, theta = float(gen.uniform(2.0, 5.0)), float(gen.uniform(5.0, 20.0))
    n = int(gen.integers(3000, 10_001))
    target = round(float(gen.uniform(0.02, 0.05)) * k * theta, 4)
    public = gen.gamma(k, theta, 20_000).round(3)
    private = gen.gamma(k, theta, n).round(3)
    return {"public": public, "x": private, "n": n, "target": target}


def _plan(value: object, what: str) -> tuple[float, float]:
    if not isinstance(value, dict) or not {"epsilon", "upper"} <= set(value):
        raise BadResult(f"{what} should return a dict with keys 'epsilon' and 'upper', got "
                        f"{type(value).__name__}{' with keys ' + str(sorted(value)) if isinstance(value, dict) else ''}")
    eps, upper = as_float(value["epsilon"], "plan['epsilon']"), as_float(value["upper"], "plan['upper']")
    if not (math.isfinite(eps) and eps > 0 and math.isfinite(upper) and upper > 0):
        raise BadResult(f"plan['epsilon'] and plan['upper'] must be finite and > 0, got {eps!r} and {upper!r}")
    return eps, upper


def _judge_plan(remote: Remote, case: dict, budget: float, thrift: bool) -> tuple[bool, str]:
    x, target, n = case["x"], case["target"], case["n"]
    what = f"plan_mean_release(public sample of {case['public'].size}, n={n}, target_error={target}, budget={budget:.4g})"
    eps, upper = _plan(remote.call("plan_mean_release", case["public"], n, target, budget), what)
    if eps > budget * (1 + 1e-9):
        return False, f"{what} spends ε = {eps:.4g}, more than the budget {budget:.4g}: the ledger would refuse it"
    prob = plan_success(x, upper, eps, target)
    bias = float(np.mean(x) - np.mean(np.clip(x, 0.0, upper)))
    if prob < PLAN_CONFIDENCE:
        return False, (f"{what} chose upper = {upper:.4g}, ε = {eps:.4g}: on the grader's data the clipping bias is "
                       f"{bias:.4g} and the noise scale U/(nε) = {upper / (n * eps):.4g}, so P(|error| <= {target}) = "
                       f"{prob:.4f}, below {PLAN_CONFIDENCE}")
    best_eps, best_upper = cheapest_plan(x, target)
    if thrift and eps > PLAN_THRIFT * best_eps:
        return False, (f"{what} chose upper = {upper:.4g}, ε = {eps:.4g}: accurate (P = {prob:.4f}) but wasteful; "
                       f"clipping at about {best_upper:.4g} meets the target with ε = {best_eps:.4g}, and a plan may spend "
                       f"at most {PLAN_THRIFT:g} × that")
    return True, (f"upper = {upper:.4g}, ε = {eps:.4g}: P(|error| <= {target}) = {prob:.4f} on the grader's data "
                  f"(cheapest: ε = {best_eps:.4g})")


def _visible_plan_case() -> dict:
    return plan_population(np.random.default_rng(70_701))


def plan_accurate(remote: Remote) -> tuple[bool, str]:
    case = _visible_plan_case()
    return _judge_plan(remote, case, 1.0, thrift=False)


def plan_thrifty(remote: Remote) -> tuple[bool, str]:
    case = _visible_plan_case()
    return _judge_plan(remote, case, 1.0, thrift=True)


def plan_hidden(remote: Remote) -> tuple[bool, str]:
    gen = secret_rng("07/dp-plan/hidden")
    for i in range(3):
        case = plan_population(gen)
        best, _ = cheapest_plan(case["x"], case["target"])
        budget = round(best * float(gen.uniform(4.0, 8.0)), 4)
        ok, message = _judge_plan(remote, case, budget, thrift=True)
        if not ok:
            return False, f"scenario {i + 1} of 3: {message}"
    return True, "3 other populations: accurate, within budget, not wasteful"


def _refuses_plan(remote: Remote, case: dict, budget: float) -> tuple[bool, str]:
    call = lambda: remote.call("plan_mean_release", case["public"], case["n"], case["target"], budget)  # noqa: E731
    if not raises(call):
        return False, (f"plan_mean_release(n={case['n']}, target_error={case['target']}, budget={budget:.4g}) returned a "
                       f"plan, but no plan meets the target within that budget (the cheapest needs ε ≈ "
                       f"{cheapest_plan(case['x'], case['target'])[0]:.4g}): raise ValueError instead")
    return True, "ValueError when the budget cannot buy the target accuracy"


def plan_refuses(remote: Remote) -> tuple[bool, str]:
    case = _visible_plan_case()
    return _refuses_plan(remote, case, round(cheapest_plan(case["x"], case["target"])[0] / 4, 5))


def plan_refuses_hidden(remote: Remote) -> tuple[bool, str]:
    gen = secret_rng("07/dp-plan/hidden-refuse")
    case = plan_population(gen)
    return _refuses_plan(remote, case, round(cheapest_plan(case["x"], case["target"])[0] / float(gen.uniform(3, 6)), 6))


# --------------------------------------------------------------------------- dp-audit (judgment)
# The student audits a mechanism from its outputs on two neighbouring data sets (the query is 0 on
# D and 1 on D'), returning a lower bound on ε valid with the confidence the harness passes. A
# bound is *sound* if it is <= the mechanism's true ε; the harness passes confidence 1 - AUDIT_MISS,
# so a valid method over-claims in a hidden case with probability <= AUDIT_MISS (ALPHA_AUDIT for
# the unit). It is *informative* when it finds at least AUDIT_POWER of a correct mechanism's ε and
# exposes a mechanism whose noise is 3–6 times too small (bound above the claimed ε).
AUDIT_SAMPLES = 50_000
AUDIT_POWER = 0.6


def audit_outputs(gen: np.random.Generator, scale: float, m: int = AUDIT_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Outputs of the Laplace mechanism (scale ``scale``) on D (query 0) and D' (query 1)."""
    return gen.laplace(0.0, scale, m).round(6), (1.0 + gen.laplace(0.0, scale, m)).round(6)


def _audit(remote: Remote, d0: np.ndarray, d1: np.ndarray, confidence: float, what: str) -> float:
    got = as_float(remote.call("audit_epsilon", d0, d1, confidence), what)
    if not math.isfinite(got):
        raise BadResult(f"{what} should be a finite lower bound, got {got!r}")
    return got


def _audit_correct(remote: Remote, gen: np.random.Generator, epsilon: float, confidence: float,
                   label: str) -> tuple[bool, str]:
    d0, d1 = audit_outputs(gen, 1.0 / epsilon)
    what = f"audit_epsilon({label}: Laplace mechanism with ε = {epsilon:.4g}, {d0.size} outputs each, confidence={confidence})"
    got = _audit(remote, d0, d1, confidence, what)
    if got > epsilon:
        return False, (f"{what} returned {got:.4g}, above the true ε = {epsilon:.4g}: the bound is not sound "
                       f"(a lower bound may exceed the truth only with probability {1 - confidence:.0e})")
    if got < AUDIT_POWER * epsilon:
        return False, (f"{what} returned {got:.4g}: sound but weak; a threshold test on these outputs certifies at least "
                       f"{AUDIT_POWER:g} × ε = {AUDIT_POWER * epsilon:.4g}")
    return True, f"ε = {epsilon:.4g}: bound {got:.4g} (sound and informative)"


def _audit_buggy(remote: Remote, gen: np.random.Generator, claimed: float, factor: float, confidence: float,
                 label: str) -> tuple[bool, str]:
    d0, d1 = audit_outputs(gen, 1.0 / (factor * claimed))
    what = f"audit_epsilon({label}: a mechanism claiming ε = {claimed:.4g}, {d0.size} outputs each, confidence={confidence})"
    got = _audit(remote, d0, d1, confidence, what)
    true = factor * claimed
    if got > true:
        return False, f"{what} returned {got:.4g}, above the mechanism's true ε ({true:.4g}): not sound"
    if got <= claimed:
        return False, (f"{what} returned {got:.4g} <= the claimed ε: the bug (noise {factor:.2g} × too small, true "
                       f"ε = {true:.4g}) went unnoticed")
    return True, f"claimed ε = {claimed:.4g}: bound {got:.4g} exposes the bug"


def audit_correct(remote: Remote) -> tuple[bool, str]:
    return _audit_correct(remote, np.random.default_rng(70_801), 1.0, 1.0 - AUDIT_MISS, "visible")


def audit_buggy(remote: Remote) -> tuple[bool, str]:
    return _audit_buggy(remote, np.random.default_rng(70_802), 0.25, 4.0, 1.0 - AUDIT_MISS, "visible")


def audit_hidden(remote: Remote) -> tuple[bool, str]:
    gen = secret_rng("07/dp-audit/hidden")
    for i in range(2):
        ok, message = _audit_correct(remote, gen, round(float(gen.uniform(0.4, 2.0)), 4), 1.0 - AUDIT_MISS, f"hidden {i + 1}")
        if not ok:
            return False, message
    ok, message = _audit_buggy(remote, gen, round(float(gen.uniform(0.1, 0.5)), 4), float(gen.uniform(3.0, 6.0)),
                               1.0 - AUDIT_MISS, "hidden 3")
    if not ok:
        return False, message
    d0 = gen.laplace(0.0, 1.0, AUDIT_SAMPLES).round(6)
    d1 = gen.laplace(0.0, 1.0, AUDIT_SAMPLES).round(6)
    what = f"audit_epsilon(hidden 4: the same output law on D and D' (ε = 0), confidence={1 - AUDIT_MISS})"
    got = _audit(remote, d0, d1, 1.0 - AUDIT_MISS, what)
    if got > 0.0:
        return False, f"{what} returned {got:.4g} > 0: a mechanism that ignores the data has ε = 0"
    return True, "other mechanisms: sound, informative, and no false alarm at ε = 0"

CHECKS: tuple[Check, ...] = (
    Check("dp-laplace", "laplace_mechanism", (
        Property("noise is Laplace(0, Δ/ε)", 1.0, laplace_distribution,
                 "the Laplace mechanism's noise scale grows with the sensitivity and shrinks as ε grows"),
        Property("noise is Laplace(0, Δ/ε) for other inputs (2-D array)", 0.5, laplace_distribution_hidden,
                 "every entry of an array is a separate query answer and needs its own, independent noise",
                 visible=False),
        Property("float in → float out, array shape kept", 0.5, laplace_shape,
                 "a mechanism releases an answer of the same kind as the query's: a number or an array of that shape"),
        Property("uses the rng argument", 0.5, laplace_uses_rng,
                 "reproducible experiments need all randomness to come from the generator you are given"),
        Property("ValueError for epsilon <= 0 or sensitivity <= 0", 0.5, laplace_validates,
                 "ε <= 0 or Δ <= 0 has no privacy meaning: refuse it at the boundary"),
    ), UNIT),
    Check("dp-gaussian-sigma", "gaussian_sigma", (
        Property("σ = Δ·sqrt(2 ln(1.25/δ))/ε", 1.0, sigma_formula,
                 "re-read Theorem A.1: which logarithm, and which quantities sit under the square root?"),
        Property("σ for other inputs", 0.5, sigma_formula_hidden, "the same calibration must hold for any valid input",
                 visible=False),
        Property("ValueError outside 0 < ε < 1, 0 < δ < 1, Δ > 0", 0.5, sigma_validates,
                 "the classic bound is proved only for 0 < ε < 1; δ is a probability"),
    ), UNIT),
    Check("dp-rr", "rr_estimate", (
        Property("recovers the true fraction (ε = ln 3)", 1.0, rr_recovers,
                 "invert the relation between the true fraction π and the expected report rate λ"),
        Property("unbiased estimator for other inputs", 0.5, rr_formula_hidden,
                 "the estimator is unbiased for every ε, not just ln 3", visible=False),
        Property("accepts a list, no clipping", 0.5, rr_not_clipped,
                 "clipping the estimate to [0, 1] makes it biased; the responses may arrive as a list"),
    ), UNIT),
    Check("dp-mean", "dp_mean", (
        Property("output is clipped mean + Laplace((U−L)/(nε))", 1.0, dp_mean_distribution,
                 "how far can replacing one record move the mean of values confined to [L, U]?"),
        Property("clipped mean + Laplace noise for other inputs", 0.5, dp_mean_distribution_hidden,
                 "the sensitivity involves the number of records", visible=False),
        Property("noise scale does not depend on the data (data inside the bounds)", 0.5,
                 dp_mean_distribution_interior_hidden,
                 "the sensitivity is a worst case over all neighbouring data sets, so it comes from the bounds, "
                 "never from the data's own range", visible=False),
        Property("clips to [lower, upper]", 0.5, dp_mean_clips,
                 "the bounds only limit the sensitivity if every value is forced inside them"),
        Property("uses the rng argument", 0.5, dp_mean_uses_rng,
                 "all randomness must come from the generator you are given"),
    ), UNIT),
    Check("dp-ledger", "BudgetLedger", (
        Property("spend returns remaining; entries records (label, ε)", 1.0, ledger_spends,
                 "sequential composition: the spent budget is the sum of the accepted queries' ε"),
        Property("refuses a query over budget and records nothing", 1.0, ledger_refuses,
                 "decide before you record: a refused query must leave no trace"),
        Property("ledgers do not share state", 0.5, ledger_independent_hidden,
                 "each data set has its own budget, so each ledger needs its own record", visible=False),
        Property("ValueError for epsilon <= 0", 0.5, ledger_rejects_nonpositive,
                 "a query must spend a positive ε; a negative one would refill the budget"),
    ), UNIT, kind="class"),
    Check("dp-halfwidth", "laplace_halfwidth", (
        Property("95% half-width is (Δ/ε)·ln 20", 1.0, halfwidth_default,
                 "solve P(|Z| > h) = 1 − confidence for h, with the default confidence"),
        Property("P(|noise| <= h) = confidence", 0.5, halfwidth_coverage,
                 "the half-width must depend on the confidence you are asked for"),
        Property("other inputs; ValueError for confidence outside (0, 1)", 0.5, halfwidth_hidden,
                 "a confidence is a probability strictly between 0 and 1", visible=False),
    ), UNIT),
    Check("dp-plan", "plan_mean_release", (
        Property("plan meets the accuracy target within the budget", 1.0, plan_accurate,
                 "the error has two parts, the clipping bias (grows as U shrinks) and the noise (grows with U/(nε)); "
                 "the grader's data are another sample of the population, so leave a safety margin"),
        Property("plan is not wasteful (ε at most 2 × the cheapest)", 1.0, plan_thrifty,
                 "try several clipping bounds and keep the one that needs the least ε; the largest value is "
                 "rarely a good bound"),
        Property("3 other populations, targets and budgets", 1.5, plan_hidden,
                 "your plan must adapt to the public sample, the size n and the target", visible=False),
        Property("ValueError when the budget cannot meet the target", 0.25, plan_refuses,
                 "a curator refuses a release it cannot make accurate enough rather than spend budget on noise"),
        Property("refuses an impossible release (other population)", 0.25, plan_refuses_hidden,
                 "compare the cheapest ε you found with the budget", visible=False),
    ), UNIT),
    Check("dp-audit", "audit_epsilon", (
        Property("sound and informative bound on a correct mechanism", 1.0, audit_correct,
                 "a threshold test turns two output samples into false/true positive rates; bound them with exact "
                 "binomial confidence intervals, and do not pick the threshold on the data you estimate with"),
        Property("exposes a mechanism whose noise is 4 × too small", 1.0, audit_buggy,
                 "the ratio of tail probabilities beyond a well-chosen threshold reveals e^ε"),
        Property("other mechanisms, including one that leaks nothing", 2.0, audit_hidden,
                 "a lower bound must hold with the requested confidence for any mechanism, and be 0 when there is "
                 "no evidence of leakage", visible=False),
    ), UNIT),
)

MANUAL: tuple[ManualQuestion, ...] = (
    ManualQuestion("dp-interpret", 4, UNIT, "what an audit and a plan can and cannot tell"),
)
