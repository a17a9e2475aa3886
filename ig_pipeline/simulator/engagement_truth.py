"""Comments, tags and @mentions from the admin side: the ``comments`` and ``mentions`` webhook changes a
delivery sends, and their ground truth (``/_sim/truth/account/{ig}/tags``, ``/_sim/truth/media/{id}/comments``,
``/_sim/truth/account/{ig}/mentions``), computed by the code that serves the API."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.days import DAY, iso
from ig_pipeline.simulator.httpio import bad_request
from ig_pipeline.simulator.media import MediaView
from ig_pipeline.simulator.mentions import TAG_FIELDS, tagged
from ig_pipeline.simulator.metrics import DEFAULT_VERSION
from ig_pipeline.simulator.params import Sel
from ig_pipeline.simulator.state import epoch_param

COMMENT_WINDOW = 30 * DAY  # comments are looked for on posts of the last 30 days
MENTION_WINDOW = 7 * DAY  # comment @mentions on public posts of the last 7 days
_TAG_SELS = [Sel(n, {}, [Sel("id", {}, None)] if n == "children" else None) for n in sorted(TAG_FIELDS - {"media_url"})]


def _posts(sim, accounts, lo: float, hi: float):
    w = sim.world
    for a in accounts:
        for m in w.iter_media(a, hi):
            if m.ts < lo:
                break
            yield m


def comment_changes(sim, a, lo: float, hi: float) -> list[tuple[str, dict]]:
    """(key, value) of each comment on the account's posts that appeared in ``(lo, hi]``."""
    out = []
    for m in _posts(sim, [a], hi - COMMENT_WINDOW, hi):
        for c in sim.talk.all(m, hi):
            if lo < c.ts <= hi:
                value = {"id": c.id, "from": {"id": c.from_id, "username": c.username}, "text": c.text,
                         "media": {"id": m.id, "media_product_type": m.product}}
                if c.parent_id:
                    value["parent_id"] = c.parent_id
                out.append((f"comments:{c.id}", value))
    return out


def mention_changes(sim, a, lo: float, hi: float) -> list[tuple[str, dict]]:
    """Caption @mentions (``{media_id}``) and comment @mentions (``{media_id, comment_id}``) of the account
    that appeared in ``(lo, hi]``."""
    out = []
    pub = sim.public
    for m in _posts(sim, [p for p in pub.accounts if pub.kind[p.id] != "AGE_GATED"], hi - MENTION_WINDOW, hi):
        who = pub.mentioned_account(m)
        if who is not None and who.id == a.id and lo < m.ts <= hi:
            out.append((f"mentions:{m.id}:", {"media_id": m.id}))
        for c in sim.talk.mentioning(m, hi):
            if c.mentions == a.username and lo < c.ts <= hi:
                out.append((f"mentions:{m.id}:{c.id}", {"media_id": m.id, "comment_id": c.id}))
    return out


def _at(request: Request) -> float:
    q = request.query_params
    return epoch_param(q["at"]) if q.get("at") else request.app.state.sim.now()


async def truth_tags(request: Request):
    sim = request.app.state.sim
    a = sim.world.by_id.get(request.path_params["ig"])
    if a is None:
        return bad_request("unknown account", 404)
    try:
        at = _at(request)
        since = epoch_param(request.query_params.get("since", 0))
    except ValueError:
        return bad_request("bad at/since")
    view = MediaView(sim, Ctx(DEFAULT_VERSION, at, "http://sim", {}, None))
    rows = []
    for _, m in tagged(sim, a, at):
        if m.ts < since:
            break
        rows.append({**view.fields(m, _TAG_SELS, nested_ok=False), "owner_ig_user_id": m.account.id})
    return JSONResponse({"ig_user_id": a.id, "at": iso(at), "data": rows})


async def truth_comments(request: Request):
    sim = request.app.state.sim
    try:
        at = _at(request)
    except ValueError:
        return bad_request("bad at")
    m = sim.world.find_media(request.path_params["mid"], at)
    if m is None:
        return bad_request("unknown media (or not posted yet)", 404)
    comments = [{"id": c.id, "parent_id": c.parent_id, "text": c.text, "timestamp": iso(c.ts),
                 "like_count": c.like_count, "username": c.username, "from_id": c.from_id}
                for c in sim.talk.all(m, at)]
    return JSONResponse({"media_id": m.id, "ig_user_id": m.account.id, "at": iso(at),
                         "comments_count": sim.talk.count(m, at), "comments": comments})


async def truth_mentions(request: Request):
    sim = request.app.state.sim
    a = sim.world.by_id.get(request.path_params["ig"])
    if a is None:
        return bad_request("unknown account", 404)
    try:
        at = _at(request)
        since = epoch_param(request.query_params["since"]) if request.query_params.get("since") else at - DAY
    except ValueError:
        return bad_request("bad at/since")
    changes = [value for _, value in mention_changes(sim, a, since, at)]
    return JSONResponse({"ig_user_id": a.id, "at": iso(at), "since": iso(since),
                         "media": [v for v in changes if "comment_id" not in v],
                         "comments": [v for v in changes if "comment_id" in v]})


ROUTES = [
    Route("/_sim/truth/account/{ig}/tags", truth_tags, methods=["GET"]),
    Route("/_sim/truth/account/{ig}/mentions", truth_mentions, methods=["GET"]),
    Route("/_sim/truth/media/{mid}/comments", truth_comments, methods=["GET"]),
]
