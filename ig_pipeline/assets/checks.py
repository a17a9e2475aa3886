"""Data checks on the warehouse tables (freshness is a FreshnessPolicy on each asset).

``valid_rows`` looks at the recent rows of a table (the last 8 days, so it stays cheap on
large tables): no count or metric below zero (-1 is the webhook's "below threshold" marker and
lives only in instagram_story_insights, which is not checked here) and no repeated unique key.
"""


from datetime import timedelta

import dagster as dg
from sqlalchemy import BigInteger, Table, text

from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.resource import PostgresWarehouse

RECENT = timedelta(days=8)

_CHECKED: tuple[tuple[Table, str], ...] = (
    (schema.instagram_account_daily, "day"),
    (schema.instagram_media, "posted_at"),
    (schema.instagram_media_daily, "day"),
    (schema.instagram_account_intraday, "captured_at"),
    (schema.instagram_media_intraday, "captured_at"),
)


def _queries(table: Table, time_column: str) -> tuple[str, str]:
    counts = [c.name for c in table.columns if isinstance(c.type, BigInteger)]
    negative = " OR ".join(f"{c} < 0" for c in counts)
    recent = f"{time_column} >= now() - interval '{RECENT.days} days'"
    key = ", ".join(c.name for c in table.primary_key.columns)
    return (f"SELECT count(*) FROM {table.name} WHERE {recent} AND ({negative})",
            f"SELECT count(*) FROM (SELECT {key} FROM {table.name} WHERE {recent} "
            f"GROUP BY {key} HAVING count(*) > 1) AS repeated")


def _valid_rows_check(table: Table, time_column: str) -> dg.AssetChecksDefinition:
    negative_sql, repeated_sql = _queries(table, time_column)

    @dg.asset_check(asset=table.name, name="valid_rows", description=(
        f"Rows of the last {RECENT.days} days: no negative count, no repeated key."))
    def check(warehouse: PostgresWarehouse) -> dg.AssetCheckResult:
        with warehouse.transaction() as conn:
            negative = conn.execute(text(negative_sql)).scalar_one()
            repeated = conn.execute(text(repeated_sql)).scalar_one()
        return dg.AssetCheckResult(passed=negative == 0 and repeated == 0,
                                   metadata={"rows_with_negative_counts": negative, "repeated_keys": repeated})

    return check


valid_rows_checks = [_valid_rows_check(table, column) for table, column in _CHECKED]
