"""An OAuth handler on loopback in front of a simulator, both over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from ig_pipeline.config import load_settings
from ig_pipeline.demo.connect import connect_through_dialog
from ig_pipeline.web.app import create_app
from ig_pipeline.web.links import make_connect_link


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OAuthEnv:
    url: str
    sim_url: str
    settings: object
    database_url: str
    world: dict

    def link(self, owner: str = "tenant-1", ttl_s: int = 3600) -> str:
        return make_connect_link(owner, self.settings, ttl_s)

    def user(self, kind: str) -> str:
        """A simulated Facebook user id: 'linked' (has IG business accounts) or 'unlinked' (no Page with
        one: no Pages at all, or only a personal Instagram account)."""
        for user in self.world["fb_users"]:
            linked = any(p.get("instagram_business_account") for p in user["pages"])
            if (kind == "linked") == linked:
                return user["id"]
        pytest.skip(f"the simulated world has no {kind} Facebook user")

    def connect(self, fb_user: str, owner: str = "tenant-1") -> httpx.Response:
        with httpx.Client(timeout=30) as http:
            return connect_through_dialog_lenient(http, self.link(owner), fb_user)

    def rows(self, sql: str) -> list:
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return [dict(r) for r in conn.execute(sa.text(sql)).mappings()]
        finally:
            engine.dispose()


def connect_through_dialog_lenient(http: httpx.Client, link: str, fb_user: str) -> httpx.Response:
    from ig_pipeline.demo.connect import ConnectError

    try:
        return connect_through_dialog(http, link, fb_user)
    except ConnectError as exc:
        response = getattr(exc, "response", None)
        if response is not None:
            return response
        raise


@pytest.fixture
def oauth(database_url, monkeypatch):
    from ig_pipeline.simulator import SimConfig
    from ig_pipeline.simulator.server import SimulatorServer

    port = _free_port()
    oauth_url = f"http://127.0.0.1:{port}"
    with SimulatorServer(SimConfig(accounts=4, seed=2, frozen=True)) as sim:
        for name, value in {"IG_GRAPH_URL": sim.url, "IG_OAUTH_PUBLIC_URL": oauth_url,
                            "IG_REDIRECT_URI": f"{oauth_url}/instagram/callback", "IG_DATABASE_URL": database_url,
                            "IG_DEMO": "1"}.items():
            monkeypatch.setenv(name, value)
        settings = load_settings()
        server = uvicorn.Server(uvicorn.Config(create_app(settings, database_url), host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        try:
            world = httpx.get(f"{sim.url}/_sim/world").json()
            yield OAuthEnv(oauth_url, sim.url, settings, database_url, world)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
