"""Failure modes, measured: CKKS error vs depth, exhausted depth, BFV noise budget."""
from __future__ import annotations

import gmpy2
import numpy as np
import pytest

from mlops_course.privacy.he.failures import (
    bfv_noise_budgets,
    ckks_error_by_depth,
    exhaust_ckks_depth,
    noise_budget,
    rescale_factors,
)
from mlops_course.privacy.he.params import bfv_context, ckks_context, plan_ckks, rescale_bias


@pytest.fixture(scope="module")
def deep_ctx():
    plan = plan_ckks(4)
    return ckks_context(plan.poly_degree, plan.coeff_mod_bit_sizes, plan.scale_bits, galois_keys=False)


def test_ckks_error_by_depth_is_mostly_rescale_bias(deep_ctx):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, 256), rng.uniform(0.9, 1.1, 256)
    err = ckks_error_by_depth(deep_ctx, x, y, 4)
    raw, debiased, bias = err["raw"], err["debiased"], err["bias"]
    assert raw.shape == debiased.shape == bias.shape == (5,)
    assert raw[0] == debiased[0] < 1e-7 and bias[0] == 0.0
    # the raw error grows by orders of magnitude ...
    assert raw[-1] > 100 * raw[0] and raw[-1] < 1e-3 and np.all(np.diff(raw[1:]) > 0)
    # ... because of the deterministic bias: raw ≈ (F_k - 1)·max|x·y^k| up to the noise
    scale = np.array([np.max(np.abs(x * y**k)) for k in range(5)])
    assert np.all(np.abs(raw - bias * scale) <= 2 * debiased + 1e-12)
    # the CKKS noise proper stays at the 1e-8 level at scale 2^40 (SEAL's fresh noise, σ = 3.2,
    # gives ~1e-8 per coefficient at Δ = 2^40; 1e-7 leaves room for 4 rescale roundings)
    assert np.all(debiased < 1e-7)
    assert raw[-1] > 10 * debiased[-1]


def test_rescale_factors_match_seal_prime_choice(deep_ctx):
    # peer: SEAL's CoeffModulus.Create for the same chain, via rescale_bias
    plan = plan_ckks(4)
    f = rescale_factors(deep_ctx, 4)
    for k in range(5):
        assert f[k] == pytest.approx(rescale_bias(plan.poly_degree, plan.coeff_mod_bit_sizes, 40, k), rel=1e-15)
    assert np.all(np.diff(f) > 0)  # every prime lies below 2^40: each rescale inflates
    with pytest.raises(ValueError, match="depth"):
        rescale_factors(deep_ctx, 5)


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


def test_measure_ckks_parameters_security_against_the_he_standard():
    from mlops_course.privacy.he.failures import measure_ckks_parameters

    weak = measure_ckks_parameters(12, 40)  # 60+40+40+60 = 200 > 109 bits allowed at N = 4096
    assert weak["bits"] == [60, 40, 40, 60] and not weak["secure"] and "error" not in weak
    # published HomomorphicEncryption.org limit for N = 4096 (128-bit, classical): 109 bits
    assert weak["limit_bits"] == 109
    ok = measure_ckks_parameters(13, 30)  # 50+30+30+50 = 160 <= 218
    assert ok["secure"] and ok["total_bits"] == 160
    raw, debiased = ok["error"]["raw"], ok["error"]["debiased"]
    assert raw.shape == (3,) and np.all(debiased <= raw + 1e-12)
    assert debiased[-1] < 1e-3 and ok["ciphertext_bytes"] > 0 and ok["seconds_per_step"] > 0


def test_measure_ckks_parameters_more_scale_bits_more_precision():
    from mlops_course.privacy.he.failures import measure_ckks_parameters

    coarse, fine = measure_ckks_parameters(13, 25), measure_ckks_parameters(13, 40)
    assert fine["error"]["debiased"][-1] < coarse["error"]["debiased"][-1]


@pytest.mark.parametrize("kwargs, exc", [({"log2_degree": 11, "scale_bits": 40}, ValueError),
                                         ({"log2_degree": 13, "scale_bits": 60}, ValueError),
                                         ({"log2_degree": 13.0, "scale_bits": 40}, TypeError),
                                         ({"log2_degree": 13, "scale_bits": 40, "depth": 0}, ValueError)])
def test_measure_ckks_parameters_bad_input(kwargs, exc):
    from mlops_course.privacy.he.failures import measure_ckks_parameters

    with pytest.raises(exc):
        measure_ckks_parameters(**kwargs)


def test_measure_ckks_parameters_explains_a_chain_without_enough_primes():
    # notebook 08's slider corner N = 2^15, scale 20 bits used to raise SEAL's RuntimeError
    from mlops_course.privacy.he.failures import measure_ckks_parameters

    m = measure_ckks_parameters(15, 20)
    assert m["secure"] and not m["feasible"] and "error" not in m
    assert "2 primes of 20 bits" in m["reason"] and "only 1 exist" in m["reason"]
    ok = measure_ckks_parameters(15, 21)  # three 21-bit primes exist: measurable
    assert ok["feasible"] and ok["reason"] == "" and ok["error"]["raw"].shape == (3,)
    insecure = measure_ckks_parameters(12, 40)
    assert not insecure["feasible"] and "128-bit" in insecure["reason"]


def test_ntt_prime_count_agrees_with_seal_and_brute_force():
    import tenseal.sealapi as sealapi

    from mlops_course.privacy.he.failures import ntt_prime_count

    for n, b in ((4096, 20), (8192, 21), (32768, 20), (32768, 21), (16384, 20)):
        want = sum(1 for p in range(2 ** (b - 1) + 1, 2**b) if p % (2 * n) == 1 and gmpy2.is_prime(p))
        assert ntt_prime_count(n, b) == want
        sealapi.CoeffModulus.Create(n, [b] * want)  # SEAL finds exactly that many ...
        with pytest.raises(RuntimeError, match="qualifying primes"):
            sealapi.CoeffModulus.Create(n, [b] * (want + 1))  # ... and not one more


def test_every_slider_setting_of_notebook_08_is_feasible_or_explained():
    # the slider grid is log2 N in 12..15, scale bits in 20..50 (depth 2); feasibility (no measurement)
    # by our count must agree with whether SEAL can build the chain
    import tenseal.sealapi as sealapi

    from mlops_course.privacy.he.failures import ntt_prime_count

    for log2 in range(12, 16):
        n = 2**log2
        for s in range(20, 51):
            first = min(s + 20, 60)
            chain = [first, s, s, first]
            ours = all(ntt_prime_count(n, b, stop=chain.count(b)) >= chain.count(b) for b in set(chain))
            try:
                sealapi.CoeffModulus.Create(n, chain)
                seal = True
            except RuntimeError:
                seal = False
            assert ours == seal, (log2, s)
