"""Apply warehouse migrations (Alembic) idempotently, refusing a schema newer than this code.

Migrating locks tables (DDL, and the readers' policies re-applied every time take ACCESS EXCLUSIVE).
The whole migration waits at most LOCK_TIMEOUT for any lock and is retried LOCK_ATTEMPTS times from
the start (it is one transaction, so a failed try changed nothing); then LockBusy names the open
transactions in the way. Without this, a reader's idle transaction stalled migrate and, queued behind
migrate's lock request, the pipeline's own reads.
"""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from ig_pipeline.warehouse import dictionary, roles
from ig_pipeline.warehouse.table_partitions import LOCK_ATTEMPTS, LOCK_TIMEOUT, is_lock_timeout, lock_busy

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer ig_pipeline than this one."""


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, lock_timeout: str = LOCK_TIMEOUT, attempts: int = LOCK_ATTEMPTS) -> tuple[str | None, str]:
    """Upgrade to head. Returns (revision before, revision after); equal when nothing was to do.
    LockBusy when the tables stay locked by other sessions through every attempt."""
    scripts = ScriptDirectory.from_config(_config())
    before = current_revision(engine)
    if before is not None and not _known(scripts, before):
        raise SchemaTooNew(
            f"the warehouse schema is at revision {before}, which this version of ig_pipeline does not "
            f"know (its newest is {scripts.get_current_head()}); it was migrated by a newer release. "
            "Nothing was changed; upgrade ig_pipeline."
        )
    head = scripts.get_current_head()
    attempt = 1
    while True:
        try:
            _upgrade(engine, before, head, lock_timeout)
            return before, head
        except OperationalError as exc:
            if not is_lock_timeout(exc):
                raise
            if attempt >= attempts:
                raise lock_busy(engine, "ig-pipeline migrate", attempts, lock_timeout) from None
            time.sleep(attempt)
            attempt += 1


def _upgrade(engine: Engine, before: str | None, head: str, lock_timeout: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": lock_timeout})
        if before != head:
            command.upgrade(_config(conn), "head")
        # Idempotent, so on every migrate: the dictionary's current text as comments, and the readers'
        # grants and policies for tables a new revision added.
        dictionary.apply_comments(conn)
        if roles.roles_exist(conn):
            roles.apply_grants(conn)


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except Exception:
        return False
