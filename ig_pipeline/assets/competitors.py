"""instagram_competitor_daily and instagram_competitor_media: Business Discovery snapshots of each owner's
tracked competitors (``ig-pipeline competitors add``), one row per owner, competitor and day, and each of the
competitor's newest posts with its like and comment counts as of the day.

Business Discovery answers with the present, so, like instagram_media_daily, only the day just ended or
today can be captured. It runs under the app's Platform limit: the governor spaces the calls by
``X-App-Usage``. A competitor the API refuses (unknown, personal or age-gated: error 110) is recorded in
instagram_sync_state as ``competitor:NAME`` of the owner's asking account and reported; the others carry on.
"""

from datetime import date

import dagster as dg

from ig_pipeline.assets.common import (
    API_POOL,
    API_RETRY,
    ASSET_KINDS,
    DAILY_FRESHNESS,
    GROUP,
    accounts_check_spec,
)
from ig_pipeline.assets.runner import partition_rows
from ig_pipeline.assets.targets import Target, asking_accounts, capture_day, run_targets
from ig_pipeline.clock import PipelineClock
from ig_pipeline.days import pacific_day
from ig_pipeline.graph import discovery
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.partitions import daily_partitions
from ig_pipeline.resources import TokenVault
from ig_pipeline.tracking import store
from ig_pipeline.tracking.transforms import competitor_daily_row, competitor_media_rows
from ig_pipeline.warehouse.resource import PostgresWarehouse

DAILY = "instagram_competitor_daily"
MEDIA = "instagram_competitor_media"
PREFIX = "competitor"


def competitor_targets(warehouse, tokens: TokenVault) -> tuple[list[Target], list[str]]:
    """(targets, owners skipped for want of a Facebook Login account)."""
    askers = asking_accounts(warehouse, tokens)
    with warehouse.transaction() as conn:
        tracked = store.competitors(conn)
    targets = [Target(askers[owner], name) for owner, name in tracked if owner in askers]
    return targets, sorted({owner for owner, _ in tracked if owner not in askers})


@dg.multi_asset(
    specs=[dg.AssetSpec(DAILY, kinds=ASSET_KINDS, group_name=GROUP, freshness_policy=DAILY_FRESHNESS,
                        description="Competitors' public profile counts per owner and day (Business Discovery)."),
           dg.AssetSpec(MEDIA, kinds=ASSET_KINDS, group_name=GROUP, freshness_policy=DAILY_FRESHNESS,
                        description="Competitors' newest posts with like/comment counts as of the day.")],
    partitions_def=daily_partitions, pool=API_POOL, retry_policy=API_RETRY, name="instagram_competitors",
    check_specs=[accounts_check_spec(DAILY)],
)
def instagram_competitors(context: dg.AssetExecutionContext, graph: InstagramGraphAPI,
                          warehouse: PostgresWarehouse, tokens: TokenVault, clock: PipelineClock):
    now = clock.now()
    day = capture_day(context, DAILY, pacific_day(now))
    targets, no_asker = competitor_targets(warehouse, tokens)

    async def fetch(client, target: Target, meter) -> dict[str, list[dict]]:
        account = target.account
        profile = await discovery.fetch_competitor(client, account, target.name, meter)
        return {DAILY: [competitor_daily_row(account.owner_id, account.ig_user_id, target.name, profile, day, now)],
                MEDIA: competitor_media_rows(account.owner_id, target.name, profile, day, now)}

    summary = run_targets(context, prefix=PREFIX, targets=targets, graph=graph, warehouse=warehouse, now=now,
                          fetch=fetch)
    for owner in no_asker:
        summary.warnings.append(f"owner {owner} tracks competitors but has no active Facebook Login account "
                                "(Business Discovery needs one)")
    meta = summary.metadata([DAILY, MEDIA]) | {"competitors": len(targets)}
    yield dg.MaterializeResult(asset_key=DAILY, metadata=meta | {
        "dagster/row_count": dg.MetadataValue.int(partition_rows(warehouse, DAILY, "day", day, _next(day)))})
    yield dg.MaterializeResult(asset_key=MEDIA, metadata={
        "dagster/row_count": dg.MetadataValue.int(partition_rows(warehouse, MEDIA, "day", day, _next(day)))})
    yield summary.accounts_check(dg.AssetKey(DAILY))


def _next(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)
