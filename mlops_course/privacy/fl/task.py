"""The federated task: data, model, local training and evaluation (shared by every engine).

One definition, used by the numpy reference engine (:mod:`~mlops_course.privacy.fl.engine`),
Flower's simulation (:mod:`~mlops_course.privacy.fl.flower_sim`) and the Flower app folder
(``mlops_course/privacy/fl/app``), so all three produce the same numbers for the same seed.

* **Data**: scikit-learn's *digits* (1,797 8×8 images of handwritten digits, shipped offline),
  pixels scaled to [0, 1], split once into train/test with a seed.
* **Model**: a multilayer perceptron with parameters ``[W1, b1, W2, b2, ...]`` (ReLU between
  layers, softmax output). No hidden layer = multinomial logistic regression.
* **Loss**: mean cross-entropy + (λ/2)‖W‖² on the weight matrices.
* **Local training** (McMahan et al. 2017, FedAvg's ClientUpdate): E epochs of minibatch SGD
  from the global weights w_g, with FedProx's proximal term (μ/2)‖w − w_g‖² (Li et al. 2020):

      w ← w − η (∇ℓ_batch(w) + λ W + μ (w − w_g)).

  The minibatch order comes from ``client_rng(seed, round, client)`` so every engine draws the
  same batches for the same client in the same round.

References
----------
H. B. McMahan et al., "Communication-Efficient Learning of Deep Networks from Decentralized
Data", AISTATS 2017. T. Li et al., "Federated Optimization in Heterogeneous Networks" (FedProx),
MLSys 2020.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.special import log_softmax, softmax

from mlops_course._validation import (
    check_finite_array,
    check_int,
    check_nonnegative,
    check_positive,
)

__all__ = [
    "Params",
    "TaskData",
    "TrainConfig",
    "load_digits_task",
    "init_params",
    "initial_params",
    "client_partitions",
    "predict_logits",
    "loss_and_grads",
    "local_train",
    "evaluate",
    "predict_proba",
    "client_rng",
    "flatten",
    "unflatten",
    "num_parameters",
]

Params = list[np.ndarray]


@dataclass(frozen=True)
class TaskData:
    """Train/test arrays of a classification task.

    Parameters
    ----------
    X_train : numpy.ndarray, shape (n_train, d)
        Training features.
    y_train : numpy.ndarray of int, shape (n_train,)
        Training labels in ``0..n_classes − 1``.
    X_test : numpy.ndarray, shape (n_test, d)
        Test features.
    y_test : numpy.ndarray of int, shape (n_test,)
        Test labels.
    n_classes : int
        Number of classes ``k``.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of local training (one client, one round).

    Parameters
    ----------
    epochs : int
        Local epochs E >= 1.
    batch_size : int
        Minibatch size B >= 1 (a client with fewer examples uses one full batch).
    lr : float
        Learning rate η > 0.
    mu : float
        FedProx proximal coefficient μ >= 0 (0 = FedAvg).
    l2 : float
        Weight decay λ >= 0 on the weight matrices.
    hidden : tuple of int
        Hidden-layer widths (empty = logistic regression).
    """

    epochs: int = 1
    batch_size: int = 16
    lr: float = 0.1
    mu: float = 0.0
    l2: float = 0.0
    hidden: tuple[int, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        check_int("epochs", self.epochs, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_positive("lr", self.lr)
        check_nonnegative("mu", self.mu)
        check_nonnegative("l2", self.l2)
        object.__setattr__(self, "hidden", tuple(check_int("hidden", h, minimum=1) for h in self.hidden))

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (hidden as a space-separated string, for Flower's run config)."""
        out = asdict(self)
        out["hidden"] = " ".join(str(h) for h in self.hidden)
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`as_dict` (unknown keys are ignored)."""
        hidden = values.get("hidden", "")
        if isinstance(hidden, str):
            hidden = tuple(int(h) for h in hidden.split())
        return cls(epochs=int(values.get("epochs", 1)), batch_size=int(values.get("batch_size", 16)),
                   lr=float(values.get("lr", 0.1)), mu=float(values.get("mu", 0.0)),
                   l2=float(values.get("l2", 0.0)), hidden=tuple(hidden))


def load_digits_task(seed: int = 0, test_fraction: float = 0.25) -> TaskData:
    """scikit-learn's digits (offline), pixels / 16 in [0, 1], stratified train/test split.

    Parameters
    ----------
    seed : int
        Seed of the split (the same seed gives the same split in every process).
    test_fraction : float
        Fraction of examples held out for the (server-side) test set, in (0, 1).

    Returns
    -------
    TaskData
        1,347 training and 450 test examples for the default fraction, 64 features, 10 classes.

    Examples
    --------
    >>> data = load_digits_task()
    >>> data.X_train.shape, data.n_classes
    ((1347, 64), 10)
    """
    from mlops_course.datasets import load_digits_split  # here: datasets imports pandas, fl does not

    seed = check_int("seed", seed, minimum=0)
    data = load_digits_split(split="stratified", test_fraction=test_fraction, seed=seed)
    return TaskData(data.X_train, data.y_train, data.X_test, data.y_test, data.n_classes)


def init_params(n_features: int, n_classes: int, rng: np.random.Generator,
                hidden: Sequence[int] = ()) -> Params:
    """Initial weights: Glorot-uniform matrices, zero biases (logistic regression: all zeros).

    Parameters
    ----------
    n_features : int
        Input dimension ``d`` (>= 1).
    n_classes : int
        Number of classes ``k`` (>= 2).
    rng : numpy.random.Generator
        Source of the Glorot-uniform weights (unused for logistic regression).
    hidden : sequence of int, default ()
        Hidden-layer widths (each >= 1).

    Returns
    -------
    list of numpy.ndarray
        ``[W1 (d, h1), b1 (h1,), ..., WL (h_{L-1}, k), bL (k,)]``.
    """
    n_features = check_int("n_features", n_features, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    sizes = [n_features, *[check_int("hidden", h, minimum=1) for h in hidden], n_classes]
    params: Params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        if len(sizes) == 2:
            params.append(np.zeros((fan_in, fan_out)))
        else:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            params.append(rng.uniform(-limit, limit, size=(fan_in, fan_out)))
        params.append(np.zeros(fan_out))
    return params


def initial_params(data: TaskData, config: TrainConfig, seed: int) -> Params:
    """The global model of round 0, identical in every engine: ``init_params`` with ``default_rng([seed, 0])``.

    Parameters
    ----------
    data : TaskData
        The task (sets ``d`` and ``k``).
    config : TrainConfig
        Training configuration (sets the hidden layers).
    seed : int
        The run's seed.

    Returns
    -------
    list of numpy.ndarray
        The initial parameters (see :func:`init_params`).
    """
    return init_params(data.n_features, data.n_classes, np.random.default_rng([int(seed), 0]), config.hidden)


def client_partitions(data: TaskData, n_clients: int, scheme: str = "iid", alpha: float = 0.5,
                      seed: int = 0, shards_per_client: int = 2) -> list[np.ndarray]:
    """The clients' index sets of ``data.X_train``, identical in every engine (rng ``default_rng([seed, 2])``).

    See :func:`mlops_course.privacy.fl.partition.partition` for the schemes.

    Parameters
    ----------
    data : TaskData
        The task whose ``y_train`` is split.
    n_clients : int
        Number of clients.
    scheme : {"iid", "dirichlet", "shards"}, default "iid"
        Partition scheme.
    alpha : float, default 0.5
        Dirichlet concentration (``"dirichlet"`` only).
    seed : int, default 0
        The run's seed.
    shards_per_client : int, default 2
        Label shards per client (``"shards"`` only).

    Returns
    -------
    list of numpy.ndarray
        Sorted training-row indices of each client.
    """
    from mlops_course.privacy.fl.partition import partition

    return partition(data.y_train, n_clients, scheme, np.random.default_rng([int(seed), 2]), alpha=alpha,
                     shards_per_client=shards_per_client)


def _forward(params: Params, X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    activations = [X]
    h = X
    n_layers = len(params) // 2
    for layer in range(n_layers):
        z = h @ params[2 * layer] + params[2 * layer + 1]
        h = np.maximum(z, 0.0) if layer < n_layers - 1 else z
        activations.append(h)
    return h, activations


def predict_logits(params: Params, X: np.ndarray) -> np.ndarray:
    """Logits of the MLP for every row of X, shape (n, k).

    Parameters
    ----------
    params : list of numpy.ndarray
        ``[W1, b1, ..., WL, bL]`` (ReLU between layers).
    X : numpy.ndarray, shape (n, d)
        Inputs.

    Returns
    -------
    numpy.ndarray, shape (n, k)
        The logits.
    """
    return _forward(params, X)[0]


def loss_and_grads(params: Params, X: np.ndarray, y: np.ndarray, l2: float = 0.0) -> tuple[float, Params]:
    """Mean cross-entropy (+ λ/2 ‖W‖²) and its gradient (backpropagation).

    For the output layer ∂ℓ/∂z = (softmax(z) − onehot(y)) / n; each dense layer passes
    ∂ℓ/∂h = ∂ℓ/∂z Wᵀ back through the ReLU mask.

    Parameters
    ----------
    params : list of numpy.ndarray
        ``[W1, b1, ..., WL, bL]``.
    X : numpy.ndarray, shape (n, d)
        Inputs.
    y : numpy.ndarray of int, shape (n,)
        Labels in ``0..k − 1``.
    l2 : float, default 0.0
        Weight decay ``λ`` on the weight matrices (not the biases).

    Returns
    -------
    loss : float
        The mean cross-entropy plus ``λ/2 Σ ‖W‖²``.
    grads : list of numpy.ndarray
        Gradient for each entry of ``params``, same shapes.
    """
    logits, acts = _forward(params, X)
    n = X.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    expz = np.exp(shifted)
    norm = expz.sum(axis=1)
    loss = float(np.sum(np.log(norm) - shifted[rows, y])) / n
    delta = expz / norm[:, None]
    delta[rows, y] -= 1.0
    delta /= n
    grads: Params = [np.empty(0)] * len(params)
    for layer in range(len(params) // 2 - 1, -1, -1):
        W = params[2 * layer]
        grads[2 * layer] = acts[layer].T @ delta
        grads[2 * layer + 1] = delta.sum(axis=0)
        if l2:
            grads[2 * layer] = grads[2 * layer] + l2 * W
            loss += 0.5 * l2 * float(np.sum(W * W))
        if layer:
            delta = (delta @ W.T) * (acts[layer] > 0)
    return loss, grads


def client_rng(seed: int, server_round: int, client: int) -> np.random.Generator:
    """The generator of one client's local training in one round: ``default_rng([seed, round, client])``.

    Parameters
    ----------
    seed : int
        The run's seed.
    server_round : int
        The round number.
    client : int
        The client's index.

    Returns
    -------
    numpy.random.Generator
        A generator that depends only on the three integers.
    """
    return np.random.default_rng([int(seed), int(server_round), int(client)])


def local_train(params: Params, X: np.ndarray, y: np.ndarray, config: TrainConfig,
                rng: np.random.Generator | None) -> Params:
    """FedAvg/FedProx ClientUpdate: E epochs of minibatch SGD from the global weights.

    Each step: w ← w − η (∇ℓ_B(w) + λW + μ (w − w_g)) with w_g the weights received.

    Parameters
    ----------
    params : list of numpy.ndarray
        Global weights w_g (not modified).
    X, y : numpy.ndarray
        The client's examples (n, d) and labels (n,), n >= 1.
    config : TrainConfig
    rng : numpy.random.Generator or None
        Shuffles the examples every epoch (use :func:`client_rng`). A client whose data fit in one
        batch takes full-batch steps in its natural order and needs no generator (``None``).

    Returns
    -------
    list of numpy.ndarray
        The locally trained weights.
    """
    if X.shape[0] == 0:
        raise ValueError("a client needs at least one example, got X of shape " + str(X.shape))
    w = [p.copy() for p in params]
    n = X.shape[0]
    batch = min(config.batch_size, n)
    if batch < n and rng is None:
        raise ValueError(f"rng is needed to shuffle {n} examples into batches of {batch}")
    for _ in range(config.epochs):
        order = rng.permutation(n) if batch < n else np.arange(n)  # type: ignore[union-attr]
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            _, grads = loss_and_grads(w, X[idx], y[idx], config.l2)
            for i, g in enumerate(grads):
                if config.mu:
                    g = g + config.mu * (w[i] - params[i])
                w[i] = w[i] - config.lr * g
    return w


def evaluate(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the model on (X, y).

    Parameters
    ----------
    params : list of numpy.ndarray
        Model parameters.
    X : numpy.ndarray, shape (n, d)
        Inputs.
    y : numpy.ndarray of int, shape (n,)
        Labels.

    Returns
    -------
    loss : float
        Mean cross-entropy.
    accuracy : float
        Fraction of rows whose arg-max logit equals the label.
    """
    logits = predict_logits(params, X)
    logp = log_softmax(logits, axis=1)
    loss = -float(np.mean(logp[np.arange(X.shape[0]), y]))
    return loss, float(np.mean(np.argmax(logits, axis=1) == y))


