"""Encryption of ML artefacts at rest (AES-GCM) and in transit (TLS on a loopback model server).

At rest — authenticated encryption
----------------------------------
A model file or a data set is sealed with AES-256 in Galois/Counter Mode (NIST SP 800-38D):

    token = MAGIC ‖ nonce (96 bits, fresh per message) ‖ AES-CTR_K(plaintext) ‖ tag (128 bits)

where the tag is a GHASH-based MAC over the *associated data* (here: the header and a label such
as the artefact's name) and the ciphertext. Guarantee (IND-CCA2 + INT-CTXT, McGrew & Viega 2004):
without the key an attacker learns nothing about the plaintext except its length, and any change
to the token or to the label is detected at decryption (forgery probability about ``ℓ / 2**128``
per try for a message of ℓ 128-bit blocks, McGrew & Viega 2004 — about ``2**-100`` for a 4 GiB
file). The one rule the caller must keep: never reuse a nonce with the same key (we draw 96
random bits per message, safe for up to ``2**32`` messages per key, SP 800-38D §8.3).

Key handling (what the notebook explains): the *data key* that encrypts an artefact is itself
encrypted (*wrapped*) by a *key-encryption key* (KEK) that lives in a KMS/HSM or is derived from a
passphrase with scrypt (RFC 7914). Only the wrapped key is stored next to the artefact; rotating
the KEK re-wraps 32 bytes instead of re-encrypting the artefacts (envelope encryption).

In transit — TLS
----------------
:class:`ModelServer` serves ``POST /predict`` on ``127.0.0.1`` only, over TLS 1.2+ with a server
certificate issued by a throw-away certificate authority created in code
(:func:`make_test_pki`). A client trusts exactly that CA (:func:`tls_client_context`); a client
that trusts another CA fails the handshake. :class:`RecordingProxy` plays the eavesdropper on the
wire between client and server, so the notebook can show what plain HTTP leaks and TLS hides.
Everything is bounded (request size, number of requests, socket timeouts) and always shut down
(context managers).
"""
from __future__ import annotations

import datetime as _dt
import http.client
import http.server
import ipaddress
import json
import os
import select
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_course._validation import check_int, check_positive

__all__ = [
    "MAGIC", "NONCE_BYTES", "IntegrityError", "generate_key", "encrypt_artifact", "decrypt_artifact",
    "encrypt_file", "decrypt_file", "SCRYPT_N", "derive_key", "wrap_key", "unwrap_key",
    "TestPKI", "make_test_pki", "tls_client_context", "tls_server_context",
    "ModelServer", "RecordingProxy", "post_json",
]

MAGIC = b"MLC1"
NONCE_BYTES = 12
TAG_BYTES = 16
_KEY_SIZES = (16, 24, 32)


class IntegrityError(ValueError):
    """A sealed artefact failed authentication: wrong key, wrong label, or modified bytes."""


def _check_bytes(name: str, value: Any, *, allow_empty: bool = True) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__}")
    out = bytes(value)
    if not allow_empty and not out:
        raise ValueError(f"{name} must not be empty")
    return out


def _check_key(key: Any, name: str = "key") -> bytes:
    key = _check_bytes(name, key)
    if len(key) not in _KEY_SIZES:
        raise ValueError(f"{name} must be 16, 24 or 32 bytes (AES-128/192/256), got {len(key)} bytes")
    return key


def _label(associated_data: Any) -> bytes:
    if isinstance(associated_data, str):
        return associated_data.encode("utf-8")
    return _check_bytes("associated_data", associated_data)


