"""Tracked competitors and hashtags per owner, and the hashtag search budget (docs/competitors-and-hashtags.md).

Instagram lets one account search at most 30 unique hashtags in a rolling 7 days; searching a hashtag
again inside its window is free and does not move the window. The ledger (``ig_hashtag_search_ledger``)
holds each account's hashtags of the current window; it is written before the search that spends a
slot, reconciled with ``GET /{ig-user-id}/recently_searched_hashtags`` (what the API counts, including
searches made outside this pipeline) and read by every run and by ``hashtags add``, so no run and no
command can spend more than the account has.

A tracked hashtag is searched every day, so it holds a slot for good: adding one is refused when the
account's slots (hashtags of the window plus tracked ones not yet searched) are all taken, with the
instant the oldest untracked slot frees up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ig_pipeline.connections import store as connections
from ig_pipeline.errors import UserError

BUDGET = 30
WINDOW = timedelta(days=7)
_USERNAME = re.compile(r"[a-z0-9._]{1,30}")
_HASHTAG = re.compile(r"[a-z0-9_]{1,100}")


class TrackingError(UserError):
    """A tracked-list request that cannot be done; the message says why and what to do."""


def normalize_username(raw: str) -> str:
    name = (raw or "").strip().lstrip("@").lower()
    if not _USERNAME.fullmatch(name):
        raise TrackingError(f"{raw!r} is not an Instagram username (letters, digits, '.', '_', at most 30)")
    return name


def normalize_hashtag(raw: str) -> str:
    tag = (raw or "").strip().lstrip("#").lower()
    if not _HASHTAG.fullmatch(tag):
        raise TrackingError(f"{raw!r} is not a hashtag the API can search (letters, digits and '_' only)")
    return tag


# --- competitors ---------------------------------------------------------------------------------------

def add_competitor(conn: Connection, owner_id: str, username: str) -> bool:
    """Track ``username`` for ``owner_id``; False when it was tracked already."""
    name = normalize_username(username)
    row = conn.execute(text("INSERT INTO ig_tracked_competitor (owner_id, username) VALUES (:o, :u) "
                            "ON CONFLICT DO NOTHING RETURNING 1"), {"o": owner_id, "u": name}).first()
    return row is not None


def remove_competitor(conn: Connection, owner_id: str, username: str) -> bool:
    """Stop tracking; the rows already captured stay. False when it was not tracked."""
    return conn.execute(text("DELETE FROM ig_tracked_competitor WHERE owner_id = :o AND username = :u"),
                        {"o": owner_id, "u": normalize_username(username)}).rowcount > 0


def competitors(conn: Connection, owner_id: str | None = None) -> list[tuple[str, str]]:
    """(owner_id, username) tracked, of one owner or of all."""
    rows = conn.execute(text("SELECT owner_id, username FROM ig_tracked_competitor "
                             "WHERE CAST(:o AS text) IS NULL OR owner_id = :o ORDER BY 1, 2"), {"o": owner_id})
    return [tuple(r) for r in rows]


# --- hashtags -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrackedHashtag:
    owner_id: str
    hashtag: str
    ig_user_id: str
    hashtag_id: str | None


def hashtags(conn: Connection, owner_id: str | None = None) -> list[TrackedHashtag]:
    rows = conn.execute(text("SELECT owner_id, hashtag, ig_user_id, hashtag_id FROM ig_tracked_hashtag "
                             "WHERE CAST(:o AS text) IS NULL OR owner_id = :o ORDER BY 1, 2"), {"o": owner_id})
    return [TrackedHashtag(*r) for r in rows]


def _searching_account(conn: Connection, owner_id: str, account: str | None) -> str:
    """The owner's Facebook Login account that searches (hashtag search has no Instagram Login variant)."""
    rows = connections.active_facebook_login_ids(conn, owner_id)
    if account is not None:
        if account not in rows:
            raise TrackingError(f"account {account} is not an active Facebook Login account of owner {owner_id} "
                                f"(hashtag search needs Facebook Login); its accounts: {', '.join(rows) or 'none'}")
        return account
    if len(rows) != 1:
        raise TrackingError(f"owner {owner_id} has {len(rows)} active Facebook Login accounts: name the one that "
                            f"searches with --account ({', '.join(rows) or 'connect one first'})")
    return rows[0]


