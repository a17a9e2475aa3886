"""Overhead of a run launched through the real dagster-daemon, beyond the work it does (issue 15).

    .venv/bin/python bench/run_overhead.py [--accounts 25]

Sets up what the demo sets up (embedded Postgres, simulator, OAuth handler, accounts connected
through the OAuth flow), runs ``instagram_account_daily_job`` for yesterday once in this process
(the baseline, and it keeps the new-connection sensor from backfilling during the measurement),
then starts ``dagster-daemon``, launches the same one-partition run with ``dagster job launch``
(queued run coordinator → daemon → run worker process) and waits for it to succeed.

work = the run's step durations (the asset and its check); overhead = created → finished − work.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import emit, free_port  # noqa: E402

JOB = "instagram_account_daily_job"
GOAL_S = 10.0


def settings_for(data_dir: Path, sim_port: int, oauth_port: int) -> dict[str, str]:
    oauth = f"http://127.0.0.1:{oauth_port}"
    return {"IG_DEMO": "1", "IG_DATA_DIR": str(data_dir), "IG_GRAPH_URL": f"http://127.0.0.1:{sim_port}",
            "IG_OAUTH_PUBLIC_URL": oauth, "IG_REDIRECT_URI": f"{oauth}/instagram/callback"}


def wait_for_daemon(instance, since: float, timeout_s: float = 180) -> float:
    """Seconds until the daemon's run queue reports a heartbeat (launching before would time its start-up)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        beat = instance.get_daemon_heartbeats().get("QUEUED_RUN_COORDINATOR")
        if beat is not None and beat.timestamp >= since:
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeError(f"dagster-daemon did not report within {timeout_s:.0f}s")


def wait_for_run(instance, run_id: str, timeout_s: float = 900):
    import dagster as dg

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = instance.get_run_record_by_id(run_id)
        if record is not None and record.dagster_run.status in (
                dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            return record
        time.sleep(0.2)
    raise RuntimeError(f"run {run_id} did not finish within {timeout_s:.0f}s")


def measure(args, data_dir: Path, supervisor) -> dict:
    import dagster as dg

    from ig_pipeline.config import load_settings
    from ig_pipeline.dagster_instance import REPO_ROOT, dagster_environment
    from ig_pipeline.days import pacific_day
    from ig_pipeline.demo.backfill import QUIET
    from ig_pipeline.demo.processes import bin_argv, cli_argv
    from ig_pipeline.demo.run import connect_all
    from ig_pipeline.warehouse.database import get_engine, warehouse_url
    from ig_pipeline.warehouse.migrate import migrate

    sim_port, oauth_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IG_", "DAGSTER_"))}
    env |= settings_for(data_dir, sim_port, oauth_port)
    os.environ.update(env)
    settings = load_settings()
    migrate(get_engine(warehouse_url(settings)))
    env |= dagster_environment(settings)
    os.environ.update(env)
    supervisor.start("simulator", cli_argv("simulator", "--port", str(sim_port), "--accounts", str(args.accounts)), env)
    supervisor.wait_http("simulator", f"{settings.graph_url}/_sim/clock")
    supervisor.start("oauth-server", cli_argv("oauth-server", "--port", str(oauth_port)), env)
    supervisor.wait_http("oauth-server", f"{settings.oauth_public_url}/healthz")
    connected = connect_all(settings.graph_url, settings)
    day = (pacific_day(datetime.now(UTC)) - timedelta(days=1)).isoformat()

    from ig_pipeline.definitions import defs

    with dg.DagsterInstance.get() as instance:
        started = time.perf_counter()
        baseline = defs.resolve_job_def(JOB).execute_in_process(instance=instance, partition_key=day,
                                                                run_config=QUIET, raise_on_error=False)
        in_process_s = time.perf_counter() - started
        if not baseline.success:
            raise RuntimeError("the in-process baseline run failed; see the simulator and warehouse logs")

        daemon_started = time.time()
        supervisor.start("dagster-daemon", bin_argv("dagster-daemon", "run", "-w", "workspace.yaml"), env,
                         cwd=REPO_ROOT)
        daemon_ready_s = wait_for_daemon(instance, daemon_started)

        run_id = str(uuid.uuid4())
        launch = subprocess.run(bin_argv("dagster", "job", "launch", "-w", "workspace.yaml", "-j", JOB, "--run-id",
                                         run_id, "--tags", json.dumps({"dagster/partition": day})),
                                env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
        if launch.returncode != 0:
            raise RuntimeError(f"dagster job launch failed: {launch.stderr[-2000:]}")
        record = wait_for_run(instance, run_id)
        steps = instance.get_run_step_stats(run_id)

    status = record.dagster_run.status.value
    total_s = record.end_time - record.create_timestamp.timestamp()
    work_s = sum((s.end_time or 0) - (s.start_time or 0) for s in steps)
    return {
        "status": status, "accounts": connected, "partition": day, "steps": len(steps),
        "run_total_s": round(total_s, 2), "work_s": round(work_s, 2), "overhead_s": round(total_s - work_s, 2),
        "queued_to_started_s": round(record.start_time - record.create_timestamp.timestamp(), 2),
        "in_process_baseline_s": round(in_process_s, 2), "daemon_ready_s": round(daemon_ready_s, 1),
        "goal_overhead_s": GOAL_S, "goal_met": status == "SUCCESS" and total_s - work_s <= GOAL_S,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=25)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="ig_run_overhead_"))

    from ig_pipeline.demo.processes import Supervisor
    from ig_pipeline.warehouse import embedded

    supervisor = Supervisor(data_dir / "logs")
    try:
        result = measure(args, data_dir, supervisor)
    finally:
        supervisor.stop()
        embedded.stop(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    emit(result)
    return 0 if result["status"] == "SUCCESS" else 1


if __name__ == "__main__":
    sys.exit(main())
