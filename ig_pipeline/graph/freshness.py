"""The freshness contract for media lifetime insights: which media a daily sync refreshes.

- posts younger than 30 days: every day (they change fast; fetched with the media list);
- older posts: about once a week, spread evenly over the week by a stable hash of the media id,
  so every post's numbers are at most 7 days old and each day carries ~1/7 of the back catalogue;
  a post never captured, or whose last capture is 7+ days old (a missed run), is due at once;
- posts older than two years: never (the API keeps media insights for two years);
- stories: never (they live 24 h and are captured by the intraday snapshot).
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta

from ig_pipeline.days import pacific_day
from ig_pipeline.graph.catalog import STORY
from ig_pipeline.graph.models import MediaRef

YOUNG = timedelta(days=30)  # refreshed every day (and listed with the recent media)
MAX_AGE_DAYS = 7
HORIZON = timedelta(days=730)  # the API keeps media insights this long


def weekday_slot(media_id: str) -> int:
    """0..6, stable across processes and runs (``hash()`` is salted per process; crc32 is not)."""
    return zlib.crc32(media_id.encode()) % MAX_AGE_DAYS


def due_for_refresh(media: list[tuple[MediaRef, date | None]], today: date) -> list[MediaRef]:
    """Media (with the day of their last capture, None if never) to refresh on ``today``."""
    due = []
    for ref, last in media:
        if ref.media_product_type.upper() == STORY:
            continue
        posted = pacific_day(ref.posted_at)
        if posted > today or today - posted >= HORIZON:
            continue
        young = today - posted < YOUNG
        stale = last is None or (today - last).days >= MAX_AGE_DAYS
        if young or stale or weekday_slot(ref.media_id) == today.toordinal() % MAX_AGE_DAYS:
            due.append(ref)
    return due
