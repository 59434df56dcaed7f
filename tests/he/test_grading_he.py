"""The autograder on exercise 08: full marks for the solution, zero for the exercise, wrong answers lose points."""
from __future__ import annotations

import numpy as np
import phe
import pytest

from mlops_course.grading.checks import LocalRemote, check_modules, run_property
from mlops_course.grading.checks import he as he_checks
from mlops_course.grading.harness import REPO_ROOT, Grader, Limits
from mlops_course.privacy.he.batched_paillier import unpack_slots as reference_unpack
from mlops_course.privacy.he.params import HE_STANDARD_128, plan_ckks
from tests._grading import assert_registry_matches, scores, with_answers, write_notebook

UNIT = "08_homomorphic_encryption"
SOLUTION = REPO_ROOT / "solutions" / f"{UNIT}.ipynb"
EXERCISE = REPO_ROOT / "exercises" / f"{UNIT}.ipynb"
POINTS = {"he-sum": 2.0, "he-linear-score": 3.0, "he-fixed-point": 2.0, "he-unpack": 2.0, "he-ckks-params": 3.0,
          "he-malleability": 2.0}
LIMITS = Limits(cell_seconds=10.0, call_seconds=20.0, total_seconds=120.0, memory_bytes=3 * 2**30, processes=32)

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


@pytest.fixture(scope="module")
def grader():
    return Grader("08", limits=LIMITS)


def test_registry_matches_the_notebook():
    assert check_modules()[UNIT] == "mlops_course.grading.checks.he"  # found automatically
    assert_registry_matches(UNIT, POINTS, SOLUTION)


def test_solution_full_exercise_zero_wrong_answers_lose_their_task(grader, tmp_path):
    full = grader.grade(SOLUTION)
    assert (full.score, full.max_score) == (14.0, 14.0), [t.output for t in full.tests if not t.score]
    assert scores(full) == POINTS
    zero = grader.grade(EXERCISE)
    assert zero.score == 0.0 and zero.max_score == 14.0
    report = grader.grade(write_notebook(tmp_path, with_answers(SOLUTION, WRONG), f"{UNIT}.ipynb"))
    got = scores(report)
    for gid in POINTS:
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
