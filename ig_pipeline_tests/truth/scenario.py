"""The truth suite's scenario: a simulated world run through the pipeline as production would.

Accounts are connected through the OAuth handler's connect link and the simulator's login dialog,
then: a backfill (account insights for 20 days, every media posted since the partitions begin, the
media snapshot of yesterday), an intraday snapshot, the audience; then four virtual days run by the
daily schedules (restatement window included), each followed by an afternoon intraday snapshot
with live stories and a delivery of the story webhooks. Every run's instant (the run clock) is
logged so the comparison can ask the simulator what it served at that instant.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import dagster as dg
import httpx
import uvicorn

from ig_pipeline.automation.schedules import DAILY_SYNC_SCHEDULES
from ig_pipeline.days import pacific_day
from ig_pipeline.partitions import DAILY_START, intraday_key, range_tags
from ig_pipeline_tests.simenv import Env

# 01:00 Pacific, right after the daily schedules' tick; exactly two years after the daily partitions begin
# (2024-12-01), so media listed at the start cross the API's two-year insight horizon during the run
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SEED = 29
WORLD_ACCOUNTS = 4
MEDIA_PER_ACCOUNT = 60
BACKFILL_DAYS = 20
VIRTUAL_DAYS = 4
AFTERNOON = timedelta(hours=13, minutes=40)  # after the daily tick: 14:40 Pacific, stories live


@dataclass
class Run:
    job: str
    at: datetime  # the run clock (simulator time when it ran)
    run_id: str
    partition: str | None = None
    first_day: str | None = None
    last_day: str | None = None
    seconds: float = 0.0  # wall-clock duration of the run
    failed_checks: list[str] = field(default_factory=list)  # "asset:check severity" of checks that failed


@dataclass
class Scenario:
    env: Env
    oauth_url: str
    runs: list[Run] = field(default_factory=list)
    owners: dict[str, str] = field(default_factory=dict)  # ig_user_id -> owner (tenant) it was connected by
    connected: tuple[datetime, datetime] | None = None  # wall-clock bounds of the connect flow
    connect_at: datetime | None = None  # simulator time of the connect flow
    webhook_wall: list[tuple[datetime, datetime]] = field(default_factory=list)
    connects: int = 0  # completed connect flows
    tracked: object = None  # truth/tracking.py Tracked: the tenants' competitors and hashtags

    @property
    def url(self) -> str:
        return self.env.url

    def of(self, *jobs: str) -> list[Run]:
        return [r for r in self.runs if r.job in jobs]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OAuthHandler:
    """The web app (connect flow + webhooks) on loopback, in a thread."""

    def __init__(self, settings, database_url: str, port: int):
        from ig_pipeline.web.app import create_app

        self.server = uvicorn.Server(uvicorn.Config(create_app(settings, database_url), host="127.0.0.1",
                                                    port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


def connect_all(scenario: Scenario, settings) -> None:
    """Every Facebook user with an Instagram professional account connects through the dialog."""
    from ig_pipeline.demo.connect import connect_through_dialog
    from ig_pipeline.web.links import make_connect_link

    world = httpx.get(f"{scenario.url}/_sim/world", timeout=30).json()
    users = [u for u in world["fb_users"] if any(p.get("instagram_business_account") for p in u["pages"])]
    scenario.connect_at = scenario.env.now()
    began = datetime.now(UTC)
    with httpx.Client(timeout=60) as http:
        for index, user in enumerate(users):
            owner = f"tenant-{index % 2}"
            connect_through_dialog(http, make_connect_link(owner, settings, 3600), user["id"])
            scenario.connects += 1
            for page in user["pages"]:
                if page.get("instagram_business_account"):
                    scenario.owners[page["instagram_business_account"]] = owner
    scenario.connected = (began, datetime.now(UTC))
    scenario.env.accounts = sorted(scenario.owners)


def _defs(scenario: Scenario) -> dg.Definitions:
    """The project's definitions on the simulator, at its clock; facebook_views/crossposted_views on
    (the setting that asks for them, so that they too are compared with what the API serves)."""
    env = scenario.env
    return env.defs(graph=env.graph(fetch_facebook_views=True))


def _execute(scenario: Scenario, instance, job: str, *, partition_key=None, tags=None) -> Run:
    env = scenario.env
    at = env.now()
    began = time.monotonic()
    result = _defs(scenario).resolve_job_def(job).execute_in_process(
        instance=instance, partition_key=partition_key, tags=tags or {}, raise_on_error=True)
    assert result.success, job
    run = Run(job, at, result.run_id, partition_key, (tags or {}).get("dagster/asset_partition_range_start"),
              (tags or {}).get("dagster/asset_partition_range_end"), time.monotonic() - began)
    run.failed_checks = [f"{e.asset_key.to_user_string()}:{e.check_name} {e.severity.value}"
                         for e in result.get_asset_check_evaluations() if not e.passed]
    scenario.runs.append(run)
    return run


def _daily_schedules(scenario: Scenario, instance) -> None:
    defs = _defs(scenario)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=scenario.env.now(),
                                        repository_def=defs.get_repository_def(), resources=defs.resources)
    for schedule in DAILY_SYNC_SCHEDULES:
        for request in schedule.evaluate_tick(context).run_requests:
            _execute(scenario, instance, schedule.job_name, partition_key=request.partition_key,
                     tags=dict(request.tags))


def _deliver_webhooks(scenario: Scenario) -> None:
    began = datetime.now(UTC)
    response = httpx.post(f"{scenario.url}/_sim/webhooks/deliver",
                          json={"url": f"{scenario.oauth_url}/webhooks/instagram",
                                "fields": ["story_insights", "mentions"]}, timeout=60)
    response.raise_for_status()
    scenario.webhook_wall.append((began, datetime.now(UTC)))


def run_scenario(scenario: Scenario) -> None:
    """The backfill one step an hour (the app's hourly call budget is shared by every account), then
    VIRTUAL_DAYS days of afternoon snapshot + webhooks and the next morning's daily schedules."""
    env = scenario.env
    start = env.now()
    today = pacific_day(start)
    yesterday = today - timedelta(days=1)

    def at(offset: timedelta) -> None:
        env.advance((start + offset - env.now()).total_seconds())

    from ig_pipeline_tests.truth import tracking

    scenario.tracked = tracking.track(scenario)
    with dg.instance_for_test() as instance:
        _execute(scenario, instance, "instagram_account_daily_job",
                 tags=range_tags((today - timedelta(days=BACKFILL_DAYS)).isoformat(), yesterday.isoformat()))
        at(timedelta(hours=1))
        _execute(scenario, instance, "instagram_media_job", tags=range_tags(DAILY_START, yesterday.isoformat()))
        at(timedelta(hours=2))
        _execute(scenario, instance, "instagram_media_daily_job", partition_key=yesterday.isoformat())
        at(timedelta(hours=3))
        _execute(scenario, instance, "instagram_intraday_job", partition_key=intraday_key(env.now()))
        at(timedelta(hours=4))
        _execute(scenario, instance, "instagram_audience_job")
        for day in range(VIRTUAL_DAYS):
            at(timedelta(days=day) + AFTERNOON)
            _execute(scenario, instance, "instagram_intraday_job", partition_key=intraday_key(env.now()))
            _deliver_webhooks(scenario)
            at(timedelta(days=day + 1))
            _daily_schedules(scenario, instance)
            _execute(scenario, instance, tracking.JOB, partition_key=(pacific_day(env.now()) - timedelta(days=1)).isoformat())
            _execute(scenario, instance, "instagram_engagement_job",
                     partition_key=(pacific_day(env.now()) - timedelta(days=1)).isoformat())
        _deliver_webhooks(scenario)


def temp_data_dir() -> str:
    return tempfile.mkdtemp(prefix="ig_truth_")
