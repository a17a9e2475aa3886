"""Hashtag search (Instagram Public Content Access): ``/ig_hashtag_search``, the IG Hashtag node with its
``top_media`` and ``recent_media`` edges, ``/{ig-user-id}/recently_searched_hashtags``, and the budget of
30 unique hashtags per Instagram account per rolling 7 days. Facebook Login only; Platform-metered."""

from __future__ import annotations

from urllib.parse import urlencode

from ig_pipeline.simulator.auth import can_see
from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.days import DAY
from ig_pipeline.simulator.errors import GraphError, param_error, require_basic, unsupported_get
from ig_pipeline.simulator.media import MediaView
from ig_pipeline.simulator.params import Sel, decode_cursor, encode_cursor, parse_limit
from ig_pipeline.simulator.public import SENSITIVE, hashtag_id

BUDGET = 30
WINDOW = 7 * DAY
PAGE_MAX = 50
MEDIA_FIELDS = {"id", "caption", "media_type", "media_product_type", "timestamp", "permalink", "like_count",
                "comments_count", "children", "media_url"}


def budget_error() -> GraphError:
    """The 31st unique hashtag in 7 days. Meta's reference states the limit but not the error it returns;
    see docs/simulator.md (Decisions) for the code chosen here."""
    return GraphError(18, "(#18) This API call could not be completed due to Hashtag Search limit", extra={
        "error_user_title": "Hashtag search limit reached",
        "error_user_msg": f"An Instagram account can query at most {BUDGET} unique hashtags in 7 days."})


def generic_error() -> GraphError:
    """Sensitive, offensive or emoji hashtags: Meta answers with a generic error and says no more."""
    return GraphError(100, "Invalid parameter")


def is_hashtag_path(sim, segs: list[str]) -> bool:
    return bool(segs) and (segs[0] == "ig_hashtag_search" or segs[0] in sim.hashtag_names)


def is_platform_call(sim, segs: list[str]) -> bool:
    return is_hashtag_path(sim, segs) or (len(segs) == 2 and segs[1] == "recently_searched_hashtags")


def ledger(sim, ig: str, now: float) -> dict[str, float]:
    """The account's hashtags queried in the last 7 days (hashtag id -> first query time)."""
    book = sim.hashtag_searches.setdefault(ig, {})
    for tag, at in list(book.items()):
        if at <= now - WINDOW:
            del book[tag]
    return book


def use(sim, ig: str, tag_id: str, now: float) -> None:
    book = ledger(sim, ig, now)
    if tag_id in book:
        return  # free, and its 7-day timer is not reset
    if len(book) >= BUDGET:
        raise budget_error()
    book[tag_id] = now


def _querier(sim, ctx: Ctx, tok):
    if tok.kind == "ig":
        raise unsupported_get("ig_hashtag_search")
    require_basic(tok)
    uid = ctx.params.get("user_id")
    if not uid:
        raise param_error("The parameter user_id is required")
    a = sim.world.by_id.get(str(uid))
    if a is None or not can_see(sim, tok, a):
        raise unsupported_get(str(uid))
    return a


def _normalise(q: str | None) -> str:
    if not q or not q.strip():
        raise param_error("The parameter q is required")
    name = q.strip().lstrip("#").lower()
    if not name or not all(ch.isalnum() or ch == "_" for ch in name):
        raise generic_error()  # emojis and punctuation are not hashtags the API answers for
    if name in SENSITIVE:
        raise generic_error()
    return name


def hashtag_call(sim, ctx: Ctx, tok, segs: list[str], fields) -> dict:
    if segs == ["ig_hashtag_search"]:
        a = _querier(sim, ctx, tok)
        name = _normalise(ctx.params.get("q"))
        tid = hashtag_id(name)
        use(sim, a.id, tid, ctx.now)
        sim.hashtag_names[tid] = name
        return {"data": [{"id": tid}]}
    tid = segs[0]
    name = sim.hashtag_names[tid]
    if tok.kind == "ig":
        raise unsupported_get(tid)
    require_basic(tok)
    if len(segs) == 1:
        out = {}
        for s in fields or [Sel("id", {}, None)]:
            if s.name not in ("id", "name"):
                raise param_error(f"Tried accessing nonexisting field ({s.name}) on node type (IGHashtag)")
            out[s.name] = tid if s.name == "id" else name
        return out
    if len(segs) != 2 or segs[1] not in ("top_media", "recent_media"):
        raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
    a = _querier(sim, ctx, tok)
    for s in fields or []:
        if s.name not in MEDIA_FIELDS:
            raise param_error(f"Tried accessing nonexisting field ({s.name}) on node type (IGMedia)")
    use(sim, a.id, tid, ctx.now)
    ranked = sim.public.hashtag_media(name, ctx.now, "top" if segs[1] == "top_media" else "recent")
    limit = parse_limit(ctx.params.get("limit"), maximum=PAGE_MAX)
    start = decode_cursor(ctx.params["after"], 1)[0] if ctx.params.get("after") else 0
    page = ranked[start:start + limit]
    view = MediaView(sim, ctx)
    out = {"data": [view.fields(m, fields or [Sel("id", {}, None)], nested_ok=False) for m, _ in page]}
    if start + len(page) < len(ranked):
        after = encode_cursor(start + len(page))
        q = {k: v for k, v in ctx.params.items() if k not in ("after", "appsecret_proof", "appsecret_time")}
        out["paging"] = {"cursors": {"after": after},
                         "next": f"{ctx.base}/v{ctx.version}.0/{tid}/{segs[1]}?{urlencode({**q, 'after': after})}"}
    return out


def recently_searched(sim, ctx: Ctx, tok, account) -> dict:
    if tok.kind == "ig":
        raise GraphError(2500, "Unknown path components: /recently_searched_hashtags")
    book = ledger(sim, account.id, ctx.now)
    limit = parse_limit(ctx.params.get("limit"), maximum=BUDGET)
    start = decode_cursor(ctx.params["after"], 1)[0] if ctx.params.get("after") else 0
    ids = sorted(book, key=lambda t: (book[t], t))
    page = ids[start:start + limit]
    out = {"data": [{"id": t} for t in page]}
    if start + len(page) < len(ids):
        out["paging"] = {"cursors": {"after": encode_cursor(start + len(page))}}
    return out
