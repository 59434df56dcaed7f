"""Checks of exercise 06 (explainable AI): one :class:`Check` per answer cell.

Formula tasks (1–4, 6) compare the student's result, in the harness, with a closed form evaluated here
(relative tolerance 1e-9; the tests cross-check these references with :mod:`mlops_course.explain` and
with scikit-learn / shap), or check a property any correct answer has (Shapley efficiency, symmetry, a
null feature gets 0, a flat partial dependence).

Judgment tasks are graded by what the student's decision does:

* ``xai-counterfactual`` — ``counterfactual_advice(w, b, x, mutable)``: the harness rounds the advice to
  2 decimals (the bank's form) and requires, together, that the rounded advice is **approved**
  (``w·x' + b > 0``), that features outside ``mutable`` are **unchanged**, and that the advice is at most
  ``0.02·√|M|`` farther from ``x`` than the closest approved point ``|w·x + b| / ‖w_M‖``. The boundary
  projection itself is refused after rounding about half the time; a generous margin is too far.
* ``xai-audit`` — ``features_used(W1, b1, w2, b2, X)``: a one-hidden-layer network planted by
  :func:`planted_model` uses exactly some features; decoy features carry the largest input weights in
  pairs of units that cancel exactly. The answer must be exactly the used set (reading the weights gives
  the decoys; "every feature with a non-zero weight" gives all of them).

Every property is deterministic given its inputs (false-fail rate 0: the planted decoys cancel to
floating-point rounding, ~1e-16, while each used feature moves the output by far more — checked in the
tests for many keys). Hidden properties draw every input from
:func:`~mlops_course.grading.checks.secret_rng` with the tag ``"06/<grade_id>/<property>"``.

The models are given as plain numbers so they can cross the worker boundary: a linear classifier
``1{X w + b > 0}``, a logistic model ``σ(X w + b)`` and the small network above.
"""
from __future__ import annotations

import math
from itertools import permutations as all_orders

import numpy as np

from mlops_course.grading.checks import (
    BadResult,
    Check,
    ManualQuestion,
    Property,
    Remote,
    as_array,
    as_float,
    secret_rng,
)

__all__ = ["CHECKS", "MANUAL", "UNIT", "planted_model", "model_output"]

UNIT = "06_explainable_ai"
REL_TOL = 1e-9


def _close(got: np.ndarray | float, want: np.ndarray | float, rel: float = REL_TOL, atol: float = 1e-12) -> bool:
    return bool(np.allclose(got, want, rtol=rel, atol=atol))


def _fmt(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a, dtype=float), precision=4, suppress_small=True)


# --------------------------------------------------------------------------- references (closed forms)
def _std_coef(coef: np.ndarray, X: np.ndarray) -> np.ndarray:
    """β_j · sd(x_j), population standard deviation."""
    return np.ravel(coef) * X.std(axis=0)


def _shapley(v: np.ndarray) -> np.ndarray:
    """Shapley values as the average marginal contribution over all orderings (Shapley 1953)."""
    m = int(round(math.log2(v.size)))
    phi = np.zeros(m)
    for order in all_orders(range(m)):
        mask = 0
        for i in order:
            phi[i] += v[mask | (1 << i)] - v[mask]
            mask |= 1 << i
    return phi / math.factorial(m)


def _accuracy(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(((X @ w + b) > 0).astype(float) == y))


def _perm_importance(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, perms: np.ndarray) -> np.ndarray:
    base = _accuracy(w, b, X, y)
    out = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        drops = []
        for p in perms:
            Xp = X.copy()
            Xp[:, j] = X[p, j]
            drops.append(base - _accuracy(w, b, Xp, y))
        out[j] = np.mean(drops)
    return out


def _pdp(w: np.ndarray, b: float, X: np.ndarray, feature: int, grid: np.ndarray) -> np.ndarray:
    out = []
    for z in grid:
        Xz = X.copy()
        Xz[:, feature] = z
        out.append(np.mean(1.0 / (1.0 + np.exp(-(Xz @ w + b)))))
    return np.array(out)


