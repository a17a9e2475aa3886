"""Webhooks: ``POST /_sim/webhooks/deliver`` sends signed payloads: ``story_insights`` for stories that
ended (the default), and with ``fields`` also ``comments`` (new comments on our users' posts) and
``mentions`` (@mentions of our users in public captions and comments); ``GET /_sim/truth/webhooks``
lists what was delivered."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ig_pipeline.simulator.days import DAY
from ig_pipeline.simulator.engagement_truth import comment_changes, mention_changes
from ig_pipeline.simulator.httpio import bad_request, json_body
from ig_pipeline.simulator.state import epoch_param


async def deliver(request: Request):
    sim = request.app.state.sim
    world = sim.world
    body = await json_body(request)
    url = body.get("url")
    if not url:
        return bad_request("give url")
    now = sim.now()
    targets = [world.by_id[str(body["ig_user_id"])]] if body.get("ig_user_id") in world.by_id else (
        world.accounts if not body.get("ig_user_id") else [])
    fields = body.get("fields") or ["story_insights"]
    if not isinstance(fields, list) or not set(fields) <= {"story_insights", "comments", "mentions"}:
        return bad_request("fields: a list of story_insights, comments, mentions")
    try:
        since = epoch_param(body["since"]) if body.get("since") is not None else now - 2 * DAY
    except (TypeError, ValueError):
        return bad_request("since: epoch seconds or an ISO instant")
    sent = 0
    async with httpx.AsyncClient(timeout=10) as client:
        for field in [f for f in ("comments", "mentions") if f in fields]:
            try:
                sent += await _deliver_changes(sim, client, url, targets, field, now, since)
            except httpx.HTTPError as exc:
                return JSONResponse({"sent": sent, "error": str(exc)}, status_code=502)
        for a in targets if "story_insights" in fields else []:
            for s in world.stories_between(a, now - 8 * DAY, now - 25 * 3600 + 1):
                if s.id in sim.webhook_deliveries:
                    continue
                v = world.media_values(s, now)
                nav = v["navigation"]
                value = {"media_id": s.id, "impressions": v["views"], "reach": v["reach"],
                         "taps_forward": nav["TAP_FORWARD"], "taps_back": nav["TAP_BACK"],
                         "exits": nav["TAP_EXIT"], "replies": v["replies"]}
                value = {k: (x if k == "media_id" or x >= 5 else -1) for k, x in value.items()}
                payload = {"object": "instagram", "entry": [{"id": a.id, "time": int(now), "changes": [
                    {"field": "story_insights", "value": value}]}]}
                raw = json.dumps(payload, separators=(",", ":")).encode()
                sig = hmac.new(sim.app_secret.encode(), raw, hashlib.sha256).hexdigest()
                try:
                    await client.post(url, content=raw, headers={"Content-Type": "application/json",
                                                                 "X-Hub-Signature-256": f"sha256={sig}"})
                except httpx.HTTPError as exc:
                    return JSONResponse({"sent": sent, "error": str(exc)}, status_code=502)
                sim.webhook_deliveries[s.id] = {"field": "story_insights", "ig_user_id": a.id, "media_id": s.id,
                                                "at": now, "payload": payload, "value": value}
                sent += 1
    return JSONResponse({"sent": sent})


def _signed(sim, payload: dict) -> tuple[bytes, dict]:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    sig = hmac.new(sim.app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={sig}"}


async def _deliver_changes(sim, client, url: str, targets, field: str, now: float, lo: float) -> int:
    """One POST per account with up to 100 changes each (Meta batches changes the same way); only events
    not delivered before, from ``lo`` (default: 2 days ago) to now."""
    sent = 0
    for a in targets:
        build = comment_changes if field == "comments" else mention_changes
        fresh = [(k, v) for k, v in build(sim, a, lo, now) if k not in sim.webhook_deliveries]
        for i in range(0, len(fresh), 100):
            chunk = fresh[i:i + 100]
            payload = {"object": "instagram", "entry": [{"id": a.id, "time": int(now), "changes": [
                {"field": field, "value": v} for _, v in chunk]}]}
            raw, headers = _signed(sim, payload)
            await client.post(url, content=raw, headers=headers)
            for key, value in chunk:
                sim.webhook_deliveries[key] = {"field": field, "ig_user_id": a.id, "at": now, "value": value,
                                               "media_id": value.get("media_id") or value["media"]["id"]}
            sent += len(chunk)
    return sent


async def truth_webhooks(request: Request):
    sim = request.app.state.sim
    return JSONResponse({"deliveries": list(sim.webhook_deliveries.values())})


ROUTES = [
    Route("/_sim/webhooks/deliver", deliver, methods=["POST"]),
    Route("/_sim/truth/webhooks", truth_webhooks, methods=["GET"]),
]
