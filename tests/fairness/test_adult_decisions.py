"""mlops_course.fairness.adult: the course model's decisions on UCI Adult, checked against scikit-learn's
logistic regression on the same standardised features (a peer), and its input checks."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from mlops_course.datasets import load_adult
from mlops_course.fairness import adult_income_decisions


def test_decisions_agree_with_scikit_learns_logistic_regression():
    d = adult_income_decisions()
    train, test = load_adult("train"), load_adult("test")
    scaler = StandardScaler().fit(train.X.to_numpy(dtype=float))
    peer = LogisticRegression(max_iter=2000).fit(scaler.transform(train.X.to_numpy(dtype=float)), train.y)
    peer_pred = peer.predict(scaler.transform(test.X.to_numpy(dtype=float)))
    # two fits of the same model family (ours: 200 full-batch GD epochs, small L2; sklearn: lbfgs to convergence)
    assert np.mean(d.y_pred == peer_pred) > 0.97
    assert abs(np.mean(d.y_pred == d.y_true) - peer.score(scaler.transform(test.X.to_numpy(dtype=float)), test.y)) < 0.02
    assert d.y_pred.shape == d.y_true.shape == (len(test),) and d.n_train == len(train)
    assert set(d.sensitive) == {"sex", "race"} and set(d.sensitive["sex"]) == {"Female", "Male"}


def test_each_call_returns_fresh_copies_and_the_threshold_moves_the_decisions():
    a = adult_income_decisions()
    a.y_pred[:] = 7
    assert set(np.unique(adult_income_decisions().y_pred)) <= {0, 1}
    assert adult_income_decisions(0.3).y_pred.sum() > adult_income_decisions(0.7).y_pred.sum()


@pytest.mark.parametrize("bad, error", [(0.0, ValueError), (1.0, ValueError), (float("nan"), ValueError),
                                        ("0.5", TypeError), (True, TypeError)])
def test_bad_threshold_is_a_named_error(bad, error):
    with pytest.raises(error, match="threshold"):
        adult_income_decisions(bad)
