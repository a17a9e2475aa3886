"""Pure transforms: Business Discovery and hashtag-media answers into warehouse rows (no I/O).

Absent values stay NULL: a like count a competitor hides is absent from the answer and is stored as
NULL, never 0 (Meta: "like_count … omitted if the owner has hidden like counts").
"""

from __future__ import annotations

from datetime import date, datetime

from ig_pipeline.days import pacific_day
from ig_pipeline.graph.transforms import number, parse_time


def _text(value) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def competitor_daily_row(owner_id: str, ig_user_id: str, username: str, profile: dict, day: date,
                         captured_at: datetime) -> dict:
    return {"owner_id": owner_id, "username": username, "day": day, "ig_user_id": ig_user_id,
            "competitor_ig_id": _text(str(profile["id"])) if profile.get("id") is not None else None,
            "name": _text(profile.get("name")), "biography": _text(profile.get("biography")),
            "website": _text(profile.get("website")), "profile_picture_url": _text(profile.get("profile_picture_url")),
            "followers_count": number(profile.get("followers_count")),
            "follows_count": number(profile.get("follows_count")),
            "media_count": number(profile.get("media_count")), "captured_at": captured_at}


def competitor_media_rows(owner_id: str, username: str, profile: dict, day: date, captured_at: datetime) -> list[dict]:
    rows = []
    for item in (profile.get("media") or {}).get("data") or []:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        posted_at = parse_time(item.get("timestamp"))
        rows.append({"owner_id": owner_id, "media_id": str(item["id"]), "day": day, "username": username,
                     "media_type": _text(item.get("media_type")),
                     "media_product_type": _text(item.get("media_product_type")),
                     "caption": _text(item.get("caption")), "permalink": _text(item.get("permalink")),
                     "posted_at": posted_at, "posted_day": pacific_day(posted_at) if posted_at else None,
                     "like_count": number(item.get("like_count")),
                     "comments_count": number(item.get("comments_count")), "captured_at": captured_at})
    return rows


def hashtag_media_rows(owner_id: str, ig_user_id: str, hashtag: str, hashtag_id: str, kind: str, items: list[dict],
                       own_media_ids: set[str], day: date, captured_at: datetime) -> list[dict]:
    """One row per listed media with its 1-based rank; a media listed twice keeps its first rank."""
    rows: dict[str, dict] = {}
    for rank, item in enumerate((i for i in items if isinstance(i, dict) and i.get("id")), start=1):
        media_id = str(item["id"])
        if media_id in rows:
            continue
        rows[media_id] = {
            "owner_id": owner_id, "hashtag": hashtag, "day": day, "list_kind": kind, "media_id": media_id,
            "ig_user_id": ig_user_id, "hashtag_id": hashtag_id, "rank": rank,
            "media_type": _text(item.get("media_type")), "media_product_type": _text(item.get("media_product_type")),
            "caption": _text(item.get("caption")), "permalink": _text(item.get("permalink")),
            "posted_at": parse_time(item.get("timestamp")), "like_count": number(item.get("like_count")),
            "comments_count": number(item.get("comments_count")), "is_own_post": media_id in own_media_ids,
            "captured_at": captured_at}
    return list(rows.values())
