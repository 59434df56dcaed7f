"""Paillier malleability (confidentiality is not integrity) and the HMAC that detects it."""
from __future__ import annotations

import secrets

import pytest

from mlops_course.privacy.he.integrity import (
    ciphertext_to_bytes,
    tag_ciphertext,
    tamper_add,
    tamper_scale,
    verify_ciphertext,
)


def test_public_key_holder_can_change_the_plaintext(demo_keys):
    pub, priv = demo_keys
    salary = pub.encrypt(50_000)
    assert priv.decrypt(tamper_add(pub, salary, 1_000_000)) == 1_050_000
    assert priv.decrypt(tamper_scale(salary, 3)) == 150_000
    assert priv.decrypt(tamper_add(pub, pub.encrypt(1.5), -0.25)) == pytest.approx(1.25)


def test_mac_detects_tampering(demo_keys):
    pub, _ = demo_keys
    key = secrets.token_bytes(32)
    honest = pub.encrypt(42)
    tag = tag_ciphertext(key, honest)
    assert verify_ciphertext(key, honest, tag)
    assert not verify_ciphertext(key, tamper_add(pub, honest, 1), tag)
    assert not verify_ciphertext(key, tamper_scale(honest, 1), tag) or \
        ciphertext_to_bytes(tamper_scale(honest, 1)) == ciphertext_to_bytes(honest)
    assert not verify_ciphertext(secrets.token_bytes(32), honest, tag)


def test_bad_inputs(demo_keys):
    pub, _ = demo_keys
    with pytest.raises(TypeError):
        tamper_scale(5, 2)
    with pytest.raises(ValueError):
        tamper_add(pub, pub.encrypt(1), float("nan"))
    with pytest.raises(TypeError):
        tamper_add("pub", pub.encrypt(1), 1)
    with pytest.raises(ValueError):
        tag_ciphertext(b"short", pub.encrypt(1))
    with pytest.raises(TypeError):
        verify_ciphertext(secrets.token_bytes(16), pub.encrypt(1), "tag")
