"""Targets of the attacks: data splits, logits and input gradients of scikit-learn models.

The attacks of unit 01 need two things scikit-learn does not expose: the **logits** of a model
and the **gradient of its loss with respect to the input**. Both are written here for
scikit-learn's fitted :class:`~sklearn.linear_model.LogisticRegression` and
:class:`~sklearn.neural_network.MLPClassifier` (any activation), from their public attributes
``coef_``/``intercept_`` and ``coefs_``/``intercepts_``.

Cross-entropy loss of one example with label ``y`` and logits ``z = f(x)``:

* multi-class (softmax): ``L = -z_y + logsumexp(z)``, so ``∂L/∂z = softmax(z) - e_y``;
* binary (one logit ``z``, ``p = sigmoid(z)``): ``L = log(1 + e^z) - y z``, so ``∂L/∂z = p - y``.

The chain rule through the network gives ``∂L/∂x`` (for logistic regression ``Wᵀ(p - e_y)``).
This is exactly the gradient FGSM and PGD follow (Goodfellow et al. 2015; Madry et al. 2018).

The data helpers wrap :mod:`mlops_course.datasets` (scikit-learn's bundled data, no download) with
the "permutation" split from an ``rng`` and the valid feature range the attacks clip to:

* :func:`digits_split` — 8×8 handwritten digits, 1,797 images, pixels scaled to [0, 1];
* :func:`breast_cancer_split` — 569 tumours × 30 features, standardised with the training split.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, softmax

from mlops_course._validation import check_finite_array, check_rng

__all__ = ["Split", "digits_split", "breast_cancer_split", "logits", "predict_proba", "loss_per_example",
           "input_gradient", "accuracy", "agreement", "SoftmaxModel", "dpsgd_softmax"]

_ACTIVATIONS = {
    "relu": (lambda a: np.maximum(a, 0.0), lambda a, h: (a > 0).astype(float)),
    "tanh": (np.tanh, lambda a, h: 1.0 - h**2),
    "logistic": (expit, lambda a, h: h * (1.0 - h)),
    "identity": (lambda a: a, lambda a, h: np.ones_like(a)),
}


@dataclass(frozen=True)
class Split:
    """A train/test split: features, integer labels and the valid feature range.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : numpy.ndarray
        Features and integer labels ``0..k-1``.
    lower, upper : float or None, default None
        Valid feature range an attack must stay in (None: unbounded).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    lower: float | None = None  # valid feature range (None: unbounded)
    upper: float | None = None

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def digits_split(rng: np.random.Generator, test_fraction: float = 0.3) -> Split:
    """scikit-learn's 8×8 digits (1,797 images, 10 classes), pixels scaled from 0..16 to [0, 1].

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the random split.
    test_fraction : float, default 0.3
        Share of images held out, in (0, 1).

    Returns
    -------
    Split
        With ``lower = 0`` and ``upper = 1`` (the valid pixel range).

    Examples
    --------
    >>> s = digits_split(np.random.default_rng(0))
    >>> s.X_train.shape, s.X_test.shape, s.n_classes
    ((1258, 64), (539, 64), 10)
    """
    from mlops_course.datasets import load_digits_split  # here: datasets imports pandas, this module does not

    s = load_digits_split(split="permutation", test_fraction=test_fraction, rng=check_rng(rng))
    return Split(s.X_train, s.y_train, s.X_test, s.y_test, 0.0, 1.0)


def breast_cancer_split(rng: np.random.Generator, test_fraction: float = 0.3) -> Split:
    """scikit-learn's breast-cancer data (569 × 30, labels 0 = malignant, 1 = benign), standardised.

    The mean and standard deviation come from the training split only.

    Parameters
    ----------
    rng : numpy.random.Generator
    test_fraction : float, default 0.3

    Returns
    -------
    Split
        Unbounded features (``lower = upper = None``).

    Examples
    --------
    >>> s = breast_cancer_split(np.random.default_rng(0))
    >>> s.X_train.shape, s.n_classes
    ((398, 30), 2)
    """
    from mlops_course.datasets import load_breast_cancer_split  # (pandas, see digits_split)

    s = load_breast_cancer_split(split="permutation", test_fraction=test_fraction, rng=check_rng(rng))
    return Split(s.X_train, s.y_train, s.X_test, s.y_test)


