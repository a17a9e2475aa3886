"""Analysts: ``username`` next to ``ig_user_id`` in ig_follower_growth, ig_daily_engagement and
ig_post_performance (issue 15), from the account's connection row.

A column can only be appended by ``CREATE OR REPLACE VIEW``; to put it where people look, the three
views are dropped and created again, with ig_product_type_summary, which reads ig_post_performance.
``ig-pipeline migrate`` re-applies the reader grants and the dictionary's comments after every run.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 11:10:00
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _analytics_0002():
    """Revision 0002's module: its view bodies (ig_product_type_summary, and the downgrade)."""
    path = Path(__file__).with_name("0002_analytics.py")
    spec = importlib.util.spec_from_file_location("ig_migration_0002_analytics", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_0002 = _analytics_0002()
REPLACED = ("ig_follower_growth", "ig_daily_engagement", "ig_post_performance")
DEPENDENT = ("ig_product_type_summary",)

VIEWS = {
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
SELECT d.owner_id, d.ig_user_id, c.username, d.day, d.followers_count, d.new_followers, d.follows, d.unfollows,
       d.follows - d.unfollows AS net_follows,
       CASE WHEN lag(d.day) OVER w = d.day - 1 THEN d.followers_count - lag(d.followers_count) OVER w END
           AS net_change
FROM days d
LEFT JOIN instagram_connection c ON c.ig_user_id = d.ig_user_id
WINDOW w AS (PARTITION BY d.ig_user_id ORDER BY d.day)
""",
    "ig_daily_engagement": """
SELECT a.owner_id, a.ig_user_id, c.username, a.day, a.reach, a.views, a.accounts_engaged, a.total_interactions,
       a.likes, a.comments, a.saves, a.shares, a.replies, a.reposts, a.profile_views,
       a.total_interactions::double precision / NULLIF(a.reach, 0) AS engagement_rate
FROM instagram_account_daily a
LEFT JOIN instagram_connection c ON c.ig_user_id = a.ig_user_id
""",
    "ig_post_performance": _0002.VIEWS["ig_post_performance"]
    .replace("SELECT m.owner_id, m.ig_user_id, m.media_id,", "SELECT m.owner_id, m.ig_user_id, c.username, m.media_id,")
    .replace("FROM instagram_media m\n", "FROM instagram_media m\nLEFT JOIN instagram_connection c ON c.ig_user_id = m.ig_user_id\n"),
}
assert "c.username" in VIEWS["ig_post_performance"] and "LEFT JOIN instagram_connection" in VIEWS["ig_post_performance"]


def _recreate(bodies: dict[str, str]) -> None:
    for name in (*DEPENDENT, *reversed(REPLACED)):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for name in (*REPLACED, *DEPENDENT):
        op.execute(f"CREATE VIEW {name} WITH (security_invoker = true) AS {bodies[name]}")


def upgrade() -> None:
    _recreate(VIEWS | {name: _0002.VIEWS[name] for name in DEPENDENT})


def downgrade() -> None:
    _recreate(_0002.VIEWS)
