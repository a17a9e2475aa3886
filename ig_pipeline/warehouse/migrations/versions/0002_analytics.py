"""Analytics: the analyst views, the tenant-membership and alert-log tables, row-level security on.

Views are ``security_invoker`` so that a reader's row-level security applies through them.
RLS is enabled here on every tenant table with no policy, which denies every role except the
table owner (the pipeline) and superusers: safe until ``ig-pipeline roles`` creates the reader roles
and their policies (warehouse/roles.py), which need roles that are cluster-wide objects and so do not
belong in a per-database migration. Docs: docs/warehouse.md.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 01:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "instagram_connection", "instagram_account_daily", "instagram_media", "instagram_media_daily",
    "instagram_account_intraday", "instagram_media_intraday", "instagram_sync_state",
    "instagram_account_demographics", "instagram_online_followers", "instagram_story_insights",
)

# Latest lifetime numbers of one media item: its newest row from the daily or the intraday table.
_LATEST_MEDIA_METRICS = """
    SELECT x.captured_at, x.reach, x.views, x.likes, x.comments, x.saved, x.shares, x.total_interactions,
           x.replies, x.navigation, x.taps_forward, x.taps_back, x.taps_exit
    FROM (
        SELECT captured_at, reach, views, likes, comments, saved, shares, total_interactions,
               replies, navigation, taps_forward, taps_back, taps_exit
        FROM instagram_media_daily d WHERE d.media_id = m.media_id AND d.captured_at <= {until}
        UNION ALL
        SELECT captured_at, reach, views, likes, comments, saved, shares, total_interactions,
               replies, navigation, taps_forward, taps_back, taps_exit
        FROM instagram_media_intraday i WHERE i.media_id = m.media_id AND i.captured_at <= {until}
    ) x
    ORDER BY x.captured_at DESC
    LIMIT 1
"""

VIEWS = {
    "ig_account_overview": """
SELECT c.owner_id, c.ig_user_id, c.username, c.name, c.account_type, c.login_type,
       c.status AS connection_status, c.connected_at,
       snap.followers_count, snap.follows_count, snap.media_count, snap.captured_at AS counts_as_of,
       d.day AS latest_day, d.reach AS latest_day_reach, d.views AS latest_day_views,
       d.accounts_engaged AS latest_day_accounts_engaged,
       d.total_interactions AS latest_day_interactions, d.new_followers AS latest_day_new_followers,
       d.total_interactions::double precision / NULLIF(d.reach, 0) AS latest_day_engagement_rate,
       posts.posts_last_30_days,
       sync.last_success_at AS last_daily_sync_at
FROM instagram_connection c
LEFT JOIN LATERAL (
    SELECT s.followers_count, s.follows_count, s.media_count, s.captured_at
    FROM (
        SELECT followers_count, follows_count, media_count, captured_at
        FROM instagram_account_intraday i WHERE i.ig_user_id = c.ig_user_id AND i.followers_count IS NOT NULL
        UNION ALL
        SELECT followers_count, follows_count, media_count,
               COALESCE(fetched_at, ((a.day + 1)::timestamp AT TIME ZONE 'America/Los_Angeles'))
        FROM instagram_account_daily a WHERE a.ig_user_id = c.ig_user_id AND a.followers_count IS NOT NULL
    ) s
    ORDER BY s.captured_at DESC
    LIMIT 1
) snap ON true
LEFT JOIN LATERAL (
    SELECT a.day, a.reach, a.views, a.accounts_engaged, a.total_interactions, a.new_followers
    FROM instagram_account_daily a
    WHERE a.ig_user_id = c.ig_user_id AND (a.reach IS NOT NULL OR a.views IS NOT NULL)
    ORDER BY a.day DESC
    LIMIT 1
) d ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS posts_last_30_days
    FROM instagram_media m
    WHERE m.ig_user_id = c.ig_user_id AND m.deleted_at IS NULL
      AND m.media_product_type IS DISTINCT FROM 'STORY' AND m.posted_at >= now() - interval '30 days'
) posts ON true
LEFT JOIN instagram_sync_state sync ON sync.ig_user_id = c.ig_user_id AND sync.sync_kind = 'account_daily'
""",
    "ig_follower_growth": """
