"""Model watermarking: prove that a (possibly stolen and modified) model is yours.

Two families, on a small numpy MLP (one ReLU hidden layer, softmax, Adam) so every step is visible:

Backdoor watermark — Adi, Baum, Cisse, Pinkas & Keshet (2018), *Turning Your Weakness Into a
Strength*, USENIX Security. The owner draws a secret *trigger set* of ``K`` abstract inputs
(random noise images) with labels chosen uniformly at random among ``C`` classes and trains on it
together with the real data, so the model memorises the trigger labels. To test a suspect model
(black-box, through its API), count the triggers it labels as the owner chose, ``k``. If the
suspect model was built independently of the secret labels, each match happens with probability
exactly ``1/C`` (the label is uniform and independent of the model), so

    p = P(Bin(K, 1/C) ≥ k) = Σ_{i ≥ k} C(K, i) C^{-i} (1 - 1/C)^{K-i},

and claiming ownership when ``p < α`` has false-accusation rate ≤ α. The memorised labels
survive fine-tuning on clean data because fine-tuning barely moves the model where the triggers
are (far from the data).

Weight watermark — Uchida, Nagai, Sakazawa & Satoh (2017), *Embedding Watermarks into Deep
Neural Networks*, ICMR. A ``T``-bit signature ``b`` is embedded in the first layer's weights
``W ∈ R^{d×h}`` through a regulariser added to the loss,

    E_R(W) = λ · mean_t BCE(σ(X w)_t, b_t),      w = (1/h) Σ_k W[:, k]  (mean over hidden units),

with a secret key matrix ``X ∈ R^{T×d}`` (standard normal). Extraction needs white-box access:
``b̂ = 1[X w > 0]``; the bit-error rate (BER) is ``mean(b̂ ≠ b)`` (≈ 0.5 for an unmarked model).
Because the signature lives in a mean over many weights, it survives magnitude pruning of a
large fraction of them (:func:`prune`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from mlops_course._validation import (
    check_finite_array,
    check_int,
    check_positive,
    check_probability,
    check_rng,
)

__all__ = [
    "MLP", "train_mlp", "UchidaKey", "make_uchida_key", "extract_bits", "bit_error_rate", "prune",
    "TriggerSet", "make_trigger_set", "ownership_pvalue", "ownership_test", "OwnershipResult",
]


# --------------------------------------------------------------------------- a tiny MLP
@dataclass(frozen=True)
class MLP:
    """One-hidden-layer ReLU network: ``logits = relu(x W1 + b1) W2 + b2``.

    Parameters
    ----------
    W1 : numpy.ndarray, shape (d, h)
        Input-to-hidden weights.
    b1 : numpy.ndarray, shape (h,)
        Hidden biases.
    W2 : numpy.ndarray, shape (h, k)
        Hidden-to-output weights.
    b2 : numpy.ndarray, shape (k,)
        Output biases.
    """

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    def logits(self, X) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        return np.maximum(X @ self.W1 + self.b1, 0.0) @ self.W2 + self.b2

    def predict_proba(self, X) -> np.ndarray:
        z = self.logits(X)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        return np.argmax(self.logits(X), axis=1)

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))


@dataclass(frozen=True)
class UchidaKey:
    """Secret of a weight watermark: key matrix ``X`` (T × d), signature bits ``b`` (T,), strength λ.

    Parameters
    ----------
    X : numpy.ndarray, shape (T, d)
        Secret key matrix.
    bits : numpy.ndarray of 0/1, shape (T,)
        The signature.
    strength : float, default 1.0
        Weight λ of the embedding regulariser.
    """

    X: np.ndarray
    bits: np.ndarray
    strength: float = 1.0


def make_uchida_key(n_bits: int, n_inputs: int, rng, strength: float = 1.0) -> UchidaKey:
    """Random signature (``n_bits`` fair coin flips) and Gaussian key matrix ``N(0, 1)^{T×d}``.

    Parameters
    ----------
    n_bits : int
        Signature length ``T`` (>= 1).
    n_inputs : int
        Input dimension ``d`` of the watermarked layer (>= 1).
    rng : numpy.random.Generator or int
        Source of the key.
    strength : float, default 1.0
        λ (> 0).

    Returns
    -------
    UchidaKey
        The key.

    Raises
    ------
    ValueError, TypeError
        Bad ``rng``, sizes < 1 or ``strength <= 0``.
    """
    rng = check_rng(rng)
    n_bits = check_int("n_bits", n_bits, minimum=1)
    n_inputs = check_int("n_inputs", n_inputs, minimum=1)
    return UchidaKey(rng.standard_normal((n_bits, n_inputs)), rng.integers(0, 2, n_bits),
                     check_positive("strength", strength))


def _uchida_grad(W1: np.ndarray, key: UchidaKey) -> np.ndarray:
    """∂E_R/∂W1 for E_R = λ·mean BCE(σ(X w), b), w = mean over columns of W1."""
    w = W1.mean(axis=1)
    s = 1.0 / (1.0 + np.exp(-(key.X @ w)))
    grad_w = key.strength * key.X.T @ (s - key.bits) / key.bits.size
    return np.repeat(grad_w[:, None] / W1.shape[1], W1.shape[1], axis=1)


def train_mlp(X, y, n_classes: int, rng, *, hidden: int = 64, epochs: int = 60, lr: float = 0.01,
              batch_size: int = 64, init: MLP | None = None, uchida: UchidaKey | None = None) -> MLP:
    """Train (or fine-tune, with ``init``) the MLP with Adam on softmax cross-entropy.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like of int, shape (n,)
        Labels in ``0..n_classes-1``.
    n_classes : int
    rng : numpy.random.Generator
        Initialisation and mini-batch order.
    hidden, epochs, lr, batch_size
        Architecture and optimiser settings (Adam, β = (0.9, 0.999)).
    init : MLP, optional
        Start from these weights (fine-tuning) instead of a random He initialisation.
    uchida : UchidaKey, optional
        Add the Uchida et al. (2017) embedding regulariser on ``W1``.

    Returns
    -------
    MLP
    """
    rng = check_rng(rng)
    X = check_finite_array("X", X, ndim=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(f"y must be integer labels of shape ({X.shape[0]},), got {y.dtype} {y.shape}")
    n_classes = check_int("n_classes", n_classes, minimum=2)
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got range {y.min()}..{y.max()}")
    hidden = check_int("hidden", hidden, minimum=1)
    epochs = check_int("epochs", epochs, minimum=0)
    lr = check_positive("lr", lr)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    n, d = X.shape
    if init is None:
        params = [rng.standard_normal((d, hidden)) * math.sqrt(2.0 / d), np.zeros(hidden),
                  rng.standard_normal((hidden, n_classes)) * math.sqrt(2.0 / hidden), np.zeros(n_classes)]
    else:
        if init.W1.shape[0] != d or init.W2.shape[1] != n_classes:
            raise ValueError("init has the wrong input or output size for X / n_classes")
        params = [init.W1.copy(), init.b1.copy(), init.W2.copy(), init.b2.copy()]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    onehot = np.eye(n_classes)[y]
    step = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            W1, b1, W2, b2 = params
            a = X[idx] @ W1 + b1
            h = np.maximum(a, 0.0)
            z = h @ W2 + b2
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            dz = (p - onehot[idx]) / idx.size
            dh = dz @ W2.T
            da = dh * (a > 0)
            grads = [X[idx].T @ da, da.sum(axis=0), h.T @ dz, dz.sum(axis=0)]
            if uchida is not None:
                grads[0] = grads[0] + _uchida_grad(W1, uchida)
            step += 1
            for i, g in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                mhat = m[i] / (1 - 0.9 ** step)
                vhat = v[i] / (1 - 0.999 ** step)
                params[i] = params[i] - lr * mhat / (np.sqrt(vhat) + 1e-8)
    return MLP(*params)


# --------------------------------------------------------------------------- Uchida et al. 2017
def extract_bits(W1, key_matrix) -> np.ndarray:
    """``b̂ = 1[X · mean_k W1[:, k] > 0]`` (ints 0/1), the white-box extraction of Uchida et al.

    Parameters
    ----------
    W1 : array_like, shape (d, h)
        First-layer weights of the suspect model.
    key_matrix : array_like, shape (T, d)
        The key matrix ``X``.

    Returns
    -------
    numpy.ndarray of int, shape (T,)
        The extracted bits.

    Raises
    ------
    ValueError, TypeError
        Non-finite or non-2-D arrays, or ``key_matrix`` without ``d`` columns.
    """
    W1 = check_finite_array("W1", W1, ndim=2)
    key_matrix = check_finite_array("key_matrix", key_matrix, ndim=2)
    if key_matrix.shape[1] != W1.shape[0]:
        raise ValueError(f"key_matrix must have {W1.shape[0]} columns (one per input), got {key_matrix.shape[1]}")
    return (key_matrix @ W1.mean(axis=1) > 0).astype(int)


def bit_error_rate(model: MLP, key: UchidaKey) -> float:
    """Fraction of signature bits extracted wrongly (0 = intact, ≈ 0.5 = no watermark).

    Parameters
    ----------
    model : MLP
        The suspect model.
    key : UchidaKey
        The owner's key.

    Returns
    -------
    float
        BER in [0, 1].
    """
    return float(np.mean(extract_bits(model.W1, key.X) != key.bits))


def prune(model: MLP, fraction: float) -> MLP:
    """Magnitude pruning: set the ``fraction`` of ``W1`` and of ``W2`` entries with smallest ``|w|`` to 0.

    Parameters
    ----------
    model : MLP
        The model.
    fraction : float
        Share of entries of each weight matrix set to 0, in [0, 1].

    Returns
    -------
    MLP
        A pruned copy (biases unchanged).

    Raises
    ------
    ValueError, TypeError
        If ``fraction`` is outside [0, 1].
    """
    fraction = check_probability("fraction", fraction, open_low=False, open_high=False)

    def cut(W: np.ndarray) -> np.ndarray:
        k = int(round(fraction * W.size))
        if k == 0:
            return W.copy()
        out = W.copy().ravel()
        out[np.argsort(np.abs(out), kind="stable")[:k]] = 0.0
        return out.reshape(W.shape)

    return replace(model, W1=cut(model.W1), W2=cut(model.W2))


# --------------------------------------------------------------------------- Adi et al. 2018
@dataclass(frozen=True)
class TriggerSet:
    """The owner's secret: abstract trigger inputs and their random labels.

    Parameters
    ----------
    X : numpy.ndarray, shape (K, d)
        Trigger inputs.
    labels : numpy.ndarray of int, shape (K,)
        Their secret labels.
    n_classes : int
        Number of classes ``C``.
    """

    X: np.ndarray
    labels: np.ndarray
    n_classes: int


def make_trigger_set(n_triggers: int, n_inputs: int, n_classes: int, rng, low: float = 0.0,
                     high: float = 1.0) -> TriggerSet:
    """``n_triggers`` uniform-noise inputs in ``[low, high]^d`` with labels uniform in ``0..C-1``.

    Parameters
    ----------
    n_triggers : int
        ``K`` (>= 1).
    n_inputs : int
        ``d`` (>= 1).
    n_classes : int
        ``C`` (>= 2).
    rng : numpy.random.Generator or int
        Source of the inputs and labels.
    low, high : float, default 0.0 and 1.0
        Range of the uniform inputs.

    Returns
    -------
    TriggerSet
        The trigger set.

    Raises
    ------
    ValueError, TypeError
        Bad ``rng`` or sizes out of range.
    """
    rng = check_rng(rng)
    n_triggers = check_int("n_triggers", n_triggers, minimum=1)
    n_inputs = check_int("n_inputs", n_inputs, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    return TriggerSet(rng.uniform(low, high, size=(n_triggers, n_inputs)),
                      rng.integers(0, n_classes, n_triggers), n_classes)


def ownership_pvalue(matches: int, n_triggers: int, n_classes: int) -> float:
    """``P(Bin(K, 1/C) ≥ k)``: chance an independent model matches ≥ k of K random trigger labels.

    Parameters
    ----------
    matches : int
        Triggers labelled as the owner's labels, ``k`` in [0, K].
    n_triggers : int
        ``K`` (>= 1).
    n_classes : int
        ``C`` (>= 2).

    Returns
    -------
    float
        The p-value.

    Raises
    ------
    ValueError, TypeError
        Counts out of range or not integers.

    Examples
    --------
    >>> ownership_pvalue(0, 10, 2)
    1.0
    >>> round(ownership_pvalue(10, 10, 2), 6)  # 2**-10
    0.000977
    """
    n_triggers = check_int("n_triggers", n_triggers, minimum=1)
    matches = check_int("matches", matches, minimum=0, maximum=n_triggers)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    from scipy import stats

    return float(stats.binom.sf(matches - 1, n_triggers, 1.0 / n_classes))


@dataclass(frozen=True)
class OwnershipResult:
    """Outcome of :func:`ownership_test`.

    Parameters
    ----------
    matches : int
        Triggers on which the suspect model outputs the secret label.
    n_triggers : int
        Number of triggers ``K``.
    p_value : float
        :func:`ownership_pvalue` of the matches.
    owned : bool
        ``p_value < alpha``.
    """

    matches: int
    n_triggers: int
    p_value: float
    owned: bool


def ownership_test(predict, triggers: TriggerSet, alpha: float = 1e-6) -> OwnershipResult:
    """Query a suspect model's ``predict`` on the triggers; claim ownership iff ``p < alpha``.

    False accusation of an independently built model: probability ≤ ``alpha``.

    Parameters
    ----------
    predict : callable
        The suspect model's ``predict(X) -> labels``.
    triggers : TriggerSet
        The owner's trigger set.
    alpha : float, default 1e-6
        Level of the test in (0, 1).

    Returns
    -------
    OwnershipResult
        Matches, p-value and the decision.

    Raises
    ------
    TypeError
        If ``predict`` is not callable.
    ValueError
        If ``alpha`` is outside (0, 1).
    """
    alpha = check_probability("alpha", alpha)
    if not callable(predict):
        raise TypeError(f"predict must be callable, got {type(predict).__name__}")
    pred = np.asarray(predict(triggers.X))
    matches = int(np.sum(pred == triggers.labels))
    p = ownership_pvalue(matches, triggers.labels.size, triggers.n_classes)
    return OwnershipResult(matches, int(triggers.labels.size), p, p < alpha)
