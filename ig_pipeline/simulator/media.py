"""The IG Media node: its fields and its insights, for one request context."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from ig_pipeline.simulator.days import DAY, PT, iso
from ig_pipeline.simulator.draws import h64, unit
from ig_pipeline.simulator.entities import REELS, TWO_YEARS, Media
from ig_pipeline.simulator.errors import GraphError, param_error, require_insights
from ig_pipeline.simulator.metrics import (
    IMPRESSIONS_MSG,
    MEDIA_BREAKDOWNS,
    MEDIA_IMPRESSIONS_CREATED_BEFORE,
    MEDIA_TABLE,
    NOT_ENOUGH_VIEWERS,
    REELS_PLAYS,
    TITLES,
    media_metric_names,
    pre_conversion_error,
    unsupported_media_metric,
)
from ig_pipeline.simulator.params import Sel, split_list


def cdn_url(seed: int, media_id: str, now: float, ext: str) -> str:
    hour = int(now // 3600)
    rid = hashlib.blake2b(f"{seed}|{media_id}|{hour}".encode(), digest_size=6).hexdigest()
    oe = format(hour * 3600 + 3 * DAY, "X")
    return (f"https://scontent.cdninstagram.com/v/t51.29350-15/{media_id}_n.{ext}?_nc_cat=1&ccb=1-7"
            f"&_nc_sid=18de74&_nc_rid={rid}&oh=00_{rid[:8]}&oe={oe}")


def shortcode(seed: int, media_id: str) -> str:
    raw = h64(seed, "sc", media_id).to_bytes(8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")[:11]


# --- media node -------------------------------------------------------------------------------------

MEDIA_FIELDS = {"id", "ig_id", "caption", "media_type", "media_product_type", "media_url", "thumbnail_url",
                "permalink", "shortcode", "timestamp", "like_count", "comments_count", "is_comment_enabled",
                "is_shared_to_feed", "owner", "username", "children", "insights", "alt_text",
                "legacy_instagram_media_id"}


class MediaView:
    """Serializes media and computes media insights for one request context."""

    def __init__(self, sim, ctx):
        self.sim, self.ctx, self.world, self.seed = sim, ctx, sim.world, sim.world.seed

    def fields(self, m: Media, sels: list[Sel] | None, *, nested_ok: bool = True) -> dict:
        if not sels:
            return {"id": m.id}
        out = {}
        now = self.ctx.now
        vals = None
        for sel in sels:
            n = sel.name
            if n not in MEDIA_FIELDS:
                raise param_error(f"Tried accessing nonexisting field ({n}) on node type (IGMedia)")
            if n == "id":
                out["id"] = m.id
            elif n == "ig_id":
                out["ig_id"] = str(h64(self.seed, "igid", m.id) % 10 ** 18)
            elif n == "caption":
                if not m.child and unit(self.seed, "cap", m.id) < 0.9:
                    out["caption"] = (f"{_CAPTIONS[h64(self.seed, 'cw', m.id) % len(_CAPTIONS)]} "
                                      f"#{m.account.username.split('.')[0]}{self.sim.public.caption_extra(m)}")
            elif n == "media_type":
                out["media_type"] = m.media_type
            elif n == "media_product_type":
                out["media_product_type"] = m.product
            elif n == "media_url":
                out["media_url"] = cdn_url(self.seed, m.id, now, "mp4" if m.media_type == "VIDEO" else "jpg")
            elif n == "thumbnail_url":
                if m.media_type == "VIDEO":
                    out["thumbnail_url"] = cdn_url(self.seed, m.id + "t", now, "jpg")
            elif n == "permalink":
                if not m.child:
                    kind = "reel" if m.product == REELS else ("stories/" + m.account.username if m.is_story else "p")
                    out["permalink"] = f"https://www.instagram.com/{kind}/{shortcode(self.seed, m.id)}/"
            elif n == "shortcode":
                out["shortcode"] = shortcode(self.seed, m.id)
            elif n == "timestamp":
                out["timestamp"] = iso(m.ts)
            elif n in ("like_count", "comments_count"):
                if not m.child and not m.is_story and not (n == "like_count" and self.sim.public.likes_hidden(m)):
                    vals = vals or self.world.media_values(m, now)
                    out[n] = vals["likes" if n == "like_count" else "comments"]
            elif n == "is_comment_enabled":
                if not m.is_story:
                    out[n] = unit(self.seed, "ce", m.id) < 0.95
            elif n == "is_shared_to_feed":
                if m.product == REELS:
                    out[n] = unit(self.seed, "stf", m.id) < 0.8
            elif n == "owner":
                out["owner"] = {"id": m.account.id}
            elif n == "username":
                out["username"] = m.account.username
            elif n == "alt_text":
                pass
            elif n == "legacy_instagram_media_id":
                out[n] = str(h64(self.seed, "legacy", m.id) % 10 ** 18)
            elif n == "children":
                if m.media_type == "CAROUSEL_ALBUM" and not m.child:
                    kids = [self.world.child_at(m, c) for c in range(1, m.children + 1)]
                    out["children"] = {"data": [self.fields(k, sel.sub or [Sel("id", {}, None)]) for k in kids]}
            elif n == "insights":
                if not nested_ok:
                    raise param_error("Nested insights are not supported here")
                metrics = split_list(sel.mods.get("metric"))
                data = self.insights(m, metrics, sel.mods.get("breakdown"))
                out["insights"] = {"data": data}
                self.ctx.nested += 1
        return out

    def insights(self, m: Media, metrics: list[str], breakdown: str | None) -> list[dict]:
        ctx = self.ctx
        require_insights(ctx.token)
        today = datetime.fromtimestamp(ctx.now, PT).date()
        if not metrics:
            raise param_error("The parameter metric is required")
        allowed = media_metric_names(ctx.version, today)
        for i, name in enumerate(metrics):
            if name in ("impressions", *REELS_PLAYS) and name not in allowed:
                raise GraphError(100, IMPRESSIONS_MSG if name == "impressions" else
                                 f"(#100) Starting from version 22 and above, the {name} metric is no longer "
                                 "supported. Please use views instead.")
            if name == "video_views" and name not in allowed:
                raise GraphError(100, "(#100) Starting from version 21+, the following metric is no longer "
                                      "supported: video_views. Please use views instead.")
            if name not in allowed:
                raise param_error(f"metric[{i}] must be one of the following values: {', '.join(allowed)}")
        fault = ctx.fault_metric
        if m.child:
            raise param_error("Insights are not available for carousel album children; request them on the album")
        for name in metrics:
            if m.product not in MEDIA_TABLE[name] or name == fault:
                raise unsupported_media_metric(name)
            if name == "impressions" and datetime.fromtimestamp(m.ts, PT).date() >= MEDIA_IMPRESSIONS_CREATED_BEFORE:
                raise unsupported_media_metric(name)
            if name in ("facebook_views", "crossposted_views") and not self.world.shared_to_facebook(m):
                raise param_error(f"The {name} metric is only available for media shared to Facebook")
        bds = split_list(breakdown)
        if bds:
            if len(bds) > 1 or any(MEDIA_BREAKDOWNS.get(n, ("",))[0] != bds[0] for n in metrics):
                raise param_error(f"The breakdown ({','.join(bds)}) is not supported for the metrics "
                                  f"({','.join(metrics)})")
        if m.ts < m.account.converted:
            raise pre_conversion_error()
        if ctx.now - m.ts > TWO_YEARS:
            return []
        vals = self.world.media_values(m, ctx.now)
        if m.is_story:
            if ctx.now - m.ts > DAY:
                return []
            if vals["reach"] < 5:
                raise GraphError(10, NOT_ENOUGH_VIEWERS)
        out = []
        for name in metrics:
            v = vals.get(name, 0)
            if name in ("clips_replays_count",):
                v = int(vals["views"] * 0.1)
            if name == "ig_reels_aggregated_all_plays_count":
                v = vals["views"]
            item = {"name": name, "period": "lifetime", "values": [{"value": v["total"] if isinstance(v, dict) else v}],
                    "title": TITLES.get(name, name.replace("_", " ").capitalize()),
                    "description": f"Lifetime {name.replace('_', ' ')} of the media.",
                    "id": f"{m.id}/insights/{name}/lifetime"}
            if isinstance(v, dict):
                if bds:
                    keys = MEDIA_BREAKDOWNS[name][1]
                    item["total_value"] = {"value": v["total"], "breakdowns": [{
                        "dimension_keys": [bds[0]],
                        "results": [{"dimension_values": [k.lower()], "value": v[k]} for k in keys]}]}
            out.append(item)
        return out


_CAPTIONS = ["New roast is here", "Behind the scenes", "Weekend vibes", "Meet the team", "Fresh drop",
             "Thank you for 1k!", "Recipe of the week", "Sunday reset", "Studio day", "Coming soon"]


# --- account insights -------------------------------------------------------------------------------