WITH snapshots AS (
    SELECT DISTINCT ON (ig_user_id, day) owner_id, ig_user_id, day, followers_count
    FROM (
        SELECT owner_id, ig_user_id, (captured_at AT TIME ZONE 'America/Los_Angeles')::date AS day,
               followers_count, captured_at
        FROM instagram_account_intraday WHERE followers_count IS NOT NULL
    ) s
    ORDER BY ig_user_id, day, captured_at DESC
), days AS (
    SELECT COALESCE(a.owner_id, s.owner_id) AS owner_id, COALESCE(a.ig_user_id, s.ig_user_id) AS ig_user_id,
           COALESCE(a.day, s.day) AS day, COALESCE(s.followers_count, a.followers_count) AS followers_count,
           a.new_followers, a.follows, a.unfollows
    FROM instagram_account_daily a
    FULL JOIN snapshots s ON s.ig_user_id = a.ig_user_id AND s.day = a.day
)
SELECT owner_id, ig_user_id, day, followers_count, new_followers, follows, unfollows,
       follows - unfollows AS net_follows,
       CASE WHEN lag(day) OVER w = day - 1 THEN followers_count - lag(followers_count) OVER w END AS net_change
FROM days
WINDOW w AS (PARTITION BY ig_user_id ORDER BY day)
""",
    "ig_daily_engagement": """
SELECT owner_id, ig_user_id, day, reach, views, accounts_engaged, total_interactions,
       likes, comments, saves, shares, replies, reposts, profile_views,
       total_interactions::double precision / NULLIF(reach, 0) AS engagement_rate
FROM instagram_account_daily
""",
    "ig_post_performance": f"""
SELECT m.owner_id, m.ig_user_id, m.media_id, m.media_product_type, m.media_type, m.posted_at, m.posted_day,
       date_trunc('month', m.posted_day)::date AS posted_month, m.permalink, m.caption,
       m.deleted_at IS NOT NULL AS deleted,
       l.captured_at AS metrics_as_of, l.reach, l.views, l.likes, l.comments, l.saved, l.shares,
       l.total_interactions,
       l.total_interactions::double precision / NULLIF(l.reach, 0) AS engagement_rate,
       rank() OVER (PARTITION BY m.ig_user_id, date_trunc('month', m.posted_day)
                    ORDER BY l.total_interactions DESC NULLS LAST) AS rank_in_account_month
FROM instagram_media m
LEFT JOIN LATERAL ({_LATEST_MEDIA_METRICS.format(until="'infinity'::timestamptz")}) l ON true
WHERE m.media_product_type IS DISTINCT FROM 'STORY'
""",
    "ig_story_performance": f"""
WITH stories AS (
    SELECT media_id, owner_id, ig_user_id FROM instagram_media WHERE media_product_type = 'STORY'
    UNION
    SELECT media_id, owner_id, ig_user_id FROM instagram_story_insights
)
SELECT st.owner_id, st.ig_user_id, st.media_id, m.media_type, m.posted_at, m.story_expires_at AS expires_at,
       CASE WHEN w.media_id IS NOT NULL THEN 'webhook' WHEN l.captured_at IS NOT NULL THEN 'snapshot' END AS source,
       CASE WHEN w.media_id IS NOT NULL THEN w.received_at ELSE l.captured_at END AS final_as_of,
       CASE WHEN w.media_id IS NOT NULL THEN NULLIF(w.reach, -1) ELSE l.reach END AS reach,
       CASE WHEN w.media_id IS NOT NULL THEN NULLIF(w.views, -1) ELSE l.views END AS views,
       CASE WHEN w.media_id IS NOT NULL THEN NULLIF(w.replies, -1) ELSE l.replies END AS replies,
       CASE WHEN w.media_id IS NOT NULL THEN NULLIF(w.navigation, -1) ELSE l.navigation END AS navigation,
       CASE WHEN w.media_id IS NOT NULL THEN NULLIF(w.taps_forward, -1) ELSE l.taps_forward END AS taps_forward,
       CASE WHEN w.media_id IS NOT NULL THEN NULLIF(w.taps_back, -1) ELSE l.taps_back END AS taps_back,
       CASE WHEN w.media_id IS NOT NULL THEN NULLIF(w.exits, -1) ELSE l.taps_exit END AS exits,
       l.shares, l.total_interactions,
       w.media_id IS NOT NULL AND -1 IN (w.reach, w.views, w.replies, w.navigation, w.taps_forward,
                                         w.taps_back, w.exits) AS some_withheld
