"""The autograder on exercise 08: full marks under two course keys, zero for the exercise, partial credit, wrong
formula answers and lazy judgment answers lose their task, the written answer's cells, references vs peers."""
from __future__ import annotations

from functools import partial

import numpy as np
import phe
import pytest

from mlops_course.grading.checks import GRADING_KEY_ENV, LocalRemote, check_modules, run_property
from mlops_course.grading.checks import he as he_checks
from mlops_course.grading.harness import Limits
from mlops_course.privacy.he.batched_paillier import unpack_slots as reference_unpack
from mlops_course.privacy.he.params import HE_STANDARD_128, plan_ckks
from tests import _grading
from tests._grading import (
    assert_failures_explain_themselves,
    assert_hidden_checks_pass,
    assert_manual_questions,
    assert_only_task_lost,
    assert_partial_scores_the_done_tasks,
    assert_registry_matches,
    assert_released_blank,
    exec_answers,
    grader_fixture,
    load_notebook,
    scores,
    unit_notebooks,
    with_answers,
    write_notebook,
)

UNIT = "08_homomorphic_encryption"
SOLUTION, EXERCISE = unit_notebooks(UNIT)
POINTS = {"he-sum": 2.0, "he-linear-score": 3.0, "he-fixed-point": 2.0, "he-unpack": 2.0, "he-ckks-params": 3.0,
          "he-malleability": 2.0, "he-ckks-plan": 4.0, "he-plain-modulus": 3.0}
MANUAL = {"he-interpret": 4.0}
TOTAL = sum(POINTS.values())
JUDGMENT = ("he-ckks-plan", "he-plain-modulus")
# generous: a loaded 2-core machine; plan_ckks_power measures TenSEAL runs inside the worker
LIMITS = Limits(cell_seconds=30.0, call_seconds=120.0, total_seconds=600.0, memory_bytes=3 * 2**30, processes=32)

WRONG = {  # one plausible mistake per task
    "he-sum": "def encrypted_sum(n, ciphertexts):\n    return sum(ciphertexts) % (n * n)\n",
    "he-linear-score": ("def encrypted_linear_score(n, ciphertexts, weights, bias):\n"
                        "    out = 1\n    for c, w in zip(ciphertexts, weights):\n"
                        "        out = out * pow(c, w, n * n) % (n * n)\n    return out\n"),  # forgets the bias
    "he-fixed-point": "def decode_fixed_point(plaintext, n, exponent):\n    return plaintext * 16.0**exponent\n",
    "he-unpack": ("def unpack_slots(plaintext, slot_bits, n_slots):\n    mask = (1 << slot_bits) - 1\n"
                  "    return [(plaintext >> (slot_bits * i)) & mask for i in range(n_slots)][::-1]\n"),
    "he-ckks-params": ("def choose_ckks_parameters(depth, scale_bits, integer_bits):\n"
                       "    return 32768, [scale_bits + integer_bits] + [scale_bits] * depth + [scale_bits + integer_bits]\n"),
    "he-malleability": "def tamper(n, ciphertext, delta):\n    return ciphertext + delta\n",
}


grader = grader_fixture("08", LIMITS)


def test_registry_matches_the_notebook():
    assert check_modules()[UNIT] == "mlops_course.grading.checks.he"  # found automatically
    assert_registry_matches(UNIT, POINTS, SOLUTION)
    assert_manual_questions(UNIT, MANUAL, answer_contains="Model answer")
    assert_released_blank(UNIT, MANUAL)


@pytest.mark.parametrize("key", ["course-key-A", "another course key 2"])
def test_solution_gets_full_marks_under_two_keys(grader, monkeypatch, key):
    monkeypatch.setenv(GRADING_KEY_ENV, key)
    full = grader.grade(SOLUTION)
    assert (full.score, full.max_score) == (TOTAL, TOTAL), [t.output for t in full.tests if t.score < t.max_score]
    assert scores(full) == POINTS


@pytest.mark.parametrize("done", [("he-ckks-plan",), ("he-plain-modulus", "he-sum")])
def test_partial_submission_gets_exactly_the_done_tasks(grader, tmp_path, done):
    assert_partial_scores_the_done_tasks(grader, tmp_path, UNIT, POINTS, done)


