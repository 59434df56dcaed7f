"""Batched Paillier: equals the naive phe path exactly; packing, randomiser and overflow checks."""
from __future__ import annotations

import gmpy2
import numpy as np
import phe
import pytest

from mlops_course.privacy.he.batched_paillier import (
    BatchedPaillier,
    FixedBaseRandomizer,
    PackedCiphertext,
    pack_slots,
    slot_bits_for,
    unpack_slots,
)
from mlops_course.privacy.he.paillier import (
    InsecureKeyWarning,
    encrypt_vector,
    encrypted_sum,
    generate_keypair,
)

# the 1024-bit session key is a demo key on purpose; the policy itself is tested below
pytestmark = pytest.mark.filterwarnings("ignore::mlops_course.privacy.he.paillier.InsecureKeyWarning")


@pytest.fixture(scope="module")
def bp(demo_keys):
    return BatchedPaillier(demo_keys[0], demo=True, exponent=-6, bound=100.0, max_terms=64, window=5)


def test_layout(bp, demo_keys):
    pub = demo_keys[0]
    assert bp.offset == 100 * 16**6
    assert bp.slot_bits == (2 * bp.offset * 64).bit_length()
    assert bp.slots == (pub.n.bit_length() - 1) // bp.slot_bits
    assert 2 ** (bp.slots * bp.slot_bits) <= pub.n  # packed plaintexts never wrap mod n


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batched_sum_of_vectors_equals_naive_phe(bp, demo_keys, seed):
    pub, priv = demo_keys
    rng = np.random.default_rng(seed)
    vectors = rng.uniform(-100.0, 100.0, size=(3, 30))
    vectors[0, :3] = [100.0, -100.0, 0.0]  # the bounds themselves
    packed = bp.sum_vectors([bp.encrypt(v) for v in vectors])
    got = bp.decrypt(priv, packed)
    naive = [encrypted_sum(encrypt_vector(pub, vectors[:, j], precision=16**-6)) for j in range(vectors.shape[1])]
    want = np.array([priv.decrypt(c) for c in naive])
    np.testing.assert_array_equal(got, want)  # identical floats, not just close
    np.testing.assert_allclose(got, vectors.sum(axis=0), rtol=0, atol=3 * 0.5 * 16**-6)


def test_batched_mean_equals_naive_phe_mean(bp, demo_keys):
    pub, priv = demo_keys
    x = np.random.default_rng(3).normal(0.0, 30.0, size=200).clip(-100, 100)
    naive_sum = priv.decrypt(encrypted_sum(encrypt_vector(pub, x, precision=16**-6)))
    assert bp.mean(priv, bp.encrypt(x), x.size) == naive_sum / x.size
    assert abs(naive_sum / x.size - x.mean()) <= 0.5 * 16**-6


def test_packed_ciphertexts_are_phe_ciphertexts(bp, demo_keys):
    pub, priv = demo_keys
    packed = bp.encrypt([0.0] * bp.slots)
    m = priv.raw_decrypt(packed.ciphertexts[0])
    assert unpack_slots(m, bp.slot_bits, bp.slots) == [bp.offset] * bp.slots
    # fresh randomness: the same plaintext encrypts differently
    assert bp.encrypt([1.0]).ciphertexts != bp.encrypt([1.0]).ciphertexts
    assert packed.nbytes <= len(packed.ciphertexts) * (2 * pub.n.bit_length() // 8 + 1)


def test_fixed_base_randomizer_matches_powmod(demo_keys):
    pub, _ = demo_keys
    r = FixedBaseRandomizer(pub, window=4)
    base = r.table[0][1]
    for a in (0, 1, 2**r.exponent_bits - 1, 123456789123456789):
        assert r.power(a) == gmpy2.powmod(base, a, r.nsquare)
    # h_s is an n-th power: it encrypts 0, so randomising does not change the plaintext
    assert demo_keys[1].raw_decrypt(int(r())) == 0


def test_pack_unpack_roundtrip():
    values = [0, 1, 255, 17]
    assert unpack_slots(pack_slots(values, 8), 8, 4) == values
    assert slot_bits_for(100, 4) == 800 .bit_length()
    with pytest.raises(ValueError):
        pack_slots([256], 8)
    with pytest.raises(ValueError):
        pack_slots([-1], 8)


def test_overflow_and_bounds_refused(demo_keys):
    pub, _ = demo_keys
    small = BatchedPaillier(pub, demo=True, exponent=-2, bound=1.0, max_terms=2, window=4)
    a = small.encrypt([0.5, -0.5])
    two = small.add(a, a)
    with pytest.raises(ValueError, match="slot overflow"):
        small.add(two, a)
    with pytest.raises(ValueError, match="bound"):
        small.encrypt([1.5])
    with pytest.raises(ValueError, match="same length"):
        small.add(a, small.encrypt([0.1]))
    with pytest.raises(ValueError, match="slot overflow"):
        small.fold(PackedCiphertext(a.ciphertexts * 3, 3 * small.slots, 1, small.layout))


def test_bad_construction(demo_keys):
    pub, priv = demo_keys
    with pytest.raises(TypeError):
        BatchedPaillier("key")
    with pytest.raises(ValueError):
        BatchedPaillier(pub, demo=True, bound=-1.0)
    with pytest.raises(ValueError):
        BatchedPaillier(pub, demo=True, exponent=1)
    with pytest.raises(ValueError, match="does not fit"):
        BatchedPaillier(pub, demo=True, exponent=-6, bound=1e3, max_terms=2**1000)
    small = BatchedPaillier(pub, demo=True, exponent=-2, bound=1.0, max_terms=2, window=4)
    with pytest.raises(TypeError):
        small.decrypt(pub, small.encrypt([0.1]))
    with pytest.raises(TypeError):
        small.add([1], [2])
    with pytest.raises(ValueError):
        small.sum_vectors([])
    with pytest.raises(ValueError):
        small.encrypt([np.inf])
    with pytest.raises(TypeError):
        FixedBaseRandomizer(phe.PaillierPrivateKey)


# ----------------------------------------------------------------------------- binding and range checks
@pytest.fixture(scope="module")
def other_keys():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyWarning)
        return generate_keypair(1024, demo=True)


