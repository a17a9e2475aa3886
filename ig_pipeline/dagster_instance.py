"""A Dagster home for this project: the repository's dagster.yaml, storage in Postgres.

``dagster.yaml`` (repository root) reads its storage URL from ``IG_DAGSTER_PG_URL``; this module
creates ``$IG_DATA_DIR/dagster_home`` with that file and computes the environment that the
webserver, the daemon and run workers need, so they all share one Postgres. The ``dagster`` and
``dg`` subcommands of ``ig-pipeline`` run those CLIs with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from ig_pipeline.config import Settings, load_settings
from ig_pipeline.errors import UserError
from ig_pipeline.warehouse.database import dagster_storage_url

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGSTER_YAML = REPO_ROOT / "dagster.yaml"
WORKSPACE_YAML = REPO_ROOT / "workspace.yaml"


def dagster_environment(settings: Settings | None = None) -> dict[str, str]:
    """DAGSTER_HOME (holding dagster.yaml) and the storage URL: IG_DAGSTER_PG_URL when set, else the
    embedded server's own ``dagster`` database. Dagster's storage cannot share the warehouse's database
    (both record their schema version in an ``alembic_version`` table), and a server named by
    IG_DATABASE_URL is not ours to add databases to, so there IG_DAGSTER_PG_URL is required."""
    settings = settings or load_settings()
    given = os.environ.get("IG_DAGSTER_PG_URL", "").strip()
    if given:
        storage = _psycopg2_url(given)
    elif settings.database_url:
        raise UserError("IG_DATABASE_URL is set but IG_DAGSTER_PG_URL is not: give Dagster's storage a database "
                        "of its own (e.g. a second database on the same server), not the warehouse's")
    else:
        storage = dagster_storage_url(settings)
    home = settings.data_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    return {"DAGSTER_HOME": str(home), "IG_DAGSTER_PG_URL": storage}


def _psycopg2_url(url: str) -> str:
    """Dagster's storage needs the psycopg2 driver (psycopg 3 rejects its NOTIFY statement)."""
    try:
        parsed = make_url(url)
    except Exception:
        raise UserError("IG_DAGSTER_PG_URL is not a valid database URL; expected "
                        "postgresql+psycopg2://user:password@host:5432/dbname") from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise UserError(f"IG_DAGSTER_PG_URL must be a postgresql:// URL, got a {parsed.get_backend_name()!r} URL")
    return parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def add_commands(subparsers) -> None:
    cmd = subparsers.add_parser(
        "dagster", help="run a dagster CLI command with this project's instance (e.g. `dagster dev`, "
                        "`dagster definitions validate`)")
    cmd.add_argument("dagster_args", nargs=argparse.REMAINDER, metavar="ARGS")
    cmd.set_defaults(func=_dagster, tool="dagster")
    cmd = subparsers.add_parser("dg", help="run a dg CLI command with this project's instance (e.g. `dg check defs`)")
    cmd.add_argument("dagster_args", nargs=argparse.REMAINDER, metavar="ARGS")
    cmd.set_defaults(func=_dagster, tool="dg")


def _dagster(args) -> int:
    """DAGSTER_HOME and the storage URL prepared (embedded server started if it is the default)."""
    env = os.environ | dagster_environment(load_settings())
    if sys.prefix != sys.base_prefix:  # dg checks that it runs in the project's virtual environment
        env["VIRTUAL_ENV"] = sys.prefix
    executable = Path(sys.executable).with_name(args.tool)
    if not executable.exists():
        raise UserError(f"{args.tool} is not installed in this environment (pip install -e '.[dev]' adds dg)")
    return subprocess.call([str(executable), *args.dagster_args], env=env, cwd=REPO_ROOT)
