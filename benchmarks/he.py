"""Mean of 10,000 values under encryption: numpy, naive phe loop, batched Paillier, CKKS.

Run from the repository root::

    python benchmarks/he.py              # 10,000 values, 2048-bit Paillier key (~1.5 min: the naive loop)
    python benchmarks/he.py --n 2000     # quicker

Every row computes the mean of the same ``n`` values (uniform in [-100, 100], seed 0). Time covers
what the data owner and the server do: encrypt, aggregate, decrypt (key/context generation is
excluded and reported separately). "Bytes up" is what the data owner uploads (ciphertexts; for
CKKS also the public context with Galois keys it must send once). Ratios are against the naive
phe loop. The batched and naive Paillier rows use the same fixed-point precision (16^-6) and must
decrypt to the *same* float.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import time

import numpy as np
import phe
import tenseal as ts

from mlops_course.privacy.he.batched_paillier import BatchedPaillier
from mlops_course.privacy.he.paillier import ciphertext_bytes, encrypt_vector, encrypted_sum, generate_keypair
from mlops_course.privacy.he.params import ckks_context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--key-bits", type=int, default=2048)
    args = parser.parse_args(argv)
    x = np.random.default_rng(0).uniform(-100.0, 100.0, size=args.n)
    truth = float(np.mean(x))
    rows = []

    t = time.perf_counter()
    mean_np = float(np.mean(x))
    rows.append(("numpy (plaintext)", time.perf_counter() - t, abs(mean_np - truth), x.nbytes))

    t = time.perf_counter()
    pub, priv = generate_keypair(args.key_bits)
    keygen = time.perf_counter() - t

    t = time.perf_counter()
    enc = encrypt_vector(pub, x, precision=16**-6)
    naive_mean = priv.decrypt(encrypted_sum(enc)) / args.n
    naive_time = time.perf_counter() - t
    rows.append((f"phe, one ciphertext per value ({args.key_bits}-bit)", naive_time, abs(naive_mean - truth),
                 ciphertext_bytes(pub, args.n)))

    t = time.perf_counter()
    bp = BatchedPaillier(pub, exponent=-6, bound=100.0, max_terms=4096)
    packed = bp.encrypt(x)
    batched_mean = bp.mean(priv, packed, args.n)
    batched_time = time.perf_counter() - t
    rows.append((f"batched Paillier ({bp.slots} slots x {bp.slot_bits} bits)", batched_time,
                 abs(batched_mean - truth), packed.nbytes))

    t = time.perf_counter()
    ctx = ckks_context(8192, [60, 40, 40, 60], 40)
    ctx_time = time.perf_counter() - t
    public_bytes = len(ctx.serialize(save_secret_key=False))
    t = time.perf_counter()
    chunks = [ts.ckks_vector(ctx, x[i:i + 4096].tolist()) for i in range(0, args.n, 4096)]
    total = chunks[0].sum()  # rotations (Galois keys) fold each chunk into one slot
    for c in chunks[1:]:
        total = total + c.sum()
    ckks_mean = (total * (1.0 / args.n)).decrypt()[0]
    ckks_time = time.perf_counter() - t
    upload = sum(len(c.serialize()) for c in chunks)
    rows.append(("CKKS (N=8192, scale 2^40), ciphertexts only", ckks_time, abs(ckks_mean - truth), upload))
    rows.append(("CKKS incl. public context (Galois keys)", ckks_time, abs(ckks_mean - truth),
                 upload + public_bytes))

    print(f"# mean of {args.n} values; {_dt.date.today()}; {platform.machine()} {os.cpu_count()} cores; "
          f"Python {sys.version.split()[0]}; phe {phe.__version__ if hasattr(phe, '__version__') else '1.5'}; "
          f"tenseal {ts.__version__}")
    print(f"# key generation {keygen:.2f} s; CKKS context + Galois keys {ctx_time:.2f} s (excluded)")
    print(f"# batched mean == naive phe mean: {batched_mean == naive_mean}")
    print()
    print("| method | time (s) | abs. error | bytes up | speed-up vs naive phe |")
    print("|---|---:|---:|---:|---:|")
    for name, sec, err, nbytes in rows:
        print(f"| {name} | {sec:.4g} | {err:.2e} | {nbytes:,} | {naive_time / sec:,.0f}x |")
    return 0 if batched_mean == naive_mean else 1


if __name__ == "__main__":
    sys.exit(main())
