"""Analyst views against the truth: the truth rows are loaded into a second warehouse and every
view is read from both; each view's rows must be equal column by column.

This checks what the views *show* (every value the stored rows feed them); what the views
*compute* from correct rows is checked by ig_pipeline_tests/warehouse/test_analytics.py.
"""

from __future__ import annotations

import sqlalchemy as sa

from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.upsert import bulk_upsert
from ig_pipeline_tests.truth import compare
from ig_pipeline_tests.truth.expected import Check, Expected, last_counts

# The columns that identify a row of each view (a new view fails the suite until it is listed).
VIEW_KEYS = {
    "ig_account_overview": ("ig_user_id",),
    "ig_follower_growth": ("ig_user_id", "day"),
    "ig_daily_engagement": ("ig_user_id", "day"),
    "ig_post_performance": ("media_id",),
    "ig_story_performance": ("media_id",),
    "ig_product_type_summary": ("ig_user_id", "month", "product_type"),
    "ig_best_time_to_post": ("ig_user_id", "weekday", "hour"),
    "ig_sync_health": ("ig_user_id", "sync_kind"),
    "ig_comment_summary": ("media_id",),
    "ig_competitor_benchmark": ("owner_id", "account_kind", "username", "week"),
    "ig_hashtag_performance": ("owner_id", "hashtag", "day"),
}


def _truth_rows(wanted: Expected, stored: list[dict]) -> list[dict]:
    """Required rows plus optional rows the warehouse holds; a Check takes the stored value (it is
    judged in the table's own comparison, not here)."""
    by_key = {tuple(r[k] for k in wanted.key): r for r in stored}
    rows = []
    for key, row in [*wanted.required.items(), *((k, v) for k, v in wanted.optional.items() if k in by_key)]:
        have = by_key.get(key, {})
        rows.append({c: (have.get(c) if isinstance(v, Check) else v) for c, v in row.items()})
    return rows


def fill(truth_url: str, wanted: dict[str, Expected], stored: dict[str, list[dict]]) -> None:
    engine = sa.create_engine(truth_url)
    try:
        with engine.begin() as conn:
            for table in schema.metadata.sorted_tables:
                rows = _truth_rows(wanted[table.name], stored[table.name]) if table.name in wanted else []
                if table.name == "instagram_connection":
                    for row in rows:  # NOT NULL bookkeeping the API has no say in
                        row["token_encrypted"] = row["token_encrypted"] or b""
                        row["connected_at"] = row["connected_at"] or stored_value(stored, table.name, row)
                if rows:
                    bulk_upsert(conn, table, rows)
    finally:
        engine.dispose()


def stored_value(stored, table, row):
    return next((r["connected_at"] for r in stored[table] if r["ig_user_id"] == row["ig_user_id"]), None)


def _overrides(scenario, truth) -> dict:
    """View values taken straight from the truth where the view's own logic decides which stored
    row counts (so a wrong choice is caught, not reproduced on the truth rows)."""
    return {"ig_account_overview": lambda row: row | last_counts(scenario, truth, row["ig_user_id"])}


def compare_views(url: str, truth_url: str, wanted: dict[str, Expected], stored: dict[str, list[dict]],
                  scenario, truth) -> dict[str, compare.Report]:
    fill(truth_url, wanted, stored)
    reports = {}
    engines = sa.create_engine(url), sa.create_engine(truth_url)
    try:
        with engines[0].connect() as mine, engines[1].connect() as theirs:
            for view in compare.relations(mine, "VIEW"):
                key = VIEW_KEYS.get(view)
                columns = compare.columns_of(mine, view)
                if key is None:
                    reports[view] = compare.Report(view, columns, uncovered=columns)
                    continue
                fix = _overrides(scenario, truth).get(view, lambda row: row)
                expected = Expected(key, required={tuple(r[k] for k in key): fix(r)
                                                   for r in compare.read_rows(theirs, view)})
                reports[view] = compare.compare(view, columns, compare.read_rows(mine, view), expected)
    finally:
        for engine in engines:
            engine.dispose()
    return reports