def _counterfactual(w: np.ndarray, b: float, x: np.ndarray, mutable: list[int]) -> np.ndarray:
    wm = np.zeros_like(w)
    wm[mutable] = w[mutable]
    return x - (w @ x + b) * wm / (wm @ wm)


def _r2(f: np.ndarray, g: np.ndarray) -> float:
    return 1.0 - float(np.sum((f - g) ** 2)) / float(np.sum((f - f.mean()) ** 2))


# --------------------------------------------------------------------------- xai-std-coef
def _std_coef_case(remote: Remote, coef: np.ndarray, X: np.ndarray) -> tuple[bool, str]:
    want = _std_coef(coef, X)
    got = as_array(remote.call("standardized_coefficients", coef, X), want.shape, "standardized_coefficients(...)")
    if not _close(got, want):
        return False, (f"coef = {_fmt(coef)}, X of shape {X.shape} with column sds {_fmt(X.std(axis=0))}: "
                       f"got {_fmt(got)}, expected {_fmt(want)}")
    return True, "β_j · sd(x_j)"


def std_coef_formula(remote: Remote) -> tuple[bool, str]:
    X = np.array([[1.0, 10.0, 0.0], [2.0, 30.0, 1.0], [3.0, 20.0, 1.0], [6.0, 40.0, 0.0]])
    return _std_coef_case(remote, np.array([0.5, -0.1, 2.0]), X)


def std_coef_sklearn_shape(remote: Remote) -> tuple[bool, str]:
    X = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 3.0]])
    ok, msg = _std_coef_case(remote, np.array([[1.5, -2.0]]), X)
    return ok, ("a (1, M) coef (sklearn's coef_) gives M values" if ok else msg)


def std_coef_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("06/xai-std-coef/hidden")
    X = rng.normal(3.0, [1.0, 100.0, 0.01, 7.0, 2.0], size=(9, 5)).round(4)
    return _std_coef_case(remote, rng.normal(size=5).round(3), X)


# --------------------------------------------------------------------------- xai-shapley
def _shapley_case(remote: Remote, v: np.ndarray, what: str) -> tuple[bool, str]:
    want = _shapley(v)
    got = as_array(remote.call("shapley_values", v), want.shape, "shapley_values(...)")
    if not _close(got, want):
        return False, f"{what}: got {_fmt(got)}, expected {_fmt(want)}"
    return True, what


def shapley_glove(remote: Remote) -> tuple[bool, str]:
    # glove game: player 0 has a left glove, players 1 and 2 right gloves; a pair is worth 1
    masks = (np.arange(8)[:, None] >> np.arange(3)) & 1
    v = ((masks[:, 0] == 1) & ((masks[:, 1] == 1) | (masks[:, 2] == 1))).astype(float)
    return _shapley_case(remote, v, "glove game gives (2/3, 1/6, 1/6)")


def shapley_efficiency(remote: Remote) -> tuple[bool, str]:
    v = np.random.default_rng(60_201).normal(size=16).round(3)
    got = as_array(remote.call("shapley_values", v), (4,), "shapley_values(...)")
    if not _close(got.sum(), v[-1] - v[0]):
        return False, f"the values sum to {got.sum():.6g}, but v(all) − v(∅) = {v[-1] - v[0]:.6g}"
    return True, "efficiency: Σ φ_i = v(all) − v(∅)"


def shapley_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("06/xai-shapley/hidden")
    for m in (1, 2, 3, 5):
        ok, msg = _shapley_case(remote, rng.normal(size=2**m).round(4), f"a random game with {m} players")
        if not ok:
            return ok, msg
    return True, "random games with 1 to 5 players"


