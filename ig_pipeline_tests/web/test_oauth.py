"""The OAuth handler over real HTTP through the simulator's login dialog, and every bad input."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from urllib.parse import parse_qs, urljoin, urlparse

import httpx
import pytest
from itsdangerous.timed import TimestampSigner

from ig_pipeline.connections.crypto import TokenCipher
from ig_pipeline.demo.connect import _FormParser

CONNECTIONS = "SELECT * FROM instagram_connection"


def _to_dialog(http: httpx.Client, link: str) -> tuple[str, dict]:
    dialog = http.get(link, follow_redirects=True)
    form = _FormParser()
    form.feed(dialog.text)
    assert form.action is not None, dialog.text[:500]
    return urljoin(str(dialog.url), form.action), dict(form.fields)


def _callback_url(http: httpx.Client, link: str, fb_user: str, decision: str = "allow") -> str:
    """Click through the dialog, stop at the redirect back to our callback (not followed)."""
    action, fields = _to_dialog(http, link)
    answer = http.post(action, data=fields | {"fb_user": fb_user, "decision": decision})
    assert answer.status_code in (302, 303), answer.text[:300]
    return answer.headers["location"]


def _state_of(http: httpx.Client, link: str) -> str:
    start = http.get(link)
    assert start.status_code == 302
    return parse_qs(urlparse(start.headers["location"]).query)["state"][0]


def test_full_flow_connects_every_account_with_an_encrypted_token(oauth, caplog):
    caplog.set_level(logging.DEBUG)
    fb_user = oauth.user("linked")
    expected = {p["instagram_business_account"] for u in oauth.world["fb_users"] if u["id"] == fb_user
                for p in u["pages"] if p.get("instagram_business_account")}
    result = oauth.connect(fb_user)
    assert result.status_code == 200 and "Instagram connected" in result.text
    unlinked_pages = [p for u in oauth.world["fb_users"] if u["id"] == fb_user for p in u["pages"]
                      if not p.get("instagram_business_account")]
    if unlinked_pages:  # a Page without an Instagram account is skipped with an explanation
        assert "has no Instagram Business or Creator account linked" in result.text
    rows = oauth.rows(CONNECTIONS)
    assert {r["ig_user_id"] for r in rows} == expected
    cipher = TokenCipher.from_settings(oauth.settings)
    for row in rows:
        assert row["owner_id"] == "tenant-1" and row["status"] == "active" and row["login_type"] == "facebook"
        assert bytes(row["token_encrypted"]).startswith(b"gAAAA")  # Fernet
        token = cipher.decrypt(row["token_encrypted"])
        assert token.encode() not in bytes(row["token_encrypted"])
        assert token not in result.text and token not in caplog.text
        assert "instagram_manage_insights" in row["scopes"]
        assert row["data_access_expires_at"] is not None
    assert len(oauth.connect(fb_user).text) and len(oauth.rows(CONNECTIONS)) == len(expected)  # reconnect: no dupes


def test_user_without_pages_or_professional_account_gets_the_troubleshooting_page(oauth):
    result = oauth.connect(oauth.user("unlinked"))
    assert result.status_code == 400 and "Business or Creator" in result.text
    assert oauth.rows(CONNECTIONS) == []


def test_access_denied_writes_nothing(oauth):
    with httpx.Client() as http:
        location = _callback_url(http, oauth.link(), oauth.user("linked"), decision="deny")
        assert "error=access_denied" in location
        result = http.get(location)
    assert result.status_code == 400 and "declined" in result.text
    assert oauth.rows(CONNECTIONS) == []


@pytest.mark.parametrize("query", ["code=abc", "code=abc&state=forged.state.value", "state=&code="])
def test_missing_or_forged_state_is_refused(oauth, query):
    with httpx.Client() as http:
        http.get(oauth.link())  # a genuine cookie is present: the forged state must still fail
        result = http.get(f"{oauth.url}/instagram/callback?{query}")
    assert result.status_code == 400 and "Connection failed" in result.text
    assert oauth.rows(CONNECTIONS) == []


def test_state_from_another_browser_is_refused(oauth):
    with httpx.Client() as browser_a:
        location = _callback_url(browser_a, oauth.link(), oauth.user("linked"))
    with httpx.Client() as browser_b:
        result = browser_b.get(location)
    assert result.status_code == 400 and "another browser" in result.text
    assert oauth.rows(CONNECTIONS) == []


def test_replayed_callback_is_refused(oauth):
    with httpx.Client() as http:
        location = _callback_url(http, oauth.link(), oauth.user("linked"))
        assert http.get(location).status_code == 200
        before = oauth.rows(CONNECTIONS)
        replay = http.get(location)
    assert replay.status_code == 400 and "already used" in replay.text
    assert oauth.rows(CONNECTIONS) == before


def test_expired_state_is_refused(oauth, monkeypatch):
    with httpx.Client() as http:
        location = _callback_url(http, oauth.link(), oauth.user("linked"))
        real = TimestampSigner.get_timestamp
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + 601)
        result = http.get(location)
    assert result.status_code == 400 and "10 minutes" in result.text
    assert oauth.rows(CONNECTIONS) == []


def test_invalid_and_reused_codes_are_refused(oauth):
    with httpx.Client() as http:
        state = _state_of(http, oauth.link())
        bogus = http.get(f"{oauth.url}/instagram/callback", params={"code": "not-a-code", "state": state})
        assert bogus.status_code == 400 and "invalid" in bogus.text
        location = _callback_url(http, oauth.link(), oauth.user("linked"))
        assert http.get(location).status_code == 200
        used_code = parse_qs(urlparse(location).query)["code"][0]
        rows = oauth.rows(CONNECTIONS)
        state = _state_of(http, oauth.link())
        reused = http.get(f"{oauth.url}/instagram/callback", params={"code": used_code, "state": state})
    assert reused.status_code == 400 and "already used" in reused.text
    assert used_code not in reused.text
    assert oauth.rows(CONNECTIONS) == rows


def test_token_exchange_failing_with_5xx_writes_nothing(oauth):
    httpx.post(f"{oauth.sim_url}/_sim/faults", json={"kind": "transient_2", "path": "oauth/access_token"})
    result = oauth.connect(oauth.user("linked"))
    assert result.status_code == 502 and "try again" in result.text
    assert oauth.rows(CONNECTIONS) == []


def test_forged_and_expired_connect_links_are_refused(oauth, monkeypatch):
    forged = oauth.link().replace("link=", "link=x")
    assert httpx.get(forged).status_code == 403
    assert httpx.get(f"{oauth.url}/instagram/connect").status_code == 403
    link = oauth.link(ttl_s=60)
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + 120)
    result = httpx.get(link)
    assert result.status_code == 403 and "expired" in result.text


def test_no_open_redirect(oauth):
    result = httpx.get(oauth.link() + "&redirect_uri=https%3A%2F%2Fevil.example%2Fsteal&next=https://evil.example")
    location = result.headers["location"]
    assert urlparse(location).netloc == urlparse(oauth.sim_url).netloc
    assert parse_qs(urlparse(location).query)["redirect_uri"] == [f"{oauth.url}/instagram/callback"]


def _signed(body: bytes, secret: str) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def test_webhook_stores_story_insights_idempotently_with_withheld_values(oauth):
    oauth.connect(oauth.user("linked"))
    ig_user = oauth.rows(CONNECTIONS)[0]["ig_user_id"]
    payload = {"object": "instagram", "entry": [{"id": ig_user, "time": 1, "changes": [{
        "field": "story_insights", "value": {"media_id": "18020000000000001", "impressions": 28, "reach": 17,
                                             "taps_forward": 12, "taps_back": -1, "exits": -1, "replies": 0}}]}]}
    body = json.dumps(payload).encode()
    secret = oauth.settings.app_secret
    for _ in range(2):
        assert httpx.post(f"{oauth.url}/webhooks/instagram", content=body, headers=_signed(body, secret)).status_code == 200
    rows = oauth.rows("SELECT * FROM instagram_story_insights")
    assert len(rows) == 1
    assert (rows[0]["reach"], rows[0]["taps_back"], rows[0]["exits"], rows[0]["replies"]) == (17, -1, -1, 0)
    assert rows[0]["owner_id"] == "tenant-1"


def test_webhook_rejects_bad_signature_and_malformed_json(oauth):
    body = b'{"object":"instagram","entry":[]}'
    bad = httpx.post(f"{oauth.url}/webhooks/instagram", content=body,
                     headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert bad.status_code == 403
    garbage = b"{not json"
    malformed = httpx.post(f"{oauth.url}/webhooks/instagram", content=garbage,
                           headers=_signed(garbage, oauth.settings.app_secret))
    assert malformed.status_code == 400
    assert oauth.rows("SELECT * FROM instagram_story_insights") == []


def test_webhook_verification_handshake(oauth):
    ok = httpx.get(f"{oauth.url}/webhooks/instagram", params={
        "hub.mode": "subscribe", "hub.verify_token": oauth.settings.webhook_verify_token, "hub.challenge": "42"})
    assert ok.status_code == 200 and ok.text == "42"
    wrong = httpx.get(f"{oauth.url}/webhooks/instagram", params={
        "hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"})
    assert wrong.status_code == 403


def test_disconnect_deletes_the_token_after_a_confirmation(oauth):
    oauth.connect(oauth.user("linked"))
    ig_user = oauth.rows(CONNECTIONS)[0]["ig_user_id"]
    link_token = parse_qs(urlparse(oauth.link()).query)["link"][0]
    other = parse_qs(urlparse(oauth.link("someone-else")).query)["link"][0]
    page = f"{oauth.url}/instagram/disconnect"
    assert httpx.get(page, params={"link": other, "ig_user_id": ig_user}).status_code == 404
    # The link alone (the old one-step POST) no longer disconnects anything.
    assert httpx.post(page, data={"link": link_token, "ig_user_id": ig_user}).status_code == 400
    assert oauth.rows(CONNECTIONS)[0]["status"] == "active"
    confirmation = httpx.get(page, params={"link": link_token, "ig_user_id": ig_user})
    assert confirmation.status_code == 200 and "Disconnect @" in confirmation.text
    form = _FormParser()
    form.feed(confirmation.text)
    assert set(form.fields) == {"confirm"} and link_token not in confirmation.text
    cross_site = httpx.post(page, data=form.fields, headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403 and oauth.rows(CONNECTIONS)[0]["status"] == "active"
    done = httpx.post(page, data=form.fields, headers={"Origin": oauth.url})
    assert done.status_code == 200
    row = next(r for r in oauth.rows(CONNECTIONS) if r["ig_user_id"] == ig_user)
    assert row["status"] == "disconnected" and row["token_encrypted"] is None
