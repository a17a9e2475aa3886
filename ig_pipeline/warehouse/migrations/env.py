"""Alembic environment: runs on the connection handed over by ig_pipeline.warehouse.migrate."""

from alembic import context

from ig_pipeline.warehouse.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
