"""Audience tables: follower/engaged/reached demographics and online followers by hour.

Demographics are a snapshot of the last week / month (the API's ``timeframe``) and are stored
under the day they were taken; online followers come per day for the last 30 days. Weekly is
enough for both, so this asset is not partitioned and runs on a weekly schedule.
"""

from datetime import date, timedelta

import dagster as dg

from ig_pipeline.assets.accounts import accounts_for_run
from ig_pipeline.assets.common import API_POOL, API_RETRY, ASSET_KINDS, GROUP, accounts_check_spec
from ig_pipeline.assets.runner import merge_results, partition_rows, run_sync
from ig_pipeline.assets.selection import AccountSelection
from ig_pipeline.clock import PipelineClock
from ig_pipeline.days import pacific_day
from ig_pipeline.graph import plans
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.resources import TokenVault
from ig_pipeline.warehouse.resource import PostgresWarehouse

SYNC_KIND = "audience"
DEMOGRAPHICS = "instagram_account_demographics"
ONLINE = "instagram_online_followers"


@dg.multi_asset(
    specs=[dg.AssetSpec(DEMOGRAPHICS, kinds=ASSET_KINDS, group_name=GROUP,
                        description="Follower, engaged and reached audience by age, gender, country, city."),
           dg.AssetSpec(ONLINE, kinds=ASSET_KINDS, group_name=GROUP,
                        description="Followers online per hour of the day, last 30 days.")],
    pool=API_POOL, retry_policy=API_RETRY,
    check_specs=[accounts_check_spec(DEMOGRAPHICS), accounts_check_spec(ONLINE)],
    name="instagram_audience",
)
def instagram_audience(context: dg.AssetExecutionContext, config: AccountSelection, graph: InstagramGraphAPI,
                       warehouse: PostgresWarehouse, tokens: TokenVault, clock: PipelineClock):
    now = clock.now()
    today = pacific_day(now)
    accounts, skipped = accounts_for_run(context, warehouse, tokens, config, kind=SYNC_KIND, now=now)

    async def fetch(client, account):
        demographics = await plans.fetch_demographics(client, account, today)
        return merge_results(demographics, await plans.fetch_online_followers(client, account))

    summary = run_sync(context, kind=SYNC_KIND, accounts=accounts, graph=graph, warehouse=warehouse, now=now,
                       fetch=fetch)
    for table in (DEMOGRAPHICS, ONLINE):
        key = dg.AssetKey(table)
        yield dg.MaterializeResult(asset_key=key,
                                   metadata=summary.metadata([table], _rows_of_run(warehouse, table, today))
                                   | {"accounts_skipped": len(skipped)},
                                   check_results=[summary.accounts_check(key)])


def _rows_of_run(warehouse: PostgresWarehouse, table: str, today: date) -> int:
    """The rows this unpartitioned asset keeps up to date: demographics taken today, online
    followers of the 30 days the API reports."""
    first = today if table == DEMOGRAPHICS else today - timedelta(days=30)
    return partition_rows(warehouse, table, "day", first, today + timedelta(days=1))
