"""Reliability fixtures: several warehouses on the test server, snapshots to compare them."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from ig_pipeline.warehouse.resource import PostgresWarehouse
from ig_pipeline_tests.conftest import create_database, drop_database
from ig_pipeline_tests.simenv import make_env  # noqa: F401  (fixture)

# Columns that legitimately differ between two runs of the same data: when a row was written.
VOLATILE = {"created_at", "updated_at", "fetched_at", "last_seen_at", "media_url", "thumbnail_url",
            "profile_picture_url", "children"}
DATA_TABLES = ("instagram_account_daily", "instagram_media", "instagram_media_daily",
               "instagram_account_intraday", "instagram_media_intraday")


@pytest.fixture
def new_warehouse(pg_admin_uri, _migrated_template):
    names = []

    def make() -> PostgresWarehouse:
        name = f"ig_rel_{uuid.uuid4().hex[:10]}"
        names.append(name)
        return PostgresWarehouse(database_url=create_database(pg_admin_uri, name, template=_migrated_template))

    yield make
    for name in names:
        drop_database(pg_admin_uri, name)


def snapshot(warehouse: PostgresWarehouse, exclude_accounts: set[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every data row, volatile columns dropped, sorted: equal snapshots = equal warehouses."""
    result = {}
    with warehouse.transaction() as conn:
        for table in DATA_TABLES:
            rows = conn.execute(sa.text(f"SELECT * FROM {table}")).mappings().all()
            result[table] = sorted(
                tuple(sorted((k, repr(v)) for k, v in row.items() if k not in VOLATILE))
                for row in rows if row["ig_user_id"] not in exclude_accounts)
    return result
