"""Checks of exercise 06 (explainable AI): one :class:`Check` per answer cell.

Every task is deterministic, so every property compares the student's result, in the harness,
with a closed form evaluated here (relative tolerance 1e-9; the tests cross-check these references
with :mod:`mlops_course.explain` and with scikit-learn / shap), or checks a property that any
correct answer has (Shapley efficiency, a null feature gets 0, a counterfactual lies on the
decision boundary and leaves immutable features alone). No statistical test is needed: the
permutations of the permutation-importance task are chosen by the harness and passed in.

The models are given as plain numbers so they can cross the worker boundary: a linear classifier
``1{X w + b > 0}`` and a logistic model ``σ(X w + b)``.
"""
from __future__ import annotations

import math
from itertools import permutations as all_orders

import numpy as np

from mlops_course.grading.checks import Check, Property, Remote, as_array, as_float

__all__ = ["CHECKS", "UNIT"]

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
        return False, f"got {_fmt(got)}, expected coef · X.std(axis=0) = {_fmt(want)}"
    return True, "β_j · sd(x_j)"


def std_coef_formula(remote: Remote) -> tuple[bool, str]:
    X = np.array([[1.0, 10.0, 0.0], [2.0, 30.0, 1.0], [3.0, 20.0, 1.0], [6.0, 40.0, 0.0]])
    return _std_coef_case(remote, np.array([0.5, -0.1, 2.0]), X)


def std_coef_sklearn_shape(remote: Remote) -> tuple[bool, str]:
    X = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 3.0]])
    ok, msg = _std_coef_case(remote, np.array([[1.5, -2.0]]), X)
    return ok, ("a (1, M) coef (sklearn's coef_) gives M values" if ok else msg)


def std_coef_hidden(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(60_101)
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
    rng = np.random.default_rng(60_202)
    for m in (1, 2, 3, 5):
        ok, msg = _shapley_case(remote, rng.normal(size=2**m).round(4), f"a random game with {m} players")
        if not ok:
            return ok, msg
    return True, "random games with 1 to 5 players"


def shapley_axioms_hidden(remote: Remote) -> tuple[bool, str]:
    # v depends on players 0 and 1 symmetrically (product) and not at all on player 2
    masks = (np.arange(8)[:, None] >> np.arange(3)) & 1
    v = 3.0 * masks[:, 0] * masks[:, 1] + masks[:, 0] + masks[:, 1]
    got = as_array(remote.call("shapley_values", v.astype(float)), (3,), "shapley_values(...)")
    if not (_close(got[0], got[1]) and abs(got[2]) < 1e-12):
        return False, f"symmetric players must get equal values and a null player 0, got {_fmt(got)}"
    return True, "symmetry and null player"


# --------------------------------------------------------------------------- xai-permutation
def _perm_case(remote: Remote, seed: int, n: int, m: int, repeats: int) -> tuple[bool, str]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m)).round(3)
    w = rng.normal(size=m).round(2)
    w[-1] = 0.0
    b = 0.1
    y = ((X @ w + b + 0.5 * rng.normal(size=n)) > 0).astype(float)
    perms = np.stack([rng.permutation(n) for _ in range(repeats)]).astype(np.int64)
    want = _perm_importance(w, b, X, y, perms)
    got = as_array(remote.call("permutation_importance", w, b, X, y, perms), (m,), "permutation_importance(...)")
    if not _close(got, want):
        return False, f"got {_fmt(got)}, expected baseline accuracy − mean permuted accuracy = {_fmt(want)}"
    return True, "mean drop in accuracy per feature"


def perm_formula(remote: Remote) -> tuple[bool, str]:
    return _perm_case(remote, 60_301, n=40, m=3, repeats=5)


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
    return _perm_case(remote, 60_302, n=101, m=5, repeats=7)


# --------------------------------------------------------------------------- xai-pdp
def _pdp_case(remote: Remote, seed: int, n: int, m: int, feature: int) -> tuple[bool, str]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m)).round(3) * 2.0
    w = rng.normal(size=m).round(2) * 2.0
    grid = np.linspace(-3.0, 3.0, 7)
    want = _pdp(w, -0.3, X, feature, grid)
    got = as_array(remote.call("partial_dependence", w, -0.3, X, feature, grid), want.shape, "partial_dependence(...)")
    if not _close(got, want):
        return False, f"got {_fmt(got)}, expected mean over rows of σ(x w + b) with x_j set to z: {_fmt(want)}"
    return True, "PD(z) = mean_k σ(w·x_k(j := z) + b)"


def pdp_formula(remote: Remote) -> tuple[bool, str]:
    return _pdp_case(remote, 60_401, n=30, m=3, feature=1)


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
    return _pdp_case(remote, 60_402, n=57, m=4, feature=3)


# --------------------------------------------------------------------------- xai-counterfactual
def _cf_call(remote: Remote, w: np.ndarray, b: float, x: np.ndarray, mutable: list[int]) -> np.ndarray:
    return as_array(remote.call("linear_counterfactual", w, b, x, mutable), x.shape, "linear_counterfactual(...)")


