"""Every query of ``instagram_connection`` (except ownership changes: connections/ownership.py).

Tokens are decrypted in memory only, by the cipher the caller passes (connections/crypto.py).
Functions take an open SQLAlchemy connection and run inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection, Row

from ig_pipeline.graph.models import AccountRef

_ACTIVE = text("""
SELECT ig_user_id, owner_id, login_type, token_encrypted FROM instagram_connection
WHERE status = 'active' AND token_encrypted IS NOT NULL
  AND (CAST(:owners AS text[]) IS NULL OR owner_id = ANY(:owners))
  AND (CAST(:ids AS text[]) IS NULL OR ig_user_id = ANY(:ids))
ORDER BY ig_user_id
""")
_FLAG = text("UPDATE instagram_connection SET status = 'needs_reauth', status_reason = :reason "
             "WHERE ig_user_id = :id AND (status = 'active' OR NOT :only_active)")
_REFRESH_CANDIDATES = text("""
SELECT ig_user_id, login_type, token_encrypted, token_expires_at, data_access_expires_at, token_refreshed_at
FROM instagram_connection WHERE status = 'active' AND token_encrypted IS NOT NULL
""")
_REFRESHED = text("UPDATE instagram_connection SET token_encrypted = :token, token_expires_at = :expires, "
                  "token_refreshed_at = :now WHERE ig_user_id = :id")
_NEW_SINCE = text("""
SELECT c.ig_user_id, c.connected_at FROM instagram_connection c
WHERE c.status = 'active' AND c.connected_at > :cursor
  AND NOT EXISTS (SELECT 1 FROM instagram_sync_state s WHERE s.ig_user_id = c.ig_user_id
                  AND s.sync_kind = 'account_daily' AND s.last_success_at >= c.connected_at)
ORDER BY c.connected_at LIMIT 200
""")
_STALE = text("""
SELECT c.ig_user_id, c.username, c.connected_at, s.last_success_at, s.last_error_class, s.last_error_message
FROM instagram_connection c
LEFT JOIN instagram_sync_state s ON s.ig_user_id = c.ig_user_id AND s.sync_kind = 'account_daily'
WHERE c.status = 'active' AND COALESCE(s.last_success_at, c.connected_at) < :cutoff
ORDER BY c.ig_user_id
""")
_TO_RECONNECT = text("""
SELECT ig_user_id, username, owner_id, connected_at, status_reason FROM instagram_connection
WHERE status = 'needs_reauth' ORDER BY ig_user_id
""")
_OWNED_USERNAME = text("SELECT username FROM instagram_connection WHERE ig_user_id = :id AND owner_id = :owner "
                       "AND status <> 'disconnected'")
_DISCONNECT = text("UPDATE instagram_connection SET status = 'disconnected', token_encrypted = NULL, "
                   "status_reason = 'disconnected by the owner' WHERE ig_user_id = :id AND owner_id = :owner")
_ACCOUNT_TYPE = text("UPDATE instagram_connection SET account_type = :account_type "
                     "WHERE ig_user_id = :ig_user_id AND account_type IS DISTINCT FROM :account_type")


def active_accounts(conn: Connection, cipher, owner_ids: list[str] | None = None,
                    ig_user_ids: list[str] | None = None) -> list[AccountRef]:
    rows = conn.execute(_ACTIVE, {"owners": owner_ids, "ids": ig_user_ids}).all()
    return [AccountRef(r.ig_user_id, r.owner_id, cipher.decrypt(r.token_encrypted), r.login_type) for r in rows]


def flag_needs_reauth(conn: Connection, ig_user_id: str, reason: str, *, only_active: bool = False) -> None:
    conn.execute(_FLAG, {"id": ig_user_id, "reason": reason, "only_active": only_active})


def refresh_candidates(conn: Connection) -> list[Row]:
    """Active connections with a token: what the token upkeep looks at."""
    return conn.execute(_REFRESH_CANDIDATES).all()


def save_refreshed_token(conn: Connection, ig_user_id: str, token_encrypted: bytes, expires: datetime,
                         now: datetime) -> None:
    conn.execute(_REFRESHED, {"token": token_encrypted, "expires": expires, "now": now, "id": ig_user_id})


def set_account_type(conn: Connection, ig_user_id: str, account_type: str) -> None:
    """BUSINESS / MEDIA_CREATOR as the API says it today (an account can switch)."""
    conn.execute(_ACCOUNT_TYPE, {"account_type": account_type, "ig_user_id": ig_user_id})


def new_since(conn: Connection, cursor: datetime) -> list[Row]:
    """Active connections made after ``cursor`` with no successful account_daily sync since (200 at most)."""
    return conn.execute(_NEW_SINCE, {"cursor": cursor}).all()


def stale_accounts(conn: Connection, cutoff: datetime) -> list[Row]:
    """Active connections whose last successful daily sync (or connect) is before ``cutoff``."""
    return conn.execute(_STALE, {"cutoff": cutoff}).all()


def accounts_to_reconnect(conn: Connection) -> list[Row]:
    return conn.execute(_TO_RECONNECT).all()


def active_usernames(conn: Connection) -> list[Row]:
    """(ig_user_id, username) of every active connection, by id."""
    return conn.execute(text("SELECT ig_user_id, username FROM instagram_connection WHERE status = 'active' "
                             "ORDER BY ig_user_id")).all()


def active_facebook_login_ids(conn: Connection, owner_id: str) -> list[str]:
    """The owner's active Facebook Login accounts, by id (the ones that can search hashtags)."""
    return conn.execute(text("SELECT ig_user_id FROM instagram_connection WHERE owner_id = :o AND status = 'active' "
                             "AND login_type = 'facebook' ORDER BY ig_user_id"), {"o": owner_id}).scalars().all()


