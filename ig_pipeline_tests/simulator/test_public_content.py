"""Business Discovery and hashtag search over HTTP: public competitors (age-gated, personal, hidden likes),
the Platform limit, hashtag top/recent media against ground truth, and the 30-hashtags-in-7-days budget."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ig_pipeline_tests.simulator.conftest import START

MEDIA = "id,caption,media_type,media_product_type,timestamp,permalink,like_count,comments_count"
PROFILE = "username,name,biography,website,profile_picture_url,followers_count,follows_count,media_count"


def me(c) -> str:
    return c.world["accounts"][0]["id"]


def public(c, **want) -> list[dict]:
    world = c.http.get("/_sim/world").json()
    return [p for p in world["public_accounts"] if all(p[k] == v for k, v in want.items())]


def discover(c, ig: str, username: str, media: str = "media.limit(25)", token: str | None = None):
    fields = f"business_discovery.username({username}){{{PROFILE},{media}{{{MEDIA}}}}}"
    return c.get(f"/v24.0/{ig}", ig, fields=fields, **({"access_token": token} if token else {}))


def fresh_account(c) -> tuple[str, str]:
    body = c.http.post("/_sim/accounts", json={}).json()
    return body["ig_user_id"], body["access_token"]


def set_clock(c, when) -> None:
    c.http.post("/_sim/clock", json={"set": when.isoformat()})


def test_world_lists_public_accounts_and_hashtags(c):
    world = c.http.get("/_sim/world").json()
    kinds = {p["kind"] for p in world["public_accounts"]}
    assert {"AGE_GATED", "PERSONAL", "BUSINESS", "MEDIA_CREATOR"} <= kinds
    assert any(p["hides_some_like_counts"] and p["discoverable"] for p in world["public_accounts"])
    assert not any(p["discoverable"] for p in world["public_accounts"] if p["kind"] in ("AGE_GATED", "PERSONAL"))
    assert any(h["has_own_posts"] for h in world["hashtags"]) and any(h["name"] == "coffee" for h in world["hashtags"])


def test_business_discovery_matches_truth_and_hidden_likes_are_absent(c):
    ig = me(c)
    target = public(c, discoverable=True, hides_some_like_counts=True)[0]
    r = discover(c, ig, target["username"])
    assert r.status_code == 200, r.text
    body = r.json()["business_discovery"]
    truth = c.http.get(f"/_sim/truth/competitor/{target['username']}").json()["profile"]
    assert body["followers_count"] == truth["followers_count"] == target["followers_count"]
    assert body["media_count"] == truth["media_count"] and body["id"] == truth["id"]
    assert [m["id"] for m in body["media"]["data"]] == [m["id"] for m in truth["media"]["data"]]
    hidden = [m for m in truth["media"]["data"] if m["like_count_hidden"]]
    shown = [m for m in truth["media"]["data"] if not m["like_count_hidden"]]
    assert hidden and shown
    served = {m["id"]: m for m in body["media"]["data"]}
    for m in hidden:
        assert "like_count" not in served[m["id"]]  # absent, never 0
    for m in shown:
        assert served[m["id"]]["like_count"] == m["like_count"]
    assert "next" not in body["media"]["paging"] and body["media"]["paging"]["cursors"]["after"]
    assert "x-business-use-case-usage" not in r.headers
    assert set(json.loads(r.headers["x-app-usage"])) == {"call_count", "total_cputime", "total_time"}


def test_business_discovery_nested_cursor_paging(c):
    ig, target = me(c), public(c, discoverable=True)[1]["username"]
    first = discover(c, ig, target, "media.limit(4)").json()["business_discovery"]["media"]
    after = first["paging"]["cursors"]["after"]
    second = discover(c, ig, target, f"media.after({after}).limit(4)").json()["business_discovery"]["media"]
    truth = c.http.get(f"/_sim/truth/competitor/{target}", params={"media_limit": 8}).json()["profile"]["media"]
    assert [m["id"] for m in first["data"] + second["data"]] == [m["id"] for m in truth["data"]]


@pytest.mark.parametrize("kind", ["AGE_GATED", "PERSONAL", "unknown"])
def test_business_discovery_refuses_age_gated_personal_and_unknown(c, kind):
    username = "no.such.account" if kind == "unknown" else public(c, kind=kind)[0]["username"]
    err = c.error(discover(c, me(c), username))
    assert (err["code"], err["error_subcode"], err["message"]) == (110, 2207013, "Invalid user id")
    assert username in err["error_user_msg"]


def test_business_discovery_is_facebook_login_only(c):
    ig = me(c)
    ig_token = c.http.post("/_sim/tokens", json={"ig_user_id": ig, "kind": "ig_login"}).json()["access_token"]
    err = c.error(discover(c, ig, public(c, discoverable=True)[0]["username"], token=ig_token))
    assert err["code"] == 100 and "business_discovery" in err["message"]


def test_competitor_counts_move_day_to_day(c):
    ig, target = me(c), public(c, discoverable=True)[2]["username"]
    counts = []
    for days in (0, 1, 2, 3):
        set_clock(c, START + timedelta(days=days))
        counts.append(discover(c, ig, target, "media.limit(1)").json()["business_discovery"]["followers_count"])
    assert len(set(counts)) > 1


def test_business_discovery_platform_limit_gives_code_4(c):
    ig, target = me(c), public(c, discoverable=True)[0]["username"]
    set_clock(c, START + timedelta(days=20, hours=5))  # an hour nobody else has used
    c.http.post("/_sim/config", json={"platform_calls_per_user_hour": 1})
    try:
        usage, err = [], None
        for _ in range(200):
            r = discover(c, ig, target, "media.limit(1)")
            if r.status_code != 200:
                err = c.error(r)
                break
            usage.append(json.loads(r.headers["x-app-usage"])["call_count"])
        assert err is not None and err["code"] == 4 and r.status_code == 403
        assert usage == sorted(usage) and usage[-1] >= 90
    finally:
        c.http.post("/_sim/config", json={"platform_calls_per_user_hour": 200})


# --- hashtag search ------------------------------------------------------------------------------------

def search(c, ig: str, q: str, token: str):
    return c.http.get("/v24.0/ig_hashtag_search", params={"user_id": ig, "q": q, "access_token": token})


def test_hashtag_top_and_recent_media_match_truth(c):
    ig, token = fresh_account(c)
    hid = search(c, ig, "#Coffee", token).json()["data"][0]["id"]
    truth = c.http.get("/_sim/truth/hashtag/coffee").json()
    assert truth["id"] == hid and len(truth["top"]) > 50 and truth["recent"]
    fields = "id,caption,media_type,media_product_type,timestamp,permalink,like_count,comments_count,children{id}"
    served, after = [], None
    while True:
        params = {"user_id": ig, "fields": fields, "limit": 100, "access_token": token}
        r = c.http.get(f"/v24.0/{hid}/top_media", params={**params, **({"after": after} if after else {})})
        body = r.json()
        assert len(body["data"]) <= 50 and "before" not in body.get("paging", {}).get("cursors", {})
        served += body["data"]
        after = body.get("paging", {}).get("cursors", {}).get("after")
        if not after:
            break
    assert [m["id"] for m in served] == [m["id"] for m in truth["top"]]
    by_id = {m["id"]: m for m in truth["top"]}
    for m in served:
        assert m.get("like_count") == by_id[m["id"]].get("like_count") and "coffee" in m["caption"]
    recent = c.http.get(f"/v24.0/{hid}/recent_media", params={"user_id": ig, "fields": "id,timestamp",
                                                               "access_token": token}).json()["data"]
    assert [m["id"] for m in recent] == [m["id"] for m in truth["recent"]][:25]
    assert min(m["timestamp"] for m in recent) >= (START - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    err = c.error(c.http.get(f"/v24.0/{hid}/top_media", params={"user_id": ig, "fields": "id,username",
                                                                 "access_token": token}))
    assert err["code"] == 100 and "username" in err["message"]


def test_some_hashtag_media_are_our_own_accounts_posts(c):
    world = c.http.get("/_sim/world").json()
    own = [h["name"] for h in world["hashtags"] if h["has_own_posts"]]
    marked = [m for name in own for m in c.http.get(f"/_sim/truth/hashtag/{name}").json()["top"]
              if m["is_own_account"]]
    assert marked and all(m["owner_ig_user_id"] in {a["id"] for a in world["accounts"]} for m in marked)


def test_sensitive_and_emoji_hashtags_get_a_generic_error_and_cost_nothing(c):
    ig, token = fresh_account(c)
    for q in ("nsfw", "coffee☕", "#"):
        err = c.error(search(c, ig, q, token))
        assert err["code"] == 100
    assert c.http.get(f"/_sim/truth/hashtag_budget/{ig}").json()["used"] == 0


def test_hashtag_budget_thirty_unique_in_rolling_seven_days(c):
    ig, token = fresh_account(c)
    assert search(c, ig, "tag0", token).status_code == 200
    set_clock(c, START + timedelta(days=3))
    assert search(c, ig, "tag0", token).status_code == 200  # free again, and its timer is not reset
    for i in range(1, 30):
        assert search(c, ig, f"tag{i}", token).status_code == 200
    listed = c.http.get(f"/v24.0/{ig}/recently_searched_hashtags",
                        params={"limit": 30, "access_token": token}).json()["data"]
    assert len(listed) == 30
    err = c.error(search(c, ig, "one_too_many", token))
    assert err["code"] == 18 and not err["is_transient"]
    budget = c.http.get(f"/_sim/truth/hashtag_budget/{ig}").json()
    assert (budget["used"], budget["remaining"]) == (30, 0)
    assert budget["hashtags"][0]["name"] == "tag0" and budget["hashtags"][0]["frees_at"].startswith("2026-11-17")
    set_clock(c, START + timedelta(days=7, seconds=1))  # tag0 (first queried on day 0) frees up
    assert search(c, ig, "one_too_many", token).status_code == 200
    assert c.error(search(c, ig, "and_another", token))["code"] == 18
    assert search(c, ig, "tag5", token).status_code == 200  # still in the window: free


def test_hashtag_search_needs_facebook_login_and_a_visible_user(c):
    ig, token = fresh_account(c)
    ig_token = c.http.post("/_sim/tokens", json={"ig_user_id": ig, "kind": "ig_login"}).json()["access_token"]
    assert c.error(search(c, ig, "coffee", ig_token))["code"] == 100
    assert c.error(search(c, me(c), "coffee", token))["code"] == 100  # someone else's account
    assert c.error(c.http.get("/v24.0/ig_hashtag_search", params={"q": "coffee", "access_token": token}))[
        "code"] == 100
