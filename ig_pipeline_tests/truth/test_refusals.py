"""Each NULL the truth suite accepts is a value the Graph API really does not serve at that instant:
every reason of /_sim/truth/refusals and of expected.REFUSED is shown here on the API itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ig_pipeline.simulator import SimConfig
from ig_pipeline.simulator.server import SimulatorServer
from ig_pipeline_tests.truth.expected import REFUSED

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
V = "v24.0"


@pytest.fixture(scope="module")
def api():
    with SimulatorServer(SimConfig(accounts=3, seed=41, start=START, frozen=True, media_per_account=200)) as sim:
        http = httpx.Client(base_url=sim.url, timeout=60)
        http.post("/_sim/accounts", json={"media_total": 200, "media_last_30_days": 10,
                                          "converted_days_ago": 200}).raise_for_status()
        # 20 followers: its stories reach fewer than 5 accounts
        http.post("/_sim/accounts", json={"followers": 20, "media_total": 30}).raise_for_status()
        yield sim, http
        http.close()


def _token(http, ig: str) -> str:
    return http.post("/_sim/tokens", json={"ig_user_id": ig}).json()["access_token"]


def _media_by_reason(http) -> dict[str, tuple[str, str, str, float]]:
    """reason -> (account, media id, metric, instant) of one media the truth says is refused for that
    reason at that instant: posts now, stories at instants every 3 hours of the last 5 days."""
    found = {}
    now = START.timestamp()
    for account in http.get("/_sim/world").json()["accounts"]:
        items = [{"media_id": m["media_id"], "at": now} for m in http.get(
            f"/_sim/truth/account/{account['id']}/media", params={"since": 0}).json()["data"]]
        for k in range(40):
            at = now - k * 3 * 3600
            for story in http.get(f"/_sim/truth/account/{account['id']}/stories", params={"at": at}).json()["data"]:
                items += [{"media_id": story, "at": at}, {"media_id": story, "at": now}]  # live, then maybe expired
        for answer in http.post("/_sim/truth/media", json={"items": items}).json()["media"]:
            for metric, entry in (answer or {}).get("insights", {}).items():
                if "refused" in entry:
                    found.setdefault(entry["refused"], (account["id"], answer["media_id"], metric, answer["at"]))
    return found


def test_every_media_refusal_is_what_the_api_answers(api):
    sim, http = api
    refusals = http.get("/_sim/truth/refusals").json()["refusals"]
    found = _media_by_reason(http)
    assert set(found) == set(refusals), f"no example media for {set(refusals) - set(found)}"
    for reason, (account, media_id, metric, at) in found.items():
        http.post("/_sim/clock", json={"set": at}).raise_for_status()
        response = http.get(f"/{V}/{media_id}/insights", params={"metric": metric,
                                                                 "access_token": _token(http, account)})
        body = response.json()
        if reason in ("older_than_two_years", "story_expired"):
            assert response.status_code == 200 and body["data"] == [], (reason, body)
            continue
        error = body["error"]
        assert response.status_code == 400, (reason, body)
        if reason == "pre_conversion":
            assert error.get("error_subcode") == 2108006
        elif reason == "below_5_viewers":
            assert error["code"] == 10
        elif reason == "not_shared_to_facebook":
            assert "shared to Facebook" in error["message"]
        else:
            assert error["code"] == 100 and metric in error["message"], (reason, error)
    http.post("/_sim/clock", json={"set": START.timestamp()}).raise_for_status()


def test_account_refusals_are_what_the_api_answers(api):
    sim, http = api
    assert set(REFUSED) == {"no_historical_counts", "follower_count_30_days", "retired_metric"}
    account = http.get("/_sim/world").json()["accounts"][0]["id"]
    token = _token(http, account)
    # no_historical_counts: the node has no "as of" parameter; a past day's counts cannot be asked for
    now = http.get(f"/{V}/{account}", params={"fields": "followers_count", "access_token": token}).json()
    past = http.get(f"/{V}/{account}", params={"fields": "followers_count", "access_token": token,
                                              "since": int((START - timedelta(days=10)).timestamp()),
                                              "until": int((START - timedelta(days=9)).timestamp())}).json()
    assert past["followers_count"] == now["followers_count"]
    # follower_count_30_days
    old = http.get(f"/{V}/{account}/insights", params={
        "metric": "follower_count", "period": "day", "metric_type": "time_series", "access_token": token,
        "since": int((START - timedelta(days=40)).timestamp()), "until": int((START - timedelta(days=35)).timestamp())})
    assert old.status_code == 400 and "30 days" in old.json()["error"]["message"]
    # retired_metric
    retired = http.get(f"/{V}/{account}/insights", params={"metric": "impressions", "period": "day",
                                                            "access_token": token})
    assert retired.status_code == 400 and "impressions" in retired.json()["error"]["message"]
