"""Schedules: the 30-minute snapshot, the daily sync in account batches, the weekly audience.

The daily sync is two schedules at the same minute because a schedule targets one job: account
insights run over a range of days, the media snapshot over a single day. Both split the accounts
into IG_DAILY_BATCHES runs (tag ig/batch) so a run launcher can spread them over machines.
"""


from datetime import timedelta

import dagster as dg

from ig_pipeline.assets.selection import batch_tags
from ig_pipeline.automation.jobs import (
    account_daily_job,
    audience_job,
    intraday_job,
    media_daily_job,
    report_job,
)
from ig_pipeline.days import pacific_yesterday
from ig_pipeline.partitions import intraday_key, range_tags
from ig_pipeline.resources import PipelineOptions


@dg.schedule(job=intraday_job, cron_schedule="*/30 * * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Every 30 minutes: the snapshot of the window that starts at the tick (counts, recent "
                         "posts, live stories). A missed window cannot be taken later.")
def intraday_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Capture the window that starts at this tick."""
    key = intraday_key(context.scheduled_execution_time)
    return dg.RunRequest(run_key=key, partition_key=key)


@dg.schedule(job=account_daily_job, cron_schedule="15 0 * * *", execution_timezone="America/Los_Angeles",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="00:15 Pacific: account insights of yesterday and the IG_RESTATEMENT_DAYS before it "
                         "(Instagram restates recent days), one run per account batch (IG_DAILY_BATCHES).")
def daily_account_insights_schedule(context: dg.ScheduleEvaluationContext,
                                    options: PipelineOptions) -> list[dg.RunRequest]:
    """Just after Pacific midnight: yesterday plus the restatement window (IG_RESTATEMENT_DAYS before it),
    one run per account batch, each covering the whole range (Instagram restates the last 48 h)."""
    yesterday = pacific_yesterday(context.scheduled_execution_time)
    first = yesterday - timedelta(days=options.restatement_days)
    return [dg.RunRequest(run_key=f"account-daily-{yesterday}-{i}",
                          tags=tags | range_tags(first.isoformat(), yesterday.isoformat()))
            for i, tags in enumerate(batch_tags(options.daily_batches))]


@dg.schedule(job=media_daily_job, cron_schedule="15 0 * * *", execution_timezone="America/Los_Angeles",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="00:15 Pacific: media posted yesterday and the lifetime-insights snapshot of every post, "
                         "one run per account batch.")
def daily_media_schedule(context: dg.ScheduleEvaluationContext, options: PipelineOptions) -> list[dg.RunRequest]:
    """Just after Pacific midnight: media posted yesterday and the lifetime-insights snapshot, per batch."""
    yesterday = pacific_yesterday(context.scheduled_execution_time).isoformat()
    return [dg.RunRequest(run_key=f"media-daily-{yesterday}-{i}", partition_key=yesterday, tags=tags)
            for i, tags in enumerate(batch_tags(options.daily_batches))]


DAILY_SYNC_SCHEDULES = (daily_account_insights_schedule, daily_media_schedule)


@dg.schedule(job=audience_job, cron_schedule="30 1 * * 1", execution_timezone="America/Los_Angeles",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Mondays 01:30 Pacific: audience demographics and online followers (they change slowly).")
def weekly_audience_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"audience-{context.scheduled_execution_time:%Y-%m-%d}")


@dg.schedule(job=report_job, cron_schedule="0 7 * * *", execution_timezone="America/Los_Angeles",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="07:00 Pacific, after the daily sync: the per-account charts (instagram_report).")
def daily_report_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """After the daily sync has loaded yesterday."""
    return dg.RunRequest(run_key=f"report-{context.scheduled_execution_time:%Y-%m-%d}")
