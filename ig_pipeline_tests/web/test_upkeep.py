"""Token lifecycle against the simulator: refresh Instagram-login tokens, flag expiring Facebook ones."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from ig_pipeline.config import load_settings
from ig_pipeline.connections.crypto import TokenCipher
from ig_pipeline.connections.lifecycle import token_upkeep
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.upsert import bulk_upsert

START = datetime(2026, 11, 10, 12, tzinfo=UTC)


def test_upkeep_refreshes_instagram_tokens_and_flags_expiring_facebook_ones(warehouse, monkeypatch):
    from ig_pipeline.simulator import SimConfig
    from ig_pipeline.simulator.server import SimulatorServer

    monkeypatch.setenv("IG_DEMO", "1")
    monkeypatch.setenv("IG_GRAPH_URL", "http://127.0.0.1:9")  # demo mode needs a loopback Graph URL
    settings = load_settings()
    cipher = TokenCipher.from_settings(settings)
    with SimulatorServer(SimConfig(accounts=3, seed=4, start=START, frozen=True)) as sim:
        accounts = [a["id"] for a in httpx.get(f"{sim.url}/_sim/world").json()["accounts"]]
        ig_token = httpx.post(f"{sim.url}/_sim/tokens", json={"ig_user_id": accounts[0], "kind": "ig_login",
                                                           "expires_in": 10 * 86400}).json()
        fb_token = httpx.post(f"{sim.url}/_sim/tokens", json={"ig_user_id": accounts[1]}).json()["access_token"]
        row = {"owner_id": "o", "status": "active", "connected_at": START, "token_refreshed_at": START}
        with warehouse.transaction() as conn:
            bulk_upsert(conn, schema.instagram_connection, [
                row | {"ig_user_id": accounts[0], "login_type": "instagram",
                       "token_encrypted": cipher.encrypt(ig_token["access_token"]),
                       "token_expires_at": START + timedelta(days=10)},
                row | {"ig_user_id": accounts[1], "login_type": "facebook", "token_encrypted": cipher.encrypt(fb_token),
                       "token_expires_at": START + timedelta(days=60),
                       "data_access_expires_at": START + timedelta(days=5)},
                row | {"ig_user_id": accounts[2], "login_type": "facebook", "token_encrypted": cipher.encrypt(fb_token),
                       "token_expires_at": START + timedelta(days=60),
                       "data_access_expires_at": START + timedelta(days=80)},
            ])
        httpx.post(f"{sim.url}/_sim/clock", json={"advance": 2 * 86400}).raise_for_status()
        now = START + timedelta(days=2)

        async def run():
            async with InstagramGraphAPI(base_url=sim.url, instagram_base_url=sim.url, app_secret=None).client() as c:
                with warehouse.transaction() as conn:
                    return await token_upkeep(conn, c, cipher, now)

        report = asyncio.run(run())

    assert report == {"refreshed": 1, "flagged": 1, "failed": 0}
    with warehouse.transaction() as conn:
        rows = {r["ig_user_id"]: r for r in conn.execute(sa.text("SELECT * FROM instagram_connection")).mappings()}
    refreshed = rows[accounts[0]]
    assert refreshed["status"] == "active" and refreshed["token_expires_at"] > now + timedelta(days=50)
    assert cipher.decrypt(refreshed["token_encrypted"]) != ig_token["access_token"]
    assert rows[accounts[1]]["status"] == "needs_reauth" and "reconnect" in rows[accounts[1]]["status_reason"]
    assert rows[accounts[2]]["status"] == "active"
