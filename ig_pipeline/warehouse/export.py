"""``ig-pipeline export``: one table or view as CSV, streamed with COPY (memory stays flat).

Input is validated against the database's own catalog before anything is opened for writing, and
the CSV goes to a temporary file renamed over ``--out`` at the end, so a bad request or a failure
mid-stream leaves an existing file untouched. The encrypted token column is never exported.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ig_pipeline.warehouse.roles import SECRET_COLUMNS

DATE_COLUMNS = ("day", "posted_day", "captured_at", "received_at")  # first one present filters --since/--until


class ExportError(ValueError):
    """Bad export request; the message says what is allowed."""


@dataclass(frozen=True)
class Relation:
    name: str
    kind: str  # "table" | "view"
    columns: tuple[str, ...]
    key: tuple[str, ...]

    @property
    def date_column(self) -> str | None:
        return next((c for c in DATE_COLUMNS if c in self.columns), None)


_RELATIONS = text("""
SELECT c.relname AS name, CASE WHEN c.relkind = 'v' THEN 'view' ELSE 'table' END AS kind,
       array_agg(a.attname ORDER BY a.attnum) AS columns,
       coalesce((SELECT array_agg(k.attname ORDER BY array_position(i.indkey::int2[], k.attnum))
                 FROM pg_index i JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = ANY (i.indkey)
                 WHERE i.indrelid = c.oid AND i.indisprimary), '{}') AS key
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition AND c.relname <> 'alembic_version'
GROUP BY c.oid, c.relname, c.relkind
""")


def relations(engine: Engine) -> dict[str, Relation]:
    with engine.connect() as conn:
        return {r.name: Relation(r.name, r.kind, tuple(r.columns), tuple(r.key)) for r in conn.execute(_RELATIONS)}


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ExportError(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None


def resolve(engine: Engine, *, name: str, kind: str, account: str | None, since: date | None,
            until: date | None) -> Relation:
    """The relation to export, or ExportError naming what is wrong and what is allowed."""
    known = relations(engine)
    relation = known.get(name)
    if relation is None or relation.kind != kind:
        allowed = sorted(r.name for r in known.values() if r.kind == kind)
        other = f" ({name} is a {relation.kind}: use --{relation.kind})" if relation else ""
        raise ExportError(f"unknown {kind} {name!r}{other}; {kind}s: {', '.join(allowed)}")
    if since and until and since > until:
        raise ExportError(f"--since {since} is after --until {until}")
    if (since or until) and not relation.date_column:
        raise ExportError(f"{name} has no date column ({', '.join(DATE_COLUMNS)}): --since/--until do not apply")
    if account is not None:
        if "ig_user_id" not in relation.columns:
            raise ExportError(f"{name} has no ig_user_id column: --account does not apply")
        with engine.connect() as conn:
            if conn.execute(text("SELECT 1 FROM instagram_connection WHERE ig_user_id = :a"), {"a": account}).first() is None:
                raise ExportError(f"unknown account {account!r}: no such ig_user_id in instagram_connection")
    return relation


def build_query(relation: Relation, *, account: str | None, since: date | None, until: date | None) -> sql.Composed:
    hidden = SECRET_COLUMNS.get(relation.name, set())
    columns = [c for c in relation.columns if c not in hidden]
    where: list[sql.Composable] = []
    if account is not None:
        where.append(sql.SQL("ig_user_id = {}").format(sql.Literal(account)))
    column = relation.date_column
    if column and since:
        where.append(sql.SQL("{} >= {}").format(sql.Identifier(column), sql.Literal(since)))
    if column and until:
        # Dates compare inclusively; instants up to the end of the --until day (UTC).
        bound = sql.SQL("{} <= {}") if column.endswith("day") else sql.SQL("{} < {}::date + 1")
        where.append(bound.format(sql.Identifier(column), sql.Literal(until)))
    order = [c for c in relation.key if c in columns] or columns[:3]
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, columns)),
                                                sql.Identifier(relation.name))
    if where:
        query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
    return query + sql.SQL(" ORDER BY ") + sql.SQL(", ").join(map(sql.Identifier, order))


def copy_csv(engine: Engine, query: sql.Composed, out: IO[bytes]) -> int:
    """Stream ``query`` as CSV with a header into ``out``; returns the number of data rows."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cursor:
            statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(query)
            with cursor.copy(statement) as copy:
                for chunk in copy:
                    out.write(chunk)
            rows = cursor.rowcount
        conn.rollback()
        return rows
    finally:
        raw.close()


def export(engine: Engine, *, name: str, kind: str, account: str | None = None, since: str | None = None,
           until: str | None = None, out: str | None = None) -> tuple[int, str]:
    """Export and return (rows, destination). Raises ExportError before writing anything."""
    since_day, until_day = parse_day(since, "--since"), parse_day(until, "--until")
    relation = resolve(engine, name=name, kind=kind, account=account, since=since_day, until=until_day)
    query = build_query(relation, account=account, since=since_day, until=until_day)
    if out is None:
        rows = copy_csv(engine, query, sys.stdout.buffer)
        sys.stdout.flush()
        return rows, "stdout"
    target = Path(out)
    if not target.parent.is_dir():
        raise ExportError(f"--out {out}: directory {target.parent} does not exist")
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            rows = copy_csv(engine, query, handle)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return rows, str(target)
