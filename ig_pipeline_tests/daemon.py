"""The real dagster-daemon evaluating the daily schedules' last tick (test_daemon_batches, bench/batched_daily.py).

A code server (``dagster code-server start``) serves ig_pipeline_tests/daemon_location.py with the
environment given (warehouse, simulator, IG_DAILY_BATCHES); ``dagster-daemon run`` works against
the project's dagster.yaml (QueuedRunCoordinator, run and pool limits) on Postgres storage.

How the tick is made to happen now: the daemon's scheduler evaluates every tick between the time a
schedule's state says it was started and now (its catch-up; one tick for an unpartitioned job).
Recording the daily schedules as started one minute before their last 00:15 Pacific tick (what
``dagster schedule start`` would have written then) makes the daemon evaluate that tick as soon
as it starts. Nothing else is faked: the daemon calls the schedule functions in the code server,
the QueuedRunCoordinator queues the runs, the run-queue daemon launches them and each runs in its
own worker process spawned by the code server. Every other schedule and sensor is recorded as
stopped (as `dagster schedule stop` would), so no other run starts.
"""

from __future__ import annotations

import re
import socket
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.errors import DagsterUserCodeUnreachableError
from dagster._core.scheduler.instigation import InstigatorState, InstigatorStatus, ScheduleInstigatorData
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._grpc.client import DagsterGrpcClient

from ig_pipeline.dagster_instance import REPO_ROOT
from ig_pipeline.demo.processes import Supervisor, bin_argv

LOCATION = "ig_pipeline"
LOCATION_MODULE = "ig_pipeline_tests.daemon_location"
DAILY_SCHEDULES = ("daily_account_insights_schedule", "daily_media_schedule")
FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
_PID = re.compile(r"Started process for run \(pid: (\d+)\)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunFacts:
    """What the instance recorded about one run."""

    run_id: str
    job: str
    tags: dict[str, str]
    status: dg.DagsterRunStatus
    created: float
    started: float | None
    ended: float | None
    worker_pid: int | None  # the run worker's process, from its "Started process for run" event
    queued: bool  # RUN_ENQUEUED, then RUN_STARTING: it went through the run queue
    pool_steps: list[tuple[float, float]]  # (start, end) of its steps that hold an instagram_api slot


class DaemonStack:
    """Code server + daemon under one Supervisor; ``env`` is the code location's environment and must
    carry DAGSTER_HOME and IG_DAGSTER_PG_URL (ig_pipeline.dagster_instance.dagster_environment)."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.supervisor = Supervisor(log_dir)
        self.port = free_port()
        self.workspace = log_dir / "workspace.yaml"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.workspace.write_text(f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {self.port}\n"
                                  f"      location_name: {LOCATION}\n")

    def __enter__(self) -> DaemonStack:
        self.supervisor.start("code-server", bin_argv(
            "dagster", "code-server", "start", "-m", LOCATION_MODULE, "-d", str(REPO_ROOT), "-h", "127.0.0.1",
            "-p", str(self.port), "--location-name", LOCATION), self.env, cwd=REPO_ROOT)
        return self

    def __exit__(self, *exc) -> None:
        self.supervisor.stop()

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def arm_daily_tick(self, instance: dg.DagsterInstance, timeout_s: float = 120) -> datetime:
        """Record the daily schedules as started just before their last tick and stop everything else;
        returns that tick's time. Waits for the code server to serve the location."""
        deadline = time.monotonic() + timeout_s
        client = DagsterGrpcClient(port=self.port, host="127.0.0.1")
        while True:
            try:
                client.ping("ready?")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a location still loading is reported as a warning
                    with WorkspaceProcessContext(instance, WorkspaceFileTarget([str(self.workspace)])) as context:
                        entry = context.create_request_context().get_location_entry(LOCATION)
                        if entry and entry.code_location:
                            return _arm(instance, next(iter(entry.code_location.get_repositories().values())))
            except DagsterUserCodeUnreachableError:
                pass
            if self.supervisor.children[0][1].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the code server did not serve {LOCATION}:\n{self.log_tail('code-server')}")
            time.sleep(0.5)

    def start_daemon(self) -> None:
        self.supervisor.start("dagster-daemon", bin_argv("dagster-daemon", "run", "-w", str(self.workspace)),
                              self.env, cwd=REPO_ROOT)

    def wait_for_runs(self, instance: dg.DagsterInstance, count: int, timeout_s: float,
                      on_poll=None) -> list[dg.RunRecord]:
        """The first ``count`` runs, once all have finished. ``on_poll(records)`` is called on every poll."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            records = instance.get_run_records()
            if on_poll:
                on_poll(records)
            if len(records) >= count and all(r.dagster_run.status in FINISHED for r in records):
                return records
            for name, process in self.supervisor.children:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            time.sleep(0.25)
        states = sorted(r.dagster_run.status.value for r in instance.get_run_records())
        raise RuntimeError(f"{count} runs did not finish within {timeout_s:.0f}s (runs: {states}); daemon log:\n"
                           f"{self.log_tail('dagster-daemon')}")


def _arm(instance: dg.DagsterInstance, repository) -> datetime:
    now = time.time()
    ticks = set()
    for schedule in repository.get_schedules():
        if schedule.name not in DAILY_SCHEDULES:
            instance.stop_schedule(schedule.get_remote_origin_id(), schedule.selector_id, schedule)
            continue
        last = None
        for moment in schedule.execution_time_iterator(now - 2 * 86400):
            if moment.timestamp() > now:
                break
            last = moment
        ticks.add(last.astimezone(UTC))
        instance.add_instigator_state(InstigatorState(
            schedule.get_remote_origin(), InstigatorType.SCHEDULE, InstigatorStatus.RUNNING,
            ScheduleInstigatorData(schedule.cron_schedule, start_timestamp=last.timestamp() - 60)))
    for sensor in repository.get_sensors():
        instance.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)
    if len(ticks) != 1:
        raise RuntimeError(f"expected {DAILY_SCHEDULES} to share one last tick, got {sorted(ticks)}")
    return ticks.pop()


def last_daily_tick(now: datetime) -> datetime:
    """The last 00:15 America/Los_Angeles at or before ``now`` (the daily schedules' cron), to start the
    simulator's clock after it before the code location exists."""
    pacific = now.astimezone(ZoneInfo("America/Los_Angeles"))
    day = pacific.date() if (pacific.hour, pacific.minute) >= (0, 15) else pacific.date() - timedelta(days=1)
    return datetime(day.year, day.month, day.day, 0, 15, tzinfo=pacific.tzinfo).astimezone(UTC)


def run_facts(instance: dg.DagsterInstance, record: dg.RunRecord, pool_steps: set[str]) -> RunFacts:
    run = record.dagster_run
    pid, enqueued, dequeued = None, False, False
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.RUN_ENQUEUED:
            enqueued = True
        elif event.event_type == dg.DagsterEventType.RUN_STARTING:  # the run queue daemon launched it
            dequeued = enqueued
        elif event.event_type == dg.DagsterEventType.ENGINE_EVENT and (match := _PID.search(entry.message or "")):
            pid = int(match.group(1))
    steps = [(s.start_time, s.end_time) for s in instance.get_run_step_stats(run.run_id)
             if s.step_key in pool_steps and s.start_time and s.end_time]
    return RunFacts(run.run_id, run.job_name, dict(run.tags), run.status, record.create_timestamp.timestamp(),
                    record.start_time, record.end_time, pid, enqueued and dequeued, steps)


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at one instant."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    most = current = 0
    for _, step in edges:
        current += step
        most = max(most, current)
    return most
