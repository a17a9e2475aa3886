"""The ``ig-pipeline`` command.

Each concern adds its own subcommands through an ``add_commands(subparsers)`` function in its
module (listed in ``_COMMAND_MODULES``); a subcommand sets ``func(args) -> int``. Expected
failures (bad settings, unreachable database, newer schema) print one ``error:`` line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ig_pipeline.config import ConfigError, load_settings
from ig_pipeline.errors import UserError

_COMMAND_MODULES = (
    "ig_pipeline.warehouse.commands",
    "ig_pipeline.dagster_instance",
    "ig_pipeline.simulator.commands",
    "ig_pipeline.web.commands",
    "ig_pipeline.demo.run",
    "ig_pipeline.tracking.commands",
)


def _expected_errors() -> tuple[type[BaseException], ...]:
    from ig_pipeline.warehouse.database import WarehouseUnavailable
    from ig_pipeline.warehouse.migrate import SchemaTooNew
    from ig_pipeline.warehouse.table_partitions import LockBusy

    return (ConfigError, UserError, WarehouseUnavailable, SchemaTooNew, LockBusy, OSError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ig-pipeline", description="Instagram analytics into Postgres with Dagster: operate and demo.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).add_commands(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("ig_pipeline").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    try:
        load_settings()  # malformed settings fail here, before any work
        return int(args.func(args) or 0)
    except _expected_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
