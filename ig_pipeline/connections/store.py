"""Reading connections for the pipeline (tokens decrypted in memory only) and flagging dead ones."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ig_pipeline.graph.models import AccountRef

_ACTIVE = text("""
SELECT ig_user_id, owner_id, login_type, token_encrypted FROM instagram_connection
WHERE status = 'active' AND token_encrypted IS NOT NULL
  AND (CAST(:owners AS text[]) IS NULL OR owner_id = ANY(:owners))
  AND (CAST(:ids AS text[]) IS NULL OR ig_user_id = ANY(:ids))
ORDER BY ig_user_id
""")


def active_accounts(conn: Connection, cipher, owner_ids: list[str] | None = None,
                    ig_user_ids: list[str] | None = None) -> list[AccountRef]:
    rows = conn.execute(_ACTIVE, {"owners": owner_ids, "ids": ig_user_ids}).all()
    return [AccountRef(r.ig_user_id, r.owner_id, cipher.decrypt(r.token_encrypted), r.login_type) for r in rows]


def mark_needs_reauth(conn: Connection, ig_user_id: str, reason: str) -> None:
    """The token is dead (190): stop using it until the owner reconnects. Never retried."""
    conn.execute(text("UPDATE instagram_connection SET status = 'needs_reauth', status_reason = :reason "
                      "WHERE ig_user_id = :id AND status = 'active'"),
                 {"id": ig_user_id, "reason": f"Token rejected by Instagram ({reason[:300]}); the owner must "
                                              "reconnect through a new connect link."})
