"""The Dagster code location: assets, checks, schedules, sensors and resources."""

import dagster as dg

from ig_pipeline.warehouse.resource import PostgresWarehouse

defs = dg.Definitions(
    resources={"warehouse": PostgresWarehouse()},
)
