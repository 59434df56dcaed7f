"""Shared data for the fairness tests: seeded synthetic decisions and the real loanapp data."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def decisions():
    """2,000 rows, three groups of unequal size and base rate, a noisy score and weights."""
    rng = np.random.default_rng(5_001)
    n = 2_000
    group = rng.choice(np.array(["a", "b", "c"]), size=n, p=[0.6, 0.3, 0.1])
    sex = rng.choice(np.array(["f", "m"]), size=n)
    base = np.select([group == "a", group == "b"], [0.6, 0.4], 0.3)
    y_true = (rng.random(n) < base).astype(int)
    score = np.clip(0.35 * y_true + 0.1 * (group == "a") + rng.normal(0.3, 0.2, n), 0, 1)
    y_pred = (score >= 0.5).astype(int)
    weight = rng.uniform(0.2, 3.0, n)
    return {"y_true": y_true, "y_pred": y_pred, "score": score, "group": group, "sex": sex, "weight": weight}


@pytest.fixture(scope="session")
def loan_model():
    """A logistic regression on half of loanapp, evaluated on the other half (deterministic)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mlops_course.datasets import load_loanapp

    d = load_loanapp()
    race = d.sensitive["race"].to_numpy()
    sex = d.sensitive["sex"].to_numpy()
    idx_tr, idx_te = train_test_split(np.arange(len(d)), test_size=0.5, random_state=0, stratify=race)
    X = d.X.to_numpy()
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[idx_tr], d.y[idx_tr])
    score = model.predict_proba(X)[:, 1]
    return {"X": X, "y": d.y, "race": race, "sex": sex, "score": score, "train": idx_tr, "test": idx_te,
            "pred": (score >= 0.5).astype(int)}
