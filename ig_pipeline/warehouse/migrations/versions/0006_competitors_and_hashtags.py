"""Competitor benchmarks and hashtag tracking (issue 16): tracked lists, the hashtag budget ledger,
the three snapshot tables and the two analyst views.

- ``ig_tracked_competitor`` / ``ig_tracked_hashtag``: what each owner tracks
  (``ig-pipeline competitors|hashtags add|remove|list``).
- ``ig_hashtag_search_ledger``: every unique hashtag an Instagram account searched in the current
  rolling 7 days (the API allows 30), reconciled with ``recently_searched_hashtags``.
- ``instagram_competitor_daily`` / ``instagram_competitor_media``: Business Discovery snapshots.
- ``instagram_hashtag_media``: the top and recent media of a hashtag as of a day, ranked.
- Views ``ig_competitor_benchmark`` and ``ig_hashtag_performance`` (security_invoker, like the others).

Every table is tenant-scoped (``owner_id``) with row-level security on. Docs:
docs/competitors-and-hashtags.md.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 11:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NEW_TABLES = ("ig_tracked_competitor", "ig_tracked_hashtag", "ig_hashtag_search_ledger",
              "instagram_competitor_daily", "instagram_competitor_media", "instagram_hashtag_media")

# One row per owner, account (own or competitor) and ISO week (Monday). Own accounts come from the
# daily account table and the media table; competitors from the Business Discovery snapshots.
# Counts per post are each post's newest snapshot; a hidden like count (NULL) is left out of the medians.
BENCHMARK = """
WITH follower_days AS (
    SELECT a.owner_id, 'own'::text AS account_kind, a.ig_user_id AS account_id, c.username, a.day,
           a.followers_count
    FROM instagram_account_daily a JOIN instagram_connection c ON c.ig_user_id = a.ig_user_id
    WHERE a.followers_count IS NOT NULL
    UNION ALL
    SELECT owner_id, 'competitor', competitor_ig_id, username, day, followers_count
    FROM instagram_competitor_daily WHERE followers_count IS NOT NULL
), weekly_followers AS (
    SELECT owner_id, account_kind, username, date_trunc('week', day)::date AS week,
           (array_agg(account_id ORDER BY day DESC))[1] AS account_id,
           (array_agg(followers_count ORDER BY day DESC))[1] AS followers_count
    FROM follower_days GROUP BY 1, 2, 3, 4
), posts AS (
    SELECT m.owner_id, 'own'::text AS account_kind, c.username, m.posted_day, m.like_count, m.comments_count
    FROM instagram_media m JOIN instagram_connection c ON c.ig_user_id = m.ig_user_id
    WHERE m.media_product_type IS DISTINCT FROM 'STORY' AND m.posted_day IS NOT NULL
    UNION ALL
    SELECT * FROM (
        SELECT DISTINCT ON (owner_id, media_id) owner_id, 'competitor'::text, username, posted_day, like_count,
               comments_count
        FROM instagram_competitor_media WHERE posted_day IS NOT NULL
        ORDER BY owner_id, media_id, day DESC
    ) newest
), weekly_posts AS (
    SELECT owner_id, account_kind, username, date_trunc('week', posted_day)::date AS week,
           count(*) AS posts,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY like_count) AS median_likes,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY comments_count) AS median_comments,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY like_count + comments_count) AS median_engagement
    FROM posts GROUP BY 1, 2, 3, 4
)
SELECT COALESCE(f.owner_id, p.owner_id) AS owner_id, COALESCE(f.account_kind, p.account_kind) AS account_kind,
       COALESCE(f.username, p.username) AS username, f.account_id, COALESCE(f.week, p.week) AS week,
       f.followers_count,
       f.followers_count - lag(f.followers_count) OVER (
           PARTITION BY COALESCE(f.owner_id, p.owner_id), COALESCE(f.account_kind, p.account_kind),
                        COALESCE(f.username, p.username)
           ORDER BY COALESCE(f.week, p.week)) AS follower_growth,
       COALESCE(p.posts, 0) AS posts, p.median_likes, p.median_comments,
       p.median_engagement / NULLIF(f.followers_count, 0) AS engagement_per_follower
