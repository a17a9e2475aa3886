"""Call plans for tags and comments (issue 16). Permissions: ``instagram_basic`` for ``/tags``,
``instagram_manage_comments`` for comments and replies (docs/comments-and-tags.md).

- ``fetch_tagged``: ``GET /{ig-user-id}/tags`` (every page, 50 a page): other accounts' posts that tag
  the account, with the poster's username and the counts as of now.
- ``fetch_comments``: incremental. One listing of the account's posts of the last ``WINDOW`` (their
  ``comments_count``, 100 a page); only posts whose count changed since the last successful run (the
  cursor kept in instagram_sync_state) are read again: ``GET /{ig-media-id}/comments`` with the first
  page of each comment's ``replies`` nested, and ``GET /{ig-comment-id}/replies`` only for a comment
  whose replies have more pages. A post whose comments could not be read keeps its old count in the
  cursor, so the next run reads it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from ig_pipeline.graph.calls import Call
from ig_pipeline.graph.client import GraphClient
from ig_pipeline.graph.engagement_rows import (
    COMMENT_FIELDS,
    REPLY_FIELDS,
    TAG_FIELDS,
    comment_rows,
    nested_replies,
    tagged_rows,
)
from ig_pipeline.graph.errors import ErrorClass, GraphError
from ig_pipeline.graph.media import media_list_call
from ig_pipeline.graph.models import AccountRef, FetchResult
from ig_pipeline.graph.session import AccountSession

WINDOW = timedelta(days=30)  # posts whose comments are followed
PAGE = 50
LISTING_FIELDS = "id,timestamp,comments_count"
FATAL = (ErrorClass.TOKEN_INVALID, ErrorClass.RATE_LIMITED, ErrorClass.TRANSIENT)


@dataclass
class CommentsFetch:
    result: FetchResult
    counts: dict[str, int] = field(default_factory=dict)  # the new cursor: media id -> comments_count read


async def fetch_tagged(client: GraphClient, account: AccountRef) -> FetchResult:
    """instagram_tagged_media rows: every post the API lists as tagging the account."""
    session = AccountSession(client, account)
    try:
        items = await session.paged(Call(f"{account.ig_user_id}/tags", {"fields": TAG_FIELDS, "limit": PAGE}))
    except GraphError as error:
        return session.result(error=error)
    return session.result({"instagram_tagged_media": tagged_rows(account, items, client.now())})


def changed_media(listed: list[dict], last_counts: dict[str, int]) -> dict[str, int]:
    """Posts (id -> comments_count) whose comments must be read: the count differs from the cursor's.
    A post with no comments that never had any costs nothing."""
    due = {}
    for item in listed:
        media_id, count = item.get("id"), item.get("comments_count")
        if not isinstance(media_id, str) or isinstance(count, bool) or not isinstance(count, int):
            continue
        if count != last_counts.get(media_id, 0):
            due[media_id] = count
    return due


async def fetch_comments(client: GraphClient, account: AccountRef, last_counts: dict[str, int],
                         keep_text: bool) -> CommentsFetch:
    """instagram_media_comment rows for the posts of the last ``WINDOW`` whose comment count changed."""
    session = AccountSession(client, account)
    since = client.now() - WINDOW
    try:
        listed = await session.paged(media_list_call(account.ig_user_id, since, None, fields=LISTING_FIELDS))
    except GraphError as error:
        return CommentsFetch(session.result(error=error))
    listed_ids = {item["id"] for item in listed if isinstance(item.get("id"), str)}
    counts = {media_id: n for media_id, n in last_counts.items() if media_id in listed_ids}
    rows: list[dict] = []
    for media_id, count in changed_media(listed, last_counts).items():
        try:
            rows += await _post_comments(session, media_id, keep_text)
        except GraphError as error:
            if error.error_class in FATAL:
                return CommentsFetch(session.result(error=error))
            session.warn(f"media {media_id}: comments not read: {error}")
            continue
        counts[media_id] = count
    return CommentsFetch(session.result({"instagram_media_comment": rows}), counts)


async def _post_comments(session: AccountSession, media_id: str, keep_text: bool) -> list[dict]:
    comments = await session.paged(Call(f"{media_id}/comments", {"fields": COMMENT_FIELDS, "limit": PAGE}))
    replies: dict[str, list[dict]] = {}
    for item in comments:
        _, more = nested_replies(item)
        if more and isinstance(item.get("id"), str):
            replies[item["id"]] = await session.paged(
                Call(f"{item['id']}/replies", {"fields": REPLY_FIELDS, "limit": PAGE}))
    return comment_rows(session.account, media_id, comments, replies, session.client.now(), keep_text)
