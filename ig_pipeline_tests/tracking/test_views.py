"""What ig_competitor_benchmark and ig_hashtag_performance compute from known rows (the truth suite checks
that they show the truth; this checks the arithmetic: last snapshot of the week, growth, cadence, medians
without hidden like counts, engagement per follower, own posts' ranks)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.upsert import bulk_upsert

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)
MON, NEXT_MON = date(2026, 11, 23), date(2026, 11, 30)


def _load(warehouse, table, rows):
    with warehouse.transaction() as conn:
        bulk_upsert(conn, schema.metadata.tables[table], rows)


def _rival_day(day, followers):
    return {"owner_id": "o", "username": "rival", "day": day, "competitor_ig_id": "9", "ig_user_id": "1",
            "followers_count": followers, "captured_at": AT}


def _rival_post(media_id, day, posted_day, likes, comments):
    return {"owner_id": "o", "media_id": media_id, "day": day, "username": "rival", "posted_day": posted_day,
            "like_count": likes, "comments_count": comments, "captured_at": AT}


def test_competitor_benchmark_by_week(warehouse):
    _load(warehouse, "instagram_connection", [{"ig_user_id": "1", "owner_id": "o", "login_type": "facebook",
                                               "username": "me", "status": "active"}])
    _load(warehouse, "instagram_account_daily", [
        {"ig_user_id": "1", "day": MON, "owner_id": "o", "followers_count": 100},
        {"ig_user_id": "1", "day": date(2026, 11, 29), "owner_id": "o", "followers_count": 110}])
    _load(warehouse, "instagram_media", [
        {"media_id": "m1", "owner_id": "o", "ig_user_id": "1", "media_product_type": "FEED", "posted_day": MON,
         "like_count": 10, "comments_count": 1},
        {"media_id": "s1", "owner_id": "o", "ig_user_id": "1", "media_product_type": "STORY", "posted_day": MON}])
    _load(warehouse, "instagram_competitor_daily", [_rival_day(MON, 1000), _rival_day(date(2026, 11, 26), 1040),
                                                    _rival_day(NEXT_MON, 1100)])
    _load(warehouse, "instagram_competitor_media", [
        _rival_post("r1", MON, MON, 50, 5), _rival_post("r1", NEXT_MON, MON, 80, 8),  # newest counts win
        _rival_post("r2", NEXT_MON, date(2026, 11, 25), None, 4),  # hidden likes: out of the medians
        _rival_post("r3", NEXT_MON, date(2026, 11, 27), 20, 2)])
    with warehouse.transaction() as conn:
        rows = {(r.account_kind, r.week): r for r in conn.execute(sa.text("SELECT * FROM ig_competitor_benchmark"))}
    own = rows[("own", MON)]
    assert (own.username, own.account_id, own.followers_count, own.posts, own.median_likes) == ("me", "1", 110, 1, 10)
    assert own.follower_growth is None and own.engagement_per_follower == 11 / 110
    week = rows[("competitor", MON)]
    assert (week.followers_count, week.follower_growth, week.posts) == (1040, None, 3)
    assert week.median_likes == 50 and week.median_comments == 4  # likes of r1 (80) and r3 (20); r2 hidden
    assert week.engagement_per_follower == 55 / 1040  # median of 88 and 22 (r2 has no like count)
    after = rows[("competitor", NEXT_MON)]
    assert (after.followers_count, after.follower_growth, after.posts, after.median_likes) == (1100, 60, 0, None)


def test_hashtag_performance_per_day(warehouse):
    def row(kind, media, rank, likes, own=False):
        return {"owner_id": "o", "hashtag": "coffee", "day": MON, "list_kind": kind, "media_id": media,
                "ig_user_id": "1", "hashtag_id": "h", "rank": rank, "like_count": likes, "comments_count": 1,
                "is_own_post": own, "captured_at": AT}

    _load(warehouse, "instagram_hashtag_media", [
        row("top", "a", 1, 100), row("top", "b", 2, 9, own=True), row("top", "c", 3, None),
        row("recent", "b", 4, 9, own=True), row("recent", "d", 1, 3)])
    with warehouse.transaction() as conn:
        perf = conn.execute(sa.text("SELECT * FROM ig_hashtag_performance")).one()
    assert (perf.posts_seen, perf.top_posts, perf.recent_posts, perf.own_posts_seen) == (4, 3, 2, 1)
    assert (perf.best_own_top_rank, perf.best_own_recent_rank) == (2, 4)
    assert perf.median_engagement == 10  # 101, 10, 10, 4 → median 10 (c's hidden likes left out)
