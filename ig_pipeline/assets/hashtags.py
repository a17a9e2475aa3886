"""instagram_hashtag_media: per owner, tracked hashtag (``ig-pipeline hashtags add``) and day, the first 50
of the hashtag's top media and of its recent media (last 24 h), with their rank, counts, caption and
permalink; ``is_own_post`` marks the owner's own posts (known to instagram_media).

Each account may search 30 unique hashtags per rolling 7 days. The run first reconciles the ledger with
``recently_searched_hashtags`` (one call per searching account), then reserves each hashtag's slot in the
ledger before its first call; a hashtag with no slot left is not searched and is reported as failed
(rate_limited) with the instant its slot frees up. Only today or the day just ended can be captured (the
API serves the present). Errors are per hashtag, like competitors (assets/targets.py).
"""

import asyncio

import dagster as dg
from sqlalchemy import text

from ig_pipeline.assets.common import (
    API_POOL,
    API_RETRY,
    ASSET_KINDS,
    DAILY_FRESHNESS,
    GROUP,
    accounts_check_spec,
)
from ig_pipeline.assets.runner import partition_rows
from ig_pipeline.assets.targets import Target, capture_day, run_targets
from ig_pipeline.clock import PipelineClock
from ig_pipeline.connections.store import active_accounts
from ig_pipeline.days import pacific_day
from ig_pipeline.graph import hashtags as plans
from ig_pipeline.graph.calls import Meter
from ig_pipeline.graph.errors import ErrorClass, GraphError
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.partitions import daily_partitions
from ig_pipeline.resources import TokenVault
from ig_pipeline.tracking import ledger, store
from ig_pipeline.tracking.transforms import hashtag_media_rows
from ig_pipeline.warehouse.resource import PostgresWarehouse

TABLE = "instagram_hashtag_media"
PREFIX = "hashtag"


def hashtag_targets(warehouse, tokens: TokenVault) -> tuple[list[tuple[Target, str | None]], list[str]]:
    """((target, known hashtag id) per tracked hashtag, hashtags whose searching account is not active)."""
    with warehouse.transaction() as conn:
        tracked = store.hashtags(conn)
        searchers = active_accounts(conn, tokens.cipher(), ig_user_ids=[t.ig_user_id for t in tracked])
    accounts = {a.ig_user_id: a for a in searchers}
    targets = [(Target(accounts[t.ig_user_id], t.hashtag), t.hashtag_id) for t in tracked if t.ig_user_id in accounts]
    return targets, [f"{t.owner_id}/#{t.hashtag}" for t in tracked if t.ig_user_id not in accounts]


def _own_media(conn, owner_id: str, media_ids: list[str]) -> set[str]:
    return set(conn.execute(text("SELECT media_id FROM instagram_media WHERE owner_id = :o AND media_id = ANY(:ids)"),
                            {"o": owner_id, "ids": media_ids}).scalars())


@dg.asset(
    name=TABLE, partitions_def=daily_partitions, pool=API_POOL, retry_policy=API_RETRY, kinds=ASSET_KINDS,
    group_name=GROUP, check_specs=[accounts_check_spec(TABLE)], freshness_policy=DAILY_FRESHNESS,
)
def instagram_hashtag_media(context: dg.AssetExecutionContext, graph: InstagramGraphAPI,
                            warehouse: PostgresWarehouse, tokens: TokenVault,
                            clock: PipelineClock) -> dg.MaterializeResult:
    """Top and recent media of each tracked hashtag as of the day, ranked; the owner's own posts marked."""
    now = clock.now()
    day = capture_day(context, TABLE, pacific_day(now))
    tracked, inactive = hashtag_targets(warehouse, tokens)
    known_ids = {(t.account.owner_id, t.name): hid for t, hid in tracked}
    reconciling: dict[str, asyncio.Future] = {}  # one reconciliation per searching account and run
    warnings = [f"{name}: its searching account is not active; not searched" for name in inactive]

    async def in_transaction(function, *args):
        """``function(conn, *args)`` in its own transaction, off the event loop."""
        def call():
            with warehouse.transaction() as conn:
                return function(conn, *args)
        return await asyncio.to_thread(call)

    async def reconcile_once(client, account, meter) -> None:
        try:
            listed = await plans.recently_searched(client, account, meter)
        except GraphError as exc:
            warnings.append(f"account {account.ig_user_id}: recently_searched_hashtags failed ({exc}); "
                            "the ledger was not reconciled")
            return
        await in_transaction(ledger.reconcile, account.owner_id, account.ig_user_id, listed, now)

    async def reconcile(client, account, meter) -> None:
        if account.ig_user_id not in reconciling:
            reconciling[account.ig_user_id] = asyncio.ensure_future(reconcile_once(client, account, meter))
        await reconciling[account.ig_user_id]

    async def fetch(client, target: Target, meter: Meter) -> dict[str, list[dict]]:
        account = target.account
        await reconcile(client, account, meter)
        hashtag_id = known_ids.get((account.owner_id, target.name))
        allowed = await in_transaction(ledger.reserve, account.owner_id, account.ig_user_id, target.name,
                                       hashtag_id, now)
        if not allowed:
            slots = await in_transaction(store.budget, account.ig_user_id, now)
            frees = min(slots.in_window.values()) + store.WINDOW
            raise GraphError(ErrorClass.RATE_LIMITED, f"hashtag search budget of account {account.ig_user_id} "
                             f"used up ({store.BUDGET} per 7 days); not searched; a slot frees at "
                             f"{frees.isoformat(timespec='minutes')}",
                             retry_after_s=max(60.0, (frees - now).total_seconds()))
        if hashtag_id is None:
            try:
                hashtag_id = await plans.search(client, account, target.name, meter)
            except GraphError:
                await in_transaction(ledger.release, account.ig_user_id, target.name)
                raise
            await in_transaction(ledger.resolved, account.owner_id, account.ig_user_id, target.name, hashtag_id)
        lists = {kind: await plans.media(client, account, hashtag_id, kind, meter) for kind in plans.LISTS}
        own = await in_transaction(_own_media, account.owner_id,
                                   [str(i.get("id")) for items in lists.values() for i in items])
        return {TABLE: [row for kind, items in lists.items() for row in hashtag_media_rows(
            account.owner_id, account.ig_user_id, target.name, hashtag_id, kind, items, own, day, now)]}

    summary = run_targets(context, prefix=PREFIX, targets=[t for t, _ in tracked], graph=graph, warehouse=warehouse,
                          now=now, fetch=fetch)
    summary.warnings.extend(warnings)
    rows = partition_rows(warehouse, TABLE, "day", day, day.fromordinal(day.toordinal() + 1))
    metadata = summary.metadata([TABLE], rows) | {"hashtags": len(tracked)}
    return dg.MaterializeResult(metadata=metadata, check_results=[summary.accounts_check()])
