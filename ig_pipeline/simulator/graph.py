"""Graph API semantics: errors, field parsing, the simulator's own metric tables, node/edge handlers.

Independent of ``ig_pipeline.graph``: this module keeps its own table of what the real API accepts,
written from Meta's Instagram Platform reference (sources listed in docs/simulator.md)."""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from ig_pipeline.simulator.world import (
    ACTION_TYPES,
    CONTACT_TYPES,
    DAY,
    FEED,
    FOLLOW_TYPES,
    NAV_TYPES,
    PRODUCT_BREAKDOWN,
    PT,
    REELS,
    STORY,
    TWO_YEARS,
    UNIQUE,
    UTC,
    Account,
    Media,
    day_end,
    day_start,
    h64,
    iso,
    pacific_ordinal,
    split,
    unit,
)

VERSIONS = (21, 22, 23, 24, 25, 26, 27)  # release and end-of-availability dates: docs/simulator.md
DEFAULT_VERSION = 24
IMPRESSIONS_END = date(2025, 4, 21)
CLICKS_END = date(2025, 1, 8)
MEDIA_IMPRESSIONS_CREATED_BEFORE = date(2024, 7, 2)


class GraphError(Exception):
    def __init__(self, code: int, message: str, subcode: int | None = None, *, status: int | None = None,
                 transient: bool = False, extra: dict | None = None, eta_minutes: int | None = None):
        super().__init__(message)
        self.code, self.message, self.subcode = code, message, subcode
        self.status = status or (500 if code in (1, 2) else 400)
        self.transient, self.extra, self.eta_minutes = transient, extra or {}, eta_minutes

    def envelope(self, trace: str) -> dict:
        err = {"message": self.message, "type": "OAuthException", "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        err.update(self.extra)
        err["is_transient"] = self.transient
        err["fbtrace_id"] = trace
        return {"error": err}


def unsupported_get(obj_id: str, method: str = "get") -> GraphError:
    return GraphError(100, f"Unsupported {method} request. Object with ID '{obj_id}' does not exist, cannot be "
                           "loaded due to missing permissions, or does not support this operation. Please read the "
                           "Graph API documentation at https://developers.facebook.com/docs/graph-api", 33)


def param_error(message: str) -> GraphError:
    return GraphError(100, f"(#100) {message}")


NO_PERMISSION = "(#10) Application does not have permission for this action"


def require_scope(token, facebook_scope: str, instagram_scope: str) -> None:
    """Refuse (code 10) when the token's user did not grant the permission the call needs; ``token`` is
    None for the simulator's own truth computations, which need no permission."""
    if token is None:
        return
    if not token.has(instagram_scope if token.kind == "ig" else facebook_scope):
        raise GraphError(10, NO_PERMISSION)


def require_basic(token) -> None:
    require_scope(token, "instagram_basic", "instagram_business_basic")


def require_insights(token) -> None:
    require_scope(token, "instagram_manage_insights", "instagram_business_manage_insights")


# --- field expansion syntax ------------------------------------------------------------------------

@dataclass
class Sel:
    name: str
    mods: dict
    sub: list | None


def parse_fields(text: str | None) -> list[Sel] | None:
    if text is None:
        return None
    s, pos = text, 0

    def fail(p):
        raise GraphError(100, f"(#100) Syntax error \"Expected end of string instead of \"{s[p:p + 1]}\".\" at "
                              f"character {p}: {s}" if p < len(s) else f"(#100) Syntax error at character {p}: {s}")

    def ident():
        nonlocal pos
        start = pos
        while pos < len(s) and (s[pos].isalnum() or s[pos] == "_"):
            pos += 1
        return s[start:pos]

    def parse_list(closing):
        nonlocal pos
        items = []
        while True:
            while pos < len(s) and s[pos] in " ,":
                pos += 1
            if pos >= len(s):
                if closing:
                    fail(pos)
                return items
            if s[pos] == closing:
                pos += 1
                return items
            name = ident()
            if not name:
                fail(pos)
            mods = {}
            while pos < len(s) and s[pos] == ".":
                pos += 1
                mod = ident()
                if not mod or pos >= len(s) or s[pos] != "(":
                    fail(pos)
                end = s.find(")", pos)
                if end < 0:
                    fail(pos)
                mods[mod] = s[pos + 1:end]
                pos = end + 1
            sub = None
            if pos < len(s) and s[pos] == "{":
                pos += 1
                sub = parse_list("}")
            items.append(Sel(name, mods, sub))
            if pos < len(s) and s[pos] not in ",}":
                fail(pos)

    return parse_list(None)


# --- account metrics table --------------------------------------------------------------------------

TV, TS = "total_value", "time_series"
# name -> (period, metric types accepted, breakdowns accepted)
ACCOUNT_TABLE = {
    "reach": ("day", {TS, TV}, {"media_product_type", "follow_type"}),
    "follower_count": ("day", {TS}, set()),
    "views": ("day", {TV}, {"follow_type", "follower_type", "media_product_type"}),
    "accounts_engaged": ("day", {TV}, set()),
    "total_interactions": ("day", {TV}, {"media_product_type"}),
    "likes": ("day", {TV}, {"media_product_type"}),
    "comments": ("day", {TV}, {"media_product_type"}),
    "saves": ("day", {TV}, {"media_product_type"}),
    "shares": ("day", {TV}, {"media_product_type"}),
    "replies": ("day", {TV}, set()),
    "reposts": ("day", {TV}, set()),
    "profile_views": ("day", {TV}, set()),
    "website_clicks": ("day", {TV}, set()),
    "profile_links_taps": ("day", {TV}, {"contact_button_type"}),
    "follows_and_unfollows": ("day", {TV}, {"follow_type"}),
    "online_followers": ("lifetime", {TS}, set()),
    "follower_demographics": ("lifetime", {TV}, {"age", "city", "country", "gender"}),
    "engaged_audience_demographics": ("lifetime", {TV}, {"age", "city", "country", "gender"}),
    "reached_audience_demographics": ("lifetime", {TV}, {"age", "city", "country", "gender"}),
    # gated
    "impressions": ("day", {TS, TV}, set()),
    "email_contacts": ("day", {TS}, set()),
    "phone_call_clicks": ("day", {TS}, set()),
    "text_message_clicks": ("day", {TS}, set()),
    "get_directions_clicks": ("day", {TS}, set()),
}
CLICK_SERIES = {"email_contacts", "phone_call_clicks", "text_message_clicks", "get_directions_clicks"}
DEMOGRAPHICS = {"follower_demographics", "engaged_audience_demographics", "reached_audience_demographics"}
PERIODS = ("day", "week", "days_28", "month", "lifetime", "total_over_range")
TITLES = {"reach": "Accounts reached", "follower_count": "Follower Count", "views": "Views",
          "accounts_engaged": "Accounts engaged", "total_interactions": "Content interactions", "likes": "Likes",
          "comments": "Comments", "saves": "Saves", "saved": "Saves", "shares": "Shares", "replies": "Replies",
          "reposts": "Reposts", "profile_views": "Profile views", "website_clicks": "Website clicks",
          "profile_links_taps": "Profile links taps", "follows_and_unfollows": "Follows and unfollows",
          "online_followers": "Online followers", "follower_demographics": "Follower demographics",
          "engaged_audience_demographics": "Engaged audience demographics",
          "reached_audience_demographics": "Reached audience demographics", "impressions": "Impressions"}


def old_clicks_ok(version: int, today: date) -> bool:
    return version < 21 and today < CLICKS_END


def impressions_ok(version: int, today: date) -> bool:
    return version < 22 and today < IMPRESSIONS_END


def account_metric_names(version: int, today: date) -> list[str]:
    names = [n for n in ACCOUNT_TABLE if n not in CLICK_SERIES and n != "impressions"]
    if impressions_ok(version, today):
        names.append("impressions")
    if old_clicks_ok(version, today):
        names += sorted(CLICK_SERIES)
    return names


IMPRESSIONS_MSG = ("(#100) Starting from version 22 and above, the impressions metric is no longer supported for "
                   "the queried user. Please use views instead.")
RANGE_MSG = "(#100) There cannot be more than 30 days (2592000 s) between since and until"
FOLLOWER_COUNT_MSG = ("(#100) (follower_count) metric only supports querying data for the last 30 days excluding "
                      "the current day")
UNKNOWN_ERROR_MSG = "An unknown error has occurred."

AGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDERS = ("F", "M", "U")
COUNTRIES = ("US", "BR", "IN", "GB", "DE", "FR", "IT", "ES", "MX", "CA", "AU", "JP", "KR", "ID", "TR", "AR",
             "CO", "NL", "PL", "SE", "PT", "CL", "PE", "PH", "TH", "VN", "ZA", "NG", "EG", "SA", "AE", "IE",
             "BE", "CH", "AT", "DK", "NO", "FI", "GR", "RO", "HU", "CZ", "IL", "NZ", "SG", "MY", "PK", "KE",
             "UA", "MA")
CITIES = tuple(f"{c}, {r}" for c, r in (
    ("Los Angeles", "California"), ("New York", "New York"), ("Chicago", "Illinois"), ("Houston", "Texas"),
    ("São Paulo", "São Paulo (state)"), ("London", "England"), ("Berlin", "Berlin"), ("Paris", "Île-de-France"),
    ("Madrid", "Comunidad de Madrid"), ("Rome", "Lazio"), ("Mumbai", "Maharashtra"), ("Delhi", "Delhi"),
    ("Toronto", "Ontario"), ("Sydney", "New South Wales"), ("Tokyo", "Tokyo"), ("Seoul", "Seoul"),
    ("Mexico City", "Distrito Federal"), ("Jakarta", "Jakarta"), ("Istanbul", "Istanbul Province"),
    ("Buenos Aires", "Buenos Aires"), ("Bogotá", "Distrito Especial"), ("Amsterdam", "North Holland"),
    ("Warsaw", "Masovian Voivodeship"), ("Stockholm", "Stockholm County"), ("Lisbon", "Lisbon"),
    ("Santiago", "Santiago Metropolitan Region"), ("Lima", "Lima Region"), ("Manila", "Metro Manila"),
    ("Bangkok", "Bangkok"), ("Cape Town", "Western Cape"), ("Lagos", "Lagos State"), ("Cairo", "Cairo"),
    ("Dubai", "Dubai"), ("Dublin", "Dublin"), ("Brussels", "Brussels"), ("Zürich", "Zurich"),
    ("Vienna", "Vienna"), ("Copenhagen", "Capital Region"), ("Oslo", "Oslo"), ("Helsinki", "Uusimaa"),
    ("Athens", "Attica"), ("Bucharest", "Bucharest"), ("Budapest", "Budapest"), ("Prague", "Prague"),
    ("Tel Aviv", "Tel Aviv District"), ("Auckland", "Auckland Region"), ("Singapore", "Singapore"),
    ("Kuala Lumpur", "Kuala Lumpur"), ("Karachi", "Sindh"), ("Nairobi", "Nairobi"), ("Kyiv", "Kyiv"),
    ("Casablanca", "Casablanca-Settat"), ("Miami", "Florida"), ("Seattle", "Washington"),
    ("Austin", "Texas"), ("Portland", "Oregon"), ("Denver", "Colorado"), ("Boston", "Massachusetts")))
DEMO_VALUES = {"age": AGES, "gender": GENDERS, "country": COUNTRIES, "city": CITIES}


# --- media metrics table ----------------------------------------------------------------------------

_ALL = {FEED, REELS, STORY}
MEDIA_TABLE = {
    "reach": _ALL, "views": _ALL, "likes": {FEED, REELS}, "comments": {FEED, REELS}, "saved": {FEED, REELS},
    "shares": _ALL, "total_interactions": _ALL, "reposts": _ALL, "follows": {FEED, STORY},
    "profile_visits": {FEED, STORY}, "profile_activity": {FEED, STORY}, "navigation": {STORY},
    "replies": {STORY}, "link_clicks": {STORY}, "ig_reels_avg_watch_time": {REELS},
    "ig_reels_video_view_total_time": {REELS}, "reels_skip_rate": {REELS}, "crossposted_views": {REELS},
    "facebook_views": _ALL, "total_likes": {FEED, REELS}, "total_comments": {FEED, REELS}, "total_views": _ALL,
    # gated
    "impressions": _ALL, "plays": {REELS}, "clips_replays_count": {REELS},
    "ig_reels_aggregated_all_plays_count": {REELS}, "video_views": {FEED, REELS},
}
MEDIA_BREAKDOWNS = {"profile_activity": ("action_type", ACTION_TYPES),
                    "navigation": ("story_navigation_action_type", NAV_TYPES)}
REELS_PLAYS = {"plays", "clips_replays_count", "ig_reels_aggregated_all_plays_count"}
NOT_ENOUGH_VIEWERS = "(#10) Not enough viewers for the media to show insights"


def media_metric_names(version: int, today: date) -> list[str]:
    names = [n for n in MEDIA_TABLE if n not in REELS_PLAYS | {"impressions", "video_views"}]
    if impressions_ok(version, today):
        names += ["impressions", *sorted(REELS_PLAYS)]
    if old_clicks_ok(version, today):
        names.append("video_views")
    return names


def unsupported_media_metric(metric: str) -> GraphError:
    return param_error(f"The Media Insights API does not support the {metric} metric for this media product type.")


def pre_conversion_error() -> GraphError:
    return GraphError(100, "Invalid parameter", 2108006, extra={
        "error_user_title": "Media posted before business account conversion",
        "error_user_msg": "The media was posted before the most recent time that the user's account was converted "
                          "to a business account from a personal account."})


def split_list(value: str | None) -> list[str]:
    if value is None:
        return []
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1].replace('"', "")
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_time_param(name: str, value: str | None, *, end_of_day: bool = False) -> int | None:
    if value is None or value == "":
        return None
    v = value.strip()
    try:
        if v.lstrip("-").isdigit():
            n = int(v)
            if abs(n) > 10 ** 11:
                raise ValueError
            return n
        if len(v) == 10:
            d = date.fromisoformat(v)
            return day_start(d.toordinal() + (1 if end_of_day else 0))
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(dt.timestamp())
    except (ValueError, OverflowError):
        raise param_error(f"The parameter {name} must be a unix timestamp or a date string") from None