def first_facebook_login_per_owner(conn: Connection) -> list[tuple[str, str]]:
    """(owner_id, lowest active Facebook Login ig_user_id) per owner that has one, by owner."""
    return conn.execute(text("SELECT owner_id, min(ig_user_id) FROM instagram_connection WHERE status = 'active' "
                             "AND login_type = 'facebook' GROUP BY owner_id ORDER BY owner_id")).all()


def owners(conn: Connection) -> dict[str, str]:
    """ig_user_id → owner_id of every connection, whatever its status."""
    return dict(conn.execute(text("SELECT ig_user_id, owner_id FROM instagram_connection")).all())


def exists(conn: Connection, ig_user_id: str) -> bool:
    return conn.execute(text("SELECT 1 FROM instagram_connection WHERE ig_user_id = :a"),
                        {"a": ig_user_id}).first() is not None


def some_ids(conn: Connection, limit: int) -> list[str]:
    """The first ``limit`` connected account ids, for error messages that list what exists."""
    return conn.execute(text("SELECT ig_user_id FROM instagram_connection ORDER BY 1 LIMIT :n"),
                        {"n": limit}).scalars().all()


def owned_username(conn: Connection, ig_user_id: str, owner_id: str) -> str | None:
    """The username of an account ``owner_id`` has connected and not disconnected, else None."""
    return conn.execute(_OWNED_USERNAME, {"id": ig_user_id, "owner": owner_id}).scalar()


def disconnect(conn: Connection, ig_user_id: str, owner_id: str) -> int:
    """Delete the token and mark the connection disconnected; the rows changed (0: not this owner's)."""
    return conn.execute(_DISCONNECT, {"id": ig_user_id, "owner": owner_id}).rowcount


def rotate_tokens(conn: Connection, cipher) -> int:
    """Re-encrypt every stored token with the cipher's first key; the tokens re-encrypted."""
    rows = conn.execute(text("SELECT ig_user_id, token_encrypted FROM instagram_connection "
                             "WHERE token_encrypted IS NOT NULL FOR UPDATE")).all()
    for row in rows:
        conn.execute(text("UPDATE instagram_connection SET token_encrypted = :t WHERE ig_user_id = :id"),
                     {"t": cipher.rotate(row.token_encrypted), "id": row.ig_user_id})
    return len(rows)


def connection_row(*, ig_user_id: str, owner_id: str, login_type: str, token_encrypted: bytes, scopes: Iterable[str],
                   now: datetime, profile: dict, fb_user_id: str | None = None, page: dict | None = None,
                   token_expires_at: datetime | None = None, data_access_expires_at: datetime | None = None) -> dict:
    """The row a connect stores (connections/ownership.store_connections): an active connection
    whose token was just issued. ``profile`` is the IG user node (username, name, account_type,
    profile_picture_url); ``page`` the Facebook Page it is linked to (Facebook Login only)."""
    return {
        "ig_user_id": ig_user_id, "owner_id": owner_id, "login_type": login_type, "fb_user_id": fb_user_id,
        "page_id": str(page.get("id")) if page else None, "page_name": page.get("name") if page else None,
        "username": profile.get("username"), "name": profile.get("name"), "account_type": profile.get("account_type"),
        "profile_picture_url": profile.get("profile_picture_url"), "token_encrypted": token_encrypted,
        "token_expires_at": token_expires_at, "data_access_expires_at": data_access_expires_at,
        "token_refreshed_at": now, "scopes": sorted(scopes), "status": "active", "status_reason": None,
        "connected_at": now,
    }
