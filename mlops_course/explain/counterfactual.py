"""Counterfactual explanations: the smallest change to the input that changes the decision.

"You were refused the loan; had your monthly debt been 400 lower you would have been approved."
A counterfactual (Wachter, Mittelstadt & Russell 2018) is a point ``x'`` close to ``x`` with a
different decision. It needs no access to the model's internals and speaks the applicant's
language. Wachter et al. (2018) propose counterfactuals as one way to give "meaningful
information about the logic involved" (GDPR Art. 13(2)(f), 14(2)(g), 15(1)(h)); the text does
not require them. Immutable
(and protected) features — race, sex, age — must not be changed, so only ``mutable`` features
move, each measured in its own scale ``s_j`` (e.g. its standard deviation)::

    x' = argmin ‖(x' − x) / s‖₂   subject to   decision(x') ≠ decision(x),  x'_j = x_j for immutable j.

*Linear model, closed form.* For ``w·x + b`` and a target value ``t`` of the linear predictor
(``t = logit(threshold)`` plus a margin for a logistic model) the minimiser is the weighted
projection onto the hyperplane (Lagrange multipliers)::

    x' = x + (t − w·x − b) · (s² ⊙ w_M) / Σ_{j∈M} s_j² w_j²      (w_M: w with immutable entries zeroed)

*Any model: Growing Spheres* (Laugel et al. 2018). Sample points uniformly in spherical shells of
growing radius around ``x`` (in the scaled, mutable coordinates), stop at the first shell that
contains a point with the other decision, take the closest, then *sparsify*: reset changed
features to their original values, smallest change first, as long as the decision stays flipped.

References
----------
S. Wachter, B. Mittelstadt, C. Russell, "Counterfactual explanations without opening the black
box", Harvard J. Law & Technology 31, 2018. T. Laugel, M.-J. Lesot, C. Marsala, X. Renard,
M. Detyniecki, "Comparison-based inverse classification for interpretability in machine
learning", IPMU 2018 (Growing Spheres).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array, check_int, check_positive, check_rng
from mlops_course.explain._checks import Predict, check_predict, model_output

__all__ = ["Counterfactual", "linear_counterfactual", "growing_spheres"]


@dataclass(frozen=True)
class Counterfactual:
    """A counterfactual ``x_cf`` of ``x``: distance ``‖(x_cf − x)/s‖₂``, model output at ``x_cf``.

    Parameters
    ----------
    x : numpy.ndarray, shape (d,)
        The original instance.
    x_cf : numpy.ndarray, shape (d,)
        The counterfactual instance.
    distance : float
        Scaled distance ``‖(x_cf − x)/s‖₂`` with the per-feature scales ``s`` of the search.
    prediction : float
        Model output at ``x_cf``.
    """

    x: np.ndarray
    x_cf: np.ndarray
    distance: float
    prediction: float

    @property
    def changed(self) -> np.ndarray:
        """Indices of the features that differ."""
        return np.flatnonzero(self.x_cf != self.x)

    def changes(self, feature_names: Sequence[str] | None = None) -> list[tuple[str, float, float]]:
        """``(name, from, to)`` for every changed feature."""
        names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(self.x.size)]
        return [(names[j], float(self.x[j]), float(self.x_cf[j])) for j in self.changed]


def _mask_and_scale(m: int, mutable: Any, scale: Any) -> tuple[np.ndarray, np.ndarray]:
    if mutable is None:
        mask = np.ones(m, dtype=bool)
    else:
        mask = np.asarray(mutable)
        if mask.dtype != bool:
            idx = check_finite_array("mutable", mutable, ndim=1, dtype=float)
            if np.any(idx != np.round(idx)) or np.any((idx < 0) | (idx >= m)):
                raise ValueError(f"mutable must be feature indices in 0..{m - 1} or a boolean mask, got {mutable!r}")
            mask = np.zeros(m, dtype=bool)
            mask[idx.astype(int)] = True
        elif mask.shape != (m,):
            raise ValueError(f"a boolean mutable mask must have shape ({m},), got {mask.shape}")
    if not mask.any():
        raise ValueError("mutable must allow at least one feature to change")
    s = np.ones(m) if scale is None else check_finite_array("scale", scale, ndim=1)
    if s.shape != (m,) or np.any(s <= 0):
        raise ValueError(f"scale must hold {m} numbers > 0, got {s!r}")
    return mask, s


def linear_counterfactual(coef: Any, intercept: float, x: Any, *, target: float = 0.0, mutable: Any = None,
                          scale: Any = None, margin: float = 0.0) -> Counterfactual:
    """Closest point (weighted L2) on ``w·x' + b = t'`` that changes only mutable features.

    Formula: ``x' = x + (t' − w·x − b) · (s² ⊙ w_M) / Σ_{j∈M} s_j² w_j²`` with
    ``t' = t + margin · sign(t − w·x − b)``: the landing value lies ``margin`` *beyond* the target,
    on the far side from ``x``.

    Why a margin: with ``margin=0`` the point lands exactly on the boundary, where rounding decides
    the side (``w·x' + b`` is ``t`` only up to ~1e-16), so ``predict(x') ≥ 0.5`` holds for roughly
    half of the applicants — the "advice" does not change the decision. A margin ``m > 0`` guarantees
    ``w·x' + b − t`` has the sign of the move and magnitude ``m`` (up to rounding far below ``m``).

    Guarantee: the unique minimiser of ``‖(x' − x)/s‖₂`` subject to ``w·x' + b = t`` and
    ``x'_j = x_j`` for immutable ``j``; its distance is ``|t − w·x − b| / ‖s ⊙ w_M‖₂``.

    Parameters
    ----------
    coef : array_like, shape (M,)
        ``w`` of the linear predictor (log-odds for logistic regression).
    intercept : float
        ``b``.
    x : array_like, shape (M,)
    target : float
        Desired value ``t`` of the linear predictor (0 = the 50% boundary of a logistic model;
        add a margin, e.g. ``logit(0.6)``, to land safely on the other side).
    mutable : array_like of int or bool, optional
        Features allowed to change (default: all).
    scale : array_like, shape (M,), optional
        Per-feature scale ``s_j > 0`` (default 1).
    margin : float
        ``m >= 0``: land ``m`` past the target on the far side from ``x`` (default 0: on the
        boundary itself; use e.g. ``0.1`` log-odds so the decision really flips).

    Returns
    -------
    Counterfactual
        ``prediction`` is the linear predictor at ``x'`` (= ``t'``).

    Raises
    ------
    ValueError, TypeError
        NaN/inf, mismatched shapes, no mutable feature, mutable features that all have zero
        weight (no change of them can move the decision), or a negative ``margin``.

    Examples
    --------
    >>> cf = linear_counterfactual([1.0, 1.0], -1.0, [0.0, 0.0], mutable=[1])
    >>> cf.x_cf.tolist(), cf.distance
    ([0.0, 1.0], 1.0)
    >>> linear_counterfactual([1.0, 1.0], -1.0, [0.0, 0.0], mutable=[1], margin=0.5).x_cf.tolist()
    [0.0, 1.5]
    """
    w = check_finite_array("coef", coef, ndim=1)
    x = check_finite_array("x", x, ndim=1)
    if x.shape != w.shape:
        raise ValueError(f"x must have the same length as coef ({w.size}), got shape {x.shape}")
    b = float(check_finite_array("intercept", intercept, ndim=0))
    t = float(check_finite_array("target", target, ndim=0))
    m = float(check_finite_array("margin", margin, ndim=0))
    if m < 0:
        raise ValueError(f"margin must be >= 0 (a distance past the target), got {margin!r}")
    mask, s = _mask_and_scale(w.size, mutable, scale)
    wm = np.where(mask, w, 0.0)
    denom = float(np.sum((s * wm) ** 2))
    if denom == 0.0:
        raise ValueError("the mutable features all have zero weight: no counterfactual can change the decision")
    gap = t - float(w @ x) - b
    gap += m * np.sign(gap)  # land `margin` beyond the target, on the far side from x
    x_cf = x + gap * s**2 * wm / denom
    return Counterfactual(x=x, x_cf=x_cf, distance=float(abs(gap) / np.sqrt(denom)), prediction=float(w @ x_cf + b))


def growing_spheres(predict: Predict, x: Any, *, rng: np.random.Generator | int, threshold: float = 0.5,
                    mutable: Any = None, scale: Any = None, lower: Any = None, upper: Any = None,
                    step: float = 0.1, n_per_layer: int = 1000, max_radius: float = 10.0,
                    sparsify: bool = True) -> Counterfactual | None:
    """Model-agnostic counterfactual by Growing Spheres (Laugel et al. 2018).

    The decision is ``predict(x) >= threshold``. Shell ``k`` holds the points ``x + s ⊙ u`` with
    ``u`` uniform in ``{k·step <= ‖u‖ <= (k+1)·step}`` on the mutable coordinates (clipped to
    ``[lower, upper]``); the first shell containing a flipped decision gives the closest such point,
    which is then sparsified.

    Parameters
    ----------
    predict : callable
        ``predict(X) -> (n,)`` scores (e.g. approval probability).
    x : array_like, shape (M,)
    rng : numpy.random.Generator or int
    threshold : float
        Decision threshold on the score.
    mutable, scale
        As in :func:`linear_counterfactual`.
    lower, upper : array_like, shape (M,), optional
        Feasible box (e.g. income >= 0).
    step : float
        Shell width in scaled units.
    n_per_layer : int
        Points sampled per shell.
    max_radius : float
        Give up beyond this scaled distance.
    sparsify : bool
        Reset unnecessary changes (fewer changed features, easier to act on).

    Returns
    -------
    Counterfactual or None
        ``None`` when no counterfactual exists within ``max_radius``. ``distance`` is the
        scaled L2 distance (an upper bound on the optimum, within about one ``step`` of it when
        the shell is densely sampled).

    Raises
    ------
    ValueError, TypeError
        Bad arrays, no mutable feature, non-positive ``step``/``max_radius``, a box that excludes ``x``.

    Examples
    --------
    >>> f = lambda Z: (Z[:, 0] + Z[:, 1] > 1.0).astype(float)
    >>> cf = growing_spheres(f, [0.0, 0.0], rng=0, mutable=[0], step=0.05)
    >>> bool(1.0 <= cf.x_cf[0] <= 1.06), float(cf.x_cf[1])
    (True, 0.0)
    """
    predict = check_predict(predict)
    x = check_finite_array("x", x, ndim=1)
    m = x.size
    mask, s = _mask_and_scale(m, mutable, scale)
    rng = check_rng(rng)
    thr = float(check_finite_array("threshold", threshold, ndim=0))
    step = check_positive("step", step)
    max_radius = check_positive("max_radius", max_radius)
    n = check_int("n_per_layer", n_per_layer, minimum=1)
    lo = np.full(m, -np.inf) if lower is None else check_finite_array("lower", lower, ndim=1)
    hi = np.full(m, np.inf) if upper is None else check_finite_array("upper", upper, ndim=1)
    if lo.shape != (m,) or hi.shape != (m,) or np.any(x < lo) or np.any(x > hi):
        raise ValueError("lower and upper must have one entry per feature and contain x")
    start = model_output(predict, x[None, :])[0] >= thr
    d = int(mask.sum())
    k = 0
    while k * step < max_radius:
        direction = rng.normal(size=(n, d))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        r0, r1 = k * step, (k + 1) * step
        radius = (rng.uniform(r0**d, r1**d, size=n)) ** (1.0 / d)  # uniform in the shell's volume
        cand = np.repeat(x[None, :], n, axis=0)
        cand[:, mask] += direction * radius[:, None] * s[mask]
        cand = np.clip(cand, lo, hi)
        flipped = (model_output(predict, cand) >= thr) != start
        if flipped.any():
            dist = np.linalg.norm((cand[flipped] - x) / s, axis=1)
            best = cand[flipped][int(np.argmin(dist))]
            if sparsify:
                for j in np.argsort(np.abs((best - x) / s)):
                    if best[j] == x[j]:
                        continue
                    trial = best.copy()
                    trial[j] = x[j]
                    if (model_output(predict, trial[None, :])[0] >= thr) != start:
                        best = trial
            return Counterfactual(x=x, x_cf=best, distance=float(np.linalg.norm((best - x) / s)),
                                  prediction=float(model_output(predict, best[None, :])[0]))
        k += 1
    return None
