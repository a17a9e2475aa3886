"""The demo's Dagster work, executed in this process against the demo's Dagster instance.

Runs are recorded in the instance's Postgres storage, so they show in the UI afterwards. The
daily sync evaluates the real daily schedule and executes the runs it asks for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import dagster as dg
import httpx
from sqlalchemy import text

from ig_pipeline.automation.jobs import range_tags
from ig_pipeline.partitions import intraday_key, pacific_day

Say = Callable[[str], None]


def _defs() -> dg.Definitions:
    from ig_pipeline.definitions import defs

    return defs


def _execute(job_name: str, label: str, say: Say, *, tags=None, partition_key=None) -> None:
    started = time.monotonic()
    say(f"{label}…")
    job = _defs().resolve_job_def(job_name)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, tags=tags or {}, partition_key=partition_key,
                                        raise_on_error=False)
    facts = {}  # a range run reports once per partition with the same figures: one line per asset
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        rows = meta.get("dagster/row_count")
        facts.setdefault(event.asset_key.to_user_string(),
                         f"{event.asset_key.to_user_string()}: {rows.value if rows else 0} rows written, "
                         f"{meta['accounts_ok'].value} ok / {meta['accounts_failed'].value} failed")
    state = "done" if result.success else "FAILED (see the run in the Dagster UI)"
    say(f"{label} {state} in {time.monotonic() - started:.1f}s" + ("; " + "; ".join(facts.values()) if facts else ""))


def backfill(days: int, say: Say) -> None:
    today = pacific_day(datetime.now(UTC))
    start, end = (today - timedelta(days=days)).isoformat(), (today - timedelta(days=1)).isoformat()
    _execute("instagram_account_daily_job", f"backfill account insights {start} … {end}", say,
             tags=range_tags(start, end))
    _execute("instagram_media_job", f"backfill media posted {start} … {end}", say, tags=range_tags(start, end))
    _execute("instagram_media_daily_job", f"media insights snapshot for {end}", say, partition_key=end)
    _execute("instagram_audience_job", "audience demographics and online followers", say)


def daily_sync(say: Say) -> None:
    """What the daily schedule asks for at this moment, executed now."""
    from ig_pipeline.automation.schedules import DAILY_SYNC_SCHEDULES

    with dg.DagsterInstance.get() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime.now(UTC),
                                            repository_def=_defs().get_repository_def())
        requests = [(s.job_name, r) for s in DAILY_SYNC_SCHEDULES for r in s.evaluate_tick(context).run_requests]
    for job_name, request in requests:
        _execute(job_name, f"daily sync: {job_name}", say, tags=request.tags, partition_key=request.partition_key)


def intraday_snapshot(say: Say) -> None:
    key = intraday_key(datetime.now(UTC))
    _execute("instagram_intraday_job", f"intraday snapshot {key}", say, partition_key=key)


def summary(engine, sim_url: str, tables: tuple[str, ...]) -> str:
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}
        ok, failed = conn.execute(text(
            "SELECT count(DISTINCT ig_user_id) FILTER (WHERE consecutive_failures = 0), "
            "count(DISTINCT ig_user_id) FILTER (WHERE consecutive_failures > 0) FROM instagram_sync_state")).one()
    calls = httpx.get(f"{sim_url}/_sim/requests", timeout=30).json()["summary"]
    width = max(map(len, tables)) + 2
    lines = ["", "  table".ljust(width + 2) + "rows", "  " + "-" * (width + 10)]
    lines += [f"  {t.ljust(width)}{counts[t]:>10,}" for t in tables]
    lines += ["", f"  accounts ok {ok}, failing {failed}",
              f"  API calls spent {calls['counted_calls']:,} in {calls['round_trips']:,} HTTP round trips", ""]
    return "\n".join(lines)
