"""Checks of exercise 08 (homomorphic encryption): one :class:`Check` per answer cell.

The student's functions receive and return **plain integers** (a Paillier public modulus ``n``
and ciphertexts as integers mod ``n²``), so everything crosses the grader's channel as plain
data. The harness holds a fixed Paillier key (1024-bit, primes derived from a fixed seed so that
grading is deterministic; its security is irrelevant here), encrypts the inputs with fixed
randomisers, and **decrypts the student's ciphertexts itself** to decide whether the homomorphic
computation is right. Returning the plaintext instead of a ciphertext fails (it does not decrypt
to the answer). Parameter and decoding tasks are compared with closed-form references
(HomomorphicEncryption.org table; phe's encoding rules) evaluated here, independently of
:mod:`mlops_course.privacy.he` (the tests cross-check both). No property is statistical.
"""
from __future__ import annotations

import math
import random
from functools import cache

import gmpy2

from mlops_course.grading.checks import BadResult, Check, Property, Remote, raises

__all__ = ["CHECKS", "UNIT", "HE_STANDARD_128", "harness_key"]

UNIT = "08_homomorphic_encryption"
#: HomomorphicEncryption.org security standard (2018), Table 1: 128-bit classical security
HE_STANDARD_128 = {1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881}
KEY_SEED = 80_000


@cache
def harness_key() -> tuple[int, int, int]:
    """``(n, p, q)`` of the harness's fixed 1024-bit Paillier key (deterministic, immutable)."""
    rnd = random.Random(KEY_SEED)
    p = int(gmpy2.next_prime(rnd.getrandbits(512) | (1 << 511)))
    q = int(gmpy2.next_prime(rnd.getrandbits(512) | (1 << 511)))
    return p * q, p, q


def _encrypt(m: int, seed: int) -> int:
    """Paillier encryption ``(1 + n·m)·r^n mod n²`` with a seeded randomiser ``r``."""
    n, _, _ = harness_key()
    r = random.Random(seed).randrange(2, n - 1)
    n2 = n * n
    return int((1 + n * (m % n)) * gmpy2.powmod(r, n, n2) % n2)


def _decrypt(c: int) -> int:
    """Signed plaintext in ``(-n/2, n/2]`` (``L(c^λ mod n²)·μ mod n``)."""
    n, p, q = harness_key()
    lam = math.lcm(p - 1, q - 1)
    n2 = n * n
    mu = pow(lam, -1, n)  # g = n + 1: L(g^λ) = λ mod n
    m = (int(gmpy2.powmod(c, lam, n2)) - 1) // n * mu % n
    return m - n if m > n // 2 else m


def _ciphertext(value: object, what: str) -> int:
    if type(value) is not int:
        raise BadResult(f"{what} should be an int (a ciphertext mod n²), got a {type(value).__name__}")
    n, _, _ = harness_key()
    if not 0 < value < n * n or math.gcd(value, n) != 1:
        raise BadResult(f"{what} is not a valid ciphertext: it must be an integer in (0, n²) coprime to n")
    return value


# --------------------------------------------------------------------------- he-sum
def _sum_case(remote: Remote, values: list[int], seed: int) -> tuple[bool, str]:
    n, _, _ = harness_key()
    cts = [_encrypt(v, seed + i) for i, v in enumerate(values)]
    got = _decrypt(_ciphertext(remote.call("encrypted_sum", n, cts), "encrypted_sum(n, ciphertexts)"))
    if got != sum(values):
        return False, f"the result decrypts to {got}, expected the sum {sum(values)}"
    return True, f"decrypts to the sum {sum(values)}"


def sum_small(remote: Remote) -> tuple[bool, str]:
    return _sum_case(remote, [3, 5, 10], 80_101)


def sum_hidden(remote: Remote) -> tuple[bool, str]:
    values = [random.Random(80_102).randrange(-10**6, 10**6) for _ in range(40)]
    return _sum_case(remote, values, 80_200)


def sum_single(remote: Remote) -> tuple[bool, str]:
    return _sum_case(remote, [-42], 80_103)


# --------------------------------------------------------------------------- he-linear-score
def _score_case(remote: Remote, x: list[int], w: list[int], b: int, seed: int) -> tuple[bool, str]:
    n, _, _ = harness_key()
    cts = [_encrypt(v, seed + i) for i, v in enumerate(x)]
    result = _ciphertext(remote.call("encrypted_linear_score", n, cts, w, b), "encrypted_linear_score(...)")
    if result in cts:
        return False, "the result is one of the input ciphertexts"
    want = sum(wi * xi for wi, xi in zip(w, x, strict=True)) + b
    got = _decrypt(result)
    if got != want:
        return False, f"the result decrypts to {got}, expected w·x + b = {want}"
    return True, f"decrypts to w·x + b = {want}"


