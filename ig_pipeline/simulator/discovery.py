"""Business Discovery: ``GET /{own-ig-user-id}?fields=business_discovery.username(x){…}`` reads another
public Business or Creator account's profile and posts. Facebook Login tokens only; metered on the app's
Platform limit (``X-App-Usage``, codes 4/17), not on the calling account's Business Use Case limit."""

from __future__ import annotations

from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.edges import media_list
from ig_pipeline.simulator.errors import GraphError, param_error, require_scope
from ig_pipeline.simulator.params import Sel
from ig_pipeline.simulator.profile import ABSENT, profile_field

PROFILE_FIELDS = ("id", "ig_id", "username", "name", "biography", "website", "profile_picture_url",
                  "followers_count", "follows_count", "media_count")
MEDIA_FIELDS = {"id", "caption", "media_type", "media_product_type", "timestamp", "permalink", "like_count",
                "comments_count", "media_url", "thumbnail_url", "children"}


def not_found(username: str | None) -> GraphError:
    """Unknown, personal and age-gated usernames all get this (Meta returns no data for any of them)."""
    return GraphError(110, "Invalid user id", 2207013, extra={
        "error_user_title": "Cannot find User",
        "error_user_msg": f"The user with username: {username} cannot be found."})


def is_business_discovery(params: dict) -> bool:
    return "business_discovery" in (params.get("fields") or "")


def business_discovery(sim, ctx: Ctx, sel: Sel) -> dict:
    tok = ctx.token
    if tok is not None and tok.kind == "ig":  # Instagram Login has no Business Discovery
        raise param_error("Tried accessing nonexisting field (business_discovery) on node type (IGUser)")
    require_scope(tok, "instagram_basic", "instagram_business_basic")
    require_scope(tok, "instagram_manage_insights", "instagram_business_manage_insights")
    require_scope(tok, "pages_read_engagement", "instagram_business_basic")
    username = sel.mods.get("username")
    if not username:
        raise param_error("The parameter username is required")
    target = sim.public.discoverable(username)
    if target is None:
        raise not_found(username)
    subs = sel.sub or [Sel("id", {}, None)]
    for s in subs:
        if s.name not in PROFILE_FIELDS and s.name != "media":
            raise param_error(f"Tried accessing nonexisting field ({s.name}) on node type (IGUser)")
    w, now = sim.world, ctx.now
    out = {}
    for s in subs:
        n = s.name
        value = profile_field(w, target, n, now)
        if value is not ABSENT:
            out[n] = value
        elif n == "media":
            out["media"] = _media(sim, ctx, target, s)
    out["id"] = target.id
    return out


def _media(sim, ctx: Ctx, target, sel: Sel) -> dict:
    inner = sel.sub or [Sel("id", {}, None)]
    for x in inner:
        if x.name not in MEDIA_FIELDS:
            raise param_error(f"Tried accessing nonexisting field ({x.name}) on node type (IGMedia)")
    mods = {k: sel.mods[k] for k in ("limit", "after", "before") if sel.mods.get(k)}
    sub = Ctx(ctx.version, ctx.now, ctx.base, mods, ctx.token_raw, token=ctx.token)
    body = media_list(sim, sub, target, inner)
    paging = body.get("paging")
    if paging:  # only cursors: the next page is another business_discovery call with media.after(cursor)
        body["paging"] = {"cursors": paging["cursors"]}
    return body
