"""Call plans over a mock transport: which calls they make, and the rows they return."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta

from ig_pipeline.graph import catalog, plans, transforms
from ig_pipeline.graph.errors import ErrorClass
from ig_pipeline.graph.models import AccountRef, FetchResult, MediaRef
from ig_pipeline.graph.session import rejected_metrics, rejection_kind
from ig_pipeline_tests.graph.fake import FakeGraph, error, run

UID = "17841400000000001"
ACCOUNT = AccountRef(UID, "owner-1", "EAAGtokenForPlans1234567890")
NOW = datetime(2026, 11, 10, 9, tzinfo=UTC)  # 01:00 Pacific, Nov 10
YESTERDAY = date(2026, 11, 9)


def end_time(day: date) -> str:
    return transforms.parse_time(transforms.day_bounds(day, day)[1]).strftime("%Y-%m-%dT%H:%M:%S+0000")


def account_handler(path, params):
    if path == UID:
        return 200, {"id": UID, "followers_count": "5000", "follows_count": 10, "media_count": 500}
    assert path == f"{UID}/insights"
    metrics = params["metric"].split(",")
    since, until = int(params["since"]), int(params["until"])
    assert until - since <= 29 * 86400 + 3600, "window over 29 days"
    days = []
    day = transforms.parse_time(since).astimezone(transforms.pacific_day.__globals__["PACIFIC"]).date()
    while transforms.day_bounds(day, day)[1] <= until:
        days.append(day)
        day += timedelta(days=1)
    if params.get("metric_type") == "total_value":
        assert len(days) == 1
        data = []
        for m in metrics:
            entry = {"name": m, "period": "day", "total_value": {"value": 10}}
            if params.get("breakdown") == "follow_type":
                entry["total_value"]["breakdowns"] = [{"dimension_keys": ["follow_type"], "results": [
                    {"dimension_values": ["FOLLOWER"], "value": 7}, {"dimension_values": ["non_follower"], "value": 3}]}]
            data.append(entry)
        return 200, {"data": data}
    if "follower_count" in metrics and days[0] < YESTERDAY - timedelta(days=29):
        return error(100, "(#100) (follower_count) metric only supports querying data for the last 30 days "
                          "excluding the current day")
    return 200, {"data": [{"name": m, "period": "day", "values": [{"value": d.day, "end_time": end_time(d)}
                                                                   for d in days]} for m in metrics]}


def items_in(fake) -> list[dict]:
    return [item for r in fake.requests if r["path"] == "<batch>" for item in json.loads(r["params"]["batch"])]


def test_daily_sync_of_three_days_is_one_batch():
    fake = FakeGraph(account_handler)
    days = [YESTERDAY - timedelta(days=i) for i in range(3)]

    async def go():
        async with fake.client(now=lambda: NOW) as client:
            return await plans.fetch_account_days(client, ACCOUNT, days, YESTERDAY)

    result = run(go())
    assert result.ok, result.error
    assert result.round_trips == 1 and result.calls == 11 == len(items_in(fake))
    rows = {r["day"]: r for r in result.rows["instagram_account_daily"]}
    assert set(rows) == set(days)
    assert rows[YESTERDAY]["followers_count"] == 5000
    assert "followers_count" not in rows[YESTERDAY - timedelta(days=1)]  # not fetched: never written as NULL
    assert rows[YESTERDAY]["reach"] == 9 and rows[YESTERDAY]["new_followers"] == 9
    assert rows[YESTERDAY]["follows"] == 7 and rows[YESTERDAY]["unfollows"] == 3
    assert rows[YESTERDAY]["views"] == 10 and rows[YESTERDAY]["owner_id"] == "owner-1"
    assert set(rows[YESTERDAY]) <= {*catalog.ACCOUNT_DAILY_COLUMNS, *transforms.SNAPSHOT_FIELDS, "counts_captured_at", "owner_id",
                                    "ig_user_id", "day", "fetched_at"}
    assert "impressions" not in rows[YESTERDAY]  # retired: never asked, so never written


def test_ninety_day_backfill_uses_29_day_windows_and_follower_count_only_for_30_days():
    fake = FakeGraph(account_handler)
    days = [YESTERDAY - timedelta(days=i) for i in range(90)]

    async def go():
        async with fake.client(now=lambda: NOW) as client:
            return await plans.fetch_account_days(client, ACCOUNT, days, YESTERDAY)

    result = run(go())
    assert result.ok and not result.warnings, result.warnings
    series = [i for i in items_in(fake) if "time_series" in i["relative_url"]]
    assert len(series) == 5
    assert all(len(json.loads(r["params"]["batch"])) <= 50 for r in fake.requests if r["path"] == "<batch>")
    assert result.calls == 5 + 90 * 3 + 1 and result.round_trips == 6
    rows = {r["day"]: r for r in result.rows["instagram_account_daily"]}
    assert rows[YESTERDAY - timedelta(days=29)]["new_followers"] is not None
    assert rows[YESTERDAY - timedelta(days=30)].get("new_followers") is None
    assert rows[YESTERDAY - timedelta(days=89)]["reach"] is not None


def media_handler(rejects=("views",), no_data=("s1",)):
    def handler(path, params):
        media_id, _, edge = path.partition("/")
        if edge == "media":  # the counts listing around the posts
            assert params["fields"] == "id,like_count,comments_count" and params["since"] < params["until"]
            return 200, {"data": [{"id": m, "like_count": 4, "comments_count": 2} for m in ("f1", "f2", "f3", "r1")]}
        check_request_group(params)
        metrics = params["metric"].split(",")
        if media_id in no_data:
            return error(10, "(#10) Not enough viewers for the media to show insights")
        if media_id.startswith("f"):
            for metric in rejects:
                if metric in metrics:
                    return error(100, f"(#100) The Media Insights API does not support the {metric} metric for "
                                      "this media product type.")
        return 200, {"data": [insight(m, 5) for m in metrics]}
    return handler


BREAKDOWN_OF = {"profile_activity": "action_type", "navigation": "story_navigation_action_type"}


def check_request_group(params):
    """The API refuses a request mixing metrics of different breakdowns: fail the test if we ask so."""
    wanted = {BREAKDOWN_OF.get(m) for m in params["metric"].split(",")}
    assert wanted == {params.get("breakdown")}, f"mixed request group: {params}"


def insight(name, value):
    entry = {"name": name, "period": "lifetime", "values": [{"value": value}]}
    if name in BREAKDOWN_OF:
        entry["total_value"] = {"value": value, "breakdowns": [{"dimension_keys": [BREAKDOWN_OF[name]],
                                                                "results": [{"dimension_values": ["CALL"], "value": 1}]}]}
    return entry


def ref(media_id, product="FEED", media_type="IMAGE"):
    return MediaRef(media_id, media_type, product, NOW - timedelta(days=60))


def test_rejected_metric_is_dropped_for_the_type_with_a_warning():
    fake = FakeGraph(media_handler())
    media = [ref("f1"), ref("f2"), ref("r1", "REELS", "VIDEO"), ref("s1", "STORY")]

    async def go():
        async with fake.client() as client:
            first = await plans.fetch_media_insights(client, ACCOUNT, media, YESTERDAY, NOW)
            second = await plans.fetch_media_insights(client, ACCOUNT, [ref("f3")], YESTERDAY, NOW)
            return first, second, client.rejected_metrics

    first, second, rejected = run(go())
    assert first.ok and rejected == {"FEED:IMAGE": {"views"}}
    assert any("media f1 (FEED:IMAGE): metrics views refused, dropped" in w for w in first.warnings)
    assert {(r["media"], tuple(r["metrics"])) for r in first.refusals} == {("f1", ("views",)), ("f2", ("views",))}
    assert any("s1" in w and "no_data" in w for w in first.warnings)
    rows = {r["media_id"]: r for r in first.rows["instagram_media_daily"]}
    assert set(rows) == {"f1", "f2", "r1"}  # the story had no data and no known counts
    assert "views" not in rows["f1"] and rows["f1"]["reach"] == 5 and rows["r1"]["views"] == 5
    assert rows["f1"]["activity_call"] == 1 and rows["f1"]["like_count"] == 4 and rows["f1"]["comments_count"] == 2
    assert rows["r1"]["reels_avg_watch_time_ms"] == 5 and rows["f1"]["day"] == YESTERDAY
    assert second.round_trips == 1 and not any("views" in i["relative_url"] for i in items_in(fake)[-2:])


def test_unnamed_rejection_splits_into_one_call_per_metric():
    def handler(path, params):
        if "metric" not in params:
            return 200, {"like_count": 1}
        metrics = params["metric"].split(",")
        if "saved" in metrics:
            return error(100, "(#100) An unknown error has occurred.")
        return 200, {"data": [{"name": m, "values": [{"value": 1}]} for m in metrics]}

    fake = FakeGraph(handler)

    async def go():
        async with fake.client() as client:
            return await plans.fetch_media_insights(client, ACCOUNT, [ref("f1")], YESTERDAY, NOW)

    result = run(go())
    row = result.rows["instagram_media_daily"][0]
    assert result.ok and "saved" not in row and row["reach"] == 1 and row["likes"] == 1
    assert any("metrics saved refused" in w for w in result.warnings)


def recent_handler():
    posts = [{"id": f"m{i}", "media_type": "VIDEO" if i % 2 else "IMAGE",
              "media_product_type": "REELS" if i % 2 else "FEED", "timestamp": "2026-11-05T10:00:00+0000",
              "like_count": i, "comments_count": "1"} for i in range(4)]

    def handler(path, params):
        if path == f"{UID}/media":
            assert "insights" not in params["fields"]
            return 200, {"data": posts}
        check_request_group(params)
        return 200, {"data": [insight(m, 3) for m in params["metric"].split(",")]}
    return handler


def test_recent_lists_then_asks_each_media_once_per_request_group():
    fake = FakeGraph(recent_handler())

    async def go():
        async with fake.client() as client:
            return await plans.fetch_recent(client, ACCOUNT, NOW - timedelta(days=30), YESTERDAY, NOW)

    result = run(go())
    assert result.ok and not result.warnings and result.round_trips == 2
    assert result.calls == 1 + 2 * 2 + 2 * 1  # the listing; FEED: plain + action_type; REELS: plain
    rows = {r["media_id"]: r for r in result.rows["instagram_media_daily"]}
    assert rows["m1"]["reach"] == 3 and rows["m1"]["reels_avg_watch_time_ms"] == 3 and rows["m0"]["follows"] == 3
    assert rows["m0"]["profile_activity"] == 3 and rows["m0"]["activity_call"] == 1
    assert rows["m1"]["like_count"] == 1 and rows["m1"]["comments_count"] == 1
    assert {r["media_id"] for r in result.rows["instagram_media"]} == {"m0", "m1", "m2", "m3"}
    assert [m.media_id for m in result.media] == ["m0", "m1", "m2", "m3"]


def test_intraday_is_two_round_trips():
    def handler(path, params):
        if path == UID:
            return 200, {"followers_count": 5000, "follows_count": 3, "media_count": 500}
        if path.endswith("/media"):
            return 200, {"data": [{"id": f"m{i}", "media_type": "IMAGE", "media_product_type": "FEED",
                                   "timestamp": "2026-11-09T10:00:00+0000", "like_count": 4} for i in range(20)]}
        if path.endswith("/stories"):
            return 200, {"data": [{"id": "s1", "media_type": "IMAGE", "media_product_type": "STORY",
                                   "timestamp": "2026-11-10T05:00:00+0000"}]}
        return media_handler(rejects=())(path, params)

    fake = FakeGraph(handler)

    async def go():
        async with fake.client() as client:
            return await plans.fetch_intraday(client, ACCOUNT, NOW, recent_n=10)

    result = run(go())
    assert result.ok and result.round_trips == 2 and result.calls == 3 + 10 * 2 + 3  # FEED 2 groups, STORY 3
    assert result.rows["instagram_account_intraday"] == [
        {"owner_id": "owner-1", "ig_user_id": UID, "captured_at": NOW, "followers_count": 5000,
         "follows_count": 3, "media_count": 500}]
    assert len(result.rows["instagram_media_intraday"]) == 10  # the story had too few viewers, no counts
    story = next(r for r in result.rows["instagram_media"] if r["media_id"] == "s1")
    assert story["story_expires_at"] == datetime(2026, 11, 11, 5, tzinfo=UTC)


def test_demographics_and_online_followers():
    def handler(path, params):
        if params.get("metric") == "online_followers":
            return 200, {"data": [{"name": "online_followers", "values": [
                {"value": {str(h): h for h in range(24)}, "end_time": end_time(YESTERDAY)}]}]}
        breakdown = params["breakdown"]
        return 200, {"data": [{"name": m, "total_value": {"breakdowns": [{"dimension_keys": [breakdown], "results": [
            {"dimension_values": ["x"], "value": 1}]}]}} for m in params["metric"].split(",")]}

    fake = FakeGraph(handler)

    async def go():
        async with fake.client(now=lambda: NOW) as client:
            return (await plans.fetch_demographics(client, ACCOUNT, YESTERDAY),
                    await plans.fetch_online_followers(client, ACCOUNT))

    demographics, online = run(go())
    assert demographics.ok and demographics.calls == 8 and demographics.round_trips == 1
    assert len(demographics.rows["instagram_account_demographics"]) == 3 * 8
    assert online.ok and len(online.rows["instagram_online_followers"]) == 24


def test_a_revoked_token_is_that_account_s_error_and_is_never_retried():
    revoked = AccountRef("2", "owner-2", "EAAGrevokedToken1234567890")

    def handler(path, params):
        if path.startswith("2"):
            return error(190, "(#190) Error validating access token: session invalidated", subcode=467)
        return account_handler(path, params)

    fake = FakeGraph(handler)

    async def go():
        async with fake.client(now=lambda: NOW) as client:
            return await asyncio.gather(*(plans.fetch_account_days(client, account, [YESTERDAY], YESTERDAY)
                                          for account in (ACCOUNT, revoked)))

    ok, bad = run(go())
    assert ok.ok and isinstance(ok, FetchResult)
    assert bad.error.error_class == ErrorClass.TOKEN_INVALID and bad.rows == {}
    token_calls = [r for r in fake.requests if r["path"].startswith("2")]
    assert len(token_calls) == 5  # 3 totals + series + counts in one batch, none retried


def test_a_refusal_names_only_the_refused_metric_not_the_suggested_replacement():
    message = ("(#100) Starting from version 22 and above, the impressions metric is no longer supported for the "
               "queried user. Please use views instead.")
    assert rejected_metrics(message, ["impressions", "views", "reach"]) == {"impressions"}
    assert rejection_kind(message) == "metric"
    assert rejection_kind("(#100) The following metrics (reach) should be specified with parameter period=day") == "shape"
    assert rejection_kind("(#100) metric_type must be one of the following values: default, time_series") == "shape"
