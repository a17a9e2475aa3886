"""Fixtures for integration tests against the simulator over real HTTP (loopback uvicorn)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from ig_pipeline.graph.models import AccountRef
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline_tests.graph.fake import FakeTime

START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # 01:00 Pacific


class Sim:
    """Admin API of a running simulator."""

    def __init__(self, url: str):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def now(self) -> datetime:
        return datetime.fromisoformat(self.http.get("/_sim/clock").json()["now"])

    def accounts(self) -> list[AccountRef]:
        world = self.http.get("/_sim/world").json()
        refs = []
        for index, account in enumerate(world["accounts"]):
            minted = self.http.post("/_sim/tokens", json={"ig_user_id": account["id"]}).json()
            refs.append(AccountRef(str(account["id"]), f"owner-{index}", minted["access_token"]))
        return refs

    def add_account(self, **spec) -> AccountRef:
        added = self.http.post("/_sim/accounts", json=spec).json()
        return AccountRef(str(added["ig_user_id"]), "owner-x", added["access_token"])

    def requests(self) -> dict:
        return self.http.get("/_sim/requests").json()

    def clear(self) -> None:
        self.http.delete("/_sim/requests").raise_for_status()
        self.http.delete("/_sim/faults").raise_for_status()

    def fault(self, **spec) -> None:
        self.http.post("/_sim/faults", json=spec).raise_for_status()

    def config(self, **spec) -> None:
        self.http.post("/_sim/config", json=spec).raise_for_status()

    def truth_account(self, ig_user_id: str, since: str, until: str) -> dict:
        return self.http.get(f"/_sim/truth/account/{ig_user_id}", params={"since": since, "until": until}).json()


@pytest.fixture(scope="module")
def sim():
    server_module = pytest.importorskip("ig_pipeline.simulator.server")
    from ig_pipeline.simulator import SimConfig

    with server_module.SimulatorServer(SimConfig(accounts=3, seed=1, start=START, frozen=True)) as server:
        yield Sim(server.url)


@pytest.fixture
def fresh(sim):
    sim.clear()
    yield sim
    sim.clear()


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def graph(sim) -> InstagramGraphAPI:
    return InstagramGraphAPI(base_url=sim.url, instagram_base_url=sim.url, version="v24.0", timeout_s=2,
                             backoff_base_s=0.01)
