"""``ig-pipeline competitors add|remove|list`` and ``ig-pipeline hashtags add|remove|list``."""

from __future__ import annotations

from datetime import UTC, datetime

from ig_pipeline.errors import UserError


def add_commands(subparsers) -> None:
    cmd = subparsers.add_parser("competitors", help="track public Business/Creator accounts of an owner's rivals "
                                                    "(Business Discovery, daily)")
    cmd.add_argument("action", choices=("add", "remove", "list"))
    cmd.add_argument("--owner", required=True, metavar="OWNER_ID")
    cmd.add_argument("--username", metavar="NAME", help="the competitor's Instagram username (add, remove)")
    cmd.set_defaults(func=_competitors)
    cmd = subparsers.add_parser("hashtags", help="track hashtags of an owner (30 unique hashtags per account "
                                                 "per 7 days, Instagram's limit)")
    cmd.add_argument("action", choices=("add", "remove", "list"))
    cmd.add_argument("--owner", required=True, metavar="OWNER_ID")
    cmd.add_argument("--tag", metavar="TAG", help="the hashtag, with or without # (add, remove)")
    cmd.add_argument("--account", metavar="IG_USER_ID",
                     help="the owner's Facebook Login account whose budget searches it (add; default: the only one)")
    cmd.set_defaults(func=_hashtags)


def _engine():
    from ig_pipeline.warehouse.database import get_engine, warehouse_url

    return get_engine(warehouse_url())


def _need(value: str | None, flag: str, action: str) -> str:
    if not value:
        raise UserError(f"{action} needs {flag}")
    return value


def _competitors(args) -> int:
    from ig_pipeline.tracking import store

    with _engine().begin() as conn:
        if args.action == "list":
            for _, username in store.competitors(conn, args.owner):
                print(username)
            return 0
        username = _need(args.username, "--username", args.action)
        if args.action == "add":
            added = store.add_competitor(conn, args.owner, username)
            print(f"{'tracking' if added else 'already tracking'} competitor {store.normalize_username(username)} "
                  f"for owner {args.owner}")
        elif not store.remove_competitor(conn, args.owner, username):
            raise UserError(f"owner {args.owner} does not track competitor {username}")
        else:
            print(f"stopped tracking competitor {store.normalize_username(username)} (its rows stay)")
    return 0


def _hashtags(args) -> int:
    from ig_pipeline.tracking import store

    now = datetime.now(UTC)
    with _engine().begin() as conn:
        if args.action == "list":
            for tracked in store.hashtags(conn, args.owner):
                slots = store.budget(conn, tracked.ig_user_id, now)
                print(f"#{tracked.hashtag}\taccount {tracked.ig_user_id}\t"
                      f"{slots.remaining} of {store.BUDGET} searches left this week")
            return 0
        tag = _need(args.tag, "--tag", args.action)
        if args.action == "add":
            account = store.add_hashtag(conn, args.owner, tag, args.account, now)
            left = store.budget(conn, account, now).remaining
            print(f"tracking #{store.normalize_hashtag(tag)} for owner {args.owner}, searched by account {account} "
                  f"({left} of {store.BUDGET} unique hashtag searches left in its 7-day window)")
        elif not store.remove_hashtag(conn, args.owner, tag):
            raise UserError(f"owner {args.owner} does not track #{tag.lstrip('#')}")
        else:
            print(f"stopped tracking #{store.normalize_hashtag(tag)} (its slot frees when its 7-day window ends)")
    return 0
