"""The scenario's competitors and hashtags, and their expected rows from ``/_sim/truth/competitor``,
``/_sim/truth/hashtag`` and ``/_sim/truth/hashtag_budget`` at the instants the tracking job ran.

Each tenant tracks two discoverable public accounts (one that hides like counts on some posts) and two
hashtags (the word of one of its own accounts, whose posts carry it, and a topic). The tracking job runs
right after each morning's daily schedules, at the same run clock, so every own post a hashtag lists is
already in instagram_media and ``is_own_post`` is exactly "posted by one of the tenant's accounts".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from ig_pipeline.days import pacific_day
from ig_pipeline.graph.transforms import parse_time
from ig_pipeline.tracking import store
from ig_pipeline_tests.truth.expected import Expected

JOB = "instagram_tracking_job"
TOPIC = "coffee"
HASHTAG_PAGE = 50
MEDIA_FIELDS = ("caption", "media_type", "media_product_type", "permalink", "like_count", "comments_count")


@dataclass
class Tracked:
    competitors: dict[str, list[str]] = field(default_factory=dict)  # owner -> usernames
    hashtags: dict[str, list[str]] = field(default_factory=dict)  # owner -> hashtags
    asker: dict[str, str] = field(default_factory=dict)  # owner -> its account that asks (first by id)


def track(scenario) -> Tracked:
    """What each tenant tracks, stored as ``ig-pipeline competitors|hashtags add`` would."""
    world = httpx.get(f"{scenario.url}/_sim/world", timeout=30).json()
    public = [a for a in world["public_accounts"] if a["discoverable"]]
    hiding = [a["username"] for a in public if a["hides_some_like_counts"]]
    plain = [a["username"] for a in public if not a["hides_some_like_counts"]]
    usernames = {a["id"]: a["username"] for a in world["accounts"]}
    tracked = Tracked()
    now = scenario.env.now()
    with scenario.env.warehouse.transaction() as conn:
        for index, owner in enumerate(sorted(set(scenario.owners.values()))):
            asker = min(ig for ig, o in scenario.owners.items() if o == owner)
            tracked.asker[owner] = asker
            tracked.competitors[owner] = [hiding[index], plain[index]]
            tracked.hashtags[owner] = [usernames[asker].split(".")[0], TOPIC]
            for name in tracked.competitors[owner]:
                store.add_competitor(conn, owner, name)
            for tag in tracked.hashtags[owner]:
                store.add_hashtag(conn, owner, tag, asker, now)
    return tracked


def _truth(scenario, path: str, at: datetime) -> dict:
    response = httpx.get(f"{scenario.url}{path}", params={"at": at.isoformat()}, timeout=60)
    response.raise_for_status()
    return response.json()


def _at(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def tracked_competitors(scenario) -> Expected:
    out = Expected(("owner_id", "username"))
    for owner, names in scenario.tracked.competitors.items():
        for name in names:
            out.required[(owner, name)] = {"owner_id": owner, "username": name}
    return out


def tracked_hashtags(scenario) -> Expected:
    out = Expected(("owner_id", "hashtag"))
    end = scenario.of(JOB)[-1].at
    for owner, tags in scenario.tracked.hashtags.items():
        for tag in tags:
            out.required[(owner, tag)] = {"owner_id": owner, "hashtag": tag, "ig_user_id": scenario.tracked.asker[owner],
                                          "hashtag_id": _truth(scenario, f"/_sim/truth/hashtag/{tag}", end)["id"]}
    return out


def search_ledger(scenario) -> Expected:
    """The API's own count of each asking account's hashtags: first query instant and name."""
    out = Expected(("ig_user_id", "hashtag_id"))
    last = scenario.of(JOB)[-1].at
    for owner, asker in scenario.tracked.asker.items():
        budget = _truth(scenario, f"/_sim/truth/hashtag_budget/{asker}", last)
        for entry in budget["hashtags"]:
            out.required[(asker, entry["id"])] = {
                "ig_user_id": asker, "hashtag_id": entry["id"], "owner_id": owner, "hashtag": entry["name"],
                "window_started_at": _at(parse_time(entry["first_queried_at"])), "last_searched_at": _at(last),
                "source": "pipeline"}
    return out


def competitor_daily(scenario) -> Expected:
    out = Expected(("owner_id", "username", "day"))
    for run in scenario.of(JOB):
        day = datetime.fromisoformat(run.partition).date()
        for owner, names in scenario.tracked.competitors.items():
            for name in names:
                profile = _truth(scenario, f"/_sim/truth/competitor/{name}", run.at)["profile"]
                out.required[(owner, name, day)] = {
                    "owner_id": owner, "username": name, "day": day, "competitor_ig_id": profile["id"],
                    "ig_user_id": scenario.tracked.asker[owner],
                    **{c: profile.get(c) for c in ("name", "biography", "website", "profile_picture_url",
                                                   "followers_count", "follows_count", "media_count")},
                    "captured_at": _at(run.at)}
    return out


def competitor_media(scenario) -> Expected:
    out = Expected(("owner_id", "media_id", "day"))
    for run in scenario.of(JOB):
        day = datetime.fromisoformat(run.partition).date()
        for owner, names in scenario.tracked.competitors.items():
            for name in names:
                for item in _truth(scenario, f"/_sim/truth/competitor/{name}", run.at)["profile"]["media"]["data"]:
                    posted = parse_time(item["timestamp"])
                    out.required[(owner, item["id"], day)] = {
                        "owner_id": owner, "media_id": item["id"], "day": day, "username": name,
                        **{c: item.get(c) for c in MEDIA_FIELDS}, "posted_at": _at(posted),
                        "posted_day": pacific_day(posted), "captured_at": _at(run.at)}
    return out


def hashtag_media(scenario) -> Expected:
    out = Expected(("owner_id", "hashtag", "day", "list_kind", "media_id"))
    for run in scenario.of(JOB):
        day = datetime.fromisoformat(run.partition).date()
        for owner, tags in scenario.tracked.hashtags.items():
            own = {ig for ig, o in scenario.owners.items() if o == owner}
            for tag in tags:
                truth = _truth(scenario, f"/_sim/truth/hashtag/{tag}", run.at)
                for kind in ("top", "recent"):
                    for item in truth[kind][:HASHTAG_PAGE]:
                        out.required[(owner, tag, day, kind, item["id"])] = {
                            "owner_id": owner, "hashtag": tag, "day": day, "list_kind": kind, "media_id": item["id"],
                            "ig_user_id": scenario.tracked.asker[owner], "hashtag_id": truth["id"],
                            "rank": item["rank"], **{c: item.get(c) for c in MEDIA_FIELDS},
                            "posted_at": _at(parse_time(item["timestamp"])),
                            "is_own_post": item["owner_ig_user_id"] in own, "captured_at": _at(run.at)}
    return out


def sync_state(scenario) -> dict[tuple, dict]:
    """The per-target rows of instagram_sync_state: every target succeeded on the last tracking run."""
    last = scenario.of(JOB)[-1]
    rows = {}
    for owner, asker in scenario.tracked.asker.items():
        kinds = [f"competitor:{n}" for n in scenario.tracked.competitors[owner]] + \
                [f"hashtag:{t}" for t in scenario.tracked.hashtags[owner]]
        for kind in kinds:
            rows[(asker, kind)] = {
                "ig_user_id": asker, "sync_kind": kind, "owner_id": owner, "last_attempt_at": _at(last.at),
                "last_success_at": _at(last.at), "last_error_class": None, "last_error_code": None,
                "last_error_message": None, "consecutive_failures": 0, "failing_since": None,
                "next_retry_at": None, "last_run_id": last.run_id, "cursor": None}
    return rows


BUILDERS = {"ig_tracked_competitor": tracked_competitors, "ig_tracked_hashtag": tracked_hashtags,
            "ig_hashtag_search_ledger": search_ledger, "instagram_competitor_daily": competitor_daily,
            "instagram_competitor_media": competitor_media, "instagram_hashtag_media": hashtag_media}
