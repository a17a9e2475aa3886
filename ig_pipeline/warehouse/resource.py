"""The warehouse as a Dagster resource: connections and transactions (rows go in with warehouse/upsert.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from sqlalchemy.engine import Connection, Engine

from ig_pipeline.warehouse.database import get_engine, warehouse_url


class PostgresWarehouse(dg.ConfigurableResource):
    """Postgres warehouse. ``database_url`` unset: IG_DATABASE_URL, else the embedded server.

    Stateless: the engine is a per-process cache keyed by URL, so run workers on other machines
    build their own.
    """

    database_url: str | None = None
    # Accounts written per transaction by a sync run: fewer statements per account at scale (issue 17);
    # 1 commits every account as soon as it is fetched.
    accounts_per_write: int = 50

    def engine(self) -> Engine:
        return get_engine(self.database_url or warehouse_url())

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: everything written inside lands together or not at all."""
        with self.engine().begin() as conn:
            yield conn
