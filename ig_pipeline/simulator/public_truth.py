"""Ground truth of the public side, computed by the code that serves the API: a competitor's profile and
posts at an instant (``/_sim/truth/competitor/{username}``), a hashtag's top and recent media with their
rank (``/_sim/truth/hashtag/{name}``), and an account's hashtag budget (``/_sim/truth/hashtag_budget/{ig}``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.days import iso
from ig_pipeline.simulator.discovery import MEDIA_FIELDS as BD_MEDIA_FIELDS
from ig_pipeline.simulator.discovery import PROFILE_FIELDS, business_discovery
from ig_pipeline.simulator.errors import GraphError
from ig_pipeline.simulator.hashtags import BUDGET, WINDOW, ledger
from ig_pipeline.simulator.hashtags import MEDIA_FIELDS as HASHTAG_MEDIA_FIELDS
from ig_pipeline.simulator.httpio import bad_request
from ig_pipeline.simulator.media import MediaView
from ig_pipeline.simulator.metrics import DEFAULT_VERSION
from ig_pipeline.simulator.params import Sel
from ig_pipeline.simulator.public import hashtag_id, word_of
from ig_pipeline.simulator.state import epoch_param

_BD_MEDIA = [Sel(n, {}, [Sel("id", {}, None)] if n == "children" else None)
             for n in sorted(BD_MEDIA_FIELDS - {"media_url", "thumbnail_url"})]
_TAG_MEDIA = [Sel(n, {}, [Sel("id", {}, None)] if n == "children" else None)
              for n in sorted(HASHTAG_MEDIA_FIELDS - {"media_url"})]


def _at(request: Request) -> float:
    sim = request.app.state.sim
    return epoch_param(request.query_params["at"]) if request.query_params.get("at") else sim.now()


def _ctx(at: float) -> Ctx:
    return Ctx(DEFAULT_VERSION, at, "http://sim", {}, None)


def public_accounts(sim, now: float) -> list[dict]:
    """For ``/_sim/world``: every public account, whether Business Discovery answers for it."""
    pub, w = sim.public, sim.world
    return [{"id": a.id, "username": a.username, "kind": pub.kind[a.id],
             "discoverable": pub.discoverable(a.username) is not None,
             "hides_some_like_counts": pub.hides_likes(a),
             "followers_count": w.followers_now(a, now), "media_count": w.media_count(a, now)}
            for a in pub.accounts]


async def truth_competitor(request: Request):
    sim = request.app.state.sim
    username = request.path_params["username"]
    try:
        at = _at(request)
        limit = int(request.query_params.get("media_limit", "25"))
    except ValueError:
        return bad_request("bad at or media_limit")
    sel = Sel("business_discovery", {"username": username}, [
        *[Sel(n, {}, None) for n in PROFILE_FIELDS], Sel("media", {"limit": str(limit)}, _BD_MEDIA)])
    try:
        body = business_discovery(sim, _ctx(at), sel)
    except GraphError as e:
        return JSONResponse({"username": username, "at": iso(at), "discoverable": False,
                             "error": {"code": e.code, "error_subcode": e.subcode, "message": e.message}})
    for item in body["media"]["data"]:
        item["like_count_hidden"] = "like_count" not in item
    body.pop("paging", None)
    return JSONResponse({"username": username, "at": iso(at), "discoverable": True, "profile": body})


def hashtag_truth(sim, name: str, at: float, kind: str) -> list[dict]:
    view = MediaView(sim, _ctx(at))
    own = {a.id for a in sim.world.accounts}
    out = []
    for rank, (m, _) in enumerate(sim.public.hashtag_media(name, at, kind), start=1):
        item = view.fields(m, _TAG_MEDIA, nested_ok=False)
        item.update(rank=rank, owner_ig_user_id=m.account.id, owner_username=m.account.username,
                    is_own_account=m.account.id in own, like_count_hidden="like_count" not in item)
        out.append(item)
    return out


async def truth_hashtag(request: Request):
    sim = request.app.state.sim
    name = request.path_params["name"].lstrip("#").lower()
    try:
        at = _at(request)
    except ValueError:
        return bad_request("bad at")
    return JSONResponse({"name": name, "id": hashtag_id(name), "at": iso(at),
                         "top": hashtag_truth(sim, name, at, "top"),
                         "recent": hashtag_truth(sim, name, at, "recent")})


async def truth_hashtag_budget(request: Request):
    sim = request.app.state.sim
    ig = request.path_params["ig"]
    if ig not in sim.world.by_id:
        return bad_request("unknown account", 404)
    try:
        at = _at(request)
    except ValueError:
        return bad_request("bad at")
    book = {t: first for t, first in ledger(sim, ig, sim.now()).items() if at - WINDOW < first <= at}
    rows = [{"id": t, "name": sim.hashtag_names.get(t), "first_queried_at": iso(first),
             "frees_at": iso(first + WINDOW)} for t, first in sorted(book.items(), key=lambda kv: (kv[1], kv[0]))]
    return JSONResponse({"ig_user_id": ig, "at": iso(at), "limit": BUDGET, "used": len(rows),
                         "remaining": BUDGET - len(rows), "hashtags": rows})


def world_hashtags(sim) -> list[dict]:
    """For ``/_sim/world``: the hashtags that have media (the words of usernames and the topics)."""
    words = {word_of(a) for a in sim.world.accounts}
    return [{"id": hashtag_id(n), "name": n, "has_own_posts": n in words} for n in sim.public.vocabulary()]


ROUTES = [
    Route("/_sim/truth/competitor/{username}", truth_competitor, methods=["GET"]),
    Route("/_sim/truth/hashtag/{name}", truth_hashtag, methods=["GET"]),
    Route("/_sim/truth/hashtag_budget/{ig}", truth_hashtag_budget, methods=["GET"]),
]