def test_solution_full_exercise_zero_wrong_answers_lose_their_task(grader, tmp_path):
    zero = grader.grade(EXERCISE)
    assert zero.score == 0.0 and zero.max_score == TOTAL
    report = grader.grade(write_notebook(tmp_path, with_answers(SOLUTION, WRONG), f"{UNIT}.ipynb"))
    got = scores(report)
    for gid in WRONG:
        assert got[gid] < POINTS[gid], (gid, [t.output for t in report.tests])
    assert got["he-fixed-point"] == 0.0  # negatives (visible and hidden) and overflow are wrong
    assert got["he-sum"] == 0.5  # summing ciphertext integers is right only for a single ciphertext
    assert got["he-malleability"] == 0.0


def test_returning_the_plaintext_fails(tmp_path, grader):
    nb = with_answers(EXERCISE, {"he-sum": "def encrypted_sum(n, ciphertexts):\n    return 18\n"})
    report = grader.grade(write_notebook(tmp_path, nb, f"{UNIT}.ipynb"))
    assert scores(report)["he-sum"] == 0.0


def test_harness_key_and_paillier_agree_with_phe():
    n, p, q = he_checks.harness_key()
    pub = phe.PaillierPublicKey(n)
    priv = phe.PaillierPrivateKey(pub, p, q)
    c = he_checks._encrypt(-1234, 7)
    assert priv.decrypt(phe.EncryptedNumber(pub, c)) == -1234  # peer: phe decrypts the harness ciphertexts
    assert he_checks._decrypt(pub.encrypt(99).ciphertext()) == 99
    assert he_checks.harness_key() == (n, p, q)  # deterministic


def test_check_references_agree_with_the_package():
    assert he_checks.HE_STANDARD_128 == HE_STANDARD_128
    for args in [(2, 40, 20), (3, 40, 20), (0, 20, 5), (10, 30, 20), (1, 25, 10), (19, 40, 20)]:
        plan = plan_ckks(*args)
        assert he_checks._plan(*args) == (plan.poly_degree, list(plan.coeff_mod_bit_sizes))
    rng = np.random.default_rng(0)
    slots = [int(v) for v in rng.integers(0, 2**20, size=9)]
    packed = sum(v << (20 * i) for i, v in enumerate(slots))
    assert reference_unpack(packed, 20, 9) == slots


def test_self_check_runs_locally():
    (check,) = [c for c in he_checks.CHECKS if c.grade_id == "he-unpack"]
    remote = LocalRemote({"unpack_slots": reference_unpack})
    assert all(run_property(p, remote, "unpack_slots")[0] for p in check.properties)


# ----------------------------------------------------------------------------- judgment tasks
PLAN_HEAD = "def plan_ckks_power(squarings, input_bound, precision_bits):\n"
PLAIN_HEAD = "def choose_plain_modulus(n_terms, max_abs_x, max_abs_w, poly_degree):\n"
LAZY = {
    # TenSEAL's tutorial parameters for every circuit: depth 2 only
    "ckks tutorial constant": ("he-ckks-plan", PLAN_HEAD + "    return {'poly_modulus_degree': 8192, "
                               "'coeff_mod_bit_sizes': [60, 40, 40, 60], 'scale_bits': 40}\n"),
    # always secure and deep enough, never the smallest
    "ckks largest ring": ("he-ckks-plan", PLAN_HEAD + "    return {'poly_modulus_degree': 32768, "
                          "'coeff_mod_bit_sizes': [60] + [50] * 8 + [60], 'scale_bits': 50}\n"),
    # scale = precision: ignores the bits CKKS loses to noise
    "ckks scale = precision": ("he-ckks-plan", PLAN_HEAD + (
        "    limits = {1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881}\n"
        "    i = max(1, math.ceil(math.log2(input_bound ** (2 ** squarings)))) + 1\n"
        "    s = max(precision_bits, 20)\n    bits = [s + i] + [s] * squarings + [s + i]\n"
        "    n = min(k for k in limits if sum(bits) <= limits[k])\n"
        "    return {'poly_modulus_degree': n, 'coeff_mod_bit_sizes': bits, 'scale_bits': s}\n")),
    "plain tenseal default": ("he-plain-modulus", PLAIN_HEAD + "    return 1032193\n"),
    # no wrap-around, but neither prime nor batching-friendly
    "plain bound only": ("he-plain-modulus", PLAIN_HEAD + "    return 2 * n_terms * max_abs_x * max_abs_w + 1\n"),
    # a valid batching prime that is far too large
    "plain huge prime": ("he-plain-modulus", PLAIN_HEAD + (
        "    t = (2**50 // (2 * poly_degree)) * 2 * poly_degree + 1\n"
        "    while not gmpy2.is_prime(t):\n        t += 2 * poly_degree\n    return int(t)\n")),
}


