"""A simulator over HTTP, connected accounts, and Definitions wired to both (shared by asset and reliability tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
import httpx
import pytest

from ig_pipeline.clock import PipelineClock
from ig_pipeline.config import load_settings
from ig_pipeline.definitions import make_definitions
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.resource import PostgresWarehouse
from ig_pipeline.warehouse.upsert import bulk_upsert

# 01:00 Pacific on a winter day: right after the daily schedule's day boundary.
START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@dataclass
class Env:
    sim: object  # ig_pipeline.simulator.server.SimulatorServer
    warehouse: PostgresWarehouse
    accounts: list[str]  # connected IG user ids

    @property
    def url(self) -> str:
        return self.sim.url

    def now(self) -> datetime:
        return datetime.fromisoformat(httpx.get(f"{self.url}/_sim/clock").json()["now"])

    def advance(self, seconds: float) -> datetime:
        httpx.post(f"{self.url}/_sim/clock", json={"advance": seconds}).raise_for_status()
        return self.now()

    def graph(self, **options) -> InstagramGraphAPI:
        return InstagramGraphAPI(base_url=self.url, instagram_base_url=self.url, version="v24.0",
                                 app_secret=None, backoff_base_s=0.01,
                                 **({"max_wait_s": 1.0} | options))

    def with_warehouse(self, warehouse: PostgresWarehouse) -> Env:
        """The same simulator and accounts, written to another warehouse (connections copied)."""
        connect_accounts(self.url, warehouse)
        return Env(self.sim, warehouse, self.accounts)

    def defs(self, **resources) -> dg.Definitions:
        return make_definitions({
            "graph": self.graph(),
            "warehouse": self.warehouse,
            "clock": PipelineClock(fixed_now=self.now().isoformat()),
        } | resources)

    def run(self, job: str, *, partition_key=None, tags=None, instance=None, raise_on_error=True):
        job_def = self.defs().resolve_job_def(job)
        with (dg.instance_for_test() if instance is None else _keep(instance)) as inst:
            return job_def.execute_in_process(instance=inst, partition_key=partition_key, tags=tags or {},
                                              raise_on_error=raise_on_error)

    def start_run(self, job: str, partition_key: str, now: datetime | None = None,
                  concurrency: int = 32, accounts_per_write: int = 50) -> subprocess.Popen:
        """The job in its own process, as a Dagster run worker would run it (one in-process run at a time:
        Python's logging locks deadlock when two execute_in_process calls share a process)."""
        log = tempfile.TemporaryFile()
        process = subprocess.Popen(
            [sys.executable, "-m", "ig_pipeline_tests.run_job", self.url, self.warehouse.database_url or "embedded",
             (now or self.now()).isoformat(), job, partition_key, str(concurrency), str(accounts_per_write)],
            env=os.environ | {"IG_DEMO": "1"}, stdout=subprocess.DEVNULL, stderr=log)
        process.log = log  # Popen keeps no handle on a file it was given
        return process

    @staticmethod
    def finish(process: subprocess.Popen, timeout: float = 120) -> str:
        """Wait for a run started by start_run; its log. Fails with the log when the run did not succeed."""
        process.wait(timeout=timeout)
        process.log.seek(0)
        log = process.log.read().decode(errors="replace")
        if process.returncode != 0:
            raise AssertionError(f"run exited with {process.returncode}:\n{log[-4000:]}")
        return log

    def fault(self, **spec) -> None:
        httpx.post(f"{self.url}/_sim/faults", json=spec).raise_for_status()

    def truth(self, ig_user_id: str, since: str, until: str, as_served: bool = False) -> list[dict]:
        params = {"since": since, "until": until} | ({"as_served": 1} if as_served else {})
        response = httpx.get(f"{self.url}/_sim/truth/account/{ig_user_id}", params=params, timeout=60)
        response.raise_for_status()
        return response.json()["days"]


class _keep:
    def __init__(self, instance):
        self.instance = instance

    def __enter__(self):
        return self.instance

    def __exit__(self, *exc):
        return False


def connect_accounts(sim_url: str, warehouse: PostgresWarehouse, limit: int | None = None) -> list[str]:
    """Store connections for the world's accounts with simulator-minted tokens, encrypted as the web handler does."""
    from ig_pipeline.connections.crypto import TokenCipher

    cipher = TokenCipher.from_settings(load_settings())
    world = httpx.get(f"{sim_url}/_sim/world", timeout=30).json()
    accounts = world["accounts"][:limit] if limit else world["accounts"]
    rows = []
    for index, account in enumerate(accounts):
        minted = httpx.post(f"{sim_url}/_sim/tokens", json={"ig_user_id": account["id"]}, timeout=30).json()
        rows.append({"ig_user_id": account["id"], "owner_id": f"owner-{index % 3}", "login_type": "facebook",
                     "username": account.get("username"), "account_type": account.get("account_type"),
                     "token_encrypted": cipher.encrypt(minted["access_token"]), "status": "active",
                     "connected_at": START})
    with warehouse.transaction() as conn:
        bulk_upsert(conn, schema.instagram_connection, rows)
    return [a["id"] for a in accounts]


@pytest.fixture
def make_env(warehouse, monkeypatch):
    """Factory: a simulator world of N accounts, all connected to the test's warehouse."""
    servers = []
    monkeypatch.setenv("IG_DEMO", "1")
    monkeypatch.setenv("IG_GRAPH_URL", "http://127.0.0.1:9")  # demo mode needs a loopback URL; make() sets the real one

    def make(accounts: int = 4, seed: int = 3, media: int | None = 40, start: datetime = START,
             latency_ms: int = 0) -> Env:
        from ig_pipeline.simulator import SimConfig
        from ig_pipeline.simulator.server import SimulatorServer

        sim = SimulatorServer(SimConfig(accounts=accounts, seed=seed, start=start, frozen=True,
                                        media_per_account=media, latency_ms=latency_ms))
        sim.__enter__()
        servers.append(sim)
        monkeypatch.setenv("IG_GRAPH_URL", sim.url)
        return Env(sim, warehouse, connect_accounts(sim.url, warehouse))

    yield make
    for sim in servers:
        sim.__exit__(None, None, None)
