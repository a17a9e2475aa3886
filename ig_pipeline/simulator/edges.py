"""IG User edges: ``/media`` and ``/stories`` listings with cursors and time bounds, and ``/insights``."""

from __future__ import annotations

from urllib.parse import urlencode

from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.errors import GraphError
from ig_pipeline.simulator.insights import AccountInsights
from ig_pipeline.simulator.media import MediaView
from ig_pipeline.simulator.params import decode_cursor, encode_cursor, parse_limit, parse_time_param
from ig_pipeline.simulator.tokens import Token

MEDIA_CAP = 10000


async def ig_edge(sim, ctx: Ctx, tok: Token, a, edge: str, fields) -> dict:
    if edge == "insights":
        return AccountInsights(sim, ctx, a).run(ctx.params)
    return media_list(sim, ctx, a, fields, stories=(edge == "stories"))


def media_list(sim, ctx: Ctx, a, fields, stories: bool = False) -> dict:
    p, now, w = ctx.params, ctx.now, sim.world
    limit = parse_limit(p.get("limit"))
    view = MediaView(sim, ctx)
    if stories:
        items = w.live_stories(a, now)
        start = 0
        if p.get("after"):
            start = decode_cursor(p["after"], 1)[0] + 1
        page = items[start:start + limit]
        data = [view.fields(m, fields) for m in page]
        out = {"data": data}
        if page:
            paging = {"cursors": {"before": encode_cursor(start), "after": encode_cursor(start + len(page) - 1)}}
            if start + len(page) < len(items):
                paging["next"] = _next_url(ctx, f"{a.id}/stories", paging["cursors"]["after"])
            out["paging"] = paging
        return out
    since = parse_time_param("since", p.get("since"))
    until = parse_time_param("until", p.get("until"), end_of_day=True)
    top = now if until is None else min(now, until)
    if p.get("before"):
        pos = decode_cursor(p["before"], 2)
        newer = []
        for m in w.iter_media_newer(a, top, pos):
            newer.append(m)
            if len(newer) > limit:
                break
        more_newer = len(newer) > limit
        page = list(reversed(newer[:limit]))
        more_older = True
    else:
        pos = decode_cursor(p["after"], 2) if p.get("after") else None
        page = []
        more_older = False
        total = w.media_count(a, now)
        for m in w.iter_media(a, top, pos):
            if since is not None and m.ts < since:
                break
            if total > MEDIA_CAP and total - 1 - (w.count_posts_before(a, m.day) + m.k) >= MEDIA_CAP:
                break  # only the most recent 10,000 media are listed
            if len(page) == limit:
                more_older = True
                break
            page.append(m)
        more_newer = pos is not None
    data = []
    for m in page:
        try:
            data.append(view.fields(m, fields))
        except GraphError:
            if not sim.config.nested_insights_fail_whole_page and fields and any(
                    s.name == "insights" for s in fields):
                data.append(view.fields(m, [s for s in fields if s.name != "insights"]))
            else:
                raise
    out = {"data": data}
    if page:
        c_before = encode_cursor(page[0].day, page[0].k)
        c_after = encode_cursor(page[-1].day, page[-1].k)
        paging = {"cursors": {"before": c_before, "after": c_after}}
        if more_older:
            paging["next"] = _next_url(ctx, f"{a.id}/media", c_after)
        if more_newer:
            paging["previous"] = _next_url(ctx, f"{a.id}/media", c_before, key="before")
        out["paging"] = paging
    return out


def _next_url(ctx: Ctx, path: str, cursor: str, key: str = "after") -> str:
    q = {k: v for k, v in ctx.params.items() if k not in ("after", "before", "appsecret_proof", "appsecret_time")}
    q[key] = cursor
    return f"{ctx.base}/v{ctx.version}.0/{path}?{urlencode(q)}"
