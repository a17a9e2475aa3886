"""Web subcommands: oauth-server, connect-link, rotate-token-key."""

from __future__ import annotations

from ig_pipeline.config import load_settings


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
    cmd.set_defaults(func=_link)
    cmd = subparsers.add_parser("rotate-token-key", help="re-encrypt stored tokens with the first IG_TOKEN_KEYS key")
    cmd.set_defaults(func=_rotate)


def _serve(args) -> int:
    from ig_pipeline.web.app import serve

    serve(args.host, args.port)
    return 0


def _link(args) -> int:
    from ig_pipeline.cli import UserError
    from ig_pipeline.web.links import make_connect_link

    if not args.owner.strip() or args.ttl <= 0:
        raise UserError("--owner must be a non-empty id and --ttl a positive number of seconds")
    link = make_connect_link(args.owner.strip(), load_settings(), args.ttl)
    print(link + ("&login=instagram" if args.login == "instagram" else ""))
    return 0


def _rotate(args) -> int:
    from sqlalchemy import text

    from ig_pipeline.warehouse.database import get_engine, warehouse_url
    from ig_pipeline.web.crypto import TokenCipher

    settings = load_settings()
    cipher = TokenCipher.from_settings(settings)
    with get_engine(warehouse_url(settings)).begin() as conn:
        rows = conn.execute(text("SELECT ig_user_id, token_encrypted FROM instagram_connection "
                                 "WHERE token_encrypted IS NOT NULL FOR UPDATE")).all()
        for row in rows:
            conn.execute(text("UPDATE instagram_connection SET token_encrypted = :t WHERE ig_user_id = :id"),
                         {"t": cipher.rotate(row.token_encrypted), "id": row.ig_user_id})
    print(f"re-encrypted {len(rows)} token(s) with the first key of IG_TOKEN_KEYS")
    return 0
