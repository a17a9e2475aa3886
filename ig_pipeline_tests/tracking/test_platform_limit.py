"""Business Discovery runs under the app's Platform limit: the plan's calls are spaced by the X-App-Usage
the simulator reports, and the spacing starts before the API would refuse (code 4)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from ig_pipeline.graph import discovery
from ig_pipeline.graph.calls import Meter
from ig_pipeline.graph.models import AccountRef
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline_tests.graph.fake import FakeTime

START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
PER_HOUR = 20  # the app's Platform budget per user and hour, made small


def test_business_discovery_calls_are_spaced_by_app_usage():
    from ig_pipeline.simulator import SimConfig
    from ig_pipeline.simulator.server import SimulatorServer

    with SimulatorServer(SimConfig(accounts=1, seed=3, start=START, frozen=True)) as sim:
        httpx.post(f"{sim.url}/_sim/config", json={"platform_calls_per_user_hour": PER_HOUR}).raise_for_status()
        world = httpx.get(f"{sim.url}/_sim/world").json()
        own = world["accounts"][0]["id"]
        token = httpx.post(f"{sim.url}/_sim/tokens", json={"ig_user_id": own}).json()["access_token"]
        rival = next(a["username"] for a in world["public_accounts"] if a["discoverable"])
        account = AccountRef(own, "o", token)
        time = FakeTime()
        graph = InstagramGraphAPI(base_url=sim.url, instagram_base_url=sim.url, version="v24.0", app_secret=None)

        async def calls() -> list[float]:
            waits = []
            async with graph.client(sleep=time.sleep, clock=time.clock) as client:
                for _ in range(PER_HOUR - 1):
                    before = len(time.slept)
                    await discovery.fetch_competitor(client, account, rival, Meter())
                    waits.append(sum(time.slept[before:]))
            return waits

        waits = asyncio.run(calls())
    used = [100 * (i + 1) // PER_HOUR for i in range(PER_HOUR - 1)]  # X-App-Usage after each call
    assert all(w == 0 for w, u in zip(waits[1:], used, strict=False) if u <= 75)  # calm: no wait
    spaced = [w for w, u in zip(waits[1:], used, strict=False) if u > 75]
    assert spaced and all(w > 0 for w in spaced) and spaced == sorted(spaced)  # slower as usage rises
