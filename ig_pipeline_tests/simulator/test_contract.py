"""Contract suite: the simulator over real HTTP against the behaviour docs/simulator.md describes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ig_pipeline.simulator import SimConfig
from ig_pipeline.simulator.days import day_end, day_start, pacific_ordinal
from ig_pipeline.simulator.server import SimulatorServer
from ig_pipeline_tests.simulator.conftest import START

NOW = START.timestamp()
TODAY = pacific_ordinal(NOW)


def big(c):
    return next(a for a in c.world["accounts"] if a["followers_count"] >= 1000)


def small(c):
    return next(a for a in c.world["accounts"] if a["followers_count"] < 100)


def bounds(first: int, last: int) -> dict:
    return {"since": day_start(first), "until": day_end(last)}


# --- routing, auth, envelope ----------------------------------------------------------------------

def test_versions_and_token_placement(c):
    a = big(c)
    for v in ("v21.0", "v25.0", "v26.0", "v27.0"):
        assert c.get(f"/{v}/{a['id']}", a["id"]).json() == {"id": a["id"]}
    assert c.get(f"/{a['id']}", a["id"], fields="username").json()["username"] == a["username"]
    r = c.http.get(f"/v24.0/{a['id']}", headers={"Authorization": f"Bearer {c.token(a['id'])}"})
    assert r.status_code == 200
    err = c.error(c.get(f"/v19.0/{a['id']}", a["id"]))
    assert err["code"] == 12 and err["type"] == "OAuthException" and err["fbtrace_id"]


@pytest.mark.parametrize("path,params,code", [
    ("/v24.0/me", {}, 104),
    ("/v24.0/me", {"access_token": "garbage"}, 190),
    ("/v24.0/nonexistent", None, 100),
    ("/v24.0/{ig}/nope", None, 2500),
    ("/v24.0/{ig}", {"fields": "id,bogus"}, 100),
    ("/v24.0/{ig}", {"fields": "id,{{"}, 100),
    ("/v24.0/{ig}/media", {"limit": "abc"}, 100),
    ("/v24.0/{ig}/media", {"after": "%%%"}, 100),
    ("/v24.0/{ig}/media", {"since": "yesterdayish"}, 100),
    ("/v24.0/{ig}/insights", {"metric": "reach", "period": "day", "since": "x"}, 100),
    ("/v24.0/{ig}/insights", {"metric": "", "period": "day"}, 100),
])
def test_bad_input_gets_the_envelope_not_a_500(c, path, params, code):
    a = big(c)
    params = dict(params) if params is not None else {}
    if "access_token" not in params and path != "/v24.0/me":
        params["access_token"] = c.token(a["id"])
    r = c.http.get(path.replace("{ig}", a["id"]), params=params)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == code
    assert "Traceback" not in r.text


def test_other_users_accounts_are_not_visible(c):
    a, b = c.world["accounts"][0], c.world["accounts"][-1]
    err = c.error(c.get(f"/v24.0/{b['id']}", a["id"]))
    assert (err["code"], err["error_subcode"]) == (100, 33)


# --- discovery -------------------------------------------------------------------------------------

def test_me_accounts_paging_and_page_node(c):
    user = next(u for u in c.world["fb_users"] if len(u["pages"]) >= 3)
    token = c.http.post("/_sim/tokens", json={"fb_user_id": user["id"]}).json()["access_token"]
    seen, url, params = [], "/v24.0/me/accounts", {"access_token": token, "limit": 1,
                                                   "fields": "id,name,access_token,instagram_business_account"}
    while url:
        body = c.http.get(url, params=params).json()
        seen += body["data"]
        nxt = body["paging"].get("next")
        url, params = (urlsplit(nxt).path, {k: v[0] for k, v in parse_qs(urlsplit(nxt).query).items()}) \
            if nxt else (None, None)
    assert [p["id"] for p in seen] == [p["id"] for p in user["pages"]]
    assert any("instagram_business_account" not in p for p in seen)
    linked = next(p for p in seen if "instagram_business_account" in p)
    node = c.http.get(f"/v24.0/{linked['id']}", params={"fields": "instagram_business_account,name",
                                                        "access_token": linked["access_token"]}).json()
    assert node["instagram_business_account"]["id"] == linked["instagram_business_account"]["id"]
    personal = c.world["fb_users"][-1]
    assert all(p["instagram_business_account"] is None for p in personal["pages"])


# --- media -----------------------------------------------------------------------------------------

def test_media_paging_to_the_end_matches_media_count(c):
    a = big(c)
    count = c.get(f"/v24.0/{a['id']}", a["id"], fields="media_count").json()["media_count"]
    ids, params = [], {"fields": "id,timestamp,media_type,media_product_type", "limit": 100}
    url = f"/v24.0/{a['id']}/media"
    while True:
        body = c.get(url, a["id"], **params).json()
        ids += [m["id"] for m in body["data"]]
        if "next" not in body["paging"]:
            break
        params["after"] = body["paging"]["cursors"]["after"]
    assert len(ids) == len(set(ids)) == count
    kinds = {(m["media_type"], m["media_product_type"]) for m in
             c.get(url, a["id"], fields="media_type,media_product_type", limit=100).json()["data"]}
    assert ("VIDEO", "REELS") in kinds and ("IMAGE", "FEED") in kinds


def test_media_since_until_order_children_and_fields(c):
    a = big(c)
    since, until = int(NOW - 60 * 86400), int(NOW - 10 * 86400)
    data = c.get(f"/v24.0/{a['id']}/media", a["id"], since=since, until=until, limit=100,
                 fields="id,timestamp,media_type,thumbnail_url,children{id,media_type}").json()["data"]
    times = [datetime.strptime(m["timestamp"], "%Y-%m-%dT%H:%M:%S%z").timestamp() for m in data]
    assert times == sorted(times, reverse=True) and all(since <= t <= until for t in times)
    assert all(m["timestamp"].endswith("+0000") for m in data)
    album = next(m for m in data if m["media_type"] == "CAROUSEL_ALBUM")
    assert len(album["children"]["data"]) >= 2 and "media_type" in album["children"]["data"][0]
    assert all(("thumbnail_url" in m) == (m["media_type"] == "VIDEO") for m in data)
    by_date = c.get(f"/v24.0/{a['id']}/media", a["id"], since="2026-10-01", until="2026-10-15",
                    fields="timestamp").json()["data"]
    assert all("2026-10-01" <= m["timestamp"][:10] <= "2026-10-16" for m in by_date)


def test_stories_are_live_only(c):
    a = big(c)
    stories = c.get(f"/v24.0/{a['id']}/stories", a["id"], fields="id,timestamp,media_product_type").json()["data"]
    for s in stories:
        t = datetime.strptime(s["timestamp"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
        assert NOW - 86400 < t <= NOW and s["media_product_type"] == "STORY"
    if stories:
        c.http.post("/_sim/clock", json={"advance": 86400 * 2})
        later = c.get(f"/v24.0/{a['id']}/stories", a["id"], fields="id").json()["data"]
        assert not {s["id"] for s in stories} & {s["id"] for s in later}


# --- account insights ------------------------------------------------------------------------------

def test_time_series_pacific_buckets_and_last_24h_default(c):
    a = big(c)
    body = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="reach", period="day",
                 **bounds(TODAY - 5, TODAY - 1)).json()
    values = body["data"][0]["values"]
    assert [v["end_time"] for v in values] == [
        datetime.fromtimestamp(day_end(d), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000") for d in range(TODAY - 5, TODAY)]
    assert all(v["end_time"][11:] in ("07:00:00+0000", "08:00:00+0000") for v in values)
    assert "next" in body["paging"] and "previous" in body["paging"]
    default = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="reach", period="day").json()
    assert [v["end_time"] for v in default["data"][0]["values"]] == [  # yesterday, and today still running
        datetime.fromtimestamp(day_end(d), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000") for d in (TODAY - 1, TODAY)]


def test_total_value_with_breakdowns_and_truth(c):
    a = big(c)
    d = TODAY - 5
    body = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="reach,likes", period="day",
                 metric_type="total_value", breakdown="media_product_type", **bounds(d, d)).json()
    truth = c.http.get(f"/_sim/truth/account/{a['id']}", params={
        "since": date.fromordinal(d).isoformat(), "until": date.fromordinal(d).isoformat()}).json()
    metrics = truth["days"][0]["metrics"]
    for item in body["data"]:
        tv = item["total_value"]
        assert tv["value"] == metrics[item["name"]]
        bd = tv["breakdowns"][0]
        assert bd["dimension_keys"] == ["media_product_type"]
        assert sum(r["value"] for r in bd["results"]) == tv["value"]
    taps = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="profile_links_taps,follows_and_unfollows",
                 period="day", metric_type="total_value", **bounds(d, d)).json()["data"]
    assert {i["name"]: i["total_value"]["value"] for i in taps} == {
        "profile_links_taps": metrics["profile_links_taps"]["total"],
        "follows_and_unfollows": metrics["follows_and_unfollows"]["total"]}
    series = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="reach,follower_count", period="day",
                   **bounds(d, d)).json()["data"]
    assert {i["name"]: i["values"][0]["value"] for i in series} == {
        "reach": metrics["reach"], "follower_count": metrics["follower_count"]}


@pytest.mark.parametrize("params,message", [
    ({"metric": "views,profile_views", "period": "day"},
     "(#100) The following metrics (views,profile_views) should be specified with parameter metric_type=total_value"),
    ({"metric": "follower_count", "period": "day", "metric_type": "total_value"},
     "(#100) The following metric (follower_count) is incompatible with the metric type (total_value)"),
    ({"metric": "reach,bogus", "period": "day"}, "(#100) metric[1] must be one of the following values: reach, "),
    ({"metric": "impressions", "period": "day"},
     "(#100) Starting from version 22 and above, the impressions metric is no longer supported"),
    ({"metric": "reach", "period": "day", "metric_type": "total_value", "breakdown": "age"},
     "An unknown error has occurred."),
    ({"metric": "reach", "period": "day", "since": int(NOW - 40 * 86400), "until": int(NOW - 86400)},
     "(#100) There cannot be more than 30 days (2592000 s) between since and until"),
    ({"metric": "follower_count", "period": "day", "since": day_start(TODAY - 40), "until": day_start(TODAY - 20)},
     "(#100) (follower_count) metric only supports querying data for the last 30 days excluding the current day"),
])
def test_account_insights_error_messages(c, params, message):
    a = big(c)
    err = c.error(c.get(f"/v24.0/{a['id']}/insights", a["id"], **params))
    assert err["code"] == 100 and err["message"].startswith(message), err["message"]
    assert err["type"] == "OAuthException" and err["is_transient"] is False


def test_deprecations_by_version_and_date(c):
    a = big(c)
    c.http.post("/_sim/clock", json={"set": "2025-03-01T12:00:00+00:00"})
    ok = c.get(f"/v21.0/{a['id']}/insights", a["id"], metric="impressions", period="day")
    assert ok.status_code == 200 and ok.json()["data"][0]["name"] == "impressions"
    assert "impressions" in c.error(c.get(f"/v22.0/{a['id']}/insights", a["id"], metric="impressions",
                                          period="day"))["message"]
    c.http.post("/_sim/clock", json={"set": "2025-05-01T12:00:00+00:00"})
    assert c.get(f"/v21.0/{a['id']}/insights", a["id"], metric="impressions", period="day").status_code == 400
    c.http.post("/_sim/clock", json={"set": "2024-12-01T12:00:00+00:00"})
    media = c.get(f"/v21.0/{a['id']}/media", a["id"], fields="id,media_type", limit=50).json()["data"]
    video = next(m for m in media if m["media_type"] == "VIDEO")
    assert c.get(f"/v21.0/{video['id']}/insights", a["id"], metric="video_views").status_code == 400
    c.http.post("/_sim/clock", json={"set": "2025-02-01T12:00:00+00:00"})
    err = c.error(c.get(f"/v21.0/{video['id']}/insights", a["id"], metric="video_views"))
    assert err["message"].startswith("(#100) Starting from version 21+, the following metric is no longer "
                                     "supported: video_views")


def test_demographics_online_followers_and_small_accounts(c):
    a, s = big(c), small(c)
    assert c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="follower_demographics", period="lifetime",
                 metric_type="total_value", breakdown="city", timeframe="last_90_days").status_code == 400
    body = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="follower_demographics", period="lifetime",
                 metric_type="total_value", breakdown="city", timeframe="this_month").json()
    results = body["data"][0]["total_value"]["breakdowns"][0]["results"]
    assert len(results) == 45
    combo = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="follower_demographics", period="lifetime",
                  metric_type="total_value", breakdown="age,gender", timeframe="this_week").json()
    assert combo["data"][0]["total_value"]["breakdowns"][0]["dimension_keys"] == ["age", "gender"]
    assert c.get(f"/v24.0/{s['id']}/insights", s["id"], metric="follower_demographics", period="lifetime",
                 metric_type="total_value", breakdown="age", timeframe="this_week").json() == {"data": []}
    online = c.get(f"/v24.0/{a['id']}/insights", a["id"], metric="online_followers", period="lifetime",
                   **bounds(TODAY - 3, TODAY - 1)).json()["data"][0]["values"]
    assert len(online) == 3 and sorted(online[0]["value"], key=int) == [str(h) for h in range(24)]
    fc = c.get(f"/v24.0/{s['id']}/insights", s["id"], metric="follower_count", period="day").json()
    assert fc["data"] == []


def test_restatement_settles_after_48_hours(c):
    a = big(c)
    d = TODAY - 1
    q = dict(metric="views", period="day", metric_type="total_value", **bounds(d, d))
    truth_day = date.fromordinal(d).isoformat()
    settled = c.http.get(f"/_sim/truth/account/{a['id']}", params={"since": truth_day, "until": truth_day}
                         ).json()["days"][0]["metrics"]["views"]
    first = c.get(f"/v24.0/{a['id']}/insights", a["id"], **q).json()["data"][0]["total_value"]["value"]
    served = c.http.get(f"/_sim/truth/account/{a['id']}", params={"since": truth_day, "until": truth_day,
                                                                  "as_served": 1}).json()
    assert served["days"][0]["metrics"]["views"] == first != settled
    c.http.post("/_sim/clock", json={"advance": 6 * 3600})
    second = c.get(f"/v24.0/{a['id']}/insights", a["id"], **q).json()["data"][0]["total_value"]["value"]
    assert second != first
    c.http.post("/_sim/clock", json={"advance": 48 * 3600})
    third = c.get(f"/v24.0/{a['id']}/insights", a["id"], **q).json()["data"][0]["total_value"]["value"]
    c.http.post("/_sim/clock", json={"advance": 24 * 3600})
    fourth = c.get(f"/v24.0/{a['id']}/insights", a["id"], **q).json()["data"][0]["total_value"]["value"]
    assert third == fourth == settled


# --- media insights --------------------------------------------------------------------------------

def _media(c, a, product=None, media_type=None, limit=100):
    data = c.get(f"/v24.0/{a['id']}/media", a["id"], fields="id,media_type,media_product_type,children",
                 limit=limit).json()["data"]
    return [m for m in data if (product is None or m["media_product_type"] == product)
            and (media_type is None or m["media_type"] == media_type)]


def test_media_insights_per_product_type_and_truth(c):
    a = big(c)
    reel = _media(c, a, "REELS")[0]
    body = c.get(f"/v24.0/{reel['id']}/insights", a["id"], metric="reach,views,ig_reels_avg_watch_time").json()
    assert [i["name"] for i in body["data"]] == ["reach", "views", "ig_reels_avg_watch_time"]
    assert all(i["period"] == "lifetime" and "total_value" not in i for i in body["data"])
    truth = c.http.get(f"/_sim/truth/media/{reel['id']}").json()
    assert body["data"][0]["values"][0]["value"] == truth["metrics"]["reach"]
    err = c.error(c.get(f"/v24.0/{reel['id']}/insights", a["id"], metric="reach,profile_visits"))
    assert err["message"] == ("(#100) The Media Insights API does not support the profile_visits metric for this "
                              "media product type.")
    feed = _media(c, a, "FEED")[0]
    bd = c.get(f"/v24.0/{feed['id']}/insights", a["id"], metric="profile_activity", breakdown="action_type").json()
    results = bd["data"][0]["total_value"]["breakdowns"][0]["results"]
    assert all(r["dimension_values"][0].islower() for r in results)
    assert bd["data"][0]["values"][0]["value"] == bd["data"][0]["total_value"]["value"]
    album = _media(c, a, media_type="CAROUSEL_ALBUM")[0]
    child = album["children"]["data"][0]["id"]
    assert c.get(f"/v24.0/{child}/insights", a["id"], metric="reach").status_code == 400


def test_pre_conversion_media_and_two_year_horizon(c, server):
    a = big(c)
    sim = server.app.state.sim
    acct = sim.world.by_id[a["id"]]
    old = next(m for m in sim.world.iter_media(acct, NOW) if m.ts < acct.converted)
    err = c.error(c.get(f"/v24.0/{old.id}/insights", a["id"], metric="reach"))
    assert (err["code"], err["error_subcode"], err["message"]) == (100, 2108006, "Invalid parameter")
    assert err["error_user_title"] == "Media posted before business account conversion"
    ancient = next(m for m in sim.world.iter_media(acct, NOW) if NOW - m.ts > 731 * 86400 and m.ts > acct.converted)
    assert c.get(f"/v24.0/{ancient.id}/insights", a["id"], metric="reach").json() == {"data": []}


def test_story_with_few_viewers_is_code_10(c, server):
    sim = server.app.state.sim
    s = small(c)
    acct = sim.world.by_id[s["id"]]
    for hours in range(0, 24 * 30, 6):
        now = NOW + hours * 3600
        low = [st for st in sim.world.live_stories(acct, now) if sim.world.media_values(st, now)["reach"] < 5]
        if low:
            break
    else:
        pytest.skip("no low-reach story")
    c.http.post("/_sim/clock", json={"set": now})
    err = c.error(c.get(f"/v24.0/{low[0].id}/insights", s["id"], metric="reach,navigation"))
    assert (err["code"], err["message"]) == (10, "(#10) Not enough viewers for the media to show insights")


def test_nested_insights_fail_the_whole_page_when_switched_on(c):
    a = big(c)
    fields = "id,media_product_type,insights.metric(reach,ig_reels_avg_watch_time)"
    r = c.get(f"/v24.0/{a['id']}/media", a["id"], fields=fields, limit=25)
    assert r.status_code == 400
    c.http.post("/_sim/config", json={"nested_insights_fail_whole_page": False})
    c.http.delete("/_sim/requests")
    body = c.get(f"/v24.0/{a['id']}/media", a["id"], fields=fields, limit=25).json()
    with_insights = [m for m in body["data"] if "insights" in m]
    assert with_insights and all(m["media_product_type"] == "REELS" for m in with_insights)
    summary = c.http.get("/_sim/requests").json()["summary"]
    assert summary == {"round_trips": 1, "counted_calls": 1 + len(with_insights)}


# --- batch, counting, rate limits ------------------------------------------------------------------

def test_batch_semantics_and_counting(c):
    a, b = c.world["accounts"][0], c.world["accounts"][-1]
    ops = [{"method": "GET", "relative_url": f"v24.0/{a['id']}?fields=followers_count"},
           {"method": "GET", "relative_url": f"{a['id']}/insights?metric=bogus&period=day"},
           {"method": "GET", "relative_url": f"v23.0/{b['id']}?fields=username&access_token={c.token(b['id'])}"}]
    r = c.http.post("/v24.0/", data={"access_token": c.token(a["id"]), "batch": json.dumps(ops),
                                     "include_headers": "true"})
    assert r.status_code == 200
    items = r.json()
    assert [i["code"] for i in items] == [200, 400, 200]
    assert isinstance(items[0]["body"], str) and "followers_count" in json.loads(items[0]["body"])
    assert json.loads(items[1]["body"])["error"]["code"] == 100
    assert any(h["name"] == "X-Business-Use-Case-Usage" for h in items[0]["headers"])
    assert json.loads(items[2]["body"])["username"] == b["username"]
    no_headers = c.http.post("/", data={"access_token": c.token(a["id"]), "batch": json.dumps(ops[:1]),
                                        "include_headers": "false"}).json()
    assert "headers" not in no_headers[0]
    summary = c.http.get("/_sim/requests").json()
    assert summary["summary"] == {"round_trips": 2, "counted_calls": 4}
    logged = json.dumps(summary["requests"])
    assert c.token(a["id"]) not in logged and c.token(b["id"]) not in logged
    too_many = c.http.post("/v24.0/", data={"access_token": c.token(a["id"]), "batch": json.dumps(ops * 17)})
    assert too_many.status_code == 400 and "50" in too_many.json()["error"]["message"]
    bad = c.http.post("/v24.0/", data={"access_token": c.token(a["id"]), "batch": "[{not json"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == 100


# --- faults ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,code,subcode,status", [
    ("transient_1", 1, None, 500), ("transient_2", 2, None, 500), ("rate_limit_4", 4, None, 403),
    ("rate_limit_17", 17, None, 400), ("rate_limit_32", 32, None, 400), ("rate_limit_613", 613, None, 400),
    ("rate_limit_80002", 80002, None, 400), ("token_expired", 190, 463, 400),
    ("token_password_changed", 190, 460, 400), ("token_revoked", 190, 467, 400), ("permission_10", 10, None, 400),
    ("permission_200", 200, None, 400)])
def test_error_faults(c, kind, code, subcode, status):
    a = big(c)
    c.http.post("/_sim/faults", json={"kind": kind, "account": a["id"], "count": 1})
    r = c.get(f"/v24.0/{a['id']}", a["id"], fields="id")
    assert r.status_code == status and r.json()["error"]["code"] == code
    assert r.json()["error"].get("error_subcode") == subcode
    assert c.get(f"/v24.0/{a['id']}", a["id"], fields="id").status_code == 200


def test_transport_faults_and_batch_null(c):
    a, other = big(c), c.world["accounts"][0]
    for kind in ("malformed_json", "truncated_page"):
        c.http.post("/_sim/faults", json={"kind": kind, "account": a["id"], "count": 1})
        r = c.get(f"/v24.0/{a['id']}/media", a["id"], fields="id")
        with pytest.raises(ValueError):
            json.loads(r.text)
    c.http.post("/_sim/faults", json={"kind": "reset", "account": a["id"], "count": 1})
    with pytest.raises(httpx.HTTPError):
        c.get(f"/v24.0/{a['id']}", a["id"], fields="id")
    c.http.post("/_sim/faults", json={"kind": "hang", "account": a["id"], "count": 1})
    with pytest.raises(httpx.ReadTimeout):
        c.http.get(f"/v24.0/{a['id']}", params={"access_token": c.token(a["id"])}, timeout=0.3)
    fid = c.http.post("/_sim/faults", json={"kind": "batch_null", "account": a["id"]}).json()["id"]
    ops = [{"method": "GET", "relative_url": f"{a['id']}?fields=id"},
           {"method": "GET", "relative_url": f"{other['id']}?fields=id&access_token={c.token(other['id'])}"}]
    items = c.http.post("/v24.0/", data={"access_token": c.token(a["id"]), "batch": json.dumps(ops)}).json()
    assert items[0] is None and items[1]["code"] == 200
    assert any(f["id"] == fid for f in c.http.get("/_sim/faults").json()["faults"])
    assert c.http.delete(f"/_sim/faults/{fid}").status_code == 200


def test_unsupported_metric_fault_rejects_one_metric(c):
    a = big(c)
    c.http.post("/_sim/faults", json={"kind": "unsupported_metric", "account": a["id"]})
    reel = _media(c, a, "REELS")[0]
    err = c.error(c.get(f"/v24.0/{reel['id']}/insights", a["id"], metric="reach,views"))
    assert "views" in err["message"]
    assert c.get(f"/v24.0/{reel['id']}/insights", a["id"], metric="reach").status_code == 200


# --- OAuth -----------------------------------------------------------------------------------------

def test_dialog_allow_code_exchange_and_long_token(c, server):
    sim = server.app.state.sim
    user = c.world["fb_users"][0]
    redirect = "http://127.0.0.1:9999/cb"
    q = {"client_id": sim.app_id, "redirect_uri": redirect, "state": "xyz", "scope": "instagram_basic",
         "sim_user": user["id"]}
    page = c.http.get("/v24.0/dialog/oauth", params=q)
    assert page.status_code == 200 and page.text.count("<form") == 1 and "selected" in page.text
    form = {"client_id": sim.app_id, "redirect_uri": redirect, "state": "xyz", "scope": "instagram_basic",
            "fb_user": user["id"], "decision": "allow"}
    r = c.http.post("/v24.0/dialog/oauth", data=form)
    assert r.status_code == 302
    loc = urlsplit(r.headers["location"])
    qs = parse_qs(loc.query)
    assert loc.netloc == "127.0.0.1:9999" and qs["state"] == ["xyz"]
    ex = {"client_id": sim.app_id, "client_secret": sim.app_secret, "redirect_uri": redirect, "code": qs["code"][0]}
    wrong = c.http.get("/v24.0/oauth/access_token", params=ex | {"redirect_uri": redirect + "/"})
    assert wrong.status_code == 400
    tok = c.http.get("/v24.0/oauth/access_token", params=ex).json()
    assert tok["token_type"] == "bearer" and 3600 <= tok["expires_in"] <= 7200
    again = c.http.get("/v24.0/oauth/access_token", params=ex)
    assert again.status_code == 400 and "used" in again.json()["error"]["message"]
    long = c.http.get("/v24.0/oauth/access_token", params={
        "grant_type": "fb_exchange_token", "client_id": sim.app_id, "client_secret": sim.app_secret,
        "fb_exchange_token": tok["access_token"]}).json()
    assert long["expires_in"] > 50 * 86400 and long["access_token"] != tok["access_token"]
    me = c.http.get("/v24.0/me", params={"access_token": long["access_token"]}).json()
    assert me["id"] == user["id"]
    app_token = f"{sim.app_id}|{sim.app_secret}"
    dbg = c.http.get("/v24.0/debug_token", params={"input_token": long["access_token"],
                                                   "access_token": app_token}).json()["data"]
    assert dbg["is_valid"] and dbg["type"] == "USER" and dbg["user_id"] == user["id"]
    bad = c.http.get("/v24.0/debug_token", params={"input_token": "nope", "access_token": app_token})
    assert bad.status_code == 200 and bad.json()["data"]["is_valid"] is False and "error" in bad.json()["data"]


def test_dialog_deny_and_blocked_redirects(c, server):
    sim = server.app.state.sim
    redirect = "http://localhost:9999/cb?x=1"
    r = c.http.post("/v24.0/dialog/oauth", data={"client_id": sim.app_id, "redirect_uri": redirect, "state": "s",
                                                 "fb_user": c.world["fb_users"][0]["id"], "decision": "deny"})
    qs = parse_qs(urlsplit(r.headers["location"]).query)
    assert qs["error"] == ["access_denied"] and qs["error_reason"] == ["user_denied"] and qs["state"] == ["s"]
    assert qs["x"] == ["1"]
    assert c.http.get("/v24.0/dialog/oauth", params={"client_id": "123", "redirect_uri": redirect}).status_code == 400
    evil = c.http.get("/v24.0/dialog/oauth", params={"client_id": sim.app_id, "redirect_uri": "https://evil.example/"})
    assert evil.status_code == 400 and "location" not in evil.headers


def test_ig_login_exchange_and_refresh(c, server):
    sim = server.app.state.sim
    a = big(c)
    short = c.http.post("/_sim/tokens", json={"ig_user_id": a["id"], "kind": "ig_login"}).json()["access_token"]
    me = c.http.get("/v24.0/me", params={"access_token": short, "fields": "user_id,username"}).json()
    assert me["user_id"] == a["id"]
    long = c.http.get("/access_token", params={"grant_type": "ig_exchange_token", "client_secret": sim.app_secret,
                                               "access_token": short}).json()
    assert long["expires_in"] == 5183944
    early = c.http.get("/refresh_access_token", params={"grant_type": "ig_refresh_token",
                                                        "access_token": long["access_token"]})
    assert early.status_code == 400
    c.http.post("/_sim/clock", json={"advance": 25 * 3600})
    later = c.http.get("/refresh_access_token", params={"grant_type": "ig_refresh_token",
                                                        "access_token": long["access_token"]})
    assert later.status_code == 200 and later.json()["access_token"] != long["access_token"]


def test_expired_token_and_revocation(c):
    a = c.world["accounts"][-2]
    tok = c.http.post("/_sim/tokens", json={"ig_user_id": a["id"], "kind": "short"}).json()["access_token"]
    c.http.post("/_sim/clock", json={"advance": 2 * 3600})
    err = c.error(c.http.get(f"/v24.0/{a['id']}", params={"access_token": tok}))
    assert (err["code"], err["error_subcode"]) == (190, 463)
    fresh = c.http.post("/_sim/tokens", json={"ig_user_id": a["id"]}).json()["access_token"]
    c.http.post("/_sim/revoke", json={"ig_user_id": a["id"]})
    err = c.error(c.http.get(f"/v24.0/{a['id']}", params={"access_token": fresh}))
    assert (err["code"], err["error_subcode"]) == (190, 467)
    c.tokens.clear()
    c.http.post("/_sim/clock", json={"advance": 1})


def test_appsecret_proof_both_forms(c, server):
    import hashlib
    import hmac
    import time
    sim = server.app.state.sim
    a = big(c)
    tok = c.token(a["id"])
    c.http.post("/_sim/config", json={"require_appsecret_proof": True})
    assert c.http.get(f"/v24.0/{a['id']}", params={"access_token": tok}).status_code == 400
    classic = hmac.new(sim.app_secret.encode(), tok.encode(), hashlib.sha256).hexdigest()
    assert c.http.get(f"/v24.0/{a['id']}", params={"access_token": tok, "appsecret_proof": classic}).status_code == 200
    t = str(int(time.time()))
    timed = hmac.new(sim.app_secret.encode(), f"{tok}|{t}".encode(), hashlib.sha256).hexdigest()
    assert c.http.get(f"/v24.0/{a['id']}", params={"access_token": tok, "appsecret_proof": timed,
                                                   "appsecret_time": t}).status_code == 200


# --- admin, determinism, webhooks ------------------------------------------------------------------

def test_clock_and_added_accounts(c):
    clock = c.http.get("/_sim/clock").json()
    assert clock["epoch"] == int(NOW)
    c.http.post("/_sim/clock", json={"advance": 60})
    assert c.http.get("/_sim/clock").json()["epoch"] == int(NOW) + 60
    added = c.http.post("/_sim/accounts", json={"media_total": 40, "media_last_30_days": 10, "followers": 500}).json()
    node = c.http.get(f"/v24.0/{added['ig_user_id']}", params={
        "access_token": added["access_token"], "fields": "followers_count,media_count"}).json()
    assert abs(node["followers_count"] - 500) < 20 and 15 <= node["media_count"] <= 80


def test_same_seed_same_bytes():
    def capture():
        with SimulatorServer(SimConfig(accounts=4, seed=3, start=START, frozen=True)) as srv:
            http = httpx.Client(base_url=srv.url)
            world = http.get("/_sim/world").text
            ig = json.loads(world)["accounts"][1]["id"]
            tok = http.post("/_sim/tokens", json={"ig_user_id": ig}).json()["access_token"]
            out = [world, tok]
            for path, params in ((f"/v24.0/{ig}/media", {"fields": "id,caption,media_url,like_count", "limit": 50}),
                                 (f"/v24.0/{ig}/insights", {"metric": "reach", "period": "day"}),
                                 (f"/v24.0/{ig}", {"fields": "followers_count,media_count"})):
                body = http.get(path, params=params | {"access_token": tok}).content
                out.append(body.replace(srv.url.encode(), b"http://sim"))
            return out
    assert capture() == capture()


def test_webhook_delivery_is_signed(c, server):
    import hashlib
    import hmac

    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route
    received = []

    async def hook(request):
        received.append((await request.body(), request.headers["x-hub-signature-256"]))
        return Response("ok")

    sim = server.app.state.sim
    # a tiny receiver on loopback
    import threading

    import uvicorn
    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    srv.install_signal_handlers = lambda: None
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    th = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    th.start()
    while not srv.started:
        pass
    try:
        a = big(c)
        sent = c.http.post("/_sim/webhooks/deliver", json={"url": f"http://127.0.0.1:{port}/hook",
                                                           "ig_user_id": a["id"]}).json()["sent"]
        assert sent == len(received) > 0
        raw, sig = received[0]
        assert sig == "sha256=" + hmac.new(sim.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        value = json.loads(raw)["entry"][0]["changes"][0]["value"]
        assert all(v == -1 or v >= 5 for k, v in value.items() if k != "media_id")
        again = c.http.post("/_sim/webhooks/deliver", json={"url": f"http://127.0.0.1:{port}/hook",
                                                            "ig_user_id": a["id"]}).json()
        assert again["sent"] == 0
    finally:
        srv.should_exit = True
        th.join(5)


def test_instagram_login_authorize_and_code_exchange(c, server):
    sim = server.app.state.sim
    a = big(c)
    redirect = "http://127.0.0.1:9999/ig"
    page = c.http.get("/oauth/authorize", params={"client_id": sim.app_id, "redirect_uri": redirect,
                                                  "response_type": "code", "state": "s1"})
    assert page.status_code == 200 and page.text.count("<form") == 1
    r = c.http.post("/oauth/authorize", data={"client_id": sim.app_id, "redirect_uri": redirect, "state": "s1",
                                              "ig_user": a["id"], "decision": "allow"})
    location = r.headers["location"]
    assert location.endswith("#_")
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {"client_id": sim.app_id, "client_secret": sim.app_secret, "grant_type": "authorization_code",
            "redirect_uri": redirect, "code": code}
    body = c.http.post("/oauth/access_token", data=form).json()
    assert body["data"][0]["user_id"] == a["id"]
    again = c.http.post("/oauth/access_token", data=form)
    assert again.status_code == 400 and again.json() == {
        "error_type": "OAuthException", "code": 400, "error_message": "Matching code was not found or was already used"}


def test_business_discovery_uses_platform_limits(c):
    a, target = big(c), c.world["accounts"][3]
    fields = f"business_discovery.username({target['username']}){{username,followers_count,media.limit(3){{id}}}}"
    r = c.get(f"/v24.0/{a['id']}", a["id"], fields=fields)
    body = r.json()["business_discovery"]
    assert body["username"] == target["username"] and len(body["media"]["data"]) == 3
    assert "x-business-use-case-usage" not in r.headers and "x-app-usage" in r.headers
    err = c.error(c.get(f"/v24.0/{a['id']}", a["id"], fields="business_discovery.username(nobody){id}"))
    assert err["code"] == 110
