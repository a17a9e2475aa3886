"""API cost of competitor and hashtag tracking per tracked item and day (issue 16), against the simulator.

One owner with one Facebook Login account tracks C discoverable competitors and H hashtags; the tracking
job (both assets) runs on D consecutive virtual days. Counted calls come from the simulator's request log,
per day, split by asset through the run metadata (``api_calls``). Day 1 includes each hashtag's first
search; later days are the steady state. Last stdout line: one JSON object.

    .venv/bin/python bench/tracking.py [--competitors 5] [--hashtags 5] [--days 3]
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench._common import emit, scratch_database  # noqa: E402

START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # 01:00 Pacific


def _metadata(result, asset: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    return {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--competitors", type=int, default=5)
    parser.add_argument("--hashtags", type=int, default=5)
    parser.add_argument("--days", type=int, default=3)
    args = parser.parse_args()

    from ig_pipeline.simulator import SimConfig
    from ig_pipeline.simulator.server import SimulatorServer

    with SimulatorServer(SimConfig(accounts=1, seed=3, start=START, frozen=True)) as sim, \
            scratch_database() as engine:
        os.environ.update({"IG_DEMO": "1", "IG_GRAPH_URL": sim.url})
        import dagster as dg

        from ig_pipeline.clock import PipelineClock
        from ig_pipeline.config import load_settings
        from ig_pipeline.connections.crypto import TokenCipher
        from ig_pipeline.days import pacific_day
        from ig_pipeline.definitions import make_definitions
        from ig_pipeline.graph.resource import InstagramGraphAPI
        from ig_pipeline.tracking import store
        from ig_pipeline.warehouse import schema
        from ig_pipeline.warehouse.resource import PostgresWarehouse
        from ig_pipeline.warehouse.upsert import bulk_upsert

        world = httpx.get(f"{sim.url}/_sim/world").json()
        account = world["accounts"][0]["id"]
        token = httpx.post(f"{sim.url}/_sim/tokens", json={"ig_user_id": account}).json()["access_token"]
        url = engine.url.render_as_string(hide_password=False)
        cipher = TokenCipher.from_settings(load_settings())
        competitors = [a["username"] for a in world["public_accounts"] if a["discoverable"]][:args.competitors]
        hashtags = [h["name"] for h in world["hashtags"]][:args.hashtags]
        now = datetime.fromisoformat(httpx.get(f"{sim.url}/_sim/clock").json()["now"])
        with engine.begin() as conn:
            bulk_upsert(conn, schema.instagram_connection, [{
                "ig_user_id": account, "owner_id": "owner", "login_type": "facebook", "status": "active",
                "token_encrypted": cipher.encrypt(token), "connected_at": now}])
            for name in competitors:
                store.add_competitor(conn, "owner", name)
            for tag in hashtags:
                store.add_hashtag(conn, "owner", tag, account, now)
        per_day = []
        with dg.instance_for_test() as instance:
            for day in range(args.days):
                now = datetime.fromisoformat(httpx.get(f"{sim.url}/_sim/clock").json()["now"])
                httpx.delete(f"{sim.url}/_sim/requests").raise_for_status()
                defs = make_definitions({
                    "graph": InstagramGraphAPI(base_url=sim.url, instagram_base_url=sim.url, version="v24.0",
                                               app_secret=None),
                    "warehouse": PostgresWarehouse(database_url=url), "clock": PipelineClock(fixed_now=now.isoformat())})
                result = defs.resolve_job_def("instagram_tracking_job").execute_in_process(
                    instance=instance, partition_key=(pacific_day(now) - timedelta(days=1)).isoformat())
                logged = httpx.get(f"{sim.url}/_sim/requests").json()["summary"]
                competitor_calls = _metadata(result, "instagram_competitor_daily")["api_calls"]
                hashtag_calls = _metadata(result, "instagram_hashtag_media")["api_calls"]
                per_day.append({"day": day + 1, "counted_calls": logged["counted_calls"],
                                "competitor_calls": competitor_calls, "hashtag_calls": hashtag_calls})
                print(f"day {day + 1}: {logged['counted_calls']} counted calls (competitors {competitor_calls}, "
                      f"hashtags {hashtag_calls})")
                httpx.post(f"{sim.url}/_sim/clock", json={"advance": 86400}).raise_for_status()
    steady = per_day[-1]
    emit({"competitors": len(competitors), "hashtags": len(hashtags), "days": per_day,
          "calls_per_competitor_day": round(steady["competitor_calls"] / max(1, len(competitors)), 2),
          "calls_per_hashtag_day": round(steady["hashtag_calls"] / max(1, len(hashtags)), 2),
          "first_day_calls_per_hashtag": round(per_day[0]["hashtag_calls"] / max(1, len(hashtags)), 2)})


if __name__ == "__main__":
    main()
