"""The tags-and-comments job and its daily schedule (docs/comments-and-tags.md)."""

import dagster as dg

from ig_pipeline.assets.comments import instagram_media_comment
from ig_pipeline.assets.selection import batch_tags
from ig_pipeline.assets.tagged import instagram_tagged_media
from ig_pipeline.days import pacific_yesterday
from ig_pipeline.resources import PipelineOptions

engagement_job = dg.define_asset_job(
    "instagram_engagement_job", selection=[instagram_tagged_media, instagram_media_comment],
    executor_def=dg.in_process_executor,
    description="Posts tagging each account and new comments and replies on its recent posts; only today or "
                "yesterday (the API serves the present).")


@dg.schedule(job=engagement_job, cron_schedule="30 0 * * *", execution_timezone="America/Los_Angeles",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="00:30 Pacific: posts tagging each account and new comments on its recent posts, stored "
                         "under yesterday, one run per account batch (IG_DAILY_BATCHES).")
def daily_engagement_schedule(context: dg.ScheduleEvaluationContext,
                              options: PipelineOptions) -> list[dg.RunRequest]:
    yesterday = pacific_yesterday(context.scheduled_execution_time).isoformat()
    return [dg.RunRequest(run_key=f"engagement-{yesterday}-{i}", partition_key=yesterday, tags=tags)
            for i, tags in enumerate(batch_tags(options.daily_batches))]
