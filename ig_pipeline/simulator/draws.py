"""Deterministic draws: every value in the world is a hash of (seed, ids, day), not stored state."""

from __future__ import annotations

import functools
import hashlib
import math


@functools.lru_cache(maxsize=1 << 16, typed=True)  # typed: 1 and 1.0 hash apart (str differs)
def h64(*parts) -> int:
    """A pure function of its arguments, so remembering recent answers changes nothing served: a
    daily sync draws each post's constants (reach share, like rate, ...) for its listing, its
    insights and its count window within seconds (hashing was ~16 % of the simulator's CPU)."""
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
