"""Unit 10's capstone comparison (DP vs HE vs FL), and its old import path governance.comparison."""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course import capstone


@pytest.fixture(scope="module")
def results():
    return capstone.compare_privacy_techniques(0)


def test_comparison_accuracy_and_bytes(results):
    by = {r.technique: r for r in results}
    task = capstone.load_task(0)
    assert all(r.accuracy > 0.9 for r in results)  # breast cancer is easy; DP at eps=1 costs little
    n_params = task.X_train.shape[1] * 2 + 2  # softmax regression, 2 classes
    assert by["FL"].bytes_communicated == 5 * 5 * 2 * n_params * 8  # 5 rounds, 5 clients, down + up, float64
    assert by["central"].bytes_communicated == task.X_train.size * 8
    assert by["HE"].bytes_overhead > 10  # ciphertexts are far larger than the plaintext
    assert "ε = 1.00" in by["DP"].detail


def test_he_scores_match_plaintext_polynomial():
    # the encrypted pipeline must reproduce the plaintext polynomial's decisions (CKKS error << margin)
    task = capstone.load_task(0)
    he = capstone.run_he(task)
    w = capstone._central_weights(task)
    plain = ((task.X_test @ w[:-1] + w[-1]) > 0).astype(int)
    assert he.accuracy == pytest.approx(np.mean(plain == task.y_test), abs=2 / task.y_test.size)


def test_slide_rows(results):
    rows = capstone.slide_table_rows(results)
    assert [r[0] for r in rows][:2] == ["Data location", "Privacy guarantee"] and all(len(r) == 4 for r in rows)
    with pytest.raises(ValueError):
        capstone.slide_table_rows(results[:2])


def test_task_is_a_stratified_split_standardised_on_training_rows():
    task = capstone.load_task(3, test_fraction=0.25)
    assert task.X_test.shape == (143, 30)
    np.testing.assert_allclose(task.X_train.mean(axis=0), 0.0, atol=1e-12)
    # stratified: class shares agree within one example's worth
    assert abs(task.y_train.mean() - task.y_test.mean()) < 1 / 143


def test_old_import_path_is_the_same_objects():
    from mlops_course.governance import comparison

    for name in comparison.__all__:
        assert getattr(comparison, name) is getattr(capstone, name), name
