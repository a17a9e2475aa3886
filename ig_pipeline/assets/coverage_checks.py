"""The metric_coverage asset checks: the rules of assets/coverage.py over the rows a run wrote.

A check reads only its run's accounts (a batch run of the daily sync checks its batch, not the
whole day's partition that other batches write) and streams them account group by account group,
so its time follows the run's accounts and its memory stays flat however many accounts there are.
"""

from collections.abc import Callable, Iterator

import dagster as dg
from sqlalchemy import text

from ig_pipeline.assets.coverage import (
    WARN_BELOW,
    CoverageResult,
    account_coverage,
    combined,
    media_coverage,
    snapshot_coverage,
)
from ig_pipeline.assets.run_scope import partition_days, run_accounts, window_start
from ig_pipeline.clock import PipelineClock
from ig_pipeline.days import pacific_day
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.warehouse.resource import PostgresWarehouse

ACCOUNTS_PER_GROUP = 500  # rows of this many accounts are judged at a time

_MEDIA_ROWS = """
SELECT r.*, m.posted_at FROM {table} r LEFT JOIN instagram_media m ON m.media_id = r.media_id WHERE {where}
"""
# Each account's newest known follower count (intraday snapshot or daily row), one indexed lookup each.
_NEWEST_FOLLOWERS = text("""
SELECT a.id AS ig_user_id, (
    SELECT s.followers_count FROM (
        (SELECT followers_count, captured_at AS at FROM instagram_account_intraday
         WHERE ig_user_id = a.id AND followers_count IS NOT NULL ORDER BY captured_at DESC LIMIT 1)
        UNION ALL
        (SELECT followers_count, COALESCE(fetched_at, day::timestamptz) AS at FROM instagram_account_daily
         WHERE ig_user_id = a.id AND followers_count IS NOT NULL
         ORDER BY COALESCE(fetched_at, day::timestamptz) DESC LIMIT 1)
    ) s ORDER BY s.at DESC LIMIT 1) AS followers_count
FROM unnest(CAST(:accounts AS text[])) AS a(id)
""")

_DESCRIPTION = ("Every metric the catalog says a product type supports on the pinned API version has a value on "
                f"the run's rows: ERROR when NULL on every row, WARN under {WARN_BELOW:.0%} (docs/runbook.md).")


def _not_run(asset: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(asset_key=asset, check_name="metric_coverage", passed=True,
                               metadata={"rows_checked": 0, "note": "no partition in this run"})


def account_groups(warehouse: PostgresWarehouse, sql: str, params: dict,
                   accounts: list[str] | None) -> Iterator[list[dict]]:
    """The query's rows (alias ``r``), streamed in account order and cut into groups of at most
    ACCOUNTS_PER_GROUP accounts; ``accounts`` (not None) keeps only those."""
    if accounts is not None:
        sql, params = f"{sql} AND r.ig_user_id = ANY(:accounts)", params | {"accounts": accounts}
    group: list[dict] = []
    seen, last = 0, None
    with warehouse.transaction() as conn:
        result = conn.execution_options(yield_per=2000).execute(text(f"{sql} ORDER BY r.ig_user_id"), params)
        for row in result.mappings():
            if row["ig_user_id"] != last:
                if seen == ACCOUNTS_PER_GROUP:
                    yield group
                    group, seen = [], 0
                seen, last = seen + 1, row["ig_user_id"]
            group.append(dict(row))
    if group:
        yield group


def _media_coverage_check(table: str, where: str, params: Callable[[dg.AssetCheckExecutionContext], dict | None]):
    """metric_coverage of a media table over the rows the run wrote (``params`` None: nothing to check)."""

    @dg.asset_check(asset=table, name="metric_coverage", description=_DESCRIPTION)
    def check(context: dg.AssetCheckExecutionContext, warehouse: PostgresWarehouse, graph: InstagramGraphAPI,
              clock: PipelineClock) -> dg.AssetCheckResult:
        values = params(context)
        if values is None:
            return _not_run(table)
        now = clock.now()
        groups = account_groups(warehouse, _MEDIA_ROWS.format(table=table, where=where), values,
                                run_accounts(context, warehouse))
        return combined(media_coverage(rows, graph.version, now, graph.fetch_facebook_views)
                        for rows in groups).check_result(table)

    return check


def _days_param(context) -> dict | None:
    days = partition_days(context)
    return {"days": days} if days else None


def _window_param(context) -> dict | None:
    window = window_start(context)
    return None if window is None else {"w": window}


media_daily_coverage = _media_coverage_check("instagram_media_daily", "r.day = ANY(:days)", _days_param)
media_intraday_coverage = _media_coverage_check("instagram_media_intraday", "r.captured_at = :w", _window_param)


@dg.asset_check(asset="instagram_account_daily", name="metric_coverage", description=_DESCRIPTION)
def account_daily_coverage(context: dg.AssetCheckExecutionContext, warehouse: PostgresWarehouse,
                           graph: InstagramGraphAPI, clock: PipelineClock) -> dg.AssetCheckResult:
    days = partition_days(context)
    if not days:
        return _not_run("instagram_account_daily")
    today = pacific_day(clock.now())

    def judged(rows: list[dict]) -> CoverageResult:
        ids = sorted({r["ig_user_id"] for r in rows})
        with warehouse.transaction() as conn:
            followers = dict(conn.execute(_NEWEST_FOLLOWERS, {"accounts": ids}).all())
        return account_coverage(rows, graph.version, today, followers)

    groups = account_groups(warehouse, "SELECT r.* FROM instagram_account_daily r WHERE r.day = ANY(:days)",
                            {"days": days}, run_accounts(context, warehouse))
    return combined(judged(rows) for rows in groups).check_result("instagram_account_daily")


@dg.asset_check(asset="instagram_account_intraday", name="metric_coverage",
                description="Every account's follower/following/media counts are present in the run's window.")
def account_intraday_coverage(context: dg.AssetCheckExecutionContext,
                              warehouse: PostgresWarehouse) -> dg.AssetCheckResult:
    window = window_start(context)
    if window is None:
        return _not_run("instagram_account_intraday")
    groups = account_groups(warehouse, "SELECT r.* FROM instagram_account_intraday r WHERE r.captured_at = :w",
                            {"w": window}, run_accounts(context, warehouse))
    return combined(snapshot_coverage(rows) for rows in groups).check_result("instagram_account_intraday")


coverage_checks = [media_daily_coverage, media_intraday_coverage, account_daily_coverage,
                   account_intraday_coverage]
