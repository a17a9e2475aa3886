"""All-accounts daily sync and intraday snapshot at scale (issue 5).

1,000 simulated accounts × ~100 posts, 100 ms added latency per request, simulator in its own
process. Setup (connect accounts, list their media history) is not timed. Timed, each in a fresh
worker process so its peak memory is its own: the daily sync exactly as the daily schedule
requests it (account insights for yesterday + the restatement window; media list + lifetime
insights snapshot), and one 30-minute intraday snapshot.

    .venv/bin/python bench/daily_sync.py [--accounts 1000] [--media 100] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench._common import emit, free_port, scratch_database, simulator  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def worker(args) -> None:
    """Runs inside a child process: one phase through Dagster, prints its own figures as JSON."""
    import dagster as dg

    from ig_pipeline.automation.schedules import DAILY_SYNC_SCHEDULES
    from ig_pipeline.clock import PipelineClock
    from ig_pipeline.definitions import make_definitions
    from ig_pipeline.graph.resource import InstagramGraphAPI
    from ig_pipeline.partitions import intraday_key
    from ig_pipeline.warehouse.resource import PostgresWarehouse

    now = datetime.fromisoformat(httpx.get(f"{args.sim}/_sim/clock").json()["now"])
    defs = make_definitions({
        "graph": InstagramGraphAPI(base_url=args.sim, instagram_base_url=args.sim, version="v24.0", app_secret=None),
        "warehouse": PostgresWarehouse(database_url=args.db), "clock": PipelineClock(fixed_now=now.isoformat())})
    gc_seconds = time_garbage_collection()
    rss_samples = sample_rss(every_s=10)
    started = time.perf_counter()
    with dg.instance_for_test() as instance:
        if args.worker == "media_history":
            from ig_pipeline.days import pacific_day
            from ig_pipeline.partitions import range_tags

            today = pacific_day(now)
            runs = [("instagram_media_job", None, range_tags((today - timedelta(days=729)).isoformat(),
                                                              (today - timedelta(days=1)).isoformat()))]
        elif args.worker == "daily_sync":
            context = dg.build_schedule_context(instance=instance, scheduled_execution_time=now,
                                                repository_def=defs.get_repository_def(),
                                                resources=defs.resources)
            runs = [(s.job_name, r.partition_key, r.tags)
                    for s in DAILY_SYNC_SCHEDULES for r in s.evaluate_tick(context).run_requests]
        else:
            runs = [("instagram_intraday_job", intraday_key(now), {})]
        failed = 0
        for job, partition, tags in runs:
            result = defs.resolve_job_def(job).execute_in_process(instance=instance, partition_key=partition,
                                                              tags=tags, raise_on_error=False)
            failed += sum(e.materialization.metadata["accounts_failed"].value
                          for e in result.get_asset_materialization_events())
            if not result.success:
                raise SystemExit(f"{job} failed")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall_s": time.perf_counter() - started, "accounts_failed": failed,
                      "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024, "gc_s": gc_seconds[0],
                      "rss_mb_every_10s": rss_samples}))


def sample_rss(every_s: float) -> list[int]:
    """A list a daemon thread appends this process's resident memory (MB) to every ``every_s``:
    whether memory stays flat while accounts stream through the run."""
    samples: list[int] = []
    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20

    def sample() -> None:
        while True:
            samples.append(round(int(Path("/proc/self/statm").read_text().split()[1]) * page_mb))
            time.sleep(every_s)

    if Path("/proc/self/statm").exists():
        threading.Thread(target=sample, daemon=True).start()
    return samples


def time_garbage_collection() -> list[float]:
    """A one-element list that sums the seconds Python's garbage collector runs from now on."""
    total, started = [0.0], [0.0]

    def callback(phase: str, _info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            total[0] += time.perf_counter() - started[0]

    gc.callbacks.append(callback)
    return total


def cpu_seconds(pid: int | None, children: bool = False) -> float:
    """User + system CPU seconds a live process has used so far, with ``children`` also those of its
    exited children it waited for (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(postmaster: int | None) -> float:
    """CPU seconds of a local Postgres server so far: the postmaster with its exited backends, plus
    the live ones (0.0 when the server is not on this machine or not readable)."""
    if postmaster is None:
        return 0.0
    live = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                live += cpu_seconds(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return cpu_seconds(postmaster, children=True) + live


def postmaster_pid(engine) -> int | None:
    """The server's process id from its postmaster.pid file, when the data directory is readable here."""
    from sqlalchemy import text

    try:
        with engine.connect() as conn:
            data_dir = conn.execute(text("SHOW data_directory")).scalar_one()
        return int((Path(data_dir) / "postmaster.pid").read_text().split()[0])
    except Exception:  # noqa: BLE001 - a remote or unreadable server: no Postgres figure
        return None


def run_worker(phase: str, sim: str, db: str, sim_pid: int, postmaster: int | None = None) -> dict:
    """One phase in a fresh process; adds the simulator's and Postgres's CPU seconds spent during it."""
    before, pg_before = cpu_seconds(sim_pid), postgres_cpu_seconds(postmaster)
    out = subprocess.run([sys.executable, __file__, "--worker", phase, "--sim", sim, "--db", db],
                         capture_output=True, text=True, cwd=ROOT, env=os.environ | {"IG_DEMO": "1"})
    if out.returncode != 0:
        raise SystemExit(f"{phase} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]) | {
        "sim_cpu_s": cpu_seconds(sim_pid) - before, "pg_cpu_s": postgres_cpu_seconds(postmaster) - pg_before}


async def connect(sim: str, db: str) -> int:
    """Connection rows with simulator-minted tokens (what the OAuth handler would store)."""
    from ig_pipeline.config import load_settings
    from ig_pipeline.connections.crypto import TokenCipher
    from ig_pipeline.warehouse import schema
    from ig_pipeline.warehouse.database import get_engine
    from ig_pipeline.warehouse.upsert import bulk_upsert

    cipher = TokenCipher.from_settings(load_settings())
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=50)) as http:
        world = (await http.get(f"{sim}/_sim/world")).json()
        gate = asyncio.Semaphore(50)

        async def mint(account):
            async with gate:
                response = await http.post(f"{sim}/_sim/tokens", json={"ig_user_id": account["id"]})
                return account, response.json()["access_token"]

        minted = await asyncio.gather(*(mint(a) for a in world["accounts"]))
    rows = [{"ig_user_id": a["id"], "owner_id": f"owner-{i % 50}", "login_type": "facebook", "status": "active",
             "token_encrypted": cipher.encrypt(token), "connected_at": datetime.now(UTC)}
            for i, (a, token) in enumerate(minted)]
    with get_engine(db).begin() as conn:
        bulk_upsert(conn, schema.instagram_connection, rows)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--media", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--worker")
    parser.add_argument("--sim")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    port = free_port()
    sim_url = f"http://127.0.0.1:{port}"
    os.environ.update({"IG_DEMO": "1", "IG_GRAPH_URL": sim_url})  # demo mode needs a loopback Graph URL
    with simulator(port, args.accounts, args.media, args.latency_ms) as sim:
        with scratch_database() as engine:
            db = engine.url.render_as_string(hide_password=False)
            connected = asyncio.run(connect(sim_url, db))
            history = run_worker("media_history", sim_url, db, sim.pid)
            httpx.delete(f"{sim_url}/_sim/requests")
            postmaster = postmaster_pid(engine)
            daily = run_worker("daily_sync", sim_url, db, sim.pid, postmaster)
            calls = httpx.get(f"{sim_url}/_sim/requests").json()["summary"]
            httpx.delete(f"{sim_url}/_sim/requests")
            intraday = run_worker("intraday", sim_url, db, sim.pid, postmaster)
            intraday_calls = httpx.get(f"{sim_url}/_sim/requests").json()["summary"]
    print(f"setup: {connected} accounts connected, media history listed in {history['wall_s']:.0f}s")
    emit({"accounts": connected, "latency_ms": args.latency_ms,
          "daily_sync_wall_s": round(daily["wall_s"], 1), "daily_sync_peak_rss_mb": round(daily["peak_rss_mb"]),
          "daily_sync_calls_per_account": round(calls["counted_calls"] / connected, 1),
          "daily_sync_round_trips_per_account": round(calls["round_trips"] / connected, 1),
          "daily_sync_accounts_failed": daily["accounts_failed"],
          "daily_sync_run_cpu_s": round(daily["cpu_s"], 1), "daily_sync_run_gc_s": round(daily["gc_s"], 1), "daily_sync_sim_cpu_s": round(daily["sim_cpu_s"], 1),
          "daily_sync_postgres_cpu_s": round(daily["pg_cpu_s"], 1),
          "daily_sync_sim_cpu_share": round(daily["sim_cpu_s"] / max(daily["wall_s"], 1e-9), 2),
          "intraday_wall_s": round(intraday["wall_s"], 1), "intraday_peak_rss_mb": round(intraday["peak_rss_mb"]),
          "intraday_run_cpu_s": round(intraday["cpu_s"], 1), "intraday_run_gc_s": round(intraday["gc_s"], 1), "intraday_sim_cpu_s": round(intraday["sim_cpu_s"], 1),
          "intraday_postgres_cpu_s": round(intraday["pg_cpu_s"], 1),
          "intraday_sim_cpu_share": round(intraday["sim_cpu_s"] / max(intraday["wall_s"], 1e-9), 2),
          "intraday_calls_per_account": round(intraday_calls["counted_calls"] / connected, 1),
          "daily_sync_rss_mb_every_10s": daily["rss_mb_every_10s"]})


if __name__ == "__main__":
    main()
