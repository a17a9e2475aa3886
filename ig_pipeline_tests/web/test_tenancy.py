"""Issue 13, finding 1: a connect never moves an account (or its data) from one owner to another,
through either login type; only `ig-pipeline connections transfer` does, recorded; a webhook payload
cannot move a story row to another account; an operator can revoke connect links."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlparse

import httpx
import sqlalchemy as sa

from ig_pipeline.cli import main
from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.upsert import bulk_upsert
from ig_pipeline_tests.web.test_instagram_login import _authorize_redirect

CONNECTIONS = "SELECT ig_user_id, owner_id, token_encrypted, status FROM instagram_connection ORDER BY 1"
OWNERS_BY_TABLE = """
SELECT 'connection' AS t, owner_id FROM instagram_connection UNION ALL
SELECT 'daily', owner_id FROM instagram_account_daily UNION ALL
SELECT 'intraday', owner_id FROM instagram_account_intraday UNION ALL
SELECT 'story', owner_id FROM instagram_story_insights ORDER BY 1
"""


def _seed_data(oauth, ig_user: str, owner: str) -> None:
    """A synced day, an intraday capture (partitioned table) and a story of the account."""
    engine = sa.create_engine(oauth.database_url)
    try:
        with engine.begin() as conn:
            bulk_upsert(conn, schema.instagram_account_daily,
                        [{"ig_user_id": ig_user, "day": date(2026, 11, 1), "owner_id": owner, "reach": 5}])
            bulk_upsert(conn, schema.instagram_account_intraday, [{
                "ig_user_id": ig_user, "captured_at": datetime(2026, 11, 1, 12, tzinfo=UTC), "owner_id": owner}])
    finally:
        engine.dispose()
    _post_story(oauth, ig_user, "18000000000000042")


def _post_story(oauth, ig_user: str, media_id: str, reach: int = 17) -> httpx.Response:
    body = json.dumps({"object": "instagram", "entry": [{"id": ig_user, "changes": [{
        "field": "story_insights", "value": {"media_id": media_id, "reach": reach}}]}]}).encode()
    signature = "sha256=" + hmac.new(oauth.settings.app_secret.encode(), body, hashlib.sha256).hexdigest()
    response = httpx.post(f"{oauth.url}/webhooks/instagram", content=body,
                          headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    return response


def test_facebook_login_never_moves_another_owners_accounts(oauth):
    fb_user = oauth.user("linked")
    assert oauth.connect(fb_user, owner="tenant-a").status_code == 200
    before = oauth.rows(CONNECTIONS)
    _seed_data(oauth, before[0]["ig_user_id"], "tenant-a")
    data_before = oauth.rows(OWNERS_BY_TABLE)

    second = oauth.connect(fb_user, owner="tenant-b")  # the agency staffer clicks Allow on tenant B's link
    assert second.status_code == 409 and "Already connected elsewhere" in second.text
    assert "ig-pipeline" not in second.text and "tenant-a" not in second.text  # no other tenant's id shown
    assert oauth.rows(CONNECTIONS) == before  # owner and token untouched
    assert oauth.rows(OWNERS_BY_TABLE) == data_before
    assert {r["owner_id"] for r in data_before} == {"tenant-a"}


def test_instagram_login_never_moves_another_owners_account(oauth):
    account = oauth.world["accounts"][0]["id"]
    with httpx.Client(timeout=30) as http:
        first = http.get(_authorize_redirect(http, oauth.link("tenant-a") + "&login=instagram", account))
    assert first.status_code == 200
    before = oauth.rows(CONNECTIONS)
    with httpx.Client(timeout=30) as http:
        second = http.get(_authorize_redirect(http, oauth.link("tenant-b") + "&login=instagram", account))
    assert second.status_code == 409 and "Already connected elsewhere" in second.text
    assert oauth.rows(CONNECTIONS) == before and before[0]["owner_id"] == "tenant-a"


def test_the_same_owner_may_reconnect_after_a_disconnect(oauth):
    fb_user = oauth.user("linked")
    assert oauth.connect(fb_user, owner="tenant-a").status_code == 200
    with sa.create_engine(oauth.database_url).begin() as conn:
        conn.execute(sa.text("UPDATE instagram_connection SET status = 'disconnected', token_encrypted = NULL"))
    assert oauth.connect(fb_user, owner="tenant-a").status_code == 200
    assert {(r["owner_id"], r["status"]) for r in oauth.rows(CONNECTIONS)} == {("tenant-a", "active")}
    assert oauth.connect(fb_user, owner="tenant-b").status_code == 409  # disconnected is still tenant A's


def test_transfer_moves_the_account_and_all_its_rows_in_one_recorded_step(oauth, capsys):
    fb_user = oauth.user("linked")
    oauth.connect(fb_user, owner="tenant-a")
    accounts = [r["ig_user_id"] for r in oauth.rows(CONNECTIONS)]
    moved, kept = accounts[0], accounts[1:]
    _seed_data(oauth, moved, "tenant-a")

    assert main(["connections", "transfer", "--account", moved, "--to", "tenant-b", "--reason", "ticket 7"]) == 0
    assert "now belongs to tenant-b" in capsys.readouterr().out
    owners = {r["ig_user_id"]: r["owner_id"] for r in oauth.rows(CONNECTIONS)}
    assert owners[moved] == "tenant-b" and all(owners[k] == "tenant-a" for k in kept)
    for table in ("instagram_account_daily", "instagram_account_intraday", "instagram_story_insights"):
        assert oauth.rows(f"SELECT DISTINCT owner_id FROM {table} WHERE ig_user_id = '{moved}'") == [
            {"owner_id": "tenant-b"}], table
    [audit] = oauth.rows("SELECT * FROM ig_connection_transfer")
    assert (audit["ig_user_id"], audit["from_owner"], audit["to_owner"], audit["reason"]) == (
        moved, "tenant-a", "tenant-b", "ticket 7")
    assert audit["rows_moved"] == {"instagram_connection": 1, "instagram_account_daily": 1,
                                   "instagram_account_intraday": 1, "instagram_story_insights": 1}
    # Re-running moves nothing and records nothing; an unknown account is one error line.
    assert main(["connections", "transfer", "--account", moved, "--to", "tenant-b"]) == 0
    assert len(oauth.rows("SELECT * FROM ig_connection_transfer")) == 1
    assert main(["connections", "transfer", "--account", "nope", "--to", "tenant-b"]) == 2
    assert "no connected account 'nope'" in capsys.readouterr().err
    # The new owner reconnects through the same Facebook user: its account is refreshed, the others stay A's.
    again = oauth.connect(fb_user, owner="tenant-b")
    assert again.status_code == 200 and "Instagram connected" in again.text
    assert again.text.count("was not connected") == len(kept)
    assert {r["ig_user_id"]: r["owner_id"] for r in oauth.rows(CONNECTIONS)} == owners


def test_a_webhook_payload_cannot_move_a_story_to_another_account(oauth):
    oauth.connect(oauth.user("linked"), owner="tenant-a")
    first, other = [r["ig_user_id"] for r in oauth.rows(CONNECTIONS)][:2]
    _post_story(oauth, first, "18000000000000099", reach=17)
    _post_story(oauth, other, "18000000000000099", reach=999)  # the same media id under another account
    [row] = oauth.rows("SELECT ig_user_id, reach FROM instagram_story_insights")
    assert row == {"ig_user_id": first, "reach": 17}
    _post_story(oauth, first, "18000000000000099", reach=18)  # its own account still updates it
    assert oauth.rows("SELECT reach FROM instagram_story_insights") == [{"reach": 18}]


def test_the_operator_prints_a_disconnect_link_for_the_owner(oauth, capsys):
    oauth.connect(oauth.user("linked"), owner="tenant-a")
    account = oauth.rows(CONNECTIONS)[0]["ig_user_id"]
    assert main(["connect-link", "--owner", "tenant-a", "--disconnect", account]) == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith(f"{oauth.url}/instagram/disconnect?link=")
    page = httpx.get(link)
    assert page.status_code == 200 and "name='confirm'" in page.text
    assert main(["connect-link", "--owner", "tenant-b", "--disconnect", account]) == 0
    assert httpx.get(capsys.readouterr().out.strip()).status_code == 404  # not tenant B's account


def test_an_operator_revokes_an_owners_connect_links(oauth, capsys):
    old = oauth.link("tenant-a")
    other_owner = oauth.link("tenant-b")
    assert httpx.get(old).status_code == 302
    assert main(["connect-link", "--owner", "tenant-a", "--revoke"]) == 0
    assert "are refused" in capsys.readouterr().out
    refused = httpx.get(old)
    assert refused.status_code == 403 and "revoked" in refused.text
    token = parse_qs(urlparse(old).query)["link"][0]
    assert httpx.get(f"{oauth.url}/instagram/disconnect", params={"link": token, "ig_user_id": "1"}).status_code == 403
    assert httpx.get(other_owner).status_code == 302  # other owners' links are untouched
    time.sleep(1.05)  # link signatures carry whole seconds
    assert httpx.get(oauth.link("tenant-a")).status_code == 302
