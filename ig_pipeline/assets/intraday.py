"""instagram_account_intraday + instagram_media_intraday: the 30-minute snapshot.

One call plan per account fills both tables: follower/following/media counts, the latest posts
and every live story with its insights, so a story's last numbers survive its 24 hours. Rows
are keyed by the window's start (``captured_at``), so re-running a window overwrites it rather
than adding rows. Only the window in progress (or one that ended minutes ago) can be captured:
a past window cannot be reconstructed and is refused.
"""


from datetime import datetime, timedelta

import dagster as dg

from ig_pipeline.assets.accounts import accounts_for_run
from ig_pipeline.assets.common import API_POOL, ASSET_KINDS, GROUP, INTRADAY_FRESHNESS, accounts_check_spec
from ig_pipeline.assets.runner import partition_rows, run_sync
from ig_pipeline.assets.selection import AccountSelection
from ig_pipeline.clock import PipelineClock
from ig_pipeline.graph import plans
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.partitions import intraday_partitions
from ig_pipeline.resources import TokenVault
from ig_pipeline.warehouse.resource import PostgresWarehouse

SYNC_KIND = "intraday"
ACCOUNT_TABLE = "instagram_account_intraday"
MEDIA_TABLE = "instagram_media_intraday"
GRACE = timedelta(minutes=10)  # a queued run may start a little after its window ends
RECENT_POSTS = 10


def refusal(start: datetime, end: datetime, now: datetime) -> str | None:
    if now < start:
        return f"intraday window {start:%Y-%m-%d %H:%M} UTC has not begun yet (now {now:%Y-%m-%d %H:%M} UTC)."
    if now >= end + GRACE:
        return (f"intraday window {start:%Y-%m-%d %H:%M} UTC is over. A 30-minute snapshot can only be taken "
                f"during its window (now {now:%Y-%m-%d %H:%M} UTC); the API cannot say what the counts were "
                "then, so nothing was written.")
    return None


@dg.multi_asset(
    specs=[dg.AssetSpec(ACCOUNT_TABLE, kinds=ASSET_KINDS, group_name=GROUP, freshness_policy=INTRADAY_FRESHNESS,
                        description="Follower/following/media counts every 30 minutes."),
           dg.AssetSpec(MEDIA_TABLE, kinds=ASSET_KINDS, group_name=GROUP, freshness_policy=INTRADAY_FRESHNESS,
                        description="Latest posts and live stories with their insights every 30 minutes.")],
    partitions_def=intraday_partitions, pool=API_POOL, retry_policy=dg.RetryPolicy(max_retries=1, delay=10),
    check_specs=[accounts_check_spec(ACCOUNT_TABLE), accounts_check_spec(MEDIA_TABLE)],
    name="instagram_intraday_snapshot",
)
def instagram_intraday_snapshot(context: dg.AssetExecutionContext, config: AccountSelection,
                                graph: InstagramGraphAPI, warehouse: PostgresWarehouse, tokens: TokenVault,
                                clock: PipelineClock):
    now = clock.now()
    window = context.partition_time_window
    reason = refusal(window.start, window.end, now)
    if reason:
        raise dg.Failure(description=reason, allow_retries=False)

    accounts, skipped = accounts_for_run(context, warehouse, tokens, config, kind=SYNC_KIND, now=now)
    summary = run_sync(
        context, kind=SYNC_KIND, accounts=accounts, graph=graph, warehouse=warehouse, now=now,
        fetch=lambda client, account: plans.fetch_intraday(client, account, captured_at=window.start,
                                                           recent_n=RECENT_POSTS),
    )
    for table, extra in ((ACCOUNT_TABLE, []), (MEDIA_TABLE, ["instagram_media"])):
        key = dg.AssetKey(table)
        rows = partition_rows(warehouse, table, "captured_at", window.start, window.end)
        yield dg.MaterializeResult(
            asset_key=key, metadata=summary.metadata([table, *extra], rows) | {"accounts_skipped": len(skipped)},
            check_results=[summary.accounts_check(key)])
