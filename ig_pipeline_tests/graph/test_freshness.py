"""due_for_refresh: the freshness contract."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from ig_pipeline.graph.freshness import due_for_refresh, weekday_slot
from ig_pipeline.graph.models import MediaRef

TODAY = date(2026, 11, 10)


def ref(media_id: str, days_old: int, product: str = "FEED") -> MediaRef:
    posted = datetime(2026, 11, 10, 20, tzinfo=UTC) - timedelta(days=days_old)
    return MediaRef(media_id, "IMAGE", product, posted)


def test_young_posts_every_day_stories_and_ancient_never():
    media = [(ref("young", 3), TODAY - timedelta(days=1)), (ref("story", 0, "STORY"), None),
             (ref("ancient", 800), None)]
    assert [m.media_id for m in due_for_refresh(media, TODAY)] == ["young"]


def test_never_captured_or_stale_posts_are_due_at_once():
    media = [(ref("never", 100), None), (ref("stale", 100), TODAY - timedelta(days=7))]
    assert {m.media_id for m in due_for_refresh(media, TODAY)} == {"never", "stale"}


def test_older_posts_spread_over_the_week_and_never_older_than_seven_days():
    media = [ref(f"1790000000{i:05d}", 40 + i % 300) for i in range(700)]
    last = {m.media_id: None for m in media}
    per_day = []
    for offset in range(28):
        today = TODAY + timedelta(days=offset)
        due = due_for_refresh([(m, last[m.media_id]) for m in media], today)
        for m in due:
            last[m.media_id] = today
        if offset >= 7:
            per_day.append(len(due))
            assert all((today - day).days < 7 for day in last.values())
    assert max(per_day) < 700 / 7 * 1.4 and min(per_day) > 700 / 7 * 0.6  # even spread


def test_slot_is_stable():
    assert weekday_slot("17900000000000001") == weekday_slot("17900000000000001")
    assert Counter(weekday_slot(str(i)) for i in range(7000)).most_common()[-1][1] > 800
