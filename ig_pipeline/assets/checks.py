"""valid_rows: no count or metric below zero in the rows the run wrote.

Scoped like the metric_coverage checks: the run's partition days (or its intraday window) and, for a
batch or backfill run, its accounts, so a check's cost follows the run, not the table. (It counted
the last 8 days of every account before: every 30 minutes, eight days of every account's intraday
rows.) -1 is the webhook's "below threshold" marker and lives only in instagram_story_insights,
which is not checked here. Repeated keys are not counted: every checked table has a primary key, so
Postgres refuses them at write time.
"""


import dagster as dg
from sqlalchemy import BigInteger, Table, text

from ig_pipeline.assets.run_scope import partition_days, run_accounts, window_start
from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.resource import PostgresWarehouse

_CHECKED: tuple[tuple[Table, str], ...] = (
    (schema.instagram_account_daily, "day = ANY(:days)"),
    (schema.instagram_media, "posted_day = ANY(:days)"),
    (schema.instagram_media_daily, "day = ANY(:days)"),
    (schema.instagram_account_intraday, "captured_at = :window"),
    (schema.instagram_media_intraday, "captured_at = :window"),
)


def negative_rows_sql(table: Table, scope: str) -> str:
    counts = [c.name for c in table.columns if isinstance(c.type, BigInteger)]
    return f"SELECT count(*) FROM {table.name} WHERE {scope} AND ({' OR '.join(f'{c} < 0' for c in counts)})"


def _valid_rows_check(table: Table, scope: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=table.name, name="valid_rows",
                    description="The run's rows (its partition, its accounts): no negative count or metric.")
    def check(context: dg.AssetCheckExecutionContext, warehouse: PostgresWarehouse) -> dg.AssetCheckResult:
        params = {"days": partition_days(context)} if ":days" in scope else {"window": window_start(context)}
        if not any(params.values()):
            return dg.AssetCheckResult(passed=True, metadata={"note": "no partition in this run"})
        sql, accounts = negative_rows_sql(table, scope), run_accounts(context, warehouse)
        if accounts is not None:
            sql, params = f"{sql} AND ig_user_id = ANY(:accounts)", params | {"accounts": accounts}
        with warehouse.transaction() as conn:
            negative = conn.execute(text(sql), params).scalar_one()
        return dg.AssetCheckResult(passed=negative == 0, metadata={"rows_with_negative_counts": negative})

    return check


valid_rows_checks = [_valid_rows_check(table, scope) for table, scope in _CHECKED]
