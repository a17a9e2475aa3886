"""instagram_sync_state: per account and sync kind, the last attempt, success and error.

Ops read it to see which account fails and why; schedules read ``next_retry_at`` to leave
rate-limited accounts alone until their block is over.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

# How long to leave an account alone after an error of each class (token_invalid: until reconnected).
RETRY_AFTER = {"transient": timedelta(minutes=30), "rate_limited": timedelta(hours=1),
               "bad_request": timedelta(hours=6), "no_data": timedelta(hours=6)}

_SUCCESS = text("""
INSERT INTO instagram_sync_state AS s (ig_user_id, sync_kind, owner_id, last_attempt_at, last_success_at,
    consecutive_failures, last_run_id)
VALUES (:ig_user_id, :kind, :owner_id, :now, :now, 0, :run_id)
ON CONFLICT (ig_user_id, sync_kind) DO UPDATE SET
    owner_id = EXCLUDED.owner_id, last_attempt_at = :now, last_success_at = :now, consecutive_failures = 0,
    failing_since = NULL, next_retry_at = NULL, last_error_class = NULL, last_error_code = NULL,
    last_error_message = NULL, last_run_id = :run_id
""")

_FAILURE = text("""
INSERT INTO instagram_sync_state AS s (ig_user_id, sync_kind, owner_id, last_attempt_at, last_error_class,
    last_error_code, last_error_message, consecutive_failures, failing_since, next_retry_at, last_run_id)
VALUES (:ig_user_id, :kind, :owner_id, :now, :error_class, :code, :message, 1, :now, :retry_at, :run_id)
ON CONFLICT (ig_user_id, sync_kind) DO UPDATE SET
    owner_id = EXCLUDED.owner_id, last_attempt_at = :now, last_error_class = :error_class,
    last_error_code = :code, last_error_message = :message,
    consecutive_failures = s.consecutive_failures + 1,
    failing_since = COALESCE(s.failing_since, :now), next_retry_at = :retry_at, last_run_id = :run_id
""")


def record_success(conn: Connection, *, ig_user_id: str, owner_id: str, kind: str, now: datetime,
                   run_id: str | None) -> None:
    conn.execute(_SUCCESS, {"ig_user_id": ig_user_id, "owner_id": owner_id, "kind": kind, "now": now,
                            "run_id": run_id})


def record_failure(conn: Connection, *, ig_user_id: str, owner_id: str, kind: str, now: datetime,
                   run_id: str | None, error_class: str, code: int | None, message: str,
                   retry_after_s: float | None = None) -> None:
    if retry_after_s:
        retry_at = now + timedelta(seconds=retry_after_s)
    else:
        delay = RETRY_AFTER.get(error_class)
        retry_at = now + delay if delay else None
    conn.execute(_FAILURE, {"ig_user_id": ig_user_id, "owner_id": owner_id, "kind": kind, "now": now,
                            "run_id": run_id, "error_class": error_class, "code": code,
                            "message": message[:2000], "retry_at": retry_at})


_SAVE_CURSOR = text("""
INSERT INTO instagram_sync_state AS s (ig_user_id, sync_kind, owner_id, cursor)
VALUES (:ig_user_id, :kind, :owner_id, CAST(:cursor AS jsonb))
ON CONFLICT (ig_user_id, sync_kind) DO UPDATE SET owner_id = EXCLUDED.owner_id, cursor = EXCLUDED.cursor
""")


def load_cursors(conn: Connection, kind: str, ig_user_ids: list[str]) -> dict[str, dict]:
    """The incremental cursor of ``kind`` per account (accounts without one are left out)."""
    rows = conn.execute(text("SELECT ig_user_id, cursor FROM instagram_sync_state "
                             "WHERE sync_kind = :kind AND ig_user_id = ANY(:ids) AND cursor IS NOT NULL"),
                        {"kind": kind, "ids": ig_user_ids})
    return {row.ig_user_id: row.cursor for row in rows if isinstance(row.cursor, dict)}


def save_cursor(conn: Connection, *, ig_user_id: str, owner_id: str, kind: str, cursor: dict) -> None:
    conn.execute(_SAVE_CURSOR, {"ig_user_id": ig_user_id, "kind": kind, "owner_id": owner_id,
                                "cursor": json.dumps(cursor, sort_keys=True)})
