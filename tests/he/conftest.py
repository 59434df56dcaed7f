"""Shared keys for the HE tests: generated once per session (key generation is the slow part)."""
from __future__ import annotations

import warnings

import pytest

from mlops_course.privacy.he.paillier import InsecureKeyWarning, generate_keypair
from mlops_course.privacy.he.params import ckks_context


@pytest.fixture(scope="session")
def demo_keys():
    """A 1024-bit demo key: security is not the point of these tests (the warning is asserted elsewhere)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyWarning)
        return generate_keypair(1024, demo=True)


@pytest.fixture(scope="session")
def ckks_ctx():
    """A secure CKKS context (N = 8192, depth 2, scale 2^40) with Galois keys."""
    return ckks_context(8192, [60, 40, 40, 60], 40)
