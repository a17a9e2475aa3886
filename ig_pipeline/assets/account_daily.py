"""instagram_account_daily: account insights per Pacific reporting day, range-aware.

One run covers a range of days (single-run backfill policy); the client fetches time-series
metrics in ≤29-day windows and per-day totals in batches, so a 90-day backfill is a handful of
round trips per account, not 90 runs. Follower/following/media counts are a snapshot of *now*:
they are stored only on the day that just ended (yesterday, Pacific), never under older days.
"""


from datetime import date, timedelta

import dagster as dg
from sqlalchemy.engine import Connection

from ig_pipeline.assets.accounts import accounts_for_run
from ig_pipeline.assets.common import (
    API_POOL,
    API_RETRY,
    ASSET_KINDS,
    DAILY_FRESHNESS,
    GROUP,
    accounts_check_spec,
)
from ig_pipeline.assets.runner import report_rows_per_day, run_sync
from ig_pipeline.assets.selection import AccountSelection
from ig_pipeline.clock import PipelineClock
from ig_pipeline.connections import store as connections
from ig_pipeline.days import pacific_day
from ig_pipeline.graph import plans
from ig_pipeline.graph.models import FetchResult
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.partitions import daily_partitions
from ig_pipeline.resources import TokenVault
from ig_pipeline.warehouse.resource import PostgresWarehouse

SYNC_KIND = "account_daily"
TABLE = "instagram_account_daily"


def keep_account_type_current(conn: Connection, result: FetchResult) -> None:
    """BUSINESS / MEDIA_CREATOR as the API says it today (an account can switch)."""
    if result.profile.get("account_type"):
        connections.set_account_type(conn, result.account.ig_user_id, result.profile["account_type"])


@dg.asset(
    name=TABLE, partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(),
    pool=API_POOL, retry_policy=API_RETRY, kinds=ASSET_KINDS, group_name=GROUP,
    check_specs=[accounts_check_spec(TABLE)], freshness_policy=DAILY_FRESHNESS,
)
def instagram_account_daily(context: dg.AssetExecutionContext, config: AccountSelection,
                            graph: InstagramGraphAPI, warehouse: PostgresWarehouse, tokens: TokenVault,
                            clock: PipelineClock) -> dg.MaterializeResult:
    """Daily account insights (reach, views, interactions, taps by button, follows/unfollows, new
    followers) for every active account, plus the follower/following/media count snapshot."""
    now = clock.now()
    today = pacific_day(now)
    days = [date.fromisoformat(key) for key in context.partition_keys]
    unfinished = [d for d in days if d >= today]
    if unfinished:
        raise dg.Failure(
            f"{TABLE}: {unfinished[0]} is not over yet (today is {today} in Instagram's Pacific reporting "
            "time); a day's insights can be loaded once it has ended. Nothing was written.", allow_retries=False)
    yesterday = today - timedelta(days=1)
    snapshot_day = yesterday if yesterday in days else None

    accounts, skipped = accounts_for_run(context, warehouse, tokens, config, kind=SYNC_KIND, now=now)
    summary = run_sync(
        context, kind=SYNC_KIND, accounts=accounts, graph=graph, warehouse=warehouse, now=now,
        fetch=lambda client, account: plans.fetch_account_days(client, account, days, snapshot_day),
        after_write=keep_account_type_current,
    )
    in_range = report_rows_per_day(context, warehouse, TABLE, "day")
    metadata = summary.metadata([TABLE]) | {"accounts_skipped": len(skipped), "days": len(days),
                                            "rows_in_range": in_range}
    return dg.MaterializeResult(metadata=metadata, check_results=[summary.accounts_check()])
