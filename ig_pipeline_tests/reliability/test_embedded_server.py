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
