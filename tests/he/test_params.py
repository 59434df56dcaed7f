"""Security table (vs SEAL and the published standard), checked contexts, depth planning, scale bias."""
from __future__ import annotations

import gmpy2
import numpy as np
import pytest
import tenseal as ts
import tenseal.sealapi as sealapi

from mlops_course.privacy.he.params import (
    HE_STANDARD_128,
    InsecureParametersError,
    InsecureParametersWarning,
    bfv_context,
    check_security,
    ckks_context,
    ckks_depth,
    max_coeff_modulus_bits,
    plan_ckks,
    rescale_bias,
)

# HomomorphicEncryption.org Security Standard (2018), Table 1, 128-bit classical, ternary secrets
PUBLISHED = {1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881}


def test_table_equals_published_standard_and_seal():
    assert HE_STANDARD_128 == PUBLISHED
    for n, bits in HE_STANDARD_128.items():
        assert sealapi.CoeffModulus.MaxBitCount(n, sealapi.SEC_LEVEL_TYPE.TC128) == bits
        assert max_coeff_modulus_bits(n) == bits


def test_seal_bfv_default_sits_at_the_limit():
    for n in (4096, 8192):
        total = sum(p.bit_count() for p in sealapi.CoeffModulus.BFVDefault(n, sealapi.SEC_LEVEL_TYPE.TC128))
        assert total == HE_STANDARD_128[n]


def test_insecure_sets_refused():
    with pytest.raises(InsecureParametersError, match="exceeds 218 bits"):
        check_security(8192, [60, 60, 60, 60])
    with pytest.raises(InsecureParametersError):
        ckks_context(4096, [60, 40, 40, 60], 40)
    with pytest.raises(InsecureParametersError):
        bfv_context(4096, 1032193, [60, 60])


def test_demo_mode_warns_and_builds():
    with pytest.warns(InsecureParametersWarning):
        report = check_security(4096, [60, 40, 40, 60], demo=True)
    assert not report["secure"] and report["margin_bits"] == 109 - 200
    with pytest.warns(InsecureParametersWarning):
        ctx = ckks_context(4096, [40, 20, 40], 20, galois_keys=False, demo=True)
    assert ctx.is_private()


def test_secure_report():
    rep = check_security(8192, [60, 40, 40, 60])
    assert rep == {"poly_degree": 8192, "total_bits": 200, "max_bits": 218, "secure": True, "margin_bits": 18}


def test_scale_mismatch_refused():
    with pytest.raises(InsecureParametersError, match="middle primes"):
        ckks_context(8192, [60, 40, 40, 60], 21)


def test_biased_small_primes_refused():
    # TenSEAL tutorial parameters: secure (208 <= 218 bits) but each rescale is off by up to 75 %
    with pytest.raises(InsecureParametersError, match="bias"):
        ckks_context(8192, [40, 21, 21, 21, 21, 21, 21, 40], 21)
    ckks_context(8192, [50, 30, 30, 50], 30, galois_keys=False)  # 30-bit primes: bias < 1e-3, accepted


def test_plan_ckks_depths():
    assert plan_ckks(2).coeff_mod_bit_sizes == (60, 40, 40, 60) and plan_ckks(2).poly_degree == 8192
    assert plan_ckks(3).poly_degree == 16384  # 240 bits > 218
    assert plan_ckks(1, scale_bits=25, integer_bits=10).poly_degree == 4096  # 95 bits <= 109
    deep = plan_ckks(19)
    assert deep.poly_degree == 32768 and deep.total_bits <= 881 and deep.slots == 16384
    assert ckks_depth(deep.coeff_mod_bit_sizes) == 19
    with pytest.raises(ValueError, match="poly_degree 32768"):
        plan_ckks(25)
    with pytest.raises(ValueError, match="<= 60"):
        plan_ckks(1, scale_bits=50, integer_bits=20)


def test_planned_context_allows_exactly_depth_multiplications():
    plan = plan_ckks(2)
    ctx = ckks_context(plan.poly_degree, plan.coeff_mod_bit_sizes, plan.scale_bits, galois_keys=False)
    x = ts.ckks_vector(ctx, [1.5])
    assert (x * x * x).decrypt()[0] == pytest.approx(3.375, abs=1e-4)
    with pytest.raises(ValueError, match="scale out of bounds"):
        _ = x * x * x * x


def test_rescale_bias_predicts_tenseal():
    bits = [40, 21, 21, 21, 21, 21, 21, 40]
    with pytest.warns(InsecureParametersWarning):
        ctx = ckks_context(8192, bits, 21, galois_keys=False, demo=True)
    three = ts.ckks_vector(ctx, [3.0] * 4096)
    slots = np.array((three * three).decrypt())
    # per-slot CKKS noise at scale 2^21 is ~0.005 (sd); the mean of 4096 slots has sd ~1e-4, so a
    # tolerance of 0.005 (~50 sd; 10.5688 is predicted) has a false-alarm probability far below 1e-6
    assert slots.mean() == pytest.approx(10.57, abs=0.005)  # the value reported with TenSEAL's tutorial parameters
    assert slots.mean() == pytest.approx(9 * rescale_bias(8192, bits, 21), abs=0.005)
    assert rescale_bias(8192, [60, 40, 40, 60], 40) == pytest.approx(1.0, abs=1e-6)


def test_bad_inputs():
    with pytest.raises(ValueError, match="poly_degree must be one of"):
        max_coeff_modulus_bits(3000)
    with pytest.raises(ValueError):
        check_security(8192, [])
    with pytest.raises(ValueError):
        check_security(8192, [61, 40])
    with pytest.raises(TypeError):
        check_security(8192, "60,40")
    with pytest.raises(ValueError):
        ckks_depth([60])
    with pytest.raises(ValueError, match="first prime"):
        ckks_context(8192, [40, 40, 40], 40)
    with pytest.raises(ValueError, match="≡ 1 mod"):
        bfv_context(8192, 65536)
    with pytest.raises(ValueError):
        plan_ckks(-1)


@pytest.mark.parametrize("t", [16385, 3 * 16384 + 1, 5 * 16384 + 1])
def test_bfv_context_refuses_a_composite_plain_modulus(t):
    # each is ≡ 1 mod 2N = 16384 (so the old congruence-only check accepted it) but composite
    assert (t - 1) % 16384 == 0
    assert any(t % p == 0 for p in range(2, int(t**0.5) + 1))  # trial division: composite
    with pytest.raises(ValueError, match="not prime"):
        bfv_context(8192, t)


def test_bfv_context_accepts_a_batching_prime():
    ctx = bfv_context(8192, 65537)  # 65537 = 4·16384 + 1 is prime
    assert ctx is not None


def test_is_prime_against_gmpy2_and_strong_pseudoprimes():
    from mlops_course.privacy.he.params import _is_prime

    assert [n for n in range(20_000) if _is_prime(n)] == [n for n in range(20_000) if gmpy2.is_prime(n)]
    rng = np.random.default_rng(0)
    for n in rng.integers(2**40, 2**62, size=2000).tolist():
        assert _is_prime(n) == bool(gmpy2.is_prime(n))
    # strong pseudoprimes to many small bases (OEIS A014233), Carmichael numbers, and real SEAL moduli
    for n in (3215031751, 2152302898747, 3474749660383, 341550071728321, 3825123056546413051, 561, 41041):
        assert not _is_prime(n)
    for n in (1032193, 65537, 786433, 2**61 - 1):
        assert _is_prime(n)
