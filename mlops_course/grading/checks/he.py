"""Checks of exercise 08 (homomorphic encryption): one :class:`Check` per answer cell.

The student's functions receive and return **plain integers** (a Paillier public modulus ``n``
and ciphertexts as integers mod ``n²``), so everything crosses the grader's channel as plain
data. The harness holds a 1024-bit Paillier key whose primes are derived from the course grading key
(:func:`harness_key`; deterministic for a key, so grading is reproducible), encrypts the inputs with
seeded randomisers, and **decrypts the student's ciphertexts itself** to decide whether the homomorphic
computation is right. Returning the plaintext instead of a ciphertext fails (it does not decrypt
to the answer). Parameter and decoding tasks are compared with closed-form references
(HomomorphicEncryption.org table; phe's encoding rules) evaluated here, independently of
:mod:`mlops_course.privacy.he` (the tests cross-check both). No property is statistical.

Judgment tasks (7, 8) are graded by properties, never against one expected value: ``he-ckks-plan``
(security against the HE-standard table, the error of the harness's **own** TenSEAL run of the
circuit on its inputs, and the smallest reachable ring degree) and ``he-plain-modulus`` (a batching
prime, no wrap-around for any admissible input, not oversized, and an exact TenSEAL BFV run).
TenSEAL's encryption noise cannot be seeded, so a measured CKKS error varies between runs by a few
percent; the solution plans with a 4× error margin and the thrift reference adds
``PLAN_SCALE_MARGIN`` bits, so neither is near an edge (checked under several keys by the tests).

Secret inputs. Every hidden property draws its values, Paillier randomisers and scenarios from
``secret_rng``/``secret_seed`` with a tag ``"08/<grade_id>/<property>"`` (and the harness's Paillier key
from ``"08/paillier-harness-key"``, so its private key cannot be rebuilt from the public package), so a table replaying
answers recorded from the public package cannot match them under a course key.
"""
from __future__ import annotations

import math
import random
from functools import cache

import gmpy2
import numpy as np

from mlops_course.grading.checks import (
    BadResult,
    Check,
    ManualQuestion,
    Property,
    Remote,
    raises,
    secret_rng,
    secret_seed,
)

__all__ = ["CHECKS", "MANUAL", "UNIT", "HE_STANDARD_128", "harness_key", "ckks_power_error", "cheapest_power_degree",
           "smallest_batching_prime"]

UNIT = "08_homomorphic_encryption"
#: HomomorphicEncryption.org security standard (2018), Table 1: 128-bit classical security
HE_STANDARD_128 = {1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881}
KEY_TAG = "08/paillier-harness-key"


def harness_key() -> tuple[int, int, int]:
    """``(n, p, q)`` of the harness's 1024-bit Paillier key, derived from the course grading key.

    The primes come from ``secret_seed(KEY_TAG)``: with a course key a student cannot rebuild the
    private key from the public package and decrypt the hidden inputs (with the public development
    key it is reproducible, for tests). Deterministic for a given key; cached per key.
    """
    return _key_from_seed(secret_seed(KEY_TAG))


