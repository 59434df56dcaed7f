"""Splitting one data set into client data sets: IID, Dirichlet(α) label skew, pathological shards.

Federated data are rarely identically distributed: a hospital sees its own case mix, a phone
its owner's handwriting. Three standard ways to simulate this from a centralised data set:

* **IID**: shuffle, cut into ``n_clients`` near-equal parts.
* **Dirichlet(α) label skew** (Hsu, Qi & Brown 2019): for every class c draw proportions
  p_c ~ Dir(α·1) over the clients and give client j the fraction p_{c,j} of class c.
  α → ∞ gives IID label mixes, α → 0 gives one class per client.
* **Pathological shards** (McMahan et al. 2017): sort by label, cut into ``n_clients · s``
  shards, give each client ``s`` random shards (so about s classes per client).

Every function returns a list of index arrays (one per client) that together hold every
index exactly once.

References
----------
T.-M. H. Hsu, H. Qi, M. Brown, "Measuring the Effects of Non-Identical Data Distribution for
Federated Visual Classification", 2019. H. B. McMahan et al., AISTATS 2017, Sec. 3.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from mlops_course._validation import check_choice, check_finite_array, check_int, check_positive, check_rng

__all__ = ["iid_partition", "dirichlet_partition", "shard_partition", "partition", "label_counts",
           "SCHEMES"]

SCHEMES = ("iid", "dirichlet", "shards")


def _check_labels(labels: Any) -> np.ndarray:
    arr = check_finite_array("labels", labels, ndim=1)
    if np.any(arr != np.round(arr)) or np.any(arr < 0):
        raise ValueError("labels must be non-negative integers")
    return arr.astype(np.int64)


def _check_clients(n_clients: Any, n: int) -> int:
    n_clients = check_int("n_clients", n_clients, minimum=1)
    if n_clients > n:
        raise ValueError(f"n_clients must be <= the number of examples ({n}), got {n_clients}")
    return n_clients


def iid_partition(n_examples: int, n_clients: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle ``range(n_examples)`` and cut it into ``n_clients`` parts whose sizes differ by <= 1.

    Parameters
    ----------
    n_examples : int
        Number of examples ``n`` (>= 1).
    n_clients : int
        Number of clients, 1 <= n_clients <= n.
    rng : numpy.random.Generator or int
        Source of the shuffle.

    Returns
    -------
    list of numpy.ndarray
        Sorted example indices of each client; together a partition of ``range(n)``.

    Raises
    ------
    ValueError, TypeError
        If ``n_examples < 1``, ``n_clients`` is out of range or ``rng`` is not a Generator/seed.

    Examples
    --------
    >>> parts = iid_partition(10, 3, np.random.default_rng(0))
    >>> sorted(len(p) for p in parts)
    [3, 3, 4]
    """
    n_examples = check_int("n_examples", n_examples, minimum=1)
    n_clients = _check_clients(n_clients, n_examples)
    rng = check_rng(rng)
    return [np.sort(p) for p in np.array_split(rng.permutation(n_examples), n_clients)]


