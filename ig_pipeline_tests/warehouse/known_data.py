"""A small hand-made warehouse data set (two tenants) whose view results are worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.table_partitions import ensure_partitions, month_start
from ig_pipeline.warehouse.upsert import bulk_upsert


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


NOW = datetime.now(UTC)


@pytest.fixture
def known_data(warehouse):
    a, b = "owner-a", "owner-b"
    rows = {
        schema.instagram_connection: [
            {"ig_user_id": "A1", "owner_id": a, "login_type": "facebook", "username": "alpha", "status": "active",
             "token_encrypted": b"secret-a"},
            {"ig_user_id": "A2", "owner_id": a, "login_type": "instagram", "username": "alpha2",
             "status": "needs_reauth", "token_encrypted": b"secret-a2"},
            {"ig_user_id": "B1", "owner_id": b, "login_type": "facebook", "username": "beta", "status": "active",
             "token_encrypted": b"secret-b"},
        ],
        schema.instagram_account_daily: [
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 1), "reach": 100, "views": 300,
             "total_interactions": 10, "new_followers": 5, "follows": 6, "unfollows": 1,
             "followers_count": 1000, "counts_captured_at": utc(2026, 11, 2, 9),
             # re-pulled in a later restatement window: fetched after day 3's counts were captured
             "fetched_at": utc(2026, 11, 5, 9)},
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 2), "reach": 200, "views": 500,
             "total_interactions": 30, "new_followers": 8, "follows": 9, "unfollows": 2},
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 3), "reach": 0, "views": 50,
             "total_interactions": 0, "followers_count": 1010, "counts_captured_at": utc(2026, 11, 4, 9),
             "fetched_at": utc(2026, 11, 4, 9)},
            {"ig_user_id": "B1", "owner_id": b, "day": date(2026, 11, 1), "reach": 7, "views": 7,
             "total_interactions": 7, "followers_count": 70, "counts_captured_at": utc(2026, 11, 2, 9),
             "fetched_at": utc(2026, 11, 2, 9)},
        ],
        schema.instagram_account_intraday: [
            # Pacific 11-02 12:00, 15:00 and 23:30: the last one is that day's closing count.
            {"ig_user_id": "A1", "owner_id": a, "captured_at": utc(2026, 11, 2, 20), "followers_count": 1004},
            {"ig_user_id": "A1", "owner_id": a, "captured_at": utc(2026, 11, 2, 23), "followers_count": 1006},
            {"ig_user_id": "A1", "owner_id": a, "captured_at": utc(2026, 11, 3, 7, 30), "followers_count": 1007},
            {"ig_user_id": "B1", "owner_id": b, "captured_at": utc(2026, 11, 2, 20), "followers_count": 71},
        ],
        schema.instagram_media: [
            _media("P1", a, "A1", "FEED", utc(2026, 10, 5, 18)),
            _media("P2", a, "A1", "REELS", utc(2026, 10, 20, 18)),
            _media("P3", a, "A1", "FEED", utc(2026, 11, 1, 18)),
            _media("S1", a, "A1", "STORY", utc(2026, 11, 2, 10)) | {"story_expires_at": utc(2026, 11, 3, 10)},
            _media("S2", a, "A1", "STORY", utc(2026, 11, 2, 12)) | {"story_expires_at": utc(2026, 11, 3, 12)},
            _media("Q1", b, "B1", "FEED", utc(2026, 10, 5, 18)),
        ],
        schema.instagram_media_daily: [
            _media_metrics("P1", a, "A1", utc(2026, 11, 2, 9), 50, 5) | {"day": date(2026, 11, 1)},
            _media_metrics("P1", a, "A1", utc(2026, 11, 3, 9), 80, 8) | {"day": date(2026, 11, 2)},
            _media_metrics("P2", a, "A1", utc(2026, 11, 3, 9), 400, 40) | {"day": date(2026, 11, 2)},
            _media_metrics("Q1", b, "B1", utc(2026, 11, 3, 9), 1, 1) | {"day": date(2026, 11, 2)},
        ],
        schema.instagram_media_intraday: [
            _media_metrics("P1", a, "A1", utc(2026, 11, 3, 10), 90, 9),
            _media_metrics("S1", a, "A1", utc(2026, 11, 2, 12), 10, 1) | {"replies": 1},
            _media_metrics("S1", a, "A1", utc(2026, 11, 3, 9, 30), 20, 2) | {"replies": 2},
            _media_metrics("S1", a, "A1", utc(2026, 11, 3, 11), 99, 9) | {"replies": 9},  # after expiry
            _media_metrics("Q1", b, "B1", utc(2026, 11, 3, 10), 2, 2),
        ],
        schema.instagram_story_insights: [
            {"media_id": "S2", "owner_id": a, "ig_user_id": "A1", "received_at": utc(2026, 11, 3, 12),
             "reach": 30, "views": -1, "replies": 3, "payload": {"media_id": "S2"}},
            {"media_id": "T1", "owner_id": b, "ig_user_id": "B1", "received_at": utc(2026, 11, 3, 12),
             "reach": 5, "payload": {"media_id": "T1"}},
        ],
        schema.instagram_online_followers: [
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 2), "hour": 9, "value": 100},
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 2), "hour": 10, "value": 50},
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 9), "hour": 9, "value": 200},
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 4), "hour": 9, "value": None},
            {"ig_user_id": "B1", "owner_id": b, "day": date(2026, 11, 2), "hour": 9, "value": 5},
        ],
        schema.instagram_account_demographics: [
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 2), "metric": "follower_demographics",
             "timeframe": "this_month", "breakdown": "country", "dimension_value": "US", "value": 10},
            {"ig_user_id": "B1", "owner_id": b, "day": date(2026, 11, 2), "metric": "follower_demographics",
             "timeframe": "this_month", "breakdown": "country", "dimension_value": "FR", "value": 3},
        ],
        schema.instagram_sync_state: [
            {"ig_user_id": "A1", "sync_kind": "account_daily", "owner_id": a, "last_success_at": NOW - timedelta(hours=1),
             "consecutive_failures": 0},
            {"ig_user_id": "A1", "sync_kind": "media", "owner_id": a, "last_success_at": NOW - timedelta(hours=5),
             "consecutive_failures": 2, "failing_since": NOW - timedelta(hours=3), "last_error_class": "transient"},
            {"ig_user_id": "B1", "sync_kind": "account_daily", "owner_id": b, "last_success_at": NOW - timedelta(hours=40),
             "consecutive_failures": 0},
        ],
    }
    with warehouse.transaction() as conn:
        for table in schema.INTRADAY_TABLES:
            ensure_partitions(conn, table.name, [month_start(date(2026, 11, 1))])
        for table, table_rows in rows.items():
            bulk_upsert(conn, table, table_rows)
    return warehouse


def _media(media_id, owner, account, product, posted_at) -> dict:
    pacific_day = (posted_at - timedelta(hours=8)).date()
    return {"media_id": media_id, "owner_id": owner, "ig_user_id": account, "media_product_type": product,
            "media_type": "IMAGE", "posted_at": posted_at, "posted_day": pacific_day}


def _media_metrics(media_id, owner, account, captured_at, reach, interactions) -> dict:
    return {"media_id": media_id, "owner_id": owner, "ig_user_id": account, "captured_at": captured_at,
            "reach": reach, "total_interactions": interactions}
