"""Issue 13, finding 6: a tenant member's forgotten open transaction cannot stall `migrate` or partition
upkeep (lock timeout, retries, a message naming the session), and reader roles carry timeouts."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from ig_pipeline.warehouse import roles
from ig_pipeline.warehouse.database import get_engine
from ig_pipeline.warehouse.migrate import migrate
from ig_pipeline.warehouse.table_partitions import LockBusy, maintain


@pytest.fixture
def member_engine(database_url):
    """A login tenant member, connected as itself (role settings apply at login)."""
    engine = get_engine(database_url)
    name, password = f"tenant_lock_{uuid.uuid4().hex[:8]}", "pw-" + uuid.uuid4().hex
    with engine.begin() as conn:
        if not conn.execute(sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles "
                                    "WHERE rolname = current_user")).scalar_one():
            pytest.skip("the test database user may not create roles")
        roles.add_member(conn, name, tenant="owner-a", password=password)
    member = sa.create_engine(sa.engine.make_url(database_url).set(username=name, password=password))
    yield name, member
    member.dispose()


def test_reader_roles_get_idle_and_statement_timeouts(member_engine):
    name, member = member_engine
    with member.connect() as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar_one() == name
        assert conn.execute(sa.text("SHOW idle_in_transaction_session_timeout")).scalar_one() == "1min"
        assert conn.execute(sa.text("SHOW statement_timeout")).scalar_one() == "5min"


def test_migrate_behind_an_idle_reader_transaction_stops_with_a_clear_message(database_url, member_engine):
    name, member = member_engine
    engine = get_engine(database_url)
    with member.connect() as idle:
        idle.execute(sa.text("SELECT count(*) FROM instagram_account_intraday"))  # transaction left open
        with pytest.raises(LockBusy, match=rf"ig-pipeline migrate: a table lock was not granted within 2 tries "
                                           rf"of 100ms; open transactions: pid \d+ \({name}, idle in transaction"):
            migrate(engine, lock_timeout="100ms", attempts=2)
        with engine.connect() as pipeline:  # the pipeline's own reads are not queued behind migrate
            pipeline.execute(sa.text("SET statement_timeout = '5s'"))
            pipeline.execute(sa.text("SELECT count(*) FROM instagram_account_intraday"))
    before, after = migrate(engine)  # once the reader is gone it goes through
    assert before == after


def test_partition_upkeep_behind_a_locked_table_stops_with_a_clear_message(database_url, monkeypatch):
    import ig_pipeline.warehouse.table_partitions as partitions

    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "100ms")
    monkeypatch.setattr(partitions, "LOCK_ATTEMPTS", 2)
    engine = get_engine(database_url)
    with engine.connect() as holder:
        holder.execute(sa.text("LOCK TABLE instagram_account_intraday IN ACCESS SHARE MODE"))
        with engine.begin() as conn, pytest.raises(LockBusy, match="creating partition instagram_account_intraday_p"):
            maintain(conn, date(2031, 1, 15), keep_months=13)
    with engine.begin() as conn:
        assert "instagram_account_intraday_p2031_01" in maintain(conn, date(2031, 1, 15), keep_months=13)["created"]
