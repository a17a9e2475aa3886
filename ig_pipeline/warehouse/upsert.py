"""The one bulk write path: rows → COPY into a temp table → INSERT … ON CONFLICT DO UPDATE.

Every loader writes through ``bulk_upsert`` inside the caller's transaction (one per account and
partition), so a crash leaves either the old rows or the new ones. A row identical to what is
stored is not rewritten (the UPDATE has a ``WHERE … IS DISTINCT FROM`` guard): re-running a
partition at the same instant changes nothing, ``updated_at`` included. Bookkeeping columns
(``fetched_at``, ``last_seen_at``) say when the row was last fetched, as the data dictionary
promises, so a later fetch of unchanged values does write them — and the row counts as
*unchanged*, not updated. Only the columns present in the row dicts are written, so a partial
row never blanks other columns. ``bulk_upsert_counts`` says how many rows were inserted, updated
(data changed) and unchanged: stored keys and stored rows whose data differs are counted before
the write, inside the same transaction. (``RETURNING xmax = 0`` would tell inserts apart too, but
partitioned tables refuse system columns.)

The intraday tables take a shortcut first: a snapshot window's keys are new by construction, so
their rows are COPYed straight into the table under a savepoint, and only if a key turns out to be
stored does the write go the staging way above (issue 17: new rows then cost what a COPY into the
same indexed table costs).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from psycopg import sql
from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb
from sqlalchemy import String, Table
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Connection

from ig_pipeline.warehouse.schema import INTRADAY_TABLES
from ig_pipeline.warehouse.table_partitions import ensure_partitions

_MANAGED = {"created_at", "updated_at"}
# When a row was fetched is not a change in its data: written, but such a row counts as unchanged.
_BOOKKEEPING = {"fetched_at", "last_seen_at"}
_temp_names = itertools.count()


def strip_nul(value: Any) -> Any:
    """Postgres text cannot hold NUL bytes: drop them, keep everything else (also inside JSON)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    return value


def storable_json(value: Any) -> Any:
    """``value`` as jsonb accepts it: strings without NUL (``strip_nul``), and NaN/±Infinity, which
    Python's json writes but JSON and Postgres do not know, as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return strip_nul(value)
    if isinstance(value, dict):
        return {strip_nul(k): storable_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_json(v) for v in value]
    return value


@dataclass(frozen=True)
class Written:
    """What one upsert did: rows new to the table, rows whose values changed, rows already equal."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def __add__(self, other: Written) -> Written:
        return Written(self.inserted + other.inserted, self.updated + other.updated,
                       self.unchanged + other.unchanged)