@cache
def _key_from_seed(seed: int) -> tuple[int, int, int]:
    rnd = random.Random(seed)
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
    rnd = random.Random(secret_seed("08/he-sum/hidden"))
    values = [rnd.randrange(-10**6, 10**6) for _ in range(rnd.randrange(20, 60))]
    return _sum_case(remote, values, secret_seed("08/he-sum/hidden/randomisers"))


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
    rnd = random.Random(secret_seed("08/he-linear-score/hidden"))
    size = rnd.randrange(5, 20)
    x = [rnd.randrange(-1000, 1000) for _ in range(size)]
    w = [rnd.randrange(-50, 50) for _ in range(size - 1)] + [-rnd.randrange(1, 50)]  # at least one negative
    return _score_case(remote, x, w, -rnd.randrange(1, 10**4), secret_seed("08/he-linear-score/hidden/randomisers"))


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
    rnd = random.Random(secret_seed("08/he-fixed-point/hidden"))
    cases = [(-rnd.randrange(1, 10**6), -rnd.randrange(1, 8)), (rnd.randrange(10**20, 10**30), -rnd.randrange(5, 15)),
             (-rnd.randrange(10**15, 10**20), rnd.randrange(1, 4)), (0, -rnd.randrange(1, 6))]
    return _decode_cases(remote, cases)


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
    rnd = random.Random(secret_seed("08/he-unpack/hidden"))
    bits = rnd.randrange(20, 64)
    return _unpack_case(remote, [rnd.randrange(0, 2**bits) for _ in range(rnd.randrange(10, 30))] + [0], bits)


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
    rnd = random.Random(secret_seed("08/he-ckks-params/hidden"))
    cases = [(rnd.randrange(0, 20), rnd.randrange(20, 41), rnd.randrange(5, 21)) for _ in range(6)]
    cases = [c for c in cases if _plan(*c) is not None] or [(3, 40, 20)]
    return _params_cases(remote, cases)


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
    rnd = random.Random(secret_seed("08/he-malleability/hidden"))
    m = rnd.randrange(10**5, 10**7)
    return _tamper_case(remote, m, -rnd.randrange(1, m), secret_seed("08/he-malleability/hidden/randomiser"))


# --------------------------------------------------------------------------- he-ckks-plan (judgment)
# The server squares an encrypted vector `squarings` times (x -> x^(2^d), depth d) with TenSEAL's
# CKKS. The student chooses (N, coeff_mod_bit_sizes, scale_bits) for inputs |x| <= input_bound and a
# required precision: max |decrypted − x^(2^d)| <= 2^-precision_bits · input_bound^(2^d). The harness
# (1) checks 128-bit security against the HE-standard table and SEAL's 60-bit prime limit, (2) runs the
# circuit itself in TenSEAL on its own inputs and measures the error, and (3) compares the ring size N
# with the smallest N reachable by the layout [s+i, s × d, s+i] at the smallest scale that meets the
# precision on its inputs plus PLAN_SCALE_MARGIN bits (:func:`cheapest_power_degree`). Calibration:
# CKKS loses about 18 + 1.5·d bits of the scale (measured: achieved precision = s − 17.4 … s − 23.7 for
# d = 1..4), so the required scale is found by measurement, not by formula.
PLAN_SCALE_MARGIN = 3


def ckks_power_error(poly_degree: int, bits: list[int], scale_bits: int, squarings: int, x: np.ndarray) -> float:
    """Max |decrypt(enc(x)^(2^d)) − x^(2^d)| of the harness's own TenSEAL run (raises if SEAL refuses).

    Parameters
    ----------
    poly_degree : int
        Ring size N (``poly_modulus_degree``), a power of two.
    bits : list of int
        ``coeff_mod_bit_sizes``: bit sizes of the modulus primes (each <= 60).
    scale_bits : int
        log2 of the CKKS scale (``global_scale = 2**scale_bits``).
    squarings : int
        Number d of ciphertext squarings (multiplicative depth); computes x^(2^d).
    x : numpy.ndarray
        Plain inputs, 1-d, at most N/2 values.

    Returns
    -------
    float
        The largest absolute error over the slots.

    Raises
    ------
    ValueError
        If SEAL refuses the parameters (insecure, or a prime too large), raised by TenSEAL.
    RuntimeError
        If the modulus chain runs out before ``squarings`` multiplications (raised by TenSEAL).
    """
    import tenseal as ts

    ctx = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=int(poly_degree), coeff_mod_bit_sizes=[int(b) for b in bits])
    ctx.global_scale = 2.0 ** int(scale_bits)
    enc = ts.ckks_vector(ctx, x.tolist())
    for _ in range(squarings):
        enc = enc * enc
    return float(np.max(np.abs(np.array(enc.decrypt()) - x ** (2**squarings))))


def _layout(scale_bits: int, squarings: int, integer_bits: int) -> tuple[int, list[int]] | None:
    bits = [scale_bits + integer_bits] + [scale_bits] * squarings + [scale_bits + integer_bits]
    if max(bits) > 60:
        return None
    fits = [n for n in sorted(HE_STANDARD_128) if sum(bits) <= HE_STANDARD_128[n]]
    return (fits[0], bits) if fits else None


