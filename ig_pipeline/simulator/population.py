"""Who lives in the world: names and the per-account parameters (followers, growth, posting rates,
conversion day), each drawn from the seed and the account's index."""

from __future__ import annotations

import math
from datetime import date

from ig_pipeline.simulator.days import day_start
from ig_pipeline.simulator.draws import h64, unit
from ig_pipeline.simulator.entities import Account

CONTENT_EPOCH = date(2023, 6, 1).toordinal()  # content starts around here (or 800 days before start)

_FIRST = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jun", "Kira", "Luis", "Maya",
          "Noor", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq"]
_LAST = ["Alvarez", "Brown", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones", "Khan",
         "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Silva", "Tanaka", "Weber"]
_NOUNS = ["Acme", "Bluebird", "Cedar", "Dune", "Ember", "Fjord", "Grove", "Harbor", "Iris", "Juniper", "Kite",
          "Lumen", "Maple", "Nimbus", "Orchid", "Pebble", "Quartz", "Rook", "Sable", "Tide", "Umber", "Vale",
          "Willow", "Yarrow", "Zephyr"]


def person_name(seed: int, j: int) -> str:
    return f"{_FIRST[h64(seed, 'fn', j) % len(_FIRST)]} {_LAST[h64(seed, 'ln', j) % len(_LAST)]}"


def page_name(seed: int, k: int) -> str:
    return f"{_NOUNS[h64(seed, 'pg', k) % len(_NOUNS)]} Page {k + 1}"


def draw_account(seed: int, i: int, user_id: str, ref: int, media_per_account: int | None, *,
                 followers: int | None = None, account_type: str | None = None, media_total: int | None = None,
                 media_last_30_days: int | None = None) -> Account:
    """The ``i``-th account (its Page id is filled in when the world links it to a Page)."""
    ig_id = f"178414{seed % 1000:03d}{i + 1:08d}"
    word = _NOUNS[h64(seed, "un", i) % len(_NOUNS)].lower()
    small = (i % 10 == 7) if followers is None else followers < 100
    if followers is None:
        followers = int(40 + 55 * unit(seed, "sf", i)) if small else int(math.exp(5.5 + 6.5 * unit(seed, "f0", i)))
    growth = 0.0 if small else (0.0002 + 0.0015 * unit(seed, "g", i))
    content_start = min(CONTENT_EPOCH, ref - 800) - int(60 * unit(seed, "cs", i))
    if media_total is not None:
        recent = media_last_30_days or 0
        old_days = max(1, ref - 30 - content_start)
        rate_old, rate_recent = max(0, media_total - recent) / old_days, recent / 30
    else:
        if media_per_account is not None:
            rate = media_per_account / max(1, ref - content_start)
        else:
            rate = 0.15 + 1.2 * unit(seed, "rate", i) ** 2
        rate_old = rate_recent = rate
    return Account(
        index=i, id=ig_id, username=f"{word}.{i + 1}", name=f"{word.title()} {i + 1}",
        account_type=account_type or ("BUSINESS" if unit(seed, "at", i) < 0.6 else "MEDIA_CREATOR"),
        fb_user_id=user_id, page_id="", f0=float(followers), growth=growth, small=small, ref_day=ref,
        content_start=content_start,
        converted=day_start(content_start + 2 + int(10 * unit(seed, "conv", i))) + 3600 * 12,
        rate_old=rate_old, rate_recent=rate_recent, recent_from=ref - 30,
        stories_rate=0.2 + 1.5 * unit(seed, "sr", i), follows_count=int(50 + 900 * unit(seed, "fc", i)),
        website=f"https://{word}{i + 1}.example" if unit(seed, "web", i) < 0.7 else None)
