"""IG_DAILY_BATCHES=4 through the real dagster-daemon: the daily schedules' tick becomes 4 + 4 queued
runs, each in its own run worker process, in parallel under the instagram_api pool, and they leave
exactly the rows one unbatched run leaves (issue 17).

The batched side goes through the daemon (ig_pipeline_tests/daemon.py: code server, the project's
dagster.yaml on Postgres, the daemon catching up the schedules' last 00:15 Pacific tick). The
reference is the same tick evaluated with IG_DAILY_BATCHES=1 and its runs executed in this process
into a second warehouse, against the same frozen simulator and the same fixed clock.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import httpx
import pytest
import sqlalchemy as sa

from ig_pipeline.assets.common import API_POOL
from ig_pipeline.assets.selection import BATCH_TAG, batch_of
from ig_pipeline.automation.schedules import DAILY_SYNC_SCHEDULES
from ig_pipeline.clock import PipelineClock
from ig_pipeline.config import load_settings
from ig_pipeline.dagster_instance import dagster_environment
from ig_pipeline.definitions import make_definitions
from ig_pipeline.demo.processes import bin_argv
from ig_pipeline.errors import UserError
from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.database import get_engine
from ig_pipeline.warehouse.resource import PostgresWarehouse
from ig_pipeline_tests.conftest import create_database, drop_database
from ig_pipeline_tests.daemon import DaemonStack, last_daily_tick, max_overlap, run_facts
from ig_pipeline_tests.simenv import make_env  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(not Path(bin_argv("dagster-daemon")[0]).exists(),
                                reason="dagster-daemon is not installed next to this Python (pip install dagster)")

ACCOUNTS, BATCHES = 16, 4
POOL_LIMIT = 3  # below the 4 batch runs dagster.yaml lets start at once, so the pool has to hold one back
TABLES = ("instagram_account_daily", "instagram_media", "instagram_media_daily", "instagram_sync_state")
# Not compared: created_at/updated_at are set by the server's clock when the row is written (when, not
# what); last_run_id names the run that wrote the row, one of four batch runs against the single run.
# fetched_at, captured_at, counts_captured_at and last_seen_at come from the run's fixed clock and are compared.
NOT_COMPARED = {"created_at", "updated_at", "last_run_id"}


@pytest.fixture
def reference_url(pg_admin_uri, _migrated_template):
    name = f"ig_test_{uuid.uuid4().hex[:12]}"
    yield create_database(pg_admin_uri, name, template=_migrated_template)
    drop_database(pg_admin_uri, name)


@pytest.fixture
def dagster_storage(pg_admin_uri):
    """An empty database for Dagster's storage (it cannot share the warehouse's: dagster_instance.py)."""
    name = f"ig_test_dagster_{uuid.uuid4().hex[:12]}"
    yield create_database(pg_admin_uri, name)
    drop_database(pg_admin_uri, name)


def table_rows(url: str, table: str) -> list[tuple]:
    columns = [c for c in schema.metadata.tables[table].columns if c.name not in NOT_COMPARED]
    key = schema.metadata.tables[table].primary_key.columns
    with get_engine(url).connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(*columns).order_by(*key))]


def calls_per_account(sim_url: str) -> Counter:
    """Counted Graph calls per account since the log was last cleared (batch items by their own account)."""
    log = httpx.get(f"{sim_url}/_sim/requests", timeout=30).json()["requests"]
    calls = Counter()
    for entry in log:
        for item in entry.get("batch") or [entry]:
            calls[item.get("account")] += item.get("counted_calls", 0)
    return calls


def pool_step_names(defs: dg.Definitions) -> set[str]:
    return {node.name for schedule in DAILY_SYNC_SCHEDULES
            for node in defs.resolve_job_def(schedule.job_name).nodes_in_topological_order
            if getattr(node.definition, "pool", None) == API_POOL}


def run_unbatched(defs: dg.Definitions, tick: datetime) -> list[str]:
    """The tick's runs as the schedules request them with IG_DAILY_BATCHES=1, executed here in turn."""
    jobs = []
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick,
                                            repository_def=defs.get_repository_def(), resources=defs.resources)
        for schedule in DAILY_SYNC_SCHEDULES:
            for request in schedule.evaluate_tick(context).run_requests:
                assert BATCH_TAG not in request.tags
                defs.resolve_job_def(schedule.job_name).execute_in_process(
                    instance=instance, partition_key=request.partition_key, tags=request.tags)
                jobs.append(schedule.job_name)
    return jobs


