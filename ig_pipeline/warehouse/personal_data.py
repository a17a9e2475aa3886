"""Retention of comments and mentions: personal data of people who are not our users.

Comments (their text, and who wrote them) are kept ``IG_COMMENT_RETENTION_DAYS`` (default 90) after
they were written — long enough for the quarterly engagement reports the comments view feeds, short
enough that a comment its author deleted on Instagram does not linger for years — and mentions as
long after they arrived. With ``IG_COMMENT_TEXT=off`` the text already stored is cleared too, so
turning the setting off takes effect on the past as well. Run by the daily upkeep job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

_DELETE_COMMENTS = text("DELETE FROM instagram_media_comment WHERE COALESCE(commented_at, created_at) < :before")
_DELETE_MENTIONS = text("DELETE FROM instagram_mention WHERE received_at < :before")
_CLEAR_TEXT = text("UPDATE instagram_media_comment SET text = NULL WHERE text IS NOT NULL")


def purge_comments(conn: Connection, now: datetime, retention_days: int, keep_text: bool) -> dict[str, int]:
    """Delete comments and mentions older than ``retention_days``; clear stored text unless ``keep_text``."""
    before = now - timedelta(days=retention_days)
    report = {"comments_deleted": conn.execute(_DELETE_COMMENTS, {"before": before}).rowcount,
              "mentions_deleted": conn.execute(_DELETE_MENTIONS, {"before": before}).rowcount,
              "comment_texts_cleared": 0}
    if not keep_text:
        report["comment_texts_cleared"] = conn.execute(_CLEAR_TEXT).rowcount
    return report
