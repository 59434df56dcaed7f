"""Who holds which key: a CKKS *data owner* and an untrusted *server*, talking in bytes.

Threat model (honest-but-curious server). The **data owner** creates the context, keeps the
secret key, and sends the server the *public* context (public key, relinearisation and Galois
keys: enough to compute, not to decrypt) and ciphertexts. The **server** computes on them and
returns ciphertexts; it never holds the secret key (:class:`Server` refuses a private context).
Only the data owner decrypts, and it should share *decrypted* CKKS results carefully: an
approximate decryption ``m + e`` together with the ciphertext reveals the noise ``e`` and hence a
linear equation ``c₀ + c₁·s = m + e`` in the secret key; with the ciphertext and its exact
decryption a *single* pair typically suffices to solve for ``s`` (Li & Micciancio 2021). The
defence is noise flooding: add fresh noise of sufficient magnitude (statistically hiding ``e``)
before releasing a decryption to anyone who saw the ciphertexts — OpenFHE's default
``FIXED_NOISE_DECRYPT`` adds a fixed amount, full flooding is its ``NOISE_FLOODING_DECRYPT`` mode.
Rounding the decryption alone is only a heuristic, not a proof of security.

Confidentiality only: the server can return a wrong result (integrity needs other tools, e.g.
verifiable computation or redundancy; see :mod:`.integrity`).

References
----------
B. Li, D. Micciancio, "On the security of homomorphic encryption on approximate numbers",
EUROCRYPT 2021. OpenFHE documentation, "CKKS noise flooding" (``EXEC_NOISE_ESTIMATION`` /
``NOISE_FLOODING_DECRYPT`` vs the default ``FIXED_NOISE_DECRYPT``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tenseal as ts

from mlops_course._validation import check_finite_array

__all__ = ["DataOwner", "Server"]


class DataOwner:
    """Holds the secret CKKS context; encrypts, publishes the public context, decrypts.

    Parameters
    ----------
    context : tenseal.Context
        A private CKKS context (e.g. from :func:`mlops_course.privacy.he.params.ckks_context`).
    """

    def __init__(self, context: ts.Context) -> None:
        if not isinstance(context, ts.Context):
            raise TypeError(f"context must be a tenseal.Context, got {type(context).__name__}")
        if not context.is_private():
            raise ValueError("context must hold the secret key: the data owner is the one who can decrypt")
        self.context = context

    def public_context(self) -> bytes:
        """Serialized context *without* the secret key (public, relin and Galois keys)."""
        return self.context.serialize(save_secret_key=False)

    def encrypt(self, values: Any) -> bytes:
        """Encrypt a 1-D vector and serialize it (what is uploaded)."""
        arr = check_finite_array("values", values, ndim=1)
        return ts.ckks_vector(self.context, arr.tolist()).serialize()

    def encrypt_columns(self, X: Any) -> list[bytes]:
        """Encrypt a matrix column by column (see :func:`mlops_course.privacy.he.ckks.encrypt_columns`)."""
        arr = check_finite_array("X", X, ndim=2)
        return [self.encrypt(arr[:, j]) for j in range(arr.shape[1])]

    def decrypt(self, payload: bytes) -> np.ndarray:
        """Load a serialized CKKS vector under the secret context and decrypt it."""
        if not isinstance(payload, (bytes, bytearray)):
            raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
        return np.array(ts.ckks_vector_from(self.context, bytes(payload)).decrypt(), dtype=float)


class Server:
    """Computes on ciphertexts with a public context only.

    Parameters
    ----------
    public_context : bytes
        From :meth:`DataOwner.public_context`.

    Raises
    ------
    ValueError
        If the serialized context contains a secret key.
    """

    def __init__(self, public_context: bytes) -> None:
        if not isinstance(public_context, (bytes, bytearray)):
            raise TypeError(f"public_context must be bytes, got {type(public_context).__name__}")
        self.context = ts.context_from(bytes(public_context))
        if self.context.is_private():
            raise ValueError("the server must not receive the secret key: serialize with save_secret_key=False")

    @property
    def can_decrypt(self) -> bool:
        """Whether this server could decrypt (always False by construction)."""
        return self.context.is_private()

    def load(self, payload: bytes) -> ts.CKKSVector:
        """Deserialize a ciphertext under the public context."""
        if not isinstance(payload, (bytes, bytearray)):
            raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
        return ts.ckks_vector_from(self.context, bytes(payload))

    def compute(self, func: Callable[..., ts.CKKSVector], *payloads: bytes, **kwargs: Any) -> bytes:
        """Apply ``func(*ciphertexts, **kwargs)`` and serialize the encrypted result."""
        return func(*[self.load(p) for p in payloads], **kwargs).serialize()

    def compute_columns(self, func: Callable[..., ts.CKKSVector], payloads: Sequence[bytes], **kwargs: Any) -> bytes:
        """Like :meth:`compute` for functions taking a list of ciphertexts (e.g. encrypted columns)."""
        return func([self.load(p) for p in payloads], **kwargs).serialize()
