"""Failure and stale-sync alerts: a real failed run, a real Postgres, a local HTTP receiver."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
import sqlalchemy as sa

from ig_pipeline.alerting import alerts
from ig_pipeline.alerting.sensors import run_failure_alert_sensor, stale_sync_sensor
from ig_pipeline.assets.selection import ACCOUNTS_TAG
from ig_pipeline.clock import PipelineClock
from ig_pipeline.config import load_settings
from ig_pipeline.connections.crypto import TokenCipher
from ig_pipeline.partitions import intraday_key
from ig_pipeline.resources import default_resources


class Receiver:
    """A local alert webhook: records every POSTed JSON body; answers ``status``."""

    def __init__(self):
        self.posts: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(json.loads(body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T000/B000/s3cr3tpath"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(monkeypatch):
    r = Receiver()
    monkeypatch.setenv("IG_ALERT_WEBHOOK_URL", r.url)
    monkeypatch.setattr(alerts, "BACKOFF_S", 0.01)
    yield r
    r.server.shutdown()


def _failed_run(env, tags=None):
    """A real failed run: the intraday job refuses a window that is already past."""
    instance = dg.instance_for_test()
    inst = instance.__enter__()
    old_window = intraday_key(env.now() - timedelta(hours=2))
    result = env.run("instagram_intraday_job", partition_key=old_window, raise_on_error=False, instance=inst,
                     tags=tags)
    assert not result.success
    return inst, instance, result


def _channel():
    """The alert channel exactly as the code location configures it from the environment (IG_ALERT_WEBHOOK_URL
    as a dg.EnvVar, read when the sensor's resources are built)."""
    return default_resources()["alerts"]


def _evaluate_failure_sensor(env, inst, result):
    run = inst.get_run_by_id(result.run_id)
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor", dagster_event=result.get_run_failure_event(),
        dagster_instance=inst, dagster_run=run, resources={"warehouse": env.warehouse, "alerts": _channel()},
    ).for_run_failure()
    run_failure_alert_sensor(context)


def _alerts(env) -> list[dict]:
    with env.warehouse.transaction() as conn:
        return [dict(r) for r in conn.execute(sa.text("SELECT * FROM instagram_alert_log ORDER BY alert_id")).mappings()]


def _tokens(env) -> list[str]:
    cipher = TokenCipher.from_settings(load_settings())
    with env.warehouse.transaction() as conn:
        return [cipher.decrypt(t) for t in conn.execute(sa.text("SELECT token_encrypted FROM instagram_connection")).scalars()]


def test_a_failed_run_sends_exactly_one_alert_without_tokens(make_env, receiver):
    env = make_env(accounts=2)
    inst, instance, result = _failed_run(env, tags={ACCOUNTS_TAG: ",".join(env.accounts)})
    try:
        _evaluate_failure_sensor(env, inst, result)
        _evaluate_failure_sensor(env, inst, result)  # evaluated again: still one alert
    finally:
        instance.__exit__(None, None, None)
    assert len(receiver.posts) == 1
    payload = receiver.posts[0]
    fields = payload["ig_pipeline"]
    assert fields["job"] == "instagram_intraday_job" and fields["run_id"] == result.run_id
    assert fields["partition"] == intraday_key(env.now() - timedelta(hours=2))
    assert fields["step"] and fields["error_class"]
    assert fields["accounts"] == env.accounts
    assert fields["link"].endswith(f"/runs/{result.run_id}")
    assert payload["text"].startswith("Run failed: instagram_intraday_job") and payload["blocks"]
    raw = json.dumps(payload)
    assert all(token not in raw for token in _tokens(env))
    rows = _alerts(env)
    assert [(r["kind"], r["delivery_status"], r["delivery_attempts"]) for r in rows] == [("run_failure", "delivered", 1)]


def test_a_failed_run_that_dagster_will_retry_does_not_alert(make_env, receiver):
    env = make_env(accounts=1)
    inst, instance, result = _failed_run(env, tags={"dagster/will_retry": "true"})
    try:
        _evaluate_failure_sensor(env, inst, result)
    finally:
        instance.__exit__(None, None, None)
    assert receiver.posts == [] and _alerts(env) == []


def test_without_a_url_the_alert_is_logged_and_stored(make_env, monkeypatch, caplog):
    monkeypatch.delenv("IG_ALERT_WEBHOOK_URL", raising=False)
    env = make_env(accounts=1)
    inst, instance, result = _failed_run(env)
    try:
        with caplog.at_level("WARNING", logger="ig_pipeline.alerting.alerts"):
            _evaluate_failure_sensor(env, inst, result)
    finally:
        instance.__exit__(None, None, None)
    assert [r["delivery_status"] for r in _alerts(env)] == ["not_configured"]
    assert "Run failed: instagram_intraday_job" in caplog.text


