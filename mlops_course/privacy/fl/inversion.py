"""Gradient inversion: a shared gradient of one example reveals the example exactly.

For a first dense layer z = x W + b (x of shape (d,), W of shape (d, h)), backpropagation gives

    ∂ℓ/∂W = x ⊗ δ,   ∂ℓ/∂b = δ      (δ = ∂ℓ/∂z),

so every column j with δ_j ≠ 0 holds a scaled copy of the input: **x = (∂ℓ/∂W)[:, j] / (∂ℓ/∂b)_j**
(Phong et al. 2017). For softmax regression δ = softmax(z) − onehot(y) has exactly one negative
entry, at the true class, so the label leaks too (Zhao et al. 2020, iDLG). This is why
"only model updates are shared" is not by itself a privacy guarantee.

What stops it:

* **averaging** over a batch (or over clients) gives Σ δ_{ij} x_i / Σ δ_{ij}: a blend of inputs;
* **DP** (clipping + Gaussian noise) drowns the single-example signal;
* **secure aggregation** shows the server only the sum over many clients.

References
----------
L. T. Phong, Y. Aono, T. Hayashi, L. Wang, S. Moriai, "Privacy-Preserving Deep Learning via
Additively Homomorphic Encryption", IEEE TIFS 2018 (2017 preprint), Sec. 3.
B. Zhao, K. R. Mopuri, H. Bilen, "iDLG: Improved Deep Leakage from Gradients", 2020.
L. Zhu, Z. Liu, S. Han, "Deep Leakage from Gradients", NeurIPS 2019.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array
from mlops_course.privacy.fl.task import Params, loss_and_grads

__all__ = ["batch_gradient", "invert_gradient", "reconstruction_error"]


def batch_gradient(params: Params, X: Any, y: Any) -> Params:
    """The gradient a client would share after one step on (X, y) (mean loss over the batch).

    Parameters
    ----------
    params : list of numpy.ndarray
        Model parameters.
    X : array_like, shape (n, d)
        The client's batch.
    y : array_like of int, shape (n,)
        Its labels.

    Returns
    -------
    list of numpy.ndarray
        Gradient of the mean loss, one array per parameter.

    Raises
    ------
    ValueError, TypeError
        Non-finite ``X`` or a label count different from ``X``'s rows.
    """
    X = check_finite_array("X", X, ndim=2)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}), got {y.shape[0]}")
    return loss_and_grads(params, X, y)[1]


def invert_gradient(grad_W: Any, grad_b: Any) -> tuple[np.ndarray, int]:
    """Recover (x, y) from the first layer's gradient of a single example.

    x = Σ_j (∂ℓ/∂W)[:, j] (∂ℓ/∂b)_j / Σ_j (∂ℓ/∂b)_j² (a least-squares combination of the columns,
    exact for one example); y = argmin_j (∂ℓ/∂b)_j, the only negative output delta of softmax
    regression (meaningful when W is the output layer).

    Parameters
    ----------
    grad_W : array_like, shape (d, h)
    grad_b : array_like, shape (h,)

    Returns
    -------
    (numpy.ndarray of shape (d,), int)

    Raises
    ------
    ValueError
        If the shapes do not match or the bias gradient is zero (nothing to invert).

    Examples
    --------
    >>> x, delta = np.array([0.5, 1.0]), np.array([0.3, -0.3])
    >>> invert_gradient(np.outer(x, delta), delta)[0]
    array([0.5, 1. ])
    """
    gW = check_finite_array("grad_W", grad_W, ndim=2)
    gb = check_finite_array("grad_b", grad_b, ndim=1)
    if gW.shape[1] != gb.shape[0]:
        raise ValueError(f"grad_W has {gW.shape[1]} columns but grad_b has {gb.shape[0]} entries")
    denom = float(gb @ gb)
    if denom == 0.0:
        raise ValueError("grad_b is zero: the example's loss gradient vanished, nothing to invert")
    return gW @ gb / denom, int(np.argmin(gb))


def reconstruction_error(x_true: Any, x_hat: Any) -> float:
    """Relative L2 error ‖x̂ − x‖ / ‖x‖ (0 = exact recovery).

    Parameters
    ----------
    x_true : array_like
        The client's real input.
    x_hat : array_like
        The attacker's reconstruction, same shape.

    Returns
    -------
    float
        ``‖x̂ − x‖ / ‖x‖`` (>= 0).

    Raises
    ------
    ValueError, TypeError
        Empty, non-finite or differently shaped inputs.
    """
    a = check_finite_array("x_true", x_true)
    b = check_finite_array("x_hat", x_hat)
    if a.shape != b.shape:
        raise ValueError(f"x_true and x_hat must have the same shape, got {a.shape} and {b.shape}")
    return float(np.linalg.norm(b - a) / max(np.linalg.norm(a), 1e-300))
