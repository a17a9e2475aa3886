"""The demo's tags and comments: the engagement job for yesterday after the daily sync, so
``ig-pipeline demo --once`` fills instagram_tagged_media, instagram_media_comment and ig_comment_summary."""

from __future__ import annotations

from datetime import UTC, datetime

from ig_pipeline.days import pacific_yesterday
from ig_pipeline.demo.backfill import Say, _execute


def engagement(say: Say) -> bool:
    yesterday = pacific_yesterday(datetime.now(UTC)).isoformat()
    return _execute("instagram_engagement_job", f"tagged media and comments for {yesterday}", say,
                    partition_key=yesterday)
