"""``ig-pipeline export``: one table or view as CSV, streamed with COPY (memory stays flat).

Input is validated against the database's own catalog before anything is opened for writing, and
the CSV goes to a temporary file renamed over ``--out`` at the end, so a bad request or a failure
mid-stream leaves an existing file untouched. A target that exists and is not a regular file (a
device such as /dev/null, a FIFO) is written directly, never replaced; ``--out -`` is stdout. Secret
columns (the encrypted token) are never exported, from whichever table or view carries them.

Formula injection: a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or CR.
With ``formulas="escape"`` such text values get a leading ``'`` (OWASP's advice), done in SQL so COPY
still streams; numbers and dates are never touched. The default escapes when writing a regular file
(opened by people) and keeps values raw on stdout and special files (read by programs). docs/export.md.

``--since``/``--until`` filter on the relation's first date column of ``DATE_COLUMNS``: a ``date`` column
inclusively on both ends; an instant (``timestamptz``) column from ``since`` 00:00 UTC up to, not including,
``until`` + 1 day 00:00 UTC, whatever the session's time zone. Rows come ordered by the primary key, or (a
view) by every orderable column, so the same data always exports to the same bytes.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO

from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ig_pipeline.connections import store as connections
from ig_pipeline.warehouse.roles import SECRET_COLUMNS

DATE_COLUMNS = ("day", "posted_day", "captured_at", "received_at", "commented_at", "week")  # first one present filters --since/--until
_DATE_TYPES = ("date", "timestamp with time zone", "timestamp without time zone")
HIDDEN_COLUMNS = frozenset().union(*SECRET_COLUMNS.values())  # dropped from every relation, views included
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LISTED_ACCOUNTS = 20
_TEXT_TYPES = ("text", "character varying", "character")  # format_type prefixes of text columns
FORMULA_MODES = ("escape", "raw")
_ESCAPED = "CASE WHEN {0} ~ '^[=+@\t\r-]' THEN '''' || {0} ELSE {0} END AS {0}"


class ExportError(ValueError):
    """Bad export request; the message says what is allowed."""


@dataclass(frozen=True)
class Relation:
    name: str
    kind: str  # "table" | "view"
    columns: tuple[str, ...]
    key: tuple[str, ...]
    types: tuple[str, ...] = ()  # format_type of each column
    orderable: tuple[str, ...] = ()  # columns ORDER BY accepts (not json, xml, geometric)

    def type_of(self, column: str) -> str | None:
        return dict(zip(self.columns, self.types, strict=False)).get(column)

    @property
    def exported_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in HIDDEN_COLUMNS)

    @property
    def date_column(self) -> str | None:
        return next((c for c in DATE_COLUMNS if c in self.columns and self.type_of(c) in _DATE_TYPES), None)


# Tables (partition parents, not partitions) and views, materialized ones included, of the current schema;
# not the bookkeeping of migrations and of the OAuth handler (used states, revocations, transfers).
_RELATIONS = text("""
SELECT c.relname AS name, CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS kind,
       array_agg(a.attname ORDER BY a.attnum) AS columns,
       array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) AS types,
       coalesce(array_agg(a.attname ORDER BY a.attnum) FILTER (
           WHERE coalesce(e.typname, t.typname) NOT IN ('json', 'xml')
             AND coalesce(e.typcategory, t.typcategory) <> 'G'), '{}') AS orderable,
       coalesce((SELECT array_agg(k.attname ORDER BY array_position(i.indkey::int2[], k.attnum))
                 FROM pg_index i JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = ANY (i.indkey)
                 WHERE i.indrelid = c.oid AND i.indisprimary), '{}') AS key
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
  AND c.relname NOT IN ('alembic_version', 'ig_oauth_state_used', 'ig_connect_link_revocation',
                        'ig_connection_transfer')
