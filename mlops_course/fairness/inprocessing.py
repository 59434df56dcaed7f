"""In-processing mitigation: logistic regression with a fairness penalty.

Minimise, over weights ``θ = (w, b)`` on standardised features,

    L(θ) = (1/n) Σ_i ℓ(y_i, p_i) + (α/2)‖w‖² + λ · Φ(θ),     p_i = σ(w·x_i + b),

where ``ℓ`` is the log-loss and the penalty ``Φ`` measures unfairness of the *soft* decisions
``p_i`` (differentiable surrogates of the group rates):

* ``"demographic_parity"``: ``Φ = Σ_g π_g (m_g − m)²`` with ``m_g`` the mean of ``p`` in group ``g``,
  ``m`` the overall mean and ``π_g = n_g/n`` (a weighted variance of the groups' mean scores);
* ``"equalized_odds"``: the same penalty computed separately among the positives and among the
  negatives (soft TPR and FPR gaps), summed.

``λ = 0`` is ordinary L2-regularised logistic regression (equal to scikit-learn's with
``C = 1/(α·n)`` on the same standardised data, tested); increasing ``λ`` traces the
accuracy–fairness trade-off. The objective is smooth; it is minimised with L-BFGS using its
exact gradient. The sensitive feature is used only in training, not at prediction time.

Related methods: penalised / constrained logistic regression of T. Kamishima et al.,
"Fairness-aware classifier with prejudice remover regularizer", ECML PKDD 2012, and M. B. Zafar
et al., "Fairness constraints: mechanisms for fair classification", AISTATS 2017 (covariance
constraint); the reductions approach of A. Agarwal et al., ICML 2018 (fairlearn's
``ExponentiatedGradient``) solves the constrained problem for the hard rates instead.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array, check_int, check_nonnegative
from mlops_course.fairness._inputs import check_binary, check_groups
from mlops_course.logistic import log_loss, sigmoid

__all__ = ["FairLogisticRegression", "CONSTRAINTS"]

CONSTRAINTS = ("demographic_parity", "equalized_odds")


class FairLogisticRegression:
    """Logistic regression with a demographic-parity or equalized-odds penalty.

    Parameters
    ----------
    lam : float
        Weight ``λ >= 0`` of the fairness penalty (0: plain logistic regression).
    constraint : {"demographic_parity", "equalized_odds"}
        Which soft disparity to penalise.
    alpha : float
        L2 regularisation ``α >= 0`` of the (standardised) coefficients; the intercept is not penalised.
    max_iter : int
        L-BFGS iterations.

    Attributes
    ----------
    coef_ : numpy.ndarray
        Coefficients on the ORIGINAL feature scale, shape ``(d,)``.
    intercept_ : float
        Intercept on the original scale.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 2)); a = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> fair = FairLogisticRegression(lam=50.0).fit(X, y, a)
    >>> plain = FairLogisticRegression(lam=0.0).fit(X, y, a)
    >>> gap = lambda m: abs(m.predict(X)[a == 1].mean() - m.predict(X)[a == 0].mean())
    >>> bool(gap(fair) < gap(plain))
    True
    """

    def __init__(self, lam: float = 1.0, constraint: str = "demographic_parity", alpha: float = 1e-4,
                 max_iter: int = 500) -> None:
        self.lam = check_nonnegative("lam", lam)
        if constraint not in CONSTRAINTS:
            raise ValueError(f"constraint must be one of {CONSTRAINTS}, got {constraint!r}")
        self.constraint = constraint
        self.alpha = check_nonnegative("alpha", alpha)
        self.max_iter = check_int("max_iter", max_iter, minimum=1)

    # ----------------------------------------------------------------- objective
    def _strata(self, y: np.ndarray, codes: np.ndarray, k: int) -> list[list[np.ndarray]]:
        """Groups of rows whose mean scores are compared: per group, within each stratum."""
        if self.constraint == "demographic_parity":
            return [[codes == g for g in range(k)]]
        return [[(codes == g) & (y == lab) for g in range(k)] for lab in (0, 1)]

    def _objective(self, theta: np.ndarray, Z: np.ndarray, y: np.ndarray,
                   strata: list[list[np.ndarray]]) -> tuple[float, np.ndarray]:
        n = Z.shape[0]
        w, b = theta[:-1], theta[-1]
        z = Z @ w + b
        p = sigmoid(z)
        loss = log_loss(z, y) + 0.5 * self.alpha * float(w @ w)  # mean log(1 + e^z) − y z, stable
        grad_z = (p - y) / n
        grad = np.append(Z.T @ grad_z + self.alpha * w, grad_z.sum())
        if self.lam > 0:
            dp = p * (1.0 - p)
            Z1 = np.hstack([Z, np.ones((n, 1))])
            for masks in strata:
                members = np.zeros(n, dtype=bool)
                for m in masks:
                    members |= m
                n_s = members.sum()
                if n_s == 0:
                    continue
                mean_all = p[members].mean()
                d_all = (dp[members] @ Z1[members]) / n_s
                for m in masks:
                    n_g = m.sum()
                    if n_g == 0:
                        continue
                    gap = p[m].mean() - mean_all
                    d_gap = (dp[m] @ Z1[m]) / n_g - d_all
                    loss += self.lam * (n_g / n_s) * gap * gap
                    grad += self.lam * (n_g / n_s) * 2.0 * gap * d_gap
        return loss, grad

    # ----------------------------------------------------------------- public API
    def fit(self, X: Any, y: Any, sensitive_features: Any) -> FairLogisticRegression:
        """Fit on features ``X`` (n, d), labels ``y`` (0/1) and the group of each row.

        Raises
        ------
        ValueError
            Non-finite or empty ``X``, mismatched lengths, non-binary ``y``, missing groups, a single group.
        """
        from scipy.optimize import minimize

        X = check_finite_array("X", X, ndim=2)
        yy = check_binary("y", y, X.shape[0], "X")
        groups = check_groups(sensitive_features, X.shape[0], ref_name="X")
        if yy.min() == yy.max():
            raise ValueError("y must contain both classes 0 and 1")
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        Z = (X - self.mean_) / self.scale_
        strata = self._strata(yy, groups.codes, groups.k)
        res = minimize(self._objective, np.zeros(Z.shape[1] + 1), args=(Z, yy.astype(float), strata),
                       jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter, "gtol": 1e-10, "ftol": 1e-14})
        self.theta_ = res.x
        self.converged_ = bool(res.success)
        self.coef_ = res.x[:-1] / self.scale_
        self.intercept_ = float(res.x[-1] - np.sum(res.x[:-1] * self.mean_ / self.scale_))
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds ``w·x + b`` for each row."""
        if not hasattr(self, "coef_"):
            raise ValueError("this FairLogisticRegression is not fitted yet: call fit(X, y, sensitive_features)")
        X = check_finite_array("X", X, ndim=2)
        if X.shape[1] != self.coef_.size:
            raise ValueError(f"X must have {self.coef_.size} columns, got {X.shape[1]}")
        return X @ self.coef_ + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """``P(Y=1 | x)`` for each row, shape ``(n,)`` (not scikit-learn's ``(n, 2)``)."""
        return sigmoid(self.decision_function(X))

    def predict(self, X: Any, threshold: float = 0.5) -> np.ndarray:
        """Decisions ``1[P(Y=1|x) >= threshold]``."""
        return (self.predict_proba(X) >= threshold).astype(int)
