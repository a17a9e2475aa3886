"""Schedules: the 30-minute snapshot, the daily sync in account batches, the weekly audience."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from ig_pipeline.assets.selection import BATCH_TAG
from ig_pipeline.automation.jobs import (
    account_daily_job,
    audience_job,
    intraday_job,
    media_daily_job,
    range_tags,
)
from ig_pipeline.config import load_settings
from ig_pipeline.partitions import intraday_key, pacific_day


@dg.schedule(job=intraday_job, cron_schedule="*/30 * * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING)
def intraday_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Capture the window that starts at this tick."""
    key = intraday_key(context.scheduled_execution_time)
    return dg.RunRequest(run_key=key, partition_key=key)


@dg.schedule(jobs=[account_daily_job, media_daily_job], cron_schedule="15 0 * * *",
             execution_timezone="America/Los_Angeles", default_status=dg.DefaultScheduleStatus.RUNNING)
def daily_sync_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    """Just after Pacific midnight: yesterday for all accounts, plus the restatement window again.

    Split into IG_DAILY_BATCHES account batches, each its own runs, so a run launcher can spread
    them over machines. Account insights take the range in one run; media insights are a
    snapshot of yesterday.
    """
    settings = load_settings()
    yesterday = pacific_day(context.scheduled_execution_time) - timedelta(days=1)
    first = yesterday - timedelta(days=settings.restatement_days)
    requests = []
    for batch in range(settings.daily_batches):
        tags = {BATCH_TAG: f"{batch}/{settings.daily_batches}"} if settings.daily_batches > 1 else {}
        requests.append(dg.RunRequest(
            run_key=f"account-daily-{yesterday}-{batch}", job_name=account_daily_job.name,
            tags=tags | range_tags(first.isoformat(), yesterday.isoformat())))
        requests.append(dg.RunRequest(
            run_key=f"media-daily-{yesterday}-{batch}", job_name=media_daily_job.name,
            partition_key=yesterday.isoformat(), tags=tags))
    return requests


@dg.schedule(job=audience_job, cron_schedule="30 1 * * 1", execution_timezone="America/Los_Angeles",
             default_status=dg.DefaultScheduleStatus.RUNNING)
def weekly_audience_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"audience-{context.scheduled_execution_time:%Y-%m-%d}")
