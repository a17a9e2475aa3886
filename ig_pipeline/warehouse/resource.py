"""The warehouse as a Dagster resource: connections, transactions and the bulk upsert path."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine

from ig_pipeline.warehouse.database import get_engine, warehouse_url
from ig_pipeline.warehouse.upsert import bulk_upsert


class PostgresWarehouse(dg.ConfigurableResource):
    """Postgres warehouse. ``database_url`` unset: IG_DATABASE_URL, else the embedded server.

    Stateless: the engine is a per-process cache keyed by URL, so run workers on other machines
    build their own.
    """

    database_url: str | None = None

    def engine(self) -> Engine:
        return get_engine(self.database_url or warehouse_url())

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: everything written inside lands together or not at all."""
        with self.engine().begin() as conn:
            yield conn

    def upsert(self, conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
        return bulk_upsert(conn, table, rows)