def test_adding_packings_of_another_key_or_layout_is_refused(bp, demo_keys, other_keys):
    # the old add accepted both and returned garbage
    a = bp.encrypt([1.0, 2.0, 3.0])
    foreign_key = BatchedPaillier(other_keys[0], demo=True, exponent=-6, bound=100.0, max_terms=64, window=5)
    with pytest.raises(ValueError, match="another key"):
        bp.add(a, foreign_key.encrypt([1.0, 2.0, 3.0]))
    other_layout = BatchedPaillier(demo_keys[0], demo=True, exponent=-4, bound=100.0, max_terms=64, window=5)
    assert other_layout.layout[0] == bp.layout[0]  # same key ...
    with pytest.raises(ValueError, match="another layout"):
        bp.add(a, other_layout.encrypt([1.0, 2.0, 3.0]))  # ... different packing
    with pytest.raises(ValueError, match="another layout"):
        bp.decrypt(demo_keys[1], other_layout.encrypt([1.0]))
    twin = BatchedPaillier(demo_keys[0], demo=True, exponent=-6, bound=100.0, max_terms=64, window=4)
    np.testing.assert_array_equal(bp.decrypt(demo_keys[1], bp.add(a, twin.encrypt([1.0, 1.0, 1.0]))), [2.0, 3.0, 4.0])


def test_wrong_terms_count_or_key_is_detected_at_decryption(bp, demo_keys, other_keys):
    _, priv = demo_keys
    two = bp.add(bp.encrypt([1.5, -2.0, 3.0]), bp.encrypt([0.5, 0.5, 0.5]))
    assert two.terms == 2 and bp.decrypt(priv, two).tolist() == [2.0, -1.5, 3.5]
    for wrong in (1, 3, 5):  # the old code decoded these to values off by (2 - wrong)*offset
        forged = PackedCiphertext(two.ciphertexts, two.length, wrong, two.layout)
        with pytest.raises(ValueError, match="terms|padding"):
            bp.decrypt(priv, forged)
    with pytest.raises(ValueError, match="does not match"):
        bp.decrypt(other_keys[1], two)


def test_tampered_ciphertext_is_detected(bp, demo_keys):
    pub, priv = demo_keys
    a = bp.encrypt([1.0, 2.0])
    rng = np.random.default_rng(0)
    for _ in range(20):
        junk = int.from_bytes(rng.bytes(256), "big") % (pub.n * pub.n)
        with pytest.raises(ValueError, match="range|slot|padding"):
            bp.decrypt(priv, PackedCiphertext((junk,), a.length, 1, a.layout))
    with pytest.raises(ValueError, match="does not fit"):
        bp.decrypt(priv, PackedCiphertext(a.ciphertexts * 2, a.length, 1, a.layout))


def test_short_keys_need_the_demo_flag(demo_keys):
    pub, _ = demo_keys
    with pytest.raises(ValueError, match="demo=True"):
        BatchedPaillier(pub, exponent=-6, bound=100.0, max_terms=64)
    with pytest.warns(InsecureKeyWarning):
        BatchedPaillier(pub, exponent=-6, bound=100.0, max_terms=64, window=4, demo=True)
    with pytest.raises(TypeError, match="demo"):
        BatchedPaillier(pub, demo="yes")
