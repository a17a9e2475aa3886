"""What a run covers, read from its tags: partition days or intraday window, and the accounts it is
narrowed to. Asset checks use it to judge the rows their own run wrote."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from ig_pipeline.assets.selection import ACCOUNTS_TAG, BATCH_TAG, AccountSelection, selected
from ig_pipeline.connections import store as connections
from ig_pipeline.partitions import INTRADAY_FORMAT, RANGE_END, RANGE_START
from ig_pipeline.warehouse.resource import PostgresWarehouse

PARTITION = "dagster/partition"


def partition_days(context) -> list[date]:
    tags = context.run.tags
    first, last = tags.get(RANGE_START), tags.get(RANGE_END)
    if first and last:
        span = (date.fromisoformat(last) - date.fromisoformat(first)).days
        return [date.fromisoformat(first) + timedelta(days=n) for n in range(span + 1)]
    key = tags.get(PARTITION)
    return [date.fromisoformat(key)] if key else []


def window_start(context) -> datetime | None:
    key = context.run.tags.get(PARTITION)
    return datetime.strptime(key, INTRADAY_FORMAT).replace(tzinfo=UTC) if key else None


def run_accounts(context, warehouse: PostgresWarehouse) -> list[str] | None:
    """The accounts the run's tags narrow it to (a batch, or the accounts a backfill was started for),
    chosen exactly as the assets choose them; None when the run covers every account."""
    tags = context.run.tags
    if not (tags.get(BATCH_TAG) or tags.get(ACCOUNTS_TAG)):
        return None
    with warehouse.transaction() as conn:
        owners = connections.owners(conn)
    refs = [SimpleNamespace(ig_user_id=account, owner_id=owner) for account, owner in owners.items()]
    return [ref.ig_user_id for ref in selected(refs, AccountSelection(), tags)]
