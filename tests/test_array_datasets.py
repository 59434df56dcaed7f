"""The array loaders of :mod:`mlops_course.datasets` (breast cancer, digits), checked against scikit-learn."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from mlops_course.datasets import SPLITS, ArraySplit, load_breast_cancer_split, load_digits_split


def _rows(X: np.ndarray) -> set[bytes]:
    return {r.tobytes() for r in X}


@pytest.mark.parametrize("seed", [0, 3])
def test_stratified_breast_cancer_equals_sklearn_split_and_standard_scaler(seed: int) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(X_tr)
    got = load_breast_cancer_split(split="stratified", seed=seed)
    np.testing.assert_allclose(got.X_train, scaler.transform(X_tr), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.X_test, scaler.transform(X_te), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(got.y_train, y_tr)
    np.testing.assert_array_equal(got.y_test, y_te)
    assert got.n_classes == 2


def test_permutation_split_is_a_partition_drawn_from_one_permutation() -> None:
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(11)
    got = load_digits_split(rng=rng, test_fraction=0.3)
    # exactly one permutation of 1,797 was drawn: the generator is where a twin would be after it
    twin = np.random.default_rng(11)
    perm = twin.permutation(len(y))
    assert rng.random() == twin.random()
    n_test = round(0.3 * len(y))
    np.testing.assert_array_equal(got.X_test, X[perm[:n_test]] / 16.0)
    np.testing.assert_array_equal(got.y_train, y[perm[n_test:]])
    assert got.X_train.shape == (len(y) - n_test, 64) and got.n_classes == 10
    assert got.X_train.min() >= 0.0 and got.X_train.max() <= 1.0


def test_permutation_breast_cancer_standardised_with_training_statistics_only() -> None:
    got = load_breast_cancer_split(rng=np.random.default_rng(2), test_fraction=0.3)
    np.testing.assert_allclose(got.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(got.X_train.std(axis=0), 1.0, atol=1e-12)
    assert np.max(np.abs(got.X_test.mean(axis=0))) > 1e-3  # test part not re-centred on itself
    raw = load_breast_cancer_split(rng=np.random.default_rng(2), test_fraction=0.3, standardize=False)
    X, _ = load_breast_cancer(return_X_y=True)
    assert _rows(raw.X_train) | _rows(raw.X_test) == _rows(X)
    assert not _rows(raw.X_train) & _rows(raw.X_test)


def test_stratified_digits_keep_class_shares() -> None:
    got = load_digits_split(split="stratified", seed=0, test_fraction=0.25)
    assert isinstance(got, ArraySplit) and got.y_train.dtype == np.int64
    tr = np.bincount(got.y_train, minlength=10) / got.y_train.size
    te = np.bincount(got.y_test, minlength=10) / got.y_test.size
    assert np.max(np.abs(tr - te)) < 0.01


@pytest.mark.parametrize("kwargs, error, match", [
    ({"split": "random", "rng": 0}, ValueError, r"split must be one of \('permutation', 'stratified'\), got 'random'"),
    ({"rng": 0, "test_fraction": 1.0}, ValueError, r"test_fraction must be in \(0, 1\), got 1.0"),
    ({}, TypeError, "rng must be a numpy.random.Generator"),
    ({"rng": 0, "seed": 1}, TypeError, "seed is used only with split='stratified'"),
    ({"split": "stratified", "rng": np.random.default_rng(0)}, TypeError, "rng is used only with split='permutation'"),
    ({"split": "stratified", "seed": -1}, ValueError, "seed must be >= 0, got -1"),
])
@pytest.mark.parametrize("loader", [load_breast_cancer_split, load_digits_split])
def test_bad_arguments_are_named(loader, kwargs, error, match) -> None:  # noqa: ANN001
    with pytest.raises(error, match=match):
        loader(**kwargs)
    assert SPLITS == ("permutation", "stratified")
