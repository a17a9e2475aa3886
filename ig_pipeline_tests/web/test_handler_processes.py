"""The OAuth handler as real server processes (`ig-pipeline oauth-server`), as deployed: single-use
states shared by two processes through the warehouse, and bounded request bodies measured by the
server's own memory (issue 13, findings 2 and 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from ig_pipeline_tests.web.conftest import _free_port
from ig_pipeline_tests.web.test_oauth import _callback_url

MIB = 1024 * 1024


class Handlers:
    def __init__(self, urls: list[str], processes: list[subprocess.Popen], sim_url: str, database_url: str):
        self.urls, self.processes, self.sim_url, self.database_url = urls, processes, sim_url, database_url

    def link(self, owner: str) -> str:
        out = subprocess.run([sys.executable, "-m", "ig_pipeline.cli", "connect-link", "--owner", owner],
                             env=self.env, capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def rss_kib(self, index: int, field: str = "VmRSS") -> int:
        with open(f"/proc/{self.processes[index].pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


@pytest.fixture
def handlers(database_url, tmp_path) -> Iterator[Handlers]:
    from ig_pipeline.simulator import SimConfig
    from ig_pipeline.simulator.server import SimulatorServer

    ports = [_free_port(), _free_port()]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    with SimulatorServer(SimConfig(accounts=2, seed=2, frozen=True)) as sim:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IG_")} | {
            "IG_DEMO": "1", "IG_GRAPH_URL": sim.url, "IG_DATABASE_URL": database_url,
            "IG_OAUTH_PUBLIC_URL": urls[0], "IG_REDIRECT_URI": f"{urls[0]}/instagram/callback",
            "IG_DATA_DIR": str(tmp_path / "ig")}
        processes = [subprocess.Popen([sys.executable, "-m", "ig_pipeline.cli", "oauth-server", "--port", str(p)],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in ports]
        try:
            for url, process in zip(urls, processes, strict=True):
                deadline = time.monotonic() + 60
                while True:
                    assert process.poll() is None, process.stderr.read().decode()[-2000:]
                    try:
                        if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, "the handler did not start"
                    time.sleep(0.1)
            handlers = Handlers(urls, processes, sim.url, database_url)
            handlers.env = env
            yield handlers
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=15)
                process.stderr.close()


def _on(url: str, location: str) -> str:
    """The callback URL as it would reach another handler process behind the same public address."""
    parts = urlsplit(location)
    return f"{url}{parts.path}?{parts.query}"


def test_a_state_used_at_one_process_is_refused_at_the_other(handlers):
    world = httpx.get(f"{handlers.sim_url}/_sim/world").json()
    fb_user = next(u["id"] for u in world["fb_users"] if any(p.get("instagram_business_account") for p in u["pages"]))
    with httpx.Client(timeout=30) as browser:
        location = _callback_url(browser, handlers.link("tenant-1"), fb_user)
        cookie = browser.cookies.get("ig_oauth_state")
        first = browser.get(_on(handlers.urls[0], location))
        assert first.status_code == 200 and "Instagram connected" in first.text
        cleared = browser.cookies.get("ig_oauth_state") is None
    httpx.delete(f"{handlers.sim_url}/_sim/requests")
    replay = httpx.get(_on(handlers.urls[1], location), cookies={"ig_oauth_state": cookie})
    assert replay.status_code == 400 and "This sign-in response was already used." in replay.text
    calls = httpx.get(f"{handlers.sim_url}/_sim/requests").json()["summary"]
    assert not any(calls.values()), f"the replayed state reached the Graph API: {calls}"
    assert cleared, "the nonce cookie must be cleared after the callback"


def _upload(url: str, total: int, headers: dict) -> int | None:
    """POST ``total`` bytes in 1 MiB chunks; the status, or None when the server hung up mid-upload."""
    def chunks():
        for _ in range(total // MIB):
            yield b"x" * MIB

    try:
        return httpx.post(url, content=chunks(), headers=headers, timeout=60).status_code
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        return None


@pytest.mark.parametrize("headers", [
    {},  # unsigned, chunked
    {"Content-Length": str(200 * MIB)},  # unsigned, declared
    {"X-Hub-Signature-256": "sha256=" + "0" * 64},  # signature-shaped, chunked: cut off at the limit
], ids=["unsigned-chunked", "unsigned-declared", "signed-shape-chunked"])
def test_a_200_mib_webhook_body_does_not_grow_the_server(handlers, headers):
    before = handlers.rss_kib(1)
    status = _upload(f"{handlers.urls[1]}/webhooks/instagram", 200 * MIB, headers)
    assert status in (None, 403, 413)
    grown_mib = (handlers.rss_kib(1, "VmHWM") - before) / 1024
    assert grown_mib < 64, f"server peak RSS grew {grown_mib:.0f} MiB"
    assert httpx.get(f"{handlers.urls[1]}/healthz").status_code == 200


def test_a_large_disconnect_form_is_413_before_it_is_read(handlers):
    before = handlers.rss_kib(0)
    status = _upload(f"{handlers.urls[0]}/instagram/disconnect", 100 * MIB,
                     {"Content-Type": "application/x-www-form-urlencoded"})
    assert status in (None, 413)
    assert (handlers.rss_kib(0, "VmHWM") - before) / 1024 < 64