# --------------------------------------------------------------------------- at rest
def generate_key(bits: int = 256) -> bytes:
    """A fresh random AES key from the operating system's CSPRNG (``os.urandom``).

    Parameters
    ----------
    bits : {128, 192, 256}

    Returns
    -------
    bytes
        ``bits // 8`` random bytes.

    Raises
    ------
    ValueError
        If ``bits`` is not 128, 192 or 256.

    Examples
    --------
    >>> len(generate_key())
    32
    """
    bits = check_int("bits", bits)
    if bits not in (128, 192, 256):
        raise ValueError(f"bits must be 128, 192 or 256, got {bits}")
    return os.urandom(bits // 8)


def encrypt_artifact(plaintext: bytes, key: bytes, associated_data: bytes | str = b"") -> bytes:
    """Seal ``plaintext`` with AES-GCM: ``MAGIC ‖ nonce ‖ ciphertext ‖ tag``.

    The associated data (e.g. the artefact's name and version) is authenticated, not encrypted:
    decrypting under another label fails, so a valid token cannot be swapped for another file.

    Parameters
    ----------
    plaintext : bytes
        The artefact (model weights, a data set, ...).
    key : bytes
        16, 24 or 32 bytes (:func:`generate_key`).
    associated_data : bytes or str
        Label bound to the token (UTF-8 if a str).

    Returns
    -------
    bytes
        ``4 + 12 + len(plaintext) + 16`` bytes.

    Raises
    ------
    TypeError
        If ``plaintext`` or ``key`` is not bytes.
    ValueError
        If the key has the wrong length.

    Examples
    --------
    >>> key = generate_key()
    >>> decrypt_artifact(encrypt_artifact(b"weights", key, "model-v1"), key, "model-v1")
    b'weights'
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    plaintext = _check_bytes("plaintext", plaintext)
    key = _check_key(key)
    nonce = os.urandom(NONCE_BYTES)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, MAGIC + _label(associated_data))


def decrypt_artifact(token: bytes, key: bytes, associated_data: bytes | str = b"") -> bytes:
    """Open a token from :func:`encrypt_artifact`; raise :class:`IntegrityError` if it was altered.

    Parameters
    ----------
    token : bytes
        The sealed artefact.
    key : bytes
        The AES key (16, 24 or 32 bytes).
    associated_data : bytes or str, default b""
        The label given to :func:`encrypt_artifact`.

    Returns
    -------
    bytes
        The plaintext.

    Raises
    ------
    IntegrityError
        If the token is malformed, was modified, or the key or label differ (GCM tag mismatch).
    TypeError, ValueError
        For arguments of the wrong type or key length.
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    token = _check_bytes("token", token)
    key = _check_key(key)
    if len(token) < len(MAGIC) + NONCE_BYTES + TAG_BYTES or not token.startswith(MAGIC):
        raise IntegrityError("token is not an MLC1 AES-GCM artefact (bad header or too short)")
    nonce = token[len(MAGIC):len(MAGIC) + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, token[len(MAGIC) + NONCE_BYTES:], MAGIC + _label(associated_data))
    except InvalidTag as exc:
        raise IntegrityError("authentication failed: wrong key or label, or the artefact was modified") from exc


def encrypt_file(path: str | Path, key: bytes, out: str | Path | None = None) -> Path:
    """Encrypt a file to ``out`` (default ``path + '.enc'``), bound to the file's name.

    Parameters
    ----------
    path : str or pathlib.Path
        File to encrypt.
    key : bytes
        The AES key (16, 24 or 32 bytes).
    out : str, pathlib.Path or None, default None
        Output file (None: ``path`` + ``.enc``).

    Returns
    -------
    pathlib.Path
        The encrypted file.
    """
    path = Path(path)
    out = Path(out) if out is not None else path.with_name(path.name + ".enc")
    out.write_bytes(encrypt_artifact(path.read_bytes(), key, path.name))
    return out


def decrypt_file(path: str | Path, key: bytes, name: str | None = None) -> bytes:
    """Decrypt a file written by :func:`encrypt_file` (``name``: the original file name).

    Parameters
    ----------
    path : str or pathlib.Path
        The encrypted file.
    key : bytes
        The AES key.
    name : str or None, default None
        The original file name (None: ``path``'s name without ``.enc``).

    Returns
    -------
    bytes
        The plaintext.

    Raises
    ------
    IntegrityError
        If the file was modified, renamed to another artefact's name, or the key is wrong.
    """
    path = Path(path)
    if name is None:
        name = path.name[:-4] if path.name.endswith(".enc") else path.name
    return decrypt_artifact(path.read_bytes(), key, name)


#: scrypt cost for passphrase-derived keys: N = 2^17, r = 8, p = 1 (OWASP Password Storage Cheat
#: Sheet's minimum for scrypt; 128·r·N = 128 MiB of memory per guess, about 0.5-1 s on a laptop core).
SCRYPT_N = 2**17


def derive_key(passphrase: str, salt: bytes, *, n: int = SCRYPT_N, r: int = 8, p: int = 1) -> bytes:
    """A 256-bit key-encryption key from a passphrase with scrypt (RFC 7914).

    scrypt is memory-hard: each guess costs about ``128·r·n`` bytes of memory (128 MiB for the
    defaults N = 2^17, r = 8, p = 1, the OWASP minimum for scrypt), which makes brute-forcing a
    weak passphrase on GPUs expensive. A lower ``n`` is accepted for fast tests and demos only
    (the previous default 2^14 costs 8x less per guess). The salt (16 random bytes, stored in
    clear) makes equal passphrases give different keys.

    Parameters
    ----------
    passphrase : str
        Non-empty passphrase (UTF-8 encoded).
    salt : bytes
        At least 16 bytes.
    n, r, p : int
        scrypt cost (n a power of 2 > 1), block size and parallelism.

    Returns
    -------
    bytes
        A 32-byte key.

    Raises
    ------
    ValueError
        If the passphrase is empty, the salt shorter than 16 bytes or ``n`` not a power of 2 > 1.
    """
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if not isinstance(passphrase, str) or not passphrase:
        raise ValueError("passphrase must be a non-empty str")
    salt = _check_bytes("salt", salt)
    if len(salt) < 16:
        raise ValueError(f"salt must be at least 16 bytes, got {len(salt)}")
    n = check_int("n", n, minimum=2)
    if n & (n - 1):
        raise ValueError(f"n must be a power of 2, got {n}")
    return Scrypt(salt=salt, length=32, n=n, r=check_int("r", r, minimum=1),
                  p=check_int("p", p, minimum=1)).derive(passphrase.encode("utf-8"))


def wrap_key(data_key: bytes, kek: bytes, key_id: str = "kek-1") -> bytes:
    """Envelope encryption: seal a data key under a key-encryption key (AES-GCM, label = key id).

    Parameters
    ----------
    data_key : bytes
        The key to protect (16, 24 or 32 bytes).
    kek : bytes
        The key-encryption key (16, 24 or 32 bytes).
    key_id : str, default "kek-1"
        Identifier of the KEK, bound into the label.

    Returns
    -------
    bytes
        The wrapped key.

    Raises
    ------
    TypeError, ValueError
        If a key is not bytes of a valid AES length.
    """
    return encrypt_artifact(_check_key(data_key, "data_key"), _check_key(kek, "kek"), "wrapped-key:" + key_id)


def unwrap_key(wrapped: bytes, kek: bytes, key_id: str = "kek-1") -> bytes:
    """Inverse of :func:`wrap_key`; :class:`IntegrityError` for a wrong KEK or key id.

    Parameters
    ----------
    wrapped : bytes
        Output of :func:`wrap_key`.
    kek : bytes
        The key-encryption key.
    key_id : str, default "kek-1"
        The key id used when wrapping.

    Returns
    -------
    bytes
        The data key.

    Raises
    ------
    IntegrityError
        Wrong KEK or key id, or a modified token.
    """
    return decrypt_artifact(wrapped, kek, "wrapped-key:" + key_id)


# --------------------------------------------------------------------------- certificates
@dataclass(frozen=True)
class TestPKI:
    """A throw-away certificate authority and one server certificate (all PEM bytes).

    Parameters
    ----------
    ca_cert : bytes
        The CA certificate (PEM).
    server_cert : bytes
        The server certificate (PEM).
    server_key : bytes
        The server's private key (PEM).
    """

    __test__ = False  # not a pytest test class

    ca_cert: bytes
    server_cert: bytes
    server_key: bytes


def _name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_test_pki(common_name: str | None = None, days: int = 1) -> TestPKI:
    """Create a CA and a server certificate for ``localhost`` / ``127.0.0.1`` (ECDSA P-256).

    ``common_name`` names the CA (default: a random name, so two test CAs never look alike).

    The CA's private key is discarded after signing: nothing else can ever be issued by it.
    For a course demo only; real deployments get certificates from an internal CA or ACME.

    Parameters
    ----------
    common_name : str or None, default None
        Name of the CA (None: random).
    days : int, default 1
        Validity in days, in [1, 365].

    Returns
    -------
    TestPKI

    Raises
    ------
    ValueError, TypeError
        ``days`` outside [1, 365] or an empty ``common_name``.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    days = check_int("days", days, minimum=1, maximum=365)
    if common_name is None:
        common_name = f"mlops-course test CA {os.urandom(4).hex()}"
    elif not isinstance(common_name, str) or not common_name:
        raise ValueError(f"common_name must be a non-empty str, got {common_name!r}")
    now = _dt.datetime.now(_dt.UTC) - _dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + _dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False,
                                            encipher_only=False, decipher_only=False), critical=True)
               .sign(ca_key, hashes.SHA256()))
    server_key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                       x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    server_cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca_cert.subject)
                   .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + _dt.timedelta(days=days))
                   .add_extension(san, critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return TestPKI(
        ca_cert=ca_cert.public_bytes(pem),
        server_cert=server_cert.public_bytes(pem),
        server_key=server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()),
    )


def tls_server_context(pki: TestPKI) -> ssl.SSLContext:
    """Server-side TLS (1.2 or newer) presenting the PKI's server certificate."""
    import tempfile

    if not isinstance(pki, TestPKI):
        raise TypeError(f"pki must be a TestPKI, got {type(pki).__name__}")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory() as tmp:  # load_cert_chain reads files; the key never outlives the call
        cert, key = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert.write_bytes(pki.server_cert)
        key.write_bytes(pki.server_key)
        os.chmod(key, 0o600)
        ctx.load_cert_chain(cert, key)
    return ctx


def tls_client_context(ca_cert: bytes) -> ssl.SSLContext:
    """Client-side TLS that trusts exactly ``ca_cert`` and checks the host name."""
    ca_cert = _check_bytes("ca_cert", ca_cert, allow_empty=False)
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=ca_cert.decode("ascii"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


# --------------------------------------------------------------------------- loopback server
class _Handler(http.server.BaseHTTPRequestHandler):
    server: _BoundedHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default stderr log
        return None

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self.close_connection = True
        self.server.count += 1
        if self.path != "/predict":
            return self._reply(404, {"error": "unknown path"})
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return self._reply(400, {"error": "bad Content-Length"})
        if length <= 0 or length > self.server.max_body:
            return self._reply(413, {"error": f"body must be 1..{self.server.max_body} bytes"})
        try:
            payload = json.loads(self.rfile.read(length))
            result = self.server.predict(payload)
        except Exception as exc:  # noqa: BLE001 - a bad request must not kill the server
            return self._reply(400, {"error": f"{type(exc).__name__}: {exc}"})
        self._reply(200, result)


class _BoundedHTTPServer(http.server.HTTPServer):
    def __init__(self, predict: Callable[[Any], dict], max_body: int, timeout: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.predict = predict
        self.max_body = max_body
        self.timeout = timeout
        self.count = 0
        self.errors: list[str] = []

    def get_request(self):
        conn, addr = super().get_request()
        conn.settimeout(self.timeout)  # before the TLS handshake: a silent client cannot hang us
        if isinstance(conn, ssl.SSLSocket):
            try:
                conn.do_handshake()
            except OSError as exc:
                self.errors.append(type(exc).__name__)
                conn.close()
                raise
        return conn, addr

    def handle_error(self, request: Any, client_address: Any) -> None:  # no tracebacks on stderr
        import sys

        self.errors.append(type(sys.exc_info()[1]).__name__)


class ModelServer:
    """A model endpoint on ``127.0.0.1`` (random free port), over TLS or plain HTTP.

    ``POST /predict`` with a JSON body calls ``predict(payload) -> dict`` and returns the dict as
    JSON. Use it as a context manager: the server thread is always stopped and the socket closed.

    Parameters
    ----------
    predict : callable
        ``predict(payload) -> dict`` (JSON-serialisable).
    pki : TestPKI or None
        Serve TLS with this PKI's server certificate; ``None`` serves plain HTTP (to compare).
    max_body : int
        Largest accepted request body in bytes (larger: HTTP 413).
    timeout : float
        Socket timeout in seconds for each connection (a silent client cannot hang the server).

    Examples
    --------
    >>> pki = make_test_pki()
    >>> with ModelServer(lambda p: {"sum": sum(p["x"])}, pki) as server:
    ...     post_json(server.port, {"x": [1, 2]}, ca_cert=pki.ca_cert)
    {'sum': 3}
    """

    def __init__(self, predict: Callable[[Any], dict], pki: TestPKI | None = None, *,
                 max_body: int = 1 << 20, timeout: float = 5.0) -> None:
        if not callable(predict):
            raise TypeError(f"predict must be callable, got {type(predict).__name__}")
        if pki is not None and not isinstance(pki, TestPKI):
            raise TypeError(f"pki must be a TestPKI or None, got {type(pki).__name__}")
        self._server = _BoundedHTTPServer(predict, check_int("max_body", max_body, minimum=1),
                                          check_positive("timeout", timeout))
        if pki is not None:
            self._server.socket = tls_server_context(pki).wrap_socket(self._server.socket, server_side=True,
                                                                     do_handshake_on_connect=False)
        self.tls = pki is not None
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1."""
        return int(self._server.server_address[1])

    @property
    def requests_served(self) -> int:
        return self._server.count

    @property
    def failed_connections(self) -> int:
        """Connections that failed (e.g. a TLS handshake a client aborted)."""
        return len(self._server.errors)

    def close(self) -> None:
        """Stop the server thread and close the listening socket (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5.0)
        self._server.server_close()

    def __enter__(self) -> ModelServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def post_json(port: int, payload: Any, *, ca_cert: bytes | None = None, context: ssl.SSLContext | None = None,
              path: str = "/predict", timeout: float = 5.0) -> Any:
    """POST ``payload`` as JSON to ``127.0.0.1:port`` and return the decoded JSON reply.

    With ``ca_cert`` (or an explicit ``context``) the request goes over TLS and the server's
    certificate must chain to that CA and name ``127.0.0.1``; otherwise plain HTTP.

    Parameters
    ----------
    port : int
        Server port on 127.0.0.1, in [1, 65535].
    payload : object
        JSON-serialisable request body.
    ca_cert : bytes or None, default None
        CA certificate (PEM) to trust; switches to TLS.
    context : ssl.SSLContext or None, default None
        Explicit TLS client context (takes precedence over ``ca_cert``).
    path : str, default "/predict"
        Request path.
    timeout : float, default 5.0
        Socket timeout in seconds.

    Returns
    -------
    object
        The decoded JSON reply.

    Raises
    ------
    ssl.SSLCertVerificationError
        If the server's certificate is not issued by the trusted CA.
    RuntimeError
        If the server answers with an HTTP error status.
    """
    port = check_int("port", port, minimum=1, maximum=65535)
    if context is None and ca_cert is not None:
        context = tls_client_context(ca_cert)
    if context is not None:
        conn: http.client.HTTPConnection = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout,
                                                                       context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = json.dumps(payload).encode("utf-8")
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"server answered HTTP {response.status}: {data.get('error', data)}")
        return data
    finally:
        conn.close()


# --------------------------------------------------------------------------- the eavesdropper
class RecordingProxy:
    """A TCP relay on 127.0.0.1 that forwards to ``target_port`` and records every byte.

    It stands for anyone on the network path (a compromised switch, a sidecar, a cloud tap):
    :attr:`captured` holds what they see. Bounded: at most ``max_connections`` connections, each
    idle for at most ``timeout`` seconds; a context manager that always stops its thread.

    Parameters
    ----------
    target_port : int
        Port on 127.0.0.1 to forward to, in [1, 65535].
    max_connections : int, default 8
        Connections served before the relay stops accepting (>= 1).
    timeout : float, default 5.0
        Idle timeout of a connection in seconds (> 0).
    """

    def __init__(self, target_port: int, *, max_connections: int = 8, timeout: float = 5.0) -> None:
        self.target_port = check_int("target_port", target_port, minimum=1, maximum=65535)
        self.max_connections = check_int("max_connections", max_connections, minimum=1)
        self.timeout = check_positive("timeout", timeout)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def captured(self) -> bytes:
        """Every byte relayed so far, both directions, in order."""
        with self._lock:
            return b"".join(self._chunks)

    def _run(self) -> None:
        served = 0
        while not self._stop.is_set() and served < self.max_connections:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            served += 1
            try:
                with client, socket.create_connection(("127.0.0.1", self.target_port), timeout=self.timeout) as up:
                    self._relay(client, up)
            except OSError:
                continue

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        while not self._stop.is_set():
            ready, _, _ = select.select(list(peers), [], [], self.timeout)
            if not ready:
                return
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                with self._lock:
                    self._chunks.append(data)
                peers[sock].sendall(data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timeout + 1.0)
        self._listener.close()

    def __enter__(self) -> RecordingProxy:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
