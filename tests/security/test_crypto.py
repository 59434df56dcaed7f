"""Tests of encryption at rest (AES-GCM, scrypt, envelope keys) and in transit (loopback TLS server).

Peers: hashlib.scrypt (OpenSSL) for the key derivation; the `cryptography` AESGCM primitive and
Python's ssl module for interoperability. No statistical assertions in this file.
"""
from __future__ import annotations

import hashlib
import socket
import ssl

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mlops_course.security.crypto import (
    MAGIC,
    NONCE_BYTES,
    IntegrityError,
    ModelServer,
    RecordingProxy,
    decrypt_artifact,
    decrypt_file,
    derive_key,
    encrypt_artifact,
    encrypt_file,
    generate_key,
    make_test_pki,
    post_json,
    unwrap_key,
    wrap_key,
)

SECRET = b"model weights: 0.123456789 -0.987654321"


@pytest.fixture(scope="module")
def pki():
    return make_test_pki()


def _echo(payload):
    return {"y": [2 * v for v in payload["x"]]}


# --------------------------------------------------------------------------- at rest
@pytest.mark.parametrize("bits", [128, 192, 256])
def test_round_trip_and_length(bits):
    key = generate_key(bits)
    token = encrypt_artifact(SECRET, key, "model-v1")
    assert len(key) == bits // 8
    assert len(token) == len(MAGIC) + NONCE_BYTES + len(SECRET) + 16
    assert SECRET not in token
    assert decrypt_artifact(token, key, "model-v1") == SECRET


def test_token_interoperates_with_the_aesgcm_primitive():
    key = generate_key()
    token = encrypt_artifact(SECRET, key, b"label")
    nonce = token[len(MAGIC):len(MAGIC) + NONCE_BYTES]
    assert AESGCM(key).decrypt(nonce, token[len(MAGIC) + NONCE_BYTES:], MAGIC + b"label") == SECRET


def test_fresh_nonce_per_encryption():
    key = generate_key()
    tokens = {encrypt_artifact(SECRET, key) for _ in range(20)}
    assert len(tokens) == 20  # 96-bit random nonces collide with probability ~ 20²/2^97


@pytest.mark.parametrize("position", [0, len(MAGIC), len(MAGIC) + NONCE_BYTES, -1])
def test_any_flipped_bit_is_detected(position):
    key = generate_key()
    token = bytearray(encrypt_artifact(SECRET, key, "m"))
    token[position] ^= 0x01
    with pytest.raises(IntegrityError):
        decrypt_artifact(bytes(token), key, "m")


def test_wrong_key_label_or_truncation_is_detected():
    key = generate_key()
    token = encrypt_artifact(SECRET, key, "model-v1")
    with pytest.raises(IntegrityError):
        decrypt_artifact(token, generate_key(), "model-v1")
    with pytest.raises(IntegrityError):
        decrypt_artifact(token, key, "model-v2")
    with pytest.raises(IntegrityError):
        decrypt_artifact(token[:-1], key, "model-v1")
    with pytest.raises(IntegrityError):
        decrypt_artifact(token[:20], key, "model-v1")


def test_files_are_bound_to_their_names(tmp_path):
    key = generate_key()
    (tmp_path / "a.npz").write_bytes(b"model A")
    (tmp_path / "b.npz").write_bytes(b"model B")
    enc_a, enc_b = encrypt_file(tmp_path / "a.npz", key), encrypt_file(tmp_path / "b.npz", key)
    assert decrypt_file(enc_a, key) == b"model A"
    enc_a.write_bytes(enc_b.read_bytes())  # attacker swaps the encrypted files
    with pytest.raises(IntegrityError):
        decrypt_file(enc_a, key)


def test_derive_key_matches_hashlib_scrypt():
    salt = bytes(range(16))
    want = hashlib.scrypt(b"correct horse battery staple", salt=salt, n=2**10, r=8, p=1, dklen=32)
    assert derive_key("correct horse battery staple", salt, n=2**10) == want


def test_derive_key_default_cost_meets_owasp_guidance():
    # OWASP Password Storage Cheat Sheet: scrypt with N >= 2^17, r = 8, p = 1 (the old default was 2^14)
    import inspect

    default_n = inspect.signature(derive_key).parameters["n"].default
    assert default_n >= 2**17
    salt = bytes(range(16))
    want = hashlib.scrypt(b"pw", salt=salt, n=2**17, r=8, p=1, dklen=32, maxmem=2**28)
    assert derive_key("pw", salt) == want  # the default really runs at N = 2^17


