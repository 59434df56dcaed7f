"""Unit 10's capstone: DP vs HE vs FL measured live on one task — accuracy, time, bytes, who is protected.

This module sits above the units it compares (it imports :mod:`mlops_course.privacy.dp`,
:mod:`~mlops_course.privacy.he`, :mod:`~mlops_course.privacy.fl` and :mod:`mlops_course.logistic`
at the top, so the import graph shows it); :mod:`mlops_course.governance.comparison` re-exports it.

The task: diagnose breast tumours (scikit-learn's Wisconsin diagnostic data, 569 patients,
30 features, shipped offline) with logistic regression. Each technique is used in the role it is
built for, with the course's own implementation:

==============  ==========================================================================
technique       what runs (unit)
==============  ==========================================================================
central         a hospital pools all raw records and trains plain logistic regression
                (:func:`mlops_course.logistic.train_logreg`) — the baseline
DP              the same pooled training with DP-SGD at (ε, δ)
                (:func:`mlops_course.privacy.dp.dpsgd.train_dp_logreg`, unit 07)
HE              the central model is served by an untrusted cloud: each test patient's features
                are CKKS-encrypted column-wise, the cloud computes ``σ̃(Xw + b)`` on ciphertexts and
                only the data owner decrypts (:mod:`mlops_course.privacy.he`, unit 08)
FL              hospitals keep their records and run FedAvg rounds with the numpy engine
                (:func:`mlops_course.privacy.fl.engine.run_federated`, unit 09)
==============  ==========================================================================

Measured for each: test accuracy, wall-clock seconds of the technique's whole job (training and/or
inference), and bytes communicated: raw float64 records uploaded to the curator (central, DP),
public context + ciphertexts up and the encrypted result down (HE), model parameters down and up
every round (FL). Timings vary by machine; accuracy and bytes are deterministic for a seed.

Features are standardised with the *training* set's mean and standard deviation; the HE
polynomial's interval ``[-R, R]`` is set from the training scores only (``R = 1.1 · max|z|``), so
no test information leaks into either.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mlops_course._validation import check_epsilon, check_int
from mlops_course.datasets import load_breast_cancer_split
from mlops_course.logistic import accuracy, predict_proba, train_logreg
from mlops_course.privacy.dp.dpsgd import train_dp_logreg
from mlops_course.privacy.fl.engine import run_federated
from mlops_course.privacy.fl.partition import iid_partition
from mlops_course.privacy.fl.task import TaskData, TrainConfig
from mlops_course.privacy.he.ckks import encrypted_logistic_scores, sigmoid_coefficients
from mlops_course.privacy.he.params import ckks_context, plan_ckks
from mlops_course.privacy.he.roles import DataOwner, Server

__all__ = ["ComparisonTask", "TechniqueResult", "load_task", "run_central", "run_dp", "run_he", "run_fl",
           "compare_privacy_techniques", "PROTECTION", "slide_table_rows"]

BYTES_PER_FLOAT = 8

#: what each technique protects, from whom, and what it does not protect (the qualitative columns)
PROTECTION: dict[str, dict[str, str]] = {
    "central": {"protects": "nothing beyond access control",
                "from": "—", "not_from": "the curator, anyone who sees the model (membership inference)",
                "guarantee": "none"},
    "DP": {"protects": "each patient's influence on the released model",
           "from": "anyone who sees the model or its outputs",
           "not_from": "the curator, who still sees raw data", "guarantee": "(ε, δ)-DP, provable"},
    "HE": {"protects": "the patient's features and the score during inference",
           "from": "the cloud that computes", "not_from": "the key holder (data owner) who decrypts the scores; the "
           "model itself sits in plaintext at the cloud", "guarantee": "computational (RLWE, 128-bit parameters)"},
    "FL": {"protects": "raw records stay at each hospital",
           "from": "the server and the other hospitals (raw data)",
           "not_from": "updates can leak data (gradient inversion, unit 09) unless DP/secure aggregation is added",
           "guarantee": "none by itself"},
}


@dataclass(frozen=True)
class ComparisonTask:
    """Standardised train/test split of the breast-cancer data.

    Parameters
    ----------
    X_train, X_test : numpy.ndarray
        Features, shapes (n_train, 30) and (n_test, 30), standardised with the training statistics.
    y_train, y_test : numpy.ndarray
        Labels 0 (malignant) / 1 (benign).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class TechniqueResult:
    """One row of the comparison.

    Parameters
    ----------
    technique : {"central", "DP", "HE", "FL"}
        Key of :data:`PROTECTION`.
    accuracy : float
        Test accuracy.
    seconds : float
        Wall-clock time of the technique's whole job.
    bytes_communicated : int
        Bytes sent between the parties.
    detail : str
        One line on how it ran (ε, CKKS ring size, clients and rounds).
    baseline_seconds : float, default nan
        Time of the same job without the technique.
    baseline_bytes : int, default 0
        Plaintext bytes of the same job.
    """

    technique: str
    accuracy: float
    seconds: float
    bytes_communicated: int
    detail: str
    baseline_seconds: float = float("nan")
    baseline_bytes: int = 0

    @property
    def time_overhead(self) -> float:
        """seconds ÷ the same job without the technique (plain training or plain inference)."""
        return self.seconds / self.baseline_seconds

    @property
    def bytes_overhead(self) -> float:
        """bytes ÷ the plaintext data the same job would send."""
        return self.bytes_communicated / self.baseline_bytes

    @property
    def protects(self) -> str:
        return PROTECTION[self.technique]["protects"]

    @property
    def protected_from(self) -> str:
        return PROTECTION[self.technique]["from"]

    @property
    def not_protected_from(self) -> str:
        return PROTECTION[self.technique]["not_from"]


