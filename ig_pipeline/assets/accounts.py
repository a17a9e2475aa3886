"""The accounts a run works on: active connections, narrowed by selection, minus those in a block."""

from __future__ import annotations

from datetime import datetime

import dagster as dg
from sqlalchemy import text

from ig_pipeline.assets.selection import AccountSelection, selected
from ig_pipeline.connections.store import active_accounts
from ig_pipeline.graph.models import AccountRef
from ig_pipeline.resources import TokenVault

_BLOCKED = text("""
SELECT ig_user_id FROM instagram_sync_state
WHERE sync_kind = :kind AND last_error_class = 'rate_limited' AND next_retry_at > :now
""")


def accounts_for_run(context: dg.AssetExecutionContext, warehouse, tokens: TokenVault, config: AccountSelection, *,
                     kind: str, now: datetime) -> tuple[list[AccountRef], list[str]]:
    """(accounts to sync, accounts skipped because the API asked us to wait)."""
    with warehouse.transaction() as conn:
        accounts = selected(active_accounts(conn, tokens.cipher()), config, context.run.tags)
        blocked = set(conn.execute(_BLOCKED, {"kind": kind, "now": now}).scalars())
    explicit = bool(config.ig_user_ids)  # a person asked for these accounts: try them anyway
    skipped = [] if explicit else sorted(a.ig_user_id for a in accounts if a.ig_user_id in blocked)
    return [a for a in accounts if a.ig_user_id not in skipped], skipped
