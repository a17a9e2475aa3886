"""Assets against the simulator over HTTP and a real Postgres."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import httpx
import pytest
import sqlalchemy as sa

from ig_pipeline.automation.schedules import DAILY_SYNC_SCHEDULES
from ig_pipeline.days import pacific_day
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.partitions import intraday_key, range_tags
from ig_pipeline_tests.assets.truth import mismatches


def _rows(env, sql: str, **params) -> list[dict]:
    with env.warehouse.transaction() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def _daily_rows(env, ig_user_id: str) -> dict[date, dict]:
    return {r["day"]: r for r in _rows(env, "SELECT * FROM instagram_account_daily WHERE ig_user_id = :a",
                                         a=ig_user_id)}


def _meta(result, asset: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    raise AssertionError(f"no materialization of {asset}")


def _run_daily_schedule(env, instance) -> None:
    defs = env.defs()
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=env.now(),
                                        repository_def=defs.get_repository_def(), resources=defs.resources)
    for schedule in DAILY_SYNC_SCHEDULES:
        for request in schedule.evaluate_tick(context).run_requests:
            result = defs.resolve_job_def(schedule.job_name).execute_in_process(
                instance=instance, tags=request.tags, partition_key=request.partition_key)
            assert result.success


@pytest.mark.slow
def test_backfill_then_five_scheduled_days_match_the_truth(make_env):
    env = make_env(accounts=20, seed=11, media=30)
    today = pacific_day(env.now())
    first, yesterday = today - timedelta(days=90), today - timedelta(days=1)
    with dg.instance_for_test() as instance:
        result = env.run("instagram_account_daily_job", tags=range_tags(first.isoformat(), yesterday.isoformat()),
                         instance=instance)
        meta = _meta(result, "instagram_account_daily")
        assert meta["accounts_failed"] == 0 and meta["accounts_ok"] == 20
        for _ in range(5):
            env.advance(86400)
            _run_daily_schedule(env, instance)

    now = env.now()
    last = pacific_day(now) - timedelta(days=1)
    settled_until = pacific_day(now - timedelta(hours=48)) - timedelta(days=1)
    problems = []
    for account in env.accounts:
        stored = _daily_rows(env, account)
        assert len(stored) == (last - first).days + 1
        problems += [f"{account} {p}" for p in mismatches(
            stored, env.truth(account, first.isoformat(), settled_until.isoformat()),
            skip={"followers_count", "follows_count", "media_count"},
            new_followers_from=today - timedelta(days=30))]
        problems += [f"{account} {p}" for p in mismatches(
            stored, env.truth(account, (settled_until + timedelta(days=1)).isoformat(), last.isoformat(),
                              as_served=True))]
    assert problems == [], problems[:20]


def test_snapshot_counts_only_on_the_day_just_ended(make_env):
    env = make_env(accounts=2)
    today = pacific_day(env.now())
    with env.warehouse.transaction() as conn:  # a stale account type: the sync must bring it up to date
        conn.execute(sa.text("UPDATE instagram_connection SET account_type = 'STALE'"))
    env.run("instagram_account_daily_job",
            tags=range_tags((today - timedelta(days=5)).isoformat(), (today - timedelta(days=1)).isoformat()))
    rows = _rows(env, "SELECT day, followers_count FROM instagram_account_daily ORDER BY day")
    with_counts = {r["day"] for r in rows if r["followers_count"] is not None}
    assert with_counts == {today - timedelta(days=1)}
    world = {str(a["id"]): a["account_type"] for a in httpx.get(f"{env.url}/_sim/world").json()["accounts"]}
    stored = {r["ig_user_id"]: r["account_type"] for r in _rows(env, "SELECT * FROM instagram_connection")}
    assert stored == {a: world[a] for a in env.accounts} and "STALE" not in stored.values()


def test_rerunning_a_partition_changes_nothing(make_env):
    env = make_env(accounts=3)
    day = (pacific_day(env.now()) - timedelta(days=1)).isoformat()
    env.run("instagram_media_daily_job", partition_key=day)
    env.run("instagram_account_daily_job", partition_key=day)
    tables = ("instagram_media", "instagram_media_daily", "instagram_account_daily")

    def state():  # media/thumbnail URLs are signed CDN links that change on every API call, by design
        return {t: [{k: v for k, v in r.items()
                     if not (t == "instagram_media" and k in ("media_url", "thumbnail_url", "children", "updated_at"))}
                    for r in _rows(env, f"SELECT * FROM {t} ORDER BY 1, 2")] for t in tables}

    before = state()
    assert all(before[t] for t in tables)
    second = env.run("instagram_media_daily_job", partition_key=day)
    again = env.run("instagram_account_daily_job", partition_key=day)
    assert _meta(second, "instagram_media_daily")["rows_instagram_media_daily"] == 0
    meta = _meta(again, "instagram_account_daily")
    assert meta["rows_instagram_account_daily"] == meta["rows_inserted_instagram_account_daily"] == 0
    assert meta["dagster/row_count"] == meta["rows_unchanged_instagram_account_daily"] == 3  # what the partition holds
    assert state() == before


def test_overlapping_runs_of_one_partition_leave_no_duplicates(make_env):
    env = make_env(accounts=4)
    day = (pacific_day(env.now()) - timedelta(days=1)).isoformat()
    runs = [env.start_run("instagram_media_daily_job", day) for _ in range(2)]
    for run in runs:
        env.finish(run)
    dupes = _rows(env, "SELECT media_id, day, count(*) FROM instagram_media_daily GROUP BY 1, 2 HAVING count(*) > 1")
    assert dupes == []
    assert len(_rows(env, "SELECT 1 FROM instagram_media_daily WHERE day = :d", d=day)) > 0


def test_failing_accounts_do_not_stop_the_others(make_env):
    env = make_env(accounts=5)
    expired, throttled = env.accounts[0], env.accounts[1]
    env.fault(kind="token_expired", account=expired)
    env.fault(kind="rate_limit_80002", account=throttled)
    day = (pacific_day(env.now()) - timedelta(days=1)).isoformat()
    result = env.run("instagram_account_daily_job", partition_key=day)
    meta = _meta(result, "instagram_account_daily")
    assert (meta["accounts_ok"], meta["accounts_failed"]) == (3, 2)
    assert expired in meta["failed_accounts"] and throttled in meta["failed_accounts"]
    check = result.get_asset_check_evaluations()[0]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN

    state = {r["ig_user_id"]: r for r in _rows(env, "SELECT * FROM instagram_sync_state")}
    assert state[expired]["last_error_class"] == "token_invalid" and state[expired]["consecutive_failures"] == 1
    assert state[throttled]["last_error_class"] == "rate_limited" and state[throttled]["next_retry_at"]
    assert all(state[a]["last_success_at"] for a in env.accounts[2:])
    status = {r["ig_user_id"]: r["status"] for r in _rows(env, "SELECT ig_user_id, status FROM instagram_connection")}
    assert status[expired] == "needs_reauth" and status[throttled] == "active"
    assert len(_rows(env, "SELECT 1 FROM instagram_account_daily")) == 3


def test_past_snapshot_partitions_are_refused(make_env):
    env = make_env(accounts=1)
    old_day = (pacific_day(env.now()) - timedelta(days=10)).isoformat()
    result = env.run("instagram_media_daily_job", partition_key=old_day, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "cannot be reconstructed" in failure.step_failure_data.error.message + str(
        failure.step_failure_data.user_failure_data)
    old_window = intraday_key(env.now() - timedelta(hours=2))
    result = env.run("instagram_intraday_job", partition_key=old_window, raise_on_error=False)
    assert not result.success
    assert _rows(env, "SELECT 1 FROM instagram_media_daily UNION ALL SELECT 1 FROM instagram_account_intraday") == []


def test_intraday_snapshot_keeps_counts_and_stories(make_env):
    env = make_env(accounts=3)
    key = intraday_key(env.now())
    result = env.run("instagram_intraday_job", partition_key=key)
    assert _meta(result, "instagram_account_intraday")["accounts_ok"] == 3
    counts = _rows(env, "SELECT * FROM instagram_account_intraday")
    assert len(counts) == 3 and all(r["followers_count"] is not None for r in counts)
    assert _rows(env, "SELECT 1 FROM instagram_media_intraday")
    again = env.run("instagram_intraday_job", partition_key=key)
    meta = _meta(again, "instagram_account_intraday")
    assert meta["rows_instagram_account_intraday"] == 0 and meta["dagster/row_count"] == 3


def test_media_no_longer_listed_is_marked_deleted_not_removed(make_env):
    env = make_env(accounts=1)
    day = pacific_day(env.now()) - timedelta(days=3)
    env.run("instagram_media_job", tags=range_tags((day - timedelta(days=20)).isoformat(), day.isoformat()))
    listed = _rows(env, "SELECT media_id, posted_at FROM instagram_media WHERE deleted_at IS NULL")
    assert listed
    ghost = dict(listed[0])
    with env.warehouse.transaction() as conn:
        conn.execute(sa.text("INSERT INTO instagram_media (media_id, owner_id, ig_user_id, posted_at, "
                             "media_product_type) VALUES ('99999999999', 'owner-0', :a, :p, 'FEED')"),
                     {"a": env.accounts[0], "p": ghost["posted_at"]})
    env.run("instagram_media_job", tags=range_tags((day - timedelta(days=20)).isoformat(), day.isoformat()))
    rows = {r["media_id"]: r for r in _rows(env, "SELECT media_id, deleted_at FROM instagram_media")}
    assert rows["99999999999"]["deleted_at"] is not None
    assert rows[ghost["media_id"]]["deleted_at"] is None


def _partition_row_counts(result, asset: str) -> dict[str, int]:
    return {event.partition: event.materialization.metadata["dagster/row_count"].value
            for event in result.get_asset_materialization_events() if event.asset_key.to_user_string() == asset}


def test_row_count_is_the_partition_after_the_write(make_env):
    """Each day of a 7-day range of 3 accounts holds 3 rows: that is each partition's count, first
    run and re-run alike; the range holds 21; inserted, updated and unchanged rows are reported apart."""
    env = make_env(accounts=3, media=10)
    today = pacific_day(env.now())
    days = [(today - timedelta(days=i)).isoformat() for i in range(7, 0, -1)]
    tags = range_tags(days[0], days[-1])
    result = env.run("instagram_account_daily_job", tags=tags)
    first = _meta(result, "instagram_account_daily")
    assert _partition_row_counts(result, "instagram_account_daily") == dict.fromkeys(days, 3)
    assert (first["rows_in_range"], first["rows_inserted_instagram_account_daily"]) == (21, 21)
    result = env.run("instagram_account_daily_job", tags=tags)
    again = _meta(result, "instagram_account_daily")
    assert _partition_row_counts(result, "instagram_account_daily") == dict.fromkeys(days, 3)
    assert again["rows_in_range"] == 21 and again["rows_inserted_instagram_account_daily"] == 0
    assert again["rows_updated_instagram_account_daily"] + again["rows_unchanged_instagram_account_daily"] == 21


_KEYS = {"instagram_account_daily": ("ig_user_id", "day"), "instagram_media": ("media_id",),
         "instagram_media_daily": ("media_id", "day"), "instagram_account_intraday": ("ig_user_id", "captured_at"),
         "instagram_media_intraday": ("media_id", "captured_at"),
         "instagram_account_demographics": ("ig_user_id", "day", "metric", "timeframe", "breakdown",
                                            "dimension_value"),
         "instagram_online_followers": ("ig_user_id", "day", "hour"), "instagram_connection": ("ig_user_id",)}


def _stored(env) -> dict[str, dict[tuple, dict]]:
    return {table: {tuple(r[k] for k in key): r for r in _rows(env, f"SELECT * FROM {table}")}
            for table, key in _KEYS.items()}


@pytest.mark.slow
def test_nothing_stored_is_erased_by_later_runs(make_env):
    """Every table: a value stored once is never turned into NULL by the next day's runs
    (restatement re-pulls, weekly refreshes of older posts, new snapshots, audience re-runs)."""
    env = make_env(accounts=3, seed=5, media=60)
    today = pacific_day(env.now())
    yesterday = today - timedelta(days=1)
    env.run("instagram_media_job", tags=range_tags((today - timedelta(days=120)).isoformat(), yesterday.isoformat()))
    env.run("instagram_account_daily_job", tags=range_tags((today - timedelta(days=4)).isoformat(),
                                                           yesterday.isoformat()))
    env.run("instagram_media_daily_job", partition_key=yesterday.isoformat())
    env.run("instagram_intraday_job", partition_key=intraday_key(env.now()))
    env.run("instagram_audience_job")
    before = _stored(env)
    assert all(before[t] for t in _KEYS), {t: len(v) for t, v in before.items()}
    with dg.instance_for_test() as instance:
        for _ in range(2):
            env.advance(86400)
            _run_daily_schedule(env, instance)
    env.run("instagram_intraday_job", partition_key=intraday_key(env.now()))
    env.run("instagram_audience_job")
    after = _stored(env)
    erased = [(table, key, column) for table, rows in before.items() for key, row in rows.items()
              for column, value in row.items()
              if value is not None and key in after[table] and after[table][key][column] is None
              and column != "deleted_at"]
    assert erased == [], erased[:20]
    counts = _rows(env, "SELECT day, followers_count FROM instagram_account_daily WHERE day = :d", d=yesterday)
    assert counts and all(r["followers_count"] is not None for r in counts)


def test_older_posts_refreshed_weekly_keep_their_like_and_comment_counts(make_env):
    env = make_env(accounts=2, seed=7, media=80)
    today = pacific_day(env.now())
    yesterday = today - timedelta(days=1)
    env.run("instagram_media_job", tags=range_tags((today - timedelta(days=200)).isoformat(),
                                                   (today - timedelta(days=31)).isoformat()))
    result = env.run("instagram_media_daily_job", partition_key=yesterday.isoformat())
    assert _meta(result, "instagram_media_daily")["older_media_refreshed"] > 0
    older = _rows(env, "SELECT d.like_count, d.comments_count, d.reach FROM instagram_media_daily d "
                       "JOIN instagram_media m USING (media_id) WHERE d.day = :d AND m.posted_at < :young",
                  d=yesterday, young=env.now() - timedelta(days=30))
    assert older and all(r["like_count"] is not None and r["comments_count"] is not None for r in older)


def test_a_pinned_version_near_its_end_of_availability_is_warned_about_in_the_run(make_env):
    env = make_env(accounts=1, media=5)
    day = (pacific_day(env.now()) - timedelta(days=1)).isoformat()
    graph = InstagramGraphAPI(base_url=env.url, instagram_base_url=env.url, version="v21.0", app_secret=None)
    job = env.defs(graph=graph).resolve_job_def("instagram_account_daily_job")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, partition_key=day)
    warnings = _meta(result, "instagram_account_daily")["warnings"]
    assert "v21.0 stops being available on 2027-01-21" in warnings
