"""Apply warehouse migrations (Alembic) idempotently, refusing a schema newer than this code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from ig_pipeline.warehouse import dictionary, roles

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


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Upgrade to head. Returns (revision before, revision after); equal when nothing was to do."""
    scripts = ScriptDirectory.from_config(_config())
    before = current_revision(engine)
    if before is not None and not _known(scripts, before):
        raise SchemaTooNew(
            f"the warehouse schema is at revision {before}, which this version of ig_pipeline does not "
            f"know (its newest is {scripts.get_current_head()}); it was migrated by a newer release. "
            "Nothing was changed; upgrade ig_pipeline."
        )
    head = scripts.get_current_head()
    with engine.begin() as conn:
        if before != head:
            command.upgrade(_config(conn), "head")
        # Idempotent, so on every migrate: the dictionary's current text as comments, and the readers'
        # grants and policies for tables a new revision added.
        dictionary.apply_comments(conn)
        if roles.roles_exist(conn):
            roles.apply_grants(conn)
    return before, head


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except Exception:
        return False
