"""Token lifecycle, run daily by the upkeep job.

- Instagram-Login tokens can be refreshed (≥ 24 h old, not expired): refreshed when they expire
  within REFRESH_WITHIN.
- Facebook user tokens cannot be refreshed without the person: when the token or its data access
  expires within FLAG_WITHIN, the connection turns needs_reauth with a reason that says to reconnect
  (and the stale-sync/failure alerts carry it to ops). Nothing ever retries a dead token.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from ig_pipeline.connections import store
from ig_pipeline.graph.client import GraphClient
from ig_pipeline.graph.errors import GraphError
from ig_pipeline.graph.tokens import TokenEndpoints

REFRESH_WITHIN = timedelta(days=14)
FLAG_WITHIN = timedelta(days=7)
MIN_AGE = timedelta(hours=24)


def mark_needs_reauth(conn: Connection, ig_user_id: str, reason: str) -> None:
    """The token is dead (190): stop using it until the owner reconnects. Never retried."""
    store.flag_needs_reauth(conn, ig_user_id, f"Token rejected by Instagram ({reason[:300]}); the owner must "
                                              "reconnect through a new connect link.", only_active=True)


async def token_upkeep(conn: Connection, client: GraphClient, cipher, now: datetime) -> dict:
    tokens = TokenEndpoints(client)
    report = {"refreshed": 0, "flagged": 0, "failed": 0}
    for row in store.refresh_candidates(conn):
        expiries = [t for t in (row.token_expires_at, row.data_access_expires_at) if t is not None]
        soonest = min(expiries) if expiries else None
        if row.login_type == "instagram" and row.token_expires_at and row.token_expires_at - now < REFRESH_WITHIN:
            if row.token_refreshed_at and now - row.token_refreshed_at < MIN_AGE:
                continue
            try:
                fresh = await tokens.ig_refresh_token(cipher.decrypt(row.token_encrypted))
                store.save_refreshed_token(conn, row.ig_user_id, cipher.encrypt(fresh["access_token"]),
                                           now + timedelta(seconds=int(fresh.get("expires_in", 0))), now)
                report["refreshed"] += 1
            except (GraphError, KeyError, ValueError):
                report["failed"] += 1
                store.flag_needs_reauth(conn, row.ig_user_id, "The Instagram token could not be refreshed; "
                                        "the owner must reconnect through a new connect link.")
        elif soonest is not None and soonest - now < FLAG_WITHIN:
            report["flagged"] += 1
            store.flag_needs_reauth(conn, row.ig_user_id, f"Access expires on {soonest:%Y-%m-%d}; the owner "
                                    "must reconnect through a new connect link (ig-pipeline connect-link --owner …).")
    return report
