"""Run one call plan for many accounts: fetch concurrently, write each account on its own.

Fetched accounts are written in groups of up to ``warehouse.accounts_per_write`` (50): one transaction per group holds
every table's rows of its accounts (one bulk upsert per table, not one per account) and their sync
state, so a crash leaves either the old rows or the new ones for each account, and the database
sees a few statements per group instead of a dozen per account (issue 17's profile: per-account
transactions were half of an intraday snapshot's time at 1,000 accounts). One account's API failure never
stops the others: it is recorded in instagram_sync_state and reported in the run's metadata
and asset checks. A failure to *write* (the database) fails the run after every account was
tried, so Dagster's retry policy can take over.

Counts are what landed: ``dagster/row_count`` is the partition's row count in the table after
the write (``partition_rows``), and inserted / updated / unchanged rows are reported apart.
Metric requests the API refused are listed (account, media, metrics, message) under
``refused_metrics``; a pinned API version close to its end of availability is a warning.
Bookkeeping timestamps (fetched_at, last_seen_at) come from the run's clock, not the machine's.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

import dagster as dg
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ig_pipeline.connections.lifecycle import mark_needs_reauth
from ig_pipeline.graph import catalog
from ig_pipeline.graph.errors import ErrorClass
from ig_pipeline.graph.models import AccountRef, FetchResult
from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.sync_state import record_failure, record_success
from ig_pipeline.warehouse.upsert import Written, bulk_upsert_counts

log = logging.getLogger(__name__)

TABLES = {table.name: table for table in schema.metadata.sorted_tables}
WRITERS = 3  # concurrent write transactions; the engine pool holds 5
YOUNG_OBJECTS_PER_COLLECTION = 20_000  # Python's default is 700; see _heap_frozen
QUEUED_GROUPS = WRITERS + 1  # fetched groups waiting for (or in) a write before fetching pauses

Fetch = Callable[[object, AccountRef], Awaitable[FetchResult]]
AfterWrite = Callable[[Connection, FetchResult], None]


@dataclass
class SyncSummary:
    kind: str
    rows: Counter = field(default_factory=Counter)  # table -> rows inserted or changed
    written: dict[str, Written] = field(default_factory=dict)
    ok: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # ig_user_id -> "class (code): message"
    write_errors: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    round_trips: int = 0
    warnings: list[str] = field(default_factory=list)
    refusals: list[dict] = field(default_factory=list)

    def add_written(self, table: str, written: Written) -> None:
        self.written[table] = self.written.get(table, Written()) + written
        self.rows[table] += written.changed

    def metadata(self, tables: list[str], row_count: int | None = None) -> dict:
        """Run metadata for ``tables``; ``row_count``: the partition's rows in the first table."""
        meta = {
            "accounts_ok": len(self.ok),
            "accounts_failed": len(self.failed),
            "api_calls": self.calls,
            "api_round_trips": self.round_trips,
        }
        if row_count is not None:
            meta["dagster/row_count"] = dg.MetadataValue.int(row_count)
        for table in tables:
            written = self.written.get(table, Written())
            meta |= {f"rows_{table}": written.changed, f"rows_inserted_{table}": written.inserted,
                     f"rows_updated_{table}": written.updated, f"rows_unchanged_{table}": written.unchanged}
        if self.refusals:
            meta["refused_metrics_count"] = len(self.refusals)
            meta["refused_metrics"] = dg.MetadataValue.md("\n".join(
                f"- account `{r['account']}`" + (f" media `{r['media']}`" if r["media"] else "")
                + f" ({r['scope']}): {', '.join(r['metrics'])}: {r['message']}" for r in self.refusals[:100]))
        if self.failed:
            meta["failed_accounts"] = dg.MetadataValue.md(
                "\n".join(f"- `{acct}`: {reason}" for acct, reason in sorted(self.failed.items())[:200]))
        if self.warnings:
            meta["warnings"] = dg.MetadataValue.md("\n".join(f"- {w}" for w in self.warnings[:50]))
        return meta

    def accounts_check(self, asset_key: dg.AssetKey | None = None) -> dg.AssetCheckResult:
        """WARN when some accounts failed; ERROR when every account failed. The check is blocking, so
        ERROR fails the run (a CLI materialize exits non-zero) after the rows and sync state are stored."""
        every_one_failed = bool(self.failed) and not self.ok
        metadata = {"accounts_ok": len(self.ok), "accounts_failed": len(self.failed)}
        if self.failed:
            metadata["failed_account_ids"] = dg.MetadataValue.text(", ".join(sorted(self.failed)[:200]))
        return dg.AssetCheckResult(
            asset_key=asset_key, check_name="accounts_synced", passed=not self.failed,
            severity=dg.AssetCheckSeverity.ERROR if every_one_failed else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )


