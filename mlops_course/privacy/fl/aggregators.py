"""Server-side aggregation rules: FedAvg and robust alternatives, on stacked client updates.

Every rule takes ``updates`` of shape (n_clients, d) — one flattened model update (or model) per
row — and returns one vector of shape (d,). They match Flower's own rules
(``flwr.server.strategy.aggregate``: ``aggregate``, ``aggregate_median``,
``aggregate_trimmed_avg``, ``aggregate_krum``), which the tests check.

==========================  ===================================================  ==================
rule                        formula                                              tolerates
==========================  ===================================================  ==================
:func:`fedavg`              Σ nᵢ uᵢ / Σ nᵢ (McMahan et al. 2017)                 nothing: 1 client
                                                                                 can move it anywhere
:func:`coordinate_median`   median over clients, per coordinate (Yin et al.      < n/2 arbitrary
                            2018)                                                clients
:func:`trimmed_mean`        drop the ⌊βn⌋ smallest and largest per coordinate,  ⌊βn⌋ per side
                            average the rest (Yin et al. 2018)
:func:`krum`                the update with the smallest sum of squared          f with n > 2f + 2
                            distances to its n − f − 2 nearest neighbours
                            (Blanchard et al. 2017)
:func:`multi_krum`          average of the m best Krum scores
:func:`norm_clipped_mean`   FedAvg of updates clipped to ‖uᵢ‖ <= C (Sun et al.   bounds each
                            2019)                                                client's influence
==========================  ===================================================  ==================

References
----------
D. Yin, Y. Chen, K. Ramchandran, P. Bartlett, "Byzantine-Robust Distributed Learning: Towards
Optimal Statistical Rates", ICML 2018. P. Blanchard, E. M. El Mhamdi, R. Guerraoui, J. Stainer,
"Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS 2017.
Z. Sun, P. Kairouz, A. T. Suresh, H. B. McMahan, "Can You Really Backdoor Federated Learning?", 2019.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlops_course._validation import (
    check_choice,
    check_finite_array,
    check_int,
    check_positive,
    check_probability,
)

__all__ = ["fedavg", "coordinate_median", "trimmed_mean", "krum_scores", "krum", "multi_krum",
           "norm_clipped_mean", "clip_by_norm", "get_aggregator", "AGGREGATORS", "check_updates"]


def check_updates(updates: Any, weights: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate stacked updates (n >= 1 rows, same length) and optional weights (n,) >= 0, sum > 0.

    Parameters
    ----------
    updates : array_like, shape (n, d) or list of n arrays of one shape
        One flattened update per client.
    weights : array_like, shape (n,), optional
        Aggregation weights.

    Returns
    -------
    updates : numpy.ndarray, shape (n, d)
        The updates as a float matrix (higher-dimensional updates are flattened per client).
    weights : numpy.ndarray, shape (n,) or None
        The weights as floats, or None if none were given.

    Raises
    ------
    ValueError, TypeError
        Empty, ragged, 1-D or non-finite updates; weights of the wrong length, negative or summing to 0.
    """
    if isinstance(updates, (list, tuple)) and len(updates) == 0:
        raise ValueError("updates must hold at least one client update, got an empty list")
    if isinstance(updates, (list, tuple)):
        shapes = {np.shape(u) for u in updates}
        if len(shapes) > 1:
            raise ValueError(f"all client updates must have the same shape, got shapes {sorted(shapes)}")
    arr = check_finite_array("updates", updates)
    if arr.ndim == 1:
        raise ValueError(f"updates must be stacked as (n_clients, d), got shape {arr.shape}")
    arr = arr.reshape(arr.shape[0], -1)
    if weights is None:
        return arr, None
    w = check_finite_array("weights", weights, ndim=1)
    if w.shape[0] != arr.shape[0]:
        raise ValueError(f"weights must have one entry per update ({arr.shape[0]}), got {w.shape[0]}")
    if np.any(w < 0) or not w.sum() > 0:
        raise ValueError("weights must be >= 0 with a positive sum")
    return arr, w


def fedavg(updates: Any, weights: Any = None) -> np.ndarray:
    """Weighted mean Σ nᵢ uᵢ / Σ nᵢ (FedAvg, McMahan et al. 2017); plain mean without weights.

    Parameters
    ----------
    updates : array_like, shape (n_clients, d)
    weights : array_like, shape (n_clients,), optional
        Example counts nᵢ.

    Returns
    -------
    numpy.ndarray, shape (d,)

    Raises
    ------
    ValueError
        Empty list of updates, mismatched shapes, NaN/inf, negative or all-zero weights.

    Examples
    --------
    >>> fedavg([[0.0, 0.0], [3.0, 6.0]], weights=[2, 1])
    array([1., 2.])
    """
    arr, w = check_updates(updates, weights)
    if w is None:
        return arr.mean(axis=0)
    return (w / w.sum()) @ arr


