"""Business Use Case rate limits as Meta documents them for Instagram: 4800 × the account's
impressions per rolling 24 h, each call (and each batch item) counted once, usage in
``X-Business-Use-Case-Usage`` as integer percentages, 80002 with the minutes until the window frees."""

from __future__ import annotations

import json

from ig_pipeline_tests.simulator.test_contract import big, small

FEED_METRICS = "reach,views,likes,comments,saved,shares,total_interactions,follows,profile_visits"
REELS_METRICS = "reach,views,likes,comments,saved,shares,total_interactions,ig_reels_avg_watch_time"


def usage(response, ig: str) -> dict:
    return json.loads(response.headers["x-business-use-case-usage"])[ig][0]


def test_full_read_of_a_600_post_account_is_not_refused(c):
    """A conventional connector: the listing, then one insights call per post (in batches of 50)."""
    added = c.http.post("/_sim/accounts", json={"media_total": 600, "media_last_30_days": 20,
                                                "followers": 5000}).json()
    ig, token = added["ig_user_id"], added["access_token"]
    media, after, pages = [], None, 0
    while True:
        pages += 1
        page = c.http.get(f"/v24.0/{ig}/media", params={"access_token": token, "limit": 100,
                                                        "fields": "id,media_product_type"} | (
            {"after": after} if after else {}))
        assert page.status_code == 200, page.text
        media += page.json()["data"]
        after = page.json().get("paging", {}).get("cursors", {}).get("after")
        if "next" not in page.json().get("paging", {}):
            break
    assert len(media) > 520  # the world draws the posts at random around the asked-for total
    codes = []
    for start in range(0, len(media), 50):
        ops = [{"method": "GET", "relative_url": f"{m['id']}/insights?metric="
                f"{REELS_METRICS if m['media_product_type'] == 'REELS' else FEED_METRICS}"}
               for m in media[start:start + 50]]
        r = c.http.post("/v24.0/", data={"access_token": token, "batch": json.dumps(ops)})
        codes += [json.loads(item["body"]).get("error", {}).get("code") for item in r.json()]
    assert 80002 not in codes
    state = c.http.get(f"/_sim/buc/{ig}").json()
    assert state["calls"] == pages + len(media)  # every batch item is metered, the outer POST is not
    last = c.http.get(f"/v24.0/{ig}", params={"access_token": token, "fields": "id"})
    assert usage(last, ig)["call_count"] == (state["calls"] + 1) * 100 // state["calls_limit"] < 100


def test_budget_is_calls_per_impression_and_80002_says_when_the_window_frees(c):
    quiet, busy = small(c), big(c)
    c.http.post("/_sim/config", json={"buc_calls_per_impression": 1})
    quiet_state = c.http.get(f"/_sim/buc/{quiet['id']}").json()
    busy_state = c.http.get(f"/_sim/buc/{busy['id']}").json()
    assert quiet_state["calls_limit"] == max(1, quiet_state["impressions_24h"])
    assert busy_state["calls_limit"] == busy_state["impressions_24h"] > 10 * quiet_state["calls_limit"]
    limit, earlier = quiet_state["calls_limit"], quiet_state["calls"]  # other tests called it this hour too
    for n in range(earlier + 1, limit + 1):
        r = c.get(f"/v24.0/{quiet['id']}", quiet["id"], fields="id")
        assert r.status_code == 200
        header = usage(r, quiet["id"])
        assert header["type"] == "instagram" and header["call_count"] == n * 100 // limit
        assert all(isinstance(header[k], int) for k in ("call_count", "total_cputime", "total_time",
                                                         "estimated_time_to_regain_access"))
    refused = c.get(f"/v24.0/{quiet['id']}", quiet["id"], fields="id")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 80002
    minutes = usage(refused, quiet["id"])["estimated_time_to_regain_access"]
    assert 23 * 60 <= minutes <= 24 * 60  # every call fell in this hour: free again once it leaves the window
    for _ in range(limit + 5):  # the same number of calls on a busy account is nowhere near its budget
        assert c.get(f"/v24.0/{busy['id']}", busy["id"], fields="id").status_code == 200
    c.http.post("/_sim/clock", json={"advance": minutes * 60})
    assert c.get(f"/v24.0/{quiet['id']}", quiet["id"], fields="id").status_code == 200


def test_batch_items_are_metered_each(c):
    a = big(c)
    before = c.http.get(f"/_sim/buc/{a['id']}").json()["calls"]
    ops = [{"method": "GET", "relative_url": f"{a['id']}?fields=id"}] * 10
    r = c.http.post("/v24.0/", data={"access_token": c.token(a["id"]), "batch": json.dumps(ops)})
    assert r.status_code == 200 and all(item["code"] == 200 for item in r.json())
    assert c.http.get(f"/_sim/buc/{a['id']}").json()["calls"] == before + 10
    assert a["id"] in json.loads(r.headers["x-business-use-case-usage"])


def test_instagram_calls_do_not_use_the_apps_platform_budget(c):
    """Meta: Instagram Platform requests are BUC-limited; only Business Discovery and hashtag search
    count toward the app's hourly Platform budget (X-App-Usage). Far more ordinary calls than that
    budget allows are neither refused nor reported as app usage."""
    a = big(c)
    c.http.post("/_sim/clock", json={"advance": 20 * 86400 + 7 * 3600})  # an hour no other test used
    c.http.post("/_sim/config", json={"platform_calls_per_user_hour": 1})  # budget: one call per account
    try:
        budget = len(c.world["accounts"])
        seen = []
        for _ in range(budget + 5):
            r = c.get(f"/v24.0/{a['id']}", a["id"], fields="id,media_count")
            assert r.status_code == 200, r.text
            seen.append(json.loads(r.headers["x-app-usage"])["call_count"])
        assert seen == [0] * len(seen)
        ops = [{"method": "GET", "relative_url": f"{a['id']}?fields=id"}] * 10
        r = c.http.post("/v24.0/", data={"access_token": c.token(a["id"]), "batch": json.dumps(ops)})
        assert all(item["code"] == 200 for item in r.json())
        assert json.loads(r.headers["x-app-usage"])["call_count"] == 0
    finally:
        c.http.post("/_sim/config", json={"platform_calls_per_user_hour": 200})
