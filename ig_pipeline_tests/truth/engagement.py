"""Tagged media and comments in the scenario: expected rows from ``/_sim/truth/account/{ig}/tags`` and
``/_sim/truth/media/{id}/comments`` at the instants the engagement job ran.

The comments sync is incremental (docs/comments-and-tags.md): a run reads a post's comments only when
its ``comments_count`` differs from the cursor of the previous run. The builder replays that rule on the
truth, so a comment's row holds the values of the last run that read its post, and the cursor stored in
instagram_sync_state is compared too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from ig_pipeline.days import pacific_day
from ig_pipeline.graph.transforms import parse_time
from ig_pipeline_tests.truth.expected import Expected, within

JOB = "instagram_engagement_job"
WINDOW = timedelta(days=30)  # graph/engagement.py: posts whose comments are followed
TAG_COLUMNS = ("username", "caption", "media_type", "media_product_type", "permalink", "like_count",
               "comments_count")


def _truth(scenario, path: str, **params) -> dict:
    response = httpx.get(f"{scenario.url}{path}", params=params, timeout=60)
    response.raise_for_status()
    return response.json()


def tagged(scenario) -> Expected:
    out = Expected(("ig_user_id", "media_id"))
    for run in scenario.of(JOB):
        for ig, owner in scenario.owners.items():
            for item in _truth(scenario, f"/_sim/truth/account/{ig}/tags", at=run.at.isoformat())["data"]:
                posted = parse_time(item.get("timestamp"))
                out.required[(ig, item["id"])] = {
                    "ig_user_id": ig, "media_id": item["id"], "owner_id": owner,
                    **{c: item.get(c) for c in TAG_COLUMNS}, "posted_at": posted,
                    "posted_day": pacific_day(posted) if posted else None, "last_seen_at": run.at.astimezone(UTC)}
    return out


def comments(scenario, truth) -> tuple[Expected, dict[str, dict[str, int]]]:
    """Expected comment rows, and each account's cursor after the last run (media id -> count read)."""
    out = Expected(("comment_id",))
    cursors: dict[str, dict[str, int]] = {ig: {} for ig in scenario.owners}
    for run in scenario.of(JOB):
        at = run.at.timestamp()
        for ig, owner in scenario.owners.items():
            listed = truth.listed(ig, at - WINDOW.total_seconds(), at + 1, at)
            last, new = cursors[ig], {m: n for m, n in cursors[ig].items() if m in listed}
            for media_id in listed:
                answer = _truth(scenario, f"/_sim/truth/media/{media_id}/comments", at=run.at.isoformat())
                if answer["comments_count"] == last.get(media_id, 0):
                    continue
                new[media_id] = answer["comments_count"]
                for c in answer["comments"]:
                    out.required[(c["id"],)] = {
                        "comment_id": c["id"], "owner_id": owner, "ig_user_id": ig, "media_id": media_id,
                        "parent_comment_id": c["parent_id"], "username": c["username"], "text": c["text"],
                        "like_count": c["like_count"], "commented_at": parse_time(c["timestamp"]), "source": "api",
                        "last_seen_at": run.at.astimezone(UTC)}
            cursors[ig] = new
    return out, cursors


def sync_state(scenario, cursors: dict[str, dict[str, int]]) -> dict[tuple, dict]:
    runs = scenario.of(JOB)
    if not runs:
        return {}
    last = runs[-1]
    at: datetime = last.at.astimezone(UTC)
    rows = {}
    for ig, owner in scenario.owners.items():
        for kind, cursor in (("comments", {"comments_count": cursors.get(ig, {})}), ("tagged_media", None)):
            rows[(ig, kind)] = {
                "ig_user_id": ig, "sync_kind": kind, "owner_id": owner, "last_attempt_at": at,
                "last_success_at": at, "last_error_class": None, "last_error_code": None,
                "last_error_message": None, "consecutive_failures": 0, "failing_since": None,
                "next_retry_at": None, "last_run_id": last.run_id, "cursor": cursor}
    return rows


def mentions(scenario, truth) -> Expected:
    """One row per ``mentions`` change delivered for a connected account; it keeps its first arrival."""
    out = Expected(("ig_user_id", "media_id", "comment_id"))
    if not scenario.webhook_wall:
        return out
    wall = (scenario.webhook_wall[0][0], scenario.webhook_wall[-1][1])
    for delivery in truth.webhooks():
        ig = delivery["ig_user_id"]
        if delivery.get("field") != "mentions" or ig not in scenario.owners:
            continue
        value = delivery["value"]
        key = (ig, value["media_id"], value.get("comment_id") or "")
        out.required.setdefault(key, {"ig_user_id": ig, "media_id": key[1], "comment_id": key[2],
                                      "owner_id": scenario.owners[ig], "received_at": within(wall)})
    return out
