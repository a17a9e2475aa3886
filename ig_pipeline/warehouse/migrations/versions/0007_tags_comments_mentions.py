"""Tags, comments and mentions (issue 16): posts tagging a connected account, comments and replies on
its posts, the @mentions its webhooks report, and the comments view.

- ``instagram_tagged_media``: other accounts' posts that tag a connected account (``GET /{ig-user-id}/tags``),
  with the poster's username and the counts as last seen.
- ``instagram_media_comment``: comments and replies on the connected accounts' recent posts
  (``GET /{ig-media-id}/comments`` with nested ``replies``, and the ``comments`` webhook field). The text
  is personal data: NULL when ``IG_COMMENT_TEXT=off``; rows older than ``IG_COMMENT_RETENTION_DAYS`` are
  deleted by the daily upkeep (warehouse/personal_data.py).
- ``instagram_mention``: one row per ``mentions`` webhook (media, and comment when the mention is in one).
- View ``ig_comment_summary`` (security_invoker): per post, comments, replies, commenters, the top
  commenters and how many replies came from the account itself.

Every table is tenant-scoped (``owner_id``) with row-level security on. Docs: docs/comments-and-tags.md.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 12:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NEW_TABLES = ("instagram_tagged_media", "instagram_media_comment", "instagram_mention")

COMMENT_SUMMARY = """
SELECT c.owner_id, c.ig_user_id, conn.username, c.media_id, m.permalink, m.posted_at, m.media_product_type,
       count(*) FILTER (WHERE c.parent_comment_id IS NULL) AS comments,
       count(*) FILTER (WHERE c.parent_comment_id IS NOT NULL) AS replies,
       count(*) FILTER (WHERE c.parent_comment_id IS NOT NULL AND c.username = conn.username) AS own_replies,
       count(DISTINCT c.username) FILTER (WHERE c.username IS DISTINCT FROM conn.username) AS commenters,
       (SELECT array_agg(t.username ORDER BY t.n DESC, t.username)
        FROM (SELECT x.username, count(*) AS n FROM instagram_media_comment x
              WHERE x.media_id = c.media_id AND x.username IS NOT NULL
                AND x.username IS DISTINCT FROM conn.username
              GROUP BY x.username ORDER BY n DESC, x.username LIMIT 3) t) AS top_commenters,
       max(c.commented_at) AS last_comment_at
FROM instagram_media_comment c
LEFT JOIN instagram_connection conn ON conn.ig_user_id = c.ig_user_id
LEFT JOIN instagram_media m ON m.media_id = c.media_id
GROUP BY c.owner_id, c.ig_user_id, conn.username, c.media_id, m.permalink, m.posted_at, m.media_product_type
"""
VIEWS = {"ig_comment_summary": COMMENT_SUMMARY}


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)]


def _text(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "instagram_tagged_media",
        _text("ig_user_id", False), _text("media_id", False), _text("owner_id", False),
        _text("username"), _text("caption"), _text("media_type"), _text("media_product_type"), _text("permalink"),
        _at("posted_at"), sa.Column("posted_day", sa.Date(), nullable=True),
        sa.Column("like_count", sa.BigInteger(), nullable=True),
        sa.Column("comments_count", sa.BigInteger(), nullable=True), _at("last_seen_at"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("ig_user_id", "media_id"),
    )
    op.create_index("ix_tagged_media_owner_day", "instagram_tagged_media", ["owner_id", "posted_day"])
    op.create_table(
        "instagram_media_comment",
        _text("comment_id", False), _text("owner_id", False), _text("ig_user_id", False), _text("media_id", False),
        _text("parent_comment_id"), _text("username"), _text("text"),
        sa.Column("like_count", sa.BigInteger(), nullable=True), _at("commented_at"), _text("source", False),
        _at("last_seen_at"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("comment_id"),
    )
    op.create_index("ix_media_comment_media", "instagram_media_comment", ["media_id"])
    op.create_index("ix_media_comment_owner_commented", "instagram_media_comment", ["owner_id", "commented_at"])
    op.create_table(
        "instagram_mention",
        _text("ig_user_id", False), _text("media_id", False), _text("comment_id", False), _text("owner_id", False),
        _at("received_at", False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("ig_user_id", "media_id", "comment_id"),
    )
    op.create_index("ix_mention_owner_received", "instagram_mention", ["owner_id", "received_at"])
    for table in NEW_TABLES:
        op.execute(f"CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION ig_touch_updated_at()")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW {name} WITH (security_invoker = true) AS {body}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
