"""instagram_media: media metadata, partitioned by the Pacific day the media was posted.

A run lists each account's media posted in its day range (``since``/``until``), upserts what
it finds (caption edits and counts included) and marks media of that range that the API no
longer lists as deleted (``deleted_at``), never removing rows. Stories are not listed by
``/media`` (they come from the intraday snapshot) and are never marked deleted here.
"""


from datetime import datetime

import dagster as dg
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ig_pipeline.assets.accounts import accounts_for_run
from ig_pipeline.assets.common import API_POOL, API_RETRY, ASSET_KINDS, GROUP, accounts_check_spec
from ig_pipeline.assets.runner import report_rows_per_day, run_sync
from ig_pipeline.assets.selection import AccountSelection
from ig_pipeline.clock import PipelineClock
from ig_pipeline.graph import plans
from ig_pipeline.graph.models import FetchResult
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.partitions import daily_partitions
from ig_pipeline.resources import TokenVault
from ig_pipeline.warehouse.resource import PostgresWarehouse

SYNC_KIND = "media"
TABLE = "instagram_media"

_MARK_DELETED = text("""
UPDATE instagram_media SET deleted_at = :now
WHERE ig_user_id = :ig_user_id AND posted_at >= :since AND posted_at < :until AND deleted_at IS NULL
  AND media_product_type IS DISTINCT FROM 'STORY' AND NOT (media_id = ANY(:seen))
""")
_UNDELETE = text("UPDATE instagram_media SET deleted_at = NULL "
                 "WHERE media_id = ANY(:seen) AND deleted_at IS NOT NULL")


def reconcile_deleted(conn: Connection, result: FetchResult, since: datetime, until: datetime,
                      now: datetime) -> int:
    """Mark media of the listed range that the API did not return as deleted; revive returned ones."""
    seen = [m.media_id for m in result.media]
    conn.execute(_UNDELETE, {"seen": seen})
    return conn.execute(_MARK_DELETED, {"now": now, "ig_user_id": result.account.ig_user_id, "since": since,
                                        "until": until, "seen": seen}).rowcount


@dg.asset(
    name=TABLE, partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(),
    pool=API_POOL, retry_policy=API_RETRY, kinds=ASSET_KINDS, group_name=GROUP,
    check_specs=[accounts_check_spec(TABLE)],
)
def instagram_media(context: dg.AssetExecutionContext, config: AccountSelection, graph: InstagramGraphAPI,
                    warehouse: PostgresWarehouse, tokens: TokenVault, clock: PipelineClock) -> dg.MaterializeResult:
    """Posts, reels and carousels (with children) posted in the partition's days."""
    now = clock.now()
    window = context.partition_time_window
    since, until = window.start, min(window.end, now)
    if since >= now:
        raise dg.Failure(f"{TABLE}: {context.partition_key_range.start} has not started yet; nothing to list.",
                         allow_retries=False)
    deleted = 0

    def after_write(conn: Connection, result: FetchResult) -> None:
        nonlocal deleted
        deleted += reconcile_deleted(conn, result, since, until, now)

    accounts, skipped = accounts_for_run(context, warehouse, tokens, config, kind=SYNC_KIND, now=now)
    summary = run_sync(
        context, kind=SYNC_KIND, accounts=accounts, graph=graph, warehouse=warehouse, now=now,
        fetch=lambda client, account: plans.fetch_media_list(client, account, since, until),
        after_write=after_write,
    )
    in_range = report_rows_per_day(context, warehouse, TABLE, "posted_day")
    metadata = summary.metadata([TABLE]) | {"rows_in_range": in_range, "accounts_skipped": len(skipped), "media_marked_deleted": deleted}
    return dg.MaterializeResult(metadata=metadata, check_results=[summary.accounts_check()])