GROUP BY c.oid, c.relname, c.relkind
""")


def relations(engine: Engine) -> dict[str, Relation]:
    with engine.connect() as conn:
        return {r.name: Relation(r.name, r.kind, tuple(r.columns), tuple(r.key), tuple(r.types), tuple(r.orderable))
                for r in conn.execute(_RELATIONS)}


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise ExportError(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None
    if day == date.max:  # the day after it, where an instant filter ends, does not exist
        raise ExportError(f"{option} {value} is out of range: the last day accepted is 9999-12-30 "
                          "(leave the option out for no bound)")
    return day


def resolve(engine: Engine, *, name: str, kind: str, account: str | None, since: date | None,
            until: date | None) -> Relation:
    """The relation to export, or ExportError naming what is wrong and what is allowed."""
    known = relations(engine)
    if not known:
        raise ExportError("the warehouse has no tables or views: run `ig-pipeline migrate` first")
    relation = known.get(name)
    if relation is None or relation.kind != kind:
        allowed = sorted(r.name for r in known.values() if r.kind == kind)
        other = f" ({name} is a {relation.kind}: use --{relation.kind})" if relation else ""
        raise ExportError(f"unknown {kind} {name!r}{other}; {kind}s: {', '.join(allowed)}")
    if since and until and since > until:
        raise ExportError(f"--since {since} is after --until {until}")
    if (since or until) and not relation.date_column:
        dated = sorted(r.name for r in known.values() if r.kind == kind and r.date_column)
        raise ExportError(f"{name} has no date column ({', '.join(DATE_COLUMNS)}): --since/--until do not apply; "
                          f"{kind}s with one: {', '.join(dated)}")
    if account is not None:
        if "ig_user_id" not in relation.columns:
            with_account = sorted(r.name for r in known.values() if r.kind == kind and "ig_user_id" in r.columns)
            raise ExportError(f"{name} has no ig_user_id column: --account does not apply; "
                              f"{kind}s with one: {', '.join(with_account)}")
        with engine.connect() as conn:
            if not connections.exists(conn, account):
                ids = connections.some_ids(conn, _LISTED_ACCOUNTS + 1)
                listed = ", ".join(ids[:_LISTED_ACCOUNTS]) + (", …" if len(ids) > _LISTED_ACCOUNTS else "")
                raise ExportError(f"unknown account {account!r}: no such ig_user_id in instagram_connection; "
                                  f"accounts: {listed or 'none connected'}")
    return relation


def _selected(relation: Relation, column: str, escape_formulas: bool) -> sql.Composable:
    """The column, or (escaping, a text column) the column with ' before a leading formula character."""
    name = sql.Identifier(column)
    kind = relation.type_of(column) or ""
    if not escape_formulas or not kind.startswith(_TEXT_TYPES) or kind.endswith("[]"):
        return name
    return sql.SQL(_ESCAPED).format(name)


def build_query(relation: Relation, *, account: str | None, since: date | None, until: date | None,
                escape_formulas: bool = False) -> sql.Composed:
    columns = list(relation.exported_columns)
    where: list[sql.Composable] = []
    if account is not None:
        where.append(sql.SQL("{} = {}").format(sql.Identifier("ig_user_id"), sql.Literal(account)))
    column = relation.date_column
    if column and (since or until):
        kind = relation.type_of(column)
        # Dates compare inclusively; instants from since 00:00 UTC to before (until + 1 day) 00:00 UTC.
        # Bounds are typed literals (timestamptz with +00:00), so the session's TimeZone plays no part.
        zone = UTC if kind == "timestamp with time zone" else None
        if since:
            low = since if kind == "date" else datetime.combine(since, time(), zone)
            where.append(sql.SQL("{} >= {}").format(sql.Identifier(column), sql.Literal(low)))
        if until and kind == "date":
            where.append(sql.SQL("{} <= {}").format(sql.Identifier(column), sql.Literal(until)))
        elif until:
            high = datetime.combine(until + timedelta(days=1), time(), zone)
            where.append(sql.SQL("{} < {}").format(sql.Identifier(column), sql.Literal(high)))
    # The primary key orders a table totally; a view (no key) is ordered by all its orderable columns.
    order = [c for c in relation.key if c in columns] or [c for c in columns if c in relation.orderable]
    selected = [_selected(relation, c, escape_formulas) for c in columns]
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(selected), sql.Identifier(relation.name))
    if where:
        query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
    if order:
        query += sql.SQL(" ORDER BY ") + sql.SQL(", ").join(map(sql.Identifier, order))
    return query


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
           until: str | None = None, out: str | None = None, formulas: str | None = None) -> tuple[int, str]:
    """Export and return (rows, destination). Raises ExportError before writing anything.
    ``formulas``: "escape", "raw", or None for the default (escape only into a regular file)."""
    if formulas not in (None, *FORMULA_MODES):
        raise ExportError(f"--formulas must be one of {', '.join(FORMULA_MODES)}")
    since_day, until_day = parse_day(since, "--since"), parse_day(until, "--until")
    relation = resolve(engine, name=name, kind=kind, account=account, since=since_day, until=until_day)
    target = None if out in (None, "-") else Path(out)
    special = target is not None and target.exists() and not target.is_file() and not target.is_dir()
    escape = formulas == "escape" or (formulas is None and target is not None and not special)
    query = build_query(relation, account=account, since=since_day, until=until_day, escape_formulas=escape)
    if target is None:
        sys.stdout.flush()  # anything already printed as text goes before the CSV bytes
        rows = copy_csv(engine, query, sys.stdout.buffer)
        sys.stdout.flush()
        return rows, "stdout"
    if target.is_dir():
        raise ExportError(f"--out {out}: is a directory; give a file name")
    if not target.parent.is_dir():
        raise ExportError(f"--out {out}: directory {target.parent} does not exist")
    if special:  # a device or FIFO: renaming over it would replace it with a regular file
        with open(target, "wb") as handle:
            return copy_csv(engine, query, handle), str(target)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            rows = copy_csv(engine, query, handle)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return rows, str(target)
