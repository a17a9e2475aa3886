"""Instagram Login, the cases test_instagram_login.py leaves out: forged or edited state, state from
another browser, a Facebook state presented with an Instagram code, personal accounts, missing
permissions, and a token obtained through the flow being refreshable by the token upkeep."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import httpx
import sqlalchemy as sa

from ig_pipeline.connections.crypto import TokenCipher
from ig_pipeline.connections.lifecycle import token_upkeep
from ig_pipeline.demo.connect import _FormParser
from ig_pipeline.graph.resource import InstagramGraphAPI

CONNECTIONS = "SELECT * FROM instagram_connection"


def _link(oauth, owner: str = "tenant-ig") -> str:
    return oauth.link(owner) + "&login=instagram"


def _authorize(http: httpx.Client, link: str, ig_user: str, **override: str) -> str:
    """Open the link, answer the simulator's Instagram authorize page with Allow; the callback URL."""
    authorize = http.get(link, follow_redirects=True)
    assert authorize.status_code == 200 and "/oauth/authorize" in str(authorize.url), authorize.text[:300]
    form = _FormParser()
    form.feed(authorize.text)
    answer = http.post(urljoin(str(authorize.url), form.action),
                       data=dict(form.fields) | {"ig_user": ig_user, "decision": "allow"} | override)
    assert answer.status_code in (302, 303), answer.text[:300]
    return answer.headers["location"]


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url.split("#")[0]).query).items()}


def _callback(oauth, **params: str) -> str:
    return f"{oauth.url}/instagram/callback?{urlencode(params)}"


def _professional(oauth) -> str:
    return next(a["id"] for a in oauth.world["accounts"] if a["account_type"] in ("BUSINESS", "MEDIA_CREATOR"))


def test_forged_and_edited_states_are_refused_before_any_exchange(oauth):
    account = _professional(oauth)
    with httpx.Client() as http:
        params = _query(_authorize(http, _link(oauth), account))
        state = params["state"]
        # A state of our own making, and the real one with its payload edited (login type, owner).
        payload, _, rest = state.partition(".")
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        edited = body | {"login": "facebook", "owner": "someone-else"}
        edited_b64 = base64.urlsafe_b64encode(json.dumps(edited, separators=(",", ":")).encode()).rstrip(b"=")
        forged = [
            "eyJvd25lciI6InRlbmFudC1pZyJ9.AAAAAA.bm90LWEtc2lnbmF0dXJl",
            edited_b64.decode() + "." + rest,
            state[:-2] + ("AA" if not state.endswith("AA") else "BB"),
        ]
        responses = [http.get(_callback(oauth, code=params["code"], state=s)) for s in forged]
        # The code was never spent on a forged state: the genuine callback still succeeds.
        genuine = http.get(_callback(oauth, code=params["code"], state=state))
    for response in responses:
        assert response.status_code == 400 and "tampered with or is not ours" in response.text
        assert params["code"] not in response.text
    assert genuine.status_code == 200 and "Instagram Login" in genuine.text
    [row] = oauth.rows(CONNECTIONS)
    assert (row["owner_id"], row["login_type"]) == ("tenant-ig", "instagram")


def test_missing_state_and_state_from_another_browser_write_nothing(oauth):
    account = _professional(oauth)
    with httpx.Client() as http:
        params = _query(_authorize(http, _link(oauth), account))
    with httpx.Client() as other_browser:
        other = other_browser.get(_callback(oauth, code=params["code"], state=params["state"]))
        missing = other_browser.get(_callback(oauth, code=params["code"]))
    assert other.status_code == 400 and "another browser" in other.text
    assert missing.status_code == 400 and "no state" in missing.text
    assert oauth.rows(CONNECTIONS) == []


