"""Warehouse tables as SQLAlchemy Core metadata.

Every table carries ``owner_id`` (the app user who connected the account: the tenant), a unique
key that makes every load an idempotent upsert, and ``created_at``/``updated_at`` kept by the
database (a trigger touches ``updated_at``). Metric columns come from the metric catalog, so a
metric the API did not return is NULL, and a retired metric stays a NULL column.

``day`` columns are Instagram reporting days (US Pacific); instants are ``timestamptz``.
The two intraday tables are range-partitioned by month on ``captured_at`` (see table_partitions.py).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from ig_pipeline.graph.catalog import ACCOUNT_DAILY_COLUMNS, MEDIA_INSIGHT_COLUMNS
from ig_pipeline.warehouse.table_base import metadata
from ig_pipeline.warehouse.table_base import metrics as _metrics
from ig_pipeline.warehouse.table_base import owner as _owner
from ig_pipeline.warehouse.table_base import timestamps as _timestamps

# Competitor and hashtag tables (tracking_tables.py) are on the same MetaData; imported here so that
# TENANT_TABLES holds them and every table is schema.<name>.
from ig_pipeline.warehouse.tracking_tables import (  # noqa: F401
    ig_hashtag_search_ledger,
    ig_tracked_competitor,
    ig_tracked_hashtag,
    instagram_competitor_daily,
    instagram_competitor_media,
    instagram_hashtag_media,
)

instagram_connection = Table(
    "instagram_connection", metadata,
    Column("ig_user_id", Text, primary_key=True),
    _owner(),
    Column("login_type", Text, nullable=False),  # facebook | instagram
    Column("fb_user_id", Text),
    Column("page_id", Text),
    Column("page_name", Text),
    Column("username", Text),
    Column("name", Text),
    Column("account_type", Text),  # BUSINESS | MEDIA_CREATOR
    Column("profile_picture_url", Text),
    Column("token_encrypted", LargeBinary),  # Fernet token; NULL once disconnected
    Column("token_expires_at", DateTime(timezone=True)),  # NULL = never (long-lived Page token)
    Column("data_access_expires_at", DateTime(timezone=True)),
    Column("token_refreshed_at", DateTime(timezone=True)),
    Column("scopes", ARRAY(Text)),
    Column("status", Text, nullable=False, server_default="active"),  # active|needs_reauth|disconnected
    Column("status_reason", Text),
    Column("connected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    *_timestamps(),
    Index("ix_connection_owner", "owner_id"),
    Index("ix_connection_status", "status"),
)

instagram_account_daily = Table(
    "instagram_account_daily", metadata,
    Column("ig_user_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    _owner(),
    Column("followers_count", BigInteger),  # snapshot: only on the day it was captured
    Column("follows_count", BigInteger),
    Column("media_count", BigInteger),
    Column("counts_captured_at", DateTime(timezone=True)),  # when the three counts above were read
    *_metrics(ACCOUNT_DAILY_COLUMNS),
    Column("fetched_at", DateTime(timezone=True)),
    *_timestamps(),
    Index("ix_account_daily_owner_day", "owner_id", "day"),
)

instagram_media = Table(
    "instagram_media", metadata,
    Column("media_id", Text, primary_key=True),
    _owner(),
    Column("ig_user_id", Text, nullable=False),
    Column("media_type", Text),  # IMAGE | VIDEO | CAROUSEL_ALBUM
    Column("media_product_type", Text),  # FEED | REELS | STORY | AD
    Column("caption", Text),
    Column("permalink", Text),
    Column("shortcode", Text),
    Column("media_url", Text),  # signed CDN URL: expires, changes on every call
    Column("thumbnail_url", Text),
    Column("posted_at", DateTime(timezone=True)),
    Column("posted_day", Date),  # Pacific reporting day of posted_at
    Column("children", JSONB),  # carousel children [{id, media_type, media_url, thumbnail_url}]
    Column("is_comment_enabled", Boolean),
    Column("like_count", BigInteger),
    Column("comments_count", BigInteger),
    Column("story_expires_at", DateTime(timezone=True)),
    Column("last_seen_at", DateTime(timezone=True)),
    Column("deleted_at", DateTime(timezone=True)),  # set when the API stopped listing it
    *_timestamps(),
    Index("ix_media_account_posted", "ig_user_id", "posted_at"),
    Index("ix_media_owner_posted_day", "owner_id", "posted_day"),
)

instagram_media_daily = Table(
    "instagram_media_daily", metadata,
    Column("media_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),  # lifetime-to-date as of this day
    _owner(),
    Column("ig_user_id", Text, nullable=False),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    Column("media_product_type", Text),
    Column("like_count", BigInteger),
    Column("comments_count", BigInteger),
    *_metrics(MEDIA_INSIGHT_COLUMNS),
    *_timestamps(),
    Index("ix_media_daily_account_day", "ig_user_id", "day"),
    Index("ix_media_daily_owner_day", "owner_id", "day"),
)

# BRIN on captured_at finds one snapshot window (migration 0008); autosummarize: a filled block range is
# summarized at once, so a window's lookup does not read every range written since the last vacuum.
_SUMMARIZED = {"autosummarize": "on"}

instagram_account_intraday = Table(
    "instagram_account_intraday", metadata,
    Column("ig_user_id", Text, primary_key=True),
    Column("captured_at", DateTime(timezone=True), primary_key=True),
    _owner(),
    Column("followers_count", BigInteger),
    Column("follows_count", BigInteger),
    Column("media_count", BigInteger),
    *_timestamps(),
    Index("ix_account_intraday_owner", "owner_id", "captured_at"),  # tenant readers' row-level security
    Index("ix_account_intraday_captured", "captured_at", postgresql_using="brin", postgresql_with=_SUMMARIZED),
    postgresql_partition_by="RANGE (captured_at)",
)

instagram_media_intraday = Table(
    "instagram_media_intraday", metadata,
    Column("media_id", Text, primary_key=True),
    Column("captured_at", DateTime(timezone=True), primary_key=True),
    _owner(),
    Column("ig_user_id", Text, nullable=False),
    Column("media_product_type", Text),
    Column("like_count", BigInteger),
    Column("comments_count", BigInteger),
    *_metrics(MEDIA_INSIGHT_COLUMNS),
    *_timestamps(),
    # Views read by media_id (primary key); checks and exports by window (no per-account index: 0008).
    Index("ix_media_intraday_captured", "captured_at", postgresql_using="brin", postgresql_with=_SUMMARIZED),
    postgresql_partition_by="RANGE (captured_at)",
)

instagram_sync_state = Table(
    "instagram_sync_state", metadata,
    Column("ig_user_id", Text, primary_key=True),
    Column("sync_kind", Text, primary_key=True),  # account_daily | media | media_daily | intraday | ...
    _owner(),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("last_error_class", Text),  # transient | rate_limited | token_invalid | no_data | bad_request
    Column("last_error_code", Integer),
    Column("last_error_message", Text),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("failing_since", DateTime(timezone=True)),
    Column("next_retry_at", DateTime(timezone=True)),
    Column("last_run_id", Text),
    Column("cursor", JSONB),
    *_timestamps(),
    Index("ix_sync_state_owner", "owner_id"),
)

instagram_account_demographics = Table(
    "instagram_account_demographics", metadata,
    Column("ig_user_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),  # day the snapshot was taken
    Column("metric", Text, primary_key=True),  # follower_ | engaged_audience_ | reached_audience_demographics
    Column("timeframe", Text, primary_key=True),  # this_week | this_month
    Column("breakdown", Text, primary_key=True),  # age | gender | country | city
    Column("dimension_value", Text, primary_key=True),
    _owner(),
    Column("value", BigInteger),
    *_timestamps(),
    Index("ix_demographics_owner", "owner_id", "day"),
)

instagram_online_followers = Table(
    "instagram_online_followers", metadata,
    Column("ig_user_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("hour", SmallInteger, primary_key=True),  # 0..23 as the API keys it
    _owner(),
    Column("value", BigInteger),
    *_timestamps(),
    Index("ix_online_followers_owner", "owner_id", "day"),
)

# The counts a story_insights webhook carries (legacy names included), one column each.
STORY_WEBHOOK_COUNTS = ("impressions", "reach", "views", "taps_forward", "taps_back", "exits", "replies",
                        "navigation")

instagram_story_insights = Table(
    "instagram_story_insights", metadata,
    Column("media_id", Text, primary_key=True),
    _owner(),
    Column("ig_user_id", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # Values as the story_insights webhook sends them: -1 means "below 5, withheld", not a count.
    *(Column(name, BigInteger) for name in STORY_WEBHOOK_COUNTS),
    Column("payload", JSONB, nullable=False),
    *_timestamps(),
    Index("ix_story_insights_owner", "owner_id", "received_at"),
)


# Tags, comments and mentions (migration 0007, docs/comments-and-tags.md).
instagram_tagged_media = Table(
    "instagram_tagged_media", metadata,
    Column("ig_user_id", Text, primary_key=True),  # the connected account that was tagged
    Column("media_id", Text, primary_key=True),  # someone else's post
    _owner(),
    Column("username", Text),  # who posted it
    Column("caption", Text),
    Column("media_type", Text),
    Column("media_product_type", Text),
    Column("permalink", Text),
    Column("posted_at", DateTime(timezone=True)),
    Column("posted_day", Date),
    Column("like_count", BigInteger),  # NULL when the poster hides likes
    Column("comments_count", BigInteger),
    Column("last_seen_at", DateTime(timezone=True)),
    *_timestamps(),
    Index("ix_tagged_media_owner_day", "owner_id", "posted_day"),
)

instagram_media_comment = Table(
    "instagram_media_comment", metadata,
    Column("comment_id", Text, primary_key=True),
    _owner(),
    Column("ig_user_id", Text, nullable=False),  # the account whose post it is
    Column("media_id", Text, nullable=False),
    Column("parent_comment_id", Text),  # NULL: a top-level comment; else the comment it replies to
    Column("username", Text),  # the commenter
    Column("text", Text),  # personal data: NULL when IG_COMMENT_TEXT=off
    Column("like_count", BigInteger),
    Column("commented_at", DateTime(timezone=True)),  # NULL until the API listing is read (webhooks omit it)
    Column("source", Text, nullable=False),  # api | webhook: which wrote the row last
    Column("last_seen_at", DateTime(timezone=True)),
    *_timestamps(),
    Index("ix_media_comment_media", "media_id"),
    Index("ix_media_comment_owner_commented", "owner_id", "commented_at"),
)

instagram_mention = Table(
    "instagram_mention", metadata,
    Column("ig_user_id", Text, primary_key=True),  # the account that was @mentioned
    Column("media_id", Text, primary_key=True),
    Column("comment_id", Text, primary_key=True),  # '' when mentioned in the caption
    _owner(),
    Column("received_at", DateTime(timezone=True), nullable=False),
    *_timestamps(),
    Index("ix_mention_owner_received", "owner_id", "received_at"),
)


# Tables whose rows belong to a tenant: row-level security on owner_id applies to each.
TENANT_TABLES = tuple(metadata.sorted_tables)

# Which database role reads which tenants' rows (warehouse/roles.py); RLS lets a member see only itself.
ig_tenant_member = Table(
    "ig_tenant_member", metadata,
    Column("member_role", Text, primary_key=True),
    Column("owner_id", Text, primary_key=True),
    *_timestamps(),
)

# One row per alert (failed run, stale account): the failure log, and the delivery state of its webhook post.
instagram_alert_log = Table(
    "instagram_alert_log", metadata,
    Column("alert_id", BigInteger, Identity(), primary_key=True),
    Column("kind", Text, nullable=False),  # run_failure | stale_sync
    Column("dedupe_key", Text, nullable=False),  # run id | "<ig_user_id>@<last success>": one alert per incident
    Column("run_id", Text),
    Column("job_name", Text),
    Column("partition_key", Text),
    Column("step_key", Text),
    Column("error_class", Text),
    Column("accounts", ARRAY(Text)),
    Column("message", Text, nullable=False),
    Column("payload", JSONB, nullable=False),  # what was (or is to be) posted to IG_ALERT_WEBHOOK_URL
    Column("delivery_status", Text, nullable=False, server_default="pending"),
    # pending (to post) | delivered | failed (gave up after bounded attempts) | not_configured (no URL: logged only)
    Column("delivery_attempts", Integer, nullable=False, server_default="0"),
    Column("last_delivery_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    *_timestamps(),
    UniqueConstraint("kind", "dedupe_key", name="uq_alert_kind_dedupe"),
    Index("ix_alert_log_pending", "delivery_status", postgresql_where=text("delivery_status = 'pending'")),
)

# Operational tables of the OAuth handler and the operator (migration 0003); readers get no grant on them.
# Used OAuth state nonces, shared by every handler process until they expire (single use across processes).
ig_oauth_state_used = Table(
    "ig_oauth_state_used", metadata,
    Column("nonce", Text, primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    *_timestamps(),
    Index("ix_oauth_state_used_expires", "expires_at"),
)

# Connect links of an owner issued before revoked_before are refused (ig-pipeline connect-link --revoke).
ig_connect_link_revocation = Table(
    "ig_connect_link_revocation", metadata,
    Column("owner_id", Text, primary_key=True),
    Column("revoked_before", DateTime(timezone=True), nullable=False),
    *_timestamps(),
)

# The audit of `ig-pipeline connections transfer`: an account and its data moved to another owner.
ig_connection_transfer = Table(
    "ig_connection_transfer", metadata,
    Column("transfer_id", BigInteger, Identity(), primary_key=True),
    Column("ig_user_id", Text, nullable=False),
    Column("from_owner", Text, nullable=False),
    Column("to_owner", Text, nullable=False),
    Column("rows_moved", JSONB, nullable=False),  # {table: rows whose owner_id moved}
    Column("reason", Text),
    Column("transferred_by", Text, nullable=False),
    *_timestamps(),
    Index("ix_connection_transfer_account", "ig_user_id", "created_at"),
)

INTRADAY_TABLES = (instagram_account_intraday, instagram_media_intraday)