def cheapest_power_degree(squarings: int, input_bound: float, precision_bits: int, x: np.ndarray) -> int:
    """Smallest N of the layout [s+i, s·d, s+i] whose measured error meets the target, at s_min + margin.

    With ``i = ⌈log2 B^(2^d)⌉ + 1`` integer bits (at least 2), the target is
    ``max error <= 2^−p · B^(2^d)``. Scales s = max(20, p + 8), ..., 60 are tried in order; the
    first whose layout ``[s + i, s × d, s + i]`` (fitting the 128-bit HE-standard table and the
    60-bit prime limit) meets the target on ``x`` in a TenSEAL run is s_min, and the ring size of
    the layout at ``s_min + PLAN_SCALE_MARGIN`` (capped at 60 − i) is returned.

    Parameters
    ----------
    squarings : int
        Multiplicative depth d (the circuit is x -> x^(2^d)).
    input_bound : float
        B: the inputs satisfy |x| <= B.
    precision_bits : int
        p: required relative precision in bits.
    x : numpy.ndarray
        The harness's inputs the error is measured on.

    Returns
    -------
    int
        The ring size N (a key of ``HE_STANDARD_128``).

    Raises
    ------
    ValueError
        If no scale up to 60 bits meets the target (the scenarios are chosen so this never
        happens).
    """
    integer_bits = max(1, math.ceil(math.log2(input_bound ** (2**squarings)))) + 1
    tolerance = 2.0 ** -precision_bits * input_bound ** (2**squarings)
    for scale in range(max(20, precision_bits + 8), 61):  # CKKS loses > 14 bits of the scale (calibration)
        plan = _layout(scale, squarings, integer_bits)
        if plan is None:
            continue
        try:
            if ckks_power_error(plan[0], plan[1], scale, squarings, x) <= tolerance:
                found = _layout(min(scale + PLAN_SCALE_MARGIN, 60 - integer_bits), squarings, integer_bits)
                return (found or plan)[0]
        except (ValueError, RuntimeError):
            continue
    raise ValueError("no CKKS layout meets the target")  # pragma: no cover - scenarios are chosen feasible


def power_scenario(gen: np.random.Generator, depths: tuple[int, ...] = (1, 2, 3, 4)) -> tuple[int, float, int, np.ndarray]:
    """A hidden scenario: depth (from ``depths``), input bound (max |x^(2^d)| in [2^0.5, 2^4]), precision, inputs."""
    squarings = int(gen.choice(depths))
    input_bound = round(2.0 ** (float(gen.uniform(0.5, 4.0)) / 2**squarings), 4)
    precision = int(gen.integers(8, 17))
    x = gen.uniform(-input_bound, input_bound, 256)
    return squarings, input_bound, precision, x


