"""Warehouse subcommands: migrate, db-url, db-stop, maintain."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from ig_pipeline.config import load_settings


def add_commands(subparsers) -> None:
    cmd = subparsers.add_parser("migrate", help="apply warehouse migrations (idempotent)")
    cmd.set_defaults(func=_migrate)
    cmd = subparsers.add_parser("db-url", help="print the warehouse URL (starts the embedded server)")
    cmd.set_defaults(func=_db_url)
    cmd = subparsers.add_parser("db-stop", help="stop the embedded Postgres server of IG_DATA_DIR")
    cmd.set_defaults(func=_db_stop)
    cmd = subparsers.add_parser(
        "dagster", help="run a dagster CLI command with this project's instance (e.g. `dagster dev`, "
                        "`dagster definitions validate`)")
    cmd.add_argument("dagster_args", nargs=argparse.REMAINDER, metavar="ARGS")
    cmd.set_defaults(func=_dagster)


def _migrate(args) -> int:
    from ig_pipeline.warehouse.database import describe, get_engine, warehouse_url
    from ig_pipeline.warehouse.migrate import migrate
    from ig_pipeline.warehouse.partitions import maintain

    settings = load_settings()
    url = warehouse_url(settings)
    engine = get_engine(url)
    before, after = migrate(engine)
    with engine.begin() as conn:
        report = maintain(conn, datetime.now(UTC).date(), settings.intraday_retention_months)
    state = "already at" if before == after else f"migrated from {before or 'empty'} to"
    print(f"{describe(url)}: {state} revision {after}; intraday partitions created "
          f"{len(report['created'])}, dropped {len(report['dropped'])}")
    return 0


def _db_url(args) -> int:
    from ig_pipeline.warehouse.database import warehouse_url

    url = warehouse_url(load_settings()).set(drivername="postgresql")
    print(url.render_as_string(hide_password=False))
    return 0


def _db_stop(args) -> int:
    from ig_pipeline.warehouse import embedded

    settings = load_settings()
    if settings.database_url:
        print("IG_DATABASE_URL is set: there is no embedded server to stop")
        return 0
    stopped = embedded.stop(settings.data_dir)
    print("embedded Postgres stopped" if stopped else "embedded Postgres was not running")
    return 0


def _dagster(args) -> int:
    """DAGSTER_HOME and the storage URL prepared (embedded server started if it is the default)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from ig_pipeline.dagster_instance import REPO_ROOT, dagster_environment

    env = os.environ | dagster_environment(load_settings())
    executable = Path(sys.executable).with_name("dagster")
    return subprocess.call([str(executable), *args.dagster_args], env=env, cwd=REPO_ROOT)
