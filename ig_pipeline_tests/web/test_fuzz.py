"""Property-based fuzzing of the OAuth handler's untrusted inputs, against the running handler and
the real test database: never a 5xx for garbage, never an open redirect, nothing written."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ig_pipeline.web.webhooks import COLUMNS

pytestmark = pytest.mark.reliability

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(max_size=300)
maybe_text = st.none() | text
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20)


def _count(oauth, table: str) -> int:
    return oauth.rows(f"SELECT count(*) AS n FROM {table}")[0]["n"]


def _params(**values) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def _signed(body: bytes, secret: str) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


@FUZZ
@given(state=maybe_text, code=maybe_text, error=maybe_text, description=maybe_text, cookie=maybe_text)
def test_callback_with_arbitrary_parameters_is_a_clear_4xx(oauth, state, code, error, description, cookie):
    # httpx refuses a header value with leading or trailing whitespace before anything is sent
    sendable = cookie and cookie.isascii() and cookie.isprintable() and cookie == cookie.strip()
    cookies = {"ig_oauth_state": cookie} if sendable else {}
    with httpx.Client(cookies=cookies) as http:
        response = http.get(f"{oauth.url}/instagram/callback",
                            params=_params(state=state, code=code, error=error, error_description=description))
    assert 400 <= response.status_code < 500
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "<script" not in response.text.lower()
    assert _count(oauth, "instagram_connection") == 0


@FUZZ
@given(code=st.text(min_size=1, max_size=200), error=maybe_text)
def test_callback_with_a_valid_state_and_arbitrary_code_writes_nothing(oauth, code, error):
    with httpx.Client() as http:
        start = http.get(oauth.link())
        state = parse_qs(urlparse(start.headers["location"]).query)["state"][0]
        response = http.get(f"{oauth.url}/instagram/callback", params=_params(state=state, code=code, error=error))
    assert response.status_code in (400, 502)
    assert "location" not in response.headers
    if len(code.strip()) > 6:
        assert code not in response.text
    assert _count(oauth, "instagram_connection") == 0


@FUZZ
@given(link=maybe_text, login=maybe_text, owner_header=maybe_text)
def test_connect_with_a_forged_link_is_refused(oauth, link, login, owner_header):
    headers = {"X-IG-Owner": owner_header} if owner_header and owner_header.isascii() and \
        owner_header.isprintable() else {}
    response = httpx.get(f"{oauth.url}/instagram/connect", params=_params(link=link, login=login), headers=headers)
    assert response.status_code in (400, 403)  # the proxy header is not trusted unless configured
    assert "location" not in response.headers and "set-cookie" not in response.headers


@FUZZ
@given(body=st.binary(max_size=500), signature=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                                                       max_size=80))
def test_webhook_with_a_bad_signature_is_403_and_writes_nothing(oauth, body, signature):
    response = httpx.post(f"{oauth.url}/webhooks/instagram", content=body,
                          headers={"X-Hub-Signature-256": signature.strip()})
    assert response.status_code == 403
    assert _count(oauth, "instagram_story_insights") == 0


@pytest.fixture
def connected(oauth):
    oauth.connect(oauth.user("linked"))
    return oauth, oauth.rows("SELECT ig_user_id FROM instagram_connection")[0]["ig_user_id"]


story_values = st.fixed_dictionaries(
    {"media_id": json_values},
    optional={name: json_values for name in (*COLUMNS, "extra")}) | json_values


@FUZZ
@given(payload=json_values, value=story_values)
def test_signed_webhook_with_arbitrary_json_never_crashes(connected, payload, value):
    oauth, ig_user = connected
    before = _count(oauth, "instagram_story_insights")
    shaped = {"object": "instagram", "entry": [{"id": ig_user, "changes": [
        {"field": "story_insights", "value": value}]}]}
    for document in (payload, shaped):
        body = json.dumps(document).encode()  # NaN/Infinity included: Python's json emits them
        response = httpx.post(f"{oauth.url}/webhooks/instagram", content=body,
                              headers=_signed(body, oauth.settings.app_secret))
        assert response.status_code in (200, 400), response.text
    after = _count(oauth, "instagram_story_insights")
    assert after - before <= (1 if isinstance(value, dict) else 0)  # one story per change, idempotent


@FUZZ
@given(mode=maybe_text, token=maybe_text, challenge=maybe_text)
def test_webhook_verification_only_answers_the_exact_token(oauth, mode, token, challenge):
    response = httpx.get(f"{oauth.url}/webhooks/instagram",
                         params=_params(**{"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}))
    genuine = mode == "subscribe" and token == oauth.settings.webhook_verify_token
    assert response.status_code == (200 if genuine else 403)
    assert response.headers["content-type"].startswith("text/plain")


def test_webhook_values_found_by_fuzzing_are_stored_safely(connected):
    """Regressions: a float beyond bigint, ∞/NaN (Python's json accepts them) and NUL crashed the handler."""
    oauth, ig_user = connected
    value = {"media_id": "1802\x00", "impressions": 9.223372036854776e+18, "reach": float("inf"),
             "views": float("nan"), "replies": "7", "exits": 2.5, "note": "a\x00b"}
    body = json.dumps({"object": "instagram", "entry": [{"id": ig_user, "changes": [
        {"field": "story_insights", "value": value}]}]}).encode()
    response = httpx.post(f"{oauth.url}/webhooks/instagram", content=body, headers=_signed(body, oauth.settings.app_secret))
    assert response.status_code == 200
    [row] = oauth.rows("SELECT * FROM instagram_story_insights")
    assert row["media_id"] == "1802"
    assert (row["impressions"], row["reach"], row["views"], row["replies"], row["exits"]) == (None, None, None, 7, None)
    assert row["payload"]["note"] == "ab" and row["payload"]["reach"] is None