FROM stories st
LEFT JOIN instagram_media m ON m.media_id = st.media_id
LEFT JOIN instagram_story_insights w ON w.media_id = st.media_id
LEFT JOIN LATERAL ({_LATEST_MEDIA_METRICS.replace("m.media_id", "st.media_id").format(
        until="COALESCE(m.story_expires_at, 'infinity'::timestamptz)")}) l ON true
""",
    "ig_product_type_summary": """
WITH posts AS (
    SELECT owner_id, ig_user_id, COALESCE(media_product_type, 'UNKNOWN') AS product_type, posted_month,
           reach, views, total_interactions, engagement_rate
    FROM ig_post_performance WHERE NOT deleted
    UNION ALL
    SELECT owner_id, ig_user_id, 'STORY', date_trunc('month', (posted_at AT TIME ZONE 'America/Los_Angeles'))::date,
           reach, views, total_interactions, total_interactions::double precision / NULLIF(reach, 0)
    FROM ig_story_performance
)
SELECT owner_id, ig_user_id, posted_month AS month, product_type, count(*) AS posts,
       avg(reach) AS avg_reach, avg(views) AS avg_views, avg(total_interactions) AS avg_interactions,
       sum(total_interactions) AS total_interactions, avg(engagement_rate) AS avg_engagement_rate
FROM posts
GROUP BY owner_id, ig_user_id, posted_month, product_type
""",
    "ig_best_time_to_post": """
SELECT owner_id, ig_user_id, extract(isodow FROM day)::int AS weekday,
       (ARRAY['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])[extract(isodow FROM day)::int] AS weekday_name,
       hour, avg(value)::double precision AS avg_online_followers, count(*) AS days_observed,
       rank() OVER (PARTITION BY ig_user_id ORDER BY avg(value) DESC) AS rank_in_account
FROM instagram_online_followers
WHERE value IS NOT NULL
GROUP BY owner_id, ig_user_id, extract(isodow FROM day), hour
""",
    "ig_sync_health": """
SELECT c.owner_id, c.ig_user_id, c.username, c.status AS connection_status, c.status_reason, s.sync_kind,
       s.last_attempt_at, s.last_success_at, s.failing_since, s.consecutive_failures, s.last_error_class,
       s.last_error_code, s.last_error_message, s.next_retry_at,
       CASE WHEN c.status <> 'active' THEN c.status
            WHEN s.sync_kind IS NULL OR s.last_success_at IS NULL THEN 'never_synced'
            WHEN s.consecutive_failures > 0 THEN 'failing'
            WHEN s.last_success_at < now() - interval '36 hours' THEN 'stale'
            ELSE 'ok' END AS health
FROM instagram_connection c
LEFT JOIN instagram_sync_state s ON s.ig_user_id = c.ig_user_id
""",
}


def upgrade() -> None:
    op.create_table(
        "ig_tenant_member",
        sa.Column("member_role", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("member_role", "owner_id"),
    )
    op.create_table(
        "instagram_alert_log",
        sa.Column("alert_id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=True),
        sa.Column("job_name", sa.Text(), nullable=True),
        sa.Column("partition_key", sa.Text(), nullable=True),
        sa.Column("step_key", sa.Text(), nullable=True),
        sa.Column("error_class", sa.Text(), nullable=True),
        sa.Column("accounts", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("delivery_status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("delivery_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_delivery_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("alert_id"),
        sa.UniqueConstraint("kind", "dedupe_key", name="uq_alert_kind_dedupe"),
    )
    op.create_index("ix_alert_log_pending", "instagram_alert_log", ["delivery_status"], unique=False,
                    postgresql_where=sa.text("delivery_status = 'pending'"))
    for table in ("ig_tenant_member", "instagram_alert_log"):
        op.execute(f"CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION ig_touch_updated_at()")
    for table in (*TENANT_TABLES, "ig_tenant_member"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW {name} WITH (security_invoker = true) AS {body}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for table in (*TENANT_TABLES, "ig_tenant_member"):
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.drop_index("ix_alert_log_pending", table_name="instagram_alert_log")
    op.drop_table("instagram_alert_log")
    op.drop_table("ig_tenant_member")