# --------------------------------------------------------------------------- forward / backward
def _kind(model: Any) -> str:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    if (isinstance(model, LogisticRegression) and hasattr(model, "coef_")) or isinstance(model, SoftmaxModel):
        return "linear"
    if isinstance(model, MLPClassifier) and hasattr(model, "coefs_"):
        return "mlp"
    raise TypeError("model must be a fitted sklearn LogisticRegression or MLPClassifier or a SoftmaxModel, "
                    f"got {type(model).__name__}")


def _check_X(model: Any, X: Any) -> np.ndarray:
    _kind(model)
    X = check_finite_array("X", X, ndim=2)
    d = model.n_features_in_
    if X.shape[1] != d:
        raise ValueError(f"X must have {d} columns (the model's features), got shape {X.shape}")
    return X


def _forward(model: Any, X: np.ndarray) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Logits, shape (n, k) (k = 1 for a binary model), and the MLP's (pre-activation, activation) cache."""
    if _kind(model) == "linear":
        return X @ model.coef_.T + model.intercept_, []
    act, _ = _ACTIVATIONS[model.activation]
    h, cache = X, []
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1], strict=True):
        a = h @ W + b
        h = act(a)
        cache.append((a, h))
    return h @ model.coefs_[-1] + model.intercepts_[-1], cache


def logits(model: Any, X: Any) -> np.ndarray:
    """Logits ``z = f(x)`` of a fitted LogisticRegression / MLPClassifier.

    Shape (n,) for a binary model (``P(y=1) = sigmoid(z)``), (n, k) for k > 2 classes
    (``P = softmax(z)``); equal to ``model.decision_function`` for logistic regression.

    Parameters
    ----------
    model : LogisticRegression or MLPClassifier (fitted)
    X : array of shape (n, d)

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    TypeError
        If ``model`` is not one of the supported fitted models.
    ValueError
        If ``X`` has the wrong shape or non-finite values.
    """
    X = _check_X(model, X)
    z, _ = _forward(model, X)
    return z[:, 0] if z.shape[1] == 1 else z


def predict_proba(model: Any, X: Any) -> np.ndarray:
    """Class probabilities, shape (n, k) with k >= 2 (same as ``model.predict_proba``).

    Parameters
    ----------
    model : LogisticRegression, MLPClassifier (fitted) or SoftmaxModel
    X : array of shape (n, d)

    Returns
    -------
    numpy.ndarray
        ``[1 − σ(z), σ(z)]`` for a binary model, ``softmax(z)`` otherwise.
    """
    z = logits(model, X)
    if z.ndim == 1:
        p = expit(z)
        return np.column_stack([1.0 - p, p])
    return softmax(z, axis=1)


def _check_y(model: Any, y: Any, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must be 1-dimensional with one label per row of X ({n}), got shape {y.shape}")
    classes = np.asarray(model.classes_)
    if not np.array_equal(classes, np.arange(classes.size)):
        raise ValueError(f"the model's classes must be 0..k-1, got {classes.tolist()}")
    if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= classes.size):
        raise ValueError(f"y must hold integer labels in 0..{classes.size - 1}")
    return y.astype(int)


def loss_per_example(model: Any, X: Any, y: Any) -> np.ndarray:
    """Cross-entropy ``-log P(y | x)`` of every example, shape (n,), computed stably from the logits.

    Parameters
    ----------
    model : LogisticRegression, MLPClassifier (fitted, classes 0..k-1) or SoftmaxModel
    X : array of shape (n, d)
    y : array of int, shape (n,)

    Returns
    -------
    numpy.ndarray
        ``log(1 + e^z) − y z`` (binary) or ``logsumexp(z) − z_y``.

    Raises
    ------
    TypeError, ValueError
        On an unsupported model, wrong shapes or labels outside 0..k-1.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> m = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> bool(np.allclose(loss_per_example(m, [[0.0]], [0]), -np.log(m.predict_proba([[0.0]])[:, 0])))
    True
    """
    X = _check_X(model, X)
    y = _check_y(model, y, X.shape[0])
    z, _ = _forward(model, X)
    if z.shape[1] == 1:
        z1 = z[:, 0]
        return np.logaddexp(0.0, z1) - y * z1
    zmax = z.max(axis=1, keepdims=True)
    lse = (zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)))[:, 0]
    return lse - z[np.arange(len(y)), y]


