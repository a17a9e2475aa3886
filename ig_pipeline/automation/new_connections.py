"""New connection → its history backfill. Light: one indexed query per tick, cursor = last seen.

A connection counts as new when it connected after the cursor (the epoch at first) and has had
no successful account_daily sync since it connected: so on a first deployment every existing
account is backfilled once, and an account the demo (or a person) already backfilled is not.
"""


from datetime import date, datetime, timedelta

import dagster as dg

from ig_pipeline.assets.selection import ACCOUNTS_TAG
from ig_pipeline.automation.jobs import account_daily_job, media_daily_job, media_job
from ig_pipeline.clock import PipelineClock
from ig_pipeline.connections import store as connections
from ig_pipeline.days import pacific_day
from ig_pipeline.partitions import DAILY_START, range_tags
from ig_pipeline.resources import PipelineOptions
from ig_pipeline.warehouse.resource import PostgresWarehouse

EPOCH = "1970-01-01T00:00:00+00:00"


def backfill_requests(ig_user_id: str, today, backfill_days: int, stamp: str) -> list[dg.RunRequest]:
    """The runs that load a new account's history (each tagged with that account only); never from
    before the first daily partition (IG_DAILY_PARTITIONS_START), which no run can load."""
    yesterday = today - timedelta(days=1)
    start = max(today - timedelta(days=backfill_days), date.fromisoformat(DAILY_START)).isoformat()
    tags = {ACCOUNTS_TAG: ig_user_id}
    return [
        dg.RunRequest(run_key=f"backfill-daily-{ig_user_id}-{stamp}", job_name=account_daily_job.name,
                      tags=tags | range_tags(start, yesterday.isoformat())),
        dg.RunRequest(run_key=f"backfill-media-{ig_user_id}-{stamp}", job_name=media_job.name,
                      tags=tags | range_tags(start, yesterday.isoformat())),
        dg.RunRequest(run_key=f"backfill-insights-{ig_user_id}-{stamp}", job_name=media_daily_job.name,
                      partition_key=yesterday.isoformat(), tags=tags),
    ]


@dg.sensor(jobs=[account_daily_job, media_job, media_daily_job], minimum_interval_seconds=30,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="When an account connects or reconnects: three runs load its last IG_BACKFILL_DAYS "
                       "(account insights, media, the media insights snapshot), tagged with that account only.")
def new_connection_sensor(context: dg.SensorEvaluationContext, warehouse: PostgresWarehouse,
                          options: PipelineOptions, clock: PipelineClock):
    """When an account connects (or reconnects after a disconnect), backfill IG_BACKFILL_DAYS of history."""
    cursor = context.cursor or EPOCH
    with warehouse.transaction() as conn:
        new = connections.new_since(conn, datetime.fromisoformat(cursor))
    if not new:
        return dg.SkipReason("no new connections")
    today = pacific_day(clock.now())
    requests = []
    for row in new:
        requests += backfill_requests(row.ig_user_id, today, options.backfill_days,
                                      row.connected_at.isoformat())
    context.update_cursor(new[-1].connected_at.isoformat())
    return dg.SensorResult(run_requests=requests)
