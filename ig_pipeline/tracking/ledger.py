"""The pipeline's side of the hashtag budget: reserve a slot before a search, reconcile with the API.

Every check and write happens under a per-account advisory lock in the caller's transaction, so two
runs (or a run and ``hashtags add``) cannot both take the 30th slot. See tracking/store.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ig_pipeline.tracking.store import BUDGET, WINDOW

PENDING = "pending:"  # hashtag_id placeholder of a slot reserved before the first search returned the id


def _lock(conn: Connection, ig_user_id: str) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('ig_hashtag_budget:' || :a))"), {"a": ig_user_id})


def reserve(conn: Connection, owner_id: str, ig_user_id: str, hashtag: str, hashtag_id: str | None,
            now: datetime) -> bool:
    """Take (or reuse) the slot for ``hashtag``; False when the account's 30 slots are all taken, in which
    case the caller must not search."""
    _lock(conn, ig_user_id)
    since = now - WINDOW
    held = conn.execute(text("SELECT hashtag_id FROM ig_hashtag_search_ledger WHERE ig_user_id = :a "
                             "AND window_started_at > :since AND (hashtag = :h OR hashtag_id = :id)"),
                        {"a": ig_user_id, "since": since, "h": hashtag, "id": hashtag_id}).first()
    if held is not None:
        conn.execute(text("UPDATE ig_hashtag_search_ledger SET last_searched_at = :now, hashtag = :h "
                          "WHERE ig_user_id = :a AND hashtag_id = :id"),
                     {"now": now, "h": hashtag, "a": ig_user_id, "id": held.hashtag_id})
        return True
    used = conn.execute(text("SELECT count(*) FROM ig_hashtag_search_ledger WHERE ig_user_id = :a "
                             "AND window_started_at > :since"), {"a": ig_user_id, "since": since}).scalar_one()
    if used >= BUDGET:
        return False
    conn.execute(text("""
        INSERT INTO ig_hashtag_search_ledger (ig_user_id, hashtag_id, owner_id, hashtag, window_started_at,
                                              last_searched_at, source)
        VALUES (:a, :id, :o, :h, :now, :now, 'pipeline')
        ON CONFLICT (ig_user_id, hashtag_id) DO UPDATE SET hashtag = EXCLUDED.hashtag, source = 'pipeline',
            window_started_at = EXCLUDED.window_started_at, last_searched_at = EXCLUDED.last_searched_at
    """), {"a": ig_user_id, "id": hashtag_id or PENDING + hashtag, "o": owner_id, "h": hashtag, "now": now})
    return True


def resolved(conn: Connection, owner_id: str, ig_user_id: str, hashtag: str, hashtag_id: str) -> None:
    """The search answered ``hashtag_id``: the reserved slot and the tracked row carry it."""
    conn.execute(text("DELETE FROM ig_hashtag_search_ledger WHERE ig_user_id = :a AND hashtag_id = :p "
                      "AND EXISTS (SELECT 1 FROM ig_hashtag_search_ledger x WHERE x.ig_user_id = :a "
                      "AND x.hashtag_id = :id)"), {"a": ig_user_id, "p": PENDING + hashtag, "id": hashtag_id})
    conn.execute(text("UPDATE ig_hashtag_search_ledger SET hashtag_id = :id WHERE ig_user_id = :a "
                      "AND hashtag_id = :p"), {"a": ig_user_id, "p": PENDING + hashtag, "id": hashtag_id})
    conn.execute(text("UPDATE ig_tracked_hashtag SET hashtag_id = :id WHERE owner_id = :o AND hashtag = :h"),
                 {"id": hashtag_id, "o": owner_id, "h": hashtag})


def release(conn: Connection, ig_user_id: str, hashtag: str) -> None:
    """The first search of ``hashtag`` failed (the API counts no slot for it): free the reserved one."""
    conn.execute(text("DELETE FROM ig_hashtag_search_ledger WHERE ig_user_id = :a AND hashtag_id = :p"),
                 {"a": ig_user_id, "p": PENDING + hashtag})


def reconcile(conn: Connection, owner_id: str, ig_user_id: str, listed_ids: list[str], now: datetime) -> None:
    """Make the ledger say what ``recently_searched_hashtags`` says: ids the API no longer counts go; ids it
    counts that we did not search (another tool, same account) come in with a window starting now (their
    real start is not served, and now is the cautious guess: their slot is held the longest)."""
    _lock(conn, ig_user_id)
    listed = set(listed_ids)
    conn.execute(text("DELETE FROM ig_hashtag_search_ledger WHERE ig_user_id = :a AND NOT hashtag_id = ANY(:ids) "
                      "AND hashtag_id NOT LIKE 'pending:%'"), {"a": ig_user_id, "ids": list(listed)})
    names = dict(conn.execute(text("SELECT hashtag_id, hashtag FROM ig_tracked_hashtag WHERE ig_user_id = :a "
                                   "AND hashtag_id IS NOT NULL"), {"a": ig_user_id}).all())
    for hashtag_id in sorted(listed):
        conn.execute(text("""
            INSERT INTO ig_hashtag_search_ledger (ig_user_id, hashtag_id, owner_id, hashtag, window_started_at,
                                                  last_searched_at, source)
            VALUES (:a, :id, :o, :h, :now, :now, 'recently_searched') ON CONFLICT DO NOTHING
        """), {"a": ig_user_id, "id": hashtag_id, "o": owner_id, "h": names.get(hashtag_id), "now": now})
