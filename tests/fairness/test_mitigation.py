"""Post- and in-processing mitigations: they hit their target on the training data and reduce the
disparity they target on held-out data; the penalised logistic regression reduces to scikit-learn's
at lambda = 0; bad input."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.linear_model import LogisticRegression

from mlops_course.datasets import make_historical_bias, make_measurement_bias, make_representation_bias
from mlops_course.fairness import metrics as M
from mlops_course.fairness import thresholds as T
from mlops_course.fairness.inprocessing import FairLogisticRegression
from mlops_course.fairness.reweighing import reweighing_weights


@pytest.fixture(scope="module")
def biased():
    """Train/test halves of a historical-bias data set (20,000 rows) and a score fitted on train."""
    d = make_historical_bias(20_000, 1.5, rng=np.random.default_rng(5_301))
    X, y, g = d.X.to_numpy(), d.y, d.group
    # the score sees the group through a proxy feature: x2 = 1[B] + noise
    proxy = (g == "B") + np.random.default_rng(5_302).normal(0, 0.5, len(y))
    X = np.column_stack([X, proxy])
    half = len(y) // 2
    model = LogisticRegression().fit(X[:half], y[:half])
    s = model.predict_proba(X)[:, 1]
    return {"X": X, "y": y, "g": g, "s": s, "tr": slice(0, half), "te": slice(half, None)}


def test_apply_and_threshold_for_rate():
    assert T.apply_thresholds([0.2, 0.6, 0.2, 0.6], ["a", "a", "b", "b"], {"a": 0.5, "b": 0.1}).tolist() == [0, 1, 1, 1]
    s = np.random.default_rng(5_303).random(101)
    for q in (0.0, 0.1, 0.37, 0.5, 1.0):
        t = T.threshold_for_rate(s, q)
        assert np.sum(s >= t) == int(np.floor(q * 101 + 0.5))


def test_demographic_parity_thresholds(biased):
    tr, te = biased["tr"], biased["te"]
    th = T.demographic_parity_thresholds(biased["s"][tr], biased["g"][tr], target_rate=0.4)
    pred_tr = T.apply_thresholds(biased["s"][tr], biased["g"][tr], th)
    for grp in ("A", "B"):
        m = biased["g"][tr] == grp
        assert abs(pred_tr[m].mean() - 0.4) <= 1 / (2 * m.sum()) + 1e-12
    base = (biased["s"][te] >= 0.5).astype(int)
    fair = T.apply_thresholds(biased["s"][te], biased["g"][te], th)
    before = M.demographic_parity_difference(biased["y"][te], base, sensitive_features=biased["g"][te])
    after = M.demographic_parity_difference(biased["y"][te], fair, sensitive_features=biased["g"][te])
    assert before > 0.1 and after < 0.03  # held-out


@pytest.fixture(scope="module")
def noisy():
    """Measurement bias (group B's labels 20% noisy): unequal error rates for a pooled model."""
    d = make_measurement_bias(20_000, 0.2, rng=np.random.default_rng(5_306))
    X, y, g = d.X.to_numpy(), d.y, d.group
    s = LogisticRegression().fit(X[:10_000], y[:10_000]).predict_proba(X)[:, 1]
    return {"X": X, "y": y, "g": g, "s": s, "tr": slice(0, 10_000), "te": slice(10_000, None)}


@pytest.fixture(scope="module")
def underrep():
    """Representation bias (20% group B with a different relation): unequal error rates of the
    pooled score ``s``; ``X`` also holds a noisy proxy of the group for the in-processing test."""
    d = make_representation_bias(20_000, 0.2, rng=np.random.default_rng(5_306))
    X, y, g = d.X.to_numpy(), d.y, d.group
    s = LogisticRegression().fit(X[:10_000], y[:10_000]).predict_proba(X)[:, 1]
    X = np.column_stack([X, (g == "B") + np.random.default_rng(5_307).normal(0, 0.5, len(y))])  # a proxy
    return {"X": X, "y": y, "g": g, "s": s, "tr": slice(0, 10_000), "te": slice(10_000, None)}


def test_equal_opportunity_thresholds(noisy):
    tr, te = noisy["tr"], noisy["te"]
    y, g, s = noisy["y"], noisy["g"], noisy["s"]
    base = (s[te] >= 0.5).astype(int)
    th = T.equal_opportunity_thresholds(s[tr], y[tr], g[tr])
    fair = T.apply_thresholds(s[te], g[te], th)
    assert (M.equal_opportunity_difference(y[te], fair, sensitive_features=g[te])
            < 0.5 * M.equal_opportunity_difference(y[te], base, sensitive_features=g[te]))


def test_equalized_odds_thresholds(underrep):
    tr, te = underrep["tr"], underrep["te"]
    y, g, s = underrep["y"], underrep["g"], underrep["s"]
    base = (s[te] >= 0.5).astype(int)
    th = T.equalized_odds_thresholds(s[tr], y[tr], g[tr])
    fair = T.apply_thresholds(s[te], g[te], th)
    assert (M.equalized_odds_difference(y[te], fair, sensitive_features=g[te])
            < 0.5 * M.equalized_odds_difference(y[te], base, sensitive_features=g[te]))
    assert np.mean(fair == y[te]) > 0.6  # not the trivial accept-all/accept-none rule (accuracy ~0.5)


def test_equalized_odds_tolerance_buys_accuracy(underrep):
    tr = underrep["tr"]
    y, g, s = underrep["y"][tr], underrep["g"][tr], underrep["s"][tr]
    accs = []
    for tol in (0.0, 0.02, 0.1, 1.0):
        pred = T.apply_thresholds(s, g, T.equalized_odds_thresholds(s, y, g, tolerance=tol))
        assert M.equalized_odds_difference(y, pred, sensitive_features=g) <= tol + 1e-12
        accs.append(np.mean(pred == y))
    assert accs == sorted(accs) and accs[-1] > accs[0] + 0.1


def test_reweighing_reduces_demographic_parity_held_out(biased):
    tr, te = biased["tr"], biased["te"]
    X, y, g = biased["X"], biased["y"], biased["g"]
    plain = LogisticRegression().fit(X[tr], y[tr]).predict(X[te])
    w = reweighing_weights(y[tr], g[tr])
    fair = LogisticRegression().fit(X[tr], y[tr], sample_weight=w).predict(X[te])
    assert (M.demographic_parity_difference(y[te], fair, sensitive_features=g[te])
            < 0.7 * M.demographic_parity_difference(y[te], plain, sensitive_features=g[te]))


def test_fair_logreg_lambda_zero_equals_sklearn():
    rng = np.random.default_rng(5_304)
    X = rng.normal(size=(500, 3))
    X = (X - X.mean(axis=0)) / X.std(axis=0)  # already standardised: the internal scaling is the identity
    y = (X @ np.array([1.0, -2.0, 0.5]) + rng.logistic(size=500) > 0).astype(int)
    g = rng.choice(np.array(["a", "b"]), size=500)
    alpha = 0.01
    ours = FairLogisticRegression(lam=0.0, alpha=alpha).fit(X, y, g)
    ref = LogisticRegression(C=1.0 / (alpha * 500), tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_[0], atol=1e-5)
    assert abs(ours.intercept_ - ref.intercept_[0]) < 1e-5
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X)[:, 1], atol=1e-6)


