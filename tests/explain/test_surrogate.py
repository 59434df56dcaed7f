"""Global surrogate: fidelity vs sklearn metrics, perfect imitation of a tree, held-out fidelity, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, r2_score
from sklearn.tree import DecisionTreeRegressor

from mlops_course.explain.surrogate import fidelity_agreement, fidelity_r2, global_surrogate


def test_fidelity_matches_sklearn_metrics():
    rng = np.random.default_rng(0)
    f, g = rng.normal(size=50), rng.normal(size=50)
    assert fidelity_r2(f, g) == pytest.approx(r2_score(f, g), rel=1e-12)
    a, b = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    assert fidelity_agreement(a, b) == accuracy_score(a, b)


def test_surrogate_of_a_shallow_tree_is_perfect(cancer):
    X, y = cancer
    black = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y)
    s = global_surrogate(black.predict, X, max_depth=2)
    assert s.kind == "r2" and s.fidelity == pytest.approx(1.0, abs=1e-12)


def test_boosted_model_fidelity_grows_with_depth_and_drops_on_held_out(cancer, boosted):
    X, _ = cancer
    _, f = boosted
    fits = [global_surrogate(f, X[:400], max_depth=d) for d in (1, 3, 6)]
    assert fits[0].fidelity < fits[1].fidelity < fits[2].fidelity <= 1.0
    assert fits[2].fidelity_on(f, X[400:]) < fits[2].fidelity
    dec = global_surrogate(f, X[:400], max_depth=3, threshold=0.5)
    labels = (f(X[400:]) >= 0.5).astype(float)
    assert dec.fidelity_on(f, X[400:]) == accuracy_score(labels, dec.tree.predict(X[400:]))


def test_bad_input():
    with pytest.raises(ValueError, match="mismatched lengths"):
        fidelity_r2([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="constant"):
        fidelity_r2([1.0, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="binary"):
        fidelity_agreement([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match="surrogate"):
        fidelity_r2([1.0, 2.0], [np.nan, 1.0])
    with pytest.raises(ValueError, match="black_box_labels"):
        fidelity_agreement([], [])
    with pytest.raises(ValueError, match="max_depth"):
        global_surrogate(lambda Z: Z[:, 0], np.ones((3, 1)), max_depth=0)
