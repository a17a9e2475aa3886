"""The report's competitor chart: per owner that tracks competitors, followers by week of its own accounts
next to its competitors (from the ig_competitor_benchmark view; docs/competitors-and-hashtags.md)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from ig_pipeline.reports import charts

_OWNERS = text("SELECT DISTINCT owner_id FROM ig_tracked_competitor ORDER BY 1")
_WEEKS = text("SELECT account_kind, username, account_id, week, followers_count FROM ig_competitor_benchmark "
              "WHERE owner_id = :owner AND week >= :since ORDER BY week")


def load(conn, since: date) -> dict[str, list]:
    """owner → its benchmark rows since ``since`` (I/O only)."""
    return {owner: conn.execute(_WEEKS, {"owner": owner, "since": since}).all()
            for owner in conn.execute(_OWNERS).scalars()}


def render(rows: list) -> bytes:
    """Benchmark rows of one owner → the PNG (pure)."""
    series: dict[str, tuple[list, list]] = {}
    own = set()
    for row in rows:
        label = f"@{row.username}" if row.username else str(row.account_id)
        if row.account_kind == "own":
            own.add(label)
        weeks, followers = series.setdefault(label, ([], []))
        weeks.append(row.week)
        followers.append(row.followers_count)
    return charts.competitor_followers(series, own)
