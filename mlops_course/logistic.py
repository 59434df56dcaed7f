"""Binary logistic regression in numpy: the one home of the sigmoid, the log-loss and a trainer.

Used by erasure/unlearning (unit 03), the bias generators and fairness penalty (units 04–05),
DP-SGD (unit 07) and the capstone comparison (unit 10). The model is ``P(y = 1 | x) = σ(x·w + b)``
with weights stored bias-last, ``θ = (w, b)``.

* sigmoid: ``σ(z) = 1 / (1 + e^{−z})`` (exactly this expression, so a student's ``1/(1+np.exp(-z))``
  reproduces our numbers bit for bit; for ``z < −709`` ``e^{−z}`` overflows to ``inf`` and ``σ = 0``);
* log-loss from the logit: ``ℓ(z, y) = log(1 + e^z) − y z`` (= ``−y log σ(z) − (1−y) log(1−σ(z))``),
  computed with ``logaddexp`` so it never overflows;
* full-batch gradient descent on ``L(θ) = (1/n) Σ ℓ(zᵢ, yᵢ) + (λ/2)‖w‖²``:
  ``θ ← θ − η ((1/n) Σ (σ(zᵢ) − yᵢ)(xᵢ, 1) + (λw, 0))``.

The trainer sums with element-wise products and numpy reductions in a fixed order (no BLAS, no
randomness), so the same rows in the same order give bit-identical weights — the property exact
unlearning (:mod:`mlops_course.compliance.unlearning`) relies on.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array, check_int, check_positive

__all__ = ["sigmoid", "log_loss", "check_xy", "gradient_descent", "train_logreg", "predict_proba", "accuracy"]


def sigmoid(z: Any) -> np.ndarray:
    """Logistic function ``σ(z) = 1 / (1 + e^{−z})``, element-wise.

    Parameters
    ----------
    z : array_like
        Logits.

    Returns
    -------
    numpy.ndarray
        Values in [0, 1] (0 exactly below z ≈ −709, where ``e^{−z}`` overflows; no warning is shown).

    Examples
    --------
    >>> sigmoid(np.array([0.0, -800.0, 2.0])).round(4).tolist()
    [0.5, 0.0, 0.8808]
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def log_loss(z: Any, y: Any) -> float:
    """Mean log-loss of logits ``z`` against 0/1 labels ``y``: ``(1/n) Σ log(1 + e^{zᵢ}) − yᵢ zᵢ``.

    Parameters
    ----------
    z : array_like, shape (n,)
        Logits ``x·w + b``.
    y : array_like, shape (n,)
        Labels 0/1 (as numbers).

    Returns
    -------
    float

    Examples
    --------
    >>> round(log_loss(np.array([0.0, 0.0]), np.array([0, 1])), 6) == round(float(np.log(2)), 6)
    True
    """
    z = np.asarray(z, dtype=float)
    return float(np.mean(np.logaddexp(0.0, z) - np.asarray(y) * z))


