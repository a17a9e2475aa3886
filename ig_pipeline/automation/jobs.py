"""Asset jobs: what schedules, sensors and people launch."""

import dagster as dg

from ig_pipeline.partitions import daily_partitions, intraday_partitions

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"

account_daily_job = dg.define_asset_job(
    "instagram_account_daily_job", selection=["instagram_account_daily"], partitions_def=daily_partitions,
    description="Account insights for a day or a range of days (one run per range).")

media_job = dg.define_asset_job(
    "instagram_media_job", selection=["instagram_media"], partitions_def=daily_partitions,
    description="Media metadata posted in a day or a range of days.")

media_daily_job = dg.define_asset_job(
    "instagram_media_daily_job", selection=["instagram_media", "instagram_media_daily"],
    partitions_def=daily_partitions,
    description="Yesterday's (or today's) media list and lifetime insights snapshot.")

intraday_job = dg.define_asset_job(
    "instagram_intraday_job", selection=["instagram_account_intraday", "instagram_media_intraday"],
    partitions_def=intraday_partitions, description="The 30-minute snapshot of counts, recent posts and stories.")

audience_job = dg.define_asset_job(
    "instagram_audience_job", selection=["instagram_account_demographics", "instagram_online_followers"],
    description="Demographics and online followers by hour.")


def range_tags(start: str, end: str) -> dict[str, str]:
    """Tags that make one run cover a partition range (single-run backfill policy)."""
    return {RANGE_START: start, RANGE_END: end}

report_job = dg.define_asset_job(
    "instagram_report_job", selection=["instagram_report"],
    description="Per-account charts (follower growth, reach and views, top posts) from the analyst views.")
