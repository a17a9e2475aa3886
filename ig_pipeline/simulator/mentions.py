"""Where other people point at our users: ``GET /{ig-user-id}/tags`` (public posts that tag the account,
newest first, with the poster's ``username``) and the ``mentioned_media.media_id(…){…}`` and
``mentioned_comment.comment_id(…){…}`` expansions of the IG User node (ids come from ``mentions``
webhooks). Permissions: the basic one and ``instagram_manage_comments``."""

from __future__ import annotations

from urllib.parse import urlencode

from ig_pipeline.simulator.comments import require_comments, serialize
from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.errors import param_error
from ig_pipeline.simulator.media import MediaView
from ig_pipeline.simulator.params import Sel, decode_cursor, encode_cursor, parse_limit

TAG_FIELDS = {"id", "username", "caption", "media_type", "media_product_type", "permalink", "timestamp",
              "like_count", "comments_count", "media_url", "children", "owner"}
MENTIONED_COMMENT_FIELDS = {"id", "text", "timestamp", "like_count", "media", "username"}
PAGE_MAX = 50


def _check(fields, allowed: set[str], node: str) -> list[Sel]:
    for s in fields or []:
        if s.name not in allowed:
            raise param_error(f"Tried accessing nonexisting field ({s.name}) on node type ({node})")
    return fields or [Sel("id", {}, None)]


def tagged(sim, account, at: float, after: tuple | None = None):
    """(key, media) of public posts tagging ``account`` that exist at ``at``, newest first."""
    for key, m in sim.public.media_newest_first(at, after):
        who = sim.public.tagged_account(m)
        if who is not None and who.id == account.id:
            yield key, m


def tags(sim, ctx: Ctx, tok, account, fields) -> dict:
    require_comments(tok)
    sels = _check(fields, TAG_FIELDS, "IGMedia")
    limit = parse_limit(ctx.params.get("limit"), maximum=PAGE_MAX)
    after = decode_cursor(ctx.params["after"], 4) if ctx.params.get("after") else None
    page, more = [], False
    for key, m in tagged(sim, account, ctx.now, after):
        if len(page) == limit:
            more = True
            break
        page.append((key, m))
    view = MediaView(sim, ctx)
    out = {"data": [view.fields(m, sels, nested_ok=False) for _, m in page]}
    if page:
        cursor = encode_cursor(*page[-1][0])
        out["paging"] = {"cursors": {"before": encode_cursor(*page[0][0]), "after": cursor}}
        if more:
            q = {k: v for k, v in ctx.params.items() if k not in ("after", "appsecret_proof", "appsecret_time")}
            out["paging"]["next"] = f"{ctx.base}/v{ctx.version}.0/{account.id}/tags?{urlencode({**q, 'after': cursor})}"
    return out


def mentioned(sim, ctx: Ctx, tok, account, sel: Sel) -> dict:
    """``mentioned_media.media_id(X){…}`` or ``mentioned_comment.comment_id(X){…}`` on our account."""
    require_comments(tok)
    if sel.name == "mentioned_media":
        media_id = sel.mods.get("media_id")
        if not media_id:
            raise param_error("The parameter media_id is required")
        m = sim.public.find_media(media_id, ctx.now)
        who = sim.public.mentioned_account(m) if m is not None else None
        if who is None or who.id != account.id:
            raise param_error(f"The media {media_id} does not mention this account")
        return MediaView(sim, ctx).fields(m, _check(sel.sub, TAG_FIELDS, "IGMedia"), nested_ok=False)
    comment_id = sel.mods.get("comment_id")
    if not comment_id:
        raise param_error("The parameter comment_id is required")
    c = sim.talk.find(comment_id, ctx.now)
    if c is None or c.mentions != account.username:
        raise param_error(f"The comment {comment_id} does not mention this account")
    return serialize(sim, ctx, c, _check(sel.sub, MENTIONED_COMMENT_FIELDS, "IGComment"))
