"""Where the warehouse is, and one clear error when it cannot be reached.

``IG_DATABASE_URL`` names any Postgres 15+ (``security_invoker`` views); unset, the embedded server under ``IG_DATA_DIR`` is
used (and started). The same server holds Dagster's instance storage in its own database.
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qs

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from ig_pipeline.config import Settings, load_settings
from ig_pipeline.warehouse import embedded


class WarehouseUnavailable(RuntimeError):
    """The warehouse URL is malformed or the server does not answer."""


def describe(url: str | URL) -> str:
    """A URL safe to print: password hidden, socket directory shown."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except Exception:
        return "<unparseable URL>"
    host = parsed.host or parse_qs(parsed.render_as_string(False).partition("?")[2]).get("host", ["?"])[0]
    return f"postgresql://{parsed.username or ''}@{host}:{parsed.port or 5432}/{parsed.database or ''}"


def _with_driver(url: str, driver: str, source: str) -> URL:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise WarehouseUnavailable(
            f"{source} is not a valid database URL ({type(exc).__name__}); expected "
            "postgresql://user:password@host:5432/dbname"
        ) from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise WarehouseUnavailable(f"{source} must be a postgresql:// URL, got a {parsed.get_backend_name()!r} URL")
    return parsed.set(drivername=f"postgresql+{driver}")


def warehouse_url(settings: Settings | None = None) -> URL:
    """SQLAlchemy URL of the warehouse (psycopg 3 driver)."""
    settings = settings or load_settings()
    if settings.database_url:
        return _with_driver(settings.database_url, "psycopg", "IG_DATABASE_URL")
    return _with_driver(embedded.server_uri(settings.data_dir, embedded.WAREHOUSE_DB), "psycopg", "embedded")


def dagster_storage_url(settings: Settings | None = None) -> str:
    """URL for Dagster's instance storage: psycopg2 driver (psycopg 3 breaks its NOTIFY)."""
    settings = settings or load_settings()
    if settings.database_url:
        url = _with_driver(settings.database_url, "psycopg2", "IG_DATABASE_URL")
    else:
        url = _with_driver(embedded.server_uri(settings.data_dir, embedded.DAGSTER_DB), "psycopg2", "embedded")
    return url.render_as_string(hide_password=False)


@functools.cache
def _engine(url: str) -> Engine:
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def get_engine(url: URL | str | None = None) -> Engine:
    """A pooled engine per URL per process, checked once so a bad URL fails with one clear error."""
    if url is None:
        url = warehouse_url()
    rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    engine = _engine(rendered)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        _engine.cache_clear()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise WarehouseUnavailable(
            f"cannot reach the warehouse at {describe(rendered)} (from IG_DATABASE_URL or the embedded "
            f"default): {reason}"
        ) from None
    return engine