def coordinate_median(updates: Any) -> np.ndarray:
    """Coordinate-wise median over clients (Yin et al. 2018); unweighted, like Flower's FedMedian.

    Robust while fewer than half of the clients are malicious: every coordinate of the result
    lies between two honest values.
    """
    arr, _ = check_updates(updates)
    return np.median(arr, axis=0)


def trimmed_mean(updates: Any, beta: float = 0.2) -> np.ndarray:
    """Coordinate-wise β-trimmed mean: drop the k = ⌊β n⌋ smallest and largest values, average the rest.

    Same convention as Flower's ``FedTrimmedAvg(beta)`` and ``scipy.stats.trim_mean``.

    Parameters
    ----------
    updates : array_like, shape (n, d) or list of n arrays of one shape
        One flattened update per client.
    beta : float, default 0.2
        Fraction trimmed at each end, in [0, 0.5).

    Returns
    -------
    numpy.ndarray, shape (d,)
        The coordinate-wise trimmed mean.

    Raises
    ------
    ValueError
        If β is not in [0, 0.5).
    """
    arr, _ = check_updates(updates)
    beta = check_probability("beta", beta, open_low=False)
    if beta >= 0.5:
        raise ValueError(f"beta must be in [0, 0.5), got {beta!r}")
    n = arr.shape[0]
    k = int(beta * n)
    return np.sort(arr, axis=0)[k:n - k].mean(axis=0)


def krum_scores(updates: Any, n_malicious: int) -> np.ndarray:
    """Krum score of each update: sum of squared distances to its n − f − 2 nearest other updates.

    (Flower uses ``max(1, n − f − 2)`` neighbours; so do we.)

    Parameters
    ----------
    updates : array_like, shape (n, d) or list of n arrays of one shape
        One flattened update per client.
    n_malicious : int
        Assumed number ``f`` of Byzantine clients, in [0, n − 1].

    Returns
    -------
    numpy.ndarray, shape (n,)
        The score of each update (lower = more central).

    Raises
    ------
    ValueError, TypeError
        Malformed updates or ``n_malicious`` outside [0, n − 1].
    """
    arr, _ = check_updates(updates)
    f = check_int("n_malicious", n_malicious, minimum=0, maximum=arr.shape[0] - 1)
    sq = np.sum(arr * arr, axis=1)
    dist = np.maximum(sq[:, None] + sq[None, :] - 2.0 * arr @ arr.T, 0.0)
    np.fill_diagonal(dist, np.inf)
    k = max(1, arr.shape[0] - f - 2)
    k = min(k, arr.shape[0] - 1) if arr.shape[0] > 1 else 0
    return np.sort(dist, axis=1)[:, :k].sum(axis=1)


def krum(updates: Any, n_malicious: int) -> np.ndarray:
    """Krum (Blanchard et al. 2017): the single update with the smallest :func:`krum_scores`.

    Guarantee (Blanchard et al., Prop. 1): with n > 2f + 2 the choice stays close to the honest
    mean even if f updates are arbitrary. Outside that range there is no guarantee, so the
    setting is refused.

    Parameters
    ----------
    updates : array_like, shape (n, d) or list of n arrays of one shape
        One flattened update per client.
    n_malicious : int
        Assumed number ``f`` of Byzantine clients.

    Returns
    -------
    numpy.ndarray, shape (d,)
        A copy of the selected update.

    Raises
    ------
    ValueError
        If n <= 2f + 2 (n updates, f = ``n_malicious``), e.g. n = 6, f = 3.
    """
    arr, _ = check_updates(updates)
    _check_krum_range(arr.shape[0], n_malicious)
    return arr[int(np.argmin(krum_scores(arr, n_malicious)))].copy()


def _check_krum_range(n: int, n_malicious: int) -> int:
    """Krum's precondition n > 2f + 2 (Blanchard et al. 2017, Prop. 1), as a clear error."""
    f = check_int("n_malicious", n_malicious, minimum=0, maximum=n - 1)
    if n <= 2 * f + 2:
        raise ValueError(f"Krum needs n > 2*n_malicious + 2, got n={n} updates and n_malicious={f} "
                         f"(2f + 2 = {2 * f + 2}); use n_malicious <= {(n - 3) // 2} or more clients")
    return f


