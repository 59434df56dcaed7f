"""Shared fixtures: a small real classification problem (breast cancer, 6 standardised features)."""
from __future__ import annotations

import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def cancer():
    data = load_breast_cancer()
    X = StandardScaler().fit_transform(data.data[:, :6])
    return X, data.target.astype(float)


@pytest.fixture(scope="session")
def boosted(cancer):
    X, y = cancer
    model = GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=0).fit(X, y)
    return model, (lambda Z: model.predict_proba(Z)[:, 1])


@pytest.fixture(scope="session")
def logistic(cancer):
    X, y = cancer
    model = LogisticRegression(max_iter=1000).fit(X, y)
    return model, (lambda Z: model.predict_proba(Z)[:, 1])
