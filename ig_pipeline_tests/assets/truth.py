"""Compare warehouse rows with the simulator's ground truth, through the metric catalog."""

from __future__ import annotations

from datetime import date

from ig_pipeline.graph.catalog import ACCOUNT_METRICS


def expected_columns(metrics: dict) -> dict[str, object]:
    """Truth metrics (API names, breakdowns as dicts) → warehouse column values."""
    columns: dict[str, object] = {}
    for metric in ACCOUNT_METRICS:
        value = metrics.get(metric.name)
        if metric.breakdown_columns:
            parts = value if isinstance(value, dict) else {}
            columns[metric.column] = parts.get("total") if parts else None
            for key, column in metric.breakdown_columns.items():
                columns[column] = parts.get(key) if parts else None
        else:
            columns[metric.column] = value
    return columns


def mismatches(stored: dict[date, dict], truth_days: list[dict], *, skip: set[str] = frozenset(),
               new_followers_from: date | None = None) -> list[str]:
    """Every (day, column) where the warehouse differs from the truth (NULL vs 0 counts as different)."""
    problems = []
    for day_truth in truth_days:
        day = date.fromisoformat(day_truth["day"])
        row = stored.get(day)
        if row is None:
            problems.append(f"{day}: no row")
            continue
        for column, value in expected_columns(day_truth["metrics"]).items():
            if column in skip:
                continue
            if column == "new_followers" and new_followers_from and day < new_followers_from:
                value = None  # older than the API's 30-day follower_count window when it was fetched
            if row.get(column) != value:
                problems.append(f"{day} {column}: warehouse {row.get(column)!r} != truth {value!r}")
    return problems
