"""Failure modes, measured: CKKS error vs depth, exhausted depth, BFV noise budget."""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course.privacy.he.failures import (
    bfv_noise_budgets,
    ckks_error_by_depth,
    exhaust_ckks_depth,
    noise_budget,
)
from mlops_course.privacy.he.params import bfv_context, ckks_context, plan_ckks


@pytest.fixture(scope="module")
def deep_ctx():
    plan = plan_ckks(4)
    return ckks_context(plan.poly_degree, plan.coeff_mod_bit_sizes, plan.scale_bits, galois_keys=False)


def test_ckks_error_grows_with_depth(deep_ctx):
    rng = np.random.default_rng(0)
    err = ckks_error_by_depth(deep_ctx, rng.uniform(-1, 1, 256), rng.uniform(0.9, 1.1, 256), 4)
    assert err.shape == (5,)
    assert err[0] < 1e-6 and err[-1] > 10 * err[0] and err[-1] < 1e-3
    assert np.all(np.diff(err[1:]) > 0)


def test_depth_exhausted_error(deep_ctx):
    done, message = exhaust_ckks_depth(deep_ctx)
    assert done == 4 and message == "scale out of bounds"


def test_bfv_noise_budget_shrinks_until_garbage():
    rows = bfv_noise_budgets(bfv_context(8192), [2, 3, -4], 6)
    budgets = [r["budget_bits"] for r in rows]
    assert budgets[0] > 100 and all(a >= b for a, b in zip(budgets, budgets[1:], strict=False))
    assert all(r["correct"] for r in rows if r["budget_bits"] > 0)
    assert budgets[-1] == 0 and not rows[-1]["correct"]


def test_bad_inputs(deep_ctx):
    with pytest.raises(ValueError):
        ckks_error_by_depth(deep_ctx, [1.0, 2.0], [1.0], 1)
    with pytest.raises(ValueError):
        bfv_noise_budgets(bfv_context(4096, 1032193), [], 1)
    import tenseal as ts
    public = ts.context_from(bfv_context(4096, 1032193).serialize(save_secret_key=False))
    with pytest.raises(ValueError, match="secret key"):
        noise_budget(public, None)