FROM weekly_followers f
FULL JOIN weekly_posts p ON p.owner_id = f.owner_id AND p.account_kind = f.account_kind
     AND p.username IS NOT DISTINCT FROM f.username AND p.week = f.week
"""

# One row per owner, hashtag and day: what the pipeline saw in the hashtag's top and recent media.
HASHTAG_PERFORMANCE = """
SELECT owner_id, hashtag, day,
       count(DISTINCT media_id) AS posts_seen,
       count(*) FILTER (WHERE list_kind = 'top') AS top_posts,
       count(*) FILTER (WHERE list_kind = 'recent') AS recent_posts,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY like_count + comments_count) AS median_engagement,
       count(DISTINCT media_id) FILTER (WHERE is_own_post) AS own_posts_seen,
       min(rank) FILTER (WHERE is_own_post AND list_kind = 'top') AS best_own_top_rank,
       min(rank) FILTER (WHERE is_own_post AND list_kind = 'recent') AS best_own_recent_rank
FROM instagram_hashtag_media
GROUP BY owner_id, hashtag, day
"""

VIEWS = {"ig_competitor_benchmark": BENCHMARK, "ig_hashtag_performance": HASHTAG_PERFORMANCE}


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)]


def _text(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _big(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=True)


def upgrade() -> None:
    op.create_table(
        "ig_tracked_competitor",
        _text("owner_id", False), _text("username", False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("owner_id", "username"),
    )
    op.create_table(
        "ig_tracked_hashtag",
        _text("owner_id", False), _text("hashtag", False), _text("ig_user_id", False), _text("hashtag_id"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("owner_id", "hashtag"),
    )
    op.create_table(
        "ig_hashtag_search_ledger",
        _text("ig_user_id", False), _text("hashtag_id", False), _text("owner_id", False), _text("hashtag"),
        _at("window_started_at", False), _at("last_searched_at", False), _text("source", False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("ig_user_id", "hashtag_id"),
    )
    op.create_index("ix_hashtag_ledger_owner", "ig_hashtag_search_ledger", ["owner_id"])
    op.create_table(
        "instagram_competitor_daily",
        _text("owner_id", False), _text("username", False), sa.Column("day", sa.Date(), nullable=False),
        _text("competitor_ig_id"), _text("ig_user_id", False), _text("name"), _text("biography"),
        _text("website"), _text("profile_picture_url"),
        _big("followers_count"), _big("follows_count"), _big("media_count"),
        _at("captured_at", False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("owner_id", "username", "day"),
    )
    op.create_table(
        "instagram_competitor_media",
        _text("owner_id", False), _text("media_id", False), sa.Column("day", sa.Date(), nullable=False),
        _text("username", False), _text("media_type"), _text("media_product_type"), _text("caption"),
        _text("permalink"), _at("posted_at"), sa.Column("posted_day", sa.Date(), nullable=True),
        _big("like_count"), _big("comments_count"), _at("captured_at", False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("owner_id", "media_id", "day"),
    )
    op.create_index("ix_competitor_media_owner_user", "instagram_competitor_media", ["owner_id", "username", "day"])
    op.create_table(
        "instagram_hashtag_media",
        _text("owner_id", False), _text("hashtag", False), sa.Column("day", sa.Date(), nullable=False),
        _text("list_kind", False), _text("media_id", False),
        _text("ig_user_id", False), _text("hashtag_id", False), sa.Column("rank", sa.Integer(), nullable=False),
        _text("media_type"), _text("media_product_type"), _text("caption"), _text("permalink"), _at("posted_at"),
        _big("like_count"), _big("comments_count"),
        sa.Column("is_own_post", sa.Boolean(), nullable=False), _at("captured_at", False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("owner_id", "hashtag", "day", "list_kind", "media_id"),
    )
    for table in NEW_TABLES:
        op.execute(f"CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION ig_touch_updated_at()")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW {name} WITH (security_invoker = true) AS {body}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_index("ix_competitor_media_owner_user", table_name="instagram_competitor_media")
    op.drop_index("ix_hashtag_ledger_owner", table_name="ig_hashtag_search_ledger")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