def shapley_axioms_hidden(remote: Remote) -> tuple[bool, str]:
    # v depends on two players symmetrically (product plus equal main effects) and not at all on a third
    rng = secret_rng("06/xai-shapley/axioms")
    a, c = rng.uniform(0.5, 4.0, size=2).round(3)
    i, j, null = (int(v) for v in rng.permutation(3))
    masks = (np.arange(8)[:, None] >> np.arange(3)) & 1
    v = a * masks[:, i] * masks[:, j] + c * (masks[:, i] + masks[:, j])
    got = as_array(remote.call("shapley_values", v.astype(float)), (3,), "shapley_values(...)")
    if not (_close(got[i], got[j]) and abs(got[null]) < 1e-12):
        return False, f"symmetric players {i}, {j} must get equal values and player {null} 0, got {_fmt(got)}"
    return True, "symmetry and null player"


# --------------------------------------------------------------------------- xai-permutation
def _perm_case(remote: Remote, rng: np.random.Generator, n: int, m: int, repeats: int) -> tuple[bool, str]:
    X = rng.normal(size=(n, m)).round(3)
    w = rng.normal(size=m).round(2)
    w[-1] = 0.0
    b = 0.1
    y = ((X @ w + b + 0.5 * rng.normal(size=n)) > 0).astype(float)
    perms = np.stack([rng.permutation(n) for _ in range(repeats)]).astype(np.int64)
    want = _perm_importance(w, b, X, y, perms)
    got = as_array(remote.call("permutation_importance", w, b, X, y, perms), (m,), "permutation_importance(...)")
    if not _close(got, want):
        return False, (f"{n} rows, {m} features, w = {_fmt(w)}, b = {b}, {repeats} permutations: got {_fmt(got)}, "
                       f"expected {_fmt(want)} (baseline accuracy {_accuracy(w, b, X, y):.4g})")
    return True, "mean drop in accuracy per feature"


def perm_formula(remote: Remote) -> tuple[bool, str]:
    return _perm_case(remote, np.random.default_rng(60_301), n=40, m=3, repeats=5)


def perm_null_feature(remote: Remote) -> tuple[bool, str]:
    X = np.array([[1.0, 5.0], [-1.0, 6.0], [2.0, 7.0], [-2.0, 8.0]])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    perms = np.array([[1, 0, 3, 2], [3, 2, 1, 0]], dtype=np.int64)
    got = as_array(remote.call("permutation_importance", np.array([1.0, 0.0]), 0.0, X, y, perms), (2,),
                   "permutation_importance(...)")
    if got[1] != 0.0:
        return False, f"a feature with weight 0 must get importance exactly 0, got {got[1]:.6g}"
    if not _close(got[0], 1.0):
        return False, f"swapping the sign of x0 in every row drops accuracy from 1 to 0: importance 1, got {got[0]:.6g}"
    return True, "an unused feature gets 0, a decisive one its full accuracy drop"


def perm_hidden(remote: Remote) -> tuple[bool, str]:
    return _perm_case(remote, secret_rng("06/xai-permutation/hidden"), n=101, m=5, repeats=7)


# --------------------------------------------------------------------------- xai-pdp
def _pdp_case(remote: Remote, rng: np.random.Generator, n: int, m: int, feature: int) -> tuple[bool, str]:
    X = rng.normal(size=(n, m)).round(3) * 2.0
    w = rng.normal(size=m).round(2) * 2.0
    grid = np.linspace(-3.0, 3.0, 7)
    want = _pdp(w, -0.3, X, feature, grid)
    got = as_array(remote.call("partial_dependence", w, -0.3, X, feature, grid), want.shape, "partial_dependence(...)")
    if not _close(got, want):
        return False, (f"{n} rows, w = {_fmt(w)}, b = -0.3, feature {feature}, grid {_fmt(grid)}: got {_fmt(got)}, "
                       f"expected {_fmt(want)}")
    return True, "PD(z) = mean_k σ(w·x_k(j := z) + b)"


def pdp_formula(remote: Remote) -> tuple[bool, str]:
    return _pdp_case(remote, np.random.default_rng(60_401), n=30, m=3, feature=1)


