"""Schedules, sensors and account selection, evaluated with Dagster's test contexts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from ig_pipeline.assets.selection import BATCH_TAG, AccountSelection, batch_of, parse_batch, selected
from ig_pipeline.automation.new_connections import new_connection_sensor
from ig_pipeline.automation.schedules import (
    daily_account_insights_schedule,
    daily_media_schedule,
    intraday_schedule,
    weekly_audience_schedule,
)
from ig_pipeline.clock import PipelineClock
from ig_pipeline.definitions import make_definitions
from ig_pipeline.graph.models import AccountRef
from ig_pipeline.partitions import RANGE_END, RANGE_START
from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.sync_state import record_success
from ig_pipeline.warehouse.upsert import bulk_upsert

NOW = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)  # 00:15 Pacific


def test_definitions_load_with_every_schedule_and_sensor():
    defs = make_definitions()
    with dg.instance_for_test():
        dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    assert {s.name for s in repo.schedule_defs} >= {"intraday_schedule", "daily_account_insights_schedule",
                                                    "daily_media_schedule", "weekly_audience_schedule"}
    assert {"new_connection_sensor", "run_failure_alert_sensor", "stale_sync_sensor"} <= {s.name for s in repo.sensor_defs}


def test_intraday_schedule_captures_the_window_it_runs_in():
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, repository_def=make_definitions().get_repository_def(),
                                            scheduled_execution_time=datetime(2026, 11, 20, 10, 30, tzinfo=UTC))
        request = intraday_schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-11-20-10:30"


def test_daily_schedule_splits_accounts_into_batches_with_the_restatement_window(monkeypatch):
    monkeypatch.setenv("IG_DAILY_BATCHES", "3")
    monkeypatch.setenv("IG_RESTATEMENT_DAYS", "3")
    defs = make_definitions()
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=NOW,
                                            repository_def=defs.get_repository_def(), resources=defs.resources)
        daily = daily_account_insights_schedule.evaluate_tick(context).run_requests
        media = daily_media_schedule.evaluate_tick(context).run_requests
    requests = daily + media
    assert len(daily) == len(media) == 3
    assert {r.tags[BATCH_TAG] for r in daily} == {"0/3", "1/3", "2/3"}
    assert {(r.tags[RANGE_START], r.tags[RANGE_END]) for r in daily} == {("2026-11-16", "2026-11-19")}
    assert {r.partition_key for r in media} == {"2026-11-19"}
    assert len({r.run_key for r in requests}) == 6


def test_weekly_audience_schedule_requests_a_run():
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=NOW)
        assert len(weekly_audience_schedule.evaluate_tick(context).run_requests) == 1


def test_new_connection_sensor_backfills_once(warehouse, monkeypatch):
    monkeypatch.setenv("IG_BACKFILL_DAYS", "30")
    with warehouse.transaction() as conn:
        bulk_upsert(conn, schema.instagram_connection, [
            {"ig_user_id": "17841400000000001", "owner_id": "o1", "login_type": "facebook", "status": "active",
             "connected_at": NOW - timedelta(hours=1)},
            {"ig_user_id": "17841400000000002", "owner_id": "o2", "login_type": "facebook",
             "status": "disconnected", "connected_at": NOW - timedelta(hours=1)},
        ])
    resources = {"warehouse": warehouse, "clock": PipelineClock(fixed_now=NOW.isoformat())}
    defs = make_definitions(resources)
    resources = defs.resources  # with the options configured from the environment (IG_BACKFILL_DAYS)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, definitions=defs, resources=resources)
        result = new_connection_sensor(context)
        requests = result.run_requests
        assert {r.job_name for r in requests} == {"instagram_account_daily_job", "instagram_media_job",
                                                  "instagram_media_daily_job"}
        assert all(r.tags["ig/accounts"] == "17841400000000001" for r in requests)
        daily = next(r for r in requests if r.job_name == "instagram_account_daily_job")
        assert (daily.tags[RANGE_START], daily.tags[RANGE_END]) == ("2026-10-21", "2026-11-19")  # 30 days ending yesterday

        with warehouse.transaction() as conn:  # backfilled: a later tick must not request it again
            record_success(conn, ig_user_id="17841400000000001", owner_id="o1", kind="account_daily", now=NOW,
                           run_id="r1")
        context = dg.build_sensor_context(instance=instance, definitions=defs, resources=resources)
        assert isinstance(new_connection_sensor(context), dg.SkipReason)


def test_batches_are_stable_and_cover_every_account_once():
    accounts = [AccountRef(str(17841400000000000 + i), "o", "t") for i in range(200)]
    batches = [selected(accounts, AccountSelection(), {BATCH_TAG: f"{i}/4"}) for i in range(4)]
    assert sorted(a.ig_user_id for b in batches for a in b) == sorted(a.ig_user_id for a in accounts)
    assert all(batch_of(a.ig_user_id, 4) == i for i, b in enumerate(batches) for a in b)
    assert all(len(b) > 20 for b in batches)


def test_selection_by_config_and_tag():
    accounts = [AccountRef("1", "a", "t"), AccountRef("2", "b", "t"), AccountRef("3", "a", "t")]
    assert [a.ig_user_id for a in selected(accounts, AccountSelection(owner_ids=["a"]), {})] == ["1", "3"]
    assert [a.ig_user_id for a in selected(accounts, AccountSelection(), {"ig/accounts": "2, 3"})] == ["2", "3"]


@pytest.mark.parametrize("tag", ["x", "3/3", "1/0", "-1/2", "1/2/3"])
def test_malformed_batch_tag_is_a_clear_error(tag):
    with pytest.raises(ValueError, match="ig/batch"):
        parse_batch(tag)


def test_every_schedule_sensor_job_and_asset_explains_itself():
    defs = make_definitions()
    repo = defs.get_repository_def()
    silent = [s.name for s in [*repo.schedule_defs, *repo.sensor_defs] if not (s.description or "").strip()]
    silent += [j.name for j in repo.get_all_jobs() if not j.name.startswith("__") and not (j.description or "").strip()]
    assert silent == []
    specs = list(defs.resolve_all_asset_specs())
    assert specs and all(spec.owners == ["team:instagram-analytics"] and spec.description for spec in specs)


def test_asset_owners_come_from_the_environment_and_bad_ones_are_named():
    from ig_pipeline.config import ConfigError
    from ig_pipeline.definitions import asset_owners

    assert asset_owners({"IG_ASSET_OWNERS": "ana@example.com, team:growth"}) == ["ana@example.com", "team:growth"]
    with pytest.raises(ConfigError, match="IG_ASSET_OWNERS: growth is neither"):
        asset_owners({"IG_ASSET_OWNERS": "growth"})


def test_every_job_runs_its_steps_in_the_run_workers_process():
    """A subprocess per step cost ~15 s each under the daemon; asset checks are steps too."""
    repo = make_definitions().get_repository_def()
    executors = {job.name: job.executor_def.name for job in repo.get_all_jobs()}
    assert set(executors.values()) == {"in_process"}, executors


def test_partition_starts_are_configurable_and_checked(monkeypatch):
    from ig_pipeline.config import ConfigError
    from ig_pipeline.partitions import DEFAULT_DAILY_START, daily_start, intraday_start

    assert daily_start({}) == DEFAULT_DAILY_START
    assert daily_start({"IG_DAILY_PARTITIONS_START": " 2026-10-01 "}) == "2026-10-01"
    with pytest.raises(ConfigError, match="IG_DAILY_PARTITIONS_START must be a day like"):
        daily_start({"IG_DAILY_PARTITIONS_START": "2026-13-01"})
    assert intraday_start({"IG_INTRADAY_PARTITIONS_START": "2026-12-06"}) == "2026-12-06-00:00"
    with pytest.raises(ConfigError, match="IG_INTRADAY_PARTITIONS_START must be a day like"):
        intraday_start({"IG_INTRADAY_PARTITIONS_START": "12/06/2026"})
    code = ("from ig_pipeline.definitions import defs\n"
            "for job in ('instagram_media_job', 'instagram_intraday_job'):\n"
            "    print(defs.resolve_job_def(job).partitions_def.get_first_partition_key())")
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "IG_DAILY_PARTITIONS_START": "2026-10-01",
                                "IG_INTRADAY_PARTITIONS_START": "2026-12-06"})
    assert first.stdout.split() == ["2026-10-01", "2026-12-06-00:00"]


def test_new_connection_backfill_never_starts_before_the_first_partition():
    from datetime import date

    from ig_pipeline.automation.new_connections import backfill_requests
    from ig_pipeline.partitions import DAILY_START

    first = date.fromisoformat(DAILY_START)
    requests = backfill_requests("17841400000000001", first + timedelta(days=10), 730, "stamp")
    ranged = [r for r in requests if RANGE_START in r.tags]
    assert ranged and all(r.tags[RANGE_START] == DAILY_START for r in ranged)
