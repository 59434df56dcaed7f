"""Homomorphic encryption: Paillier (phe) with batching, textbook RSA/ElGamal, CKKS/BFV (TenSEAL).

==========================  ==================================================================
module                      what it provides
==========================  ==================================================================
``paillier``                key-size policy, encrypted sum / mean / weighted sum / linear score
``batched_paillier``        packing fixed-point values into slots + DJN fixed-base randomiser
``textbook``                textbook RSA and ElGamal (multiplicative, INSECURE as written)
``params``                  HE-standard 128-bit table, depth/scale planning, checked contexts
``ckks``                    encrypted mean, variance, logistic-regression inference
``roles``                   data owner (secret key) vs server (public context), as bytes
``failures``                CKKS error vs depth, exhausted depth, BFV noise budget
``integrity``               Paillier malleability attacks and an HMAC over ciphertexts
==========================  ==================================================================
"""
from __future__ import annotations

from mlops_course.privacy.he.batched_paillier import (
    BatchedPaillier,
    FixedBaseRandomizer,
    PackedCiphertext,
    pack_slots,
    slot_bits_for,
    unpack_slots,
)
from mlops_course.privacy.he.ckks import (
    ciphertext_size,
    encrypt_columns,
    encrypted_logistic_scores,
    encrypted_variance,
    plain_logistic_scores,
    sigmoid_coefficients,
    sigmoid_poly,
)
from mlops_course.privacy.he.ckks import encrypted_mean as ckks_encrypted_mean
from mlops_course.privacy.he.failures import (
    bfv_noise_budgets,
    ckks_error_by_depth,
    exhaust_ckks_depth,
    measure_ckks_parameters,
    noise_budget,
    rescale_factors,
)
from mlops_course.privacy.he.integrity import tag_ciphertext, tamper_add, tamper_scale, verify_ciphertext
from mlops_course.privacy.he.paillier import (
    MIN_KEY_BITS,
    InsecureKeyWarning,
    ciphertext_bytes,
    decrypt_vector,
    describe_encoding,
    encrypt_vector,
    encrypted_dot,
    encrypted_linear_score,
    encrypted_mean,
    encrypted_sum,
    encrypted_weighted_sum,
    generate_keypair,
)
from mlops_course.privacy.he.params import (
    HE_STANDARD_128,
    CKKSPlan,
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
from mlops_course.privacy.he.roles import DataOwner, Server

__all__ = [
    "MIN_KEY_BITS", "InsecureKeyWarning", "generate_keypair", "encrypt_vector", "decrypt_vector",
    "encrypted_sum", "encrypted_mean", "encrypted_weighted_sum", "encrypted_dot", "encrypted_linear_score",
    "describe_encoding", "ciphertext_bytes",
    "BatchedPaillier", "FixedBaseRandomizer", "PackedCiphertext", "pack_slots", "unpack_slots", "slot_bits_for",
    "HE_STANDARD_128", "CKKSPlan", "InsecureParametersError", "InsecureParametersWarning", "bfv_context",
    "check_security", "ckks_context", "ckks_depth", "max_coeff_modulus_bits", "plan_ckks", "rescale_bias",
    "ckks_encrypted_mean", "encrypted_variance", "encrypt_columns", "encrypted_logistic_scores",
    "plain_logistic_scores", "sigmoid_coefficients", "sigmoid_poly", "ciphertext_size",
    "DataOwner", "Server",
    "ckks_error_by_depth", "rescale_factors", "exhaust_ckks_depth", "measure_ckks_parameters", "bfv_noise_budgets", "noise_budget",
    "tamper_add", "tamper_scale", "tag_ciphertext", "verify_ciphertext",
]