def pdp_flat(remote: Remote) -> tuple[bool, str]:
    X = np.array([[0.0, 2.0], [1.0, -2.0], [3.0, 0.5]])
    w = np.array([0.0, 1.5])
    grid = np.array([-10.0, 0.0, 10.0])
    got = as_array(remote.call("partial_dependence", w, 0.2, X, 0, grid), (3,), "partial_dependence(...)")
    want = np.full(3, np.mean(1.0 / (1.0 + np.exp(-(X @ w + 0.2)))))
    if not _close(got, want):
        return False, f"a feature with weight 0 has a flat PD at the mean prediction {want[0]:.6g}, got {_fmt(got)}"
    return True, "a feature the model ignores has a flat PD"


def pdp_hidden(remote: Remote) -> tuple[bool, str]:
    return _pdp_case(remote, secret_rng("06/xai-pdp/hidden"), n=57, m=4, feature=3)


# --------------------------------------------------------------------------- xai-counterfactual (judgment)
# The bank's form takes values with 2 decimals: the harness rounds the advice before scoring it, so advice on
# the boundary (or just beyond it) is refused about half the time; the student must choose a margin.
DECIMALS = 2


def _advice(remote: Remote, w: np.ndarray, b: float, x: np.ndarray, mutable: list[int]) -> np.ndarray:
    return as_array(remote.call("counterfactual_advice", w, b, x, mutable), x.shape, "counterfactual_advice(...)")


def _cf_cases(remote: Remote, cases: list, where: str) -> tuple[bool, str]:
    worst = 0.0
    for w, b, x, mutable in cases:
        got = _advice(remote, w, b, x, mutable)
        sent = np.round(got, DECIMALS)
        score = float(w @ sent + b)
        wm = np.zeros_like(w)
        wm[mutable] = w[mutable]
        d_min = abs(float(w @ x + b)) / float(np.linalg.norm(wm))
        allowed = d_min + 0.02 * math.sqrt(len(mutable))
        dist = float(np.linalg.norm(got - x))
        facts = (f"{where}: w = {_fmt(w)}, b = {b}, x = {_fmt(x)} (score {float(w @ x + b):.4g}), mutable = {mutable}: "
                 f"your advice {_fmt(got)}")
        fixed = [j for j in range(x.size) if j not in mutable and sent[j] != x[j]]
        if fixed:
            return False, f"{facts} changes features {fixed}, which the applicant cannot change"
        if not score > 0:
            return False, (f"{facts}, entered on the form as {_fmt(sent)}, scores {score:.3g}: still refused "
                           "(approval needs a score > 0)")
        if not dist <= allowed:
            return False, (f"{facts} is {dist:.4g} away from x; the closest approved point is {d_min:.4g} away, so "
                           f"advice should be within {allowed:.4g}")
        worst = max(worst, dist - d_min)
    return True, f"{where}: approved after rounding, immutables kept, at most {worst:.3g} farther than the minimum"


def _cf_visible_cases() -> list:
    return [(np.array([2.0, -1.0, 0.5]), -1.0, np.array([0.0, 1.0, 1.0]), [0, 1, 2]),
            (np.array([1.0, 3.0, -2.0, 0.5]), 0.5, np.array([-1.0, -1.0, 1.0, 0.0]), [0, 3]),
            (np.array([0.7, 0.3]), -2.13, np.array([1.1, 2.2]), [0, 1])]


def cf_visible(remote: Remote) -> tuple[bool, str]:
    return _cf_cases(remote, _cf_visible_cases(), "refused applicant")


def cf_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("06/xai-counterfactual/hidden")
    cases = []
    for _ in range(12):
        m = int(rng.integers(2, 8))
        w = rng.normal(0.0, 1.0, size=m).round(3)
        mutable = sorted(int(v) for v in rng.choice(m, size=int(rng.integers(1, m + 1)), replace=False))
        if np.all(w[mutable] == 0):
            w[mutable[0]] = 1.0
        x = rng.normal(0.0, 2.0, size=m).round(2)
        b = round(float(-(w @ x) - rng.uniform(0.01, 3.0)), 3)  # refused: score in [-3, -0.01]
        cases.append((w, b, x, mutable))
    return _cf_cases(remote, cases, "another refused applicant")


