"""Alert sensors: one alert per failed run, one per stale account incident, one per account to reconnect.

Both sensors store first (instagram_alert_log, idempotent), then post what is pending, so a
receiver that is down delays alerts but never loses them or stops the sensors. What each alert
means and what to do: docs/runbook.md.
"""

from datetime import datetime, timedelta

import dagster as dg
from sqlalchemy import text

from ig_pipeline.alerting.alerts import MAX_ATTEMPTS, Alert, deliver_pending, post_with_retries, record
from ig_pipeline.alerting.channel import AlertChannel
from ig_pipeline.assets.selection import ACCOUNTS_TAG, BATCH_TAG
from ig_pipeline.clock import PipelineClock
from ig_pipeline.connections import store as connections
from ig_pipeline.graph.errors import redact
from ig_pipeline.partitions import RANGE_END, RANGE_START
from ig_pipeline.warehouse.resource import PostgresWarehouse

STALE_AFTER = timedelta(hours=36)
WILL_RETRY_TAG = "dagster/will_retry"
RETRY_NUMBER_TAG = "dagster/retry_number"
RUNBOOK = "docs/runbook.md"

_FAILED_IN_RUN = text("""
SELECT ig_user_id FROM instagram_sync_state
WHERE last_run_id = :run_id AND consecutive_failures > 0 ORDER BY ig_user_id LIMIT 200
""")


def run_failure_alert(run: dg.DagsterRun, step_failures: list[dg.DagsterEvent], run_failure_message: str | None,
                      failed_accounts: list[str], ui_url: str) -> Alert:
    """The alert for one failed run (pure: run and events in, Alert out)."""
    step, error_class, error = None, None, run_failure_message or "the run failed"
    if step_failures:
        first = step_failures[0]
        step = first.step_key
        info = first.step_failure_data.error if first.step_failure_data else None
        if info is not None:
            error_class, error = info.cls_name, info.message
        user = first.step_failure_data.user_failure_data if first.step_failure_data else None
        if user is not None and user.description:
            error = user.description
    tags = run.tags
    partition = tags.get("dagster/partition") or _range(tags)
    accounts = failed_accounts or [a for a in tags.get(ACCOUNTS_TAG, "").split(",") if a]
    scope = ", ".join(accounts[:20]) + (f" and {len(accounts) - 20} more" if len(accounts) > 20 else "") \
        if accounts else (f"batch {tags[BATCH_TAG]}" if BATCH_TAG in tags else "all accounts of the run")
    link = f"{ui_url}/runs/{run.run_id}"
    return Alert(
        kind="run_failure", dedupe_key=run.run_id, run_id=run.run_id, job_name=run.job_name,
        partition_key=partition, step_key=step, error_class=error_class, accounts=accounts, link=link,
        title=f"Run failed: {run.job_name}" + (f" [{partition}]" if partition else ""),
        lines=[f"*Step:* {step or '(none: the run failed outside a step)'}",
               f"*Error:* {error_class + ': ' if error_class else ''}{_first_line(error)}",
               f"*Accounts:* {scope}",
               f"*Run:* {run.run_id}" + (f" (automatic retry {tags[RETRY_NUMBER_TAG]})"
                                          if tags.get(RETRY_NUMBER_TAG) else ""),
               f"What to do: {RUNBOOK} § Run failed"],
    )


