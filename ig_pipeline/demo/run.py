"""The demo: embedded Postgres + simulator + OAuth handler + Dagster, wired and running.

Both modes run the same work through Dagster, so every asset is materialized: the backfill, one
daily sync, one intraday snapshot and the charts. Long-running mode then starts the Dagster
webserver and daemon and runs until Ctrl-C; ``--once`` prints a summary and exits (its runs appear
in the UI of a later long-running demo). Either way ``$IG_DATA_DIR/demo.env`` holds the settings
for another terminal.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from ig_pipeline.config import load_settings
from ig_pipeline.demo.connect import connect_through_dialog
from ig_pipeline.demo.envfile import source_line, write_env_file
from ig_pipeline.demo.processes import RUN_THREAD, Supervisor, bin_argv, cli_argv, ensure_port_free
from ig_pipeline.errors import UserError

REPO = Path(__file__).resolve().parents[2]
TABLES = ("instagram_connection", "instagram_account_daily", "instagram_media", "instagram_media_daily",
          "instagram_account_intraday", "instagram_media_intraday", "instagram_account_demographics",
          "instagram_online_followers", "instagram_sync_state", "instagram_competitor_daily",
          "instagram_competitor_media", "instagram_hashtag_media", "instagram_tagged_media", "instagram_media_comment")


def add_commands(subparsers) -> None:
    cmd = subparsers.add_parser("demo", help="run everything locally on the simulator")
    cmd.add_argument("--once", action="store_true", help="headless: backfill, one daily sync, one snapshot, exit")
    cmd.add_argument("--reset", action="store_true", help="start from an empty IG_DATA_DIR")
    cmd.add_argument("--accounts", type=int, default=25, help="simulated Instagram accounts (default 25)")
    cmd.add_argument("--days", type=int, default=30, help="days of history to backfill (default 30)")
    cmd.add_argument("--seed", type=int, default=7)
    cmd.add_argument("--simulator-port", type=int, default=8765)
    cmd.add_argument("--oauth-port", type=int, default=8766)
    cmd.add_argument("--dagster-port", type=int, default=3000)
    cmd.set_defaults(func=run_demo)


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def demo_environment(args, data_dir: Path) -> dict[str, str]:
    from ig_pipeline.days import pacific_day

    oauth = f"http://127.0.0.1:{args.oauth_port}"
    first_day = pacific_day(datetime.now(UTC)) - timedelta(days=args.days)  # the UI shows the loaded days only
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IG_", "DAGSTER_"))}
    env.update({
        "IG_DEMO": "1", "IG_DATA_DIR": str(data_dir),
        "IG_GRAPH_URL": f"http://127.0.0.1:{args.simulator_port}",
        "IG_OAUTH_PUBLIC_URL": oauth, "IG_REDIRECT_URI": f"{oauth}/instagram/callback",
        "IG_DAGSTER_UI_URL": f"http://127.0.0.1:{args.dagster_port}",
        "IG_BACKFILL_DAYS": str(args.days), "IG_DAILY_PARTITIONS_START": first_day.isoformat(),
        "IG_INTRADAY_PARTITIONS_START": datetime.now(UTC).date().isoformat(),  # snapshots start today
    })
    for name in ("IG_DATABASE_URL", "IG_ALERT_WEBHOOK_URL"):  # the only settings a demo user may bring
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def run_demo(args) -> int:
    from ig_pipeline.demo.processes import PortInUse

    data_dir = load_settings().data_dir
    if args.reset:
        reset(data_dir)
    try:
        ensure_port_free(args.simulator_port, "simulator", "--simulator-port")
        ensure_port_free(args.oauth_port, "OAuth handler", "--oauth-port")
        if not args.once:
            ensure_port_free(args.dagster_port, "Dagster UI", "--dagster-port")
    except PortInUse as exc:
        raise UserError(str(exc)) from None

    env = demo_environment(args, data_dir)
    os.environ.update(env)  # this process runs the backfill through Dagster with the same settings
    _log_to_file(data_dir / "logs" / "demo.log")
    supervisor = Supervisor(data_dir / "logs")
    _stop_on_sigterm()
    started = time.monotonic()
    try:
        return _run(args, env, supervisor, data_dir, started)
    except KeyboardInterrupt:
        say("stopping…")
        for handler in logging.getLogger().handlers:  # a run cut short complains; that goes to the log file only
            if not isinstance(handler, logging.FileHandler):
                handler.setLevel(logging.CRITICAL)
        return 0
    finally:
        for stop_signal in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the stop short
            signal.signal(stop_signal, signal.SIG_IGN)
        supervisor.stop()
        from ig_pipeline.warehouse import embedded

        if not os.environ.get("IG_DATABASE_URL") and embedded.stop(data_dir):
            say("embedded Postgres stopped")
        if any(thread.name == RUN_THREAD and thread.is_alive() for thread in threading.enumerate()):
            _end_with_the_interrupted_run()


def _end_with_the_interrupted_run() -> None:
    """A run cut short by Ctrl-C cannot be stopped from outside its thread: end the process with it
    (instead of letting it retry a stopped database), and the helper processes Dagster started to
    capture its output (`tail -F`), which would otherwise outlive it. Supervised children are gone."""
    import psutil

    for child in psutil.Process().children(recursive=True):
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    sys.stdout.flush()
    os._exit(0)


def _run(args, env, supervisor: Supervisor, data_dir: Path, started: float) -> int:
    from ig_pipeline.dagster_instance import dagster_environment
    from ig_pipeline.warehouse.database import get_engine, warehouse_url
    from ig_pipeline.warehouse.migrate import migrate
    from ig_pipeline.warehouse.table_partitions import maintain

    settings = load_settings()
    say(f"data directory {data_dir}")
    engine = get_engine(warehouse_url(settings))
    migrate(engine)
    with engine.begin() as conn:
        maintain(conn, datetime.now(UTC).date(), settings.intraday_retention_months)
    env.update(dagster_environment(settings))
    os.environ.update(env)
    say("warehouse migrated (embedded Postgres)" if not settings.database_url else "warehouse migrated")

    sim_url, oauth_url = settings.graph_url, settings.oauth_public_url
    supervisor.start("simulator", cli_argv("simulator", "--port", str(args.simulator_port), "--accounts",
                                           str(args.accounts), "--seed", str(args.seed)), env)
    supervisor.wait_http("simulator", f"{sim_url}/_sim/clock")
    supervisor.start("oauth-server", cli_argv("oauth-server", "--port", str(args.oauth_port)), env)
    supervisor.wait_http("oauth-server", f"{oauth_url}/healthz")
    say(f"simulator at {sim_url} ({args.accounts} accounts), OAuth handler at {oauth_url}")

    connected = connect_all(sim_url, settings)
    say(f"connected {connected} Instagram account(s) through the OAuth flow")

    from ig_pipeline.demo.backfill import backfill, daily_sync, intraday_snapshot, report, summary
    from ig_pipeline.demo.engagement import engagement
    from ig_pipeline.demo.tracking import track_for_demo, tracking

    track_for_demo(engine, sim_url, say)
    succeeded = all([backfill(args.days, say), daily_sync(say), tracking(say), engagement(say),
                     intraday_snapshot(say), report(say)])
    env_file = write_env_file(env, data_dir)
    if args.once:
        print(summary(engine, sim_url, TABLES))
        say(f"settings for the runbook's commands (they reach the simulator while `ig-pipeline demo` runs): "
            f"{source_line(env_file)}")
        say(f"done in {time.monotonic() - started:.0f}s" + ("" if succeeded else "; some runs FAILED (above)"))
        return 0 if succeeded else 1

    if not succeeded:
        say("some runs FAILED (above); the UI shows them under Runs")
    supervisor.start("dagster-webserver", bin_argv("dagster-webserver", "-w", "workspace.yaml", "-h",
                                                   "127.0.0.1", "-p", str(args.dagster_port)), env, cwd=REPO)
    supervisor.start("dagster-daemon", bin_argv("dagster-daemon", "run", "-w", "workspace.yaml"), env, cwd=REPO)
    supervisor.wait_http("dagster-webserver", f"http://127.0.0.1:{args.dagster_port}/server_info", timeout_s=120)
    from ig_pipeline.web.links import make_connect_link

    print(f"""
  Dagster UI        http://127.0.0.1:{args.dagster_port}   (assets, partitions, runs, schedules on)
  Connect page      {make_connect_link("demo-visitor", settings)}
  Simulator         {sim_url}/_sim/world
  Warehouse (psql)  psql "{warehouse_url(settings).set(drivername='postgresql').render_as_string(False)}"
  Charts            {data_dir / 'reports'}   (and Assets → instagram_report in the UI)
  Logs              {data_dir / 'logs'}
  Other terminal    {source_line(env_file)}   (then the runbook's commands act on this demo)

  Ctrl-C stops everything.
""", flush=True)
    _stop_on_sigterm()  # Dagster's in-process runs above re-pointed SIGTERM at SIGINT's handler
    while True:
        for name, process in supervisor.children:
            if process.poll() is not None:
                say(f"{name} exited with code {process.returncode}; see {data_dir / 'logs' / name}.log")
                return 1
        time.sleep(1)


def _log_to_file(path: Path) -> None:
    """The project's own log lines go to a file; the terminal keeps warnings and the demo's progress."""
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setLevel(logging.WARNING)
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)


def _stop_on_sigterm() -> None:
    """SIGTERM (kill, systemd, docker stop) stops the demo like Ctrl-C. Set again after Dagster runs
    in this process: they map SIGTERM to whatever SIGINT does, which is "ignore" when the demo was
    started in the background by a script."""
    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def connect_all(sim_url: str, settings) -> int:
    """One app user per simulated Facebook user with a professional account, each through the dialog.

    (The world also has people whose Pages have no Instagram professional account; the handler
    refuses them with its troubleshooting page, which the tests cover.)
    """
    from ig_pipeline.web.links import make_connect_link

    world = httpx.get(f"{sim_url}/_sim/world", timeout=30).json()
    connected = 0
    for index, user in enumerate(world["fb_users"]):
        linked = sum(1 for page in user["pages"] if page.get("instagram_business_account"))
        if not linked:
            continue
        with httpx.Client(timeout=60) as http:
            connect_through_dialog(http, make_connect_link(f"demo-owner-{index + 1:02d}", settings), user["id"])
        connected += linked
    return connected


def reset(data_dir: Path) -> None:
    from ig_pipeline.warehouse import embedded

    embedded.stop(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)
    say(f"reset: removed {data_dir}")
