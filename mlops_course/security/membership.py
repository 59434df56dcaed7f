"""Membership inference: was this record in the training set? Loss threshold, shadow models, DP.

A model that fits its training records better than unseen ones leaks *who* was in the training
data — for a model trained on patients, that alone discloses a diagnosis.

* **Loss-threshold attack** (Yeom, Giacomelli, Fredrikson & Jha, "Privacy Risk in Machine
  Learning: Analyzing the Connection to Overfitting", CSF 2018): guess "member" when the loss
  ``ℓ(x, y) = −log f_y(x)`` is at most a threshold τ; Yeom et al. take τ = the average training
  loss. Its *membership advantage* ``Adv = TPR − FPR`` is the gap between guessing right on
  members and wrongly on non-members (0 = no leak, 1 = total).
* **Shadow-model attack** (Shokri, Stronati, Song & Shmatikov, "Membership Inference Attacks
  against Machine Learning Models", IEEE S&P 2017): the attacker trains *shadow* models like the
  target on data it owns, where it knows who is in and out, and learns an *attack model* from
  the shadow models' confidence vectors (one attack model per true class).

Both are scored here by the advantage and by the AUC of the membership score (the probability
that a random member scores higher than a random non-member).

Defence: **differentially private training** (unit 07). An (ε, δ)-DP training algorithm bounds
every attack's advantage: ``TPR <= e^ε FPR + δ`` and ``1 − FPR <= e^ε (1 − TPR) + δ`` at every
threshold, so ``Adv <= (e^ε − 1 + 2δ)/(e^ε + 1)`` (Yeom et al. Thm. 1 gives ``Adv <= e^ε − 1``
for δ = 0; the tighter bound follows from the hypothesis-testing view of DP, Kairouz, Oh &
Viswanath 2015).
:func:`dp_advantage_bound` computes the tighter bound.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_course._validation import (
    check_delta,
    check_epsilon,
    check_finite_array,
    check_int,
    check_rng,
)

__all__ = ["loss_threshold_attack", "advantage", "best_advantage", "auc", "dp_advantage_bound",
           "ShadowAttack", "shadow_model_attack", "membership_scores", "membership_experiment"]


def _scores(name: str, values: Any) -> np.ndarray:
    return check_finite_array(name, values, ndim=1)


def loss_threshold_attack(losses: Any, threshold: float) -> np.ndarray:
    """Yeom et al.'s attack: predict "member" (True) when ``loss <= threshold``.

    Parameters
    ----------
    losses : array of shape (n,)
        Per-record losses ``−log f_y(x)`` (finite, >= 0).
    threshold : float
        τ, typically the model's average training loss (Yeom et al. 2018, §3.2).

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> loss_threshold_attack([0.01, 0.5, 2.0], 0.3).tolist()
    [True, False, False]
    """
    losses = _scores("losses", losses)
    if np.any(losses < 0):
        raise ValueError("losses must be >= 0")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)) or math.isnan(threshold):
        raise TypeError(f"threshold must be a real number, got {threshold!r}")
    return losses <= float(threshold)


def advantage(guess_members: Any, guess_nonmembers: Any) -> float:
    """Membership advantage ``TPR − FPR`` of boolean guesses on members and on non-members.

    Parameters
    ----------
    guess_members : array_like of bool, shape (n₁,)
        The attack's guesses ("member" = True) on true members.
    guess_nonmembers : array_like of bool, shape (n₀,)
        Its guesses on non-members.

    Returns
    -------
    float
        ``mean(guess_members) − mean(guess_nonmembers)``, in [-1, 1].

    Raises
    ------
    ValueError
        If either array is empty or not 1-D.

    Examples
    --------
    >>> advantage([True, True, False, True], [False, True, False, False])
    0.5
    """
    gi = np.asarray(guess_members, dtype=bool)
    go = np.asarray(guess_nonmembers, dtype=bool)
    if gi.ndim != 1 or go.ndim != 1 or gi.size == 0 or go.size == 0:
        raise ValueError("guesses on members and non-members must be non-empty 1-dimensional arrays")
    return float(gi.mean() - go.mean())


def best_advantage(scores_members: Any, scores_nonmembers: Any) -> float:
    """``max_τ TPR(τ) − FPR(τ)`` over all thresholds on a membership score (higher = member).

    This is the advantage of the best threshold chosen *in hindsight* (an upper estimate of what
    an attacker achieves with a threshold fixed in advance); it equals the Kolmogorov–Smirnov
    distance between the two score distributions.

    Parameters
    ----------
    scores_members : array_like, shape (n₁,)
        Finite membership scores of members.
    scores_nonmembers : array_like, shape (n₀,)
        Finite membership scores of non-members.

    Returns
    -------
    float
        The advantage, in [0, 1].

    Raises
    ------
    ValueError, TypeError
        If either array is empty, not 1-D or holds NaN/inf.
    """
    si = _scores("scores_members", scores_members)
    so = _scores("scores_nonmembers", scores_nonmembers)
    thresholds = np.unique(np.concatenate([si, so]))
    tpr = 1.0 - np.searchsorted(np.sort(si), thresholds, side="left") / si.size
    fpr = 1.0 - np.searchsorted(np.sort(so), thresholds, side="left") / so.size
    return float(max(0.0, np.max(tpr - fpr)))


def auc(scores_members: Any, scores_nonmembers: Any) -> float:
    """Area under the ROC curve of a membership score: ``P(s_member > s_non) + ½ P(tie)``.

    Computed from ranks (Mann–Whitney U / (n₁ n₀)); 0.5 = no better than a coin.

    Parameters
    ----------
    scores_members : array_like, shape (n₁,)
        Finite membership scores of members.
    scores_nonmembers : array_like, shape (n₀,)
        Finite membership scores of non-members.

    Returns
    -------
    float
        The AUC, in [0, 1].

    Raises
    ------
    ValueError, TypeError
        If either array is empty, not 1-D or holds NaN/inf.

    Examples
    --------
    >>> auc([3.0, 2.0], [1.0, 2.0])
    0.875
    """
    from scipy.stats import rankdata

    si = _scores("scores_members", scores_members)
    so = _scores("scores_nonmembers", scores_nonmembers)
    ranks = rankdata(np.concatenate([si, so]))
    u = ranks[: si.size].sum() - si.size * (si.size + 1) / 2.0
    return float(u / (si.size * so.size))


def dp_advantage_bound(epsilon: float, delta: float = 0.0) -> float:
    """Largest membership advantage ``TPR − FPR`` of any attack on an (ε, δ)-DP training algorithm.

    From ``TPR <= e^ε FPR + δ`` and ``1 − FPR <= e^ε (1 − TPR) + δ`` (Kairouz, Oh & Viswanath 2015):
    ``Adv <= (e^ε − 1 + 2δ) / (e^ε + 1)``.

    Parameters
    ----------
    epsilon : float
        ε > 0.
    delta : float, default 0.0
        δ in [0, 1).

    Returns
    -------
    float
        The bound, in [0, 1].

    Raises
    ------
    ValueError, TypeError
        If ε or δ is invalid.

    Examples
    --------
    >>> round(dp_advantage_bound(1.0), 4)
    0.4621
    """
    epsilon = check_epsilon(epsilon)
    delta = check_delta(delta, allow_zero=True)
    return min(1.0, (math.expm1(epsilon) + 2.0 * delta) / (math.exp(epsilon) + 1.0))


def membership_scores(proba: Any, y: Any) -> np.ndarray:
    """The loss-based membership score ``log f_y(x)`` (= −loss; higher means "more likely a member").

    Parameters
    ----------
    proba : array of shape (n, k)
        The model's class probabilities (clipped at 1e-300 before the log).
    y : array of int, shape (n,)

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``log P[i, y_i]`` for every row.

    Raises
    ------
    ValueError, TypeError
        ``proba`` not a finite 2-D array, or ``y`` not one integer label in ``0..k − 1`` per row.
    """
    P = check_finite_array("proba", proba, ndim=2)
    y = np.asarray(y)
    if y.shape != (P.shape[0],) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= P.shape[1]:
        raise ValueError(f"y must hold one label in 0..{P.shape[1] - 1} per row of proba")
    return np.log(np.maximum(P[np.arange(y.size), y], 1e-300))


def _attack_features(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Shokri's attack input: the confidence vector sorted descending, plus log f_y(x)."""
    sorted_p = -np.sort(-proba, axis=1)
    return np.column_stack([sorted_p, membership_scores(proba, y)])


