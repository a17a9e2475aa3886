"""Routing of one Graph call: which account it concerns (for faults and rate limits) and which
handler answers its path."""

from __future__ import annotations

from ig_pipeline.simulator.auth import authenticate, can_see
from ig_pipeline.simulator.comments import comment_call, is_comment_id, media_comments
from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.edges import ig_edge
from ig_pipeline.simulator.errors import GraphError, require_basic, unsupported_get
from ig_pipeline.simulator.hashtags import hashtag_call, is_hashtag_path, recently_searched
from ig_pipeline.simulator.media import MediaView
from ig_pipeline.simulator.mentions import tags
from ig_pipeline.simulator.nodes import accounts, ig_node, me_node, page_node
from ig_pipeline.simulator.oauth import debug_token, ig_exchange, ig_refresh, oauth_access_token
from ig_pipeline.simulator.params import parse_fields, split_list


def resolve_account(sim, segs: list[str], token_raw: str | None, now: float) -> str | None:
    if segs:
        first = segs[0]
        if first in sim.world.by_id:
            return first
        if first.startswith(("179", "180", "181")) and len(first) in (16, 21) and first.isdigit():
            idx = int(first[3:8])
            if idx < len(sim.world.accounts):
                return sim.world.accounts[idx].id
        page = sim.world.pages.get(first)
        if page is not None:
            return page.ig_id
    if segs and segs[0] == "me" and token_raw:
        tok = sim.codec.parse(token_raw)
        if tok is not None:
            if tok.ig_user_id:
                return tok.ig_user_id
            if tok.page_id:
                return sim.world.pages[tok.page_id].ig_id if tok.page_id in sim.world.pages else None
    return None

# --- dispatch --------------------------------------------------------------------------------
async def dispatch(sim, ctx: Ctx, method: str, segs: list[str]) -> dict:
    p = ctx.params
    if segs == ["oauth", "access_token"]:
        return oauth_access_token(sim, ctx)
    if segs == ["access_token"]:
        return ig_exchange(sim, ctx)
    if segs == ["refresh_access_token"]:
        return ig_refresh(sim, ctx)
    if segs == ["debug_token"]:
        return debug_token(sim, ctx)
    if not segs:
        raise GraphError(100, "(#100) Missing batch or node id", status=400)
    tok = authenticate(sim, ctx)
    if method not in ("GET",):
        raise unsupported_get(segs[0], "post" if method == "POST" else method.lower())
    fields = parse_fields(p.get("fields"))
    first = segs[0]
    if is_hashtag_path(sim, segs):
        return hashtag_call(sim, ctx, tok, segs, fields)
    if first == "me":
        if len(segs) == 1:
            return me_node(sim, ctx, tok, fields)
        if segs[1:] == ["accounts"] and tok.fb_user_id and tok.kind == "user":
            return accounts(sim, ctx, tok, fields)
        if segs[1:] in (["media"], ["stories"], ["insights"]) and tok.ig_user_id:
            require_basic(tok)
            return await ig_edge(sim, ctx, tok, sim.world.by_id[tok.ig_user_id], segs[1], fields)
        raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
    if first in sim.world.by_id:
        account = sim.world.by_id[first]
        if not can_see(sim, tok, account):
            raise unsupported_get(first)
        require_basic(tok)
        if len(segs) == 1:
            return ig_node(sim, ctx, account, fields)
        if len(segs) == 2 and segs[1] in ("media", "stories", "insights"):
            return await ig_edge(sim, ctx, tok, account, segs[1], fields)
        if segs[1:] == ["recently_searched_hashtags"]:
            return recently_searched(sim, ctx, tok, account)
        if segs[1:] == ["tags"]:
            return tags(sim, ctx, tok, account, fields)
        raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
    if first in sim.world.pages:
        page = sim.world.pages[first]
        if not (tok.fb_user_id == page.fb_user_id and tok.kind in ("user", "page")) or (
                tok.kind == "page" and tok.page_id != page.id):
            raise unsupported_get(first)
        if len(segs) == 1:
            return page_node(sim, ctx, tok, page, fields)
        raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
    if first in sim.world.fb_by_id:
        user = sim.world.fb_by_id[first]
        if tok.fb_user_id != user.id or tok.kind != "user":
            raise unsupported_get(first)
        if len(segs) == 1:
            return me_node(sim, ctx, tok, fields)
        if segs[1:] == ["accounts"]:
            return accounts(sim, ctx, tok, fields)
        raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
    media = sim.world.find_media(first, ctx.now)
    if media is not None and can_see(sim, tok, media.account):
        require_basic(tok)
        view = MediaView(sim, ctx)
        if len(segs) == 1:
            return view.fields(media, fields)
        if segs[1:] == ["insights"]:
            return {"data": view.insights(media, _metrics(p), p.get("breakdown"))}
        if segs[1:] == ["children"]:
            kids = [sim.world.child_at(media, c) for c in range(1, media.children + 1)]
            return {"data": [view.fields(k, fields) for k in kids]}
        if segs[1:] == ["comments"]:
            return media_comments(sim, ctx, tok, media, fields)
        raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
    if is_comment_id(first):
        return comment_call(sim, ctx, tok, segs, fields)
    raise unsupported_get(first)


def _metrics(params: dict) -> list[str]:
    return split_list(params.get("metric"))
