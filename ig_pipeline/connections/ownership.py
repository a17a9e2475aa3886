"""Who owns a connected account, and the only ways that changes (docs/decisions/0008-tenancy-model.md).

- A connect stores an account for the owner of the connect link only when the account is new or
  already that owner's (any status, disconnected included). An account owned by someone else is
  refused, never moved: the second owner's page says so and how to ask for a transfer.
- ``ig-pipeline connections transfer`` moves an account and every row of its data to another owner
  in one transaction, recorded in ``ig_connection_transfer``.
- ``ig-pipeline connect-link --revoke`` refuses every connect link of an owner signed until now.

A per-account advisory lock serialises a connect and a transfer of the same account.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.upsert import bulk_upsert

_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('ig_connection:' || :id))")
_OWNER = text("SELECT owner_id FROM instagram_connection WHERE ig_user_id = :id FOR UPDATE")
ACCOUNT_TABLES = tuple(t for t in schema.TENANT_TABLES if "ig_user_id" in t.columns)


class TransferError(ValueError):
    """The transfer cannot be done as asked (the message says why); nothing was changed."""


def store_connections(conn: Connection, rows: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    """Upsert the rows whose account is new or already belongs to the row's owner; returns
    (stored, refused). Refused rows are accounts another owner has connected: left untouched."""
    stored, refused = [], []
    for row in sorted(rows, key=lambda r: r["ig_user_id"]):  # one lock order: no deadlock between connects
        conn.execute(_LOCK, {"id": row["ig_user_id"]})
        owner = conn.execute(_OWNER, {"id": row["ig_user_id"]}).scalar()
        (stored if owner in (None, row["owner_id"]) else refused).append(row)
    if stored:
        bulk_upsert(conn, schema.instagram_connection, stored)
    return stored, refused


def transfer(conn: Connection, ig_user_id: str, to_owner: str, reason: str | None = None) -> dict[str, int]:
    """Move the account and all its rows to ``to_owner`` (in the caller's transaction) and record it.
    Re-running it moves rows a sync wrote with the old owner meanwhile. Returns rows moved per table."""
    to_owner = to_owner.strip()
    if not to_owner:
        raise TransferError("--to must be a non-empty owner id")
    conn.execute(_LOCK, {"id": ig_user_id})
    from_owner = conn.execute(_OWNER, {"id": ig_user_id}).scalar()
    if from_owner is None:
        raise TransferError(f"no connected account {ig_user_id!r} (see the instagram_connection table)")
    moved = {}
    for table in ACCOUNT_TABLES:
        count = conn.execute(text(f'UPDATE "{table.name}" SET owner_id = :to '
                                  "WHERE ig_user_id = :id AND owner_id <> :to"),
                             {"to": to_owner, "id": ig_user_id}).rowcount
        if count:
            moved[table.name] = count
    if not moved:
        return moved
    by = conn.execute(text("SELECT current_user")).scalar_one() + f" (os user {getpass.getuser()})"
    conn.execute(text("INSERT INTO ig_connection_transfer (ig_user_id, from_owner, to_owner, rows_moved, reason, "
                      "transferred_by) VALUES (:id, :f, :t, CAST(:moved AS jsonb), :reason, :by)"),
                 {"id": ig_user_id, "f": from_owner, "t": to_owner, "moved": json.dumps(moved),
                  "reason": reason, "by": by})
    return moved


def revoke_links(conn: Connection, owner_id: str) -> datetime:
    """Refuse every connect link of ``owner_id`` signed up to now; returns the cut-off."""
    return conn.execute(text(
        "INSERT INTO ig_connect_link_revocation (owner_id, revoked_before) VALUES (:o, now()) "
        "ON CONFLICT (owner_id) DO UPDATE SET revoked_before = EXCLUDED.revoked_before RETURNING revoked_before"),
        {"o": owner_id}).scalar_one()


def links_revoked_before(conn: Connection, owner_id: str) -> datetime | None:
    return conn.execute(text("SELECT revoked_before FROM ig_connect_link_revocation WHERE owner_id = :o"),
                        {"o": owner_id}).scalar()
