"""The demo's Dagster work, executed in this process against the demo's Dagster instance.

Runs are recorded in the instance's Postgres storage, so they show in the UI afterwards; the
terminal gets one line per run, and each run's event log goes to ``logs/dagster-runs.log``. The
daily sync evaluates the real daily schedule and executes the runs it asks for.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import dagster as dg
import httpx
from sqlalchemy import text

from ig_pipeline.days import pacific_day
from ig_pipeline.demo.processes import RUN_THREAD
from ig_pipeline.partitions import intraday_key, range_tags

Say = Callable[[str], None]
T = TypeVar("T")
# Dagster's console logger stays silent on the terminal: the event log is in the UI and in the file.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def _off_the_main_thread(execute: Callable[[], T]) -> T:
    """Run a Dagster execution in a worker thread. On the main thread Dagster swaps Ctrl-C for a flag
    that the in-process executor never reads (a Ctrl-C during the demo's runs was lost); off it,
    Dagster leaves the signal handlers alone and Ctrl-C raises KeyboardInterrupt here at once."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["result"] = execute()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=RUN_THREAD, daemon=True)  # daemon: Ctrl-C need not wait
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _defs() -> dg.Definitions:
    from ig_pipeline.definitions import defs

    return defs


def _execute(job_name: str, label: str, say: Say, *, tags=None, partition_key=None) -> bool:
    """Run a job in this process; one terminal line with what it wrote; True when it succeeded."""
    started = time.monotonic()
    job = _defs().resolve_job_def(job_name)
    run_id = str(uuid.uuid4())  # known before the run starts: a Ctrl-C can mark it canceled
    with dg.DagsterInstance.get() as instance:
        try:
            result = _off_the_main_thread(lambda: job.execute_in_process(
                instance=instance, tags=tags or {}, partition_key=partition_key, run_config=QUIET,
                raise_on_error=False, run_id=run_id))
        except KeyboardInterrupt:
            run = instance.get_run_by_id(run_id)
            if run is not None and not run.is_finished:
                instance.report_run_canceled(run, message="the demo was stopped (Ctrl-C) during this run")
            raise
        _append_event_log(instance, result.run_id)
    facts, held = {}, {}  # a range run materializes every partition with the run's figures; row_count is per partition
    for event in result.get_asset_materialization_events():
        meta, asset = event.materialization.metadata, event.asset_key.to_user_string()
        rows = meta.get("dagster/row_count")
        held[asset] = held.get(asset, 0) + (rows.value if rows else 0)
        if "accounts_ok" in meta:
            new, updated = (meta.get(f"rows_{kind}_{asset}") for kind in ("inserted", "updated"))
            facts.setdefault(asset, (f"{asset}: {new.value if new else 0} rows new, {updated.value if updated else 0} "
                                     f"updated, {{held}} in its partitions, {meta['accounts_ok'].value} ok / "
                                     f"{meta['accounts_failed'].value} failed"))
    facts = {asset: fact.format(held=held[asset]) for asset, fact in facts.items()}
    if result.success:
        state = "done"
    else:
        state = f"FAILED ({_failure_reason(result)}; run {result.run_id[:8]} in the UI and {event_log_path()})"
    say(f"{label} {state} in {time.monotonic() - started:.1f}s" + ("; " + "; ".join(facts.values()) if facts else ""))
    return result.success


def _failure_reason(result) -> str:
    """The first failed step's own message (a Failure's description, else the innermost error)."""
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        if data.user_failure_data and data.user_failure_data.description:
            message = data.user_failure_data.description
        else:
            error = data.error
            while error is not None and error.cause is not None:
                error = error.cause
            message = error.message if error is not None else ""
        line = message.strip().splitlines()[0] if message.strip() else ""
        return line[:300] or f"step {event.step_key} failed"
    return "the run failed outside a step"


def event_log_path() -> Path:
    from ig_pipeline.config import load_settings

    return load_settings().data_dir / "logs" / "dagster-runs.log"


def _append_event_log(instance: dg.DagsterInstance, run_id: str) -> None:
    """The run's event log (what Dagster's console logger would have printed, DEBUG included)."""
    path = event_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        for entry in instance.all_logs(run_id):
            kind = entry.dagster_event_type.value if entry.dagster_event_type else ""
            log.write(f"{datetime.fromtimestamp(entry.timestamp, UTC):%Y-%m-%d %H:%M:%S} "
                      f"{logging.getLevelName(entry.level)} {entry.job_name} {run_id[:8]} "
                      f"{entry.step_key or '-'} {kind} {entry.message}\n")
            if entry.dagster_event is not None and entry.dagster_event.is_step_failure:
                error = entry.dagster_event.step_failure_data.error
                log.write(error.to_string() + "\n" if error is not None else "")


def backfill(days: int, say: Say) -> bool:
    today = pacific_day(datetime.now(UTC))
    start, end = (today - timedelta(days=days)).isoformat(), (today - timedelta(days=1)).isoformat()
    return all([
        _execute("instagram_account_daily_job", f"backfill account insights {start} … {end}", say,
                 tags=range_tags(start, end)),
        _execute("instagram_media_job", f"backfill media posted {start} … {end}", say, tags=range_tags(start, end)),
        _execute("instagram_media_daily_job", f"media insights snapshot for {end}", say, partition_key=end),
        _execute("instagram_audience_job", "audience demographics and online followers", say),
    ])


def daily_sync(say: Say) -> bool:
    """What the daily schedule asks for at this moment, executed now."""
    from ig_pipeline.automation.schedules import DAILY_SYNC_SCHEDULES

    with dg.DagsterInstance.get() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime.now(UTC),
                                            repository_def=_defs().get_repository_def(), resources=_defs().resources)
        requests = [(s.job_name, r) for s in DAILY_SYNC_SCHEDULES for r in s.evaluate_tick(context).run_requests]
    return all([_execute(job_name, f"daily sync: {job_name}", say, tags=request.tags,
                         partition_key=request.partition_key) for job_name, request in requests])


def intraday_snapshot(say: Say) -> bool:
    key = intraday_key(datetime.now(UTC))
    return _execute("instagram_intraday_job", f"intraday snapshot {key}", say, partition_key=key)


def report(say: Say) -> bool:
    from ig_pipeline.config import load_settings

    return _execute("instagram_report_job", f"charts per account in {load_settings().data_dir / 'reports'}", say)


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
