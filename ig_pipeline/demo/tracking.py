"""The demo's competitors and hashtags: every demo owner tracks a few simulated public accounts and two
hashtags (its own account's word, which its posts carry, and a topic), then the tracking job runs, so
``ig-pipeline demo --once`` fills instagram_competitor_*, instagram_hashtag_media and their views."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from ig_pipeline.connections import store as connections
from ig_pipeline.days import pacific_yesterday
from ig_pipeline.demo.backfill import Say, _execute
from ig_pipeline.tracking import store

COMPETITORS_PER_OWNER = 3
TOPICS = ("coffee", "travel", "design", "foodie")


def track_for_demo(engine, sim_url: str, say: Say) -> None:
    world = httpx.get(f"{sim_url}/_sim/world", timeout=30).json()
    public = [a["username"] for a in world["public_accounts"] if a["discoverable"]]
    usernames = {a["id"]: a["username"] for a in world["accounts"]}
    now = datetime.now(UTC)
    with engine.begin() as conn:
        askers = connections.first_facebook_login_per_owner(conn)
        for index, (owner, asker) in enumerate(askers):
            for k in range(COMPETITORS_PER_OWNER):
                store.add_competitor(conn, owner, public[(index * COMPETITORS_PER_OWNER + k) % len(public)])
            for tag in (usernames[asker].split(".")[0], TOPICS[index % len(TOPICS)]):
                store.add_hashtag(conn, owner, tag, asker, now)
    say(f"{len(askers)} owner(s) track {COMPETITORS_PER_OWNER} competitors and 2 hashtags each")


def tracking(say: Say) -> bool:
    """The tracking job for yesterday, after the daily sync (own posts are known by then)."""
    yesterday = pacific_yesterday(datetime.now(UTC)).isoformat()
    return _execute("instagram_tracking_job", f"competitors and hashtags for {yesterday}", say,
                    partition_key=yesterday)
