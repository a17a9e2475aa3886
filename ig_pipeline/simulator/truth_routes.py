"""``/_sim/truth/…``: what the simulated API serves (or refuses) for an account, its media, stories,
demographics and online followers at an instant (the truth suite compares the warehouse with it)."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ig_pipeline.simulator.days import iso, pacific_ordinal
from ig_pipeline.simulator.entities import ACCOUNT_DAILY
from ig_pipeline.simulator.httpio import bad_request, json_body
from ig_pipeline.simulator.metrics import DEFAULT_VERSION
from ig_pipeline.simulator.state import epoch_param
from ig_pipeline.simulator.truth import (
    REFUSALS,
    account_node,
    demographics,
    live_stories,
    media_ids,
    media_truth,
    online_followers,
)


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


def _version(request: Request) -> int:
    value = request.query_params.get("version", "")
    return int(value.lstrip("v").split(".")[0]) if value.lstrip("v").split(".")[0].isdigit() else DEFAULT_VERSION


def _day(value: str | None, default: int) -> int:
    return default if not value else date.fromisoformat(value).toordinal()


async def truth_account(request: Request):
    sim = request.app.state.sim
    world = sim.world
    a = world.by_id.get(request.path_params["ig"])
    if a is None:
        return bad_request("unknown account", 404)
    now = sim.now()
    today = pacific_ordinal(now)
    try:
        first = _day(request.query_params.get("since"), today - 30)
        last = _day(request.query_params.get("until"), today - 1)
    except ValueError:
        return bad_request("since/until must be YYYY-MM-DD")
    if last - first > 3660:
        return bad_request("range too long")
    as_served = request.query_params.get("as_served") in ("1", "true")
    try:
        now = epoch_param(request.query_params["at"]) if request.query_params.get("at") else now
    except ValueError:
        return bad_request("bad at")
    days = []
    for d in range(first, last + 1):
        served = world.day_served(a, d, now) if as_served else world.day_settled(a, d)
        days.append({"day": date.fromordinal(d).isoformat(), "metrics": _metrics_of(served, a),
                     "followers_count_end_of_day": world.followers_end(a, d)})
    return JSONResponse({"ig_user_id": a.id, "days": days})


async def truth_node(request: Request):
    sim = request.app.state.sim
    world = sim.world
    a = world.by_id.get(request.path_params["ig"])
    if a is None:
        return bad_request("unknown account", 404)
    try:
        at = epoch_param(request.query_params["at"]) if request.query_params.get("at") else sim.now()
    except ValueError:
        return bad_request("bad at")
    node = account_node(sim, a, at, _version(request))
    return JSONResponse(node | {"fb_user_id": a.fb_user_id, "page_id": a.page_id,
                                "page_name": world.pages[a.page_id].name, "at": iso(at)})


async def truth_media(request: Request):
    sim = request.app.state.sim
    world = sim.world
    try:
        at = epoch_param(request.query_params["at"]) if request.query_params.get("at") else sim.now()
    except ValueError:
        return bad_request("bad at")
    m = world.find_media(request.path_params["mid"], at)
    if m is None:
        return bad_request("unknown media (or not yet posted at that instant)", 404)
    vals = world.media_values(m, at)
    return JSONResponse({"media_id": m.id, "media_type": m.media_type, "media_product_type": m.product,
                         "posted_at": iso(m.ts), "metrics": vals, "like_count": vals.get("likes"),
                         "comments_count": vals.get("comments"),
                         "pre_conversion": m.ts < m.account.converted}
                        | media_truth(sim, m.id, at, _version(request)))


async def truth_media_bulk(request: Request):
    """POST {"items": [{"media_id", "at"}], "version"?}: media_truth of each (None when unknown then)."""
    sim = request.app.state.sim
    body = await json_body(request)
    items = body.get("items")
    if not isinstance(items, list) or len(items) > 20000:
        return bad_request("give items: a list of {media_id, at} (at most 20000)")
    version = int(body.get("version") or DEFAULT_VERSION)
    out = []
    for item in items:
        try:
            at = epoch_param(item["at"]) if item.get("at") is not None else sim.now()
            out.append(media_truth(sim, str(item["media_id"]), at, version))
        except (KeyError, TypeError, ValueError):
            return bad_request("each item needs media_id and an optional at")
    return JSONResponse({"media": out})


def _account_at(request: Request):
    sim = request.app.state.sim
    world = sim.world
    a = world.by_id.get(request.path_params["ig"])
    at = epoch_param(request.query_params["at"]) if request.query_params.get("at") else sim.now()
    return a, at


def _account_view(compute):
    async def handler(request: Request):
        try:
            a, at = _account_at(request)
        except ValueError:
            return bad_request("bad at")
        if a is None:
            return bad_request("unknown account", 404)
        try:
            return JSONResponse({"ig_user_id": a.id, "at": iso(at), "data": compute(request, a, at)})
        except ValueError:
            return bad_request("bad since/until (epoch seconds or ISO instants)")
    return handler


def _listed(request, a, at):
    sim = request.app.state.sim
    since = epoch_param(request.query_params.get("since", 0))
    until = epoch_param(request.query_params["until"]) if request.query_params.get("until") else at + 1
    return media_ids(sim, a, since, until, at)


def _stories(request, a, at):
    return live_stories(request.app.state.sim, a, at)


def _demographics(request, a, at):
    return demographics(request.app.state.sim, a, at, _version(request))


def _online_followers(request, a, at):
    return online_followers(request.app.state.sim, a, at, _version(request))


async def truth_refusals(request: Request):
    return JSONResponse({"refusals": REFUSALS})


ROUTES = [
    Route("/_sim/truth/account/{ig}", truth_account, methods=["GET"]),
    Route("/_sim/truth/account/{ig}/node", truth_node, methods=["GET"]),
    Route("/_sim/truth/media", truth_media_bulk, methods=["POST"]),
    Route("/_sim/truth/media/{mid}", truth_media, methods=["GET"]),
    Route("/_sim/truth/account/{ig}/media", _account_view(_listed), methods=["GET"]),
    Route("/_sim/truth/account/{ig}/stories", _account_view(_stories), methods=["GET"]),
    Route("/_sim/truth/account/{ig}/demographics", _account_view(_demographics), methods=["GET"]),
    Route("/_sim/truth/account/{ig}/online_followers", _account_view(_online_followers), methods=["GET"]),
    Route("/_sim/truth/refusals", truth_refusals, methods=["GET"]),
]
