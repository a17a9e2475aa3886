"""The `comments` and `mentions` webhook fields: stored idempotently, for known accounts only, and comment
text left out when IG_COMMENT_TEXT=off (over real HTTP, signed like Meta signs them)."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest
import sqlalchemy as sa

IG_USER = "17841400000000077"


def _connected(oauth) -> str:
    """A connection row of tenant-1 (the webhook only needs to know whose account it is)."""
    engine = sa.create_engine(oauth.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO instagram_connection (ig_user_id, owner_id, login_type) "
                             "VALUES (:ig, 'tenant-1', 'facebook')"), {"ig": IG_USER})
    engine.dispose()
    return IG_USER


def _post(oauth, payload: dict) -> httpx.Response:
    body = json.dumps(payload).encode()
    signature = hmac.new(oauth.settings.app_secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(f"{oauth.url}/webhooks/instagram", content=body,
                      headers={"X-Hub-Signature-256": f"sha256={signature}", "Content-Type": "application/json"})


def _payload(ig_user: str) -> dict:
    comment = {"id": "17900000000000001", "text": "love this", "from": {"id": "555", "username": "fan_one"},
               "media": {"id": "18000000000000009", "media_product_type": "FEED"}}
    reply = {"id": "17900000000000002", "text": "thanks!", "parent_id": "17900000000000001",
             "from": {"id": "556", "username": "fan_two"}, "media": {"id": "18000000000000009"}}
    return {"object": "instagram", "entry": [
        {"id": ig_user, "time": 1, "changes": [
            {"field": "comments", "value": comment}, {"field": "comments", "value": reply},
            {"field": "mentions", "value": {"media_id": "18000000000000100", "comment_id": "17900000000000200"}},
            {"field": "mentions", "value": {"media_id": "18000000000000101"}},
        ]},
        {"id": "not-one-of-ours", "time": 1, "changes": [{"field": "comments", "value": comment | {"id": "1"}}]},
    ]}


@pytest.fixture
def text_off(monkeypatch):
    monkeypatch.setenv("IG_COMMENT_TEXT", "off")


def test_comments_and_mentions_are_stored_once_for_known_accounts(oauth):
    ig_user = _connected(oauth)
    for _ in range(2):  # Meta redelivers: the same rows, the mention keeps its first arrival
        assert _post(oauth, _payload(ig_user)).status_code == 200
    comments = {r["comment_id"]: r for r in oauth.rows("SELECT * FROM instagram_media_comment")}
    assert set(comments) == {"17900000000000001", "17900000000000002"}
    top, reply = comments["17900000000000001"], comments["17900000000000002"]
    assert (top["text"], top["username"], top["parent_comment_id"], top["source"]) == ("love this", "fan_one",
                                                                                      None, "webhook")
    assert (reply["parent_comment_id"], reply["media_id"], reply["owner_id"]) == ("17900000000000001",
                                                                                  "18000000000000009", "tenant-1")
    assert top["commented_at"] is None and top["like_count"] is None  # the payload has neither
    mentions = oauth.rows("SELECT * FROM instagram_mention ORDER BY media_id")
    assert [(m["media_id"], m["comment_id"]) for m in mentions] == [("18000000000000100", "17900000000000200"),
                                                                   ("18000000000000101", "")]
    assert all(m["created_at"] == m["updated_at"] for m in mentions)  # the redelivery did not rewrite them


def test_comment_text_is_not_stored_when_turned_off(text_off, oauth):
    assert oauth.settings.comment_text is False
    ig_user = _connected(oauth)
    assert _post(oauth, _payload(ig_user)).status_code == 200
    rows = oauth.rows("SELECT text, username FROM instagram_media_comment")
    assert len(rows) == 2 and all(r["text"] is None for r in rows)
    assert {r["username"] for r in rows} == {"fan_one", "fan_two"}
