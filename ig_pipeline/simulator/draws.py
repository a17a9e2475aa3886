"""Deterministic draws: every value in the world is a hash of (seed, ids, day), not stored state."""

from __future__ import annotations

import hashlib
import math


def h64(*parts) -> int:
    return int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


def unit(*parts) -> float:
    return h64(*parts) / 18446744073709551616.0


def split(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of an integer by weights (sums exactly to total)."""
    s = sum(weights) or 1.0
    raw = [total * w / s for w in weights]
    out = [int(math.floor(r)) for r in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[:rest]:
        out[i] += 1
    return out


def poisson(lam: float, u: float) -> int:
    p = math.exp(-lam)
    c, k = p, 0
    while u > c and k < 9:
        k += 1
        p *= lam / k
        c += p
    return k
