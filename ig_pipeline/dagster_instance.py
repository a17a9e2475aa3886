"""A Dagster home for this project: the repository's dagster.yaml on the warehouse's server.

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

from ig_pipeline.config import Settings, load_settings
from ig_pipeline.errors import UserError
from ig_pipeline.warehouse.database import dagster_storage_url

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGSTER_YAML = REPO_ROOT / "dagster.yaml"
WORKSPACE_YAML = REPO_ROOT / "workspace.yaml"


def dagster_environment(settings: Settings | None = None) -> dict[str, str]:
    settings = settings or load_settings()
    home = settings.data_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    return {"DAGSTER_HOME": str(home), "IG_DAGSTER_PG_URL": dagster_storage_url(settings)}


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
