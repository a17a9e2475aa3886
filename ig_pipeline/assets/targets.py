"""Run a call plan per tracked target (a competitor or a hashtag of an owner), each on its own.

Like accounts in assets/runner.py: one target's API error is recorded in instagram_sync_state under the
owner's asking account with sync kind ``competitor:NAME`` / ``hashtag:NAME`` (so ig_sync_health and the
``accounts_synced`` check show it) and the other targets carry on; each target's rows and its sync state
are written in one transaction; a database failure fails the run after every target was tried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dagster as dg

from ig_pipeline.assets.runner import TABLES, SyncSummary
from ig_pipeline.connections.store import active_accounts
from ig_pipeline.graph.calls import Meter
from ig_pipeline.graph.client import GraphClient
from ig_pipeline.graph.errors import GraphError
from ig_pipeline.graph.models import AccountRef
from ig_pipeline.resources import TokenVault
from ig_pipeline.warehouse.sync_state import record_failure, record_success
from ig_pipeline.warehouse.upsert import bulk_upsert_counts

CONCURRENCY = 4  # Platform-metered calls: few at a time, the governor spaces them by X-App-Usage


@dataclass(frozen=True)
class Target:
    account: AccountRef  # the owner's Facebook Login account that asks
    name: str  # competitor username or hashtag

    def kind(self, prefix: str) -> str:
        return f"{prefix}:{self.name}"


Fetch = Callable[[GraphClient, Target, Meter], Awaitable[dict[str, list[dict]]]]


def capture_day(context: dg.AssetExecutionContext, table: str, today: date) -> date:
    """The one day a snapshot of the present may be stored under (today or the day just ended), as for
    instagram_media_daily; else a Failure that is not retried and writes nothing."""
    keys = context.partition_keys
    if len(keys) > 1:
        raise dg.Failure(description=f"{table} is a snapshot taken one day at a time; got {len(keys)} days "
                                     f"({keys[0]} … {keys[-1]}). Nothing was written.", allow_retries=False)
    day = date.fromisoformat(keys[0])
    if day > today or day < today - timedelta(days=1):
        raise dg.Failure(description=f"{table}: {day} cannot be captured today ({today}, Pacific): the API serves "
                                     "only the present, so only today's or yesterday's partition can be stored. "
                                     "Nothing was written.", allow_retries=False)
    return day


def asking_accounts(warehouse, tokens: TokenVault) -> dict[str, AccountRef]:
    """Per owner, the first active Facebook Login account (Business Discovery and hashtag search need one)."""
    with warehouse.transaction() as conn:
        accounts = active_accounts(conn, tokens.cipher())
    found: dict[str, AccountRef] = {}
    for account in accounts:
        if account.login_type == "facebook":
            found.setdefault(account.owner_id, account)
    return found


def run_targets(context: dg.AssetExecutionContext, *, prefix: str, targets: list[Target], graph, warehouse,
                now: datetime, fetch: Fetch) -> SyncSummary:
    summary = SyncSummary(prefix)
    run_id = context.run.run_id

    def persist(target: Target, rows: dict[str, list[dict]] | None, error: GraphError | None) -> None:
        account = target.account
        with warehouse.transaction() as conn:
            if error is None:
                for table, table_rows in rows.items():
                    summary.add_written(table, bulk_upsert_counts(conn, TABLES[table], table_rows))
                record_success(conn, ig_user_id=account.ig_user_id, owner_id=account.owner_id,
                               kind=target.kind(prefix), now=now, run_id=run_id)
            else:
                record_failure(conn, ig_user_id=account.ig_user_id, owner_id=account.owner_id,
                               kind=target.kind(prefix), now=now, run_id=run_id, error_class=str(error.error_class),
                               code=error.code, message=error.message, retry_after_s=error.retry_after_s)

    async def one(client: GraphClient, target: Target, limit: asyncio.Semaphore) -> None:
        label = f"{target.account.owner_id}/{target.kind(prefix)}"
        meter = Meter()
        rows, error = None, None
        async with limit:
            try:
                rows = await fetch(client, target, meter)
            except GraphError as exc:
                error = exc
        summary.calls += meter.calls
        summary.round_trips += meter.round_trips
        try:
            await asyncio.to_thread(persist, target, rows, error)
        except Exception as exc:  # the database, not the API
            summary.write_errors[label] = f"{type(exc).__name__}: {exc}"[:500]
            return
        if error is None:
            summary.ok.append(label)
        else:
            summary.failed[label] = f"{error.error_class} ({error.code}): {error.message}"

    async def main() -> None:
        limit = asyncio.Semaphore(CONCURRENCY)
        async with graph.client(now=lambda: now) as client:
            await asyncio.gather(*(one(client, t, limit) for t in targets))

    asyncio.run(main())
    if summary.write_errors:
        sample = "; ".join(f"{k}: {v}" for k, v in list(summary.write_errors.items())[:3])
        raise dg.Failure(description=f"{prefix}: {len(summary.write_errors)} target(s) could not be written "
                                     f"({sample}); the run can be retried.")
    context.log.info(f"{prefix}: {len(summary.ok)} ok, {len(summary.failed)} failed")
    return summary
