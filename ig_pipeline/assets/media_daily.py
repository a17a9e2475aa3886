"""instagram_media_daily: each media's lifetime-to-date insights as of a day.

Lifetime insights are a snapshot: the API only says what they are *now*. A partition can
therefore be captured only on its own day or the morning after (the daily schedule runs just
after Pacific midnight); asking for an older day is refused instead of storing today's numbers
under a past date.

Which media, under the freshness contract (graph.plans.due_for_refresh): posts younger than 30
days every day (listed, then their insights in batches), older posts about weekly so no post's
numbers are more than 7 days old, none older than the two years the API keeps.
"""


import asyncio
from datetime import date, datetime, timedelta

import dagster as dg
from sqlalchemy import text

from ig_pipeline.assets.accounts import accounts_for_run
from ig_pipeline.assets.common import (
    API_POOL,
    API_RETRY,
    ASSET_KINDS,
    DAILY_FRESHNESS,
    GROUP,
    accounts_check_spec,
)
from ig_pipeline.assets.runner import merge_results, partition_rows, run_sync
from ig_pipeline.assets.selection import AccountSelection
from ig_pipeline.clock import PipelineClock
from ig_pipeline.days import pacific_day
from ig_pipeline.graph import plans
from ig_pipeline.graph.freshness import HORIZON, YOUNG
from ig_pipeline.graph.models import MediaRef
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.partitions import daily_partitions
from ig_pipeline.resources import TokenVault
from ig_pipeline.warehouse.resource import PostgresWarehouse

SYNC_KIND = "media_daily"
TABLE = "instagram_media_daily"

_KNOWN_MEDIA = text("""
SELECT m.ig_user_id, m.media_id, m.media_type, m.media_product_type, m.posted_at, max(d.day) AS last_day
FROM instagram_media m
LEFT JOIN instagram_media_daily d ON d.media_id = m.media_id AND d.day < :day
WHERE m.ig_user_id = ANY(:accounts) AND m.deleted_at IS NULL
  AND m.media_product_type IS DISTINCT FROM 'STORY' AND m.posted_at >= :horizon AND m.posted_at < :young_since
GROUP BY m.ig_user_id, m.media_id, m.media_type, m.media_product_type, m.posted_at
""")


def refusal(day: date, today: date) -> str | None:
    """Why partition ``day`` cannot be captured today, or None when it can."""
    if day > today:
        return f"{TABLE}: {day} has not begun yet (today is {today}, Pacific)."
    if day < today - timedelta(days=1):
        return (f"{TABLE}: {day} is in the past. Media insights are lifetime totals the API only reports "
                f"as of now ({today}); they cannot be reconstructed for {day}, and storing today's numbers "
                "under that date would be wrong. Nothing was written. Materialize today's (or yesterday's) "
                "partition instead.")
    return None


def due_media(conn, account_ids: list[str], day: date, now: datetime) -> dict[str, list[MediaRef]]:
    """Older media due for a refresh on ``day``, per account."""
    known: dict[str, list[tuple[MediaRef, date | None]]] = {}
    for row in conn.execute(_KNOWN_MEDIA, {"accounts": account_ids, "day": day, "horizon": now - HORIZON,
                                           "young_since": now - YOUNG}):
        ref = MediaRef(row.media_id, row.media_type, row.media_product_type, row.posted_at)
        known.setdefault(row.ig_user_id, []).append((ref, row.last_day))
    return {account: plans.due_for_refresh(media, day) for account, media in known.items()}


class DueMediaByGroup:
    """``due_media`` read one group of accounts at a time, as the run reaches the group (the next
    group is read ahead), and forgotten once each of its accounts took its share: at 10,000
    accounts × 100 posts, reading every account's due posts up front would hold ~1,000,000 refs."""

    def __init__(self, warehouse: PostgresWarehouse, account_ids: list[str], day: date, now: datetime,
                 group_size: int):
        size = max(1, group_size)
        self._groups = [account_ids[i:i + size] for i in range(0, len(account_ids), size)]
        self._group_of = {account: i // size for i, account in enumerate(account_ids)}
        self._warehouse, self._day, self._now = warehouse, day, now
        self._reads: dict[int, asyncio.Future] = {}
        self._left: dict[int, int] = {}
        self._started: set[int] = set()  # each group is read once, even if read ahead after it was done
        self.taken = 0  # older media handed out so far

    def _read(self, group: int) -> asyncio.Future:
        if group not in self._started and group < len(self._groups):
            self._started.add(group)
            self._left[group] = len(self._groups[group])
            self._reads[group] = asyncio.ensure_future(asyncio.to_thread(self._query, self._groups[group]))
        return self._reads.get(group)

    def _query(self, account_ids: list[str]) -> dict[str, list[MediaRef]]:
        with self._warehouse.transaction() as conn:
            return due_media(conn, account_ids, self._day, self._now)

    async def take(self, account_id: str) -> list[MediaRef]:
        """The account's due older media (each account takes its share once)."""
        group = self._group_of[account_id]
        due = await self._read(group)
        self._read(group + 1)
        refs = due.pop(account_id, [])
        self._left[group] -= 1
        if not self._left[group]:
            del self._reads[group], self._left[group]
        self.taken += len(refs)
        return refs


@dg.asset(
    name=TABLE, partitions_def=daily_partitions, deps=["instagram_media"],
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=API_POOL, retry_policy=API_RETRY, kinds=ASSET_KINDS, group_name=GROUP,
    check_specs=[accounts_check_spec(TABLE)], freshness_policy=DAILY_FRESHNESS,
)
def instagram_media_daily(context: dg.AssetExecutionContext, config: AccountSelection,
                          graph: InstagramGraphAPI, warehouse: PostgresWarehouse, tokens: TokenVault,
                          clock: PipelineClock) -> dg.MaterializeResult:
    """Lifetime insights per media as of the partition's day (young posts daily, older weekly).
    Also refreshes the young media's metadata in instagram_media, which the same call returns."""
    now = clock.now()
    keys = context.partition_keys
    if len(keys) > 1:
        raise dg.Failure(description=f"{TABLE} is a snapshot taken one day at a time; got {len(keys)} days "
                                     f"({keys[0]} … {keys[-1]}). Nothing was written.", allow_retries=False)
    day = date.fromisoformat(keys[0])
    reason = refusal(day, pacific_day(now))
    if reason:
        raise dg.Failure(description=reason, allow_retries=False)

    accounts, skipped = accounts_for_run(context, warehouse, tokens, config, kind=SYNC_KIND, now=now)
    due = DueMediaByGroup(warehouse, [a.ig_user_id for a in accounts], day, now, warehouse.accounts_per_write)

    async def fetch(client, account):
        recent = await plans.fetch_recent(client, account, since=now - YOUNG, day=day, captured_at=now)
        older = await due.take(account.ig_user_id)
        if not older or not recent.ok:
            return recent
        return merge_results(recent, await plans.fetch_media_insights(client, account, older, day, now))

    summary = run_sync(context, kind=SYNC_KIND, accounts=accounts, graph=graph, warehouse=warehouse, now=now,
                       fetch=fetch)
    rows = partition_rows(warehouse, TABLE, "day", day, day + timedelta(days=1))
    metadata = summary.metadata([TABLE, "instagram_media"], rows) | {
        "accounts_skipped": len(skipped), "older_media_refreshed": due.taken}
    return dg.MaterializeResult(metadata=metadata, check_results=[summary.accounts_check()])