def cf_impossible(remote: Remote) -> tuple[bool, str]:
    from mlops_course.grading.checks import raises

    w, x = np.array([0.0, 2.0, 1.0]), np.array([1.0, -1.0, 0.0])
    if not raises(lambda: remote.call("counterfactual_advice", w, -1.0, x, [0])):
        return False, (f"w = {_fmt(w)}, b = -1, x = {_fmt(x)}, mutable = [0]: the only mutable feature has weight 0, "
                       "so no advice can change the decision; this should raise ValueError")
    return True, "ValueError when the mutable features cannot change the score"


# --------------------------------------------------------------------------- xai-audit (judgment)
def model_output(W1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: float, X: np.ndarray) -> np.ndarray:
    """σ(relu(X W1ᵀ + b1) · w2 + b2): the audited model's approval probability per row.

    Parameters
    ----------
    W1 : numpy.ndarray
        Input weights, shape (h, m).
    b1 : numpy.ndarray
        Hidden biases, shape (h,).
    w2 : numpy.ndarray
        Output weights, shape (h,).
    b2 : float
        Output bias.
    X : numpy.ndarray
        Rows to score, shape (n, m).

    Returns
    -------
    numpy.ndarray
        Probabilities in (0, 1), shape (n,), with σ(z) = 1 / (1 + e^{−z}).

    Examples
    --------
    >>> model_output(np.eye(2), np.zeros(2), np.ones(2), 0.0, np.array([[0.0, 0.0], [1.0, -1.0]]))
    array([0.5       , 0.73105858])
    """
    hidden = np.maximum(X @ W1.T + b1, 0.0)
    return 1.0 / (1.0 + np.exp(-(hidden @ w2 + b2)))


def planted_model(rng: np.random.Generator, m: int, used: list[int], decoys: list[int],
                  n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
    """A one-hidden-layer network that uses exactly the features ``used``.

    Units of the form ``c·relu(a·x) − c·relu(a·x)`` (identical input rows, opposite output weights) cancel
    exactly: they give the ``decoys`` the *largest* input weights while the output never depends on them.
    Three further units carry the ``used`` features (input weights of magnitude >= 0.5), so the
    model's output (see :func:`model_output`) depends on them and on nothing else.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every weight and of the background rows.
    m : int
        Number of input features.
    used : list of int
        Indices (in ``0..m-1``) of the features the model really uses.
    decoys : list of int
        Indices of features given the largest input weights in cancelling pairs of units: a
        weight-based explanation ranks them first although the output ignores them.
    n : int, optional
        Number of background rows.

    Returns
    -------
    W1 : numpy.ndarray
        Input weights, shape (7, m): 3 carrying units and 2 cancelling pairs, in random order.
    b1 : numpy.ndarray
        Hidden biases, shape (7,).
    w2 : numpy.ndarray
        Output weights, shape (7,).
    b2 : float
        Output bias.
    X : numpy.ndarray
        Background data, shape (n, m), standard normal rounded to 3 decimals.

    Examples
    --------
    >>> W1, b1, w2, b2, X = planted_model(np.random.default_rng(0), 6, [0, 2], [4])
    >>> W1.shape, X.shape
    ((7, 6), (300, 6))
    >>> x = X[:5].copy(); x[:, 4] += 10.0          # moving a decoy changes nothing
    >>> bool(np.allclose(model_output(W1, b1, w2, b2, x), model_output(W1, b1, w2, b2, X[:5])))
    True
    """
    rows, outs, biases = [], [], []
    for _ in range(3):  # units that carry the used features
        r = np.zeros(m)
        r[used] = rng.normal(0.0, 1.0, size=len(used)).round(3)
        r[used] += np.where(r[used] >= 0, 0.5, -0.5)
        rows.append(r)
        outs.append(float(rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 2.0)))
        biases.append(float(rng.normal(0.0, 0.5)))
    for _ in range(2):  # cancelling pairs: large weights on the decoys (and on others)
        r = rng.normal(0.0, 1.0, size=m).round(3)
        r[decoys] = (rng.choice([-1.0, 1.0], size=len(decoys)) * rng.uniform(3.0, 6.0, size=len(decoys))).round(3)
        c, bias = float(rng.uniform(2.0, 4.0)), float(rng.normal(0.0, 0.5))
        rows += [r, r.copy()]
        outs += [c, -c]
        biases += [bias, bias]
    order = rng.permutation(len(rows))
    W1 = np.array(rows)[order]
    return (W1, np.array(biases)[order].round(3), np.array(outs)[order].round(3), round(float(rng.normal(0, 0.3)), 3),
            rng.normal(0.0, 1.0, size=(n, m)).round(3))