@pytest.mark.parametrize("outage", ["http_500", "unreachable"])
def test_a_receiver_outage_is_retried_a_bounded_number_of_times_and_the_sensor_keeps_working(
        make_env, receiver, monkeypatch, outage):
    env = make_env(accounts=1)
    if outage == "http_500":
        receiver.status = 500
    else:
        monkeypatch.setenv("IG_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/closed")
    inst, instance, result = _failed_run(env)
    try:
        _evaluate_failure_sensor(env, inst, result)  # must not raise
    finally:
        instance.__exit__(None, None, None)
    row = _alerts(env)[0]
    assert (row["delivery_status"], row["delivery_attempts"]) == ("pending", alerts.ATTEMPTS_PER_TICK)
    assert row["last_delivery_error"] and "s3cr3tpath" not in row["last_delivery_error"]

    context = dg.build_sensor_context(resources={"warehouse": env.warehouse, "alerts": _channel(),
                                                 "clock": PipelineClock(fixed_now=env.now().isoformat())})
    for _ in range(5):  # later ticks retry until the bound, then give up
        assert isinstance(stale_sync_sensor(context), dg.SkipReason)
    row = _alerts(env)[0]
    assert (row["delivery_status"], row["delivery_attempts"]) == ("failed", alerts.MAX_ATTEMPTS)
    if outage == "http_500":
        assert len(receiver.posts) == alerts.MAX_ATTEMPTS


def test_pending_alerts_go_out_when_the_receiver_comes_back(make_env, receiver):
    env = make_env(accounts=1)
    receiver.status = 503
    inst, instance, result = _failed_run(env)
    try:
        _evaluate_failure_sensor(env, inst, result)
    finally:
        instance.__exit__(None, None, None)
    receiver.status = 200
    context = dg.build_sensor_context(resources={"warehouse": env.warehouse, "alerts": _channel(),
                                                 "clock": PipelineClock(fixed_now=env.now().isoformat())})
    stale_sync_sensor(context)
    assert _alerts(env)[0]["delivery_status"] == "delivered"
    assert receiver.posts[-1]["ig_pipeline"]["run_id"] == result.run_id


def _set_last_success(env, ig_user_id, when):
    with env.warehouse.transaction() as conn:
        conn.execute(sa.text(
            "INSERT INTO instagram_sync_state (ig_user_id, sync_kind, owner_id, last_success_at) "
            "SELECT ig_user_id, 'account_daily', owner_id, :when FROM instagram_connection WHERE ig_user_id = :id "
            "ON CONFLICT (ig_user_id, sync_kind) DO UPDATE SET last_success_at = :when"), {"id": ig_user_id, "when": when})


def _tick(env, now):
    context = dg.build_sensor_context(resources={"warehouse": env.warehouse, "alerts": _channel(),
                                                 "clock": PipelineClock(fixed_now=now.isoformat())})
    return stale_sync_sensor(context)


def test_stale_sync_alerts_once_per_incident(make_env, receiver):
    env = make_env(accounts=2)
    stale, fresh = env.accounts
    now = env.now()
    _set_last_success(env, stale, now - timedelta(hours=37))
    _set_last_success(env, fresh, now - timedelta(hours=2))
    _tick(env, now)
    _tick(env, now + timedelta(minutes=5))
    _tick(env, now + timedelta(hours=3))
    stale_posts = [p for p in receiver.posts if p["ig_pipeline"]["kind"] == "stale_sync"]
    assert [p["ig_pipeline"]["accounts"] for p in stale_posts] == [[stale]]
    assert "No daily sync for 37 h" in stale_posts[0]["text"]

    # It recovers, then goes stale again later: a new incident, a new alert.
    _set_last_success(env, stale, now + timedelta(hours=4))
    _tick(env, now + timedelta(hours=5))
    assert len([p for p in receiver.posts if p["ig_pipeline"]["kind"] == "stale_sync"]) == 1
    later = now + timedelta(hours=4 + 37)
    _set_last_success(env, fresh, later)
    _tick(env, later)
    _tick(env, later + timedelta(minutes=5))
    stale_posts = [p for p in receiver.posts if p["ig_pipeline"]["kind"] == "stale_sync"]
    assert [p["ig_pipeline"]["accounts"] for p in stale_posts] == [[stale], [stale]]


def test_an_account_needing_reconnection_alerts_once_with_the_fix(make_env, receiver):
    env = make_env(accounts=1)
    account = env.accounts[0]
    _set_last_success(env, account, env.now())
    with env.warehouse.transaction() as conn:
        conn.execute(sa.text("UPDATE instagram_connection SET status = 'needs_reauth', "
                             "status_reason = 'token expires within 7 days' WHERE ig_user_id = :id"), {"id": account})
    _tick(env, env.now())
    _tick(env, env.now() + timedelta(minutes=10))
    posts = [p for p in receiver.posts if p["ig_pipeline"]["kind"] == "reconnect_needed"]
    assert len(posts) == 1
    assert "ig-pipeline connect-link --owner owner-0" in posts[0]["text"]


def test_a_failed_run_is_still_alerted_when_the_warehouse_is_down(make_env, receiver):
    """Dagster evaluates a run-status sensor once per run: the alert goes out even if it cannot be stored."""
    from ig_pipeline.warehouse.resource import PostgresWarehouse

    env = make_env(accounts=1)
    inst, instance, result = _failed_run(env)
    down = PostgresWarehouse(database_url="postgresql+psycopg://nobody@127.0.0.1:9/nowhere")
    try:
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_alert_sensor", dagster_event=result.get_run_failure_event(),
            dagster_instance=inst, dagster_run=inst.get_run_by_id(result.run_id),
            resources={"warehouse": down, "alerts": _channel()},
        ).for_run_failure()
        run_failure_alert_sensor(context)
    finally:
        instance.__exit__(None, None, None)
    [post] = receiver.posts
    assert post["ig_pipeline"]["run_id"] == result.run_id and "Not stored in instagram_alert_log" in post["text"]