def test_daily_batches_run_in_parallel_through_the_daemon_and_leave_the_unbatched_rows(
        make_env, reference_url, dagster_storage, tmp_path, monkeypatch):  # noqa: F811 (make_env: the fixture imported above)
    tick = last_daily_tick(datetime.now(UTC))
    env = make_env(accounts=ACCOUNTS, media=30, start=tick + timedelta(minutes=45), latency_ms=50)
    assert sorted(Counter(batch_of(a, BATCHES) for a in env.accounts).values()) == [4, 4, 4, 4]  # no empty batch
    now = env.now()
    batched_url = env.warehouse.database_url

    # Reference: one unbatched run per daily job, in this process, into its own warehouse.
    reference = env.with_warehouse(PostgresWarehouse(database_url=reference_url))
    monkeypatch.setenv("IG_DAILY_BATCHES", "1")
    defs = make_definitions({"warehouse": reference.warehouse, "clock": PipelineClock(fixed_now=now.isoformat())})
    httpx.delete(f"{env.url}/_sim/requests")
    assert sorted(run_unbatched(defs, tick)) == sorted(s.job_name for s in DAILY_SYNC_SCHEDULES)
    reference_calls = calls_per_account(env.url)
    httpx.delete(f"{env.url}/_sim/requests")

    # Batched: the daemon evaluates the same tick with IG_DAILY_BATCHES=4 against the other warehouse.
    monkeypatch.setenv("IG_DATABASE_URL", batched_url)
    monkeypatch.setenv("IG_DAILY_BATCHES", str(BATCHES))
    monkeypatch.setenv("IG_DAGSTER_PG_URL", dagster_storage)
    instance_env = dagster_environment(load_settings())
    location_env = dict(os.environ) | instance_env | {"IG_FIXED_NOW": now.isoformat()}
    # The instance first: it creates Dagster's tables before the code server and the daemon use them.
    with dg.DagsterInstance.from_config(instance_env["DAGSTER_HOME"]) as instance, \
            DaemonStack(location_env, tmp_path / "daemon") as stack:
        instance.event_log_storage.set_concurrency_slots(API_POOL, POOL_LIMIT)
        assert stack.arm_daily_tick(instance) == tick
        stack.start_daemon()
        records = stack.wait_for_runs(instance, 2 * BATCHES, timeout_s=150)
        facts = [run_facts(instance, r, pool_step_names(defs)) for r in records]
        daemon_pid = stack.supervisor.children[-1][1].pid
        checks = {f.run_id: _accounts_ok(instance, f.run_id) for f in facts}

    # 4 + 4 runs from the daemon's evaluation of the tick, through the queue, each batch once, all succeeded.
    assert len(facts) == 2 * BATCHES, [(f.job, f.tags.get(BATCH_TAG)) for f in facts]
    for schedule in DAILY_SYNC_SCHEDULES:
        mine = [f for f in facts if f.job == schedule.job_name]
        assert sorted(f.tags[BATCH_TAG] for f in mine) == [f"{i}/{BATCHES}" for i in range(BATCHES)]
        assert all(f.tags.get("dagster/schedule_name") == schedule.name for f in mine)
        # Every account in exactly one batch: the batch runs' accounts add up to the accounts.
        assert sum(checks[f.run_id] for f in mine) == ACCOUNTS, {f.tags[BATCH_TAG]: checks[f.run_id] for f in mine}
    assert all(f.status == dg.DagsterRunStatus.SUCCESS for f in facts), [(f.job, f.status) for f in facts]
    assert all(f.queued for f in facts), "every run must be enqueued and dequeued by the run queue"

    # Separate run worker processes, at least two of them at the same time, the pool never exceeded.
    pids = [f.worker_pid for f in facts]
    assert None not in pids and len(set(pids)) == len(facts) and daemon_pid not in pids, pids
    assert max_overlap([(f.started, f.ended) for f in facts]) >= 2, [(f.started, f.ended) for f in facts]
    assert 1 <= max_overlap([step for f in facts for step in f.pool_steps]) <= POOL_LIMIT

    # The same API work per account, nothing dropped or done twice.
    assert calls_per_account(env.url) == reference_calls
    assert {a for a in reference_calls if a} == set(env.accounts)

    # Exactly the rows of the unbatched run.
    for table in TABLES:
        expected, got = table_rows(reference_url, table), table_rows(batched_url, table)
        assert expected, f"{table}: the unbatched run wrote no rows, so the comparison would prove nothing"
        assert got == expected, _difference(table, expected, got)


def _accounts_ok(instance: dg.DagsterInstance, run_id: str) -> int:
    """Accounts the run synced: accounts_ok of its accounts_synced checks (one per asset; every asset of a
    job covers the same accounts)."""
    counts = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        if evaluation.check_name == "accounts_synced":
            counts.append(evaluation.metadata["accounts_ok"].value)
    assert counts and len(set(counts)) == 1, counts
    return counts[0]


def _difference(table: str, expected: list[tuple], got: list[tuple]) -> str:
    expected_set, got_set = {repr(r) for r in expected}, {repr(r) for r in got}  # JSONB values are not hashable
    missing, extra = expected_set - got_set, got_set - expected_set
    return (f"{table}: {len(expected)} rows unbatched, {len(got)} batched; {len(missing)} only unbatched "
            f"(e.g. {sorted(missing)[:2]}), {len(extra)} only batched (e.g. {sorted(extra)[:2]})")


def test_dagster_storage_never_shares_the_warehouse_database(monkeypatch):
    """Both keep an alembic_version table: Dagster's storage refuses the warehouse's schema version."""
    monkeypatch.setenv("IG_DATABASE_URL", "postgresql://app@db.example.com/warehouse")
    with pytest.raises(UserError, match="IG_DAGSTER_PG_URL"):
        dagster_environment(load_settings())
    monkeypatch.setenv("IG_DAGSTER_PG_URL", "postgresql://app@db.example.com/dagster")
    assert dagster_environment(load_settings())["IG_DAGSTER_PG_URL"] == "postgresql+psycopg2://app@db.example.com/dagster"