def test_envelope_encryption():
    kek, data_key = derive_key("pass phrase", b"s" * 16, n=2**10), generate_key()
    wrapped = wrap_key(data_key, kek, "kek-2025")
    assert data_key not in wrapped
    assert unwrap_key(wrapped, kek, "kek-2025") == data_key
    with pytest.raises(IntegrityError):
        unwrap_key(wrapped, generate_key(), "kek-2025")
    with pytest.raises(IntegrityError):
        unwrap_key(wrapped, kek, "kek-2024")


@pytest.mark.parametrize("call, exc", [
    (lambda: generate_key(100), ValueError),
    (lambda: encrypt_artifact("text", generate_key()), TypeError),
    (lambda: encrypt_artifact(b"x", b"short"), ValueError),
    (lambda: encrypt_artifact(b"x", "k" * 32), TypeError),
    (lambda: decrypt_artifact(b"x", b"k" * 15), ValueError),
    (lambda: derive_key("", b"s" * 16), ValueError),
    (lambda: derive_key("pw", b"short"), ValueError),
    (lambda: derive_key("pw", b"s" * 16, n=1000), ValueError),
    (lambda: make_test_pki(days=0), ValueError),
])
def test_bad_input(call, exc):
    with pytest.raises(exc):
        call()


# --------------------------------------------------------------------------- in transit
def test_tls_round_trip_on_loopback(pki):
    with ModelServer(_echo, pki) as server:
        assert server.tls
        assert server._server.server_address[0] == "127.0.0.1"
        assert post_json(server.port, {"x": [1, 2.5]}, ca_cert=pki.ca_cert) == {"y": [2, 5.0]}
        assert server.requests_served == 1


def test_client_trusting_another_ca_is_rejected(pki):
    other = make_test_pki()
    with ModelServer(_echo, pki) as server:
        with pytest.raises(ssl.SSLCertVerificationError):
            post_json(server.port, {"x": [1]}, ca_cert=other.ca_cert)
        with pytest.raises(ssl.SSLCertVerificationError):  # the system trust store does not know our CA
            post_json(server.port, {"x": [1]}, context=ssl.create_default_context())
        with pytest.raises((ConnectionError, http_errors())):  # plain HTTP to a TLS port
            post_json(server.port, {"x": [1]})
        assert server.requests_served == 0
        assert post_json(server.port, {"x": [3]}, ca_cert=pki.ca_cert) == {"y": [6]}  # still serving


def http_errors():
    import http.client

    return http.client.HTTPException


def test_eavesdropper_reads_http_but_not_tls(pki):
    marker = 918273645
    with ModelServer(_echo) as plain, RecordingProxy(plain.port) as tap:
        assert post_json(tap.port, {"x": [marker]}) == {"y": [2 * marker]}
        tap.close()
        assert str(marker).encode() in tap.captured
    with ModelServer(_echo, pki) as secure, RecordingProxy(secure.port) as tap:
        assert post_json(tap.port, {"x": [marker]}, ca_cert=pki.ca_cert) == {"y": [2 * marker]}
        tap.close()
        assert len(tap.captured) > 500  # the handshake and the records went through the tap...
        assert str(marker).encode() not in tap.captured  # ...but not the plaintext
        assert str(2 * marker).encode() not in tap.captured


def test_bounded_body_and_bad_requests(pki):
    with ModelServer(_echo, pki, max_body=64) as server:
        with pytest.raises(RuntimeError, match="413"):
            post_json(server.port, {"x": list(range(100))}, ca_cert=pki.ca_cert)
        with pytest.raises(RuntimeError, match="400"):
            post_json(server.port, {"no_x": 1}, ca_cert=pki.ca_cert)
        with pytest.raises(RuntimeError, match="404"):
            post_json(server.port, {"x": [1]}, ca_cert=pki.ca_cert, path="/admin")


def test_server_is_shut_down_after_the_block(pki):
    with ModelServer(_echo, pki) as server:
        port = server.port
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1.0):
        pass


def test_server_bad_arguments(pki):
    with pytest.raises(TypeError):
        ModelServer("not callable", pki)
    with pytest.raises(TypeError):
        ModelServer(_echo, pki="pem")
    with pytest.raises(ValueError):
        ModelServer(_echo, pki, max_body=0)
