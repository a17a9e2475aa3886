"""The daily sync through the real dagster-daemon, unbatched and in IG_DAILY_BATCHES batches (issue 17).

Same world as bench/daily_sync.py (1,000 simulated accounts × ~100 posts, 100 ms added latency,
simulator in its own process). Setup, not timed: connections and every account's media history,
then one copy of that warehouse per variant. Timed per variant (IG_DAILY_BATCHES=1, then 4): a
code server and ``dagster-daemon run`` on the project's dagster.yaml; the daemon evaluates the daily
schedules' last 00:15 Pacific tick (ig_pipeline_tests/daemon.py explains how), queues the runs and
launches each in its own run worker. Wall time = first run queued → last run finished. Per run:
queued → started, started → finished, the worker's peak resident memory (VmHWM, sampled from
/proc while it lives) and CPU seconds. The simulator's clock is not frozen, so the two variants'
rows are compared by their keys, not their values (the test compares values on a frozen clock).

    .venv/bin/python bench/batched_daily.py [--accounts 1000] [--media 100] [--latency-ms 100] [--batches 1,4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench._common import emit, free_port, scratch_database, simulator  # noqa: E402
from bench.daily_sync import connect, cpu_seconds, run_worker  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"instagram_account_daily": ("ig_user_id", "day"), "instagram_media": ("media_id",),
        "instagram_media_daily": ("media_id", "day"), "instagram_sync_state": ("ig_user_id", "sync_kind")}


def proc_status(pid: int) -> tuple[float, float] | None:
    """(peak resident MB so far, CPU seconds so far) of a live process; None once it is gone (an exited,
    not yet reaped process still has a status file, without memory lines)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    peak_kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return None if peak_kb is None else (peak_kb / 1024, cpu_seconds(pid))


class WorkerSampler:
    """Follows the run workers of the runs it is shown (their pid from the run's engine event)."""

    def __init__(self, instance):
        self.instance = instance
        self.pids: dict[str, int] = {}
        self.last: dict[str, tuple[float, float]] = {}

    def __call__(self, records) -> None:
        from ig_pipeline_tests.daemon import run_facts

        for record in records:
            run_id = record.dagster_run.run_id
            if run_id not in self.pids and record.start_time:
                pid = run_facts(self.instance, record, set()).worker_pid
                if pid:
                    self.pids[run_id] = pid
            if run_id in self.pids and (sample := proc_status(self.pids[run_id])):
                self.last[run_id] = sample


def clone(admin: str, template: str, name: str) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    return make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def keys_by_table(url: str) -> dict[str, set[tuple]]:
    import sqlalchemy as sa

    from ig_pipeline.warehouse.database import get_engine

    with get_engine(url).connect() as conn:
        return {table: set(conn.execute(sa.text(f"SELECT {', '.join(cols)} FROM {table}")).all())
                for table, cols in KEYS.items()}