def test_the_login_type_comes_from_the_state_not_from_the_code_or_the_url(oauth):
    """A Facebook state sends the code down the Facebook exchange and an Instagram state down the
    Instagram one, whatever the URL says; a code of the other kind is refused and nothing is written."""
    account = _professional(oauth)
    fb_user = oauth.user("linked")
    with httpx.Client() as http:
        ig_code = _query(_authorize(http, _link(oauth), account))["code"]
        fb_start = http.get(oauth.link("tenant-ig"))
        assert "/dialog/oauth?" in fb_start.headers["location"]
        fb_state = _query(fb_start.headers["location"])["state"]
        fb_state_ig_code = http.get(_callback(oauth, code=ig_code, state=fb_state, login="instagram"))
        # The other way round: a Facebook dialog code under an Instagram state.
        dialog = http.get(oauth.link("tenant-ig"), follow_redirects=True)
        form = _FormParser()
        form.feed(dialog.text)
        fb_code = _query(http.post(urljoin(str(dialog.url), form.action),
                                   data=dict(form.fields) | {"fb_user": fb_user, "decision": "allow"}
                                   ).headers["location"])["code"]
        ig_state = _query(http.get(_link(oauth)).headers["location"])["state"]
        ig_state_fb_code = http.get(_callback(oauth, code=fb_code, state=ig_state, login="facebook"))
    assert ig_state_fb_code.status_code == 400 and "invalid, expired or was already used" in ig_state_fb_code.text
    assert fb_state_ig_code.status_code == 400 and "invalid, expired or was already used" in fb_state_ig_code.text
    for response, code in ((fb_state_ig_code, ig_code), (ig_state_fb_code, fb_code)):
        assert code not in response.text
    assert oauth.rows(CONNECTIONS) == []


def test_personal_instagram_accounts_are_refused_with_the_explanation(oauth, caplog):
    caplog.set_level(logging.DEBUG)
    personal = httpx.post(f"{oauth.sim_url}/_sim/accounts", json={"account_type": "PERSONAL"}).json()["ig_user_id"]
    with httpx.Client() as http:
        location = _authorize(http, _link(oauth), personal)
        result = http.get(location)
    assert result.status_code == 400 and "personal account" in result.text
    assert "Business and Creator" in result.text
    assert _query(location)["code"] not in result.text
    assert "IGAA" not in result.text and "IGAA" not in caplog.text
    assert oauth.rows(CONNECTIONS) == []


def test_unticked_insights_permission_is_refused(oauth):
    with httpx.Client() as http:
        result = http.get(_authorize(http, _link(oauth), _professional(oauth), scope="instagram_business_basic"))
    assert result.status_code == 403 and "Missing permissions" in result.text
    assert oauth.rows(CONNECTIONS) == []


def test_unticked_comments_permission_still_connects(oauth):
    """Comments are optional: without the permission only that account's comments sync fails."""
    with httpx.Client() as http:
        result = http.get(_authorize(http, _link(oauth), _professional(oauth),
                                     scope="instagram_business_basic,instagram_business_manage_insights"))
    assert result.status_code == 200, result.text[:300]
    [row] = oauth.rows(CONNECTIONS)
    assert "instagram_business_manage_comments" not in row["scopes"]


def test_the_token_stored_by_instagram_login_is_refreshed_by_the_upkeep(oauth, caplog):
    caplog.set_level(logging.DEBUG)
    with httpx.Client() as http:
        assert http.get(_authorize(http, _link(oauth), _professional(oauth))).status_code == 200
    [row] = oauth.rows(CONNECTIONS)
    cipher = TokenCipher.from_settings(oauth.settings)
    original = cipher.decrypt(row["token_encrypted"])
    # 50 days later on both clocks: the token is older than 24 h, not expired, within the refresh window.
    httpx.post(f"{oauth.sim_url}/_sim/clock", json={"advance": 50 * 86400}).raise_for_status()
    now = row["token_refreshed_at"] + timedelta(days=50)
    engine = sa.create_engine(oauth.database_url)

    async def run():
        api = InstagramGraphAPI(base_url=oauth.sim_url, instagram_base_url=oauth.sim_url, app_secret=None)
        async with api.client() as client:
            with engine.begin() as conn:
                return await token_upkeep(conn, client, cipher, now)

    try:
        report = asyncio.run(run())
    finally:
        engine.dispose()
    assert report == {"refreshed": 1, "flagged": 0, "failed": 0}
    [after] = oauth.rows(CONNECTIONS)
    fresh = cipher.decrypt(after["token_encrypted"])
    assert after["status"] == "active" and fresh != original
    assert after["token_refreshed_at"] == now and after["token_expires_at"] - now > timedelta(days=59)
    assert original not in caplog.text and fresh not in caplog.text
    # The refreshed token works on the Instagram graph host.
    me = httpx.get(f"{oauth.sim_url}/me", params={"fields": "user_id,username", "access_token": fresh})
    assert me.status_code == 200 and me.json()["user_id"] == after["ig_user_id"]
