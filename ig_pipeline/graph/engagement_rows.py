"""Pure transforms for tags and comments: API items -> instagram_tagged_media / instagram_media_comment rows.

Comment text is personal data: with ``keep_text=False`` (``IG_COMMENT_TEXT=off``) it is never put in a
row, so it never reaches the warehouse. A hidden like count comes back absent and is stored NULL, not 0.
"""

from __future__ import annotations

from datetime import datetime

from ig_pipeline.days import pacific_day
from ig_pipeline.graph.models import AccountRef
from ig_pipeline.graph.transforms import dedupe, number, parse_time

TAG_FIELDS = "id,username,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
REPLY_FIELDS = "id,text,timestamp,like_count,username"
COMMENT_FIELDS = f"id,text,timestamp,like_count,username,replies{{{REPLY_FIELDS}}}"


def _id(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def tagged_row(account: AccountRef, item: dict, seen_at: datetime) -> dict | None:
    """An instagram_tagged_media row from a ``/tags`` item (None without an id)."""
    media_id = _id(item.get("id"))
    if media_id is None:
        return None
    posted = parse_time(item.get("timestamp"))
    return {
        "owner_id": account.owner_id, "ig_user_id": account.ig_user_id, "media_id": media_id,
        "username": _text(item.get("username")), "caption": _text(item.get("caption")),
        "media_type": _text(item.get("media_type")), "media_product_type": _text(item.get("media_product_type")),
        "permalink": _text(item.get("permalink")), "posted_at": posted,
        "posted_day": pacific_day(posted) if posted else None,
        "like_count": number(item.get("like_count")), "comments_count": number(item.get("comments_count")),
        "last_seen_at": seen_at,
    }


def tagged_rows(account: AccountRef, items: list[dict], seen_at: datetime) -> list[dict]:
    rows = [row for item in items if (row := tagged_row(account, item, seen_at))]
    return dedupe(rows, "media_id")


def comment_row(account: AccountRef, media_id: str, item: dict, parent_id: str | None, seen_at: datetime,
                keep_text: bool) -> dict | None:
    """An instagram_media_comment row from a ``/comments`` or ``/replies`` item (None without an id)."""
    comment_id = _id(item.get("id"))
    if comment_id is None:
        return None
    return {
        "comment_id": comment_id, "owner_id": account.owner_id, "ig_user_id": account.ig_user_id,
        "media_id": media_id, "parent_comment_id": parent_id, "username": _text(item.get("username")),
        "text": _text(item.get("text")) if keep_text else None,
        "like_count": number(item.get("like_count")), "commented_at": parse_time(item.get("timestamp")),
        "source": "api", "last_seen_at": seen_at,
    }


def nested_replies(item: dict) -> tuple[list[dict], bool]:
    """The replies nested in a comment item and whether more pages of them exist."""
    replies = item.get("replies")
    if not isinstance(replies, dict):
        return [], False
    data = [r for r in replies.get("data") or [] if isinstance(r, dict)]
    paging = replies.get("paging")
    return data, isinstance(paging, dict) and bool(paging.get("next"))


def comment_rows(account: AccountRef, media_id: str, comments: list[dict], replies: dict[str, list[dict]],
                 seen_at: datetime, keep_text: bool) -> list[dict]:
    """Rows for a post's comments and their replies; ``replies`` (comment id -> every reply, read from
    ``/{comment-id}/replies``) replaces the nested first page where it was read."""
    rows = []
    for item in comments:
        row = comment_row(account, media_id, item, None, seen_at, keep_text)
        if row is None:
            continue
        rows.append(row)
        nested, _ = nested_replies(item)
        for reply in replies.get(row["comment_id"], nested):
            reply_row = comment_row(account, media_id, reply, row["comment_id"], seen_at, keep_text)
            if reply_row:
                rows.append(reply_row)
    return dedupe(rows, "comment_id")
