"""Story-insights webhooks: ``POST /_sim/webhooks/deliver`` sends signed ``story_insights`` payloads for
stories that ended; ``GET /_sim/truth/webhooks`` lists what was delivered."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ig_pipeline.simulator.days import DAY
from ig_pipeline.simulator.httpio import bad_request, json_body


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
    sent = 0
    async with httpx.AsyncClient(timeout=10) as client:
        for a in targets:
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
                sim.webhook_deliveries[s.id] = {"ig_user_id": a.id, "media_id": s.id, "at": now,
                                                "payload": payload, "value": value}
                sent += 1
    return JSONResponse({"sent": sent})


async def truth_webhooks(request: Request):
    sim = request.app.state.sim
    return JSONResponse({"deliveries": list(sim.webhook_deliveries.values())})


ROUTES = [
    Route("/_sim/webhooks/deliver", deliver, methods=["POST"]),
    Route("/_sim/truth/webhooks", truth_webhooks, methods=["GET"]),
]