def _audit_case(remote: Remote, rng: np.random.Generator, m: int, used: list[int], decoys: list[int],
                where: str) -> tuple[bool, str]:
    W1, b1, w2, b2, X = planted_model(rng, m, used, decoys)
    got = remote.call("features_used", W1, b1, w2, b2, X)
    if not isinstance(got, (list, tuple)) or not all(type(v) is int for v in got):
        raise BadResult("features_used should return a list of feature indices (ints)")
    heaviest = int(np.argmax(np.abs(W1).sum(axis=0)))
    facts = (f"{where}: a network with {W1.shape[0]} hidden units over {m} features (the largest total input weight "
             f"is on feature {heaviest}), {X.shape[0]} background rows: you answered {sorted(got)}")
    if sorted(set(got)) != sorted(used) or len(got) != len(set(got)):
        return False, f"{facts}, but the output depends on exactly {len(used)} feature(s)"
    return True, f"{facts}: correct"


def audit_visible(remote: Remote) -> tuple[bool, str]:
    return _audit_case(remote, np.random.default_rng(60_701), 6, [1, 4], [0, 2], "the vendor's model")


def audit_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("06/xai-audit/hidden")
    for _ in range(3):
        m = int(rng.integers(5, 10))
        features = [int(v) for v in rng.permutation(m)]
        k = int(rng.integers(1, 4))
        used, decoys = sorted(features[:k]), sorted(features[k:k + 2])
        ok, msg = _audit_case(remote, rng, m, used, decoys, "another model")
        if not ok:
            return ok, msg
    return True, "three other planted models"


# --------------------------------------------------------------------------- xai-fidelity
def _r2_case(remote: Remote, f: np.ndarray | list, g: np.ndarray | list) -> tuple[bool, str]:
    got = as_float(remote.call("fidelity_r2", f, g), "fidelity_r2(...)")
    want = _r2(np.asarray(f, dtype=float), np.asarray(g, dtype=float))
    if not _close(got, want):
        return False, f"got {got:.6g}, expected 1 − Σ(f − g)² / Σ(f − mean f)² = {want:.6g}"
    return True, "R² = 1 − SSE/SST"


def r2_formula(remote: Remote) -> tuple[bool, str]:
    return _r2_case(remote, np.array([0.1, 0.4, 0.35, 0.8, 0.9]), np.array([0.2, 0.3, 0.3, 0.7, 0.95]))


def r2_biased(remote: Remote) -> tuple[bool, str]:
    f = np.array([0.0, 1.0, 2.0, 3.0])
    ok, msg = _r2_case(remote, f, f + 1.0)  # perfectly correlated but off by 1 everywhere: R² = 1 − 4/5 = 0.2
    return ok, ("a shifted surrogate is not faithful (R² = 0.2, not correlation² = 1)" if ok else msg)


def r2_hidden(remote: Remote) -> tuple[bool, str]:
    rng = secret_rng("06/xai-fidelity/hidden")
    f = rng.uniform(size=50)
    ok, msg = _r2_case(remote, f, rng.uniform(size=50))  # a useless surrogate: R² < 0
    if not ok:
        return ok, msg
    return _r2_case(remote, list(f), list(f * 0.9 + 0.05))


