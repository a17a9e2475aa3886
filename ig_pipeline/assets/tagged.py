"""instagram_tagged_media: other accounts' posts that tag a connected account, as seen on a day.

``GET /{ig-user-id}/tags`` answers with the present (its counts are as of now), so, like the media
snapshot, a partition can be captured only on its own Pacific day or the morning after; an older
day is refused instead of storing today's view under it. One account's error is recorded in
instagram_sync_state (kind ``tagged_media``) and reported; the others carry on.
"""

from datetime import date, timedelta

import dagster as dg

from ig_pipeline.assets.accounts import accounts_for_run
from ig_pipeline.assets.common import (
    API_POOL,
    API_RETRY,
    ASSET_KINDS,
    DAILY_FRESHNESS,
    GROUP,
    accounts_check_spec,
)
from ig_pipeline.assets.runner import run_sync
from ig_pipeline.assets.selection import AccountSelection
from ig_pipeline.clock import PipelineClock
from ig_pipeline.days import pacific_day
from ig_pipeline.graph import engagement
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.partitions import daily_partitions
from ig_pipeline.resources import TokenVault
from ig_pipeline.warehouse.resource import PostgresWarehouse

SYNC_KIND = "tagged_media"
TABLE = "instagram_tagged_media"


def capture_day(context: dg.AssetExecutionContext, table: str, today: date) -> date:
    """The one partition day a snapshot of the present may be stored under, or a non-retried Failure."""
    keys = context.partition_keys
    if len(keys) > 1:
        raise dg.Failure(description=f"{table} is a snapshot taken one day at a time; got {len(keys)} days "
                                     f"({keys[0]} … {keys[-1]}). Nothing was written.", allow_retries=False)
    day = date.fromisoformat(keys[0])
    if day > today:
        raise dg.Failure(description=f"{table}: {day} has not begun yet (today is {today}, Pacific).",
                         allow_retries=False)
    if day < today - timedelta(days=1):
        raise dg.Failure(description=f"{table}: {day} is in the past; the API serves only the present "
                                     f"({today}). Nothing was written: materialize today's or yesterday's "
                                     "partition instead.", allow_retries=False)
    return day


@dg.asset(
    name=TABLE, partitions_def=daily_partitions, pool=API_POOL, retry_policy=API_RETRY, kinds=ASSET_KINDS,
    group_name=GROUP, check_specs=[accounts_check_spec(TABLE)], freshness_policy=DAILY_FRESHNESS,
)
def instagram_tagged_media(context: dg.AssetExecutionContext, config: AccountSelection, graph: InstagramGraphAPI,
                           warehouse: PostgresWarehouse, tokens: TokenVault,
                           clock: PipelineClock) -> dg.MaterializeResult:
    """Posts by other accounts that tag each connected account, with the poster's username and counts."""
    now = clock.now()
    capture_day(context, TABLE, pacific_day(now))
    accounts, skipped = accounts_for_run(context, warehouse, tokens, config, kind=SYNC_KIND, now=now)
    summary = run_sync(context, kind=SYNC_KIND, accounts=accounts, graph=graph, warehouse=warehouse, now=now,
                       fetch=engagement.fetch_tagged)
    metadata = summary.metadata([TABLE]) | {"accounts_skipped": len(skipped)}
    return dg.MaterializeResult(metadata=metadata, check_results=[summary.accounts_check()])
