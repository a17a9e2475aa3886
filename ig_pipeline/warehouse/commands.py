"""Warehouse subcommands: migrate, db-url, db-stop, roles, export."""

from __future__ import annotations

from datetime import UTC, datetime

from ig_pipeline.config import load_settings
from ig_pipeline.errors import UserError


def add_commands(subparsers) -> None:
    cmd = subparsers.add_parser("migrate", help="apply warehouse migrations (idempotent)")
    cmd.set_defaults(func=_migrate)
    cmd = subparsers.add_parser("db-url", help="print the warehouse URL (starts the embedded server)")
    cmd.set_defaults(func=_db_url)
    cmd = subparsers.add_parser("db-stop", help="stop the embedded Postgres server of IG_DATA_DIR")
    cmd.set_defaults(func=_db_stop)
    cmd = subparsers.add_parser(
        "roles", help="create the read-only roles ig_analyst and ig_tenant_reader with row-level security; "
                      "optionally a member role (needs CREATEROLE)")
    member = cmd.add_mutually_exclusive_group()
    member.add_argument("--analyst", metavar="NAME", help="make NAME an analyst (reads every row)")
    member.add_argument("--tenant", metavar="OWNER_ID", help="with --member: NAME reads only this tenant's rows")
    cmd.add_argument("--member", metavar="NAME", help="the role to map to --tenant")
    cmd.add_argument("--password-env", metavar="VAR",
                     help="make the member a login role with the password in environment variable VAR")
    cmd.set_defaults(func=_roles)
    cmd = subparsers.add_parser("export", help="write a table or view as CSV (streamed)")
    what = cmd.add_mutually_exclusive_group(required=True)
    what.add_argument("--table", metavar="NAME")
    what.add_argument("--view", metavar="NAME")
    cmd.add_argument("--account", metavar="IG_USER_ID", help="only this account's rows")
    cmd.add_argument("--since", metavar="YYYY-MM-DD",
                     help="from this day, inclusive (filters the first of day, posted_day, captured_at, "
                          "received_at; timestamps by UTC day)")
    cmd.add_argument("--until", metavar="YYYY-MM-DD", help="to this day (inclusive)")
    cmd.add_argument("--out", metavar="FILE", help="write here instead of stdout (a regular file is replaced only "
                                                   "on success; a device or FIFO is written directly; - is stdout)")
    cmd.add_argument("--formulas", choices=("escape", "raw"),
                     help="text starting with = + - @ tab CR: 'escape' prefixes a ' so spreadsheets show it as "
                          "text; 'raw' keeps it (default: escape into a regular --out file, raw otherwise)")
    cmd.set_defaults(func=_export)


def _migrate(args) -> int:
    from ig_pipeline.warehouse.database import describe, get_engine, warehouse_url
    from ig_pipeline.warehouse.migrate import migrate
    from ig_pipeline.warehouse.table_partitions import maintain

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


def _roles(args) -> int:
    import os

    from ig_pipeline.warehouse import roles
    from ig_pipeline.warehouse.database import get_engine, warehouse_url

    if bool(args.tenant) != bool(args.member):
        raise UserError("--tenant and --member go together: --tenant OWNER_ID --member ROLE_NAME")
    password = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            raise UserError(f"--password-env {args.password_env}: that environment variable is unset or empty")
    try:
        with get_engine(warehouse_url()).begin() as conn:
            roles.ensure_roles(conn)
            print(f"roles {roles.ANALYST} and {roles.TENANT_READER}: grants and row-level security applied")
            if args.analyst or args.member:
                print(roles.add_member(conn, args.analyst or args.member, tenant=args.tenant, password=password))
    except roles.RoleError as exc:
        raise UserError(str(exc)) from None
    return 0


def _export(args) -> int:
    import sys

    from ig_pipeline.warehouse.database import get_engine, warehouse_url
    from ig_pipeline.warehouse.export import ExportError, export

    try:
        rows, destination = export(get_engine(warehouse_url()), name=args.table or args.view,
                                   kind="table" if args.table else "view", account=args.account,
                                   since=args.since, until=args.until, out=args.out, formulas=args.formulas)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    if destination != "stdout":
        print(f"{rows} row(s) written to {destination}", file=sys.stderr)
    return 0
