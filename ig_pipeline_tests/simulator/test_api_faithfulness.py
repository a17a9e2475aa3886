"""Behaviour the simulator copies from the real API even where a client would prefer otherwise:
the in-progress day, demographics without ``timeframe``, the served versions, and one insights
call per breakdown/period/metric type."""

from __future__ import annotations

from datetime import UTC, datetime

from ig_pipeline.simulator.days import day_end, day_start
from ig_pipeline_tests.simulator.test_contract import NOW, TODAY, big


def stamp(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def test_until_inside_the_unfinished_day_returns_it_partial_with_a_future_end_time(c):
    a = big(c)
    params = {"metric": "reach,follower_count", "period": "day", "since": day_start(TODAY - 2), "until": int(NOW)}
    body = c.get(f"/v24.0/{a['id']}/insights", a["id"], **params).json()
    for item in body["data"]:
        assert [v["end_time"] for v in item["values"]] == [stamp(day_end(d)) for d in (TODAY - 2, TODAY - 1, TODAY)]
        assert day_end(TODAY) > NOW  # the last bucket ends in the future
    today_reach = body["data"][0]["values"][-1]["value"]
    settled_reach = c.sim.world.day_settled(c.sim.world.by_id[a["id"]], TODAY)["reach"]
    assert 0 < today_reach < settled_reach
    c.http.post("/_sim/clock", json={"advance": 3600})
    later = c.get(f"/v24.0/{a['id']}/insights", a["id"], **params | {"until": int(NOW) + 3600}).json()
    assert later["data"][0]["values"][-1]["value"] > today_reach  # still growing: it is not a final value
    finished = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="reach", period="day",
                     since=day_start(TODAY - 2), until=day_end(TODAY - 1)).json()
    assert [v["end_time"] for v in finished["data"][0]["values"]] == [stamp(day_end(d)) for d in (TODAY - 2,
                                                                                                   TODAY - 1)]


def test_demographics_without_timeframe_are_answered_like_this_month(c):
    a = big(c)
    params = {"metric": "engaged_audience_demographics", "period": "lifetime", "metric_type": "total_value",
              "breakdown": "country"}
    bare = c.get(f"/v24.0/{a['id']}/insights", a["id"], **params)
    assert bare.status_code == 200, bare.text
    month = c.get(f"/v24.0/{a['id']}/insights", a["id"], **params, timeframe="this_month").json()
    assert bare.json() == month and month["data"]
    refused = c.get(f"/v24.0/{a['id']}/insights", a["id"], **params, timeframe="last_90_days")
    assert refused.status_code == 400


def test_v26_and_v27_are_served_and_unknown_versions_refused(c):
    a = big(c)
    for version in ("v26.0", "v27.0"):
        assert c.get(f"/{version}/{a['id']}", a["id"], fields="username").json()["username"] == a["username"]
    for version in ("v28.0", "v20.0"):
        assert c.error(c.get(f"/{version}/{a['id']}", a["id"]))["code"] == 12


def test_one_call_combines_only_metrics_with_the_same_breakdown(c):
    a = big(c)
    feed = next(m for m in c.get(f"/v24.0/{a['id']}/media", a["id"], fields="id,media_product_type",
                                 limit=50).json()["data"] if m["media_product_type"] == "FEED")
    mixed = c.error(c.get(f"/v24.0/{feed['id']}/insights", a["id"], metric="reach,views,profile_activity",
                          breakdown="action_type"))
    assert mixed["code"] == 100 and mixed["message"] == (
        "(#100) The breakdown (action_type) is not supported for the metrics (reach,views,profile_activity)")
    alone = c.get(f"/v24.0/{feed['id']}/insights", a["id"], metric="profile_activity", breakdown="action_type")
    assert alone.status_code == 200 and alone.json()["data"][0]["total_value"]["breakdowns"]
    nested = c.get(f"/v24.0/{a['id']}/media", a["id"], limit=5,
                   fields="id,insights.metric(reach,views).breakdown(action_type)")
    assert c.error(nested)["message"].startswith("(#100) The breakdown (action_type) is not supported")
    account = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="reach,accounts_engaged", period="day",
                    metric_type="total_value", breakdown="media_product_type")
    assert c.error(account)["code"] == 100  # accounts_engaged has no media_product_type breakdown
    series = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="reach,views", period="day")
    assert "metric_type=total_value" in c.error(series)["message"]