@pytest.mark.parametrize("constraint", ["demographic_parity", "equalized_odds"])
def test_fair_logreg_gradient(constraint):
    rng = np.random.default_rng(5_305)
    Z = rng.normal(size=(200, 3))
    y = (rng.random(200) < 0.4).astype(float)
    codes = rng.integers(0, 3, 200)
    model = FairLogisticRegression(lam=7.0, constraint=constraint, alpha=0.1)
    strata = model._strata(y.astype(int), codes, 3)
    theta = rng.normal(size=4)
    err = check_grad(lambda t: model._objective(t, Z, y, strata)[0], lambda t: model._objective(t, Z, y, strata)[1],
                     theta)
    assert err < 1e-6


@pytest.mark.parametrize("constraint, metric", [("demographic_parity", M.demographic_parity_difference),
                                                ("equalized_odds", M.equalized_odds_difference)])
def test_fair_logreg_reduces_target_disparity_held_out(biased, underrep, constraint, metric):
    # the model can treat groups differently only through features correlated with the group (a proxy)
    data = biased if constraint == "demographic_parity" else underrep
    tr, te = data["tr"], data["te"]
    X, y, g = data["X"], data["y"], data["g"]
    plain = FairLogisticRegression(lam=0.0).fit(X[tr], y[tr], g[tr]).predict(X[te])
    fair = FairLogisticRegression(lam=200.0, constraint=constraint).fit(X[tr], y[tr], g[tr]).predict(X[te])
    assert metric(y[te], fair, sensitive_features=g[te]) < 0.5 * metric(y[te], plain, sensitive_features=g[te])