def score_positive(remote: Remote) -> tuple[bool, str]:
    return _score_case(remote, [2, 7, 1], [3, 1, 4], 5, 80_301)


def score_hidden(remote: Remote) -> tuple[bool, str]:
    rnd = random.Random(80_302)
    x = [rnd.randrange(-1000, 1000) for _ in range(12)]
    w = [rnd.randrange(-50, 50) for _ in range(12)]
    return _score_case(remote, x, w, -777, 80_310)


# --------------------------------------------------------------------------- he-fixed-point
def _decode(plaintext: int, n: int, exponent: int) -> float:
    max_int = n // 3 - 1
    if plaintext <= max_int:
        mantissa = plaintext
    elif plaintext >= n - max_int:
        mantissa = plaintext - n
    else:
        raise OverflowError
    return mantissa * 16.0**exponent


def _decode_cases(remote: Remote, cases: list[tuple[int, int]]) -> tuple[bool, str]:
    n, _, _ = harness_key()
    for mantissa, exponent in cases:
        plaintext = mantissa % n
        got = remote.call("decode_fixed_point", plaintext, n, exponent)
        if type(got) not in (int, float):
            raise BadResult(f"decode_fixed_point(...) should return a number, got a {type(got).__name__}")
        want = _decode(plaintext, n, exponent)
        if not math.isclose(float(got), want, rel_tol=1e-12, abs_tol=1e-300):
            return False, f"mantissa {mantissa} with exponent {exponent} decodes to {want!r}, got {got!r}"
    return True, "positive and negative mantissas decode to mantissa·16^exponent"


def decode_visible(remote: Remote) -> tuple[bool, str]:
    return _decode_cases(remote, [(12345, -2), (-384, -2), (7, 0)])


def decode_hidden(remote: Remote) -> tuple[bool, str]:
    return _decode_cases(remote, [(-1, -6), (10**30, -10), (-(10**20), 3), (0, -4)])


