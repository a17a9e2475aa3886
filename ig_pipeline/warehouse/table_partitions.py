"""Monthly range partitions of the intraday tables: created ahead, dropped by retention.

Partitions are named ``<table>_pYYYY_MM`` and cover [first of month, first of next month) in UTC.
Loads call ``ensure_partitions`` for the months their rows fall in, so a row never lacks a home;
``maintain`` (run by ``ig-pipeline migrate`` and the daily upkeep job) creates the next months
and drops those older than the retention setting.

Creating or dropping a partition locks the parent table. Each such statement waits at most
LOCK_TIMEOUT for that lock and is retried LOCK_ATTEMPTS times, then LockBusy names the sessions in
the way: a reader's forgotten open transaction must not make the pipeline queue behind it forever
(a waiting ACCESS EXCLUSIVE request blocks every later reader of the table too).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from ig_pipeline.warehouse.schema import INTRADAY_TABLES

_PARTITION = re.compile(r"_p(\d{4})_(\d{2})$")
LOCK_TIMEOUT = "5s"
LOCK_ATTEMPTS = 4
_LOCK_NOT_AVAILABLE = "55P03"
_BLOCKERS = text("""
SELECT pid, usename, state, date_trunc('second', now() - xact_start) AS open_for
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
ORDER BY xact_start LIMIT 5
""")


class LockBusy(RuntimeError):
    """A table lock could not be had within the retries; the message names the sessions holding transactions."""


def is_lock_timeout(exc: BaseException) -> bool:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == _LOCK_NOT_AVAILABLE


def lock_busy(engine: Engine, what: str, attempts: int, timeout: str) -> LockBusy:
    """LockBusy for ``what``, listing the oldest open transactions (read on a fresh connection)."""
    try:
        with engine.connect() as conn:
            sessions = [f"pid {r.pid} ({r.usename}, {r.state}, transaction open {r.open_for})"
                        for r in conn.execute(_BLOCKERS)]
    except OperationalError:
        sessions = []
    return LockBusy(f"{what}: a table lock was not granted within {attempts} tries of {timeout}; open "
                    f"transactions: {'; '.join(sessions) or 'none now'}. Nothing was changed. End or wait for "
                    "them (SELECT pg_terminate_backend(pid) ends one) and run again.")


def with_lock_timeout(conn: Connection, statement: Callable[[], object], what: str) -> None:
    """Run ``statement`` in a savepoint with LOCK_TIMEOUT, retrying on a lock timeout; LockBusy after."""
    timeout, attempts = LOCK_TIMEOUT, LOCK_ATTEMPTS
    previous = conn.execute(text("SELECT current_setting('lock_timeout')")).scalar_one()
    for attempt in range(1, attempts + 1):
        try:
            with conn.begin_nested():
                conn.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": timeout})
                statement()
            break
        except OperationalError as exc:
            if not is_lock_timeout(exc):
                raise
            if attempt == attempts:
                raise lock_busy(conn.engine, what, attempts, timeout) from None
            time.sleep(attempt)
    conn.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": previous})


def month_start(value: date | datetime) -> date:
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return value.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y_%m}"


def existing_partitions(conn: Connection, table: str) -> dict[date, str]:
    rows = conn.execute(
        text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
             "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :table"),
        {"table": table},
    ).scalars()
    found = {}
    for name in rows:
        match = _PARTITION.search(name)
        if match:
            found[date(int(match[1]), int(match[2]), 1)] = name
    return found


def ensure_partitions(conn: Connection, table: str, months: Iterable[date]) -> list[str]:
    """Create the monthly partitions of ``table`` for ``months`` that do not exist yet."""
    have = existing_partitions(conn, table)
    created = []
    for month in sorted({month_start(m) for m in months}):
        if month in have:
            continue
        name = partition_name(table, month)
        # IF NOT EXISTS + the advisory lock keep concurrent loaders from racing on the same month.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
        create = text(
            f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{table}" '
            f"FOR VALUES FROM ('{month.isoformat()}T00:00:00+00') TO ('{add_months(month, 1).isoformat()}T00:00:00+00')"
        )
        with_lock_timeout(conn, lambda statement=create: conn.execute(statement), f"creating partition {name}")
        created.append(name)
    return created


def drop_expired(conn: Connection, table: str, keep_months: int, today: date) -> list[str]:
    """Drop partitions entirely older than the last ``keep_months`` months (current month included)."""
    oldest_kept = add_months(month_start(today), -(keep_months - 1))
    dropped = []
    for month, name in sorted(existing_partitions(conn, table).items()):
        if month < oldest_kept:
            drop = text(f'DROP TABLE "{name}"')
            with_lock_timeout(conn, lambda statement=drop: conn.execute(statement), f"dropping partition {name}")
            dropped.append(name)
    return dropped


def maintain(conn: Connection, today: date, keep_months: int, months_ahead: int = 3) -> dict[str, list[str]]:
    """Create this month and ``months_ahead`` more for every intraday table; apply retention."""
    months = [add_months(month_start(today), n) for n in range(months_ahead + 1)]
    report: dict[str, list[str]] = {"created": [], "dropped": []}
    for table in INTRADAY_TABLES:
        report["created"] += ensure_partitions(conn, table.name, months)
        report["dropped"] += drop_expired(conn, table.name, keep_months, today)
    return report
