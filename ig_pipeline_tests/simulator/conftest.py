"""A simulator on loopback for the contract suite (real HTTP via httpx)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from ig_pipeline.simulator import SimConfig
from ig_pipeline.simulator.server import SimulatorServer

START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


class Client:
    def __init__(self, server: SimulatorServer):
        self.server = server
        self.sim = server.app.state.sim
        self.http = httpx.Client(base_url=server.url, timeout=10)
        self.world = self.http.get("/_sim/world").json()
        self.tokens: dict[str, str] = {}

    def token(self, ig: str) -> str:
        if ig not in self.tokens:
            self.tokens[ig] = self.http.post("/_sim/tokens", json={"ig_user_id": ig}).json()["access_token"]
        return self.tokens[ig]

    def get(self, path: str, ig: str | None = None, **params):
        if ig is not None:
            params.setdefault("access_token", self.token(ig))
        return self.http.get(path, params=params)

    def error(self, response) -> dict:
        assert response.status_code in (400, 403, 500), (response.status_code, response.text)
        return response.json()["error"]


@pytest.fixture(scope="session")
def server():
    with SimulatorServer(SimConfig(accounts=12, seed=7, start=START, frozen=True)) as srv:
        yield srv


@pytest.fixture
def c(server):
    client = Client(server)
    client.http.delete("/_sim/requests")
    client.http.delete("/_sim/faults")
    client.http.post("/_sim/clock", json={"set": START.isoformat()})
    yield client
    client.http.delete("/_sim/faults")
    client.http.post("/_sim/clock", json={"set": START.isoformat()})
    client.http.post("/_sim/config", json={"buc_calls_per_impression": 4800, "nested_insights_fail_whole_page": True,
                                           "require_appsecret_proof": False})
