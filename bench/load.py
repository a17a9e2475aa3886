"""Bulk upsert throughput vs raw COPY (issue 2).

Upserts N new instagram_media_intraday rows through ``bulk_upsert`` (new intraday rows go straight
in by COPY under a savepoint, ADR 12) and, in the same run, COPYs the same rows into an unindexed
plain table (``ratio``) and into a table with the same partitions and indexes as the target
(``ratio_indexed``, issue 17: the fair goal, ≥ 0.7), chunk by chunk in turn. Then re-upserts one chunk twice through the
staging path (COPY into a temp table, INSERT … ON CONFLICT): unchanged (nothing may be written) and
with every row's ``reach`` changed (``changed_rows_per_s``: the UPDATE path). Prints rows/s and ratios.

    .venv/bin/python bench/load.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from psycopg import sql  # noqa: E402

from bench._common import emit, scratch_database  # noqa: E402
from ig_pipeline.warehouse import schema  # noqa: E402
from ig_pipeline.warehouse.table_partitions import ensure_partitions  # noqa: E402
from ig_pipeline.warehouse.upsert import bulk_upsert  # noqa: E402

METRICS = ("reach", "views", "likes", "comments", "saved", "shares", "total_interactions")


def make_rows(n: int) -> list[dict]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    media_per_slot = 10
    rows = []
    for i in range(n):
        slot, media = divmod(i, media_per_slot * 100)
        row = {"owner_id": f"owner-{media % 37}", "media_id": f"1790000{media:010d}",
               "ig_user_id": f"1784100{media // media_per_slot:010d}",
               "captured_at": start + timedelta(minutes=30 * slot), "media_product_type": "FEED",
               "like_count": i % 997, "comments_count": i % 89}
        row.update({m: (i * (k + 3)) % 10_007 for k, m in enumerate(METRICS)})
        rows.append(row)
    return rows


def copy_chunk(engine, table: str, columns: list[str], rows: list[dict]) -> None:
    """COPY ``rows`` into ``table`` in one transaction, reading rows as fast as the upsert does."""
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    values = itemgetter(*columns)
    with engine.begin() as conn:
        cur = conn.connection.driver_connection.cursor()
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), cols)) as copy:
            for row in rows:
                copy.write_row(values(row))


def indexed_twin(engine, source: str, twin: str) -> None:
    """``twin``: ``source``'s columns, defaults, constraints and indexes, partitioned the same way,
    with a partition for every partition of ``source`` (same bounds). No triggers, no RLS."""
    with engine.begin() as conn:
        cur = conn.connection.driver_connection.cursor()
        cur.execute(sql.SQL("SELECT pg_get_partkeydef({}::regclass)").format(sql.Literal(source)))
        partkey = cur.fetchone()[0]
        cur.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES) "
                            "PARTITION BY {}").format(sql.Identifier(twin), sql.Identifier(source), sql.SQL(partkey)))
        cur.execute(sql.SQL("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = {}::regclass")
                    .format(sql.Literal(source)))
        for name, bound in cur.fetchall():
            cur.execute(sql.SQL("CREATE TABLE {} PARTITION OF {} {}").format(
                sql.Identifier(f"{twin}_{name.rsplit('_p', 1)[-1]}"), sql.Identifier(twin), sql.SQL(bound)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=100_000, help="rows per upsert transaction")
    args = parser.parse_args()
    rows = make_rows(args.rows)
    columns = list(rows[0])

    with scratch_database() as engine:
        with engine.begin() as conn:
            ensure_partitions(conn, "instagram_media_intraday", {row["captured_at"] for row in rows})
            cur = conn.connection.driver_connection.cursor()
            cur.execute("CREATE TABLE plain_copy AS SELECT {} FROM instagram_media_intraday WITH NO DATA"
                        .format(", ".join(columns)))
        indexed_twin(engine, "instagram_media_intraday", "indexed_copy")

        def upsert(part: list[dict]) -> int:
            with engine.begin() as conn:
                return bulk_upsert(conn, schema.instagram_media_intraday, part)

        # Chunk by chunk, the three writes take turns going first, so checkpoints, autovacuum and
        # other load on the machine fall on all three alike.
        writes = {"upsert": upsert, "indexed": lambda part: copy_chunk(engine, "indexed_copy", columns, part),
                  "plain": lambda part: copy_chunk(engine, "plain_copy", columns, part)}
        seconds = dict.fromkeys(writes, 0.0)
        written = 0
        for n, i in enumerate(range(0, len(rows), args.chunk)):
            for name in list(writes)[n % 3:] + list(writes)[:n % 3]:
                t0 = time.perf_counter()
                result = writes[name](rows[i:i + args.chunk])
                seconds[name] += time.perf_counter() - t0
                written += result if name == "upsert" else 0
        assert written == len(rows), (written, len(rows))
        upsert_s, indexed_copy_s, copy_s = seconds["upsert"], seconds["indexed"], seconds["plain"]

        t0 = time.perf_counter()
        with engine.begin() as conn:
            unchanged = bulk_upsert(conn, schema.instagram_media_intraday, rows[: args.chunk])
        rerun_s = time.perf_counter() - t0

        changed = [row | {"reach": row["reach"] + 1} for row in rows[: args.chunk]]
        t0 = time.perf_counter()
        with engine.begin() as conn:
            updated = bulk_upsert(conn, schema.instagram_media_intraday, changed)
        changed_s = time.perf_counter() - t0
        assert updated == len(changed), (updated, len(changed))

    upsert_rate, copy_rate, indexed_rate = len(rows) / upsert_s, len(rows) / copy_s, len(rows) / indexed_copy_s
    print(f"upsert {len(rows):,} rows in {upsert_s:.1f}s; raw COPY in {copy_s:.1f}s; COPY into the same "
          f"partitions and indexes in {indexed_copy_s:.1f}s; re-upsert of {args.chunk:,} identical rows wrote {unchanged} in {rerun_s:.1f}s; "
          f"changed, {updated:,} rows updated in {changed_s:.1f}s")
    emit({"rows": len(rows), "upsert_rows_per_s": round(upsert_rate), "copy_rows_per_s": round(copy_rate),
          "indexed_copy_rows_per_s": round(indexed_rate), "ratio": round(upsert_rate / copy_rate, 3),
          "ratio_indexed": round(upsert_rate / indexed_rate, 3), "rerun_identical_rows_written": unchanged,
          "rerun_identical_rows_per_s": round(args.chunk / rerun_s), "changed_rows_per_s": round(len(changed) / changed_s)})


if __name__ == "__main__":
    main()
