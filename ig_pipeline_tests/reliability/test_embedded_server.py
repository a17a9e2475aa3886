"""The embedded Postgres killed mid-write: the write fails, the next use restarts it, data is intact."""

import os
import signal
import time
from datetime import date

import pytest
import sqlalchemy as sa

from ig_pipeline.warehouse import embedded, schema
from ig_pipeline.warehouse.database import get_engine, warehouse_url
from ig_pipeline.warehouse.migrate import migrate
from ig_pipeline.warehouse.upsert import bulk_upsert

pytestmark = pytest.mark.reliability


def _postmaster_pid(data_dir) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])


def _row(day: int, reach: int) -> dict:
    return {"owner_id": "o", "ig_user_id": "1", "day": date(2026, 11, day), "reach": reach}


def test_killed_server_restarts_and_keeps_committed_data(server_dir, monkeypatch):
    tmp_path = server_dir
    monkeypatch.setenv("IG_DATA_DIR", str(tmp_path))
    try:
        engine = get_engine(warehouse_url())
        migrate(engine)
        with engine.begin() as conn:
            bulk_upsert(conn, schema.instagram_account_daily, [_row(1, 10)])

        with pytest.raises(sa.exc.OperationalError):
            with engine.begin() as conn:
                bulk_upsert(conn, schema.instagram_account_daily, [_row(1, 99), _row(2, 20)])
                os.kill(_postmaster_pid(tmp_path), signal.SIGKILL)  # the machine dies before the commit
                time.sleep(0.5)
                conn.execute(sa.text("SELECT 1"))
        assert not embedded.is_running(tmp_path)

        engine = get_engine(warehouse_url())  # next run: starts the server again (crash recovery)
        assert embedded.is_running(tmp_path)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT day, reach FROM instagram_account_daily")).all()
            assert conn.execute(sa.text("SELECT count(*) FROM pg_stat_database")).scalar() > 0
        assert rows == [(date(2026, 11, 1), 10)]  # the committed row, none of the torn transaction
    finally:
        embedded.stop(tmp_path)
    assert not embedded.is_running(tmp_path)


def test_server_killed_during_a_dagster_run_is_restarted_and_the_run_completes(make_env, server_dir, monkeypatch):
    """The run's embedded warehouse dies mid-run: the run's next write starts it again (one thread
    restarts it, the others wait and reuse it), and the warehouse equals a clean run's. A write that was
    in flight at the kill fails its account's transaction; the step then fails clearly and its retry
    policy re-runs it (the warehouse-level test above shows that part)."""
    from datetime import timedelta

    from ig_pipeline.days import pacific_day
    from ig_pipeline.warehouse.resource import PostgresWarehouse
    from ig_pipeline_tests.reliability.conftest import snapshot

    clean = make_env(accounts=8, seed=9, media=15, latency_ms=25)
    day = (pacific_day(clean.now()) - timedelta(days=1)).isoformat()
    now = clean.now()
    clean.finish(clean.start_run("instagram_media_daily_job", day, now))
    expected = snapshot(clean.warehouse)

    monkeypatch.setenv("IG_DATA_DIR", str(server_dir))
    monkeypatch.delenv("IG_DATABASE_URL", raising=False)
    try:
        migrate(get_engine(warehouse_url()))
        target = clean.with_warehouse(PostgresWarehouse(database_url=None))
        # accounts fetched and committed one by one, so the kill lands between two written accounts
        run = target.start_run("instagram_media_daily_job", day, now, concurrency=1, accounts_per_write=1)
        written = 0
        deadline = time.monotonic() + 60
        while written < 2 and time.monotonic() < deadline:  # kill once two accounts are in
            time.sleep(0.02)
            try:
                with get_engine(warehouse_url()).connect() as conn:
                    written = conn.execute(sa.text(
                        "SELECT count(*) FROM instagram_sync_state WHERE sync_kind = 'media_daily' "
                        "AND last_success_at IS NOT NULL")).scalar_one()
            except sa.exc.OperationalError:
                pass
        assert written == 2, "the run never wrote its first accounts"
        os.kill(_postmaster_pid(server_dir), signal.SIGKILL)
        log = target.finish(run, timeout=240)
        assert "is not running; starting it again" in log
        assert log.count("starting it again") == 1 or "STEP_UP_FOR_RETRY" in log
        assert snapshot(target.warehouse) == expected
    finally:
        embedded.stop(server_dir)


def test_many_threads_starting_the_server_at_once_all_get_it(server_dir, monkeypatch):
    """Sensors and writers run in threads: the first use of the server from many at once must not trip
    over the library's half-built handle (it did, and a run-failure alert was lost)."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("IG_DATA_DIR", str(server_dir))
    monkeypatch.delenv("IG_DATABASE_URL", raising=False)
    try:
        with ThreadPoolExecutor(8) as pool:
            urls = list(pool.map(lambda _: warehouse_url(), range(8)))
        assert len(set(urls)) == 1 and embedded.is_running(server_dir)
        os.kill(_postmaster_pid(server_dir), signal.SIGKILL)  # and again after a crash
        time.sleep(0.5)
        with ThreadPoolExecutor(8) as pool:
            urls = list(pool.map(lambda _: warehouse_url(), range(8)))
        with get_engine(urls[0]).connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        embedded.stop(server_dir)
