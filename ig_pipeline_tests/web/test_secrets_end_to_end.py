"""No token anywhere: a real OAuth connection, a backfill, a daily sync, a snapshot, an expired
token and a failed run, with every log at DEBUG; then the logs, the Dagster event log and every
warehouse column but the encrypted token are scanned for each token string and the app secret."""

from __future__ import annotations

import logging
from datetime import timedelta

import dagster as dg
import httpx
import pytest
import sqlalchemy as sa
from dagster._serdes import serialize_value

from ig_pipeline.connections.crypto import TokenCipher
from ig_pipeline.days import pacific_day
from ig_pipeline.partitions import intraday_key
from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.resource import PostgresWarehouse
from ig_pipeline_tests.simenv import Env

pytestmark = pytest.mark.reliability


class _Sim:
    def __init__(self, url: str):
        self.url = url


def test_no_token_or_secret_in_logs_event_log_or_warehouse(oauth, caplog):
    caplog.set_level(logging.DEBUG)
    fb_user = oauth.user("linked")
    assert oauth.connect(fb_user).status_code == 200
    warehouse = PostgresWarehouse(database_url=oauth.database_url)
    cipher = TokenCipher.from_settings(oauth.settings)
    with warehouse.transaction() as conn:
        stored = conn.execute(sa.text("SELECT ig_user_id, token_encrypted FROM instagram_connection")).all()
    accounts = [r.ig_user_id for r in stored]
    secrets = {cipher.decrypt(r.token_encrypted) for r in stored} | {oauth.settings.app_secret}
    assert accounts and all(len(s) > 8 for s in secrets)

    env = Env(_Sim(oauth.sim_url), warehouse, accounts)
    httpx.post(f"{env.url}/_sim/faults", json={"kind": "token_expired", "account": accounts[0]}).raise_for_status()
    yesterday = pacific_day(env.now()) - timedelta(days=1)
    with dg.instance_for_test() as instance:
        runs = [
            env.run("instagram_account_daily_job", instance=instance, raise_on_error=False, tags={
                "dagster/asset_partition_range_start": (yesterday - timedelta(days=6)).isoformat(),
                "dagster/asset_partition_range_end": yesterday.isoformat()}),
            env.run("instagram_media_daily_job", partition_key=yesterday.isoformat(), instance=instance,
                    raise_on_error=False),
            env.run("instagram_intraday_job", partition_key=intraday_key(env.now()), instance=instance,
                    raise_on_error=False),
            # refused: a window in the past — a failed run with an exception text
            env.run("instagram_intraday_job", partition_key=intraday_key(env.now() - timedelta(hours=3)),
                    instance=instance, raise_on_error=False),
        ]
        assert [r.success for r in runs] == [True, True, True, False]
        event_log = "\n".join(serialize_value(entry) for run in runs for entry in instance.all_logs(run.run_id))

    with warehouse.transaction() as conn:
        state = conn.execute(sa.text("SELECT last_error_class FROM instagram_sync_state WHERE ig_user_id = :a "
                                     "AND sync_kind = 'account_daily'"), {"a": accounts[0]}).scalar_one()
        assert state == "token_invalid"  # the expired token produced an error text, which is scanned below
        dumps = []
        for table in schema.metadata.sorted_tables:
            columns = [c.name for c in table.columns if c.name != "token_encrypted"]
            select = sa.text(f"SELECT row_to_json(t)::text FROM (SELECT {', '.join(columns)} FROM {table.name}) t")
            dumps += conn.execute(select).scalars().all()
    warehouse_text = "\n".join(dumps)
    assert "instagram_media_daily" in event_log and len(dumps) > 20

    for secret in secrets:
        for where, text in (("logs", caplog.text), ("event log", event_log), ("warehouse", warehouse_text)):
            assert secret not in text, f"a token or the app secret appears in the {where}"
