"""Data poisoning: label flipping (random and targeted), a backdoor trigger, and two sanitisers.

An attacker who controls a share ``r`` (the *poisoning rate*) of the training data can

* **flip labels at random** — the weakest attack, mostly averaged out by the clean majority;
* **flip labels in a targeted way** — flip the points the clean model is *most confident*
  about (largest margin ``y·f(x)``, the "farthest-first" heuristic of Xiao, Xiao & Eckert 2012,
  "Adversarial Label Flips Attack on Support Vector Machines"): at the same rate this moves a
  linear decision boundary much further than random flips;
* **plant a backdoor** (Gu, Dolan-Gavitt & Garg 2017, "BadNets"; Chen et al. 2017): stamp a small
  trigger on a few training inputs and relabel them to a target class. Clean accuracy barely
  moves, so the usual validation does not notice, but any input carrying the trigger is sent
  to the target class (the *attack success rate*).

Defences (data sanitisation before training):

* :func:`knn_sanitize` — drop training points whose label disagrees with most of their k
  nearest neighbours (Paudice, Muñoz-González & Lupu 2018, "Label Sanitization against Label
  Flipping Poisoning Attacks"); it fails once flipped points are the majority of a region.
* :func:`spectral_signature_filter` — per class, score every point by its squared projection on
  the top singular vector of the centred data and drop the highest scores (Tran, Li & Madry 2018,
  "Spectral Signatures in Backdoor Attacks"); it needs the trigger to dominate one direction.
"""
from __future__ import annotations

import numpy as np

from mlops_course._validation import check_finite_array, check_int, check_probability, check_rng

__all__ = ["random_label_flip", "targeted_label_flip", "apply_trigger", "backdoor_poison",
           "attack_success_rate", "knn_sanitize", "spectral_signature_filter"]


def _labels(y: object, name: str = "y") -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-dimensional array of labels, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0:
        raise ValueError(f"{name} must hold integer labels >= 0")
    return arr.astype(int)


def _rate(rate: float) -> float:
    return check_probability("rate", rate, open_low=False, open_high=False)


def random_label_flip(y: object, rate: float, rng: np.random.Generator,
                      n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Flip the labels of ``round(rate · n)`` training points chosen uniformly at random.

    Each chosen label is replaced by a *different* label drawn uniformly from the other
    ``n_classes − 1`` classes (for two classes: ``y ← 1 − y``).

    Parameters
    ----------
    y : array of int, shape (n,)
    rate : float
        Poisoning rate in [0, 1].
    rng : numpy.random.Generator
    n_classes : int, optional
        Number of classes (default ``max(y) + 1``, at least 2).

    Returns
    -------
    (y_poisoned, flipped)
        The poisoned labels and the indices that were flipped (sorted).

    Examples
    --------
    >>> y_p, idx = random_label_flip(np.zeros(10, dtype=int), 0.3, np.random.default_rng(0))
    >>> int(y_p.sum()), len(idx)
    (3, 3)
    """
    y = _labels(y)
    rate = _rate(rate)
    rng = check_rng(rng)
    k = max(int(y.max()) + 1, 2) if n_classes is None else check_int("n_classes", n_classes, minimum=2)
    if y.max() >= k:
        raise ValueError(f"y holds label {int(y.max())} >= n_classes={k}")
    m = int(round(rate * y.size))
    idx = np.sort(rng.choice(y.size, size=m, replace=False))
    y_p = y.copy()
    y_p[idx] = (y[idx] + rng.integers(1, k, size=m)) % k  # a uniformly random *other* class
    return y_p, idx


def targeted_label_flip(y: object, rate: float, margins: object) -> tuple[np.ndarray, np.ndarray]:
    """Flip the binary labels of the ``round(rate · n)`` points with the largest margins.

    ``margin_i = (2y_i − 1) · f(x_i)`` for a surrogate score ``f`` (e.g. a model the attacker
    trained on the clean data): the points the model is most sure about are the ones whose flip
    pulls the boundary hardest (farthest-first; Xiao, Xiao & Eckert 2012). Deterministic.

    Parameters
    ----------
    y : array of int in {0, 1}, shape (n,)
    rate : float
        Poisoning rate in [0, 1].
    margins : array of float, shape (n,)

    Returns
    -------
    (y_poisoned, flipped)

    Examples
    --------
    >>> targeted_label_flip([0, 1, 1, 0], 0.5, [0.1, 3.0, 0.2, 2.0])[0].tolist()
    [0, 0, 1, 1]
    """
    y = _labels(y)
    if y.max() > 1:
        raise ValueError("targeted_label_flip needs binary labels in {0, 1}")
    rate = _rate(rate)
    margins = check_finite_array("margins", margins, ndim=1)
    if margins.shape != y.shape:
        raise ValueError(f"margins must have shape {y.shape} (one per label), got {margins.shape}")
    m = int(round(rate * y.size))
    idx = np.sort(np.argsort(-margins, kind="stable")[:m])
    y_p = y.copy()
    y_p[idx] = 1 - y[idx]
    return y_p, idx


def apply_trigger(X: object, pixels: object, value: float = 1.0) -> np.ndarray:
    """Stamp the trigger: set the features ``pixels`` of every row of ``X`` to ``value``.

    Parameters
    ----------
    X : array of shape (n, d)
    pixels : sequence of int
        Feature indices of the trigger (e.g. a 2×2 corner patch of an 8×8 image: 54, 55, 62, 63).
    value : float, default 1.0

    Returns
    -------
    numpy.ndarray
        A stamped copy of X.
    """
    X = check_finite_array("X", X, ndim=2)
    pix = np.asarray(pixels)
    if pix.ndim != 1 or pix.size == 0 or not np.issubdtype(pix.dtype, np.integer):
        raise ValueError("pixels must be a non-empty 1-dimensional sequence of feature indices")
    if pix.min() < 0 or pix.max() >= X.shape[1]:
        raise ValueError(f"pixels must lie in 0..{X.shape[1] - 1}, got {pix.tolist()}")
    out = X.copy()
    out[:, pix] = float(value)
    return out


def backdoor_poison(X: object, y: object, rate: float, pixels: object, target: int, rng: np.random.Generator,
                    value: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BadNets-style backdoor: stamp the trigger on ``round(rate · n)`` random non-target points and
    relabel them ``target`` (Gu, Dolan-Gavitt & Garg 2017).

    Parameters
    ----------
    X : array of shape (n, d)
    y : array of int, shape (n,)
    rate : float
        Share of the training set poisoned, in [0, 1].
    pixels : sequence of int
        Trigger features (see :func:`apply_trigger`).
    target : int
        Label the trigger should force.
    rng : numpy.random.Generator
    value : float, default 1.0

    Returns
    -------
    (X_poisoned, y_poisoned, poisoned)
        The poisoned training set and the indices of the poisoned points.
    """
    X = check_finite_array("X", X, ndim=2)
    y = _labels(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}), got {y.shape[0]}")
    rate = _rate(rate)
    target = check_int("target", target, minimum=0)
    rng = check_rng(rng)
    candidates = np.flatnonzero(y != target)
    m = min(int(round(rate * y.size)), candidates.size)
    idx = np.sort(rng.choice(candidates, size=m, replace=False))
    X_p, y_p = X.copy(), y.copy()
    X_p[idx] = apply_trigger(X[idx], pixels, value) if m else X_p[idx]
    y_p[idx] = target
    return X_p, y_p, idx


