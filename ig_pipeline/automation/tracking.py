"""The competitor and hashtag job and its daily schedule (docs/competitors-and-hashtags.md)."""

import dagster as dg

from ig_pipeline.assets.competitors import instagram_competitors
from ig_pipeline.assets.hashtags import instagram_hashtag_media
from ig_pipeline.days import pacific_yesterday

tracking_job = dg.define_asset_job(
    "instagram_tracking_job", selection=[instagram_competitors, instagram_hashtag_media],
    executor_def=dg.in_process_executor,
    description="Tracked competitors (Business Discovery) and hashtags (top and recent media) of every owner; "
                "only today or yesterday (the API serves the present).")


@dg.schedule(job=tracking_job, cron_schedule="45 0 * * *", execution_timezone="America/Los_Angeles",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="00:45 Pacific, after the media sync (own posts are marked in hashtag lists): competitors "
                         "and hashtags, stored under yesterday.")
def daily_tracking_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    yesterday = pacific_yesterday(context.scheduled_execution_time).isoformat()
    return dg.RunRequest(run_key=f"tracking-{yesterday}", partition_key=yesterday)