def load_task(seed: int = 0, test_fraction: float = 0.25) -> ComparisonTask:
    """Breast-cancer data, stratified split with ``seed``, standardised with training statistics.

    Loaded by :func:`mlops_course.datasets.load_breast_cancer_split` (``split="stratified"``).

    Parameters
    ----------
    seed : int, default 0
        ``random_state`` of scikit-learn's stratified split (>= 0).
    test_fraction : float, default 0.25
        Share held out, in (0, 1).

    Returns
    -------
    ComparisonTask

    Raises
    ------
    ValueError, TypeError
        Negative or non-integer ``seed``; ``test_fraction`` outside (0, 1).
    """
    seed = check_int("seed", seed, minimum=0)
    data = load_breast_cancer_split(split="stratified", test_fraction=test_fraction, seed=seed)
    return ComparisonTask(data.X_train, data.y_train, data.X_test, data.y_test)


def _central_weights(task: ComparisonTask) -> np.ndarray:
    return train_logreg(task.X_train, task.y_train, epochs=300, lr=0.5, l2=1e-2)


def run_central(task: ComparisonTask) -> TechniqueResult:
    """Plain pooled training (the baseline)."""
    start = time.perf_counter()
    w = _central_weights(task)
    acc = accuracy(predict_proba(w, task.X_test), task.y_test)
    seconds = time.perf_counter() - start
    raw = task.X_train.size * BYTES_PER_FLOAT
    return TechniqueResult("central", acc, seconds, raw, "raw records uploaded to the curator", seconds, raw)


def run_dp(task: ComparisonTask, epsilon: float, delta: float, rng: np.random.Generator,
           baseline_seconds: float = float("nan")) -> TechniqueResult:
    """DP-SGD logistic regression at (ε, δ) on the pooled data (baseline: plain pooled training).

    Parameters
    ----------
    task : ComparisonTask
        The data.
    epsilon : float
        Target ε > 0 (σ calibrated by :func:`mlops_course.privacy.dp.dpsgd.train_dp_logreg`).
    delta : float
        δ in (0, 1).
    rng : numpy.random.Generator
        Drives the sampling and the noise.
    baseline_seconds : float, default nan
        Time of plain pooled training (for :attr:`TechniqueResult.time_overhead`).

    Returns
    -------
    TechniqueResult
        ``"DP"`` row; bytes = the raw training records sent to the curator.

    Raises
    ------
    ValueError
        If ``epsilon`` or ``delta`` is out of range.
    """
    epsilon = check_epsilon(epsilon)
    start = time.perf_counter()
    model = train_dp_logreg(task.X_train, task.y_train, epsilon, delta, rng=rng, sampling_rate=0.05, steps=300)
    acc = model.score(task.X_test, task.y_test)
    seconds = time.perf_counter() - start
    raw = task.X_train.size * BYTES_PER_FLOAT
    return TechniqueResult("DP", acc, seconds, raw,
                           f"(ε = {model.epsilon:.2f}, δ = {delta:g}) DP-SGD, raw records uploaded to the curator",
                           baseline_seconds, raw)


def run_he(task: ComparisonTask, *, degree: int = 3) -> TechniqueResult:
    """Encrypted inference of the central model on the test set with TenSEAL CKKS (128-bit parameters).

    Baseline: the same inference in plaintext (features up, scores down, as float64).

    Parameters
    ----------
    task : ComparisonTask
        The data (the model is :func:`run_central`'s, trained on ``task.X_train``).
    degree : int, default 3
        Degree of the least-squares polynomial replacing the sigmoid on ``[-R, R]``.

    Returns
    -------
    TechniqueResult
        ``"HE"`` row; bytes = public context + encrypted columns up + encrypted scores down.
    """
    w = _central_weights(task)
    radius = 1.1 * float(np.max(np.abs(task.X_train @ w[:-1] + w[-1])))
    coeffs = sigmoid_coefficients(degree, radius)
    start = time.perf_counter()
    _ = 1.0 / (1.0 + np.exp(-(task.X_test @ w[:-1] + w[-1])))
    plain_seconds = time.perf_counter() - start
    start = time.perf_counter()
    plan = plan_ckks(3, scale_bits=30, integer_bits=10)
    owner = DataOwner(ckks_context(plan.poly_degree, plan.coeff_mod_bit_sizes, plan.scale_bits, galois_keys=False))
    public = owner.public_context()
    uploads = owner.encrypt_columns(task.X_test)
    result = Server(public).compute_columns(encrypted_logistic_scores, uploads, weights=w[:-1], bias=float(w[-1]),
                                            coeffs=coeffs)
    scores = owner.decrypt(result)[: task.X_test.shape[0]]
    seconds = time.perf_counter() - start
    sent = len(public) + sum(len(u) for u in uploads) + len(result)
    plain_bytes = (task.X_test.size + task.X_test.shape[0]) * BYTES_PER_FLOAT
    return TechniqueResult("HE", accuracy(scores, task.y_test), seconds, sent,
                           f"CKKS N={plan.poly_degree}, {len(uploads)} encrypted columns, degree-{degree} sigmoid",
                           plain_seconds, plain_bytes)


