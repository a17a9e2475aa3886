"""Which accounts a run covers: all active connections, or the subset its config or tags name.

Accounts are not a partition dimension (accounts × days would exceed what Dagster handles
well); instead a run covers every active connection, optionally narrowed by run config
(``ig_user_ids`` / ``owner_ids``) or by run tags set by schedules and sensors:
``ig/accounts`` (comma-separated IG user ids) and ``ig/batch`` ("i/n": the i-th of n stable
batches, so a run launcher can spread one daily sync over machines).
"""

from __future__ import annotations

import zlib

import dagster as dg

ACCOUNTS_TAG = "ig/accounts"
BATCH_TAG = "ig/batch"


class AccountSelection(dg.Config):
    ig_user_ids: list[str] = []
    owner_ids: list[str] = []


def batch_of(ig_user_id: str, count: int) -> int:
    """Stable batch number of an account (same account, same batch, on every machine)."""
    return zlib.crc32(ig_user_id.encode()) % count


def batch_tags(count: int) -> list[dict[str, str]]:
    """Run tags of ``count`` account batches ({} when there is a single batch)."""
    return [{BATCH_TAG: f"{i}/{count}"} if count > 1 else {} for i in range(count)]


def parse_batch(tag: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in tag.split("/"))
    except ValueError:
        raise ValueError(f"run tag {BATCH_TAG}={tag!r} must look like '2/8' (batch 2 of 8)") from None
    if not 0 <= index < count:
        raise ValueError(f"run tag {BATCH_TAG}={tag!r}: batch index must be in 0..{count - 1}")
    return index, count


def selected(accounts: list, config: AccountSelection, tags: dict[str, str]) -> list:
    """Filter AccountRefs by config and run tags."""
    wanted = set(config.ig_user_ids)
    if tags.get(ACCOUNTS_TAG):
        wanted |= {a.strip() for a in tags[ACCOUNTS_TAG].split(",") if a.strip()}
    chosen = [a for a in accounts if (not wanted or a.ig_user_id in wanted)
              and (not config.owner_ids or a.owner_id in config.owner_ids)]
    if tags.get(BATCH_TAG):
        index, count = parse_batch(tags[BATCH_TAG])
        chosen = [a for a in chosen if batch_of(a.ig_user_id, count) == index]
    return chosen
