"""The client against the simulator over real HTTP: documented calls, faults by class, the
governor, deprecated metrics, one account failing while the others sync."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from ig_pipeline.days import pacific_day
from ig_pipeline.graph import catalog, plans
from ig_pipeline.graph.errors import ErrorClass
from ig_pipeline_tests.graph.fake import run


def window(sim):
    now = sim.now()
    yesterday = pacific_day(now) - timedelta(days=1)
    return now, yesterday, [yesterday - timedelta(days=i) for i in range(3)]


async def with_client(graph, sim, fake_time, fn, **options):
    async with graph.model_copy(update=options).client(sleep=fake_time.sleep, clock=fake_time.clock,
                                                       now=sim.now) as client:
        return await fn(client)


def test_daily_account_plan_makes_the_documented_calls(fresh, graph, fake_time):
    account = fresh.accounts()[0]
    now, yesterday, days = window(fresh)
    result = run(with_client(graph, fresh, fake_time,
                             lambda c: plans.fetch_account_days(c, account, days, yesterday)))
    assert result.ok, result.error
    summary = fresh.requests()["summary"]
    assert summary["round_trips"] == result.round_trips == 1
    assert summary["counted_calls"] == result.calls == 11
    rows = {r["day"]: r for r in result.rows["instagram_account_daily"]}
    assert rows[yesterday]["followers_count"] is not None
    assert all("followers_count" not in rows[d] for d in days if d != yesterday)  # not fetched, not written
    assert all(rows[d]["reach"] is not None for d in days)


def test_account_rows_match_ground_truth(fresh, graph, fake_time):
    account = fresh.accounts()[0]
    now, yesterday, days = window(fresh)
    result = run(with_client(graph, fresh, fake_time,
                             lambda c: plans.fetch_account_days(c, account, days, yesterday)))
    truth = fresh.truth_account(account.ig_user_id, min(days).isoformat(), yesterday.isoformat())
    truth_days = {t["day"]: t for t in truth["days"]}
    for row in result.rows["instagram_account_daily"]:
        expected = truth_days[row["day"].isoformat()]
        for column in ("reach", "views", "likes", "new_followers", "follows", "unfollows"):
            if column in expected:
                assert row[column] == expected[column], (row["day"], column)


def test_recent_and_intraday_round_trips(fresh, graph, fake_time):
    account = fresh.accounts()[0]
    now, yesterday, _ = window(fresh)
    recent = run(with_client(graph, fresh, fake_time,
                             lambda c: plans.fetch_recent(c, account, now - timedelta(days=30), yesterday, now)))
    assert recent.ok and recent.round_trips <= 3, (recent.round_trips, recent.warnings)
    summary = fresh.requests()["summary"]
    assert (summary["round_trips"], summary["counted_calls"]) == (recent.round_trips, recent.calls)
    fresh.clear()
    intraday = run(with_client(graph, fresh, fake_time, lambda c: plans.fetch_intraday(c, account, now)))
    assert intraday.ok and intraday.round_trips == 2
    assert fresh.requests()["summary"]["round_trips"] == 2


RECOVERS = ["transient_1", "transient_2", "hang", "reset", "malformed_json", "batch_null", "truncated_page"]
TOKEN = ["token_expired", "token_password_changed", "token_revoked", "permission_10", "permission_200"]
RATE = ["rate_limit_4", "rate_limit_17", "rate_limit_32", "rate_limit_613", "rate_limit_80002"]


@pytest.mark.parametrize("kind", RECOVERS + TOKEN + RATE)
def test_fault_kinds_are_handled_by_class(fresh, graph, fake_time, kind):
    account = fresh.accounts()[1]
    now, yesterday, days = window(fresh)
    fresh.fault(kind=kind, rate=1.0, account=account.ig_user_id, count=1)

    async def sync(client):
        first = await plans.fetch_media_list(client, account, now - timedelta(days=60), now)
        second = await plans.fetch_account_days(client, account, days, yesterday)
        return first, second

    media, daily = run(with_client(graph, fresh, fake_time, sync, timeout_s=0.5))
    results = (media, daily)
    if kind in RECOVERS:
        assert all(r.ok for r in results), [str(r.error) for r in results]
    elif kind in TOKEN:
        failed = [r for r in results if not r.ok]
        assert failed and all(r.error.error_class == ErrorClass.TOKEN_INVALID for r in failed)
        assert account.token not in str(failed[0].error)
    else:
        assert all(r.ok for r in results) or all(
            r.error.error_class == ErrorClass.RATE_LIMITED for r in results if not r.ok)
        assert fake_time.slept, "the rate limit was not waited out"


def test_80002_waits_the_announced_time(fresh, graph, fake_time):
    account = fresh.accounts()[2]
    now, yesterday, days = window(fresh)
    fresh.fault(kind="rate_limit_80002", rate=1.0, account=account.ig_user_id, count=1)
    result = run(with_client(graph, fresh, fake_time,
                             lambda c: plans.fetch_account_days(c, account, days, yesterday), max_wait_s=3600))
    assert result.ok, result.error
    assert max(fake_time.slept) >= 60  # estimated_time_to_regain_access is in minutes


def test_unsupported_metric_is_dropped_with_a_warning(fresh, graph, fake_time):
    account = fresh.accounts()[0]
    now, yesterday, _ = window(fresh)
    fresh.fault(kind="unsupported_metric", rate=1.0, account=account.ig_user_id)
    result = run(with_client(graph, fresh, fake_time,
                             lambda c: plans.fetch_recent(c, account, now - timedelta(days=30), yesterday, now)))
    assert result.ok, result.error
    assert any("refused, dropped" in w for w in result.warnings), result.warnings


def test_metric_deprecated_for_the_version_is_dropped_and_the_sync_completes(fresh, graph, fake_time, monkeypatch):
    revived = tuple(dataclasses.replace(m, removed_in_version=None, removed_everywhere_on=None)
                    if m.name == "impressions" else m for m in catalog.MEDIA_METRICS)
    monkeypatch.setattr(catalog, "MEDIA_METRICS", revived)
    account = fresh.accounts()[0]
    now, yesterday, _ = window(fresh)

    async def sync(client):
        listed = await plans.fetch_media_list(client, account, now - timedelta(days=200), now)
        return await plans.fetch_media_insights(client, account, listed.media[:10], yesterday, now)

    result = run(with_client(graph, fresh, fake_time, sync))
    assert result.ok and result.rows["instagram_media_daily"]
    assert any("metrics impressions refused, dropped" in w for w in result.warnings), result.warnings
    assert all("views" not in r["metrics"] for r in result.refusals)  # "use views instead" names no refusal


def test_high_usage_slows_down(fresh, graph, fake_time):
    account = fresh.add_account(media_total=30, media_last_30_days=5, followers=500)
    impressions = fresh.http.get(f"/_sim/buc/{account.ig_user_id}").json()["impressions_24h"]
    fresh.config(buc_calls_per_impression=40 / max(1, impressions))  # a 24 h budget of 40 calls
    try:
        now, yesterday, days = window(fresh)
        async def sync(client):
            for _ in range(9):  # 4 counted calls each: usage climbs past 75 % of 40
                await plans.fetch_account_days(client, account, days[-1:], None)

        run(with_client(graph, fresh, fake_time, sync))
    finally:
        fresh.config(buc_calls_per_impression=0)
    assert any(0 < s for s in fake_time.slept), "no slow-down at high usage"


def test_one_revoked_token_does_not_stop_the_others(fresh, graph, fake_time):
    accounts = fresh.accounts()
    revoked = accounts[1]
    fresh.fault(kind="token_revoked", rate=1.0, account=revoked.ig_user_id)
    now, yesterday, days = window(fresh)

    async def sync(client):
        return await asyncio.gather(*(plans.fetch_account_days(client, account, days, yesterday)
                                      for account in accounts))

    results = run(with_client(graph, fresh, fake_time, sync))
    by_id = {r.account.ig_user_id: r for r in results}
    assert by_id[revoked.ig_user_id].error.error_class == ErrorClass.TOKEN_INVALID
    assert all(r.ok for i, r in by_id.items() if i != revoked.ig_user_id)
