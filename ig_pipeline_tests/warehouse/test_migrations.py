from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ig_pipeline.warehouse.database import get_engine
from ig_pipeline.warehouse.migrate import SchemaTooNew, current_revision, head_revision, migrate
from ig_pipeline.warehouse.schema import TENANT_TABLES, metadata
from ig_pipeline.warehouse.table_partitions import ensure_partitions


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_migrates_from_empty_then_rerun_is_a_no_op(empty_database_url):
    engine = get_engine(empty_database_url)
    assert migrate(engine) == (None, head_revision())
    assert {t.name for t in metadata.sorted_tables} <= _tables(engine)
    with engine.connect() as conn:
        columns_before = conn.execute(sa.text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2")).all()

    assert migrate(engine) == (head_revision(), head_revision())
    with engine.connect() as conn:
        columns_after = conn.execute(sa.text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2")).all()
    assert columns_after == columns_before


def test_migrated_schema_matches_the_code(database_url):
    """The frozen migration and schema.py describe the same columns."""
    engine = get_engine(database_url)
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        live = {c["name"] for c in inspector.get_columns(table.name)}
        assert live == set(table.columns.keys()), table.name


def test_refuses_a_schema_newer_than_the_code(database_url):
    engine = get_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
        conn.execute(sa.text("CREATE TABLE marker (x int)"))
    with pytest.raises(SchemaTooNew, match="9999_future.*newer release.*Nothing was changed"):
        migrate(engine)
    assert current_revision(engine) == "9999_future"
    assert "marker" in _tables(engine)


def test_updated_at_is_kept_by_the_database(database_url):
    engine = get_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO instagram_sync_state (ig_user_id, sync_kind, owner_id) "
                             "VALUES ('1', 'daily', 'o')"))
        created = conn.execute(sa.text("SELECT created_at, updated_at FROM instagram_sync_state")).one()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE instagram_sync_state SET consecutive_failures = 1"))
        after = conn.execute(sa.text("SELECT created_at, updated_at FROM instagram_sync_state")).one()
    assert after.created_at == created.created_at
    assert after.updated_at > created.updated_at


def test_every_table_has_an_owner_and_a_unique_key():
    for table in TENANT_TABLES:
        assert "owner_id" in table.columns, table.name
        assert not table.c.owner_id.nullable
    for table in metadata.sorted_tables:
        assert table.primary_key.columns, table.name
        assert {"created_at", "updated_at"} <= set(table.columns.keys())


def test_day_columns_are_dates_and_instants_are_timestamptz():
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.name == "day" or column.name.endswith("_day"):
                assert isinstance(column.type, sa.Date), (table.name, column.name)
            if column.name.endswith("_at"):
                assert column.type.timezone, (table.name, column.name)


def test_partitioned_tables_are_partitioned(database_url):
    engine = get_engine(database_url)
    with engine.connect() as conn:
        partitioned = set(conn.execute(sa.text(
            "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid")).scalars())
    assert partitioned == {"instagram_account_intraday", "instagram_media_intraday"}


def test_indexes_use_the_access_method_the_code_declares(database_url):
    """Alembic's comparison ignores the index type (a BRIN declared, a btree built would pass it)."""
    declared = {index.name: index.dialect_options["postgresql"]["using"] or "btree"
                for table in metadata.tables.values() for index in table.indexes}
    with get_engine(database_url).connect() as conn:
        built = dict(conn.execute(sa.text(
            "SELECT c.relname, am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
            "WHERE c.relname = ANY(:names)"), {"names": list(declared)}).all())
    assert built == declared
    assert built["ix_media_intraday_captured"] == "brin"


def test_intraday_brin_indexes_summarize_full_ranges_on_every_partition(database_url):
    with get_engine(database_url).begin() as conn:
        ensure_partitions(conn, "instagram_media_intraday", {datetime(2031, 7, 1, tzinfo=UTC)})
        options = dict(conn.execute(sa.text(
            "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
            "WHERE am.amname = 'brin' AND c.relname LIKE '%intraday%'")).all())
    assert "instagram_media_intraday_p2031_07_captured_at_idx" in options
    assert len(options) >= 3 and all(o == ["autosummarize=on"] for o in options.values()), options


def test_migrations_build_exactly_the_schema_the_code_declares(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with get_engine(database_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # Comments come from the data dictionary (dictionary.apply_comments), not from the metadata.
    comments = ("modify_comment", "add_table_comment", "remove_table_comment")
    flat = [d for entry in diff for d in (entry if isinstance(entry, list) else [entry])]
    assert [d for d in flat if d[0] not in comments] == []
