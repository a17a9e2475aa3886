"""API cost of a steady-state daily sync under the freshness contract, against the simulator.

One account with 500 posts (20 from the last 30 days). After an initial backfill (reported on
its own: the media list, 90 days of account insights, every post's lifetime insights), a week of
daily syncs, the virtual clock advanced a day each time. A daily sync is what the daily assets
ask the client for:

- ``fetch_account_days`` for yesterday plus the restatement window (IG_RESTATEMENT_DAYS, 3 days);
- ``fetch_recent``: posts younger than 30 days listed, then their insights by request group (daily);
- ``fetch_media_insights`` for the older posts ``due_for_refresh`` picks (about a seventh a day),
  so every post's lifetime insights are at most 7 days old.

Counted calls and round trips come from the simulator's request log (and are checked against
the client's own meter). Last stdout line: one JSON object.

    .venv/bin/python -m bench.api_calls
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta

import httpx

from ig_pipeline.config import load_settings
from ig_pipeline.days import pacific_day
from ig_pipeline.graph import plans
from ig_pipeline.graph.freshness import YOUNG
from ig_pipeline.graph.models import AccountRef, FetchResult, MediaRef
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.simulator import SimConfig
from ig_pipeline.simulator.server import SimulatorServer

START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # 01:00 Pacific: just after the daily boundary
BACKFILL_DAYS = 90
WEEK = 7


class Sim:
    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=60)

    def now(self) -> datetime:
        return datetime.fromisoformat(self.http.get("/_sim/clock").json()["now"])

    def advance_day(self) -> None:
        self.http.post("/_sim/clock", json={"advance": 86400}).raise_for_status()

    def add_account(self) -> dict:
        response = self.http.post("/_sim/accounts", json={"media_total": 500, "media_last_30_days": 20,
                                                          "followers": 5000})
        response.raise_for_status()
        return response.json()

    def take_log(self) -> dict:
        summary = self.http.get("/_sim/requests").json()["summary"]
        self.http.delete("/_sim/requests").raise_for_status()
        return summary


def checked(result: FetchResult, what: str) -> FetchResult:
    if not result.ok:
        raise SystemExit(f"{what} failed: {result.error}")
    return result


async def backfill(client, account: AccountRef, now: datetime, last: dict[str, date | None],
                   known: dict[str, MediaRef]) -> list[FetchResult]:
    yesterday = pacific_day(now) - timedelta(days=1)
    days = [yesterday - timedelta(days=i) for i in range(BACKFILL_DAYS)]
    listing = checked(await plans.fetch_media_list(client, account, None, now), "media list")
    known.update({m.media_id: m for m in listing.media})
    account_days = checked(await plans.fetch_account_days(client, account, days, yesterday), "account backfill")
    due = plans.due_for_refresh([(m, None) for m in known.values()], yesterday)
    insights = checked(await plans.fetch_media_insights(client, account, due, yesterday, now), "insights backfill")
    for media in due:
        last[media.media_id] = yesterday
    return [listing, account_days, insights]


async def daily(client, account: AccountRef, now: datetime, restatement_days: int, last: dict[str, date | None],
                known: dict[str, MediaRef]) -> tuple[list[FetchResult], int]:
    day = pacific_day(now) - timedelta(days=1)
    days = [day - timedelta(days=i) for i in range(restatement_days)]
    account_days = checked(await plans.fetch_account_days(client, account, days, day), "account days")
    recent = checked(await plans.fetch_recent(client, account, now - YOUNG, day, now), "recent media")
    known.update({m.media_id: m for m in recent.media})
    for media in recent.media:
        last[media.media_id] = day
    older = [(m, last.get(m.media_id)) for m in known.values() if m.posted_at < now - YOUNG]
    due = plans.due_for_refresh(older, day)
    insights = checked(await plans.fetch_media_insights(client, account, due, day, now), "older media")
    for media in due:
        last[media.media_id] = day
    tracked = plans.due_for_refresh([(m, None) for m, _ in older], day)  # within the 2-year horizon
    stale = [m for m in tracked if last.get(m.media_id) is None or (day - last[m.media_id]).days > 7]
    return [account_days, recent, insights], len(stale)


def cost(results: list[FetchResult]) -> tuple[int, int]:
    return sum(r.calls for r in results), sum(r.round_trips for r in results)


async def main() -> dict:
    restatement = load_settings().restatement_days
    with SimulatorServer(SimConfig(accounts=0, seed=1, start=START, frozen=True)) as server:
        sim = Sim(server.url)
        added = sim.add_account()
        account = AccountRef(str(added["ig_user_id"]), "bench", added["access_token"])
        resource = InstagramGraphAPI(base_url=server.url, instagram_base_url=server.url)
        last: dict[str, date | None] = {}
        known: dict[str, MediaRef] = {}
        sim.take_log()
        waited: list[float] = []

        async def record_wait(seconds: float) -> None:  # the governor's waits, counted instead of slept
            waited.append(seconds)

        async with resource.client(now=sim.now, sleep=record_wait) as client:
            results = await backfill(client, account, sim.now(), last, known)
            logged = sim.take_log()
            print(f"backfill: {logged['counted_calls']} counted calls, {logged['round_trips']} round trips "
                  f"(client meter: {cost(results)}); {len(known)} media")
            backfill_calls = logged["counted_calls"]
            calls = trips = 0
            for index in range(WEEK):
                sim.advance_day()
                results, stale = await daily(client, account, sim.now(), restatement, last, known)
                logged = sim.take_log()
                parts = ", ".join(f"{name} {c}/{t}" for name, (c, t) in
                                  zip(("account", "recent", "older"), (cost([r]) for r in results), strict=True))
                print(f"day {index + 1}: {logged['counted_calls']} counted calls, {logged['round_trips']} round trips "
                      f"(calls/trips: {parts}); posts older than 7 days: {stale}; "
                      f"warnings: {sum(len(r.warnings) for r in results)}")
                calls += logged["counted_calls"]
                trips += logged["round_trips"]
        print(f"governor waits requested (not slept): {len(waited)}, {sum(waited):.0f} s")
    return {"counted_calls_per_account_day": round(calls / WEEK, 1),
            "round_trips_per_account_day": round(trips / WEEK, 1), "backfill_counted_calls": backfill_calls}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
