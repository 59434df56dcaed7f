"""The decisions unit 05 audits on real data: the course's logistic model on the UCI Adult census extract.

One home for the model that the lecture notebook, the exercise and the grader all audit:

* features: the default numeric/one-hot features of :func:`mlops_course.datasets.load_adult` (sex and race are
  **not** inputs, nor is ``relationship``), standardised with the **training** file's statistics,
  ``z = (x − μ_train) / σ_train`` (σ = 1 for a constant column);
* model: :func:`mlops_course.logistic.train_logreg` (deterministic full-batch gradient descent, 200 epochs);
* decision: ``ŷ = 1[σ(z·w + b) ≥ threshold]`` ("income above $50K") on the 15,315 rows of the test file.

The result is cached per threshold (training takes about a second); every call returns fresh copies.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from mlops_course._validation import check_probability

__all__ = ["AdultDecisions", "adult_income_decisions"]


@dataclass(frozen=True)
class AdultDecisions:
    """Decisions of the course's model on the Adult test file.

    Parameters
    ----------
    y_true : numpy.ndarray of int
        True labels (1 = income above $50K), one per test row.
    y_pred : numpy.ndarray of int
        The model's 0/1 decisions.
    sensitive : dict of str to numpy.ndarray of str
        ``"sex"`` and ``"race"`` of every test row (never model inputs).
    n_train : int
        Rows of the training file the model was fitted on.
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    sensitive: dict[str, np.ndarray]
    n_train: int


@cache
def _decisions(threshold: float) -> AdultDecisions:
    from mlops_course.datasets import load_adult
    from mlops_course.logistic import predict_proba, train_logreg

    train, test = load_adult("train"), load_adult("test")
    X = train.X.to_numpy(dtype=float)
    mu, sd = X.mean(axis=0), X.std(axis=0)
    sd[sd == 0] = 1.0
    w = train_logreg((X - mu) / sd, train.y)
    pred = (predict_proba(w, (test.X.to_numpy(dtype=float) - mu) / sd) >= threshold).astype(np.int64)
    sensitive = {col: test.sensitive[col].to_numpy(dtype=str) for col in ("sex", "race")}
    return AdultDecisions(np.asarray(test.y, dtype=np.int64), pred, sensitive, len(train))


def adult_income_decisions(threshold: float = 0.5) -> AdultDecisions:
    """The course model's decisions on the UCI Adult test file, with the protected attributes.

    Parameters
    ----------
    threshold : float, default 0.5
        Decision threshold on the predicted probability, in (0, 1).

    Returns
    -------
    AdultDecisions
        ``y_true``, ``y_pred``, ``sensitive`` (``"sex"``, ``"race"``) and ``n_train``; fresh copies on every call.

    Raises
    ------
    TypeError
        If ``threshold`` is not a real number.
    ValueError
        If ``threshold`` is not strictly between 0 and 1.
    """
    threshold = check_probability("threshold", threshold)
    d = _decisions(float(threshold))
    return AdultDecisions(d.y_true.copy(), d.y_pred.copy(), {k: v.copy() for k, v in d.sensitive.items()}, d.n_train)
