"""Erasure from models: exact retraining and SISA unlearning (Bourtoule et al. 2021).

GDPR Art. 17(1) requires erasure without undue delay when one of grounds (a)–(f) applies and no
Art. 17(3) exception does; CCPA §1798.105 covers personal information collected from the consumer,
subject to the exceptions of §1798.105(d). Neither text mentions models. If a model itself contains
personal data (assessed case by case, EDPB Opinion 28/2024 on AI models), erasure may have to reach
it; this module shows how. **Exact unlearning** means the
model after erasure is the model that would have been trained had the person never been in the
data. Retraining from scratch achieves this by definition; SISA does it for a fraction of the cost:

* **S**harded — the data is split into ``S`` disjoint shards, one constituent model per shard, and
  the prediction aggregates the constituents (here: mean probability);
* **I**solated — a point influences only its own shard's model;
* **S**liced — each shard is split into ``R`` slices trained incrementally (slice ``r`` continues
  from the checkpoint after slice ``r - 1`` on slices ``1..r``), with a checkpoint kept per slice;
* **A**ggregated.

To erase a point in shard ``s``, slice ``r``: reload shard ``s``'s checkpoint after slice ``r - 1``
and retrain slices ``r..R`` without the point; other shards are untouched.

The trainer (:func:`mlops_course.logistic.train_logreg`, re-exported here with
:func:`~mlops_course.logistic.predict_proba`) is deterministic (full-batch gradient descent from
zero, sums in a fixed order, no BLAS), and shard/slice membership is a function of the record's id (SHA-256), so removing one
record never moves another. Hence the unlearned ensemble equals the ensemble trained without the
record **bit for bit**, which :func:`verify_exact_unlearning` checks with ``np.array_equal``.

Cost is counted in *sample-gradient evaluations* (one per record per epoch), a deterministic
measure of work; the benchmark script also times it.

Reference: L. Bourtoule, V. Chandrasekaran, C. Choquette-Choo, H. Jia, A. Travers, B. Zhang,
D. Lie, N. Papernot, "Machine Unlearning", IEEE S&P 2021, §IV (SISA) and §V (costs).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_course._validation import check_int, check_positive
from mlops_course.logistic import check_xy as _check_xy
from mlops_course.logistic import gradient_descent as _descend
from mlops_course.logistic import predict_proba, train_logreg

__all__ = ["train_logreg", "predict_proba", "training_cost", "retrain_without", "SISA", "UnlearningReport",
           "verify_exact_unlearning"]


def training_cost(n: int, epochs: int) -> int:
    """Sample-gradient evaluations of full-batch training: ``n · epochs``.

    Parameters
    ----------
    n : int
        Records (>= 0).
    epochs : int
        Full passes (>= 0).

    Returns
    -------
    int

    Raises
    ------
    ValueError, TypeError
        If either is not an integer >= 0.
    """
    return check_int("n", n, minimum=0) * check_int("epochs", epochs, minimum=0)


def retrain_without(X: Any, y: Any, ids: Sequence[Any], remove: Any, **train_kwargs: Any
                    ) -> tuple[np.ndarray, np.ndarray, list[Any], np.ndarray]:
    """Exact unlearning by retraining: drop every row of the subject(s) and train from scratch.

    When an erasure under GDPR Art. 17 / CCPA §1798.105 has to reach a model (because the model
    itself contains personal data, EDPB Opinion 28/2024), the result *is* the model trained without
    the subject.

    Parameters
    ----------
    X, y : arrays
    ids : sequence
        Subject id of each row (a subject may own several rows).
    remove : id or collection of ids
        Subject(s) to erase; each must occur in ``ids``.
    **train_kwargs
        Passed to :func:`train_logreg`.

    Returns
    -------
    (X_kept, y_kept, ids_kept, weights)
    """
    X, y = _check_xy(X, y)
    ids = list(ids)
    if len(ids) != X.shape[0]:
        raise ValueError(f"ids must have one entry per row ({X.shape[0]}), got {len(ids)}")
    gone = {remove} if isinstance(remove, (str, int)) else set(remove)
    unknown = gone - set(ids)
    if unknown:
        raise ValueError(f"subject(s) {sorted(map(str, unknown))} do not occur in ids")
    keep = np.array([i not in gone for i in ids])
    Xk, yk = X[keep].copy(), y[keep].copy()
    return Xk, yk, [i for i in ids if i not in gone], train_logreg(Xk, yk, **train_kwargs)


def _bucket(key: Any, salt: str, n: int) -> int:
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % n


@dataclass(frozen=True)
class UnlearningReport:
    """What one SISA unlearning request cost.

    Parameters
    ----------
    removed : int
        Rows deleted.
    shards : tuple of int
        Shards whose model was retrained.
    first_slices : tuple of int
        For each of those shards, the first slice retrained (earlier checkpoints were reused).
    cost : int
        Sample-gradient evaluations spent unlearning.
    full_cost : int
        What retraining the whole SISA ensemble on the remaining data would cost.
    """

    removed: int
    shards: tuple[int, ...]
    first_slices: tuple[int, ...]
    cost: int
    full_cost: int

    @property
    def speedup(self) -> float:
        """``full_cost / cost`` (``inf`` when nothing had to be retrained)."""
        return float("inf") if self.cost == 0 else self.full_cost / self.cost


class SISA:
    """Sharded, Isolated, Sliced, Aggregated training with exact unlearning.

    Parameters
    ----------
    n_shards : int
        ``S`` >= 1 constituent models.
    n_slices : int
        ``R`` >= 1 slices per shard (checkpoints).
    epochs_per_slice : int
        Gradient-descent epochs after adding each slice.
    lr, l2 : float
        Trainer hyper-parameters (see :func:`train_logreg`).
    salt : str
        Salt of the id → shard/slice hash (fixed per deployment).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 2)); y = (X[:, 0] > 0).astype(int); ids = [f"S{i}" for i in range(60)]
    >>> model = SISA(3, 2).fit(X, y, ids)
    >>> report = model.unlearn(["S7"])
    >>> verify_exact_unlearning(model, X, y, ids, ["S7"])
    True
    """

    def __init__(self, n_shards: int, n_slices: int, *, epochs_per_slice: int = 40, lr: float = 0.5,
                 l2: float = 1e-3, salt: str = "sisa") -> None:
        self.n_shards = check_int("n_shards", n_shards, minimum=1)
        self.n_slices = check_int("n_slices", n_slices, minimum=1)
        self.epochs_per_slice = check_int("epochs_per_slice", epochs_per_slice, minimum=1)
        self.lr = check_positive("lr", lr)
        self.l2 = float(l2)
        self.salt = str(salt)
        self.cost = 0
        self._fitted = False

    def _assign(self, ids: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        shard = np.array([_bucket(i, self.salt + "/shard", self.n_shards) for i in ids], dtype=int)
        slc = np.array([_bucket(i, self.salt + "/slice", self.n_slices) for i in ids], dtype=int)
        return shard, slc

    def fit(self, X: Any, y: Any, ids: Sequence[Any]) -> SISA:
        """Train all shards from scratch; ``ids[i]`` is the subject of row ``i``."""
        X, y = _check_xy(X, y)
        ids = list(ids)
        if len(ids) != X.shape[0]:
            raise ValueError(f"ids must have one entry per row ({X.shape[0]}), got {len(ids)}")
        self._X, self._y, self._ids = X.copy(), y.copy(), ids
        self._alive = np.ones(X.shape[0], dtype=bool)
        self._shard, self._slice = self._assign(ids)
        self._checkpoints = np.zeros((self.n_shards, self.n_slices, X.shape[1] + 1))
        self.cost = 0
        for s in range(self.n_shards):
            self.cost += self._train_shard(s, 0)
        self._fitted = True
        return self

    def _train_shard(self, s: int, start: int) -> int:
        w = self._checkpoints[s, start - 1].copy() if start > 0 else np.zeros(self._X.shape[1] + 1)
        cost = 0
        in_shard = self._alive & (self._shard == s)
        for r in range(start, self.n_slices):
            rows = np.flatnonzero(in_shard & (self._slice <= r))
            if rows.size:
                w = _descend(self._X[rows], self._y[rows], w, self.epochs_per_slice, self.lr, self.l2)
                cost += training_cost(rows.size, self.epochs_per_slice)
            self._checkpoints[s, r] = w
        return cost

    def _require_fit(self) -> None:
        if not self._fitted:
            raise RuntimeError("call fit(X, y, ids) first")

    @property
    def weights(self) -> np.ndarray:
        """Final weights of every constituent model, shape ``(S, d + 1)``."""
        self._require_fit()
        return self._checkpoints[:, -1].copy()

    def predict_proba(self, X: Any) -> np.ndarray:
        """Aggregate: the mean of the constituents' probabilities."""
        self._require_fit()
        return predict_proba(self.weights, X)

    def full_cost(self) -> int:
        """Cost of training every shard from scratch on the data currently held."""
        self._require_fit()
        total = 0
        for s in range(self.n_shards):
            in_shard = self._alive & (self._shard == s)
            for r in range(self.n_slices):
                total += training_cost(int(np.count_nonzero(in_shard & (self._slice <= r))), self.epochs_per_slice)
        return total

    def unlearn(self, subjects: Sequence[Any]) -> UnlearningReport:
        """Erase every row of ``subjects``: retrain only affected shards from the last clean checkpoint.

        Raises
        ------
        ValueError
            If a subject has no (remaining) rows.
        """
        self._require_fit()
        gone = set(subjects) if not isinstance(subjects, (str, int)) else {subjects}
        rows = np.array([self._alive[i] and self._ids[i] in gone for i in range(len(self._ids))])
        found = {self._ids[i] for i in np.flatnonzero(rows)}
        if gone - found:
            raise ValueError(f"subject(s) {sorted(map(str, gone - found))} are not in the training data")
        first: dict[int, int] = {}
        for i in np.flatnonzero(rows):
            s, r = int(self._shard[i]), int(self._slice[i])
            first[s] = min(first.get(s, r), r)
        self._alive &= ~rows
        cost = sum(self._train_shard(s, r) for s, r in sorted(first.items()))
        self.cost += cost
        return UnlearningReport(int(rows.sum()), tuple(sorted(first)), tuple(first[s] for s in sorted(first)),
                                cost, self.full_cost())


def verify_exact_unlearning(model: SISA, X: Any, y: Any, ids: Sequence[Any], removed: Sequence[Any]) -> bool:
    """Whether ``model`` (after ``unlearn(removed)``) equals, bit for bit, a fresh SISA with the same
    settings trained on the rows of ``(X, y, ids)`` that do not belong to ``removed``.

    Parameters
    ----------
    model : SISA
        The ensemble after its ``unlearn`` call(s).
    X, y : array_like
        The original training data (all rows, before erasure).
    ids : sequence
        Subject id of each row.
    removed : sequence
        The erased subjects.

    Returns
    -------
    bool
        ``np.array_equal`` of the two ensembles' weights.
    """
    gone = set(removed)
    keep = np.array([i not in gone for i in ids])
    fresh = SISA(model.n_shards, model.n_slices, epochs_per_slice=model.epochs_per_slice, lr=model.lr,
                 l2=model.l2, salt=model.salt)
    fresh.fit(np.asarray(X)[keep], np.asarray(y)[keep], [i for i in ids if i not in gone])
    return bool(np.array_equal(model.weights, fresh.weights))
