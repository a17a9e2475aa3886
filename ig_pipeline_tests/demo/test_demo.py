"""The demo from a fresh data directory: headless once, then again (no duplicates), then long-running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import psutil
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.slow

TABLES = ("instagram_connection", "instagram_account_daily", "instagram_media", "instagram_media_daily",
          "instagram_account_intraday", "instagram_media_intraday", "instagram_sync_state")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _demo_args(ports: dict[str, int], *extra: str) -> list[str]:
    return [sys.executable, "-m", "ig_pipeline.cli", "demo", "--accounts", "6", "--days", "7",
            "--simulator-port", str(ports["sim"]), "--oauth-port", str(ports["oauth"]),
            "--dagster-port", str(ports["dagster"]), *extra]


def _counts(data_dir) -> dict[str, int]:
    from ig_pipeline.config import load_settings
    from ig_pipeline.warehouse import embedded
    from ig_pipeline.warehouse.database import get_engine, warehouse_url

    os.environ["IG_DATA_DIR"] = str(data_dir)
    engine = get_engine(warehouse_url(load_settings()))
    try:
        with engine.connect() as conn:
            counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
            keys = conn.execute(sa.text("SELECT count(*) - count(DISTINCT (ig_user_id, day)) "
                                        "FROM instagram_account_daily")).scalar_one()
    finally:
        engine.dispose()
        embedded.stop(data_dir)
    return counts | {"_repeated_keys": keys}


def _children_of_data_dir(data_dir) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "environ"]):
        try:
            blob = " ".join(process.info["cmdline"] or []) + str((process.info["environ"] or {}).get("IG_DATA_DIR"))
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
        if str(data_dir) in blob and process.pid != os.getpid() and process.status() != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def test_demo_once_twice_then_long_running(server_dir):
    data_dir = server_dir / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IG_", "DAGSTER_"))} | {
        "IG_DATA_DIR": str(data_dir)}
    ports = {"sim": _free_port(), "oauth": _free_port(), "dagster": _free_port()}

    first = subprocess.run(_demo_args(ports, "--once"), env=env, capture_output=True, text=True, timeout=400)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "accounts ok" in first.stdout and "FAILED" not in first.stdout
    counts = _counts(data_dir)
    assert all(counts[t] > 0 for t in TABLES), counts
    assert counts["_repeated_keys"] == 0

    second = subprocess.run(_demo_args(ports, "--once"), env=env, capture_output=True, text=True, timeout=400)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    again = _counts(data_dir)
    assert again["instagram_connection"] == counts["instagram_connection"]
    assert again["instagram_account_daily"] == counts["instagram_account_daily"]
    assert again["_repeated_keys"] == 0
    assert _children_of_data_dir(data_dir) == []

    demo = subprocess.Popen(_demo_args(ports), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ui = f"http://127.0.0.1:{ports['dagster']}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(ui, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert demo.poll() is None, demo.stdout.read()[-3000:]
            time.sleep(1)
        assert httpx.get(ui, timeout=10).status_code == 200
        query = {"query": "{ assetNodes { assetKey { path } } }"}
        nodes = httpx.post(f"{ui}/graphql", json=query, timeout=60).json()["data"]["assetNodes"]
        keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
        assert {"instagram_account_daily", "instagram_media", "instagram_media_daily",
                "instagram_account_intraday", "instagram_media_intraday"} <= keys
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=90)
    time.sleep(1)
    assert _children_of_data_dir(data_dir) == [], "the demo left processes behind"