def check_xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate a design matrix and its 0/1 labels; return C-contiguous copies-or-views.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Finite features.
    y : array_like, shape (n,)
        Labels, each 0 or 1.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``X`` and ``y``, C-contiguous.

    Raises
    ------
    ValueError
        Non-finite values, wrong dimensions, different row counts, labels other than 0/1.
    """
    X = check_finite_array("X", X, ndim=2)
    y = check_finite_array("y", y, ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and {y.shape[0]}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must hold only 0/1 labels")
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


def gradient_descent(X: np.ndarray, y: np.ndarray, w: np.ndarray, epochs: int, lr: float, l2: float) -> np.ndarray:
    """``epochs`` full-batch gradient steps on the L2-regularised log-loss from ``w`` (no validation).

    Each step: ``r = σ(X w + b) − y``; ``θ ← θ − η ((1/n) Σ rᵢ (xᵢ, 1) + (λ w, 0))``, with the sums
    taken element-wise (``(X * w).sum(axis=1)``, no matrix product) in a fixed order.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d)
        Validated features (see :func:`check_xy`).
    y : numpy.ndarray, shape (n,)
        0/1 labels.
    w : numpy.ndarray, shape (d + 1,)
        Starting weights, bias last (not modified).
    epochs : int
        Number of steps.
    lr : float
        Step size ``η``.
    l2 : float
        Ridge penalty ``λ`` on ``w`` (the bias is not penalised).

    Returns
    -------
    numpy.ndarray, shape (d + 1,)
        The weights after the last step.
    """
    n = X.shape[0]
    w = w.copy()
    for _ in range(epochs):
        r = sigmoid((X * w[:-1]).sum(axis=1) + w[-1]) - y
        grad = np.append((X * r[:, None]).sum(axis=0) / n + l2 * w[:-1], r.sum() / n)
        w = w - lr * grad
    return w


def train_logreg(X: Any, y: Any, *, epochs: int = 200, lr: float = 0.5, l2: float = 1e-3,
                 init: Any = None) -> np.ndarray:
    """Deterministic logistic regression: full-batch gradient descent from ``init`` (default 0).

    Formula: minimise ``L(w, b) = (1/n) Σ ℓ(σ(xᵢ·w + b), yᵢ) + (λ/2)‖w‖²`` with the log-loss ``ℓ``;
    each epoch ``(w, b) ← (w, b) − η ((1/n) Σ (σ(zᵢ) − yᵢ)(xᵢ, 1) + (λw, 0))``.

    Guarantee: the same ``(X, y)`` (same rows in the same order) gives bit-identical weights —
    the computation uses element-wise products and numpy reductions in a fixed order, no BLAS
    and no randomness.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Finite features.
    y : array_like of 0/1, shape (n,)
        Labels.
    epochs : int, default 200
        Gradient steps, >= 1.
    lr : float, default 0.5
        Step size ``η`` > 0.
    l2 : float, default 1e-3
        Ridge penalty ``λ`` >= 0.
    init : array_like, shape (d + 1,), optional
        Starting weights (the bias last); default zeros.

    Returns
    -------
    numpy.ndarray, shape (d + 1,)
        Weights with the bias last.

    Raises
    ------
    ValueError, TypeError
        Bad shapes, non-finite values, labels other than 0/1, ``epochs < 1``, ``lr <= 0``,
        ``l2 < 0`` or an ``init`` of the wrong shape.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> w = train_logreg(X, y)
    >>> bool(np.array_equal(w, train_logreg(X, y))), bool(w[0] > 0)
    (True, True)
    """
    X, y = check_xy(X, y)
    epochs = check_int("epochs", epochs, minimum=1)
    lr = check_positive("lr", lr)
    if not (isinstance(l2, (int, float)) and np.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    w0 = np.zeros(X.shape[1] + 1) if init is None else check_finite_array("init", init, ndim=1).copy()
    if w0.shape != (X.shape[1] + 1,):
        raise ValueError(f"init must have shape ({X.shape[1] + 1},), got {w0.shape}")
    return gradient_descent(X, y, w0, epochs, lr, float(l2))


def predict_proba(weights: Any, X: Any) -> np.ndarray:
    """``σ(X·w + b)`` for one weight vector (bias last), or the mean over a stack of them (an ensemble).

    Parameters
    ----------
    weights : array_like, shape (d + 1,) or (m, d + 1)
        One model's weights, or ``m`` models' (row by row), bias last.
    X : array_like, shape (n, d)
        Features.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``P(y = 1 | x)`` (averaged over the ``m`` models).

    Raises
    ------
    ValueError
        Non-finite inputs or a weight length other than ``d + 1``.

    Examples
    --------
    >>> predict_proba([1.0, 0.0], [[0.0], [100.0]]).round(3).tolist()
    [0.5, 1.0]
    """
    W = np.atleast_2d(check_finite_array("weights", weights))
    X = check_finite_array("X", X, ndim=2)
    if W.shape[1] != X.shape[1] + 1:
        raise ValueError(f"weights must have {X.shape[1] + 1} entries per model, got {W.shape[1]}")
    return np.mean([sigmoid((X * w[:-1]).sum(axis=1) + w[-1]) for w in W], axis=0)


def accuracy(proba: Any, y: Any, threshold: float = 0.5) -> float:
    """Share of rows where the decision ``1[p > threshold]`` equals the 0/1 label.

    Parameters
    ----------
    proba : array_like, shape (n,)
        Scores ``P(y = 1 | x)`` (or any score compared with ``threshold``).
    y : array_like, shape (n,)
        0/1 labels.
    threshold : float, default 0.5
        Decision threshold (strict: ``p = threshold`` predicts 0).

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    ValueError
        If ``proba`` and ``y`` differ in shape or ``proba`` is not finite.

    Examples
    --------
    >>> accuracy([0.2, 0.7, 0.5], [0, 1, 1])
    0.6666666666666666
    """
    p = check_finite_array("proba", proba, ndim=1)
    y = np.asarray(y)
    if y.shape != p.shape:
        raise ValueError(f"y must have the shape of proba {p.shape}, got {y.shape}")
    return float(np.mean((p > threshold).astype(int) == y))
