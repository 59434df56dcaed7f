"""Model theft through a prediction API: equation solving, retraining; rounding, labels only, budgets.

**Equation-solving extraction** (Tramèr, Zhang, Juels, Reiter & Ristenpart, "Stealing Machine
Learning Models via Prediction APIs", USENIX Security 2016, §4.1). A logistic-regression API that
returns confidences leaks one linear equation per query:

    binary:       logit(p) = ln(p / (1 − p)) = w·x + b
    k classes:    ln(p_c / p_0) = (w_c − w_0)·x + (b_c − b_0),   c = 1..k−1

so d + 1 queries in general position determine ``(w, b)`` exactly (up to the softmax's shift
invariance, which does not change any prediction): the stolen model agrees with the original on
every input.

**Label-only extraction by retraining** (Tramèr et al. 2016, §5; Papernot et al. 2017): query
the labels of inputs the attacker has (or synthesises) and fit a surrogate; agreement grows
with the number of queries. It works against any model, including non-linear ones.

**Defences** (:class:`PredictionAPI`): rounding the confidences (fewer bits per answer, and
saturated answers 0/1 carry no equation), returning labels only (no equations at all) and a
per-client query budget (:class:`QueryBudgetExceeded`). Each raises the cost of the attack; none
makes extraction impossible for an attacker with enough queries, so budgets are paired with
query-pattern monitoring (unit 02).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, softmax

from mlops_course._validation import check_choice, check_finite_array, check_int, check_positive, check_rng

__all__ = ["QueryBudgetExceeded", "PredictionAPI", "ExtractedLinearModel", "equation_solving_attack",
           "retraining_attack"]


class QueryBudgetExceeded(RuntimeError):
    """The client has used up its query budget (the API answers nothing more)."""


class PredictionAPI:
    """A model behind a prediction API, with the defences a provider can switch on.

    Parameters
    ----------
    model : fitted classifier
        Anything with ``predict_proba`` and ``predict`` (scikit-learn API), classes 0..k-1.
    output : {"proba", "label"}
        Return class probabilities (shape (n, k)) or labels only (shape (n,)).
    decimals : int, optional
        Round probabilities to this many decimals (the rounding defence; Tramèr et al. §6.1).
    query_budget : int, optional
        Maximum number of inputs answered; a request that would exceed it raises
        :class:`QueryBudgetExceeded` and is not answered.

    Attributes
    ----------
    queries : int
        Inputs answered so far.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> api = PredictionAPI(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), decimals=2, query_budget=3)
    >>> api.query([[0.0], [1.0]]).shape, api.queries
    ((2, 2), 2)
    """

    def __init__(self, model: Any, *, output: str = "proba", decimals: int | None = None,
                 query_budget: int | None = None) -> None:
        if not (hasattr(model, "predict_proba") and hasattr(model, "predict")):
            raise TypeError(f"model must have predict_proba and predict, got {type(model).__name__}")
        check_choice("output", output, ("proba", "label"))
        self._model = model
        self.output = output
        self.decimals = None if decimals is None else check_int("decimals", decimals, minimum=0)
        self.query_budget = None if query_budget is None else check_int("query_budget", query_budget, minimum=0)
        self.queries = 0

    def query(self, X: Any) -> np.ndarray:
        """Answer a batch of inputs (counted against the budget before anything is computed).

        Raises
        ------
        QueryBudgetExceeded
            If answering would exceed ``query_budget``.
        """
        X = check_finite_array("X", X, ndim=2)
        if self.query_budget is not None and self.queries + X.shape[0] > self.query_budget:
            raise QueryBudgetExceeded(
                f"query budget of {self.query_budget} inputs exhausted ({self.queries} used, {X.shape[0]} asked)")
        self.queries += X.shape[0]
        if self.output == "label":
            return np.asarray(self._model.predict(X))
        proba = np.asarray(self._model.predict_proba(X), dtype=float)
        return proba if self.decimals is None else np.round(proba, self.decimals)


@dataclass(frozen=True)
class ExtractedLinearModel:
    """A (multinomial) logistic regression recovered from an API: ``z = X coef_ᵀ + intercept_``.

    For two classes ``coef_`` has one row (``P(y=1) = sigmoid(z)``), as in scikit-learn; for k > 2
    it has k rows with class 0's row fixed at zero (softmax is shift-invariant).

    Parameters
    ----------
    coef_ : numpy.ndarray, shape (1, d) or (k, d)
        Recovered weights.
    intercept_ : numpy.ndarray, shape (1,) or (k,)
        Recovered intercepts.
    queries : int
        API queries spent.
    """

    coef_: np.ndarray
    intercept_: np.ndarray
    queries: int

    def decision_function(self, X: Any) -> np.ndarray:
        z = check_finite_array("X", X, ndim=2) @ self.coef_.T + self.intercept_
        return z[:, 0] if z.shape[1] == 1 else z

    def predict_proba(self, X: Any) -> np.ndarray:
        z = self.decision_function(X)
        if z.ndim == 1:
            p = expit(z)
            return np.column_stack([1.0 - p, p])
        return softmax(z, axis=1)

    def predict(self, X: Any) -> np.ndarray:
        return np.argmax(self.predict_proba(X), axis=1)


def equation_solving_attack(api: PredictionAPI, n_features: int, rng: np.random.Generator, *,
                            n_queries: int | None = None, scale: float = 1.0) -> ExtractedLinearModel:
    """Steal a logistic regression from its confidences by solving linear equations (Tramèr et al. 2016).

    Query ``n_queries`` (default d + 1) random inputs ``x_i ~ N(0, scale² I)``, turn every answer into
    the log-odds ``ln(p_c / p_0)`` (``logit(p_1)`` for two classes) and solve
    ``[X 1] θ_c = ln(p_c / p_0)`` by least squares (exactly, for d + 1 queries). Answers in which a
    probability is exactly 0 or 1 (rounded or saturated) carry no equation and are dropped.

    Guarantee: if the API returns exact probabilities of a logistic regression, d + 1 queries in
    general position (true with probability 1 for Gaussian queries) recover ``(w, b)`` up to
    floating-point error, so the stolen model predicts like the original everywhere.

    Parameters
    ----------
    api : PredictionAPI
        Must return probabilities.
    n_features : int
        d, the input dimension.
    rng : numpy.random.Generator
        Draws the queries.
    n_queries : int, optional
        Number of queries (>= 1; default d + 1). More queries help against rounding.
    scale : float, default 1.0
        Standard deviation of the queries.

    Returns
    -------
    ExtractedLinearModel

    Raises
    ------
    ValueError
        If the API returns labels only (no equations to solve) or on bad arguments.
    QueryBudgetExceeded
        If the API's budget is smaller than ``n_queries``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> g = np.random.default_rng(0); X = g.normal(size=(100, 3)); y = (X[:, 0] > 0).astype(int)
    >>> target = LogisticRegression().fit(X, y)
    >>> stolen = equation_solving_attack(PredictionAPI(target), 3, g)
    >>> stolen.queries, bool(np.allclose(stolen.coef_, target.coef_))
    (4, True)
    """
    if not isinstance(api, PredictionAPI):
        raise TypeError(f"api must be a PredictionAPI, got {type(api).__name__}")
    if api.output != "proba":
        raise ValueError("the API returns labels only: equation solving needs confidences "
                         "(use retraining_attack instead)")
    d = check_int("n_features", n_features, minimum=1)
    rng = check_rng(rng)
    n = d + 1 if n_queries is None else check_int("n_queries", n_queries, minimum=1)
    scale = check_positive("scale", scale)
    X = rng.normal(0.0, scale, size=(n, d))
    P = api.query(X)
    informative = np.all((P > 0) & (P < 1), axis=1)
    k = P.shape[1]
    A = np.hstack([X[informative], np.ones((int(informative.sum()), 1))])
    if A.shape[0] == 0:
        theta = np.zeros((d + 1, k - 1))
    else:
        logp = np.log(P[informative])
        targets = logp[:, 1:] - logp[:, :1]  # ln(p_c / p_0), c = 1..k-1
        theta = np.linalg.lstsq(A, targets, rcond=None)[0]
    W, b = theta[:d].T, theta[d]
    if k > 2:
        W = np.vstack([np.zeros((1, d)), W])
        b = np.concatenate([[0.0], b])
    return ExtractedLinearModel(W, np.atleast_1d(b), n)


def retraining_attack(api: PredictionAPI, X_pool: Any, n_queries: int, surrogate: Any,
                      rng: np.random.Generator) -> tuple[Any, int]:
    """Label-only extraction: label ``n_queries`` of the attacker's own inputs with the API, fit a surrogate.

    The attacker draws ``n_queries`` inputs from its pool (without replacement), asks the API for
    their labels (the arg-max of the probabilities if the API returns them) and fits a clone of
    ``surrogate`` on them (Tramèr et al. 2016, §5; any model class works for the attacker). If
    the API's query budget runs out, the attacker fits on the answers it already has (queries are
    sent in batches of 10).

    Parameters
    ----------
    api : PredictionAPI
    X_pool : array of shape (m, d)
        Unlabelled inputs the attacker owns (e.g. public data from the same domain).
    n_queries : int
        Inputs to send (1 <= n_queries <= m).
    surrogate : sklearn estimator
        Unfitted model template (cloned).
    rng : numpy.random.Generator
        Chooses the queried inputs.

    Returns
    -------
    (model, answered)
        The fitted surrogate and the number of queries the API answered.

    Raises
    ------
    ValueError
        If the budget allowed fewer than 2 answers or the answers hold a single class.
    """
    from sklearn.base import clone

    if not isinstance(api, PredictionAPI):
        raise TypeError(f"api must be a PredictionAPI, got {type(api).__name__}")
    X_pool = check_finite_array("X_pool", X_pool, ndim=2)
    n_queries = check_int("n_queries", n_queries, minimum=1, maximum=X_pool.shape[0])
    rng = check_rng(rng)
    chosen = X_pool[rng.choice(X_pool.shape[0], size=n_queries, replace=False)]
    labels: list[np.ndarray] = []
    answered = 0
    for start in range(0, n_queries, 10):
        batch = chosen[start:start + 10]
        try:
            out = api.query(batch)
        except QueryBudgetExceeded:
            break
        labels.append(out if out.ndim == 1 else np.argmax(out, axis=1))
        answered += batch.shape[0]
    if answered < 2:
        raise ValueError(f"the API answered only {answered} queries: not enough to train a surrogate")
    y = np.concatenate(labels).astype(int)
    if np.unique(y).size < 2:
        raise ValueError("the API's answers hold a single class: the surrogate cannot be trained")
    return clone(surrogate).fit(chosen[:answered], y), answered
