"""Compare every column of every warehouse table and analyst view with the expected rows.

Columns come from the database itself (information_schema), not from a list here, so a column
added by a migration is compared automatically — or, when no expected value exists for it, it
fails the suite as "not covered" until the truth builder or ``BOOKKEEPING`` names it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ig_pipeline_tests.truth.expected import Expected

# Columns no API value stands behind: maintained by the database (defaults and a trigger).
BOOKKEEPING = {
    "created_at": "set by the database when the row is inserted",
    "updated_at": "touched by a trigger on every update",
}


@dataclass
class Report:
    name: str
    columns: list[str]
    equal: Counter = field(default_factory=Counter)
    total: Counter = field(default_factory=Counter)
    mismatches: dict[str, list[str]] = field(default_factory=dict)
    missing_rows: list[tuple] = field(default_factory=list)
    unexpected_rows: list[tuple] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    wrong_count: str | None = None


    def column_ok(self, column: str) -> bool:
        return self.equal[column] == self.total[column] and column not in self.uncovered

    @property
    def ok(self) -> bool:
        return (not self.missing_rows and not self.unexpected_rows and not self.uncovered and not self.wrong_count
                and all(self.column_ok(c) for c in self.columns))

    def line(self) -> str:
        equal, total = sum(self.equal.values()), sum(self.total.values())
        share = 100.0 * equal / total if total else 100.0
        bad = [c for c in self.columns if not self.column_ok(c)]
        return (f"{self.name:34s} {len(self.columns):3d} columns  {equal:7d}/{total:<7d} equal ({share:5.1f} %)  "
                f"rows missing {len(self.missing_rows)}, unexpected {len(self.unexpected_rows)}"
                + (f"  failing: {', '.join(bad)}" if bad else ""))


def columns_of(conn, relation: str) -> list[str]:
    return list(conn.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = :t ORDER BY ordinal_position"), {"t": relation}).scalars())


def relations(conn, kind: str) -> list[str]:
    """Every base table ('BASE TABLE', partitions excluded) or view ('VIEW') of the schema."""
    return list(conn.execute(sa.text(
        "SELECT table_name FROM information_schema.tables t WHERE table_schema = current_schema() "
        "AND table_type = :k AND table_name <> 'alembic_version' AND NOT EXISTS (SELECT 1 FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname = t.table_name) ORDER BY 1"),
        {"k": kind}).scalars())


def _same(stored, expected) -> bool:
    if isinstance(stored, datetime) and isinstance(expected, datetime):
        return stored == expected
    if isinstance(stored, float) and isinstance(expected, float):
        return abs(stored - expected) <= 1e-9 * max(1.0, abs(expected))
    return expected == stored if not isinstance(stored, memoryview) else expected == bytes(stored)


def compare(name: str, columns: list[str], stored: list[dict], expected: Expected, sample: int = 5) -> Report:
    report = Report(name, [c for c in columns if c not in BOOKKEEPING])
    by_key = {tuple(row[k] for k in expected.key): row for row in stored}
    report.missing_rows = sorted(k for k in expected.required if k not in by_key)
    report.unexpected_rows = sorted(k for k in by_key if k not in expected.required and k not in expected.optional)
    if expected.count is not None and len(stored) != expected.count:
        report.wrong_count = f"{len(stored)} rows, expected {expected.count}"
    covered = set().union(*(row.keys() for row in (*expected.required.values(), *expected.optional.values()))) \
        if (expected.required or expected.optional) else set(report.columns)
    report.uncovered = [c for c in report.columns if c not in covered]
    for key, row in by_key.items():
        want = expected.required.get(key) or expected.optional.get(key)
        if want is None:
            continue
        for column in report.columns:
            if column not in want:
                continue
            report.total[column] += 1
            if _same(row[column], want[column]):
                report.equal[column] += 1
            else:
                bucket = report.mismatches.setdefault(column, [])
                if len(bucket) < sample:
                    bucket.append(f"{key}: stored {row[column]!r} != truth {want[column]!r}")
    return report


def read_rows(conn, relation: str) -> list[dict]:
    return [dict(r) for r in conn.execute(sa.text(f'SELECT * FROM "{relation}"')).mappings()]


def describe(report: Report) -> str:
    parts = [report.line()]
    if report.wrong_count:
        parts.append(f"  {report.wrong_count}")
    if report.missing_rows:
        parts.append(f"  missing rows (first 5): {report.missing_rows[:5]}")
    if report.unexpected_rows:
        parts.append(f"  unexpected rows (first 5): {report.unexpected_rows[:5]}")
    if report.uncovered:
        parts.append(f"  columns with no truth (add them to the builder, or to BOOKKEEPING with a reason): "
                     f"{report.uncovered}")
    for column, samples in report.mismatches.items():
        parts.append(f"  {column}: {report.equal[column]}/{report.total[column]} equal; e.g. " + "; ".join(samples))
    return "\n".join(parts)
