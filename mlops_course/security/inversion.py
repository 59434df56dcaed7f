"""Model inversion: reconstruct what a class looks like from the model's confidences.

Fredrikson, Jha & Ristenpart ("Model Inversion Attacks that Exploit Confidence Information and
Basic Countermeasures", CCS 2015, Alg. 1 *MI-Face*) recover a recognisable face of a person
from a face-recognition API that returns confidences: gradient descent on the input of

    c(x) = 1 − f̃_t(x) + AuxTerm(x),   here AuxTerm(x) = λ ‖x‖²,

projected onto the valid input range after every step, where ``f̃_t(x)`` is the confidence the
model gives class ``t`` and AuxTerm is the paper's optional case-specific prior (here an L2
penalty; λ = 0 by default). A black-box attacker estimates the gradient from the API's answers by
central differences, ``∂f̃_t/∂x_j ≈ (f̃_t(x + h e_j) − f̃_t(x − h e_j)) / 2h`` (2d + 1 queries per
step: the 2d probes and ``x`` itself, for the cost).

What the attack returns is a *class representative* (a prototypical member), not a particular
training record; it leaks most when a class is one person (faces) or a small group.

Defence (Fredrikson et al. §7): **round the confidences**. Differences of rounded answers are 0
for small steps h, so the estimated gradient vanishes and the attack stalls; an attacker who
knows this increases h, which recovers part of the signal (coarser gradients) — rounding raises
the cost and degrades the result but is not a guarantee. Differential privacy (unit 07) bounds
what any single record contributes.

:func:`class_identification` measures success without a human judge: the reconstruction of class
t should be closer (by correlation) to the mean training image of class t than of any other class.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlops_course._validation import check_finite_array, check_int, check_nonnegative, check_positive

__all__ = ["InversionResult", "invert_class", "class_identification"]


@dataclass(frozen=True)
class InversionResult:
    """The reconstruction, the confidence the model gives it and the queries spent.

    Parameters
    ----------
    x : numpy.ndarray, shape (d,)
        The best reconstruction found.
    confidence : float
        The model's probability of the target class at ``x``.
    queries : int
        Rows sent to the API.
    costs : numpy.ndarray, shape (steps,)
        Cost ``1 − f̃_t(x) + λ‖x‖²`` at each step.
    """

    x: np.ndarray
    confidence: float
    queries: int
    costs: np.ndarray


def invert_class(query: Callable[[np.ndarray], np.ndarray], target: int, n_features: int, *,
                 steps: int = 100, step_size: float = 1.0, h: float = 1e-3, l2: float = 0.0,
                 lower: float = 0.0, upper: float = 1.0, x0: np.ndarray | None = None) -> InversionResult:
    """MI-Face (Fredrikson et al. 2015, Alg. 1) with black-box central-difference gradients.

    Minimise ``c(x) = 1 − f̃_t(x) + AuxTerm(x)``, here ``AuxTerm(x) = λ‖x‖²``, by projected gradient
    descent: ``x ← clip(x − η ∇̂c(x), lower, upper)``, with ``∇̂`` estimated from ``2d + 1`` queries
    per step (``x`` for the cost, ``x ± h e_j`` for the gradient). The best iterate (lowest cost) is returned.

    Parameters
    ----------
    query : callable
        ``query(X) -> probabilities`` of shape (n, k) (e.g. ``PredictionAPI(...).query``).
    target : int
        Class t to reconstruct.
    n_features : int
        d.
    steps : int, default 100
        Gradient steps α (>= 1).
    step_size : float, default 1.0
        η > 0.
    h : float, default 1e-3
        Finite-difference step (> 0).
    l2 : float, default 0
        λ >= 0 (Fredrikson's AuxTerm; pulls towards a dark image).
    lower, upper : float
        Valid input range (pixels: 0 and 1).
    x0 : array of shape (d,), optional
        Start (default: the mid-grey image ``(lower + upper)/2``).

    Returns
    -------
    InversionResult
        ``x`` (shape (d,)), ``confidence`` ``f̃_t(x)``, ``queries`` used and ``costs`` per step.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> g = np.random.default_rng(0); X = g.random((200, 2)); y = (X[:, 0] > X[:, 1]).astype(int)
    >>> m = LogisticRegression().fit(X, y)
    >>> r = invert_class(m.predict_proba, 1, 2, steps=50, step_size=5.0)
    >>> r.x.round(2).tolist()  # the most class-1 input: x0 high, x1 low
    [1.0, 0.0]
    """
    if not callable(query):
        raise TypeError(f"query must be callable, got {type(query).__name__}")
    d = check_int("n_features", n_features, minimum=1)
    target = check_int("target", target, minimum=0)
    steps = check_int("steps", steps, minimum=1)
    step_size = check_positive("step_size", step_size)
    h = check_positive("h", h)
    l2 = check_nonnegative("l2", l2)
    if not lower < upper:
        raise ValueError(f"lower must be < upper, got {lower!r} >= {upper!r}")
    x = np.full(d, 0.5 * (lower + upper)) if x0 is None else check_finite_array("x0", x0, ndim=1).copy()
    if x.shape != (d,):
        raise ValueError(f"x0 must have shape ({d},), got {x.shape}")
    eye = np.eye(d) * h

    def confidence(X: np.ndarray) -> np.ndarray:
        P = np.asarray(query(X), dtype=float)
        if P.ndim != 2 or P.shape[0] != X.shape[0] or target >= P.shape[1]:
            raise ValueError(f"query must return probabilities of shape (n, k > target), got {P.shape}")
        return P[:, target]

    queries = 0
    best_x, best_cost, best_conf = x.copy(), np.inf, 0.0
    costs = np.empty(steps)
    for t in range(steps):
        probe = np.vstack([x[None, :], x + eye, x - eye])
        conf = confidence(probe)
        queries += probe.shape[0]
        cost = 1.0 - conf[0] + l2 * float(x @ x)
        costs[t] = cost
        if cost < best_cost:
            best_x, best_cost, best_conf = x.copy(), cost, float(conf[0])
        grad = -(conf[1:d + 1] - conf[d + 1:]) / (2.0 * h) + 2.0 * l2 * x
        x = np.clip(x - step_size * grad, lower, upper)
    return InversionResult(best_x, best_conf, queries, costs)


def class_identification(reconstructions: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For each reconstruction (row t = class t), the class whose mean input it correlates with most.

    ``ident_t = argmax_c corr(x̂_t, mean{x_i : y_i = c})``. The attack "identifies" class t when
    ``ident_t = t``; chance level is 1/k.

    Parameters
    ----------
    reconstructions : array of shape (k, d)
    X : array of shape (n, d)
        Reference data (e.g. the training images).
    y : array of int, shape (n,)
        Labels 0..k-1.

    Returns
    -------
    numpy.ndarray
        Shape (k,), the identified class of every reconstruction.
    """
    R = check_finite_array("reconstructions", reconstructions, ndim=2)
    X = check_finite_array("X", X, ndim=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or R.shape[1] != X.shape[1]:
        raise ValueError(f"need y of shape ({X.shape[0]},) and reconstructions with {X.shape[1]} columns")
    classes = np.unique(y)
    means = np.vstack([X[y == c].mean(axis=0) for c in classes])

    def standardise(A: np.ndarray) -> np.ndarray:
        A = A - A.mean(axis=1, keepdims=True)
        norm = np.linalg.norm(A, axis=1, keepdims=True)
        return A / np.where(norm > 0, norm, 1.0)

    corr = standardise(R) @ standardise(means).T
    return classes[np.argmax(corr, axis=1)]