def decode_overflow(remote: Remote) -> tuple[bool, str]:
    n, _, _ = harness_key()
    for plaintext in (n // 2, n // 3 + 5, 2 * n // 3 - 5):
        if not raises(lambda p=plaintext: remote.call("decode_fixed_point", p, n, -2), "OverflowError"):
            return False, f"no OverflowError for a plaintext in the middle third of [0, n) ({plaintext})"
    return True, "OverflowError in the overflow band (n/3, 2n/3)"


# --------------------------------------------------------------------------- he-unpack
def _unpack_case(remote: Remote, slots: list[int], bits: int) -> tuple[bool, str]:
    packed = sum(v << (bits * i) for i, v in enumerate(slots))
    got = remote.call("unpack_slots", packed, bits, len(slots))
    if isinstance(got, tuple):
        got = list(got)
    if not isinstance(got, list) or not all(type(v) is int for v in got):
        raise BadResult("unpack_slots(...) should return a list of ints")
    if got != slots:
        return False, f"unpacking {len(slots)} slots of {bits} bits gave {got[:4]}..., expected {slots[:4]}..."
    return True, f"{len(slots)} slots of {bits} bits, least significant first"


def unpack_visible(remote: Remote) -> tuple[bool, str]:
    return _unpack_case(remote, [5, 0, 255, 17], 8)


def unpack_hidden(remote: Remote) -> tuple[bool, str]:
    rnd = random.Random(80_401)
    return _unpack_case(remote, [rnd.randrange(0, 2**37) for _ in range(23)] + [0], 37)


# --------------------------------------------------------------------------- he-ckks-params
def _plan(depth: int, scale_bits: int, integer_bits: int) -> tuple[int, list[int]] | None:
    first = scale_bits + integer_bits
    if first > 60:
        return None
    bits = [first] + [scale_bits] * depth + [first]
    for n in sorted(HE_STANDARD_128):
        if sum(bits) <= HE_STANDARD_128[n]:
            return n, bits
    return None


def _params_cases(remote: Remote, cases: list[tuple[int, int, int]]) -> tuple[bool, str]:
    for args in cases:
        got = remote.call("choose_ckks_parameters", *args)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise BadResult("choose_ckks_parameters(...) should return (poly_degree, coeff_mod_bit_sizes)")
        degree, bits = got[0], list(got[1]) if isinstance(got[1], (list, tuple)) else got[1]
        want = _plan(*args)
        if (degree, bits) != (want[0], want[1]):
            return False, f"for (depth, scale_bits, integer_bits) = {args} expected {want}, got ({degree}, {bits})"
    return True, "smallest secure degree and the chain [s+i, s × depth, s+i]"


def params_visible(remote: Remote) -> tuple[bool, str]:
    return _params_cases(remote, [(2, 40, 20), (1, 40, 20)])


def params_hidden(remote: Remote) -> tuple[bool, str]:
    return _params_cases(remote, [(3, 40, 20), (0, 20, 5), (10, 30, 20), (1, 25, 10), (19, 40, 20)])


def params_refuse(remote: Remote) -> tuple[bool, str]:
    for args in ((25, 40, 20), (2, 50, 20)):
        if not raises(lambda a=args: remote.call("choose_ckks_parameters", *a)):
            return False, f"no ValueError for {args} (no secure degree, or a prime above 60 bits)"
    return True, "ValueError when no secure parameter set exists"


# --------------------------------------------------------------------------- he-malleability
def _tamper_case(remote: Remote, m: int, delta: int, seed: int) -> tuple[bool, str]:
    n, _, _ = harness_key()
    c = _encrypt(m, seed)
    result = _ciphertext(remote.call("tamper", n, c, delta), "tamper(n, ciphertext, delta)")
    got = _decrypt(result)
    if got != m + delta:
        return False, f"the tampered ciphertext decrypts to {got}, expected m + delta = {m + delta}"
    return True, "the tampered ciphertext decrypts to m + delta (without the private key)"


def tamper_visible(remote: Remote) -> tuple[bool, str]:
    return _tamper_case(remote, 100, 1_000_000, 80_501)


def tamper_hidden(remote: Remote) -> tuple[bool, str]:
    return _tamper_case(remote, 123_456, -123_000, 80_502)


CHECKS: tuple[Check, ...] = (
    Check("he-sum", "encrypted_sum", (
        Property("Enc(a)·Enc(b) decrypts to a + b (3 values)", 1.0, sum_small,
                 "multiply the ciphertexts modulo n² (or add phe.EncryptedNumber objects)"),
        Property("a single ciphertext, a negative value", 0.5, sum_single,
                 "a product of one factor is the ciphertext itself"),
        Property("40 values of both signs", 0.5, sum_hidden, "the same for any number of ciphertexts",
                 visible=False),
    ), UNIT),
    Check("he-linear-score", "encrypted_linear_score", (
        Property("decrypts to w·x + b (positive weights)", 1.5, score_positive,
                 "Enc(x)^w = Enc(w·x); multiply by Enc(b) (or use phe.EncryptedNumber arithmetic)"),
        Property("negative weights and bias", 1.5, score_hidden,
                 "negative exponents need the modular inverse: pow(c, w, n*n) handles it", visible=False),
    ), UNIT),
    Check("he-fixed-point", "decode_fixed_point", (
        Property("mantissa·16^exponent, negatives wrapped to n − |m|", 1.0, decode_visible,
                 "plaintexts above n − max_int are negative: mantissa = plaintext − n"),
        Property("other exponents and magnitudes", 0.5, decode_hidden, "the same rule", visible=False),
        Property("OverflowError in the middle third", 0.5, decode_overflow,
                 "max_int = n // 3 − 1; between max_int and n − max_int raise OverflowError"),
    ), UNIT),
    Check("he-unpack", "unpack_slots", (
        Property("slots of 8 bits, least significant first", 1.0, unpack_visible,
                 "slot i is (plaintext >> (slot_bits·i)) & (2^slot_bits − 1)"),
        Property("24 slots of 37 bits", 1.0, unpack_hidden, "the same for any slot width", visible=False),
    ), UNIT),
    Check("he-ckks-params", "choose_ckks_parameters", (
        Property("depth 1 and 2 with a 40-bit scale", 1.0, params_visible,
                 "bits = [s+i] + [s]*depth + [s+i]; the smallest N with sum(bits) <= table[N]"),
        Property("other depths and scales", 1.0, params_hidden, "check every N of the table in increasing order",
                 visible=False),
        Property("ValueError when impossible", 1.0, params_refuse,
                 "no N up to 32768 fits, or s + i > 60 (SEAL's largest prime)"),
    ), UNIT),
    Check("he-malleability", "tamper", (
        Property("Enc(m) → Enc(m + δ) with the public key only", 1.0, tamper_visible,
                 "multiply by an encryption of delta: (1 + n·delta) is a valid (non-random) one"),
        Property("negative delta", 1.0, tamper_hidden, "reduce delta modulo n", visible=False),
    ), UNIT),
)
