"""Comments on our users' posts: ``GET /{ig-media-id}/comments`` (top-level comments, newest first, with
``replies{…}`` nested), ``GET /{ig-comment-id}/replies`` (oldest first) and the IG Comment node. Needs
``instagram_manage_comments`` (Facebook Login) or ``instagram_business_manage_comments`` (Instagram
Login) on top of the basic permission."""

from __future__ import annotations

from urllib.parse import urlencode

from ig_pipeline.simulator.auth import can_see
from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.days import iso
from ig_pipeline.simulator.errors import (
    GraphError,
    param_error,
    require_basic,
    require_scope,
    unsupported_get,
)
from ig_pipeline.simulator.params import Sel, decode_cursor, encode_cursor, parse_limit
from ig_pipeline.simulator.talk import Comment, split_comment_id

COMMENT_FIELDS = {"id", "text", "timestamp", "like_count", "username", "from", "hidden", "media", "parent_id",
                  "replies"}
DEFAULT_FIELDS = [Sel("timestamp", {}, None), Sel("text", {}, None), Sel("id", {}, None)]
PAGE_MAX = 50


def require_comments(tok) -> None:
    require_basic(tok)
    require_scope(tok, "instagram_manage_comments", "instagram_business_manage_comments")


def is_comment_id(value: str) -> bool:
    return split_comment_id(value) is not None


def serialize(sim, ctx: Ctx, c: Comment, fields) -> dict:
    out = {}
    for s in fields or DEFAULT_FIELDS:
        n = s.name
        if n not in COMMENT_FIELDS:
            raise param_error(f"Tried accessing nonexisting field ({n}) on node type (IGComment)")
        if n == "id":
            out["id"] = c.id
        elif n == "text":
            out["text"] = c.text
        elif n == "timestamp":
            out["timestamp"] = iso(c.ts)
        elif n == "like_count":
            out["like_count"] = c.like_count
        elif n == "username":
            out["username"] = c.username
        elif n == "from":
            out["from"] = {"id": c.from_id, "username": c.username}
        elif n == "hidden":
            out["hidden"] = False
        elif n == "media":
            out["media"] = {"id": c.media.id, **({"media_product_type": c.media.product}
                                                 if any(x.name == "media_product_type" for x in s.sub or []) else {})}
        elif n == "parent_id":
            if c.parent_id:
                out["parent_id"] = c.parent_id
        elif n == "replies":
            if c.parent is None:
                mods = {k: v for k, v in s.mods.items() if k in ("limit", "after")}
                out["replies"] = replies(sim, ctx, c, s.sub, mods)
    return out


def _page(ctx: Ctx, m, order: list[int], params: dict, path: str, fields, sim, *, newest_first: bool) -> dict:
    """One page of the comments ``order`` lists (indexes, in listing order); the ``after`` cursor is the
    last comment's index, so comments that arrive between two pages neither shift nor repeat what follows.
    Only the page's comments are built."""
    limit = parse_limit(params.get("limit"), maximum=PAGE_MAX)
    start = 0
    if params.get("after"):
        last = decode_cursor(params["after"], 1)[0]
        start = next((i for i, j in enumerate(order) if (j < last if newest_first else j > last)), len(order))
    page = [sim.talk.comment(m, j) for j in order[start:start + limit]]
    out = {"data": [serialize(sim, ctx, c, fields) for c in page]}
    if page:
        paging = {"cursors": {"before": encode_cursor(page[0].j), "after": encode_cursor(page[-1].j)}}
        if start + len(page) < len(order):
            q = {k: v for k, v in params.items() if k not in ("after", "before", "appsecret_proof", "appsecret_time")}
            if ctx.token_raw:
                q.setdefault("access_token", ctx.token_raw)
            paging["next"] = f"{ctx.base}/v{ctx.version}.0/{path}?{urlencode({**q, 'after': paging['cursors']['after']})}"
        out["paging"] = paging
    return out


def replies(sim, ctx: Ctx, c: Comment, fields, params: dict) -> dict:
    kids = sim.talk.replies_to(c.media, c.j, ctx.now)  # oldest first
    q = dict(params)
    if fields:
        q["fields"] = ",".join(s.name for s in fields)
    return _page(ctx, c.media, kids, q, f"{c.id}/replies", fields, sim, newest_first=False)


def media_comments(sim, ctx: Ctx, tok, m, fields) -> dict:
    require_comments(tok)
    if m.is_story or m.child:
        raise param_error("Comments are not available on this media")
    top = sim.talk.top_level(m, ctx.now)[::-1]  # newest first
    return _page(ctx, m, top, ctx.params, f"{m.id}/comments", fields, sim, newest_first=True)


def comment_call(sim, ctx: Ctx, tok, segs: list[str], fields) -> dict:
    c = sim.talk.find(segs[0], ctx.now)
    if c is None or c.media.account.id not in sim.world.by_id or not can_see(sim, tok, c.media.account):
        raise unsupported_get(segs[0])  # comments on other people's posts: only through mentioned_comment
    require_comments(tok)
    if len(segs) == 1:
        return serialize(sim, ctx, c, fields)
    if segs[1:] == ["replies"]:
        if c.parent is not None:
            return {"data": []}
        return replies(sim, ctx, c, fields, ctx.params)
    raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
