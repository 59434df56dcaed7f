"""Adversarial examples (evasion attacks): FGSM, PGD, transfer between models; adversarial training.

An evasion attack changes an input by a small, bounded amount so that a deployed model gets it
wrong. With the L∞ threat model every feature moves by at most ε.

* **FGSM** (Goodfellow, Shlens & Szegedy 2015): one step along the sign of the loss gradient,
  ``x' = clip(x + ε · sign(∇ₓ L(x, y)), lower, upper)``.
* **PGD** (Madry et al. 2018): repeat a step of size α and project back onto the ε-ball around x,
  ``x ← Π_{‖x' − x‖∞ ≤ ε, [lower, upper]}(x + α · sign(∇ₓ L))``, from a random start in the ball.
  PGD is usually at least as strong as FGSM for the same ε (it searches the ball instead of one
  corner; with steps=1, α=ε and no random start it *is* FGSM), but not provably so for every input.
* **Transfer** (Papernot et al. 2016): examples crafted on one model often fool another model
  trained for the same task, so hiding the model's gradients is not a defence.

Defence measured here:

* **Adversarial training** (Goodfellow et al. 2015; Madry et al. 2018): train on adversarial
  examples crafted against the current model at every step; robust accuracy rises, at a cost in
  training compute (an attack per mini-batch) and usually some clean accuracy. Refitting once on
  a fixed set of adversarial examples does *not* work: the refitted model has new weak spots.

The gradients come from :func:`mlops_course.security.models.input_gradient` (scikit-learn's
LogisticRegression and MLPClassifier).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mlops_course._validation import (
    check_choice,
    check_finite_array,
    check_int,
    check_nonnegative,
    check_positive,
    check_rng,
)
from mlops_course.security.models import input_gradient

__all__ = ["fgsm", "pgd", "accuracy_under_attack", "transfer_matrix", "adversarial_training"]


def _bounds(lower: float | None, upper: float | None) -> tuple[float, float]:
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if not lo < hi:
        raise ValueError(f"lower must be < upper, got lower={lower!r}, upper={upper!r}")
    return lo, hi


def fgsm(model: Any, X: Any, y: Any, epsilon: float, *, lower: float | None = None,
         upper: float | None = None) -> np.ndarray:
    """Fast Gradient Sign Method: ``x' = clip(x + ε · sign(∇ₓ L(x, y)), lower, upper)``.

    Guarantee: ``‖x' − x‖∞ <= ε`` and ``lower <= x' <= upper``. For a linear model the step is the
    L∞-optimal first-order attack (Goodfellow, Shlens & Szegedy, "Explaining and Harnessing
    Adversarial Examples", ICLR 2015).

    Parameters
    ----------
    model : fitted sklearn LogisticRegression or MLPClassifier
    X : array of shape (n, d)
    y : array of int, shape (n,)
        True labels (the attack raises their loss).
    epsilon : float
        Perturbation budget ε >= 0 (0 returns a copy of X).
    lower, upper : float, optional
        Valid feature range (e.g. 0 and 1 for pixels).

    Returns
    -------
    numpy.ndarray
        Adversarial inputs, shape (n, d).

    Raises
    ------
    ValueError, TypeError
        On negative/non-finite ε, bad shapes, an unsupported model or ``lower >= upper``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> m = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> fgsm(m, [[0.6]], [1], 0.25).tolist()
    [[0.35]]
    """
    epsilon = check_nonnegative("epsilon", epsilon)
    lo, hi = _bounds(lower, upper)
    X = check_finite_array("X", X, ndim=2)
    grad = input_gradient(model, X, y)
    return np.clip(X + epsilon * np.sign(grad), lo, hi)


def pgd(model: Any, X: Any, y: Any, epsilon: float, *, steps: int = 20, step_size: float | None = None,
        rng: np.random.Generator | None = None, lower: float | None = None,
        upper: float | None = None) -> np.ndarray:
    """Projected Gradient Descent (L∞), Madry et al. 2018.

    ``x⁰ = x + U(−ε, ε)`` (random start when ``rng`` is given, else ``x⁰ = x``), then ``steps``
    times ``x ← clip(clip(x + α · sign(∇ₓ L(x, y)), x − ε, x + ε), lower, upper)``.

    Guarantee: ``‖x' − x‖∞ <= ε`` and ``lower <= x' <= upper``. With ``steps = 1``, ``α = ε`` and
    no random start it equals :func:`fgsm`.

    Parameters
    ----------
    model, X, y, epsilon, lower, upper
        As in :func:`fgsm`.
    steps : int, default 20
        Number of iterations (>= 1).
    step_size : float, optional
        α > 0 (default ``2.5 ε / steps``, Madry et al.'s choice).
    rng : numpy.random.Generator, optional
        Random start inside the ε-ball (deterministic start at x if omitted).

    Returns
    -------
    numpy.ndarray
        Adversarial inputs, shape (n, d).

    References
    ----------
    A. Madry, A. Makelov, L. Schmidt, D. Tsipras, A. Vladu, "Towards Deep Learning Models
    Resistant to Adversarial Attacks", ICLR 2018.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> m = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> pgd(m, [[0.6]], [1], 0.25, steps=5).round(6).tolist()
    [[0.35]]
    """
    epsilon = check_nonnegative("epsilon", epsilon)
    steps = check_int("steps", steps, minimum=1)
    alpha = 2.5 * epsilon / steps if step_size is None else check_positive("step_size", step_size)
    lo, hi = _bounds(lower, upper)
    X = check_finite_array("X", X, ndim=2)
    x_adv = X.copy()
    if rng is not None:
        rng = check_rng(rng)
        x_adv = np.clip(X + rng.uniform(-epsilon, epsilon, size=X.shape), lo, hi)
    for _ in range(steps):
        x_adv = x_adv + alpha * np.sign(input_gradient(model, x_adv, y))
        x_adv = np.clip(np.clip(x_adv, X - epsilon, X + epsilon), lo, hi)
    return x_adv


def accuracy_under_attack(model: Any, X: Any, y: Any, epsilons: Sequence[float], *, attack: str = "fgsm",
                          lower: float | None = None, upper: float | None = None,
                          steps: int = 20) -> np.ndarray:
    """Accuracy of ``model`` on adversarial versions of ``(X, y)`` for each ε (an accuracy-vs-ε curve).

    Parameters
    ----------
    model, X, y, lower, upper
        As in :func:`fgsm`.
    epsilons : sequence of float
        Budgets ε >= 0.
    attack : {"fgsm", "pgd"}
    steps : int
        PGD iterations (deterministic start).

    Returns
    -------
    numpy.ndarray
        Accuracy per ε.
    """
    eps = check_finite_array("epsilons", epsilons, ndim=1)
    if np.any(eps < 0):
        raise ValueError(f"epsilons must all be >= 0, got {eps[eps < 0].tolist()}")
    check_choice("attack", attack, ("fgsm", "pgd"))
    y = np.asarray(y)
    out = []
    for e in eps:
        if attack == "fgsm":
            x_adv = fgsm(model, X, y, float(e), lower=lower, upper=upper)
        else:
            x_adv = pgd(model, X, y, float(e), steps=steps, lower=lower, upper=upper)
        out.append(np.mean(model.predict(x_adv) == y))
    return np.array(out)


def transfer_matrix(models: Mapping[str, Any], X: Any, y: Any, epsilon: float, *, lower: float | None = None,
                    upper: float | None = None) -> np.ndarray:
    """Accuracy of every target model on FGSM examples crafted on every source model.

    Entry ``[i, j]`` is the accuracy of model ``j`` on ``fgsm(model_i, X, y, ε)``: the diagonal is
    the white-box attack, off-diagonal entries the transfer (black-box) attack (Papernot,
    McDaniel & Goodfellow 2016, "Transferability in Machine Learning").

    Parameters
    ----------
    models : mapping of name -> fitted model
        At least one model; the order of the mapping is the order of rows and columns.
    X, y, epsilon, lower, upper
        As in :func:`fgsm`.

    Returns
    -------
    numpy.ndarray
        Shape (m, m).
    """
    if not isinstance(models, Mapping) or not models:
        raise ValueError("models must be a non-empty mapping of name -> fitted model")
    y = np.asarray(y)
    names = list(models)
    out = np.empty((len(names), len(names)))
    for i, src in enumerate(names):
        x_adv = fgsm(models[src], X, y, epsilon, lower=lower, upper=upper)
        for j, dst in enumerate(names):
            out[i, j] = np.mean(models[dst].predict(x_adv) == y)
    return out


def adversarial_training(model: Any, X: Any, y: Any, epsilon: float, *, rng: np.random.Generator,
                         epochs: int = 60, batch_size: int = 128, attack: str = "pgd", attack_steps: int = 5,
                         lower: float | None = None, upper: float | None = None) -> tuple[Any, dict[str, int]]:
    """Adversarial training (Madry et al. 2018): fit on fresh adversarial examples at every step.

    Minimises the robust loss ``E_{(x,y)} max_{‖δ‖∞ <= ε} L(x + δ, y)`` approximately: for every
    mini-batch B the attack (PGD with ``attack_steps`` steps and a random start, or FGSM) is run
    against the *current* model, and the model takes one optimiser step (``partial_fit``) on
    ``B ∪ B_adv`` (clean and adversarial halves, as in Goodfellow et al. 2015, §6).
    ``epsilon = 0`` is ordinary mini-batch training with the same schedule (the baseline).

    Cost: per epoch, ``attack_steps`` extra input-gradient passes over the data (1 for FGSM) and
    twice as many examples in every optimiser step; usually some clean accuracy.

    Parameters
    ----------
    model : sklearn MLPClassifier
        An *unfitted* template (it is cloned); ``hidden_layer_sizes=()`` is softmax regression.
    X, y
        Training data (labels 0..k-1).
    epsilon : float
        Training budget ε >= 0.
    rng : numpy.random.Generator
        Shuffles the batches and draws PGD's random starts.
    epochs : int, default 60
    batch_size : int, default 128
    attack : {"pgd", "fgsm"}
    attack_steps : int, default 5
        PGD iterations per batch.
    lower, upper : float, optional
        Valid feature range.

    Returns
    -------
    (model, cost)
        The fitted model and ``{"examples": examples seen by the optimiser, "gradients": input
        gradients computed by the attack}``.

    Raises
    ------
    TypeError
        If ``model`` is not an MLPClassifier.
    ValueError
        On bad shapes or parameters.

    References
    ----------
    A. Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018.
    """
    from sklearn.base import clone
    from sklearn.neural_network import MLPClassifier

    if not isinstance(model, MLPClassifier):
        raise TypeError(f"model must be an (unfitted) sklearn MLPClassifier, got {type(model).__name__}")
    epsilon = check_nonnegative("epsilon", epsilon)
    rng = check_rng(rng)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    attack_steps = check_int("attack_steps", attack_steps, minimum=1)
    check_choice("attack", attack, ("fgsm", "pgd"))
    X = check_finite_array("X", X, ndim=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError(f"y must hold one integer label >= 0 per row of X, got shape {y.shape}")
    classes = np.arange(int(y.max()) + 1)
    model = clone(model)
    n = X.shape[0]
    cost = {"examples": 0, "gradients": 0}
    for _ in range(epochs):
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            xb, yb = X[idx], y[idx]
            if epsilon > 0 and hasattr(model, "coefs_"):
                if attack == "pgd":
                    x_adv = pgd(model, xb, yb, epsilon, steps=attack_steps, rng=rng, lower=lower, upper=upper)
                    cost["gradients"] += attack_steps * len(idx)
                else:
                    x_adv = fgsm(model, xb, yb, epsilon, lower=lower, upper=upper)
                    cost["gradients"] += len(idx)
                xb, yb = np.vstack([xb, x_adv]), np.concatenate([yb, yb])
            model.partial_fit(xb, yb, classes=classes)
            cost["examples"] += len(yb)
    return model, cost
