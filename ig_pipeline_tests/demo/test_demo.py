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

ASSETS = {"instagram_account_daily", "instagram_media", "instagram_media_daily", "instagram_account_intraday",
          "instagram_media_intraday", "instagram_account_demographics", "instagram_online_followers",
          "instagram_report", "instagram_competitor_daily", "instagram_competitor_media", "instagram_hashtag_media",
          "instagram_tagged_media", "instagram_media_comment"}
TABLES = ("instagram_connection", "instagram_account_daily", "instagram_media", "instagram_media_daily",
          "instagram_account_intraday", "instagram_media_intraday", "instagram_sync_state",
          "instagram_competitor_daily", "instagram_competitor_media", "instagram_hashtag_media",
          "ig_competitor_benchmark", "ig_hashtag_performance", "instagram_tagged_media", "instagram_media_comment",
          "ig_comment_summary")


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


def _materialized_assets(data_dir) -> set[str]:
    """Assets with a materialization in the demo's Dagster instance (read in a child: the demo's settings)."""
    code = ("import os; from ig_pipeline.dagster_instance import dagster_environment; "
            "os.environ.update(dagster_environment()); import dagster as dg\n"
            "with dg.DagsterInstance.get() as instance:\n"
            "    print(' '.join(sorted(k.to_user_string() for k in instance.get_asset_keys() "
            "if instance.get_latest_materialization_event(k))))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IG_", "DAGSTER_"))} | {
        "IG_DATA_DIR": str(data_dir)}
    try:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-3000:]
        return set(out.stdout.split())
    finally:
        from ig_pipeline.warehouse import embedded

        embedded.stop(data_dir)


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
    terminal = (first.stdout + first.stderr).splitlines()
    assert len(terminal) <= 60 and not [line for line in terminal if "DEBUG" in line or "Warning" in line], terminal
    assert f"source {data_dir / 'demo.env'}" in first.stdout
    assert " DEBUG " in (data_dir / "logs" / "dagster-runs.log").read_text()  # the event log went to the file
    assert sorted(p.name for p in (data_dir / "reports").iterdir()) != []  # the charts
    assert _materialized_assets(data_dir) == ASSETS  # every asset, the intraday snapshot and the report too
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
        assert ASSETS <= keys
        _runbook_commands_act_on_the_demo(data_dir, ports)
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=90)
    time.sleep(1)
    assert _children_of_data_dir(data_dir) == [], "the demo left processes behind"
    # Restart at once: the connections just closed (TIME_WAIT) must not count as "port in use".
    again = subprocess.Popen(_demo_args(ports), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(8)
        assert again.poll() is None, again.stdout.read()[-3000:]
    finally:
        again.send_signal(signal.SIGINT)
        again.wait(timeout=90)
    # Stopped mid-run: Dagster's log-capture helpers (`tail -F` and its orphan watcher) end by themselves
    # within a second or two of the process they served.
    deadline = time.monotonic() + 15
    while _children_of_data_dir(data_dir) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _children_of_data_dir(data_dir) == []


def _runbook_commands_act_on_the_demo(data_dir, ports) -> None:
    """In a shell that has production settings, `source demo.env` and the runbook's commands hit the simulator."""
    sim = f"http://127.0.0.1:{ports['sim']}"
    before = httpx.get(f"{sim}/_sim/requests", timeout=30).json()["summary"]["round_trips"]
    yesterday = subprocess.run([sys.executable, "-c", "from datetime import UTC, datetime, timedelta; "
                                "from ig_pipeline.days import pacific_day; "
                                "print(pacific_day(datetime.now(UTC)) - timedelta(days=1))"],
                               capture_output=True, text=True, check=True).stdout.strip()
    script = (f"export IG_APP_SECRET=production-secret IG_GRAPH_URL=https://graph.facebook.com; "
              f"source {data_dir / 'demo.env'}; "
              f"{sys.executable} -m ig_pipeline.cli connect-link --owner demo-owner-03 && "
              f"{sys.executable} -m ig_pipeline.cli dagster asset materialize -m ig_pipeline.definitions "
              f"--select instagram_account_daily --partition {yesterday}")
    shell_env = {k: v for k, v in os.environ.items() if not k.startswith(("IG_", "DAGSTER_"))}
    done = subprocess.run(["bash", "-c", script], env=shell_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.startswith(f"http://127.0.0.1:{ports['oauth']}/instagram/connect?")
    after = httpx.get(f"{sim}/_sim/requests", timeout=30).json()["summary"]["round_trips"]
    assert after > before, "the materialize did not call the simulator"


def test_port_check_ignores_time_wait_but_not_a_listener():
    from ig_pipeline.demo.processes import PortInUse, ensure_port_free

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    with pytest.raises(PortInUse, match=f"port {port} \\(UI\\) is already in use.*--ui-port"):
        ensure_port_free(port, "UI", "--ui-port")
    accepted.close()  # the server side closes first: its end of the connection stays in TIME_WAIT
    time.sleep(0.2)
    client.close()
    server.close()
    time.sleep(0.2)
    with socket.socket() as plain, pytest.raises(OSError):  # what the old check did
        plain.bind(("127.0.0.1", port))
    ensure_port_free(port, "UI", "--ui-port")


def test_demo_env_file_replaces_production_settings_and_holds_no_secret(tmp_path):
    from ig_pipeline.config import DEMO_APP_SECRET, DEMO_TOKEN_KEY
    from ig_pipeline.demo.envfile import source_line, write_env_file

    data_dir = tmp_path / "data dir"
    env = {"IG_DEMO": "1", "IG_DATA_DIR": str(data_dir), "IG_GRAPH_URL": "http://127.0.0.1:8765",
           "IG_OAUTH_PUBLIC_URL": "http://127.0.0.1:8766", "IG_DATABASE_URL": "postgresql://u:pw@db/x",
           "IG_DAGSTER_PG_URL": "postgresql://u:pw@db/d"}
    path = write_env_file(env, data_dir)
    text = path.read_text()
    assert (path.stat().st_mode & 0o777) == 0o600
    assert "pw@" not in text and DEMO_APP_SECRET not in text and DEMO_TOKEN_KEY not in text
    script = ("export IG_APP_SECRET=production IG_GRAPH_URL=https://graph.facebook.com IG_TOKEN_KEYS=k; "
              f"{source_line(path)}; env")
    shell = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True,
                           env={"PATH": os.environ["PATH"]}).stdout.splitlines()
    assert "IG_GRAPH_URL=http://127.0.0.1:8765" in shell and f"IG_DATA_DIR={data_dir}" in shell
    assert not [line for line in shell if line.startswith(("IG_APP_SECRET=", "IG_TOKEN_KEYS="))]