def attack_success_rate(model: object, X: object, y: object, pixels: object, target: int,
                        value: float = 1.0) -> float:
    """Share of test inputs *not* of class ``target`` that the model sends to ``target`` once stamped.

    ``ASR = P(f(trigger(x)) = target | y ≠ target)``.

    Parameters
    ----------
    model : object
        Anything with ``predict(X) -> labels``.
    X : array_like, shape (n, d)
        Finite test inputs.
    y : array_like of int, shape (n,)
        Their true labels.
    pixels : sequence of int
        Feature indices of the trigger.
    target : int
        The backdoor's target class (>= 0).
    value : float, default 1.0
        Value stamped into the trigger features.

    Returns
    -------
    float
        The ASR, in [0, 1].

    Raises
    ------
    ValueError, TypeError
        Bad inputs, or no test input with a label other than ``target``.
    """
    X = check_finite_array("X", X, ndim=2)
    y = _labels(y)
    target = check_int("target", target, minimum=0)
    keep = y != target
    if not keep.any():
        raise ValueError("no test input has a label other than the target")
    stamped = apply_trigger(X[keep], pixels, value)
    return float(np.mean(np.asarray(model.predict(stamped)) == target))


def knn_sanitize(X: object, y: object, k: int = 10, threshold: float = 0.5) -> np.ndarray:
    """Indices of the training points to *keep*: those whose label agrees with their neighbours.

    A point is dropped when the share of its ``k`` nearest neighbours (Euclidean, itself excluded)
    with the same label is below ``threshold`` (Paudice, Muñoz-González & Lupu 2018).

    Parameters
    ----------
    X : array of shape (n, d)
    y : array of int, shape (n,)
    k : int, default 10
        Neighbours (1 <= k < n).
    threshold : float, default 0.5
        Minimum agreeing share to keep a point, in (0, 1].

    Returns
    -------
    numpy.ndarray
        Sorted indices of the kept points.
    """
    from sklearn.neighbors import NearestNeighbors

    X = check_finite_array("X", X, ndim=2)
    y = _labels(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}), got {y.shape[0]}")
    k = check_int("k", k, minimum=1, maximum=X.shape[0] - 1)
    threshold = check_probability("threshold", threshold, open_high=False)
    _, nbrs = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    nbrs = nbrs[:, 1:]  # drop the point itself
    agree = np.mean(y[nbrs] == y[:, None], axis=1)
    return np.flatnonzero(agree >= threshold)


def spectral_signature_filter(X: object, y: object, remove_fraction: float = 0.15) -> np.ndarray:
    """Indices of the training points to *keep* after spectral-signature filtering.

    For every class c with points ``X_c``: centre them, take the top right singular vector ``v``
    of ``X_c − mean(X_c)`` and score each point by ``((x − μ_c)·v)²``; drop the
    ``round(remove_fraction · |X_c|)`` highest scores (Tran, Li & Madry, NeurIPS 2018: a backdoor
    leaves a detectable trace in the spectrum of the poisoned class's representations).

    Parameters
    ----------
    X : array of shape (n, d)
        Features or learned representations.
    y : array of int, shape (n,)
    remove_fraction : float, default 0.15
        Share removed per class, in [0, 1) (Tran et al. use 1.5 × the expected poisoning rate).

    Returns
    -------
    numpy.ndarray
        Sorted indices of the kept points.
    """
    X = check_finite_array("X", X, ndim=2)
    y = _labels(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}), got {y.shape[0]}")
    remove_fraction = check_probability("remove_fraction", remove_fraction, open_low=False)
    drop = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        m = int(round(remove_fraction * idx.size))
        if m == 0 or idx.size < 2:
            continue
        centred = X[idx] - X[idx].mean(axis=0)
        v = np.linalg.svd(centred, full_matrices=False)[2][0]
        scores = (centred @ v) ** 2
        drop.append(idx[np.argsort(-scores, kind="stable")[:m]])
    dropped = np.concatenate(drop) if drop else np.zeros(0, dtype=int)
    return np.setdiff1d(np.arange(y.size), dropped)
