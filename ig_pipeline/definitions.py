"""The Dagster code location: assets, checks, jobs, schedules, sensors and resources.

``make_definitions(resources)`` lets tests swap resources (simulator URL, test database, a
fixed clock); ``defs`` is what `dagster dev` / `dg` load. Every resource is configured from the
environment in ig_pipeline/resources.py.
"""

from __future__ import annotations

import os

import dagster as dg

from ig_pipeline.alerting.sensors import run_failure_alert_sensor, stale_sync_sensor
from ig_pipeline.assets.account_daily import instagram_account_daily
from ig_pipeline.assets.audience import instagram_audience
from ig_pipeline.assets.checks import valid_rows_checks
from ig_pipeline.assets.comments import instagram_media_comment
from ig_pipeline.assets.competitors import instagram_competitors
from ig_pipeline.assets.coverage_checks import coverage_checks
from ig_pipeline.assets.hashtags import instagram_hashtag_media
from ig_pipeline.assets.intraday import instagram_intraday_snapshot
from ig_pipeline.assets.media import instagram_media
from ig_pipeline.assets.media_daily import instagram_media_daily
from ig_pipeline.assets.report import instagram_report
from ig_pipeline.assets.tagged import instagram_tagged_media
from ig_pipeline.automation.engagement import daily_engagement_schedule, engagement_job
from ig_pipeline.automation.jobs import (
    account_daily_job,
    audience_job,
    intraday_job,
    media_daily_job,
    media_job,
    report_job,
)
from ig_pipeline.automation.new_connections import new_connection_sensor
from ig_pipeline.automation.schedules import (
    DAILY_SYNC_SCHEDULES,
    daily_report_schedule,
    intraday_schedule,
    weekly_audience_schedule,
)
from ig_pipeline.automation.tracking import daily_tracking_schedule, tracking_job
from ig_pipeline.automation.upkeep import upkeep_job, upkeep_schedule
from ig_pipeline.config import ConfigError
from ig_pipeline.resources import default_resources

DEFAULT_OWNERS = "team:instagram-analytics"


def asset_owners(env=None) -> list[str]:
    """IG_ASSET_OWNERS: comma-separated emails or team:NAME, shown as every asset's owners in the UI."""
    raw = (os.environ if env is None else env).get("IG_ASSET_OWNERS", "").strip() or DEFAULT_OWNERS
    owners = [o.strip() for o in raw.split(",") if o.strip()]
    bad = [o for o in owners if not (o.startswith("team:") and len(o) > 5) and "@" not in o]
    if bad:
        raise ConfigError(f"IG_ASSET_OWNERS: {', '.join(bad)} is neither an email nor team:NAME")
    return owners


def make_definitions(resources: dict | None = None) -> dg.Definitions:
    owners = asset_owners()
    assets = [instagram_account_daily, instagram_media, instagram_media_daily, instagram_intraday_snapshot,
              instagram_audience, instagram_report, instagram_tagged_media, instagram_media_comment,
              instagram_competitors, instagram_hashtag_media]
    return dg.Definitions(
        assets=dg.map_asset_specs(lambda spec: spec.replace_attributes(owners=owners), assets),
        asset_checks=[*valid_rows_checks, *coverage_checks],
        jobs=[account_daily_job, media_job, media_daily_job, intraday_job, audience_job, report_job, upkeep_job,
              engagement_job, tracking_job],
        schedules=[intraday_schedule, *DAILY_SYNC_SCHEDULES, weekly_audience_schedule, upkeep_schedule,
                   daily_report_schedule, daily_engagement_schedule, daily_tracking_schedule],
        sensors=[new_connection_sensor, run_failure_alert_sensor, stale_sync_sensor],
        resources=default_resources() | (resources or {}),
        executor=dg.in_process_executor,  # also for materializations started from the UI (automation/jobs.py)
    )


defs = make_definitions()
