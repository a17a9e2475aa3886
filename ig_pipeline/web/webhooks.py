"""story_insights webhook payloads → instagram_story_insights rows (pure; idempotent on media id).

Counts below 5 arrive as -1 ("withheld"), and are stored as -1, never as a count. Keys are read
loosely: the payload still uses legacy names (impressions, taps_*, exits) and may gain new ones.
"""

from __future__ import annotations

import math
from datetime import datetime

from ig_pipeline.warehouse.schema import STORY_WEBHOOK_COUNTS as COLUMNS

_BIGINT = 2**63 - 1


def _count(value) -> int | None:
    """An integer that fits a bigint column, or None (booleans, fractions, NaN, ∞ and junk are not counts)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return None
    elif not isinstance(value, int):
        return None
    return value if -_BIGINT <= value <= _BIGINT else None


def _media_id(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    media_id = str(value).replace("\x00", "").strip()
    return media_id if 0 < len(media_id) <= 100 else None


def story_insight_rows(entries: list, owners: dict[str, str], received_at: datetime) -> list[dict]:
    """Rows for accounts we know (others are ignored: not our tenant's data)."""
    rows: dict[str, dict] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        ig_user_id = str(entry.get("id", ""))
        if ig_user_id not in owners:
            continue
        changes = entry.get("changes")
        for change in changes if isinstance(changes, list) else []:
            if not isinstance(change, dict) or change.get("field") != "story_insights":
                continue
            value = change.get("value")
            media_id = _media_id(value.get("media_id")) if isinstance(value, dict) else None
            if media_id is None:
                continue
            row = {"media_id": media_id, "owner_id": owners[ig_user_id], "ig_user_id": ig_user_id,
                   "received_at": received_at, "payload": value}
            row.update({c: _count(value.get(c)) for c in COLUMNS})
            rows[row["media_id"]] = row
    return list(rows.values())
