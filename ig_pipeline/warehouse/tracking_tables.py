"""Tables of competitor and hashtag tracking (migration 0006, docs/competitors-and-hashtags.md).

Defined on the warehouse's one ``MetaData``; warehouse/schema.py imports them, so every table is
reachable as ``schema.<name>``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Index, Integer, Table, Text

from ig_pipeline.warehouse.table_base import metadata, owner, timestamps

# Competitors and hashtags (migration 0006, docs/competitors-and-hashtags.md).
# What each owner tracks: public Business/Creator usernames (Business Discovery) and hashtags; a hashtag is
# searched with one of the owner's accounts (ig_user_id), whose 30-per-7-days budget it spends.
ig_tracked_competitor = Table(
    "ig_tracked_competitor", metadata,
    Column("owner_id", Text, primary_key=True),
    Column("username", Text, primary_key=True),  # lower case, no "@"
    *timestamps(),
)

ig_tracked_hashtag = Table(
    "ig_tracked_hashtag", metadata,
    Column("owner_id", Text, primary_key=True),
    Column("hashtag", Text, primary_key=True),  # lower case, no "#"
    Column("ig_user_id", Text, nullable=False),  # the owner's account that searches it
    Column("hashtag_id", Text),  # from ig_hashtag_search, once resolved
    *timestamps(),
)

# The unique hashtags each account searched in its current rolling 7 days (the API allows 30). A row's
# window starts at the search that spent the budget; searching it again inside the window is free and
# does not move the window. Reconciled with GET /{ig-user-id}/recently_searched_hashtags.
ig_hashtag_search_ledger = Table(
    "ig_hashtag_search_ledger", metadata,
    Column("ig_user_id", Text, primary_key=True),
    Column("hashtag_id", Text, primary_key=True),  # recently_searched_hashtags lists ids only
    owner(),
    Column("hashtag", Text),  # NULL: searched outside this pipeline, name unknown
    Column("window_started_at", DateTime(timezone=True), nullable=False),
    Column("last_searched_at", DateTime(timezone=True), nullable=False),
    Column("source", Text, nullable=False),  # pipeline | recently_searched (seen on the API, not searched by us)
    *timestamps(),
    Index("ix_hashtag_ledger_owner", "owner_id"),
)

# Business Discovery snapshot of a competitor's profile, one row per owner, competitor and day.
instagram_competitor_daily = Table(
    "instagram_competitor_daily", metadata,
    Column("owner_id", Text, primary_key=True),
    Column("username", Text, primary_key=True),
    Column("day", Date, primary_key=True),  # the Pacific day the snapshot stands for
    Column("competitor_ig_id", Text),
    Column("ig_user_id", Text, nullable=False),  # the owner's account that asked
    Column("name", Text),
    Column("biography", Text),
    Column("website", Text),
    Column("profile_picture_url", Text),
    Column("followers_count", BigInteger),
    Column("follows_count", BigInteger),
    Column("media_count", BigInteger),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    *timestamps(),
)

# A competitor's post with its public counts as of the day (hidden like counts are NULL, never 0).
instagram_competitor_media = Table(
    "instagram_competitor_media", metadata,
    Column("owner_id", Text, primary_key=True),
    Column("media_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("username", Text, nullable=False),
    Column("media_type", Text),
    Column("media_product_type", Text),
    Column("caption", Text),
    Column("permalink", Text),
    Column("posted_at", DateTime(timezone=True)),
    Column("posted_day", Date),
    Column("like_count", BigInteger),
    Column("comments_count", BigInteger),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    *timestamps(),
    Index("ix_competitor_media_owner_user", "owner_id", "username", "day"),
)

# A hashtag's top or recent media as of the day, with its rank (1 = first served) in that list.
instagram_hashtag_media = Table(
    "instagram_hashtag_media", metadata,
    Column("owner_id", Text, primary_key=True),
    Column("hashtag", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("list_kind", Text, primary_key=True),  # top | recent
    Column("media_id", Text, primary_key=True),
    Column("ig_user_id", Text, nullable=False),
    Column("hashtag_id", Text, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("media_type", Text),
    Column("media_product_type", Text),
    Column("caption", Text),
    Column("permalink", Text),
    Column("posted_at", DateTime(timezone=True)),
    Column("like_count", BigInteger),
    Column("comments_count", BigInteger),
    Column("is_own_post", Boolean, nullable=False),  # the media is one of the owner's (instagram_media)
    Column("captured_at", DateTime(timezone=True), nullable=False),
    *timestamps(),
)