def run_fl(task: ComparisonTask, *, n_clients: int = 5, rounds: int = 5, seed: int = 0,
           baseline_seconds: float = float("nan")) -> TechniqueResult:
    """FedAvg over ``n_clients`` hospitals (IID split) for ``rounds`` rounds, numpy engine.

    Baseline: pooling the raw records centrally (their bytes) and training there (its time).

    Parameters
    ----------
    task : ComparisonTask
        The data (the test set stays at the server).
    n_clients : int, default 5
        Hospitals (>= 1), IID split of the training rows.
    rounds : int, default 5
        FedAvg rounds (>= 1).
    seed : int, default 0
        Seed of the partition and of the clients' minibatches.
    baseline_seconds : float, default nan
        Time of plain pooled training.

    Returns
    -------
    TechniqueResult
        ``"FL"`` row; bytes = model parameters down and up, every round, every client.

    Raises
    ------
    ValueError, TypeError
        If ``n_clients`` or ``rounds`` is not an integer >= 1.
    """
    n_clients = check_int("n_clients", n_clients, minimum=1)
    rounds = check_int("rounds", rounds, minimum=1)
    data = TaskData(task.X_train, task.y_train, task.X_test, task.y_test, 2)
    parts = iid_partition(task.X_train.shape[0], n_clients, np.random.default_rng([seed, 2]))
    start = time.perf_counter()
    hist = run_federated(data, parts, rounds=rounds, config=TrainConfig(epochs=1, batch_size=16, lr=0.1), seed=seed)
    seconds = time.perf_counter() - start
    return TechniqueResult("FL", hist.final_accuracy, seconds, hist.total_bytes,
                           f"FedAvg, {n_clients} clients, {rounds} rounds; raw data never leaves a client",
                           baseline_seconds, task.X_train.size * BYTES_PER_FLOAT)


def compare_privacy_techniques(seed: int = 0, *, epsilon: float = 1.0, delta: float = 1e-5, n_clients: int = 5,
                               rounds: int = 5) -> list[TechniqueResult]:
    """Run the four techniques on :func:`load_task` and return their measured rows.

    Parameters
    ----------
    seed : int, default 0
        Seed of the split, the FL partition and (as ``[seed, 7]``) DP-SGD's generator.
    epsilon : float, default 1
        DP-SGD's target ε.
    delta : float, default 1e-5
        DP-SGD's δ.
    n_clients, rounds : int, default 5
        FedAvg's clients and rounds.

    Returns
    -------
    list of TechniqueResult
        Rows ``central``, ``DP``, ``HE``, ``FL`` in this order.
    """
    task = load_task(seed)
    central = run_central(task)
    return [central, run_dp(task, epsilon, delta, np.random.default_rng([seed, 7]), central.seconds), run_he(task),
            run_fl(task, n_clients=n_clients, rounds=rounds, seed=seed, baseline_seconds=central.seconds)]


def slide_table_rows(results: list[TechniqueResult]) -> list[list[str]]:
    """The slides' comparison rows for DP / HE / FL, with the measured numbers written in.

    Rows: data location, privacy guarantee, computational overhead (time ÷ the same job without the
    technique), communication (bytes ÷ the plaintext bytes of the same job), accuracy vs central,
    what it does not protect from.
    """
    by = {r.technique: r for r in results}
    if set(by) != {"central", "DP", "HE", "FL"}:
        raise ValueError("results must hold the central, DP, HE and FL rows")
    base = by["central"]
    cols = ("DP", "HE", "FL")
    loc = {"DP": "central curator; noise added in training", "HE": "encrypted at an untrusted server",
           "FL": "stays on each client"}
    rows = [["Data location", *(loc[c] for c in cols)],
            ["Privacy guarantee", *(PROTECTION[c]["guarantee"] for c in cols)],
            ["Computational overhead", *(f"×{by[c].time_overhead:.3g} the time without it" for c in cols)],
            ["Communication", *(f"×{by[c].bytes_overhead:.3g} the plaintext bytes" for c in cols)],
            ["Accuracy vs central", *(f"{by[c].accuracy - base.accuracy:+.3f}" for c in cols)],
            ["Not protected from", *(PROTECTION[c]["not_from"] for c in cols)]]
    return rows