def _judge_ckks_plan(remote: Remote, squarings: int, input_bound: float, precision: int, x: np.ndarray,
                     thrift: bool) -> tuple[bool, str]:
    what = f"plan_ckks_power(squarings={squarings}, input_bound={input_bound}, precision_bits={precision})"
    got = remote.call("plan_ckks_power", squarings, input_bound, precision)
    if not isinstance(got, dict) or not {"poly_modulus_degree", "coeff_mod_bit_sizes", "scale_bits"} <= set(got):
        raise BadResult(f"{what} should return a dict with poly_modulus_degree, coeff_mod_bit_sizes and scale_bits")
    degree, bits, scale = got["poly_modulus_degree"], got["coeff_mod_bit_sizes"], got["scale_bits"]
    if isinstance(bits, tuple):
        bits = list(bits)
    if type(degree) is not int or type(scale) is not int or not isinstance(bits, list) or \
            not all(type(b) is int for b in bits):
        raise BadResult(f"{what}: the degree, the scale bits and every bit size must be ints")
    if degree not in HE_STANDARD_128:
        return False, f"{what} chose N = {degree}; the HE standard table has N in {sorted(HE_STANDARD_128)}"
    if not bits or max(bits) > 60 or min(bits) < 1 or sum(bits) > HE_STANDARD_128[degree]:
        return False, (f"{what} chose N = {degree} with {sum(bits)} bits of modulus {bits}: 128-bit security allows at most "
                       f"{HE_STANDARD_128[degree]} bits for that N, and SEAL's primes have at most 60 bits")
    tolerance = 2.0 ** -precision * input_bound ** (2**squarings)
    try:
        error = ckks_power_error(degree, bits, scale, squarings, x)
    except (ValueError, RuntimeError) as exc:
        return False, (f"{what} chose N = {degree}, {bits}, scale 2^{scale}: TenSEAL could not evaluate depth {squarings} "
                       f"with it ({exc}); every squaring consumes one prime of the chain")
    if not error <= tolerance:
        return False, (f"{what} chose N = {degree}, {bits}, scale 2^{scale}: the grader's run on {x.size} inputs has error "
                       f"{error:.3g}, above 2^-{precision} · {input_bound}^{2**squarings} = {tolerance:.3g}")
    if thrift:
        best = cheapest_power_degree(squarings, input_bound, precision, x)
        if degree > best:
            return False, (f"{what} chose N = {degree}: secure and accurate (error {error:.3g}), but N = {best} suffices "
                           f"(a ciphertext {degree // best} × smaller, faster to compute on)")
    return True, f"N = {degree}, {bits}, scale 2^{scale}: secure, error {error:.3g} <= {tolerance:.3g}"


def ckks_plan_accurate(remote: Remote) -> tuple[bool, str]:
    x = np.random.default_rng(80_601).uniform(-1.5, 1.5, 256)
    return _judge_ckks_plan(remote, 2, 1.5, 12, x, thrift=False)


def ckks_plan_small(remote: Remote) -> tuple[bool, str]:
    x = np.random.default_rng(80_601).uniform(-1.5, 1.5, 256)
    return _judge_ckks_plan(remote, 2, 1.5, 12, x, thrift=True)


def ckks_plan_hidden(remote: Remote) -> tuple[bool, str]:
    gen = secret_rng("08/he-ckks-plan/hidden")
    for depths in ((3, 4), (1,)):  # a deep circuit and a shallow one: one fixed parameter set cannot fit both
        ok, message = _judge_ckks_plan(remote, *power_scenario(gen, depths), thrift=True)
        if not ok:
            return False, message
    return True, "2 other depths, ranges and precisions: secure, accurate, smallest ring"


# --------------------------------------------------------------------------- he-plain-modulus (judgment)
# BFV computes exactly modulo the plaintext modulus t; results are read as signed values in
# (−t/2, t/2]. A server computes y = Σ_k w_k x_k slot-wise over n_terms encrypted vectors (|x| <= X,
# |w| <= W, plaintext weights). The student chooses t for a ring degree N: batching needs a prime
# t ≡ 1 (mod 2N); no wrap-around needs t > 2·n·X·W; a larger t than needed wastes noise budget, so t
# may be at most PLAIN_THRIFT times the smallest such prime. The harness checks these with exact
# integer arithmetic and runs the computation in TenSEAL BFV on its own data (decryption must be exact).
PLAIN_THRIFT = 4


