"""The Postgres warehouse: schema, migrations, embedded server, partitions, bulk upsert."""
