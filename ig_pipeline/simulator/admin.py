"""The ``/_sim`` admin API (JSON, no auth, not logged, not metered)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ig_pipeline.simulator import truth
from ig_pipeline.simulator.days import DAY, day_start, iso, pacific_ordinal
from ig_pipeline.simulator.entities import ACCOUNT_DAILY
from ig_pipeline.simulator.faults import FAULT_KINDS
from ig_pipeline.simulator.metrics import DEFAULT_VERSION
from ig_pipeline.simulator.state import epoch_param
from ig_pipeline.simulator.tokens import IG_SHORT_S


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> dict:
    try:
        body = await request.json()
    except Exception:  # noqa: BLE001
        return {}
    return body if isinstance(body, dict) else {}


def _metrics_of(served: dict | None, account) -> dict:
    out = {}
    for name in ACCOUNT_DAILY:
        out[name] = None if served is None else served[name]
    for name in ("profile_links_taps", "follows_and_unfollows"):
        out[name] = None if served is None else dict(served[name])
    if account.small:
        out["follower_count"] = None
        out["follows_and_unfollows"] = None
    return out


def routes(sim) -> list[Route]:
    world = sim.world
    delivered: dict[str, dict] = {}  # story media id -> what the story_insights webhook carried (truth)

    async def clock(request: Request):
        if request.method == "POST":
            body = await _json(request)
            try:
                if "set" in body:
                    sim.clock.set(epoch_param(body["set"]))
                elif "advance" in body:
                    sim.clock.advance(float(body["advance"]))
                else:
                    return _bad("expected {\"set\": iso|epoch} or {\"advance\": seconds}")
            except (ValueError, TypeError):
                return _bad("bad clock value")
        now = sim.now()
        return JSONResponse({"now": iso(now).replace("+0000", "+00:00"), "epoch": int(now)})

    async def requests_(request: Request):
        if request.method == "DELETE":
            sim.requests.clear()
            sim.round_trips = sim.counted_calls = 0
            return JSONResponse({"ok": True})
        return JSONResponse({"requests": list(sim.requests),
                             "summary": {"round_trips": sim.round_trips, "counted_calls": sim.counted_calls}})

    async def faults(request: Request):
        if request.method == "DELETE":
            sim.faults.clear()
            return JSONResponse({"ok": True})
        if request.method == "GET":
            return JSONResponse({"faults": list(sim.faults.values())})
        body = await _json(request)
        kind = body.get("kind")
        if kind not in FAULT_KINDS:
            return _bad(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        try:
            rate = float(body.get("rate", 1.0))
            count = None if body.get("count") is None else int(body["count"])
        except (TypeError, ValueError):
            return _bad("rate must be a number and count an integer")
        sim.fault_seq += 1
        fid = f"f{sim.fault_seq}"
        sim.faults[fid] = {"id": fid, "kind": kind, "rate": rate, "account": str(body["account"]) if body.get(
            "account") else None, "count": count, "path": body.get("path"), "metric": body.get("metric"), "hits": 0}
        return JSONResponse({"id": fid})

    async def fault_one(request: Request):
        fid = request.path_params["fid"]
        if sim.faults.pop(fid, None) is None:
            return _bad("no such fault", 404)
        return JSONResponse({"ok": True})

    async def world_(request: Request):
        return JSONResponse({
            "fb_users": [{"id": u.id, "name": u.name, "pages": [
                {"id": p.id, "name": p.name, "instagram_business_account": p.ig_id} for p in u.pages]}
                for u in world.fb_users],
            "accounts": [{"id": a.id, "username": a.username, "account_type": a.account_type,
                          "followers_count": world.followers_now(a, sim.now()),
                          "media_count": world.media_count(a, sim.now()), "fb_user_id": a.fb_user_id,
                          "page_id": a.page_id} for a in world.accounts]})

    async def accounts(request: Request):
        body = await _json(request)
        try:
            a = world.add_account(sim.now(), media_total=body.get("media_total"),
                                  media_last_30_days=body.get("media_last_30_days"),
                                  followers=None if body.get("followers") is None else int(body["followers"]),
                                  account_type=body.get("account_type"))
        except (TypeError, ValueError):
            return _bad("bad account spec")
        if body.get("converted_days_ago") is not None:  # posts older than this are pre-conversion
            try:
                a.converted = day_start(pacific_ordinal(sim.now()) - int(body["converted_days_ago"])) + 12 * 3600
            except (TypeError, ValueError):
                return _bad("converted_days_ago must be an integer")
        token, _ = sim.mint_user(a.fb_user_id)
        return JSONResponse({"ig_user_id": a.id, "fb_user_id": a.fb_user_id, "page_id": a.page_id,
                             "access_token": token})

    async def tokens(request: Request):
        body = await _json(request)
        kind = body.get("kind", "long")
        ig = body.get("ig_user_id")
        fb = body.get("fb_user_id")
        if ig is not None and str(ig) not in world.by_id:
            return _bad("unknown ig_user_id", 404)
        if fb is not None and str(fb) not in world.fb_by_id:
            return _bad("unknown fb_user_id", 404)
        if ig is None and fb is None:
            return _bad("give fb_user_id or ig_user_id")
        expires_in = body.get("expires_in")
        now = int(sim.now())
        if kind == "ig_login":
            if ig is None:
                return _bad("ig_login tokens need ig_user_id")
            life = int(expires_in) if expires_in is not None else IG_SHORT_S
            token = sim.codec.mint("ig", ig_user_id=str(ig), issued=now, expires=now + life,
                                   long=bool(body.get("long", False)) or life > IG_SHORT_S)
            return JSONResponse({"access_token": token, "expires_in": life, "fb_user_id": None, "pages": [],
                                 "ig_user_ids": [str(ig)]})
        fb = str(fb) if fb is not None else world.by_id[str(ig)].fb_user_id
        token, life = sim.mint_user(fb, long=(kind != "short"),
                                    expires_in=None if expires_in is None else int(expires_in))
        tok = sim.codec.parse(token)
        user = world.fb_by_id[fb]
        pages = [{"id": p.id, "name": p.name, "access_token": sim.page_token(tok, p.id),
                  "instagram_business_account": p.ig_id} for p in user.pages]
        return JSONResponse({"access_token": token, "expires_in": life, "fb_user_id": fb, "pages": pages,
                             "ig_user_ids": [p.ig_id for p in user.pages if p.ig_id]})

    async def revoke(request: Request):
        body = await _json(request)
        subject = body.get("ig_user_id") or body.get("fb_user_id")
        if not subject:
            return _bad("give ig_user_id or fb_user_id")
        sim.revoked[str(subject)] = sim.now()
        return JSONResponse({"ok": True})

    def _version(request: Request) -> int:
        value = request.query_params.get("version", "")
        return int(value.lstrip("v").split(".")[0]) if value.lstrip("v").split(".")[0].isdigit() else DEFAULT_VERSION

    def _day(value: str | None, default: int) -> int:
        return default if not value else date.fromisoformat(value).toordinal()

    async def truth_account(request: Request):
        a = world.by_id.get(request.path_params["ig"])
        if a is None:
            return _bad("unknown account", 404)
        now = sim.now()
        today = pacific_ordinal(now)
        try:
            first = _day(request.query_params.get("since"), today - 30)
            last = _day(request.query_params.get("until"), today - 1)
        except ValueError:
            return _bad("since/until must be YYYY-MM-DD")
        if last - first > 3660:
            return _bad("range too long")
        as_served = request.query_params.get("as_served") in ("1", "true")
        try:
            now = epoch_param(request.query_params["at"]) if request.query_params.get("at") else now
        except ValueError:
            return _bad("bad at")
        days = []
        for d in range(first, last + 1):
            served = world.day_served(a, d, now) if as_served else world.day_settled(a, d)
            days.append({"day": date.fromordinal(d).isoformat(), "metrics": _metrics_of(served, a),
                         "followers_count_end_of_day": world.followers_end(a, d)})
        return JSONResponse({"ig_user_id": a.id, "days": days})

    async def truth_node(request: Request):
        a = world.by_id.get(request.path_params["ig"])
        if a is None:
            return _bad("unknown account", 404)
        try:
            at = epoch_param(request.query_params["at"]) if request.query_params.get("at") else sim.now()
        except ValueError:
            return _bad("bad at")
        node = truth.account_node(sim, a, at, _version(request))
        return JSONResponse(node | {"fb_user_id": a.fb_user_id, "page_id": a.page_id,
                                    "page_name": world.pages[a.page_id].name, "at": iso(at)})

    async def truth_media(request: Request):
        try:
            at = epoch_param(request.query_params["at"]) if request.query_params.get("at") else sim.now()
        except ValueError:
            return _bad("bad at")
        m = world.find_media(request.path_params["mid"], at)
        if m is None:
            return _bad("unknown media (or not yet posted at that instant)", 404)
        vals = world.media_values(m, at)
        return JSONResponse({"media_id": m.id, "media_type": m.media_type, "media_product_type": m.product,
                             "posted_at": iso(m.ts), "metrics": vals, "like_count": vals.get("likes"),
                             "comments_count": vals.get("comments"),
                             "pre_conversion": m.ts < m.account.converted}
                            | truth.media_truth(sim, m.id, at, _version(request)))

    async def truth_media_bulk(request: Request):
        """POST {"items": [{"media_id", "at"}], "version"?}: media_truth of each (None when unknown then)."""
        body = await _json(request)
        items = body.get("items")
        if not isinstance(items, list) or len(items) > 20000:
            return _bad("give items: a list of {media_id, at} (at most 20000)")
        version = int(body.get("version") or DEFAULT_VERSION)
        out = []
        for item in items:
            try:
                at = epoch_param(item["at"]) if item.get("at") is not None else sim.now()
                out.append(truth.media_truth(sim, str(item["media_id"]), at, version))
            except (KeyError, TypeError, ValueError):
                return _bad("each item needs media_id and an optional at")
        return JSONResponse({"media": out})

    def _account_at(request: Request):
        a = world.by_id.get(request.path_params["ig"])
        at = epoch_param(request.query_params["at"]) if request.query_params.get("at") else sim.now()
        return a, at

    def _account_view(compute):
        async def handler(request: Request):
            try:
                a, at = _account_at(request)
            except ValueError:
                return _bad("bad at")
            if a is None:
                return _bad("unknown account", 404)
            try:
                return JSONResponse({"ig_user_id": a.id, "at": iso(at), "data": compute(request, a, at)})
            except ValueError:
                return _bad("bad since/until (epoch seconds or ISO instants)")
        return handler

    def _listed(request, a, at):
        since = epoch_param(request.query_params.get("since", 0))
        until = epoch_param(request.query_params["until"]) if request.query_params.get("until") else at + 1
        return truth.media_ids(sim, a, since, until, at)

    async def truth_webhooks(request: Request):
        return JSONResponse({"deliveries": list(delivered.values())})

    async def truth_refusals(request: Request):
        return JSONResponse({"refusals": truth.REFUSALS})

    async def deliver(request: Request):
        body = await _json(request)
        url = body.get("url")
        if not url:
            return _bad("give url")
        now = sim.now()
        targets = [world.by_id[str(body["ig_user_id"])]] if body.get("ig_user_id") in world.by_id else (
            world.accounts if not body.get("ig_user_id") else [])
        sent = 0
        async with httpx.AsyncClient(timeout=10) as client:
            for a in targets:
                for s in world.stories_between(a, now - 8 * DAY, now - 25 * 3600 + 1):
                    if s.id in sim.delivered:
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
                    sim.delivered.add(s.id)
                    delivered[s.id] = {"ig_user_id": a.id, "media_id": s.id, "at": now, "payload": payload,
                                       "value": value}
                    sent += 1
        return JSONResponse({"sent": sent})

    async def config(request: Request):
        body = await _json(request)
        if request.method == "POST":
            for key, value in body.items():
                if key in ("buc_calls_per_impression", "latency_ms", "require_appsecret_proof",
                           "nested_insights_fail_whole_page", "frozen"):
                    if key == "frozen":
                        now = sim.now()
                        sim.clock.frozen = bool(value)
                        sim.clock.set(now)
                    setattr(sim.config, key, value)
                else:
                    return _bad(f"unknown knob {key}")
        c = sim.config
        return JSONResponse({"buc_calls_per_impression": c.buc_calls_per_impression, "latency_ms": c.latency_ms,
                             "require_appsecret_proof": c.require_appsecret_proof,
                             "nested_insights_fail_whole_page": c.nested_insights_fail_whole_page,
                             "frozen": sim.clock.frozen, "app_id": sim.app_id})

    return [
        Route("/_sim/clock", clock, methods=["GET", "POST"]),
        Route("/_sim/requests", requests_, methods=["GET", "DELETE"]),
        Route("/_sim/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sim/faults/{fid}", fault_one, methods=["DELETE"]),
        Route("/_sim/world", world_, methods=["GET"]),
        Route("/_sim/accounts", accounts, methods=["POST"]),
        Route("/_sim/tokens", tokens, methods=["POST"]),
        Route("/_sim/revoke", revoke, methods=["POST"]),
        Route("/_sim/truth/account/{ig}", truth_account, methods=["GET"]),
        Route("/_sim/truth/account/{ig}/node", truth_node, methods=["GET"]),
        Route("/_sim/truth/media", truth_media_bulk, methods=["POST"]),
        Route("/_sim/truth/media/{mid}", truth_media, methods=["GET"]),
        Route("/_sim/truth/account/{ig}/media", _account_view(_listed), methods=["GET"]),
        Route("/_sim/truth/account/{ig}/stories",
              _account_view(lambda r, a, at: truth.live_stories(sim, a, at)), methods=["GET"]),
        Route("/_sim/truth/account/{ig}/demographics",
              _account_view(lambda r, a, at: truth.demographics(sim, a, at, _version(r))), methods=["GET"]),
        Route("/_sim/truth/account/{ig}/online_followers",
              _account_view(lambda r, a, at: truth.online_followers(sim, a, at, _version(r))), methods=["GET"]),
        Route("/_sim/truth/webhooks", truth_webhooks, methods=["GET"]),
        Route("/_sim/truth/refusals", truth_refusals, methods=["GET"]),
        Route("/_sim/webhooks/deliver", deliver, methods=["POST"]),
        Route("/_sim/config", config, methods=["GET", "POST"]),
    ]
