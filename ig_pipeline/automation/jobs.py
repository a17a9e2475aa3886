"""Asset jobs: what schedules, sensors and people launch.

Every job runs its steps in the run worker's process (``in_process_executor``): the work is API calls
and database writes driven by asyncio inside one step, so a subprocess per step (Dagster's default)
only added start-up time, about 15 s per step on a small machine, and asset checks are cheap queries.
Runs still execute in their own worker process, and pools still bound the API work instance-wide.
"""

import dagster as dg

from ig_pipeline.assets.account_daily import instagram_account_daily
from ig_pipeline.assets.audience import instagram_audience
from ig_pipeline.assets.intraday import instagram_intraday_snapshot
from ig_pipeline.assets.media import instagram_media
from ig_pipeline.assets.media_daily import instagram_media_daily
from ig_pipeline.assets.report import instagram_report

EXECUTOR = dg.in_process_executor

account_daily_job = dg.define_asset_job(
    "instagram_account_daily_job", selection=[instagram_account_daily], executor_def=EXECUTOR,
    description="Account insights for a day or a range of days (one run per range), every active account "
                "or those named by the ig/accounts or ig/batch tag.")

media_job = dg.define_asset_job(
    "instagram_media_job", selection=[instagram_media], executor_def=EXECUTOR,
    description="Media metadata (posts, reels, carousels) posted in a day or a range of days.")

media_daily_job = dg.define_asset_job(
    "instagram_media_daily_job", selection=[instagram_media, instagram_media_daily], executor_def=EXECUTOR,
    description="Yesterday's media list and the lifetime-insights snapshot of every post; only the day that "
                "just ended can be loaded (the API serves the present).")

intraday_job = dg.define_asset_job(
    "instagram_intraday_job", selection=[instagram_intraday_snapshot],
    executor_def=EXECUTOR,
    description="The 30-minute snapshot of counts, recent posts and live stories; only the current window.")

audience_job = dg.define_asset_job(
    "instagram_audience_job", selection=[instagram_audience],
    executor_def=EXECUTOR, description="Audience demographics and online followers by hour, every active account.")


report_job = dg.define_asset_job(
    "instagram_report_job", selection=[instagram_report], executor_def=EXECUTOR,
    description="Per-account charts (follower growth, reach and views, top posts) from the analyst views.")