def predict_proba(params: Params, X: np.ndarray) -> np.ndarray:
    """Class probabilities softmax(logits), shape (n, k).

    Parameters
    ----------
    params : list of numpy.ndarray
        Model parameters.
    X : numpy.ndarray, shape (n, d)
        Inputs.

    Returns
    -------
    numpy.ndarray, shape (n, k)
        Rows summing to 1.
    """
    return softmax(predict_logits(params, X), axis=1)


def flatten(params: Sequence[np.ndarray]) -> np.ndarray:
    """All parameters as one float vector (the representation aggregators work on)."""
    return np.concatenate([np.asarray(p, dtype=float).ravel() for p in params])


def unflatten(vector: np.ndarray, like: Sequence[np.ndarray]) -> Params:
    """Inverse of :func:`flatten`: split ``vector`` into arrays shaped like ``like``.

    Parameters
    ----------
    vector : numpy.ndarray, shape (p,)
        Finite flat parameter vector.
    like : sequence of numpy.ndarray
        Arrays whose shapes (total size ``p``) give the split.

    Returns
    -------
    list of numpy.ndarray
        Copies of the pieces, shaped like ``like``.

    Raises
    ------
    ValueError, TypeError
        If ``vector`` is not a finite 1-D array of exactly ``p`` entries.
    """
    vector = check_finite_array("vector", vector, ndim=1)
    total = num_parameters(like)
    if vector.size != total:
        raise ValueError(f"vector must have {total} entries to match the model, got {vector.size}")
    out, start = [], 0
    for p in like:
        out.append(vector[start:start + p.size].reshape(p.shape).copy())
        start += p.size
    return out


def num_parameters(params: Sequence[np.ndarray]) -> int:
    """Total number of scalars in the model."""
    return int(sum(np.asarray(p).size for p in params))