def smallest_batching_prime(bound: int, poly_degree: int) -> int:
    """The smallest prime t ≡ 1 (mod 2N) with t > 2·bound (gmpy2's primality test).

    t ≡ 1 (mod 2N) makes BFV plaintext batching possible (N slots); t > 2·bound lets signed
    results with |value| <= bound be decoded without wrap-around.

    Parameters
    ----------
    bound : int
        Largest absolute value a slot must hold (>= 0).
    poly_degree : int
        Ring size N.

    Returns
    -------
    int
        The prime plaintext modulus t.

    Examples
    --------
    >>> smallest_batching_prime(1000, 4096)
    40961
    """
    step = 2 * poly_degree
    t = (2 * bound // step + 1) * step + 1
    while not gmpy2.is_prime(t):
        t += step
    return int(t)


def plain_scenario(gen: np.random.Generator) -> tuple[int, int, int, int]:
    n_terms = int(gen.integers(2, 40))
    return n_terms, int(gen.integers(10, 5000)), int(gen.integers(2, 2000)), int(gen.choice([4096, 8192]))


def _bfv_exact(t: int, poly_degree: int, n_terms: int, max_x: int, max_w: int, gen: np.random.Generator) -> tuple[bool, int]:
    import tenseal as ts

    ctx = ts.context(ts.SCHEME_TYPE.BFV, poly_modulus_degree=poly_degree, plain_modulus=t)
    xs = gen.integers(-max_x, max_x + 1, (n_terms, 32))
    xs[:, 0] = max_x  # the worst case is reached in slot 0
    ws = gen.integers(-max_w, max_w + 1, n_terms)
    ws[:] = np.where(ws == 0, max_w, ws)
    ws[: n_terms // 2 + 1] = max_w
    xs[ws < 0, 0] = -max_x
    total = None
    for xk, wk in zip(xs, ws, strict=True):
        term = ts.bfv_vector(ctx, xk.tolist()) * int(wk)
        total = term if total is None else total + term
    want = ws @ xs
    return bool(np.array_equal(np.array(total.decrypt()), want)), int(np.abs(want).max())


def _judge_plain(remote: Remote, n_terms: int, max_x: int, max_w: int, poly_degree: int, gen: np.random.Generator,
                 thrift: bool) -> tuple[bool, str]:
    what = f"choose_plain_modulus(n_terms={n_terms}, max_abs_x={max_x}, max_abs_w={max_w}, poly_degree={poly_degree})"
    t = remote.call("choose_plain_modulus", n_terms, max_x, max_w, poly_degree)
    if type(t) is not int:
        raise BadResult(f"{what} should return an int, got a {type(t).__name__}")
    bound = n_terms * max_x * max_w
    if t < 3 or t.bit_length() > 60 or not gmpy2.is_prime(t):
        return False, f"{what} returned t = {t}: the plaintext modulus must be a prime of at most 60 bits"
    if t % (2 * poly_degree) != 1:
        return False, f"{what} returned t = {t}: batching needs t ≡ 1 (mod 2N = {2 * poly_degree}), here t mod 2N = {t % (2 * poly_degree)}"
    if not t > 2 * bound:
        return False, (f"{what} returned t = {t}: results range over ±{bound} (n·X·W), so they wrap around unless "
                       f"t > 2·{bound} = {2 * bound}")
    best = smallest_batching_prime(bound, poly_degree)
    if thrift and t > PLAIN_THRIFT * best:
        return False, (f"{what} returned t = {t}: correct but {t / best:.3g} × the smallest suitable prime {best}; "
                       f"a larger t consumes noise budget for nothing (at most {PLAIN_THRIFT} × allowed)")
    try:
        exact, largest = _bfv_exact(t, poly_degree, n_terms, max_x, max_w, gen)
    except (ValueError, RuntimeError) as exc:
        return False, f"{what} returned t = {t}, which TenSEAL refuses for N = {poly_degree}: {exc}"
    if not exact:
        return False, f"{what} returned t = {t}: the grader's BFV run (largest |result| {largest}) did not decrypt exactly"
    return True, f"t = {t}: prime, ≡ 1 mod 2N, > 2·{bound}, exact in TenSEAL (smallest suitable: {best})"


def plain_valid(remote: Remote) -> tuple[bool, str]:
    return _judge_plain(remote, 16, 1000, 100, 4096, np.random.default_rng(80_701), thrift=False)


def plain_small(remote: Remote) -> tuple[bool, str]:
    return _judge_plain(remote, 3, 50, 20, 8192, np.random.default_rng(80_702), thrift=True)


def plain_hidden(remote: Remote) -> tuple[bool, str]:
    gen = secret_rng("08/he-plain-modulus/hidden")
    for _ in range(2):
        ok, message = _judge_plain(remote, *plain_scenario(gen), gen, thrift=True)
        if not ok:
            return False, message
    return True, "2 other workloads and ring sizes: valid, exact and not oversized"

CHECKS: tuple[Check, ...] = (
    Check("he-sum", "encrypted_sum", (
        Property("Enc(a)·Enc(b) decrypts to a + b (3 values)", 1.0, sum_small,
                 "which operation on Paillier ciphertexts corresponds to adding the plaintexts?"),
        Property("a single ciphertext, a negative value", 0.5, sum_single,
                 "a sum of one value is that value; negative numbers live at the top of the plaintext range"),
        Property("many values of both signs", 0.5, sum_hidden, "the same for any number of ciphertexts",
                 visible=False),
    ), UNIT),
    Check("he-linear-score", "encrypted_linear_score", (
        Property("decrypts to w·x + b (positive weights)", 1.5, score_positive,
                 "multiplying a plaintext by a known constant is repeated addition; the bias is one more addition"),
        Property("negative weights and bias", 1.5, score_hidden,
                 "a negative constant needs the inverse of the ciphertext modulo n²", visible=False),
    ), UNIT),
    Check("he-fixed-point", "decode_fixed_point", (
        Property("mantissa·16^exponent, negatives wrapped to n − |m|", 1.0, decode_visible,
                 "the plaintext space is split into a positive third, a negative third and an overflow band"),
        Property("other exponents and magnitudes", 0.5, decode_hidden, "the same rule", visible=False),
        Property("OverflowError in the middle third", 0.5, decode_overflow,
                 "a value in the middle band cannot be told apart from a wrapped sum: refuse it"),
    ), UNIT),
    Check("he-unpack", "unpack_slots", (
        Property("slots of 8 bits, least significant first", 1.0, unpack_visible,
                 "each slot is a fixed-width field of the integer, counted from the lowest bits"),
        Property("other slot widths and counts", 1.0, unpack_hidden, "the same for any slot width", visible=False),
    ), UNIT),
    Check("he-ckks-params", "choose_ckks_parameters", (
        Property("depth 1 and 2 with a 40-bit scale", 1.0, params_visible,
                 "the total modulus size decides which ring degrees are secure; take the smallest that is"),
        Property("other depths and scales", 1.0, params_hidden, "check every N of the table in increasing order",
                 visible=False),
        Property("ValueError when impossible", 1.0, params_refuse,
                 "no table entry may be large enough, and SEAL's primes have at most 60 bits"),
    ), UNIT),
    Check("he-malleability", "tamper", (
        Property("Enc(m) → Enc(m + δ) with the public key only", 1.0, tamper_visible,
                 "anyone can encrypt δ with the public key; combine it with the ciphertext homomorphically"),
        Property("negative delta", 1.0, tamper_hidden, "plaintexts are residues modulo n", visible=False),
    ), UNIT),
    Check("he-ckks-plan", "plan_ckks_power", (
        Property("secure and accurate for depth 2", 1.0, ckks_plan_accurate,
                 "each squaring consumes one prime of the chain; the scale sets the precision, but CKKS loses "
                 "bits to noise: measure how many before you choose"),
        Property("smallest ring degree for depth 2", 1.0, ckks_plan_small,
                 "a larger N is more secure but makes every ciphertext bigger and slower: take the smallest N whose "
                 "security limit holds your chain"),
        Property("2 other depths, ranges and precisions", 2.0, ckks_plan_hidden,
                 "depth, integer bits and scale all follow from the circuit, the input range and the precision",
                 visible=False),
    ), UNIT),
    Check("he-plain-modulus", "choose_plain_modulus", (
        Property("valid: prime, ≡ 1 mod 2N, no wrap-around", 1.0, plain_valid,
                 "BFV computes modulo t; batching needs a prime of a special form; signed results must fit in "
                 "(−t/2, t/2]"),
        Property("not oversized", 0.5, plain_small,
                 "search upwards from the smallest admissible value rather than picking a large prime"),
        Property("2 other workloads and ring sizes", 1.5, plain_hidden,
                 "the worst case is every term at its largest magnitude with the same sign", visible=False),
    ), UNIT),
)

MANUAL: tuple[ManualQuestion, ...] = (
    ManualQuestion("he-interpret", 4, UNIT, "what homomorphic encryption protects, and what it costs"),
)
