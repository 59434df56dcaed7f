"""Secure aggregation by pairwise masking (Bonawitz et al. 2017), in numpy, with dropped clients.

The server must learn Σᵢ xᵢ but no single xᵢ. Every pair of clients u < v agrees on a seed
s_uv (X25519 Diffie–Hellman: the server relays public keys but cannot compute the secret) and
expands it with a PRG into a mask over the integers mod 2^32. Client u sends

    y_u = x_u + PRG(b_u) + Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv)   (mod 2^32),

where b_u is a private *self-mask* seed. Summing over all clients the pairwise masks cancel
(each appears once with + and once with −); the server removes the self masks after the
survivors reveal shares of the b_u. Each y_u alone is uniformly distributed whatever x_u is:
a one-time pad.

**Dropped clients.** If client d sent nothing, the survivors' pairwise masks with d do not
cancel. Every client has Shamir-shared (t-of-n) its mask private key and b_u at the start, so
t survivors give the server the shares of d's *mask key* (to recompute and remove s_dv) and of
each survivor's *self seed* — never both for the same client, so a late y_d stays protected.

Real values are fixed-point encoded (:func:`quantize`) so sums are exact modulo 2^32.
Simplifications: one honest-but-curious server, no signatures or consistency round, and numpy's
PCG64 as PRG (deterministic and fast, but *not* cryptographically secure: a deployment uses
AES-CTR or ChaCha20). Flower ships the full protocol as SecAgg+ (``flwr.client.mod.secaggplus_mod``).

References
----------
K. Bonawitz et al., "Practical Secure Aggregation for Privacy-Preserving Machine Learning",
ACM CCS 2017. A. Shamir, "How to Share a Secret", CACM 1979.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_course._validation import check_finite_array, check_int, check_positive, check_rng

__all__ = ["MODULUS", "PRIME", "prg", "pairwise_masks", "quantize", "dequantize", "shamir_share",
           "shamir_reconstruct", "SecAggClient", "SecureAggregation", "secure_sum"]

MODULUS = 2**32  # arithmetic of masked values
PRIME = 2**521 - 1  # field of the Shamir shares (a Mersenne prime larger than any 256-bit secret)


def prg(seed: int, dim: int) -> np.ndarray:
    """Expand an integer seed into ``dim`` integers uniform in [0, 2^32): ``default_rng(seed).integers``.

    Parameters
    ----------
    seed : int
        The seed (a shared secret or a self-mask seed).
    dim : int
        Length of the output.

    Returns
    -------
    numpy.ndarray of uint64, shape (dim,)
        Pseudo-random integers in ``[0, 2^32)``.
    """
    return np.random.default_rng(int(seed)).integers(0, MODULUS, size=dim, dtype=np.uint64)


def pairwise_masks(seeds: Any, dim: int) -> np.ndarray:
    """Masks m_u = Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv) mod 2^32 for a symmetric seed matrix.

    Parameters
    ----------
    seeds : array_like of int, shape (n, n)
        Symmetric pairwise seeds s_uv = s_vu (the diagonal is ignored).
    dim : int
        Length of each mask.

    Returns
    -------
    numpy.ndarray of uint64, shape (n, dim)
        Row u is client u's mask; the rows sum to 0 modulo 2^32.

    Raises
    ------
    ValueError
        If ``seeds`` is not a square symmetric matrix of non-negative integers.

    Examples
    --------
    >>> seeds = np.array([[0, 11, 12], [11, 0, 13], [12, 13, 0]])
    >>> int((pairwise_masks(seeds, 4).sum(axis=0) % 2**32).max())
    0
    """
    s = np.asarray(seeds)
    if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape[0] == 0:
        raise ValueError(f"seeds must be a square (n, n) matrix with n >= 1, got shape {s.shape}")
    if s.dtype.kind not in "iu" or np.any(s < 0) or not np.array_equal(s, s.T):
        raise ValueError("seeds must be a symmetric matrix of non-negative integers")
    dim = check_int("dim", dim, minimum=1)
    n = s.shape[0]
    masks = np.zeros((n, dim), dtype=np.uint64)
    for u in range(n):
        for v in range(u + 1, n):
            r = prg(int(s[u, v]), dim)
            masks[u] = (masks[u] + r) % MODULUS
            masks[v] = (masks[v] + MODULUS - r) % MODULUS
    return masks


def quantize(x: Any, clip: float, bits: int = 16) -> np.ndarray:
    """Fixed-point encoding of values in [−c, c] as integers in [0, 2^bits − 1] (after clipping).

    Parameters
    ----------
    x : array_like
        Finite real values.
    clip : float
        Bound ``c`` (> 0); values are clipped to ``[−c, c]``.
    bits : int, default 16
        Bits per value, in [1, 24].

    Returns
    -------
    numpy.ndarray of uint64
        ``round((clip(x) + c) / (2c) · (2^bits − 1))``, same shape as ``x``.

    Raises
    ------
    ValueError, TypeError
        Empty or non-finite ``x``, ``clip <= 0`` or ``bits`` outside [1, 24].
    """
    x = check_finite_array("x", x)
    clip = check_positive("clip", clip)
    bits = check_int("bits", bits, minimum=1, maximum=24)
    levels = 2**bits - 1
    return np.round((np.clip(x, -clip, clip) + clip) / (2 * clip) * levels).astype(np.uint64)


def dequantize(total: Any, n_clients: int, clip: float, bits: int = 16) -> np.ndarray:
    """Decode the sum of ``n_clients`` quantized vectors back to the sum of reals (error <= n·c/(2^bits−1)).

    No validation: the arguments must be those used with :func:`quantize`.

    Parameters
    ----------
    total : array_like
        Sum (not reduced modulo ``2^32``) of ``n_clients`` quantized vectors.
    n_clients : int
        Number of vectors summed.
    clip : float
        The bound ``c`` used by :func:`quantize`.
    bits : int, default 16
        The bits used by :func:`quantize`.

    Returns
    -------
    numpy.ndarray of float
        ``total / (2^bits − 1) · 2c − n_clients · c``.
    """
    levels = 2**bits - 1
    return np.asarray(total, dtype=float) / levels * (2 * clip) - n_clients * clip


def shamir_share(secret: int, n: int, threshold: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Split ``secret`` into n shares (x, f(x)) of a random degree-(t−1) polynomial over GF(2^521 − 1).

    Parameters
    ----------
    secret : int
        Value in ``[0, 2^521 − 1)``.
    n : int
        Number of shares (>= 1).
    threshold : int
        Shares ``t`` needed to reconstruct, in [1, n].
    rng : numpy.random.Generator or int
        Source of the polynomial's random coefficients.

    Returns
    -------
    list of (int, int)
        The shares ``(x, f(x))`` for ``x = 1..n``.

    Raises
    ------
    ValueError, TypeError
        ``n < 1``, ``threshold`` outside [1, n], ``secret`` out of range or a bad ``rng``.
    """
    n = check_int("n", n, minimum=1)
    t = check_int("threshold", threshold, minimum=1, maximum=n)
    rng = check_rng(rng)
    if not 0 <= secret < PRIME:
        raise ValueError("secret must be in [0, 2^521 - 1)")
    coeffs = [int(secret)] + [int.from_bytes(rng.bytes(66), "big") % PRIME for _ in range(t - 1)]
    return [(x, sum(c * pow(x, k, PRIME) for k, c in enumerate(coeffs)) % PRIME) for x in range(1, n + 1)]