def run_sync(context: dg.AssetExecutionContext, *, kind: str, accounts: list[AccountRef], graph, warehouse,
             now: datetime, fetch: Fetch, after_write: AfterWrite | None = None) -> SyncSummary:
    """Fetch ``accounts`` concurrently through ``fetch``, write each as it completes."""
    summary = SyncSummary(kind)
    run_id = context.run.run_id
    total = len(accounts)
    context.log.info(f"{kind}: {total} account(s)")

    def persist(results: list[FetchResult]) -> list[tuple[str, Written]]:
        """One transaction for a group of accounts: each table's rows in one upsert, then each
        account's hook and sync state. Returns what was written, counted once the group commits."""
        written = []
        with warehouse.transaction() as conn:
            rows_by_table: dict[str, list[dict]] = {}
            for result in results:
                if result.ok:
                    for table, rows in result.rows.items():
                        rows_by_table.setdefault(table, []).extend(rows)
            for table, rows in rows_by_table.items():
                written.append((table, bulk_upsert_counts(conn, TABLES[table], rows)))
            for result in results:
                account = result.account
                if result.ok:
                    if after_write:
                        after_write(conn, result)
                    record_success(conn, ig_user_id=account.ig_user_id, owner_id=account.owner_id, kind=kind,
                                   now=now, run_id=run_id)
                    continue
                error = result.error
                record_failure(conn, ig_user_id=account.ig_user_id, owner_id=account.owner_id, kind=kind,
                               now=now, run_id=run_id, error_class=str(error.error_class), code=error.code,
                               message=error.message, retry_after_s=error.retry_after_s)
                if error.error_class == ErrorClass.TOKEN_INVALID:
                    mark_needs_reauth(conn, account.ig_user_id, error.message)
        return written

    pending: list[FetchResult] = []
    queued = [0]  # groups fetched and not yet written
    room = asyncio.Condition()  # notified when a group was written

    async def write(group: list[FetchResult], writers: asyncio.Semaphore) -> None:
        async with writers:
            try:
                for table, written in await asyncio.to_thread(persist, group):
                    summary.add_written(table, written)
            except Exception as exc:  # the database, not the API: fail the run after all accounts
                for result in group:
                    summary.write_errors[result.account.ig_user_id] = f"{type(exc).__name__}: {exc}"[:500]
                return
        for result in group:
            if result.ok:
                summary.ok.append(result.account.ig_user_id)
            else:
                e = result.error
                summary.failed[result.account.ig_user_id] = f"{e.error_class} ({e.code}): {e.message}"
        done = len(summary.ok) + len(summary.failed) + len(summary.write_errors)
        context.log.info(f"{kind}: {done}/{total} accounts done ({len(summary.failed)} failed)")

    async def one(client, account: AccountRef, writers: asyncio.Semaphore) -> None:
        result = await fetch(client, account)
        summary.calls += result.calls
        summary.round_trips += result.round_trips
        summary.warnings.extend(w if account.ig_user_id in w else f"account {account.ig_user_id}: {w}"
                                for w in result.warnings)
        pending.append(result)
        if len(pending) >= max(1, warehouse.accounts_per_write):
            group = pending[:]
            pending.clear()
            queued[0] += 1
            try:
                await write(group, writers)
            finally:
                queued[0] -= 1
                async with room:
                    room.notify_all()

    async def main() -> None:
        writers = asyncio.Semaphore(WRITERS)
        queue = iter(accounts)

        async def worker(client) -> None:
            # A fixed set of workers pulls accounts in order (no task per account). When the database
            # falls behind, fetching waits until fewer than QUEUED_GROUPS groups wait to be written,
            # so the rows held in memory do not grow with the number of accounts.
            for account in queue:
                async with room:
                    await room.wait_for(lambda: queued[0] < QUEUED_GROUPS)
                await one(client, account, writers)

        async with graph.client(now=lambda: now) as client:
            expiring = catalog.version_warning(client.version, now.date())
            if expiring:
                context.log.warning(expiring)
                summary.warnings.append(expiring)
            await asyncio.gather(*(worker(client) for _ in range(max(1, min(graph.concurrency, total)))))
        if pending:
            await write(pending[:], writers)

    with _heap_frozen():
        asyncio.run(main())
    if summary.write_errors:
        sample = "; ".join(f"{k}: {v}" for k, v in list(summary.write_errors.items())[:3])
        raise dg.Failure(
            description=f"{kind}: {len(summary.write_errors)} account(s) could not be written to the warehouse "
                        f"({sample}). API data for them was not stored; the run can be retried.",
            metadata={"accounts_not_written": len(summary.write_errors)},
        )
    return summary


@contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep the objects that exist before the sync (Dagster, the code location, imports: a few
    hundred MB) out of Python's garbage collector while it runs. Every full collection walked them
    all, ~0.5 s each, and a 300-account daily sync made eleven: 60 % of the run's CPU (issue 17).
    Objects the sync creates are collected as before, though less often (YOUNG_OBJECTS_PER_COLLECTION:
    most rows and response bodies are freed by reference counting before a collection would look
    at them); the frozen ones go back to the collector after."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS_PER_COLLECTION, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def partition_rows(warehouse, table: str, column: str, start, end) -> int:
    """Rows of ``table`` whose ``column`` lies in [start, end): the partition's size after a write."""
    with warehouse.transaction() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {column} >= :start AND {column} < :end"),
                            {"start": start, "end": end}).scalar_one()


def report_rows_per_day(context: dg.AssetExecutionContext, warehouse, table: str, day_column: str) -> int:
    """Put each daily partition's own row count (after the write) on its materialization as
    ``dagster/row_count`` — a range run materializes every partition with the same metadata
    otherwise — and return the range's total."""
    days = [date.fromisoformat(key) for key in context.partition_keys]
    with warehouse.transaction() as conn:
        counts = dict(conn.execute(text(f"SELECT {day_column}, count(*) FROM {table} WHERE {day_column} = ANY(:days) "
                                        f"GROUP BY {day_column}"), {"days": days}).all())
    for day in days:
        context.add_asset_metadata({"dagster/row_count": dg.MetadataValue.int(counts.get(day, 0))},
                                   partition_key=day.isoformat())
    return sum(counts.values())


def merge_results(first: FetchResult, second: FetchResult) -> FetchResult:
    """Two call plans for one account as one result: rows joined, costs added, first error kept."""
    rows = {table: list(rows) for table, rows in first.rows.items()}
    for table, more in second.rows.items():
        rows.setdefault(table, []).extend(more)
    return FetchResult(account=first.account, rows=rows, error=first.error or second.error,
                       warnings=first.warnings + second.warnings, calls=first.calls + second.calls,
                       round_trips=first.round_trips + second.round_trips, media=first.media + second.media,
                       refusals=first.refusals + second.refusals)