def multi_krum(updates: Any, n_malicious: int, n_selected: int, weights: Any = None) -> np.ndarray:
    """Multi-Krum: FedAvg of the ``n_selected`` updates with the smallest Krum scores.

    Parameters
    ----------
    updates : array_like, shape (n, d) or list of n arrays of one shape
        One flattened update per client.
    n_malicious : int
        Assumed number ``f`` of Byzantine clients.
    n_selected : int
        Number ``m`` of lowest-score updates averaged, in [1, n].
    weights : array_like, shape (n,), optional
        Non-negative FedAvg weights (e.g. example counts); None = equal weights.

    Returns
    -------
    numpy.ndarray, shape (d,)
        The weighted mean of the selected updates.

    Raises
    ------
    ValueError
        If n <= 2f + 2 (Krum's precondition, see :func:`krum`) or ``n_selected`` is not in [1, n].
    """
    arr, w = check_updates(updates, weights)
    _check_krum_range(arr.shape[0], n_malicious)
    m = check_int("n_selected", n_selected, minimum=1, maximum=arr.shape[0])
    best = np.argsort(krum_scores(arr, n_malicious), kind="stable")[:m]
    return fedavg(arr[best], None if w is None else w[best])


def clip_by_norm(update: Any, max_norm: float) -> np.ndarray:
    """u · min(1, C / ‖u‖₂): the update scaled down to L2 norm at most C (unchanged if shorter).

    Parameters
    ----------
    update : array_like
        Finite update ``u`` (any shape; the norm is over all entries).
    max_norm : float
        Bound ``C`` (> 0).

    Returns
    -------
    numpy.ndarray
        The clipped update, same shape as ``update`` (a copy).

    Raises
    ------
    ValueError, TypeError
        Empty or non-finite ``update``, or ``max_norm <= 0``.
    """
    u = check_finite_array("update", update)
    max_norm = check_positive("max_norm", max_norm)
    norm = float(np.linalg.norm(u))
    return u * min(1.0, max_norm / norm) if norm > 0 else u.copy()


def norm_clipped_mean(updates: Any, max_norm: float, weights: Any = None) -> np.ndarray:
    """FedAvg of updates clipped to L2 norm C (Sun et al. 2019): a client moves the mean by <= C·wᵢ/Σw.

    Parameters
    ----------
    updates : array_like, shape (n, d) or list of n arrays of one shape
        One flattened update per client.
    max_norm : float
        Clipping bound ``C`` (> 0).
    weights : array_like, shape (n,), optional
        Non-negative FedAvg weights; None = equal weights.

    Returns
    -------
    numpy.ndarray, shape (d,)
        ``Σ wᵢ · clip(uᵢ, C) / Σ w``.

    Raises
    ------
    ValueError, TypeError
        Malformed updates or weights, or ``max_norm <= 0``.
    """
    arr, w = check_updates(updates, weights)
    max_norm = check_positive("max_norm", max_norm)
    norms = np.linalg.norm(arr, axis=1)
    scale = np.minimum(1.0, max_norm / np.maximum(norms, 1e-300))
    return fedavg(arr * scale[:, None], w)


#: name -> factory(**options) -> aggregator(updates, weights) (used by the engine and notebook)
AGGREGATORS: dict[str, Callable[..., Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "fedavg": lambda: fedavg,
    "median": lambda: lambda u, w: coordinate_median(u),
    "trimmed_mean": lambda beta=0.2: lambda u, w: trimmed_mean(u, beta),
    "krum": lambda n_malicious=1: lambda u, w: krum(u, min(n_malicious, len(u) - 1)),
    "multi_krum": lambda n_malicious=1, n_selected=None: lambda u, w: multi_krum(
        u, min(n_malicious, len(u) - 1), n_selected or max(1, len(u) - n_malicious), w),
    "norm_clip": lambda max_norm=1.0: lambda u, w: norm_clipped_mean(u, max_norm, w),
}


def get_aggregator(name: str, **options: Any) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """An aggregator ``agg(updates, weights) -> vector`` by name (see :data:`AGGREGATORS`).

    Parameters
    ----------
    name : str
        A key of :data:`AGGREGATORS`.
    **options
        Keyword arguments of that aggregator's factory (e.g. ``beta``, ``n_malicious``).

    Returns
    -------
    callable
        ``agg(updates, weights) -> numpy.ndarray of shape (d,)``.

    Raises
    ------
    ValueError
        If ``name`` is not in :data:`AGGREGATORS`.
    TypeError
        If ``name`` is unhashable or ``options`` do not fit the factory.
    """
    check_choice("aggregator", name, sorted(AGGREGATORS))
    return AGGREGATORS[name](**options)