def shamir_reconstruct(shares: Sequence[tuple[int, int]]) -> int:
    """Lagrange interpolation at 0 of the given shares (needs at least ``threshold`` of them)."""
    if not shares:
        raise ValueError("shares must not be empty")
    secret = 0
    for j, (xj, yj) in enumerate(shares):
        num, den = 1, 1
        for m, (xm, _) in enumerate(shares):
            if m != j:
                num = num * (-xm) % PRIME
                den = den * (xj - xm) % PRIME
        secret = (secret + yj * num * pow(den, -1, PRIME)) % PRIME
    return secret


def _agree(private: Any, public: bytes) -> int:
    """Seed s_uv from X25519(sk_u, pk_v), hashed to 128 bits (both sides get the same value)."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    secret = private.exchange(X25519PublicKey.from_public_bytes(public))
    return int.from_bytes(hashlib.sha256(b"mlops-course-secagg" + secret).digest()[:16], "big")


@dataclass
class SecAggClient:
    """One client's secrets: its X25519 mask key, its self-mask seed and the shares it holds.

    Parameters
    ----------
    index : int
        The client's index.
    mask_key : cryptography X25519PrivateKey
        Key agreed with every other client to derive the pairwise masks ``s_uv``.
    self_seed : int
        Seed ``b_u`` of the client's self-mask.
    held_shares : dict, default {}
        Shares of other clients' secrets held by this client, keyed by (secret kind, owner index).
    """

    index: int
    mask_key: Any
    self_seed: int
    held_shares: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)

    @property
    def public_key(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return self.mask_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def mask(self, x: np.ndarray, public_keys: Mapping[int, bytes]) -> np.ndarray:
        """y_u = x_u + PRG(b_u) + Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv)  (mod 2^32)."""
        y = (np.asarray(x, dtype=np.uint64) + prg(self.self_seed, x.size)) % MODULUS
        for v, pk in public_keys.items():
            if v == self.index:
                continue
            r = prg(_agree(self.mask_key, pk), x.size)
            y = (y + r) % MODULUS if v > self.index else (y + MODULUS - r) % MODULUS
        return y


class SecureAggregation:
    """One round of pairwise-masked secure aggregation among ``n_clients`` clients.

    Parameters
    ----------
    n_clients : int
        n >= 2.
    threshold : int
        t: shares needed to reconstruct a secret; the round succeeds with >= t survivors.
    rng : numpy.random.Generator
        Source of the clients' keys and seeds (for reproducible demos).

    Attributes
    ----------
    clients : list of SecAggClient
        The clients' private state (the server never reads it).
    public_keys : dict
        What the server relays: client index -> X25519 public key.
    """

    def __init__(self, n_clients: int, threshold: int, rng: np.random.Generator) -> None:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        n = check_int("n_clients", n_clients, minimum=2)
        self.threshold = check_int("threshold", threshold, minimum=1, maximum=n)
        rng = check_rng(rng)
        self.clients = [SecAggClient(u, X25519PrivateKey.from_private_bytes(rng.bytes(32)),
                                     int.from_bytes(rng.bytes(16), "big")) for u in range(n)]
        self.public_keys = {c.index: c.public_key for c in self.clients}
        for c in self.clients:  # round 1: every client Shamir-shares its two secrets with all others
            key_int = int.from_bytes(c.mask_key.private_bytes_raw(), "big")
            for kind, secret in (("key", key_int), ("seed", c.self_seed)):
                for holder, share in zip(self.clients, shamir_share(secret, n, self.threshold, rng), strict=True):
                    holder.held_shares[(kind, c.index)] = share

    def masked_input(self, client: int, x: np.ndarray) -> np.ndarray:
        """What client ``client`` sends for its integer vector x (entries in [0, 2^32))."""
        return self.clients[client].mask(np.asarray(x, dtype=np.uint64), self.public_keys)

    def unmask(self, received: Mapping[int, np.ndarray]) -> np.ndarray:
        """The server's step: from the survivors' masked inputs, return Σ_{survivors} x_u mod 2^32.

        Raises
        ------
        ValueError
            If fewer than ``threshold`` clients survived, or the inputs differ in length.
        """
        survivors = sorted(received)
        if len(survivors) < self.threshold:
            raise ValueError(f"only {len(survivors)} clients survived, below the threshold {self.threshold}")
        dims = {np.asarray(received[u]).shape for u in survivors}
        if len(dims) != 1:
            raise ValueError(f"masked inputs must have the same shape, got {sorted(dims)}")
        dim = int(np.asarray(received[survivors[0]]).size)
        total = np.zeros(dim, dtype=np.uint64)
        for u in survivors:
            total = (total + np.asarray(received[u], dtype=np.uint64)) % MODULUS
        helpers = [self.clients[u] for u in survivors[: self.threshold]]
        for u in survivors:  # remove self masks: survivors reveal shares of b_u
            b_u = shamir_reconstruct([h.held_shares[("seed", u)] for h in helpers])
            total = (total + MODULUS - prg(b_u, dim)) % MODULUS
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        for d in sorted(set(self.public_keys) - set(survivors)):  # dropped: rebuild d's mask key
            key = shamir_reconstruct([h.held_shares[("key", d)] for h in helpers])
            sk_d = X25519PrivateKey.from_private_bytes(key.to_bytes(32, "big"))
            for u in survivors:  # u added +PRG(s_ud) if d > u, else −PRG(s_ud): undo it
                r = prg(_agree(sk_d, self.public_keys[u]), dim)
                total = (total + MODULUS - r) % MODULUS if d > u else (total + r) % MODULUS
        return total


def secure_sum(updates: Any, clip: float, rng: np.random.Generator, *, dropped: Sequence[int] = (),
               threshold: int | None = None, bits: int = 16) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Sum real-valued client updates through :class:`SecureAggregation`.

    Returns ``(sum over surviving clients, masked inputs the server saw)``; the sum equals the
    plain sum of the quantized survivors' updates, within n·c/(2^bits − 1) of the real sum.

    The sum is computed modulo 2^32, so it is exact only if it cannot wrap: the largest
    possible total n·(2^bits − 1) must be < 2^32. A setting that could wrap is refused
    (lower ``bits`` or aggregate fewer clients per round) instead of returning a wrong sum.

    Parameters
    ----------
    updates : array_like, shape (n, d)
        One real-valued update per client.
    clip : float
        c > 0: each coordinate is clipped to [−c, c] before quantization.
    rng : numpy.random.Generator
        Source of the protocol's keys and seeds.
    dropped : sequence of int, optional
        Distinct client indices in [0, n) that send nothing this round.
    threshold : int, optional
        Shamir threshold t (default ⌊n/2⌋ + 1).
    bits : int, optional
        Quantization bits per coordinate, 1..24.

    Returns
    -------
    tuple of (numpy.ndarray, dict)
        The dequantized sum over the survivors and the masked inputs the server received.

    Raises
    ------
    ValueError
        If n·(2^bits − 1) >= 2^32 (the modular sum could wrap), if ``dropped`` holds an index
        outside [0, n) or a repeated index, or if fewer than ``threshold`` clients survive.
    TypeError
        If a ``dropped`` entry is not an integer.

    Examples
    --------
    >>> total, _ = secure_sum(np.ones((5, 2)), 1.0, np.random.default_rng(0), dropped=[4])
    >>> np.round(total, 6).tolist()
    [4.0, 4.0]
    """
    arr = check_finite_array("updates", updates, ndim=2)
    n = arr.shape[0]
    bits = check_int("bits", bits, minimum=1, maximum=24)
    levels = 2**bits - 1
    if n * levels >= MODULUS:
        raise ValueError(f"updates has n={n} clients and bits={bits}: the sum can reach n*(2^bits - 1) = "
                         f"{n * levels} >= 2^32 and would wrap modulo 2^32; use bits <= "
                         f"{int(np.floor(np.log2((MODULUS - 1) // n + 1)))} or fewer clients")
    drop_list = [check_int("dropped", d) for d in dropped]
    bad = [d for d in drop_list if not 0 <= d < n]
    if bad:
        raise ValueError(f"dropped must hold client indices in [0, {n}), got {bad}")
    if len(set(drop_list)) != len(drop_list):
        raise ValueError(f"dropped must not repeat an index, got {drop_list}")
    t = threshold if threshold is not None else n // 2 + 1
    protocol = SecureAggregation(n, t, rng)
    drop = set(drop_list)
    received = {u: protocol.masked_input(u, quantize(arr[u], clip, bits)) for u in range(n) if u not in drop}
    total = protocol.unmask(received)
    return dequantize(total, len(received), clip, bits), received
