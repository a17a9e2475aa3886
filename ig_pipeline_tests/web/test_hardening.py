"""Issue 13, findings 4 and 7: non-ASCII input is a 4xx, never a 500; every page carries the security
headers; no Host-built trailing-slash redirect; bodies above the limit are 413."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import httpx
import pytest

from ig_pipeline.web.limits import WEBHOOK_MAX_BYTES


def _raw_get(url: str, path: str, headers: dict[str, bytes]) -> tuple[int, bytes]:
    """A request with raw header bytes (httpx refuses non-ASCII header text)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("GET", path)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    return response.status, response.read()


@pytest.mark.parametrize("signature", ["sha256=é" + "0" * 63, "sha256=" + "ü" * 64, "шифр"])
def test_non_ascii_webhook_signature_is_403(oauth, signature):
    response = httpx.post(f"{oauth.url}/webhooks/instagram", content=b'{"entry": []}',
                          headers={"X-Hub-Signature-256": signature.encode("utf-8")})
    assert response.status_code == 403


@pytest.mark.parametrize("token", ["démo-verify-token", "токен", "\u00ff"])
def test_non_ascii_verify_token_is_403(oauth, token):
    response = httpx.get(f"{oauth.url}/webhooks/instagram",
                         params={"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1"})
    assert response.status_code == 403


def test_non_ascii_state_cookie_and_state_are_400(oauth):
    with httpx.Client() as http:
        start = http.get(oauth.link())
        state = dict(x.split("=", 1) for x in urlsplit(start.headers["location"]).query.split("&"))["state"]
    status, body = _raw_get(oauth.url, f"/instagram/callback?state={state}&code=x",
                            {"Cookie": "ig_oauth_state=nonce-é".encode()})
    assert status == 400 and b"another browser" in body
    status, _ = _raw_get(oauth.url, "/instagram/callback?state=%C3%A9t%C3%A9&code=x",
                         {"Cookie": "ig_oauth_state=ü".encode()})
    assert status == 400
    assert oauth.rows("SELECT * FROM instagram_connection") == []


def test_every_page_carries_the_security_headers(oauth):
    pages = [httpx.get(f"{oauth.url}/instagram/connect"),  # 403 page
             httpx.get(f"{oauth.url}/instagram/callback"),  # 400 page
             httpx.get(oauth.link()),  # the redirect to the dialog, setting the state cookie
             httpx.get(f"{oauth.url}/healthz")]
    for response in pages:
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store"


def test_no_trailing_slash_redirect_built_from_the_host_header(oauth):
    response = httpx.get(f"{oauth.url}/instagram/connect/", headers={"Host": "evil.example"})
    assert response.status_code == 404 and "location" not in response.headers


def test_a_webhook_body_over_the_limit_is_413_and_one_at_the_limit_is_read(oauth):
    signature = {"X-Hub-Signature-256": "sha256=" + "0" * 64}
    over = httpx.post(f"{oauth.url}/webhooks/instagram", content=b" " * (WEBHOOK_MAX_BYTES + 1), headers=signature)
    assert over.status_code == 413
    at_limit = httpx.post(f"{oauth.url}/webhooks/instagram", content=b" " * WEBHOOK_MAX_BYTES, headers=signature)
    assert at_limit.status_code == 403  # read whole, then the signature does not match


def test_cross_site_disconnect_posts_are_refused(oauth):
    for headers in ({"Origin": "null"}, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = httpx.post(f"{oauth.url}/instagram/disconnect", data={"confirm": "x"}, headers=headers)
        assert response.status_code == 403, headers


def test_a_disconnect_form_with_many_fields_is_400(oauth):
    response = httpx.post(f"{oauth.url}/instagram/disconnect", content="&".join(f"f{i}=1" for i in range(50)),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