def stale_sync_alert(row, now: datetime) -> Alert:
    since = row.last_success_at
    hours = int((now - (since or row.connected_at)).total_seconds() // 3600)
    incident = since.isoformat() if since else f"never-since-{row.connected_at.isoformat()}"
    last_error = f"{row.last_error_class}: {_first_line(row.last_error_message or '')}" if row.last_error_class \
        else "none recorded"
    return Alert(
        kind="stale_sync", dedupe_key=f"{row.ig_user_id}@{incident}", accounts=[row.ig_user_id],
        title=f"No daily sync for {hours} h: {row.username or row.ig_user_id}",
        lines=[f"*Account:* {row.ig_user_id} ({row.username or 'unknown username'})",
               f"*Last successful daily sync:* {since.isoformat() if since else 'never'}",
               f"*Last error:* {last_error}",
               f"What to do: {RUNBOOK} § Stale sync"],
    )


def reconnect_alert(row) -> Alert:
    return Alert(
        kind="reconnect_needed", dedupe_key=f"{row.ig_user_id}@{row.connected_at.isoformat()}",
        accounts=[row.ig_user_id], title=f"Reconnect needed: {row.username or row.ig_user_id}",
        lines=[f"*Account:* {row.ig_user_id} ({row.username or 'unknown username'}), owner {row.owner_id}",
               f"*Why:* {_first_line(row.status_reason or 'the token was refused')}",
               f"*Fix:* send the owner a new link: `ig-pipeline connect-link --owner {row.owner_id}`",
               f"What to do: {RUNBOOK} § Reconnect needed"],
    )


@dg.run_failure_sensor(name="run_failure_alert_sensor", minimum_interval_seconds=30,
                       default_status=dg.DefaultSensorStatus.RUNNING,
                       description="One alert per failed run (stored in instagram_alert_log, posted to "
                                   "IG_ALERT_WEBHOOK_URL); what to do: docs/runbook.md, Run failed.")
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, warehouse: PostgresWarehouse, alerts: AlertChannel):
    """Every failed run of this code location: one alert, stored and posted to IG_ALERT_WEBHOOK_URL."""
    run = context.dagster_run
    if run.tags.get(WILL_RETRY_TAG) == "true":  # Dagster re-runs it: alert on the retry's outcome instead
        return dg.SkipReason(f"run {run.run_id} will be retried")
    steps, message = context.get_step_failure_events(), context.failure_event.message
    try:
        with warehouse.transaction() as conn:
            failed = list(conn.execute(_FAILED_IN_RUN, {"run_id": run.run_id}).scalars())
            alert = run_failure_alert(run, steps, message, failed, alerts.dagster_ui_url)
            record(conn, alert, webhook_configured=bool(alerts.webhook_url))
    except Exception as exc:  # noqa: BLE001 - the warehouse is down: the alert must still go out
        # Dagster does not evaluate a run-status sensor again for the same run, so this is the only chance.
        alert = run_failure_alert(run, steps, message, [], alerts.dagster_ui_url)
        alert.lines.append(f"(Not stored in instagram_alert_log: the warehouse failed with {type(exc).__name__}.)")
        context.log.error(f"alert for run {run.run_id} could not be stored ({type(exc).__name__}); "
                          "posting it directly")
        if alerts.webhook_url:
            _, error = post_with_retries(alerts.webhook_url, alert.payload(), MAX_ATTEMPTS)
            if error:
                context.log.error(f"alert for run {run.run_id} lost: {error}")
        return dg.SkipReason("alert posted without the warehouse")
    _deliver(context, warehouse, alerts.webhook_url)


@dg.sensor(name="stale_sync_sensor", minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING,
           description="One alert per account without a successful daily sync for 36 h and per account that "
                       "needs reconnecting; re-posts alerts a receiver outage left pending.")
def stale_sync_sensor(context: dg.SensorEvaluationContext, warehouse: PostgresWarehouse, alerts: AlertChannel,
                      clock: PipelineClock):
    """Active accounts without a successful daily sync for 36 h, and accounts that need reconnecting:
    one alert per incident. Also re-posts alerts a receiver outage left pending."""
    now = clock.now()
    new = 0
    with warehouse.transaction() as conn:
        incidents = [stale_sync_alert(row, now) for row in connections.stale_accounts(conn, now - STALE_AFTER)]
        incidents += [reconnect_alert(row) for row in connections.accounts_to_reconnect(conn)]
        for alert in incidents:
            new += record(conn, alert, webhook_configured=bool(alerts.webhook_url)) is not None
    delivered = _deliver(context, warehouse, alerts.webhook_url)
    return dg.SkipReason(f"{new} new alert(s), {len(incidents)} open incident(s); {delivered}")


def _deliver(context, warehouse: PostgresWarehouse, url: str | None) -> str:
    if not url:
        return "no IG_ALERT_WEBHOOK_URL: alerts logged and stored only"
    with warehouse.transaction() as conn:
        report = deliver_pending(conn, url)
    if report["undelivered"]:
        context.log.warning("the alert receiver refused or could not be reached; pending alerts are retried "
                            "on the next tick")
    return f"delivered {report['delivered']}" + (", receiver down" if report["undelivered"] else "")


def _range(tags) -> str | None:
    start, end = tags.get(RANGE_START), tags.get(RANGE_END)
    return f"{start}...{end}" if start and end else None


def _first_line(message: str) -> str:
    return redact((message or "").strip().splitlines()[0] if (message or "").strip() else "")[:300]
