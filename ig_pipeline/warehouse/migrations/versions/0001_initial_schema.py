"""Initial schema: the warehouse tables, indexes and the updated_at trigger.

Generated once from ig_pipeline.warehouse.schema and frozen here; later schema changes get their
own revision. Monthly partitions of the intraday tables are not created here (they depend on the
date): ``ig-pipeline migrate`` and every intraday load create them (warehouse/table_partitions.py).

Revision ID: 0001
Revises:
Create Date: 2026-11-24 19:25:01.574272
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

TABLES = (
    "instagram_connection",
    "instagram_account_daily",
    "instagram_media",
    "instagram_media_daily",
    "instagram_account_intraday",
    "instagram_media_intraday",
    "instagram_sync_state",
    "instagram_account_demographics",
    "instagram_online_followers",
    "instagram_story_insights",
)
TOUCH_FUNCTION = """
CREATE FUNCTION ig_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instagram_account_daily",
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("followers_count", sa.BigInteger(), nullable=True),
        sa.Column("follows_count", sa.BigInteger(), nullable=True),
        sa.Column("media_count", sa.BigInteger(), nullable=True),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column("new_followers", sa.BigInteger(), nullable=True),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("accounts_engaged", sa.BigInteger(), nullable=True),
        sa.Column("total_interactions", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("saves", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("replies", sa.BigInteger(), nullable=True),
        sa.Column("reposts", sa.BigInteger(), nullable=True),
        sa.Column("profile_views", sa.BigInteger(), nullable=True),
        sa.Column("website_clicks", sa.BigInteger(), nullable=True),
        sa.Column("profile_links_taps", sa.BigInteger(), nullable=True),
        sa.Column("taps_book_now", sa.BigInteger(), nullable=True),
        sa.Column("taps_call", sa.BigInteger(), nullable=True),
        sa.Column("taps_direction", sa.BigInteger(), nullable=True),
        sa.Column("taps_email", sa.BigInteger(), nullable=True),
        sa.Column("taps_instant_experience", sa.BigInteger(), nullable=True),
        sa.Column("taps_text", sa.BigInteger(), nullable=True),
        sa.Column("taps_other", sa.BigInteger(), nullable=True),
        sa.Column("follows_and_unfollows", sa.BigInteger(), nullable=True),
        sa.Column("follows", sa.BigInteger(), nullable=True),
        sa.Column("unfollows", sa.BigInteger(), nullable=True),
        sa.Column("impressions", sa.BigInteger(), nullable=True),
        sa.Column("email_contacts", sa.BigInteger(), nullable=True),
        sa.Column("phone_call_clicks", sa.BigInteger(), nullable=True),
        sa.Column("text_message_clicks", sa.BigInteger(), nullable=True),
        sa.Column("get_directions_clicks", sa.BigInteger(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("ig_user_id", "day"),
    )
    op.create_index(
        "ix_account_daily_owner_day", "instagram_account_daily", ["owner_id", "day"], unique=False
    )
    op.create_table(
        "instagram_account_demographics",
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("timeframe", sa.Text(), nullable=False),
        sa.Column("breakdown", sa.Text(), nullable=False),
        sa.Column("dimension_value", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("ig_user_id", "day", "metric", "timeframe", "breakdown", "dimension_value"),
    )
    op.create_index(
        "ix_demographics_owner", "instagram_account_demographics", ["owner_id", "day"], unique=False
    )
    op.create_table(
        "instagram_account_intraday",
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("followers_count", sa.BigInteger(), nullable=True),
        sa.Column("follows_count", sa.BigInteger(), nullable=True),
        sa.Column("media_count", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("ig_user_id", "captured_at"),
        postgresql_partition_by="RANGE (captured_at)",
    )
    op.create_index(
        "ix_account_intraday_owner", "instagram_account_intraday", ["owner_id", "captured_at"], unique=False
    )
    op.create_table(
        "instagram_connection",
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("login_type", sa.Text(), nullable=False),
        sa.Column("fb_user_id", sa.Text(), nullable=True),
        sa.Column("page_id", sa.Text(), nullable=True),
        sa.Column("page_name", sa.Text(), nullable=True),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("account_type", sa.Text(), nullable=True),
        sa.Column("profile_picture_url", sa.Text(), nullable=True),
        sa.Column("token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column(
            "connected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("ig_user_id"),
    )
    op.create_index("ix_connection_owner", "instagram_connection", ["owner_id"], unique=False)
    op.create_index("ix_connection_status", "instagram_connection", ["status"], unique=False)
    op.create_table(
        "instagram_media",
        sa.Column("media_id", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=True),
        sa.Column("media_product_type", sa.Text(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("permalink", sa.Text(), nullable=True),
        sa.Column("shortcode", sa.Text(), nullable=True),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column("thumbnail_url", sa.Text(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_day", sa.Date(), nullable=True),
        sa.Column("children", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("is_comment_enabled", sa.Boolean(), nullable=True),
        sa.Column("like_count", sa.BigInteger(), nullable=True),
        sa.Column("comments_count", sa.BigInteger(), nullable=True),
        sa.Column("story_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("media_id"),
    )
    op.create_index("ix_media_account_posted", "instagram_media", ["ig_user_id", "posted_at"], unique=False)
    op.create_index("ix_media_owner_posted_day", "instagram_media", ["owner_id", "posted_day"], unique=False)
    op.create_table(
        "instagram_media_daily",
        sa.Column("media_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("media_product_type", sa.Text(), nullable=True),
        sa.Column("like_count", sa.BigInteger(), nullable=True),
        sa.Column("comments_count", sa.BigInteger(), nullable=True),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("saved", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("total_interactions", sa.BigInteger(), nullable=True),
        sa.Column("reposts", sa.BigInteger(), nullable=True),
        sa.Column("follows", sa.BigInteger(), nullable=True),
        sa.Column("profile_visits", sa.BigInteger(), nullable=True),
        sa.Column("profile_activity", sa.BigInteger(), nullable=True),
        sa.Column("activity_bio_link_clicked", sa.BigInteger(), nullable=True),
        sa.Column("activity_call", sa.BigInteger(), nullable=True),
        sa.Column("activity_direction", sa.BigInteger(), nullable=True),
        sa.Column("activity_email", sa.BigInteger(), nullable=True),
        sa.Column("activity_other", sa.BigInteger(), nullable=True),
        sa.Column("activity_text", sa.BigInteger(), nullable=True),
        sa.Column("navigation", sa.BigInteger(), nullable=True),
        sa.Column("taps_forward", sa.BigInteger(), nullable=True),
        sa.Column("taps_back", sa.BigInteger(), nullable=True),
        sa.Column("taps_exit", sa.BigInteger(), nullable=True),
        sa.Column("swipes_forward", sa.BigInteger(), nullable=True),
        sa.Column("replies", sa.BigInteger(), nullable=True),
        sa.Column("reels_avg_watch_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("reels_view_total_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("reels_skip_rate", sa.Double(), nullable=True),
        sa.Column("facebook_views", sa.BigInteger(), nullable=True),
        sa.Column("crossposted_views", sa.BigInteger(), nullable=True),
        sa.Column("impressions", sa.BigInteger(), nullable=True),
        sa.Column("plays", sa.BigInteger(), nullable=True),
        sa.Column("video_views", sa.BigInteger(), nullable=True),
        sa.Column("engagement", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("media_id", "day"),
    )
    op.create_index(
        "ix_media_daily_account_day", "instagram_media_daily", ["ig_user_id", "day"], unique=False
    )
    op.create_index("ix_media_daily_owner_day", "instagram_media_daily", ["owner_id", "day"], unique=False)
    op.create_table(
        "instagram_media_intraday",
        sa.Column("media_id", sa.Text(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("media_product_type", sa.Text(), nullable=True),
        sa.Column("like_count", sa.BigInteger(), nullable=True),
        sa.Column("comments_count", sa.BigInteger(), nullable=True),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("saved", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("total_interactions", sa.BigInteger(), nullable=True),
        sa.Column("reposts", sa.BigInteger(), nullable=True),
        sa.Column("follows", sa.BigInteger(), nullable=True),
        sa.Column("profile_visits", sa.BigInteger(), nullable=True),
        sa.Column("profile_activity", sa.BigInteger(), nullable=True),
        sa.Column("activity_bio_link_clicked", sa.BigInteger(), nullable=True),
        sa.Column("activity_call", sa.BigInteger(), nullable=True),
        sa.Column("activity_direction", sa.BigInteger(), nullable=True),
        sa.Column("activity_email", sa.BigInteger(), nullable=True),
        sa.Column("activity_other", sa.BigInteger(), nullable=True),
        sa.Column("activity_text", sa.BigInteger(), nullable=True),
        sa.Column("navigation", sa.BigInteger(), nullable=True),
        sa.Column("taps_forward", sa.BigInteger(), nullable=True),
        sa.Column("taps_back", sa.BigInteger(), nullable=True),
        sa.Column("taps_exit", sa.BigInteger(), nullable=True),
        sa.Column("swipes_forward", sa.BigInteger(), nullable=True),
        sa.Column("replies", sa.BigInteger(), nullable=True),
        sa.Column("reels_avg_watch_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("reels_view_total_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("reels_skip_rate", sa.Double(), nullable=True),
        sa.Column("facebook_views", sa.BigInteger(), nullable=True),
        sa.Column("crossposted_views", sa.BigInteger(), nullable=True),
        sa.Column("impressions", sa.BigInteger(), nullable=True),
        sa.Column("plays", sa.BigInteger(), nullable=True),
        sa.Column("video_views", sa.BigInteger(), nullable=True),
        sa.Column("engagement", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("media_id", "captured_at"),
        postgresql_partition_by="RANGE (captured_at)",
    )
    op.create_index(
        "ix_media_intraday_account", "instagram_media_intraday", ["ig_user_id", "captured_at"], unique=False
    )
    op.create_table(
        "instagram_online_followers",
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("ig_user_id", "day", "hour"),
    )
    op.create_index(
        "ix_online_followers_owner", "instagram_online_followers", ["owner_id", "day"], unique=False
    )
    op.create_table(
        "instagram_story_insights",
        sa.Column("media_id", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=True),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("taps_forward", sa.BigInteger(), nullable=True),
        sa.Column("taps_back", sa.BigInteger(), nullable=True),
        sa.Column("exits", sa.BigInteger(), nullable=True),
        sa.Column("replies", sa.BigInteger(), nullable=True),
        sa.Column("navigation", sa.BigInteger(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("media_id"),
    )
    op.create_index(
        "ix_story_insights_owner", "instagram_story_insights", ["owner_id", "received_at"], unique=False
    )
    op.create_table(
        "instagram_sync_state",
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("sync_kind", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_class", sa.Text(), nullable=True),
        sa.Column("last_error_code", sa.Integer(), nullable=True),
        sa.Column("last_error_message", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_id", sa.Text(), nullable=True),
        sa.Column("cursor", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("ig_user_id", "sync_kind"),
    )
    op.create_index("ix_sync_state_owner", "instagram_sync_state", ["owner_id"], unique=False)

    op.execute(TOUCH_FUNCTION)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ig_touch_updated_at()"
        )


def downgrade() -> None:
    op.drop_index("ix_sync_state_owner", table_name="instagram_sync_state")
    op.drop_table("instagram_sync_state")
    op.drop_index("ix_story_insights_owner", table_name="instagram_story_insights")
    op.drop_table("instagram_story_insights")
    op.drop_index("ix_online_followers_owner", table_name="instagram_online_followers")
    op.drop_table("instagram_online_followers")
    op.drop_index("ix_media_intraday_account", table_name="instagram_media_intraday")
    op.drop_table("instagram_media_intraday")
    op.drop_index("ix_media_daily_owner_day", table_name="instagram_media_daily")
    op.drop_index("ix_media_daily_account_day", table_name="instagram_media_daily")
    op.drop_table("instagram_media_daily")
    op.drop_index("ix_media_owner_posted_day", table_name="instagram_media")
    op.drop_index("ix_media_account_posted", table_name="instagram_media")
    op.drop_table("instagram_media")
    op.drop_index("ix_connection_status", table_name="instagram_connection")
    op.drop_index("ix_connection_owner", table_name="instagram_connection")
    op.drop_table("instagram_connection")
    op.drop_index("ix_account_intraday_owner", table_name="instagram_account_intraday")
    op.drop_table("instagram_account_intraday")
    op.drop_index("ix_demographics_owner", table_name="instagram_account_demographics")
    op.drop_table("instagram_account_demographics")
    op.drop_index("ix_account_daily_owner_day", table_name="instagram_account_daily")
    op.drop_table("instagram_account_daily")
    op.execute("DROP FUNCTION ig_touch_updated_at()")
