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
    for ig_user_id, value in _changes(entries, owners, "story_insights"):
        media_id = _media_id(value.get("media_id"))
        if media_id is None:
            continue
        row = {"media_id": media_id, "owner_id": owners[ig_user_id], "ig_user_id": ig_user_id,
               "received_at": received_at, "payload": value}
        row.update({c: _count(value.get(c)) for c in COLUMNS})
        rows[media_id] = row
    return list(rows.values())


def _changes(entries: list, owners: dict[str, str], field: str):
    """(ig_user_id, value) of every change of ``field`` for an account we know."""
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        ig_user_id = str(entry.get("id", ""))
        if ig_user_id not in owners:
            continue
        changes = entry.get("changes")
        for change in changes if isinstance(changes, list) else []:
            if isinstance(change, dict) and change.get("field") == field and isinstance(change.get("value"), dict):
                yield ig_user_id, change["value"]


def comment_rows(entries: list, owners: dict[str, str], received_at: datetime, keep_text: bool) -> list[dict]:
    """instagram_media_comment rows from ``comments`` webhooks (idempotent on comment id). The payload has
    no timestamp or like count: those columns are left to the API listing (a partial row blanks nothing)."""
    rows: dict[str, dict] = {}
    for ig_user_id, value in _changes(entries, owners, "comments"):
        media = value.get("media")
        comment_id, media_id = _media_id(value.get("id")), _media_id(media.get("id")) if isinstance(media, dict) else None
        if comment_id is None or media_id is None:
            continue
        author = value.get("from")
        username = author.get("username") if isinstance(author, dict) else None
        text = value.get("text") if keep_text and isinstance(value.get("text"), str) else None
        rows[comment_id] = {"comment_id": comment_id, "owner_id": owners[ig_user_id], "ig_user_id": ig_user_id,
                            "media_id": media_id, "parent_comment_id": _media_id(value.get("parent_id")),
                            "username": username if isinstance(username, str) else None, "text": text,
                            "source": "webhook", "last_seen_at": received_at}
    return list(rows.values())


def mention_rows(entries: list, owners: dict[str, str], received_at: datetime) -> list[dict]:
    """instagram_mention rows from ``mentions`` webhooks; ``comment_id`` is '' for a caption mention."""
    rows: dict[tuple, dict] = {}
    for ig_user_id, value in _changes(entries, owners, "mentions"):
        media_id = _media_id(value.get("media_id"))
        if media_id is None:
            continue
        comment_id = _media_id(value.get("comment_id")) or ""
        rows[(ig_user_id, media_id, comment_id)] = {
            "ig_user_id": ig_user_id, "media_id": media_id, "comment_id": comment_id,
            "owner_id": owners[ig_user_id], "received_at": received_at}
    return list(rows.values())