def dirichlet_partition(labels: Any, n_clients: int, alpha: float, rng: np.random.Generator,
                        min_size: int = 1, max_tries: int = 100) -> list[np.ndarray]:
    """Dirichlet(α) label-skew partition (Hsu et al. 2019).

    For every class c: draw p_c ~ Dir(α, ..., α) over the clients, shuffle the indices of class c
    and cut them at the cumulative proportions ``floor(cumsum(p_c) · n_c)``. The draw is repeated
    (up to ``max_tries`` times) until every client holds at least ``min_size`` examples.

    Parameters
    ----------
    labels : array_like of int, shape (n,)
    n_clients : int
        Number of clients, 1 <= n_clients <= n.
    alpha : float
        Concentration α > 0: small = skewed (few classes per client), large = close to IID.
    rng : numpy.random.Generator
    min_size : int
        Smallest allowed client data set (0 allows empty clients).
    max_tries : int
        Redraws before giving up.

    Returns
    -------
    list of numpy.ndarray
        Sorted example indices of each client; together a partition of ``range(n)``.

    Raises
    ------
    ValueError
        If α <= 0, labels are not non-negative integers, n_clients is out of range, or no draw
        gives every client ``min_size`` examples.

    Examples
    --------
    >>> labels = np.repeat(np.arange(3), 20)
    >>> parts = dirichlet_partition(labels, 4, 0.5, np.random.default_rng(0))
    >>> sum(len(p) for p in parts)
    60
    """
    y = _check_labels(labels)
    n_clients = _check_clients(n_clients, y.size)
    alpha = check_positive("alpha", alpha)
    min_size = check_int("min_size", min_size, minimum=0, maximum=y.size // n_clients)
    max_tries = check_int("max_tries", max_tries, minimum=1)
    rng = check_rng(rng)
    classes = np.unique(y)
    for _ in range(max_tries):
        parts: list[list[np.ndarray]] = [[] for _ in range(n_clients)]
        for c in classes:
            idx = rng.permutation(np.flatnonzero(y == c))
            props = rng.dirichlet(np.full(n_clients, alpha))
            cuts = np.floor(np.cumsum(props)[:-1] * idx.size).astype(int)
            for j, chunk in enumerate(np.split(idx, cuts)):
                parts[j].append(chunk)
        out = [np.sort(np.concatenate(p)) for p in parts]
        if min(len(p) for p in out) >= min_size:
            return out
    raise ValueError(f"no Dirichlet(alpha={alpha}) draw in {max_tries} tries gave every one of {n_clients} "
                     f"clients >= {min_size} examples: use fewer clients, a larger alpha or min_size=0")


def shard_partition(labels: Any, n_clients: int, shards_per_client: int,
                    rng: np.random.Generator) -> list[np.ndarray]:
    """Pathological non-IID split (McMahan et al. 2017): sort by label, deal out label shards.

    The indices sorted by label are cut into ``n_clients · shards_per_client`` equal shards and
    each client receives ``shards_per_client`` of them at random, so a client sees about
    ``shards_per_client`` classes.

    Parameters
    ----------
    labels : array_like of int, shape (n,)
        Non-negative class labels.
    n_clients : int
        Number of clients, 1 <= n_clients <= n.
    shards_per_client : int
        Shards ``s`` per client (>= 1, ``n_clients · s <= n``).
    rng : numpy.random.Generator or int
        Source of the shard assignment.

    Returns
    -------
    list of numpy.ndarray
        Sorted example indices of each client; together a partition of ``range(n)``.

    Raises
    ------
    ValueError, TypeError
        Labels that are not non-negative integers, ``n_clients`` or ``shards_per_client`` out of range,
        or a bad ``rng``.
    """
    y = _check_labels(labels)
    n_clients = _check_clients(n_clients, y.size)
    s = check_int("shards_per_client", shards_per_client, minimum=1)
    if n_clients * s > y.size:
        raise ValueError(f"n_clients * shards_per_client must be <= {y.size}, got {n_clients * s}")
    rng = check_rng(rng)
    order = np.argsort(y, kind="stable")
    shards = np.array_split(order, n_clients * s)
    assignment = rng.permutation(n_clients * s).reshape(n_clients, s)
    return [np.sort(np.concatenate([shards[k] for k in row])) for row in assignment]


def partition(labels: Any, n_clients: int, scheme: str, rng: np.random.Generator, *,
              alpha: float = 0.5, shards_per_client: int = 2) -> list[np.ndarray]:
    """Dispatch to :func:`iid_partition`, :func:`dirichlet_partition` or :func:`shard_partition`.

    Parameters
    ----------
    labels : array_like of int, shape (n,)
        Non-negative class labels (only their number is used by ``"iid"``).
    n_clients : int
        Number of clients, 1 <= n_clients <= n.
    scheme : {"iid", "dirichlet", "shards"}
        The partition scheme.
    rng : numpy.random.Generator or int
        Source of the random split.
    alpha : float, default 0.5
        Dirichlet concentration α > 0 (``"dirichlet"`` only).
    shards_per_client : int, default 2
        Label shards per client (``"shards"`` only).

    Returns
    -------
    list of numpy.ndarray
        Sorted example indices of each client; together a partition of ``range(n)``.

    Raises
    ------
    ValueError
        If ``scheme`` is not one of :data:`SCHEMES`, or the chosen scheme rejects its arguments.
    TypeError
        If ``scheme`` is unhashable, or an argument has the wrong type.
    """
    check_choice("scheme", scheme, SCHEMES)
    if scheme == "iid":
        return iid_partition(len(_check_labels(labels)), n_clients, rng)
    if scheme == "dirichlet":
        return dirichlet_partition(labels, n_clients, alpha, rng)
    return shard_partition(labels, n_clients, shards_per_client, rng)


def label_counts(labels: Any, parts: list[np.ndarray], n_classes: int | None = None) -> np.ndarray:
    """Matrix (n_clients, n_classes) of how many examples of each class every client holds.

    Parameters
    ----------
    labels : array_like of int, shape (n,)
        Non-negative class labels.
    parts : list of array_like of int
        Each client's example indices (non-empty list).
    n_classes : int or None, default None
        Number of classes ``k`` (None: ``max(labels) + 1``).

    Returns
    -------
    numpy.ndarray of int, shape (n_clients, k)
        ``counts[i, c]``: examples of class ``c`` held by client ``i``.

    Raises
    ------
    ValueError, TypeError
        Labels that are not non-negative integers, ``n_classes < 1`` or an empty ``parts``.
    """
    y = _check_labels(labels)
    k = int(y.max()) + 1 if n_classes is None else check_int("n_classes", n_classes, minimum=1)
    if not parts:
        raise ValueError("parts must hold at least one client, got an empty list")
    return np.stack([np.bincount(y[np.asarray(p, dtype=np.int64)], minlength=k) for p in parts])