@dataclass(frozen=True)
class Budget:
    ig_user_id: str
    in_window: dict[str, datetime]  # hashtag id (or name when not searched yet) -> its window start
    tracked_unsearched: tuple[str, ...]  # tracked hashtags with no slot in the window yet

    @property
    def used(self) -> int:
        return len(self.in_window) + len(self.tracked_unsearched)

    @property
    def remaining(self) -> int:
        return max(0, BUDGET - self.used)


def budget(conn: Connection, ig_user_id: str, now: datetime) -> Budget:
    """The account's slots at ``now``: hashtags of the 7-day window and tracked ones still to search."""
    rows = conn.execute(text("SELECT hashtag_id, hashtag, window_started_at FROM ig_hashtag_search_ledger "
                             "WHERE ig_user_id = :a AND window_started_at > :since"),
                        {"a": ig_user_id, "since": now - WINDOW}).all()
    in_window = {r.hashtag_id: r.window_started_at for r in rows}
    names = {r.hashtag for r in rows if r.hashtag}
    tracked = conn.execute(text("SELECT hashtag, hashtag_id FROM ig_tracked_hashtag WHERE ig_user_id = :a"),
                           {"a": ig_user_id}).all()
    pending = tuple(sorted(t.hashtag for t in tracked if t.hashtag not in names and t.hashtag_id not in in_window))
    return Budget(ig_user_id, in_window, pending)


def add_hashtag(conn: Connection, owner_id: str, tag: str, account: str | None, now: datetime) -> str:
    """Track ``tag`` for ``owner_id``, searched by ``account`` (or the owner's only Facebook Login account).
    Refused when the account has no slot left for it. Returns the searching account."""
    name = normalize_hashtag(tag)
    ig_user_id = _searching_account(conn, owner_id, account)
    existing = conn.execute(text("SELECT ig_user_id FROM ig_tracked_hashtag WHERE owner_id = :o AND hashtag = :h"),
                            {"o": owner_id, "h": name}).scalar()
    if existing is not None:
        return existing
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('ig_hashtag_budget:' || :a))"), {"a": ig_user_id})
    slots = budget(conn, ig_user_id, now)
    searched = conn.execute(text("SELECT 1 FROM ig_hashtag_search_ledger WHERE ig_user_id = :a AND hashtag = :h "
                                 "AND window_started_at > :since"),
                            {"a": ig_user_id, "h": name, "since": now - WINDOW}).first()
    if searched is None and slots.remaining < 1:
        raise TrackingError(_refusal(conn, slots, name))
    conn.execute(text("INSERT INTO ig_tracked_hashtag (owner_id, hashtag, ig_user_id) VALUES (:o, :h, :a)"),
                 {"o": owner_id, "h": name, "a": ig_user_id})
    return ig_user_id


def _refusal(conn: Connection, slots: Budget, name: str) -> str:
    tracked_ids = set(conn.execute(text("SELECT hashtag_id FROM ig_tracked_hashtag WHERE ig_user_id = :a "
                                        "AND hashtag_id IS NOT NULL"), {"a": slots.ig_user_id}).scalars())
    freeing = sorted(at for hid, at in slots.in_window.items() if hid not in tracked_ids)
    head = (f"account {slots.ig_user_id} has used its {BUDGET} unique hashtag searches of the last 7 days "
            f"(Instagram's limit), so #{name} cannot be added")
    if not freeing:
        return head + ": every slot is held by a tracked hashtag; remove one first (ig-pipeline hashtags remove)"
    return head + f"; the next slot frees up at {(freeing[0] + WINDOW).isoformat(timespec='minutes')}"


def remove_hashtag(conn: Connection, owner_id: str, tag: str) -> bool:
    """Stop tracking (its slot frees when its 7-day window ends). False when it was not tracked."""
    return conn.execute(text("DELETE FROM ig_tracked_hashtag WHERE owner_id = :o AND hashtag = :h"),
                        {"o": owner_id, "h": normalize_hashtag(tag)}).rowcount > 0