def test_mitigations_reduce_disparity_on_real_loans(loan_model):
    tr, te = loan_model["train"], loan_model["test"]
    X, y, race, s = loan_model["X"], loan_model["y"], loan_model["race"], loan_model["score"]
    grp = np.where(race == "white", "white", "minority")
    base = M.demographic_parity_difference(y[te], loan_model["pred"][te], sensitive_features=grp[te])
    th = T.demographic_parity_thresholds(s[tr], grp[tr])
    post = T.apply_thresholds(s[te], grp[te], th)
    assert M.demographic_parity_difference(y[te], post, sensitive_features=grp[te]) < base
    fair = FairLogisticRegression(lam=100.0).fit(X[tr], y[tr], grp[tr]).predict(X[te])
    assert M.demographic_parity_difference(y[te], fair, sensitive_features=grp[te]) < base


def test_bad_input():
    with pytest.raises(ValueError, match="no entry for group"):
        T.apply_thresholds([0.1, 0.2], ["a", "b"], {"a": 0.5})
    with pytest.raises(ValueError, match="nan"):
        T.apply_thresholds([0.1, 0.2], ["a", "b"], {"a": 0.5, "b": float("nan")})
    with pytest.raises(TypeError):
        T.apply_thresholds([0.1, 0.2], ["a", "b"], [0.5, 0.5])
    with pytest.raises(ValueError, match="same length"):
        T.demographic_parity_thresholds([0.1, 0.2, 0.3], ["a", "b"])
    with pytest.raises(ValueError, match="at least 2 groups"):
        T.demographic_parity_thresholds([0.1, 0.2], ["a", "a"])
    with pytest.raises(ValueError, match="missing"):
        T.demographic_parity_thresholds([0.1, np.nan], ["a", "b"])
    with pytest.raises(ValueError, match="target_rate"):
        T.demographic_parity_thresholds([0.1, 0.2], ["a", "b"], target_rate=1.5)
    with pytest.raises(ValueError, match="no positive"):
        T.equal_opportunity_thresholds([0.1, 0.2, 0.3, 0.4], [1, 1, 0, 0], ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="binary"):
        T.equalized_odds_thresholds([0.1, 0.2, 0.3, 0.4], [1, 2, 0, 1], ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="both positive and negative"):
        T.equalized_odds_thresholds([0.1, 0.2, 0.3, 0.4], [1, 1, 0, 1], ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="lam"):
        FairLogisticRegression(lam=-1.0)
    with pytest.raises(ValueError, match="constraint"):
        FairLogisticRegression(constraint="calibration")
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="not fitted"):
        FairLogisticRegression().predict(X)
    with pytest.raises(ValueError, match="both classes"):
        FairLogisticRegression().fit(X, [1, 1, 1, 1], ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="at least 2 groups"):
        FairLogisticRegression().fit(X, [1, 0, 1, 0], ["a"] * 4)
    with pytest.raises(ValueError, match="finite"):
        FairLogisticRegression().fit(np.full((4, 2), np.nan), [1, 0, 1, 0], ["a", "a", "b", "b"])
    fitted = FairLogisticRegression().fit(np.arange(8.0).reshape(4, 2), [1, 0, 1, 0], ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="columns"):
        fitted.predict(np.zeros((2, 3)))
