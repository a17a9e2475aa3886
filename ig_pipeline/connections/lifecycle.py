"""Token lifecycle, run daily by the upkeep job.

- Instagram-Login tokens can be refreshed (≥ 24 h old, not expired): refreshed when they expire
  within REFRESH_WITHIN.
- Facebook user tokens cannot be refreshed without the person: when the token or its data access
  expires within FLAG_WITHIN, the connection turns needs_reauth with a reason that says to reconnect
  (and the stale-sync/failure alerts carry it to ops). Nothing ever retries a dead token.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from ig_pipeline.graph.errors import GraphError

REFRESH_WITHIN = timedelta(days=14)
FLAG_WITHIN = timedelta(days=7)
MIN_AGE = timedelta(hours=24)

_CANDIDATES = text("""
SELECT ig_user_id, login_type, token_encrypted, token_expires_at, data_access_expires_at, token_refreshed_at
FROM instagram_connection WHERE status = 'active' AND token_encrypted IS NOT NULL
""")
_FLAG = text("UPDATE instagram_connection SET status = 'needs_reauth', status_reason = :reason WHERE ig_user_id = :id")
_REFRESHED = text("UPDATE instagram_connection SET token_encrypted = :token, token_expires_at = :expires, "
                  "token_refreshed_at = :now WHERE ig_user_id = :id")


async def token_upkeep(conn, client, cipher, settings, now: datetime) -> dict:
    report = {"refreshed": 0, "flagged": 0, "failed": 0}
    for row in conn.execute(_CANDIDATES).all():
        expiries = [t for t in (row.token_expires_at, row.data_access_expires_at) if t is not None]
        soonest = min(expiries) if expiries else None
        if row.login_type == "instagram" and row.token_expires_at and row.token_expires_at - now < REFRESH_WITHIN:
            if row.token_refreshed_at and now - row.token_refreshed_at < MIN_AGE:
                continue
            try:
                fresh = await client.ig_refresh_token(cipher.decrypt(row.token_encrypted))
                conn.execute(_REFRESHED, {"token": cipher.encrypt(fresh["access_token"]), "now": now,
                                          "expires": now + timedelta(seconds=int(fresh.get("expires_in", 0))),
                                          "id": row.ig_user_id})
                report["refreshed"] += 1
            except (GraphError, KeyError, ValueError):
                report["failed"] += 1
                conn.execute(_FLAG, {"id": row.ig_user_id, "reason": "The Instagram token could not be refreshed; "
                                     "the owner must reconnect through a new connect link."})
        elif soonest is not None and soonest - now < FLAG_WITHIN:
            report["flagged"] += 1
            conn.execute(_FLAG, {"id": row.ig_user_id, "reason": f"Access expires on {soonest:%Y-%m-%d}; the owner "
                                 "must reconnect through a new connect link (ig-pipeline connect-link --owner …)."})
    return report
