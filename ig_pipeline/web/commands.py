"""Web subcommands: oauth-server, connect-link (and --revoke), connections transfer, rotate-token-key."""

from __future__ import annotations

from ig_pipeline.config import load_settings
from ig_pipeline.errors import UserError


def add_commands(subparsers) -> None:
    cmd = subparsers.add_parser("oauth-server", help="serve the OAuth handler and webhook receiver")
    cmd.add_argument("--host", default="127.0.0.1")
    cmd.add_argument("--port", type=int, default=8766)
    cmd.set_defaults(func=_serve)
    cmd = subparsers.add_parser("connect-link", help="print a signed, expiring connect link for an app user")
    cmd.add_argument("--owner", required=True, help="the app user (tenant) id the connection will belong to")
    cmd.add_argument("--ttl", type=int, default=86_400, help="seconds the link stays valid (default 1 day)")
    cmd.add_argument("--login", choices=("facebook", "instagram"), default="facebook",
                     help="Facebook Login (accounts linked to a Page, default) or Instagram Login")
    cmd.add_argument("--revoke", action="store_true",
                     help="instead of printing a link, refuse every link of --owner issued until now")
    cmd.add_argument("--disconnect", metavar="IG_USER_ID",
                     help="print the owner's link to the confirmation page that disconnects this account")
    cmd.set_defaults(func=_link)
    cmd = subparsers.add_parser("connections", help="operator actions on connected accounts")
    actions = cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    move = actions.add_parser("transfer", help="move an account and all its data to another owner (recorded)")
    move.add_argument("--account", required=True, metavar="IG_USER_ID", help="the connected account")
    move.add_argument("--to", required=True, metavar="OWNER", help="the owner (tenant) id it moves to")
    move.add_argument("--reason", help="why, kept in ig_connection_transfer")
    move.set_defaults(func=_transfer)
    cmd = subparsers.add_parser("rotate-token-key", help="re-encrypt stored tokens with the first IG_TOKEN_KEYS key")
    cmd.set_defaults(func=_rotate)


def _serve(args) -> int:
    from ig_pipeline.web.app import serve

    serve(args.host, args.port)
    return 0


def _link(args) -> int:
    from ig_pipeline.web.links import make_connect_link

    if not args.owner.strip() or args.ttl <= 0:
        raise UserError("--owner must be a non-empty id and --ttl a positive number of seconds")
    if args.revoke:
        from ig_pipeline.connections.ownership import revoke_links
        from ig_pipeline.warehouse.database import get_engine, warehouse_url

        with get_engine(warehouse_url(load_settings())).begin() as conn:
            cutoff = revoke_links(conn, args.owner.strip())
        print(f"connect links of {args.owner.strip()} signed until {cutoff:%Y-%m-%d %H:%M:%S %Z} are refused; "
              "issue a new one with `ig-pipeline connect-link --owner …` (a second later)")
        return 0
    if args.disconnect:
        from ig_pipeline.web.links import make_disconnect_link

        print(make_disconnect_link(args.owner.strip(), args.disconnect, load_settings(), args.ttl))
        return 0
    link = make_connect_link(args.owner.strip(), load_settings(), args.ttl)
    print(link + ("&login=instagram" if args.login == "instagram" else ""))
    return 0


def _transfer(args) -> int:
    from ig_pipeline.connections.ownership import TransferError, transfer
    from ig_pipeline.warehouse.database import get_engine, warehouse_url

    try:
        with get_engine(warehouse_url(load_settings())).begin() as conn:
            moved = transfer(conn, args.account, args.to, args.reason)
    except TransferError as exc:
        raise UserError(str(exc)) from None
    if not moved:
        print(f"account {args.account} and all its rows already belong to {args.to.strip()}; nothing moved")
    else:
        rows = ", ".join(f"{table} {count}" for table, count in sorted(moved.items()))
        print(f"account {args.account} now belongs to {args.to.strip()}; rows moved: {rows} "
              "(recorded in ig_connection_transfer)")
    return 0


def _rotate(args) -> int:
    from ig_pipeline.connections import store
    from ig_pipeline.connections.crypto import TokenCipher
    from ig_pipeline.warehouse.database import get_engine, warehouse_url

    settings = load_settings()
    cipher = TokenCipher.from_settings(settings)
    with get_engine(warehouse_url(settings)).begin() as conn:
        count = store.rotate_tokens(conn, cipher)
    print(f"re-encrypted {count} token(s) with the first key of IG_TOKEN_KEYS")
    return 0
