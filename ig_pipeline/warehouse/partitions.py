"""Monthly range partitions of the intraday tables: created ahead, dropped by retention.

Partitions are named ``<table>_pYYYY_MM`` and cover [first of month, first of next month) in UTC.
Loads call ``ensure_partitions`` for the months their rows fall in, so a row never lacks a home;
``maintain`` (run by ``ig-pipeline migrate`` and the daily upkeep job) creates the next months
and drops those older than the retention setting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ig_pipeline.warehouse.schema import INTRADAY_TABLES

_PARTITION = re.compile(r"_p(\d{4})_(\d{2})$")


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
        conn.execute(text(
            f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{table}" '
            f"FOR VALUES FROM ('{month.isoformat()}T00:00:00+00') TO ('{add_months(month, 1).isoformat()}T00:00:00+00')"
        ))
        created.append(name)
    return created


def drop_expired(conn: Connection, table: str, keep_months: int, today: date) -> list[str]:
    """Drop partitions entirely older than the last ``keep_months`` months (current month included)."""
    oldest_kept = add_months(month_start(today), -(keep_months - 1))
    dropped = []
    for month, name in sorted(existing_partitions(conn, table).items()):
        if month < oldest_kept:
            conn.execute(text(f'DROP TABLE "{name}"'))
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