def bulk_upsert(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Upsert ``rows`` into ``table``; returns how many rows were inserted or changed."""
    return bulk_upsert_counts(conn, table, rows).changed


def bulk_upsert_counts(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> Written:
    """Upsert ``rows`` into ``table``; returns the inserted, updated and unchanged counts."""
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    return sum((_upsert_group(conn, table, list(columns), group) for columns, group in groups.items()), Written())


def _upsert_group(conn: Connection, table: Table, columns: list[str], rows: Sequence[Mapping]) -> Written:
    unknown = set(columns) - set(table.columns.keys()) | (set(columns) & _MANAGED)
    if unknown:
        raise ValueError(f"{table.name}: unknown or database-managed columns {sorted(unknown)}")
    key = [c.name for c in table.primary_key.columns]
    missing = set(key) - set(columns)
    if missing:
        raise ValueError(f"{table.name}: rows lack key columns {sorted(missing)}")

    # Last row wins for a repeated key (ON CONFLICT cannot touch one row twice in a statement).
    key_of = itemgetter(*key)
    unique = {key_of(row): row for row in rows}
    if table in INTRADAY_TABLES:
        ensure_partitions(conn, table.name, {row["captured_at"] for row in unique.values()})

    temp = sql.Identifier(f"_upsert_{table.name}_{next(_temp_names)}")
    target = sql.Identifier(table.name)
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    cursor = conn.connection.driver_connection.cursor()
    with cursor:
        if (table in INTRADAY_TABLES and not _stored(cursor, target, key, next(iter(unique.values())))
                and _copy_if_all_new(conn, cursor, table, columns, unique.values())):
            return Written(inserted=len(unique))
        cursor.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
                       .format(temp, cols, target))
        _copy(cursor, temp, table, columns, unique.values())
        cursor.execute(_count_statement(target, temp, columns, key))
        stored, updated = cursor.fetchone()
        cursor.execute(_insert_statement(target, temp, columns, key))
        cursor.execute(sql.SQL("DROP TABLE {}").format(temp))
    return Written(len(unique) - stored, updated, stored - updated)


def _copy_if_all_new(conn: Connection, cursor, table: Table, columns: list[str], rows: Iterable[Mapping]) -> bool:
    """COPY ``rows`` straight into ``table`` (no staging table, no ON CONFLICT) and say True, or, if a
    key is already stored, undo that COPY and say False. A snapshot window's keys are new by
    construction, so for the intraday tables this is the usual case, and it costs what a plain COPY
    into the indexed table costs. Trying is cheaper than asking first: looking up every key beforehand
    cost more than the COPY itself; the caller only asks about the first row, which tells a re-run of
    a stored window at once. A stored key stops the COPY at its first conflicting row and the
    savepoint undoes what it wrote (dead tuples that vacuum reclaims); the staging path then decides."""
    try:
        with conn.begin_nested():
            _copy(cursor, sql.Identifier(table.name), table, columns, rows)
    except UniqueViolation:
        return False
    return True


def _stored(cursor, target: sql.Identifier, key: list[str], row: Mapping) -> bool:
    on_key = sql.SQL(" AND ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in key)
    cursor.execute(sql.SQL("SELECT EXISTS (SELECT FROM {} WHERE {})").format(target, on_key), [row[c] for c in key])
    return cursor.fetchone()[0]


def _copy(cursor, into: sql.Identifier, table: Table, columns: list[str], rows: Iterable[Mapping]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(into, sql.SQL(", ").join(map(sql.Identifier, columns)))
    with cursor.copy(statement) as copy:
        for values in _copy_values(table, columns, rows):
            copy.write_row(values)


def _copy_values(table: Table, columns: list[str], rows: Iterable[Mapping]) -> Iterator[Sequence]:
    """Row values in column order; text cleaned of NUL, JSON made storable and wrapped. Hot path: touch only what needs it."""
    get = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    text = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, (String, ARRAY))]
    json = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSONB)]
    for row in rows:
        values = get(row)
        dirty = bool(json)
        for i in text:
            value = values[i]
            if value.__class__ is str and "\x00" in value:
                dirty = True
                break
        if dirty:
            values = list(values)
            for i in text:
                values[i] = strip_nul(values[i])
            for i in json:
                values[i] = None if values[i] is None else Jsonb(storable_json(values[i]))
        yield values


def _data_columns(columns: list[str], key: list[str]) -> list[str]:
    return [c for c in columns if c not in key and c not in _BOOKKEEPING]


def _count_statement(target: sql.Identifier, temp: sql.Identifier, columns: list[str], key: list[str]):
    """(incoming rows already stored, of those the ones whose data differs)."""
    on_key = sql.SQL(" AND ").join(sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in key)
    data = _data_columns(columns, key)
    if not data:
        return sql.SQL("SELECT count(*), 0 FROM {} AS s JOIN {} AS t ON {}").format(temp, target, on_key)
    current = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in data)
    incoming = sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in data)
    return sql.SQL("SELECT count(*), count(*) FILTER (WHERE ({}) IS DISTINCT FROM ({})) FROM {} AS s JOIN {} AS t "
                   "ON {}").format(current, incoming, temp, target, on_key)


def _insert_statement(target: sql.Identifier, temp: sql.Identifier, columns: list[str], key: list[str]):
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    conflict = sql.SQL(", ").join(map(sql.Identifier, key))
    values = [c for c in columns if c not in key]
    if not values:
        return sql.SQL("INSERT INTO {t} ({c}) SELECT {c} FROM {s} ON CONFLICT ({k}) DO NOTHING").format(
            t=target, c=cols, s=temp, k=conflict)
    assignments = sql.SQL(", ").join(
        sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in values)
    current = sql.SQL(", ").join(sql.SQL("{t}.{c}").format(t=target, c=sql.Identifier(c)) for c in values)
    incoming = sql.SQL(", ").join(sql.SQL("EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in values)
    return sql.SQL(
        "INSERT INTO {t} ({c}) SELECT {c} FROM {s} ON CONFLICT ({k}) DO UPDATE SET {a} "
        "WHERE ({cur}) IS DISTINCT FROM ({inc})"
    ).format(t=target, c=cols, s=temp, k=conflict, a=assignments, cur=current, inc=incoming)