def run_variant(batches: int, admin: str, template: str, sim_url: str, sim_pid: int, now: datetime,
                work_dir: Path) -> dict:
    import dagster as dg

    from ig_pipeline.config import load_settings
    from ig_pipeline.dagster_instance import dagster_environment
    from ig_pipeline_tests.daemon import DaemonStack, max_overlap, run_facts

    warehouse = clone(admin, template, f"{template}_b{batches}")
    storage_name = f"{template}_dagster_b{batches}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(storage_name)))
    os.environ.update({"IG_DATABASE_URL": warehouse, "IG_DAILY_BATCHES": str(batches),
                       "IG_DATA_DIR": str(work_dir / f"b{batches}"),
                       "IG_DAGSTER_PG_URL": make_url(admin).set(database=storage_name).render_as_string(False)})
    instance_env = dagster_environment(load_settings())
    os.environ.update(instance_env)
    location_env = dict(os.environ) | {"IG_FIXED_NOW": now.isoformat()}
    with dg.DagsterInstance.from_config(instance_env["DAGSTER_HOME"]) as instance, \
            DaemonStack(location_env, work_dir / f"b{batches}" / "logs") as stack:
        stack.arm_daily_tick(instance)
        sampler = WorkerSampler(instance)
        sim_before = cpu_seconds(sim_pid)
        stack.start_daemon()
        records = stack.wait_for_runs(instance, 2 * batches, timeout_s=3600, on_poll=sampler)
        sim_cpu = cpu_seconds(sim_pid) - sim_before
        facts = [run_facts(instance, r, set()) for r in records]
    failed = [f.job for f in facts if f.status != dg.DagsterRunStatus.SUCCESS]
    if failed:
        raise SystemExit(f"batches={batches}: runs failed: {failed}; logs in {work_dir}")
    first_queued, last_done = min(f.created for f in facts), max(f.ended for f in facts)
    wall = last_done - first_queued
    peaks = [sampler.last.get(f.run_id, (0.0, 0.0)) for f in facts]
    return {"wall_s": round(wall, 1), "runs": len(facts),
            "max_runs_at_once": max_overlap([(f.started, f.ended) for f in facts]),
            "queued_to_started_s_max": round(max(f.started - f.created for f in facts), 1),
            "run_s_max": round(max(f.ended - f.started for f in facts), 1),
            "run_peak_rss_mb": sorted(round(p[0]) for p in peaks),
            "runs_cpu_s": round(sum(p[1] for p in peaks), 1),
            "sim_cpu_s": round(sim_cpu, 1), "sim_cpu_share": round(sim_cpu / max(wall, 1e-9), 2),
            "worker_pids_distinct": len({f.worker_pid for f in facts}) == len(facts),
            "warehouse": warehouse}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--media", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--batches", default="1,4", help="comma-separated IG_DAILY_BATCHES values, run in turn")
    args = parser.parse_args()
    variants = [int(b) for b in args.batches.split(",")]

    from ig_pipeline.days import pacific_day
    from ig_pipeline.warehouse.database import get_engine
    from ig_pipeline_tests.daemon import last_daily_tick

    port = free_port()
    sim_url = f"http://127.0.0.1:{port}"
    for name in [n for n in os.environ if n.startswith(("IG_", "DAGSTER_"))]:
        del os.environ[name]
    os.environ.update({"IG_DEMO": "1", "IG_GRAPH_URL": sim_url})  # demo mode needs a loopback Graph URL
    work_dir = Path(tempfile.mkdtemp(prefix="ig_batched_daily_"))
    results = {}
    with simulator(port, args.accounts, args.media, args.latency_ms) as sim:
        now = datetime.fromisoformat(httpx.get(f"{sim_url}/_sim/clock").json()["now"])
        tick = last_daily_tick(datetime.now(UTC))
        if pacific_day(tick) != pacific_day(now):
            raise SystemExit("it is between 00:00 and 00:15 Pacific: the daily schedules' last tick belongs to the "
                             "day before the simulator's; run again after 00:15")
        with scratch_database() as engine:
            template = engine.url.database
            db = engine.url.render_as_string(hide_password=False)
            admin = engine.url.set(drivername="postgresql", database="postgres").render_as_string(False)
            connected = asyncio.run(connect(sim_url, db))
            history = run_worker("media_history", sim_url, db, sim.pid)
            engine.dispose()
            get_engine(db).dispose()  # a template database must have no open connections
            for batches in variants:
                httpx.delete(f"{sim_url}/_sim/requests")
                results[batches] = run_variant(batches, admin, template, sim_url, sim.pid, now, work_dir)
                results[batches]["calls"] = httpx.get(f"{sim_url}/_sim/requests").json()["summary"]["counted_calls"]
            keys = {b: keys_by_table(r.pop("warehouse")) for b, r in results.items()}
    base = variants[0]
    same_keys = {table: all(keys[b][table] == keys[base][table] for b in variants) for table in KEYS}
    print(f"setup: {connected} accounts connected, media history listed in {history['wall_s']:.0f}s; logs under "
          f"{work_dir}")
    emit({"accounts": connected, "latency_ms": args.latency_ms, "media_per_account": args.media,
          "tick": tick.isoformat(), "load_average_1m_end": round(os.getloadavg()[0], 2),
          "rows": {table: len(keys[base][table]) for table in KEYS}, "same_keys_in_every_variant": same_keys,
          **{f"batches_{b}": r for b, r in results.items()}})


if __name__ == "__main__":
    main()
