"""instagram_media_comment: comments and replies on the connected accounts' recent posts, incremental.

Each run lists the posts of the last 30 days with their ``comments_count`` and reads the comments of
only those whose count changed since the account's last successful run (the cursor, media id ->
count, in instagram_sync_state, kind ``comments``, written in the same transaction as the rows).
Comment text is personal data: ``IG_COMMENT_TEXT=off`` stores NULL text, ``IG_COMMENT_RETENTION_DAYS``
bounds how long rows are kept (docs/comments-and-tags.md). Same one-day snapshot rule as the tags.
"""

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
from ig_pipeline.assets.runner import run_sync
from ig_pipeline.assets.selection import AccountSelection
from ig_pipeline.assets.tagged import capture_day
from ig_pipeline.clock import PipelineClock
from ig_pipeline.days import pacific_day
from ig_pipeline.graph import engagement
from ig_pipeline.graph.models import FetchResult
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.partitions import daily_partitions
from ig_pipeline.resources import PipelineOptions, TokenVault
from ig_pipeline.warehouse.resource import PostgresWarehouse
from ig_pipeline.warehouse.sync_state import load_cursors, save_cursor

SYNC_KIND = "comments"
TABLE = "instagram_media_comment"


@dg.asset(
    name=TABLE, partitions_def=daily_partitions, deps=["instagram_media"], pool=API_POOL,
    retry_policy=API_RETRY, kinds=ASSET_KINDS, group_name=GROUP, check_specs=[accounts_check_spec(TABLE)],
    freshness_policy=DAILY_FRESHNESS,
)
def instagram_media_comment(context: dg.AssetExecutionContext, config: AccountSelection,
                            graph: InstagramGraphAPI, warehouse: PostgresWarehouse, tokens: TokenVault, options: PipelineOptions,
                            clock: PipelineClock) -> dg.MaterializeResult:
    """New and changed comments and replies on posts of the last 30 days (only posts whose count moved)."""
    now = clock.now()
    capture_day(context, TABLE, pacific_day(now))
    keep_text = options.comment_text
    accounts, skipped = accounts_for_run(context, warehouse, tokens, config, kind=SYNC_KIND, now=now)
    with warehouse.transaction() as conn:
        cursors = load_cursors(conn, SYNC_KIND, [a.ig_user_id for a in accounts])
    new_counts: dict[str, dict[str, int]] = {}

    async def fetch(client, account) -> FetchResult:
        last = (cursors.get(account.ig_user_id) or {}).get("comments_count") or {}
        fetched = await engagement.fetch_comments(client, account, last, keep_text)
        new_counts[account.ig_user_id] = fetched.counts
        return fetched.result

    def after_write(conn: Connection, result: FetchResult) -> None:
        account = result.account
        save_cursor(conn, ig_user_id=account.ig_user_id, owner_id=account.owner_id, kind=SYNC_KIND,
                    cursor={"comments_count": new_counts.get(account.ig_user_id, {})})

    summary = run_sync(context, kind=SYNC_KIND, accounts=accounts, graph=graph, warehouse=warehouse, now=now,
                       fetch=fetch, after_write=after_write)
    metadata = summary.metadata([TABLE]) | {"accounts_skipped": len(skipped), "comment_text_stored": keep_text}
    return dg.MaterializeResult(metadata=metadata, check_results=[summary.accounts_check()])
