"""story_insights webhook payloads → instagram_story_insights rows (pure; idempotent on media id).

Counts below 5 arrive as -1 ("withheld"), and are stored as -1, never as a count. Keys are read
loosely: the payload still uses legacy names (impressions, taps_*, exits) and may gain new ones.
"""

from __future__ import annotations

from datetime import datetime

COLUMNS = ("impressions", "reach", "views", "taps_forward", "taps_back", "exits", "replies", "navigation")


def _count(value) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def story_insight_rows(entries: list, owners: dict[str, str], received_at: datetime) -> list[dict]:
    """Rows for accounts we know (others are ignored: not our tenant's data)."""
    rows: dict[str, dict] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        ig_user_id = str(entry.get("id", ""))
        if ig_user_id not in owners:
            continue
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or change.get("field") != "story_insights":
                continue
            value = change.get("value")
            if not isinstance(value, dict) or not value.get("media_id"):
                continue
            row = {"media_id": str(value["media_id"]), "owner_id": owners[ig_user_id], "ig_user_id": ig_user_id,
                   "received_at": received_at, "payload": value}
            row.update({c: _count(value.get(c)) for c in COLUMNS})
            rows[row["media_id"]] = row
    return list(rows.values())
