"""The ``/_sim`` admin API (JSON, no auth, not logged, not metered): virtual clock, request log, faults,
world, new accounts, tokens, revocation and config knobs. Ground truth: truth_routes.py; story webhooks:
webhooks.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ig_pipeline.simulator.days import day_start, iso, pacific_ordinal
from ig_pipeline.simulator.faults import FAULT_KINDS
from ig_pipeline.simulator.httpio import bad_request, json_body
from ig_pipeline.simulator.public_truth import public_accounts, world_hashtags
from ig_pipeline.simulator.state import epoch_param
from ig_pipeline.simulator.tokens import IG_SHORT_S


async def clock(request: Request):
    sim = request.app.state.sim
    if request.method == "POST":
        body = await json_body(request)
        try:
            if "set" in body:
                sim.clock.set(epoch_param(body["set"]))
            elif "advance" in body:
                sim.clock.advance(float(body["advance"]))
            else:
                return bad_request("expected {\"set\": iso|epoch} or {\"advance\": seconds}")
        except (ValueError, TypeError):
            return bad_request("bad clock value")
    now = sim.now()
    return JSONResponse({"now": iso(now).replace("+0000", "+00:00"), "epoch": int(now)})


async def request_log(request: Request):
    sim = request.app.state.sim
    if request.method == "DELETE":
        sim.requests.clear()
        sim.round_trips = sim.counted_calls = 0
        return JSONResponse({"ok": True})
    return JSONResponse({"requests": list(sim.requests),
                         "summary": {"round_trips": sim.round_trips, "counted_calls": sim.counted_calls}})


async def faults(request: Request):
    sim = request.app.state.sim
    if request.method == "DELETE":
        sim.faults.clear()
        return JSONResponse({"ok": True})
    if request.method == "GET":
        return JSONResponse({"faults": list(sim.faults.values())})
    body = await json_body(request)
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        return bad_request(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
    try:
        rate = float(body.get("rate", 1.0))
        count = None if body.get("count") is None else int(body["count"])
    except (TypeError, ValueError):
        return bad_request("rate must be a number and count an integer")
    sim.fault_seq += 1
    fid = f"f{sim.fault_seq}"
    sim.faults[fid] = {"id": fid, "kind": kind, "rate": rate, "account": str(body["account"]) if body.get(
        "account") else None, "count": count, "path": body.get("path"), "metric": body.get("metric"), "hits": 0}
    return JSONResponse({"id": fid})


async def fault_one(request: Request):
    sim = request.app.state.sim
    fid = request.path_params["fid"]
    if sim.faults.pop(fid, None) is None:
        return bad_request("no such fault", 404)
    return JSONResponse({"ok": True})


async def world_view(request: Request):
    sim = request.app.state.sim
    world = sim.world
    return JSONResponse({
        "fb_users": [{"id": u.id, "name": u.name, "pages": [
            {"id": p.id, "name": p.name, "instagram_business_account": p.ig_id} for p in u.pages]}
            for u in world.fb_users],
        "accounts": [{"id": a.id, "username": a.username, "account_type": a.account_type,
                      "followers_count": world.followers_now(a, sim.now()),
                      "media_count": world.media_count(a, sim.now()), "fb_user_id": a.fb_user_id,
                      "page_id": a.page_id} for a in world.accounts],
        "public_accounts": public_accounts(sim, sim.now()), "hashtags": world_hashtags(sim)})


async def accounts(request: Request):
    sim = request.app.state.sim
    world = sim.world
    body = await json_body(request)
    try:
        a = world.add_account(sim.now(), media_total=body.get("media_total"),
                              media_last_30_days=body.get("media_last_30_days"),
                              followers=None if body.get("followers") is None else int(body["followers"]),
                              account_type=body.get("account_type"))
    except (TypeError, ValueError):
        return bad_request("bad account spec")
    if body.get("converted_days_ago") is not None:  # posts older than this are pre-conversion
        try:
            a.converted = day_start(pacific_ordinal(sim.now()) - int(body["converted_days_ago"])) + 12 * 3600
        except (TypeError, ValueError):
            return bad_request("converted_days_ago must be an integer")
    token, _ = sim.mint_user(a.fb_user_id)
    return JSONResponse({"ig_user_id": a.id, "fb_user_id": a.fb_user_id, "page_id": a.page_id,
                         "access_token": token})


async def tokens(request: Request):
    sim = request.app.state.sim
    world = sim.world
    body = await json_body(request)
    kind = body.get("kind", "long")
    ig = body.get("ig_user_id")
    fb = body.get("fb_user_id")
    if ig is not None and str(ig) not in world.by_id:
        return bad_request("unknown ig_user_id", 404)
    if fb is not None and str(fb) not in world.fb_by_id:
        return bad_request("unknown fb_user_id", 404)
    if ig is None and fb is None:
        return bad_request("give fb_user_id or ig_user_id")
    expires_in = body.get("expires_in")
    now = int(sim.now())
    if kind == "ig_login":
        if ig is None:
            return bad_request("ig_login tokens need ig_user_id")
        life = int(expires_in) if expires_in is not None else IG_SHORT_S
        token = sim.codec.mint("ig", ig_user_id=str(ig), issued=now, expires=now + life,
                               long=bool(body.get("long", False)) or life > IG_SHORT_S)
        return JSONResponse({"access_token": token, "expires_in": life, "fb_user_id": None, "pages": [],
                             "ig_user_ids": [str(ig)]})
    fb = str(fb) if fb is not None else world.by_id[str(ig)].fb_user_id
    scopes = body.get("scopes")  # the permissions granted; default: every permission of Facebook Login
    token, life = sim.mint_user(fb, long=(kind != "short"),
                                expires_in=None if expires_in is None else int(expires_in),
                                scopes=None if scopes is None else tuple(str(s) for s in scopes))
    tok = sim.codec.parse(token)
    user = world.fb_by_id[fb]
    pages = [{"id": p.id, "name": p.name, "access_token": sim.page_token(tok, p.id),
              "instagram_business_account": p.ig_id} for p in user.pages]
    return JSONResponse({"access_token": token, "expires_in": life, "fb_user_id": fb, "pages": pages,
                         "ig_user_ids": [p.ig_id for p in user.pages if p.ig_id]})


async def revoke(request: Request):
    sim = request.app.state.sim
    body = await json_body(request)
    subject = body.get("ig_user_id") or body.get("fb_user_id")
    if not subject:
        return bad_request("give ig_user_id or fb_user_id")
    sim.revoked[str(subject)] = sim.now()
    return JSONResponse({"ok": True})


async def config(request: Request):
    sim = request.app.state.sim
    body = await json_body(request)
    if request.method == "POST":
        for key, value in body.items():
            if key in ("buc_calls_per_impression", "latency_ms", "require_appsecret_proof",
                       "nested_insights_fail_whole_page", "frozen", "platform_calls_per_user_hour"):
                if key == "frozen":
                    now = sim.now()
                    sim.clock.frozen = bool(value)
                    sim.clock.set(now)
                setattr(sim.config, key, value)
            else:
                return bad_request(f"unknown knob {key}")
    c = sim.config
    return JSONResponse({"buc_calls_per_impression": c.buc_calls_per_impression, "latency_ms": c.latency_ms,
                         "require_appsecret_proof": c.require_appsecret_proof,
                         "nested_insights_fail_whole_page": c.nested_insights_fail_whole_page,
                         "frozen": sim.clock.frozen, "app_id": sim.app_id,
                         "platform_calls_per_user_hour": c.platform_calls_per_user_hour})


ROUTES = [
    Route("/_sim/clock", clock, methods=["GET", "POST"]),
    Route("/_sim/requests", request_log, methods=["GET", "DELETE"]),
    Route("/_sim/faults", faults, methods=["GET", "POST", "DELETE"]),
    Route("/_sim/faults/{fid}", fault_one, methods=["DELETE"]),
    Route("/_sim/world", world_view, methods=["GET"]),
    Route("/_sim/accounts", accounts, methods=["POST"]),
    Route("/_sim/tokens", tokens, methods=["POST"]),
    Route("/_sim/revoke", revoke, methods=["POST"]),
    Route("/_sim/config", config, methods=["GET", "POST"]),
]