def input_gradient(model: Any, X: Any, y: Any) -> np.ndarray:
    """Gradient of each example's cross-entropy loss with respect to its input, shape (n, d).

    Formula: ``∂L/∂z = softmax(z) - e_y`` (``sigmoid(z) - y`` for a binary model), propagated back
    through the layers: ``δ ← (δ Wᵀ) ⊙ act'(a)``; the result is ``δ W₁ᵀ``. For logistic
    regression this is ``(p - e_y) W``.

    Parameters
    ----------
    model : LogisticRegression or MLPClassifier (fitted, classes 0..k-1)
    X : array of shape (n, d)
    y : array of int, shape (n,)
        The labels whose loss is differentiated (true labels for an untargeted attack).

    Returns
    -------
    numpy.ndarray
        ``∂L(x_i, y_i)/∂x_i`` row by row.

    Raises
    ------
    TypeError, ValueError
        On an unsupported model, wrong shapes, non-finite inputs or labels outside 0..k-1.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> m = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> float(np.sign(input_gradient(m, [[0.5]], [1])[0, 0]))  # raising x lowers the loss of class 1
    -1.0
    """
    X = _check_X(model, X)
    y = _check_y(model, y, X.shape[0])
    z, cache = _forward(model, X)
    if z.shape[1] == 1:
        delta = expit(z) - y[:, None]
    else:
        delta = softmax(z, axis=1)
        delta[np.arange(len(y)), y] -= 1.0
    if _kind(model) == "linear":
        return delta @ model.coef_
    _, dact = _ACTIVATIONS[model.activation]
    for layer in range(len(model.coefs_) - 1, 0, -1):
        a, h = cache[layer - 1]
        delta = (delta @ model.coefs_[layer].T) * dact(a, h)
    return delta @ model.coefs_[0].T


def accuracy(model: Any, X: Any, y: Any) -> float:
    """Share of correct predictions ``mean(model.predict(X) == y)``.

    Parameters
    ----------
    model : object with ``predict``
    X : array of shape (n, d)
    y : array of shape (n,)

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``X`` is not finite and 2-d or ``y`` does not have one label per row.
    """
    X = check_finite_array("X", X, ndim=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    return float(np.mean(model.predict(X) == y))


def agreement(model_a: Any, model_b: Any, X: Any) -> float:
    """Share of inputs on which two models predict the same label (extraction fidelity).

    Parameters
    ----------
    model_a, model_b : objects with ``predict``
    X : array of shape (n, d)

    Returns
    -------
    float
        ``mean(model_a.predict(X) == model_b.predict(X))``.
    """
    X = check_finite_array("X", X, ndim=2)
    return float(np.mean(model_a.predict(X) == model_b.predict(X)))


# --------------------------------------------------------------------------- DP-SGD softmax regression
@dataclass(frozen=True)
class SoftmaxModel:
    """A multinomial logistic regression ``P(y | x) = softmax(x Wᵀ + b)`` with the (ε, δ) it spent.

    Has the scikit-learn prediction API (``predict``, ``predict_proba``, ``decision_function``,
    ``coef_``, ``intercept_``, ``classes_``).

    Parameters
    ----------
    coef_ : numpy.ndarray, shape (k, d)
    intercept_ : numpy.ndarray, shape (k,)
    epsilon, delta : float
        The (ε, δ) the training spent (``inf`` without noise).
    noise_multiplier : float
        σ used.
    """

    coef_: np.ndarray
    intercept_: np.ndarray
    epsilon: float
    delta: float
    noise_multiplier: float

    @property
    def classes_(self) -> np.ndarray:
        return np.arange(self.coef_.shape[0])

    @property
    def n_features_in_(self) -> int:
        return int(self.coef_.shape[1])

    def decision_function(self, X: Any) -> np.ndarray:
        X = check_finite_array("X", X, ndim=2)
        if X.shape[1] != self.coef_.shape[1]:
            raise ValueError(f"X must have {self.coef_.shape[1]} columns, got shape {X.shape}")
        return X @ self.coef_.T + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        return softmax(self.decision_function(X), axis=1)

    def predict(self, X: Any) -> np.ndarray:
        return np.argmax(self.decision_function(X), axis=1)

    def score(self, X: Any, y: Any) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))