def parse_limit(value: str | None, default: int = 25, maximum: int = 100) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise param_error("Param limit must be a positive integer") from None
    if n < 1:
        raise param_error("Param limit must be a positive integer")
    return min(n, maximum)


def encode_cursor(*parts) -> str:
    return base64.urlsafe_b64encode(("QVFI:" + ":".join(map(str, parts))).encode()).decode().rstrip("=")


def decode_cursor(value: str, n: int) -> tuple[int, ...]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        head, *parts = raw.split(":")
        if head != "QVFI" or len(parts) != n:
            raise ValueError
        return tuple(int(p) for p in parts)
    except (ValueError, UnicodeDecodeError):
        raise param_error("Invalid cursor") from None


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
                    out["caption"] = f"{_CAPTIONS[h64(self.seed, 'cw', m.id) % len(_CAPTIONS)]} #{m.account.username.split('.')[0]}"
            elif n == "media_type":
                out["media_type"] = m.media_type
            elif n == "media_product_type":
                out["media_product_type"] = m.product
            elif n == "media_url":
                if m.media_type != "CAROUSEL_ALBUM" or True:
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
                if not m.child and not m.is_story:
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

class AccountInsights:
    def __init__(self, sim, ctx, account: Account):
        self.sim, self.ctx, self.a, self.world = sim, ctx, account, sim.world

    def run(self, params: dict) -> dict:
        ctx, now = self.ctx, self.ctx.now
        require_insights(ctx.token)
        today_d = pacific_ordinal(now)
        today = date.fromordinal(today_d)
        metrics = split_list(params.get("metric"))
        if not metrics:
            raise param_error("The parameter metric is required")
        allowed = account_metric_names(ctx.version, today)
        for i, name in enumerate(metrics):
            if name == "impressions" and name not in allowed:
                raise GraphError(100, IMPRESSIONS_MSG)
            if name not in allowed:
                raise param_error(f"metric[{i}] must be one of the following values: {', '.join(allowed)}")
        if ctx.fault_metric in metrics:
            raise param_error(f"metric[{metrics.index(ctx.fault_metric)}] must be one of the following values: "
                              f"{', '.join(n for n in allowed if n != ctx.fault_metric)}")
        period = params.get("period")
        if not period:
            raise param_error("The parameter period is required")
        if period not in PERIODS:
            raise param_error(f"period must be one of the following values: {', '.join(PERIODS)}")
        wrong = [n for n in metrics if not (ACCOUNT_TABLE[n][0] == period or
                                            (n == "reach" and period in ("week", "days_28")))]
        if wrong:
            need = ACCOUNT_TABLE[wrong[0]][0]
            raise param_error(f"The following metrics ({','.join(wrong)}) should be specified with parameter "
                              f"period={need}")
        mtype = params.get("metric_type") or "default"
        if mtype not in ("default", TS, TV):
            raise param_error("metric_type must be one of the following values: default, time_series, total_value")
        series_ok = {n: (TS in ACCOUNT_TABLE[n][1]) or (n in ("profile_views", "website_clicks")
                                                       and old_clicks_ok(ctx.version, today)) for n in metrics}
        if mtype == TV:
            bad = [n for n in metrics if TV not in ACCOUNT_TABLE[n][1]]
            if bad:
                raise param_error(f"The following metric ({','.join(bad)}) is incompatible with the metric type "
                                  f"(total_value)")
        else:
            bad = [n for n in metrics if not series_ok[n]]
            if bad:
                raise param_error(f"The following metrics ({','.join(bad)}) should be specified with parameter "
                                  f"metric_type=total_value")
        if period in ("week", "days_28") and mtype == TV:
            raise param_error(f"The following metric (reach) is incompatible with the metric type (total_value) "
                              f"for period={period}")
        bds = split_list(params.get("breakdown"))
        if bds:
            demo = all(n in DEMOGRAPHICS for n in metrics)
            if mtype != TV or (len(bds) > 1 and not demo) or any(
                    b not in ACCOUNT_TABLE[n][2] for n in metrics for b in bds) or len(set(bds)) != len(bds):
                raise GraphError(100, UNKNOWN_ERROR_MSG)
        demo_metrics = [n for n in metrics if n in DEMOGRAPHICS]
        timeframe = params.get("timeframe")
        if demo_metrics:
            # Without `timeframe` the API answers (clients in the wild rely on it); the simulator then uses
            # the widest supported window, this_month (see docs/simulator.md, "Demographics").
            timeframe = timeframe or "this_month"
            if timeframe not in ("this_week", "this_month"):
                raise param_error("timeframe must be one of the following values: this_week, this_month")
        until = parse_time_param("until", params.get("until"), end_of_day=True)
        since = parse_time_param("since", params.get("since"))
        if until is None:
            until = int(now) if since is None else min(int(now), since + 30 * DAY)
        if since is None:
            since = until - DAY
        if until < since:
            raise param_error("The since timestamp must be before the until timestamp")
        if until - since > 30 * DAY and not demo_metrics:
            raise GraphError(100, RANGE_MSG)
        if "follower_count" in metrics and since < day_start(today_d - 30):
            raise GraphError(100, FOLLOWER_COUNT_MSG)
        days = [d for d in range(pacific_ordinal(since) - 1, pacific_ordinal(until) + 2)
                if since < day_end(d) <= until and day_end(d) <= now]
        if mtype != TV and "online_followers" not in metrics and day_start(today_d) < until and \
                since < day_end(today_d) and today_d not in days:
            days.append(today_d)  # an `until` inside the unfinished day: the API returns it, partial, future end_time
        data = []
        for name in metrics:
            item = self.metric(name, period, mtype, bds, days, since, timeframe, today_d)
            if item is not None:
                data.append(item)
        out = {"data": data}
        if mtype != TV and not demo_metrics and data:
            span = until - since
            q = {k: v for k, v in params.items() if k not in ("access_token", "since", "until", "appsecret_proof",
                                                                 "appsecret_time")}
            base = f"{ctx.base}/v{ctx.version}.0/{self.a.id}/insights?"
            out["paging"] = {"previous": base + urlencode({**q, "since": since - span, "until": since}),
                             "next": base + urlencode({**q, "since": until, "until": until + span})}
        return out

    def served(self, d: int) -> dict | None:
        return self.world.day_served(self.a, d, self.ctx.now)

    def metric(self, name, period, mtype, bds, days, since, timeframe, today_d) -> dict | None:
        a, small = self.a, self.a.small
        head = {"name": name, "period": period, "title": TITLES.get(name, name.replace("_", " ").capitalize()),
                "description": f"{TITLES.get(name, name)} of the account."}
        ident = f"{a.id}/insights/{name}/{period}"
        if small and name in ("follower_count", "follows_and_unfollows", "online_followers", "follower_demographics"):
            return None
        if name in DEMOGRAPHICS:
            return self.demographics(name, head, ident, bds, timeframe, today_d)
        if name == "online_followers":
            values = []
            for d in days:
                if d < today_d - 30:
                    continue
                f = self.world.followers_end(a, d)
                hours = {str(hr): int(f * 0.3 * (0.35 + 0.65 * math.sin(math.pi * ((hr + 4) % 24) / 24) ** 2)
                                      * (0.9 + 0.2 * unit(self.world.seed, "of", a.id, d, hr))) for hr in range(24)}
                values.append({"value": hours, "end_time": iso(day_end(d))})
            return {**head, "values": values, "id": ident}
        if name in CLICK_SERIES:
            values = [{"value": int((self.served(d) or {}).get("profile_links_taps", {}).get("total", 0) * 0.2),
                       "end_time": iso(day_end(d))} for d in days]
            return {**head, "values": values, "id": ident}
        if mtype != TV:
            values = []
            for d in days:
                if period == "day":
                    v = self.day_value(name, d)
                else:
                    n = 7 if period == "week" else 28
                    vs = [self.day_value(name, x) for x in range(d - n + 1, d + 1)]
                    v = self.combine(name, vs)
                values.append({"value": v, "end_time": iso(day_end(d))})
            return {**head, "values": values, "id": ident}
        # total_value
        use = days or [pacific_ordinal(since)]
        served = [s for s in (self.served(d) for d in use) if s is not None]
        if not served:
            return {**head, "total_value": {"value": 0}, "id": ident}
        vals = [self.pick(name, s) for s in served]
        total = self.combine(name, vals)
        tv = {"value": total}
        if bds:
            b = bds[0]
            if name == "profile_links_taps":
                keys = CONTACT_TYPES
                parts = [sum(s["profile_links_taps"][k] for s in served) for k in keys]
            elif name == "follows_and_unfollows":
                keys = ("FOLLOWER", "NON_FOLLOWER")
                parts = [sum(s["follows_and_unfollows"][k] for s in served) for k in keys]
            else:
                keys = PRODUCT_BREAKDOWN if b == "media_product_type" else FOLLOW_TYPES
                wkey = "_weights_product" if b == "media_product_type" else "_weights_follow"
                weights = [sum(s[wkey][i] for s in served) for i in range(len(keys))]
                parts = split(total, weights)
            tv["breakdowns"] = [{"dimension_keys": [b],
                                 "results": [{"dimension_values": [k], "value": v} for k, v in zip(keys, parts, strict=False)]}]
        return {**head, "total_value": tv, "id": ident}

    @staticmethod
    def pick(name, served):
        v = served.get(name)
        return v["total"] if isinstance(v, dict) else v

    def day_value(self, name, d):
        s = self.served(d)
        return 0 if s is None else self.pick(name, s)

    @staticmethod
    def combine(name, vals):
        vals = [v for v in vals if v is not None]
        if not vals:
            return 0
        if name in UNIQUE and len(vals) > 1:
            return int(max(vals) + 0.35 * (sum(vals) - max(vals)))
        return sum(vals)

    def demographics(self, name, head, ident, bds, timeframe, today_d):
        a, w = self.a, self.world
        n = 7 if timeframe == "this_week" else 30
        if name == "follower_demographics":
            audience = w.followers_end(a, today_d - 1)
        else:
            key = "accounts_engaged" if name.startswith("engaged") else "reach"
            vals = [w.day_settled(a, d)[key] for d in range(today_d - n, today_d)]
            audience = self.combine(key, vals)
            if audience < 100:
                return None
        tv: dict = {}
        if not bds:
            tv["value"] = int(audience * 0.85)
        else:
            combos = [()]
            for b in bds:
                combos = [c + (v,) for c in combos for v in DEMO_VALUES[b]]
            weights = [math.prod(self._demo_weight(b, v, name) for b, v in zip(bds, c, strict=False)) for c in combos]
            values = split(int(audience * 0.85), weights)
            results = sorted(([list(c), v] for c, v in zip(combos, values, strict=False) if v > 0), key=lambda r: (-r[1], r[0]))
            tv["breakdowns"] = [{"dimension_keys": list(bds),
                                 "results": [{"dimension_values": c, "value": v} for c, v in results[:45]]}]
        return {**head, "total_value": tv, "id": ident}

    def _demo_weight(self, b, v, name):
        base = unit(self.world.seed, "demo", self.a.id, b, v)
        if b == "country" or b == "city":
            rank = DEMO_VALUES[b].index(v)
            return (base + 0.1) / (1 + rank) ** 1.3
        if b == "age":
            return (0.2, 1.0, 1.3, 0.9, 0.5, 0.3, 0.15)[AGES.index(v)] * (0.7 + 0.6 * base)
        return (1.0, 0.9, 0.1)[GENDERS.index(v)] * (0.8 + 0.4 * base)
