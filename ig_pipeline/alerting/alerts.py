"""Alerts for ops: stored once per incident in instagram_alert_log, then posted to IG_ALERT_WEBHOOK_URL.

Storing comes first and is idempotent on (kind, dedupe_key), so a sensor that evaluates twice, or
crashes between storing and posting, never alerts twice and never loses an alert: undelivered rows
stay ``pending`` and every later sensor tick retries them, up to MAX_ATTEMPTS in all, then ``failed``.
Without a URL the alert is logged and stored as ``not_configured``. The payload is Slack-compatible
(``text`` plus ``blocks``) and passes through ``redact`` so no token reaches the receiver.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ig_pipeline.graph.errors import redact

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # in all, across ticks
ATTEMPTS_PER_TICK = 2
BACKOFF_S = 0.5
POST_TIMEOUT_S = 5.0


@dataclass
class Alert:
    kind: str  # run_failure | stale_sync | reconnect_needed
    dedupe_key: str
    title: str
    lines: list[str]
    link: str | None = None
    run_id: str | None = None
    job_name: str | None = None
    partition_key: str | None = None
    step_key: str | None = None
    error_class: str | None = None
    accounts: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return redact("\n".join([self.title, *self.lines]))

    def payload(self) -> dict:
        """Slack-compatible JSON: ``text`` for any receiver, ``blocks`` for Slack, fields for machines."""
        body = "\n".join(self.lines) + (f"\n<{self.link}|Open in Dagster>" if self.link else "")
        return {
            "text": self.message,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": redact(self.title)[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": redact(body)[:2900]}},
            ],
            "ig_pipeline": {
                "kind": self.kind, "run_id": self.run_id, "job": self.job_name, "partition": self.partition_key,
                "step": self.step_key, "error_class": self.error_class, "accounts": self.accounts,
                "link": self.link,
            },
        }


_RECORD = text("""
INSERT INTO instagram_alert_log (kind, dedupe_key, run_id, job_name, partition_key, step_key, error_class,
    accounts, message, payload, delivery_status)
VALUES (:kind, :dedupe_key, :run_id, :job_name, :partition_key, :step_key, :error_class, :accounts, :message,
    CAST(:payload AS jsonb), :status)
ON CONFLICT (kind, dedupe_key) DO NOTHING
RETURNING alert_id
""")
_PENDING = text("""
SELECT alert_id, payload, delivery_attempts FROM instagram_alert_log
WHERE delivery_status = 'pending' ORDER BY alert_id LIMIT :limit FOR UPDATE SKIP LOCKED
""")
_DELIVERED = text("""
UPDATE instagram_alert_log SET delivery_status = 'delivered', delivered_at = now(),
    delivery_attempts = delivery_attempts + :attempts, last_delivery_error = NULL
WHERE alert_id = :id
""")
_UNDELIVERED = text("""
UPDATE instagram_alert_log SET delivery_attempts = delivery_attempts + :attempts, last_delivery_error = :error,
    delivery_status = CASE WHEN delivery_attempts + :attempts >= :max THEN 'failed' ELSE 'pending' END
WHERE alert_id = :id
""")


def record(conn: Connection, alert: Alert, *, webhook_configured: bool) -> int | None:
    """Store ``alert`` unless one with its (kind, dedupe_key) exists. Returns its id, or None if known."""
    row = conn.execute(_RECORD, {
        "kind": alert.kind, "dedupe_key": alert.dedupe_key, "run_id": alert.run_id, "job_name": alert.job_name,
        "partition_key": alert.partition_key, "step_key": alert.step_key, "error_class": alert.error_class,
        "accounts": alert.accounts or None, "message": alert.message, "payload": json.dumps(alert.payload()),
        "status": "pending" if webhook_configured else "not_configured",
    }).first()
    if row is not None:
        log.warning("alert %s: %s", alert.kind, alert.message.replace("\n", " | "))
    return row[0] if row else None


Post = Callable[[str, dict], None]


def http_post(url: str, payload: dict) -> None:
    response = httpx.post(url, json=payload, timeout=POST_TIMEOUT_S)
    if response.status_code >= 300:
        raise RuntimeError(f"the alert receiver answered HTTP {response.status_code}")


def post_with_retries(url: str, payload: dict, attempts: int, *, post: Post = http_post,
                      sleep: Callable[[float], None] = time.sleep) -> tuple[int, str | None]:
    """POST ``payload`` up to ``attempts`` times with a short backoff. Returns (attempts made, last error or
    None when delivered); never raises for the receiver."""
    error = None
    for attempt in range(attempts):
        try:
            post(url, payload)
            return attempt + 1, None
        except Exception as exc:  # unreachable, timeout, 5xx: all the same to ops
            error = redact(f"{type(exc).__name__}: {exc}", (url,))[:500]
            if attempt + 1 < attempts:
                sleep(BACKOFF_S * (attempt + 1))
    return attempts, error


def deliver_pending(conn: Connection, url: str, *, post: Post = http_post, limit: int = 50,
                    sleep: Callable[[float], None] = time.sleep) -> dict[str, int]:
    """Post the pending alerts, oldest first; bounded attempts per tick and in all; stops at the first
    alert the receiver refuses. Never raises for the receiver."""
    report = {"delivered": 0, "undelivered": 0}
    for alert_id, payload, attempts_so_far in conn.execute(_PENDING, {"limit": limit}).all():
        attempts, error = post_with_retries(url, payload, min(ATTEMPTS_PER_TICK, MAX_ATTEMPTS - attempts_so_far),
                                            post=post, sleep=sleep)
        if error is None:
            conn.execute(_DELIVERED, {"id": alert_id, "attempts": attempts})
            report["delivered"] += 1
            continue
        conn.execute(_UNDELIVERED, {"id": alert_id, "attempts": attempts, "error": error, "max": MAX_ATTEMPTS})
        log.warning("alert %s not delivered (%s attempts so far): %s", alert_id, attempts_so_far + attempts, error)
        report["undelivered"] += 1
        break  # the receiver is down: the rest wait for the next tick instead of timing out one by one
    return report