def cf_boundary(remote: Remote) -> tuple[bool, str]:
    w, b, x = np.array([2.0, -1.0, 0.5]), -1.0, np.array([0.0, 1.0, 1.0])
    got = _cf_call(remote, w, b, x, [0, 1, 2])
    if not _close(w @ got + b, 0.0, atol=1e-9):
        return False, f"w·x' + b should be 0 (the decision boundary), got {w @ got + b:.6g}"
    if not _close(got, _counterfactual(w, b, x, [0, 1, 2])):
        return False, f"x' = {_fmt(got)} is on the boundary but not the closest point (move along w)"
    return True, "closest point on the boundary w·x' + b = 0"


def cf_mutable(remote: Remote) -> tuple[bool, str]:
    w, b, x = np.array([1.0, 3.0, -2.0, 0.5]), 0.5, np.array([-1.0, -1.0, 1.0, 0.0])
    got = _cf_call(remote, w, b, x, [0, 3])
    if not np.array_equal(got[[1, 2]], x[[1, 2]]):
        return False, f"immutable features 1 and 2 changed: x' = {_fmt(got)}"
    if not _close(w @ got + b, 0.0, atol=1e-9):
        return False, f"x' must still reach the boundary, w·x' + b = {w @ got + b:.6g}"
    return True, "only mutable features change, and x' reaches the boundary"


def cf_hidden(remote: Remote) -> tuple[bool, str]:
    rng = np.random.default_rng(60_501)
    for mutable in ([1, 2, 4], [0], [0, 1, 2, 3, 4, 5]):
        w, x = rng.normal(size=6).round(3), rng.normal(size=6).round(3)
        want = _counterfactual(w, 0.25, x, mutable)
        got = _cf_call(remote, w, 0.25, x, mutable)
        if not _close(got, want):
            return False, f"for mutable={mutable} got {_fmt(got)}, expected {_fmt(want)}"
    return True, "the minimal counterfactual for other inputs"


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
    rng = np.random.default_rng(60_601)
    f = rng.uniform(size=50)
    ok, msg = _r2_case(remote, f, rng.uniform(size=50))  # a useless surrogate: R² < 0
    if not ok:
        return ok, msg
    return _r2_case(remote, list(f), list(f * 0.9 + 0.05))


CHECKS: tuple[Check, ...] = (
    Check("xai-std-coef", "standardized_coefficients", (
        Property("β_j · sd(x_j) with the population sd", 1.0, std_coef_formula,
                 "multiply each coefficient by X.std(axis=0) (ddof=0)"),
        Property("accepts sklearn's (1, M) coef_", 0.5, std_coef_sklearn_shape,
                 "np.ravel(coef) before multiplying"),
        Property("other inputs", 0.5, std_coef_hidden, "the same formula for any data", visible=False),
    ), UNIT),
    Check("xai-shapley", "shapley_values", (
        Property("glove game (2/3, 1/6, 1/6)", 1.0, shapley_glove,
                 "φ_i = Σ_{S∌i} |S|!(M−|S|−1)!/M! (v(S∪{i}) − v(S)); S∪{i} is mask | (1 << i)"),
        Property("efficiency Σφ = v(all) − v(∅)", 0.5, shapley_efficiency,
                 "use the Shapley weights |S|!(M−|S|−1)!/M!, not equal weights"),
        Property("random games with 1-5 players", 1.0, shapley_hidden, "M = log2(len(values))", visible=False),
        Property("symmetry and null player", 0.5, shapley_axioms_hidden, "the Shapley formula has both",
                 visible=False),
    ), UNIT),
    Check("xai-permutation", "permutation_importance", (
        Property("baseline accuracy − mean permuted accuracy", 1.5, perm_formula,
                 "for each feature j and permutation p: X_p = X.copy(); X_p[:, j] = X[p, j]"),
        Property("unused feature gets 0, decisive one its accuracy drop", 0.5, perm_null_feature,
                 "importance = baseline − permuted (positive when the model gets worse)"),
        Property("other inputs", 1.0, perm_hidden, "predictions are (X @ w + b > 0)", visible=False),
    ), UNIT),
    Check("xai-pdp", "partial_dependence", (
        Property("PD(z) = mean_k σ(w·x_k(j:=z) + b)", 1.0, pdp_formula,
                 "set column `feature` to z for ALL rows, then average the predicted probabilities"),
        Property("flat PD for an unused feature", 0.5, pdp_flat,
                 "average the predictions, not the inputs (σ of the mean row is not the mean of σ)"),
        Property("other inputs", 0.5, pdp_hidden, "one value per grid point", visible=False),
    ), UNIT),
    Check("xai-counterfactual", "linear_counterfactual", (
        Property("closest point on the boundary", 1.0, cf_boundary,
                 "x' = x − (w·x + b) w_M / ‖w_M‖²"),
        Property("immutable features are not changed", 1.0, cf_mutable,
                 "zero the weights of immutable features in the step direction (w_M)"),
        Property("minimal counterfactual for other inputs", 1.0, cf_hidden, "the same formula", visible=False),
    ), UNIT),
    Check("xai-fidelity", "fidelity_r2", (
        Property("R² = 1 − SSE/SST", 1.0, r2_formula, "SST is about the black box's outputs around their mean"),
        Property("a shifted surrogate is not faithful", 0.5, r2_biased,
                 "do not use the squared correlation: it ignores offsets"),
        Property("other inputs (lists, negative R²)", 0.5, r2_hidden, "np.asarray the inputs", visible=False),
    ), UNIT),
)
