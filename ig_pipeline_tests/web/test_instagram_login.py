"""The Instagram Login variant over real HTTP: the simulator's Instagram authorize page, the
api.instagram.com-style code exchange, the long-lived token, and its bad inputs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urljoin, urlparse

import httpx
import pytest

from ig_pipeline.connections.crypto import TokenCipher
from ig_pipeline.demo.connect import _FormParser

CONNECTIONS = "SELECT * FROM instagram_connection"


def _link(oauth, owner: str = "tenant-ig") -> str:
    return oauth.link(owner) + "&login=instagram"


def _authorize_redirect(http: httpx.Client, link: str, ig_user: str, decision: str = "allow") -> str:
    """Open the link, land on the Instagram authorize page, answer it; the redirect to our callback."""
    authorize = http.get(link, follow_redirects=True)
    assert authorize.status_code == 200 and "/oauth/authorize" in str(authorize.url), authorize.text[:300]
    form = _FormParser()
    form.feed(authorize.text)
    answer = http.post(urljoin(str(authorize.url), form.action),
                       data=dict(form.fields) | {"ig_user": ig_user, "decision": decision})
    assert answer.status_code in (302, 303), answer.text[:300]
    return answer.headers["location"]


def _account(oauth) -> dict:
    return oauth.world["accounts"][0]


def test_instagram_login_connects_the_account_with_a_refreshable_60_day_token(oauth, caplog):
    caplog.set_level(logging.DEBUG)
    account = _account(oauth)
    with httpx.Client(timeout=30) as http:
        start = http.get(_link(oauth))
        query = parse_qs(urlparse(start.headers["location"]).query)
        assert query["scope"] == ["instagram_business_basic,instagram_business_manage_insights,"
                              "instagram_business_manage_comments"]
        assert query["response_type"] == ["code"] and query["redirect_uri"] == [oauth.settings.redirect_uri]
        location = _authorize_redirect(http, _link(oauth), account["id"])
        assert location.endswith("#_")  # Meta's fragment, which the code must lose
        result = http.get(location)
    assert result.status_code == 200 and "Instagram connected" in result.text and "Instagram Login" in result.text
    [row] = oauth.rows(CONNECTIONS)
    assert (row["ig_user_id"], row["owner_id"], row["login_type"], row["status"]) == (
        account["id"], "tenant-ig", "instagram", "active")
    assert row["username"] == account["username"] and row["account_type"] in ("BUSINESS", "MEDIA_CREATOR")
    assert row["page_id"] is None and "instagram_business_manage_insights" in row["scopes"]
    # The simulator's clock may differ from ours: the token lasts ~60 days from when it was issued.
    lifetime = row["token_expires_at"] - row["token_refreshed_at"]
    assert timedelta(days=59) < lifetime <= timedelta(days=61)
    token = TokenCipher.from_settings(oauth.settings).decrypt(row["token_encrypted"])
    assert token.encode() not in bytes(row["token_encrypted"])
    assert token not in result.text and token not in caplog.text
    code = parse_qs(urlparse(location).query)["code"][0]
    assert code not in result.text
    assert row["token_refreshed_at"] <= datetime.now(UTC)


def test_cancel_on_the_instagram_page_writes_nothing(oauth):
    with httpx.Client() as http:
        location = _authorize_redirect(http, _link(oauth), _account(oauth)["id"], decision="deny")
        assert "error=access_denied" in location
        result = http.get(location)
    assert result.status_code == 400 and "declined the permissions on Instagram" in result.text
    assert oauth.rows(CONNECTIONS) == []


def test_invalid_and_reused_codes_are_refused(oauth):
    with httpx.Client() as http:
        location = _authorize_redirect(http, _link(oauth), _account(oauth)["id"])
        assert http.get(location).status_code == 200
        rows = oauth.rows(CONNECTIONS)
        code = parse_qs(urlparse(location).query)["code"][0]
        start = http.get(_link(oauth))
        state = parse_qs(urlparse(start.headers["location"]).query)["state"][0]
        reused = http.get(f"{oauth.url}/instagram/callback", params={"code": code, "state": state})
        start = http.get(_link(oauth))
        state = parse_qs(urlparse(start.headers["location"]).query)["state"][0]
        bogus = http.get(f"{oauth.url}/instagram/callback", params={"code": "AQBnot-a-code", "state": state})
    for response in (reused, bogus):
        assert response.status_code == 400 and "invalid, expired or was already used" in response.text
    assert code not in reused.text
    assert oauth.rows(CONNECTIONS) == rows


def test_a_replayed_instagram_callback_is_refused(oauth):
    with httpx.Client() as http:
        location = _authorize_redirect(http, _link(oauth), _account(oauth)["id"])
        replay = http.get(location)
        assert replay.status_code == 200
        again = http.get(location)
    assert again.status_code == 400 and "already used" in again.text


def test_code_exchange_failing_with_5xx_writes_nothing(oauth):
    httpx.post(f"{oauth.sim_url}/_sim/faults", json={"kind": "transient_2", "path": "oauth/access_token"})
    with httpx.Client() as http:
        result = http.get(_authorize_redirect(http, _link(oauth), _account(oauth)["id"]))
    assert result.status_code == 502 and "Instagram&#x27;s servers did not complete" in result.text
    assert oauth.rows(CONNECTIONS) == []


@pytest.mark.parametrize("login", ["twitter", "", "INSTAGRAM"])
def test_unknown_login_types_are_refused(oauth, login):
    with httpx.Client() as http:
        result = http.get(oauth.link() + f"&login={login}")
    assert result.status_code == 400 and "Unknown login type" in result.text


def test_connect_link_command_prints_an_instagram_login_link(oauth, capsys):
    from ig_pipeline.cli import main

    assert main(["connect-link", "--owner", "tenant-cli", "--login", "instagram"]) == 0
    link = capsys.readouterr().out.strip()
    with httpx.Client() as http:
        start = http.get(link)
    assert start.status_code == 302 and "/oauth/authorize?" in start.headers["location"]