def dpsgd_softmax(X: Any, y: Any, *, noise_multiplier: float, delta: float, rng: np.random.Generator,
                  n_classes: int | None = None, sampling_rate: float = 0.1, steps: int = 500,
                  clip_norm: float = 1.0, learning_rate: float = 1.0) -> SoftmaxModel:
    """DP-SGD (Abadi et al. 2016) for multinomial logistic regression; the multi-class sibling of
    :func:`mlops_course.privacy.dp.dpsgd.dpsgd_logreg`, with the same accounting.

    The sampling, clipping and noise are :func:`mlops_course.privacy.dp.dpsgd.poisson_batch` and
    :func:`~mlops_course.privacy.dp.dpsgd.clipped_noisy_sum`, shared with the binary DP-SGD
    (imported when called: privacy.dp is not imported by this module).
    Per step: Poisson sample with rate q; per-example gradient ``gᵢ = (pᵢ − e_{yᵢ}) ⊗ [xᵢ, 1]``
    (norm ``‖pᵢ − e_{yᵢ}‖·‖[xᵢ, 1]‖``) clipped to L2 norm C; ``g̃ = (Σ gᵢ + N(0, σ²C² I)) / (q n)``;
    ``θ ← θ − η g̃``. The (ε, δ) of T steps comes from
    :func:`mlops_course.privacy.dp.dpsgd.dpsgd_epsilon` (RDP of the sampled Gaussian mechanism).
    ``noise_multiplier = 0`` trains without noise (ε = inf): the clipped non-private baseline.

    Parameters
    ----------
    X : array of shape (n, d)
    y : array of int, shape (n,)
        Labels 0..k-1.
    noise_multiplier : float
        σ >= 0.
    delta : float
        δ in (0, 1).
    rng : numpy.random.Generator
    n_classes : int, optional
        k (default ``max(y) + 1``).
    sampling_rate, steps, clip_norm, learning_rate
        q in (0, 1], T >= 1, C > 0, η > 0.

    Returns
    -------
    SoftmaxModel
    """
    from mlops_course._validation import check_int
    from mlops_course.privacy.dp.dpsgd import (
        check_dpsgd_settings,
        clipped_noisy_sum,
        dpsgd_epsilon,
        poisson_batch,
    )

    X = check_finite_array("X", X, ndim=2)
    n, d = X.shape
    y = np.asarray(y)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError(f"y must hold one integer label >= 0 per row of X, got shape {y.shape}")
    k = int(y.max()) + 1 if n_classes is None else check_int("n_classes", n_classes, minimum=int(y.max()) + 1)
    sigma, delta, q, steps, C, lr = check_dpsgd_settings(
        noise_multiplier, delta, sampling_rate, steps, clip_norm, learning_rate
    )
    rng = check_rng(rng)
    Xa = np.hstack([X, np.ones((n, 1))])
    row_norms = np.linalg.norm(Xa, axis=1)
    onehot = np.eye(k)[y]
    theta = np.zeros((k, d + 1))
    for _ in range(steps):
        idx = poisson_batch(n, q, rng)
        resid = softmax(Xa[idx] @ theta.T, axis=1) - onehot[idx]  # (b, k)
        grad = clipped_noisy_sum(resid, Xa[idx], row_norms[idx], C, sigma, rng)  # Σ clip(gᵢ) + noise, (k, d+1)
        theta -= lr * grad / (q * n)
    eps = float("inf") if sigma == 0 else dpsgd_epsilon(sigma, q, steps, delta)
    return SoftmaxModel(theta[:, :d].copy(), theta[:, d].copy(), eps, delta, sigma)
