"""Garbage in every parameter gets the Graph envelope (never a 500 with a traceback); latency is
served concurrently."""

from __future__ import annotations

import asyncio
import time

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ig_pipeline.simulator import SimConfig
from ig_pipeline.simulator.server import SimulatorServer

junk = st.one_of(st.text(max_size=40), st.sampled_from(["", "0", "-1", "99999999999999", "{", "a{b}", "[\"x\"]",
                                                        "reach,", ",,", "insights.metric(", "2025-13-45"]))
PARAMS = ["fields", "metric", "period", "metric_type", "breakdown", "timeframe", "since", "until", "limit",
          "after", "before"]


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(edge=st.sampled_from(["", "/insights", "/media", "/stories", "/accounts", "/x"]),
       values=st.dictionaries(st.sampled_from(PARAMS), junk, max_size=5))
def test_garbage_parameters_get_the_envelope(c, edge, values):
    a = c.world["accounts"][0]
    r = c.get(f"/v24.0/{a['id']}{edge}", a["id"], **values)
    assert r.status_code in (200, 400), (edge, values, r.status_code, r.text)
    body = r.json()
    if r.status_code == 400:
        assert set(body["error"]) >= {"message", "type", "code", "fbtrace_id"}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.one_of(st.text(max_size=30), st.just("[null]"), st.just('[{"relative_url": 5}]'),
                       st.just('{"a": 1}'), st.just('[{"method": "DELETE", "relative_url": "me"}]')))
def test_garbage_batches_get_the_envelope(c, batch):
    a = c.world["accounts"][0]
    r = c.http.post("/v24.0/", data={"access_token": c.token(a["id"]), "batch": batch})
    assert r.status_code in (200, 400), r.text
    assert "Traceback" not in r.text


def test_latency_is_served_concurrently():
    with SimulatorServer(SimConfig(accounts=60, seed=1, latency_ms=100, frozen=True)) as srv:
        http = httpx.Client(base_url=srv.url)
        ids = [a["id"] for a in http.get("/_sim/world").json()["accounts"]]
        tokens = {i: http.post("/_sim/tokens", json={"ig_user_id": i}).json()["access_token"] for i in ids}

        async def run():
            limits = httpx.Limits(max_connections=60)
            async with httpx.AsyncClient(base_url=srv.url, limits=limits, timeout=10) as client:
                start = time.perf_counter()
                responses = await asyncio.gather(*(client.get(f"/v24.0/{i}", params={"access_token": tokens[i]})
                                                   for i in ids))
                return time.perf_counter() - start, responses

        elapsed, responses = asyncio.run(run())
        assert all(r.status_code == 200 for r in responses)
        assert 0.1 <= elapsed < 1.5