CHECKS: tuple[Check, ...] = (
    Check("xai-std-coef", "standardized_coefficients", (
        Property("β_j · sd(x_j) with the population sd", 1.0, std_coef_formula,
                 "a standardised coefficient is the effect of a one-standard-deviation change (population sd, divide by n)"),
        Property("accepts sklearn's (1, M) coef_", 0.5, std_coef_sklearn_shape,
                 "scikit-learn stores one row of coefficients per class: you need one value per feature"),
        Property("other inputs", 0.5, std_coef_hidden, "any number of features and scales", visible=False),
    ), UNIT),
    Check("xai-shapley", "shapley_values", (
        Property("glove game (2/3, 1/6, 1/6)", 1.0, shapley_glove,
                 "a player's value averages its marginal contributions over all orders in which the players can join"),
        Property("efficiency Σφ = v(all) − v(∅)", 0.5, shapley_efficiency,
                 "coalitions of different sizes are not equally likely when players join in a random order"),
        Property("random games with 1-5 players", 1.0, shapley_hidden, "the number of players follows from the number of coalitions", visible=False),
        Property("symmetry and null player", 0.5, shapley_axioms_hidden, "the Shapley formula has both",
                 visible=False),
    ), UNIT),
    Check("xai-permutation", "permutation_importance", (
        Property("baseline accuracy − mean permuted accuracy", 1.5, perm_formula,
                 "scramble one column at a time (the others stay as they are) and average the loss over the given permutations"),
        Property("unused feature gets 0, decisive one its accuracy drop", 0.5, perm_null_feature,
                 "importance is how much worse the model gets: positive when scrambling hurts"),
        Property("other inputs", 1.0, perm_hidden, "the model predicts 1 when its score is strictly positive", visible=False),
    ), UNIT),
    Check("xai-pdp", "partial_dependence", (
        Property("PD(z) = mean_k σ(w·x_k(j:=z) + b)", 1.0, pdp_formula,
                 "partial dependence fixes the feature at z for every row and averages the model's outputs"),
        Property("flat PD for an unused feature", 0.5, pdp_flat,
                 "the model is non-linear: predicting at the average row is not the average prediction"),
        Property("other inputs", 0.5, pdp_hidden, "one value per grid point, any feature", visible=False),
    ), UNIT),
    Check("xai-counterfactual", "counterfactual_advice", (
        Property("refused applicants: approved after rounding, only mutable features, near-minimal", 1.5, cf_visible,
                 "the closest point of the decision boundary is not yet approved, and the form rounds what you "
                 "advise: aim a little beyond the boundary, by a margin that survives rounding but costs little"),
        Property("other applicants and models", 1.0, cf_hidden,
                 "the margin must work for any weights and any set of mutable features", visible=False),
        Property("ValueError when no mutable feature moves the score", 0.5, cf_impossible,
                 "if the features the applicant can change do not enter the score, no advice exists"),
    ), UNIT),
    Check("xai-fidelity", "fidelity_r2", (
        Property("R² = 1 − SSE/SST", 1.0, r2_formula, "fidelity measures how much of the black box's variation the surrogate reproduces"),
        Property("a shifted surrogate is not faithful", 0.5, r2_biased,
                 "a surrogate that is off by a constant is not faithful, even if perfectly correlated"),
        Property("other inputs (lists, negative R²)", 0.5, r2_hidden, "inputs may be lists; R² can be negative", visible=False),
    ), UNIT),
    Check("xai-audit", "features_used", (
        Property("the vendor's model: exactly the features its output depends on", 1.5, audit_visible,
                 "large input weights do not mean the output depends on a feature: measure what happens to the "
                 "predictions when you change one feature and keep the others"),
        Property("three other planted models", 1.5, audit_hidden,
                 "choose a tolerance for 'no effect' relative to the effects you measure (floating-point noise is "
                 "not an effect)", visible=False),
    ), UNIT),
)

MANUAL: tuple[ManualQuestion, ...] = (
    ManualQuestion("xai-q-explanation", 3, UNIT, "explain the refusal to the applicant and the regulator"),
)
