"""Nodes: the Facebook user (``/me``), Pages and ``/me/accounts``, the IG User node with its nested
``media``/``stories`` and ``business_discovery``."""

from __future__ import annotations

from urllib.parse import urlencode

from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.discovery import business_discovery
from ig_pipeline.simulator.edges import media_list
from ig_pipeline.simulator.errors import param_error, require_basic, unsupported_get
from ig_pipeline.simulator.mentions import mentioned
from ig_pipeline.simulator.params import Sel, decode_cursor, encode_cursor, parse_limit
from ig_pipeline.simulator.profile import ABSENT, profile_field
from ig_pipeline.simulator.tokens import Token


def me_node(sim, ctx: Ctx, tok: Token, fields) -> dict:
    names = [s.name for s in fields] if fields else None
    if tok.kind == "ig":
        require_basic(tok)
        a = sim.world.by_id[tok.ig_user_id]
        node = ig_node(sim, ctx, a, [Sel(n, {}, None) for n in (names or ["id", "username"])
                                     if n not in ("user_id",)], me=True)
        if names and "user_id" in names:
            node["user_id"] = a.id
        return node
    if tok.kind == "page":
        return page_node(sim, ctx, tok, sim.world.pages[tok.page_id], fields)
    user = sim.world.fb_by_id.get(tok.fb_user_id)
    if user is None:
        raise unsupported_get(tok.fb_user_id or "me")
    out = {}
    for n in names or ["name", "id"]:
        if n == "id":
            out["id"] = user.id
        elif n == "name":
            out["name"] = user.name
        else:
            raise param_error(f"Tried accessing nonexisting field ({n}) on node type (User)")
    return out


def page_dict(sim, ctx: Ctx, tok: Token, page, names) -> dict:
    out = {}
    for n in names:
        if n == "id":
            out["id"] = page.id
        elif n == "name":
            out["name"] = page.name
        elif n == "access_token":
            if tok.kind == "user":
                out["access_token"] = sim.page_token(tok, page.id)
            else:
                out["access_token"] = tok.raw
        elif n == "category":
            out["category"] = "Coffee shop" if int(page.id) % 2 else "Creator"
        elif n == "category_list":
            out["category_list"] = [{"id": "2200", "name": out.get("category") or "Creator"}]
        elif n == "tasks":
            out["tasks"] = ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]
        elif n in ("instagram_business_account", "connected_instagram_account"):
            if page.ig_id:
                out[n] = {"id": page.ig_id}
        else:
            raise param_error(f"Tried accessing nonexisting field ({n}) on node type (Page)")
    return out


def page_node(sim, ctx, tok, page, fields) -> dict:
    names = [s.name for s in fields] if fields else ["name", "id"]
    out = page_dict(sim, ctx, tok, page, names)
    out.setdefault("id", page.id)
    return out


def accounts(sim, ctx: Ctx, tok: Token, fields) -> dict:
    user = sim.world.fb_by_id[tok.fb_user_id]
    if not tok.has("pages_show_list"):  # the Pages list is simply empty without the permission
        return {"data": [], "paging": {"cursors": {}}}
    names = [s.name for s in fields] if fields else ["access_token", "category", "category_list", "name", "id",
                                                     "tasks"]
    limit = parse_limit(ctx.params.get("limit"))
    start = 0
    if ctx.params.get("after"):
        start = decode_cursor(ctx.params["after"], 1)[0] + 1
    elif ctx.params.get("before"):
        start = max(0, decode_cursor(ctx.params["before"], 1)[0] - limit)
    pages = user.pages[start:start + limit]
    out = {"data": [page_dict(sim, ctx, tok, pg, names) for pg in pages]}
    if pages:
        paging = {"cursors": {"before": encode_cursor(start), "after": encode_cursor(start + len(pages) - 1)}}
        q = {k: v for k, v in ctx.params.items() if k not in ("after", "before")}
        base = f"{ctx.base}/v{ctx.version}.0/{user.id}/accounts?"
        if start + len(pages) < len(user.pages):
            paging["next"] = base + urlencode({**q, "after": paging["cursors"]["after"]})
        if start > 0:
            paging["previous"] = base + urlencode({**q, "before": paging["cursors"]["before"]})
        out["paging"] = paging
    else:
        out["paging"] = {"cursors": {}}
    return out


IG_FIELDS = {"id", "ig_id", "username", "name", "biography", "website", "profile_picture_url",
             "followers_count", "follows_count", "media_count", "account_type", "has_profile_pic",
             "is_published", "media", "stories", "business_discovery", "user_id", "mentioned_media",
             "mentioned_comment"}


def ig_node(sim, ctx: Ctx, a, fields, me: bool = False) -> dict:
    out = {}
    w, now = sim.world, ctx.now
    for sel in fields or [Sel("id", {}, None)]:
        n = sel.name
        if n not in IG_FIELDS or (n == "user_id" and not me):
            raise param_error(f"Tried accessing nonexisting field ({n}) on node type (IGUser)")
        value = profile_field(w, a, n, now)
        if value is not ABSENT:
            out[n] = value
        elif n in ("id", "user_id"):
            out[n] = a.id
        elif n == "account_type":
            out[n] = a.account_type
        elif n == "has_profile_pic":
            out[n] = True
        elif n == "is_published":
            out[n] = True
        elif n in ("media", "stories"):
            sub = Ctx(ctx.version, now, ctx.base, {"limit": sel.mods.get("limit"), "after": sel.mods.get("after")},
                      ctx.token_raw)
            sub.params = {k: v for k, v in sub.params.items() if v}
            body = media_list(sim, sub, a, sel.sub, stories=(n == "stories"))
            ctx.nested += sub.nested
            out[n] = body
        elif n == "business_discovery":
            out[n] = business_discovery(sim, ctx, sel)
        elif n in ("mentioned_media", "mentioned_comment"):
            out[n] = mentioned(sim, ctx, ctx.token, a, sel)
    if "id" not in out:
        out["id"] = a.id
    return out