@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_judgment_answer_loses_its_task(grader, tmp_path, name):
    gid, text = LAZY[name]
    report = grader.grade(write_notebook(tmp_path, with_answers(SOLUTION, {gid: text}), f"{UNIT}.ipynb"))
    assert_only_task_lost(report, POINTS, gid)
    assert_failures_explain_themselves(report, gid)


def solution_functions() -> dict:
    import math

    import gmpy2
    import tenseal as ts

    return exec_answers(load_notebook(SOLUTION), JUDGMENT, {"np": np, "math": math, "gmpy2": gmpy2, "ts": ts})


run_check = partial(_grading.run_check, he_checks.CHECKS)


def test_hidden_judgment_checks_pass_for_the_solution_under_several_keys(monkeypatch):
    keys = [f"he-key-{k}" for k in range(3)]
    assert_hidden_checks_pass(monkeypatch, he_checks.CHECKS, JUDGMENT, solution_functions(), keys)


def test_feedback_names_the_inputs_and_the_violated_property():
    wrap = run_check("he-plain-modulus", {"choose_plain_modulus": lambda n, x, w, d: 1032193}, visible=True)[0]
    assert not wrap[1] and "n_terms=16" in wrap[2] and "t > 2·1600000" in wrap[2]
    big = {"plan_ckks_power": lambda d, b, p: {"poly_modulus_degree": 32768,
                                                "coeff_mod_bit_sizes": [60] + [50] * 8 + [60], "scale_bits": 50}}
    small = run_check("he-ckks-plan", big, visible=True)[1]
    assert not small[1] and "N = 8192 suffices" in small[2] and "squarings=2" in small[2]
    hints = [p.hint for c in he_checks.CHECKS for p in c.properties]
    assert not [h for h in hints if "pow(" in h or "np." in h or ">>" in h or "phe." in h]


def test_smallest_batching_prime_against_brute_force_and_tenseal():
    import gmpy2
    import tenseal as ts

    for bound, degree in ((10, 4096), (1500, 8192), (10**6, 4096)):
        t = he_checks.smallest_batching_prime(bound, degree)
        brute = next(c for c in range(2 * bound + 1, 10**9) if c % (2 * degree) == 1 and gmpy2.is_prime(c))
        assert t == brute
        ts.context(ts.SCHEME_TYPE.BFV, poly_modulus_degree=degree, plain_modulus=t)  # SEAL accepts it for batching
    assert he_checks.smallest_batching_prime(0, 4096) == 40961  # a well-known batching prime for N = 4096
    assert he_checks.smallest_batching_prime(0, 8192) == 65537  # F4 = 2^16 + 1 = 8·8192 + 1


def test_ckks_error_measure_and_security_table_agree_with_the_package():
    from mlops_course.privacy.he.params import check_security

    x = np.random.default_rng(0).uniform(-1, 1, 64)
    assert he_checks.ckks_power_error(8192, [60, 40, 40, 60], 40, 2, x) < 1e-4  # TenSEAL's tutorial set: depth 2
    with pytest.raises((ValueError, RuntimeError)):
        he_checks.ckks_power_error(8192, [60, 40, 60], 40, 2, x)  # one prime short: depth exhausted
    for degree, limit in he_checks.HE_STANDARD_128.items():
        chain = [60] * (limit // 60) + ([limit % 60] if limit % 60 else [])
        assert sum(chain) == limit
        check_security(degree, chain)  # exactly at the limit: accepted
        with pytest.raises(ValueError):
            check_security(degree, [*chain, 1])


def test_harness_paillier_key_follows_the_course_key(monkeypatch):
    # with the public development key the private key is reproducible from the package; a course key changes it
    dev = he_checks.harness_key()
    monkeypatch.setenv(GRADING_KEY_ENV, "a course key")
    course = he_checks.harness_key()
    assert course != dev and course[0] == course[1] * course[2] and course[0].bit_length() >= 1023
    assert he_checks.harness_key() == course  # deterministic for a key
    assert he_checks._decrypt(he_checks._encrypt(-77, 5)) == -77