@dataclass(frozen=True)
class ShadowAttack:
    """Per-class attack models learned from shadow models (Shokri et al. 2017)."""

    attack_models: dict[int, Any]

    def score(self, proba: Any, y: Any) -> np.ndarray:
        """P(member) for records with the target's probabilities ``proba`` and true labels ``y``."""
        P = check_finite_array("proba", proba, ndim=2)
        y = np.asarray(y).astype(int)
        feats = _attack_features(P, y)
        out = np.full(y.size, 0.5)
        for c, model in self.attack_models.items():
            mask = y == c
            if mask.any():
                out[mask] = model.predict_proba(feats[mask])[:, 1]
        return out


def shadow_model_attack(fit: Callable[[np.ndarray, np.ndarray], Any], X: Any, y: Any, n_shadows: int,
                        train_size: int, rng: np.random.Generator, attack_model: Any = None) -> ShadowAttack:
    """Train ``n_shadows`` shadow models on the attacker's data and learn per-class attack models.

    For every shadow model i: draw ``2 · train_size`` records of the attacker's data at random,
    train ``fit`` on the first half ("in"), and record its confidence vectors on both halves
    with the labels in/out. For every class c an attack model (default: logistic regression on
    the sorted confidence vector and ``log f_y(x)``) learns in/out from the shadow records of
    class c (Shokri et al. 2017, §IV).

    Parameters
    ----------
    fit : callable
        ``fit(X, y) -> fitted model`` with ``predict_proba``, trained like the target.
    X, y
        The attacker's own labelled data (disjoint from the target's training set).
    n_shadows : int
        Number of shadow models (>= 1).
    train_size : int
        Training-set size of each shadow model (like the target's), with ``2 · train_size <= len(y)``.
    rng : numpy.random.Generator
    attack_model : sklearn classifier, optional
        Unfitted template for the per-class attack models.

    Returns
    -------
    ShadowAttack
    """
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    if not callable(fit):
        raise TypeError(f"fit must be callable, got {type(fit).__name__}")
    X = check_finite_array("X", X, ndim=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold one integer label per row of X, got shape {y.shape}")
    n_shadows = check_int("n_shadows", n_shadows, minimum=1)
    train_size = check_int("train_size", train_size, minimum=1, maximum=X.shape[0] // 2)
    rng = check_rng(rng)
    template = LogisticRegression(max_iter=1000) if attack_model is None else attack_model
    feats, labels, classes = [], [], []
    for _ in range(n_shadows):
        idx = rng.choice(X.shape[0], size=2 * train_size, replace=False)
        inside, outside = idx[:train_size], idx[train_size:]
        shadow = fit(X[inside], y[inside])
        for part, member in ((inside, 1), (outside, 0)):
            feats.append(_attack_features(np.asarray(shadow.predict_proba(X[part])), y[part]))
            labels.append(np.full(part.size, member))
            classes.append(y[part])
    F, L, C = np.vstack(feats), np.concatenate(labels), np.concatenate(classes)
    models = {}
    for c in np.unique(C):
        mask = C == c
        if np.unique(L[mask]).size == 2:
            models[int(c)] = clone(template).fit(F[mask], L[mask])
    return ShadowAttack(models)


def membership_experiment(fit: Callable[[np.ndarray, np.ndarray, np.random.Generator], Any], X: Any, y: Any,
                          n_members: int, repeats: int, rng: np.random.Generator) -> dict[str, Any]:
    """Yeom et al.'s membership experiment, repeated and pooled.

    Each repeat draws ``2 · n_members`` records at random, trains ``fit`` on the first half (the
    members) and computes the loss of every member and of the other half (non-members, from the
    same distribution). The attack guesses "member" when the loss is at most the *model's* mean
    training loss (Yeom's threshold). Guesses and scores are pooled over the repeats.

    Parameters
    ----------
    fit : callable
        ``fit(X, y, rng) -> fitted model`` with ``predict_proba`` (classes 0..k-1).
    X, y
        The population (features, integer labels).
    n_members : int
        Training-set size (``2 · n_members <= len(y)``).
    repeats : int
        Number of target models (>= 1).
    rng : numpy.random.Generator

    Returns
    -------
    dict
        ``accuracy`` (mean on the non-members), ``advantage`` (Yeom threshold, pooled
        TPR − FPR), ``best_advantage``, ``auc`` and the pooled ``scores_members`` /
        ``scores_nonmembers`` (``log f_y(x)``).
    """
    if not callable(fit):
        raise TypeError(f"fit must be callable, got {type(fit).__name__}")
    X = check_finite_array("X", X, ndim=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold one integer label per row of X, got shape {y.shape}")
    n_members = check_int("n_members", n_members, minimum=1, maximum=X.shape[0] // 2)
    repeats = check_int("repeats", repeats, minimum=1)
    rng = check_rng(rng)
    s_in, s_out, g_in, g_out, accs = [], [], [], [], []
    for _ in range(repeats):
        idx = rng.permutation(X.shape[0])[: 2 * n_members]
        members, others = idx[:n_members], idx[n_members:]
        model = fit(X[members], y[members], rng)
        si = membership_scores(model.predict_proba(X[members]), y[members])
        so = membership_scores(model.predict_proba(X[others]), y[others])
        tau = float(np.mean(-si))  # the mean training loss
        g_in.append(loss_threshold_attack(-si, tau))
        g_out.append(loss_threshold_attack(-so, tau))
        s_in.append(si)
        s_out.append(so)
        accs.append(np.mean(np.asarray(model.predict(X[others])) == y[others]))
    si, so = np.concatenate(s_in), np.concatenate(s_out)
    return {"accuracy": float(np.mean(accs)), "advantage": advantage(np.concatenate(g_in), np.concatenate(g_out)),
            "best_advantage": best_advantage(si, so), "auc": auc(si, so), "scores_members": si,
            "scores_nonmembers": so}
