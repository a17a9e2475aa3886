"""The Starlette application: routing, auth, faults, rate limits, request log, batch, OAuth dialog,
token endpoints and the ``/_sim`` admin API."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import random
import time as _time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ig_pipeline.simulator.days import DAY, PT, iso
from ig_pipeline.simulator.draws import h64
from ig_pipeline.simulator.errors import GraphError, param_error, require_basic, unsupported_get
from ig_pipeline.simulator.insights import AccountInsights
from ig_pipeline.simulator.media import MediaView, cdn_url
from ig_pipeline.simulator.metrics import DEFAULT_VERSION, VERSIONS
from ig_pipeline.simulator.params import (
    Sel,
    decode_cursor,
    encode_cursor,
    parse_fields,
    parse_limit,
    parse_time_param,
    split_list,
)
from ig_pipeline.simulator.ratelimit import BucMeter
from ig_pipeline.simulator.tokens import DATA_ACCESS_S, LONG_S, SHORT_S, Token, TokenCodec
from ig_pipeline.simulator.world import World

log = logging.getLogger("ig_pipeline.simulator")
FAULT_KINDS = {"transient_1", "transient_2", "hang", "reset", "malformed_json", "truncated_page", "rate_limit_4",
               "rate_limit_17", "rate_limit_32", "rate_limit_613", "rate_limit_80002", "token_expired",
               "token_password_changed", "token_revoked", "permission_10", "permission_200", "unsupported_metric",
               "batch_null"}
HANG_S = 120.0
MEDIA_CAP = 10000
REQUEST_LOG_MAX = 20000


class ResetConnection(Exception):
    """Raised to drop the connection mid-response (fault ``reset``)."""


class Clock:
    def __init__(self, start: float | None, frozen: bool):
        self.frozen = frozen
        base = _time.time() if start is None else start
        self.offset = base - (0 if frozen else _time.time())

    def now(self) -> float:
        return self.offset + (0 if self.frozen else _time.time())

    def set(self, epoch: float) -> None:
        self.offset = epoch - (0 if self.frozen else _time.time())

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Ctx:
    version: int
    now: float
    base: str
    params: dict
    token_raw: str | None
    account: object = None
    nested: int = 0
    fault_metric: str | None = None
    token: Token | None = None


@dataclass
class Item:
    status: int = 200
    body: object = None  # dict/list, or a raw str (malformed)
    headers: dict = field(default_factory=dict)
    account: str | None = None
    counted: int = 1
    error_code: int | None = None
    null: bool = False
    reset: bool = False
    hang: bool = False


def _epoch_param(value) -> float:
    if isinstance(value, int | float):
        return float(value)
    s = str(value)
    if s.lstrip("-").replace(".", "", 1).isdigit():
        return float(s)
    dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


class Simulator:
    def __init__(self, config):
        self.config = config
        app_id = config.app_id or os.environ.get("IG_APP_ID")
        secret = config.app_secret or os.environ.get("IG_APP_SECRET")
        if not app_id or not secret:
            from ig_pipeline.config import DEMO_APP_ID, DEMO_APP_SECRET
            app_id, secret = app_id or DEMO_APP_ID, secret or DEMO_APP_SECRET
        self.app_id, self.app_secret = str(app_id), str(secret)
        start = None
        if config.start is not None:
            start = config.start.timestamp() if isinstance(config.start, datetime) else _epoch_param(config.start)
        self.clock = Clock(start, config.frozen)
        self.world = World(config.seed, config.accounts, self.clock.now(), config.media_per_account)
        self.codec = TokenCodec(config.seed, self.app_secret)
        self.rng = random.Random(config.seed)
        self.faults: dict[str, dict] = {}
        self.fault_seq = 0
        self.requests: deque = deque(maxlen=REQUEST_LOG_MAX)
        self.request_seq = 0
        self.round_trips = 0
        self.counted_calls = 0
        self.buc = BucMeter(self)
        self.app_calls: dict[int, int] = {}
        self.codes: dict[str, dict] = {}
        self.revoked: dict[str, float] = {}
        self.delivered: set[str] = set()
        self.trace_seq = 0
        env_redirect = os.environ.get("IG_REDIRECT_URI")
        self.redirect_uris = list(config.redirect_uris or ([env_redirect] if env_redirect else []))

    # --- helpers ---------------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def trace(self) -> str:
        self.trace_seq += 1
        return hashlib.blake2b(f"{self.config.seed}|{self.trace_seq}".encode(), digest_size=9).hexdigest()[:23]

    def app_token(self) -> str:
        return f"{self.app_id}|{self.app_secret}"

    def mint_user(self, fb_user_id: str, *, long: bool = True, expires_in: int | None = None,
                  scopes: tuple[str, ...] | None = None) -> tuple[str, int]:
        now = int(self.now())
        life = expires_in if expires_in is not None else (LONG_S if long else SHORT_S)
        return self.codec.mint("user", fb_user_id=fb_user_id, issued=now, expires=now + life, long=long,
                               scopes=scopes), life

    def page_token(self, user: Token, page_id: str) -> str:
        expires = 0 if user.long else user.expires
        return self.codec.mint("page", fb_user_id=user.fb_user_id, page_id=page_id, issued=user.issued,
                               expires=expires, long=user.long, scopes=user.scopes)

    # --- rate limit ------------------------------------------------------------------------------
    def count_app_call(self, now: float) -> None:
        """Every Graph call also counts toward the app's hourly Platform usage (``X-App-Usage``)."""
        hour = int(now // 3600)
        self.app_calls[hour] = self.app_calls.get(hour, 0) + 1
        if len(self.app_calls) > 48:
            for old in sorted(self.app_calls)[:-48]:
                del self.app_calls[old]

    def app_usage_header(self, now: float) -> str:
        hour = int(now // 3600)
        calls = self.app_calls.get(hour, 0)
        pct = min(100, int(calls * 100 / (200 * max(1, len(self.world.accounts)))))
        return json.dumps({"call_count": pct, "total_cputime": pct // 2, "total_time": pct // 2},
                          separators=(",", ":"))

    # --- faults ----------------------------------------------------------------------------------
    def match_fault(self, account: str | None, path: str, in_batch: bool, has_metric: bool) -> dict | None:
        for f in list(self.faults.values()):
            if f["account"] and f["account"] != account:
                continue
            if f["path"] and f["path"] not in path:
                continue
            if f["kind"] == "batch_null" and not in_batch:
                continue
            if f["kind"] == "unsupported_metric" and not has_metric:
                continue
            if f["count"] is not None and f["count"] <= 0:
                continue
            if f["rate"] < 1 and self.rng.random() >= f["rate"]:
                continue
            if f["count"] is not None:
                f["count"] -= 1
            f["hits"] += 1
            return f
        return None

    # --- request log -----------------------------------------------------------------------------
    def record(self, entry: dict) -> None:
        self.request_seq += 1
        entry["id"] = self.request_seq
        self.round_trips += 1
        self.counted_calls += entry.get("counted_calls", 0)
        self.requests.append(entry)


REDACT = {"access_token", "client_secret", "fb_exchange_token", "input_token", "appsecret_proof", "code"}


def redact(params: dict) -> dict:
    return {k: ("[redacted]" if k in REDACT else v) for k, v in params.items()}


FAULT_ERRORS = {
    "transient_1": lambda: GraphError(1, "An unknown error has occurred.", transient=True),
    "transient_2": lambda: GraphError(2, "An unexpected error has occurred. Please retry your request later.",
                                      transient=True),
    "rate_limit_4": lambda: GraphError(4, "(#4) Application request limit reached", status=403, transient=True),
    "rate_limit_17": lambda: GraphError(17, "(#17) User request limit reached", transient=True),
    "rate_limit_32": lambda: GraphError(32, "(#32) Page request limit reached", transient=True),
    "rate_limit_613": lambda: GraphError(613, "(#613) Calls to this api have exceeded the rate limit.",
                                         transient=True),
    "token_expired": lambda: GraphError(190, "Error validating access token: Session has expired on Monday, "
                                             "01-Jan-24 00:00:00 PST. The current time is later.", 463),
    "token_password_changed": lambda: GraphError(
        190, "Error validating access token: The session has been invalidated because the user changed their "
             "password or Facebook has changed the session for security reasons.", 460),
    "token_revoked": lambda: GraphError(190, "Error validating access token: The user has not authorized "
                                             "application or the session was invalidated.", 467),
    "permission_10": lambda: GraphError(10, "(#10) Application does not have permission for this action"),
    "permission_200": lambda: GraphError(200, "(#200) Requires instagram_manage_insights permission to manage "
                                              "the object"),
}


def buc_error(eta: int) -> GraphError:
    return GraphError(80002, "(#80002) There have been too many calls to this Instagram account. Wait a bit and "
                             "try again. For more info, please refer to "
                             "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
                      transient=True, eta_minutes=eta)


def _fmt_expiry(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, PT).strftime("%A, %d-%b-%y %H:%M:%S %Z")


class Graph:
    """Per-request dispatcher over a Simulator."""

    def __init__(self, sim: Simulator):
        self.sim = sim
        self.world = sim.world

    # --- auth ------------------------------------------------------------------------------------
    def auth(self, ctx: Ctx) -> Token:
        raw = ctx.token_raw
        if not raw:
            raise GraphError(104, "An access token is required to request this resource.")
        tok = self.sim.codec.parse(raw)
        if tok is None:
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
        now = ctx.now
        if tok.expires and now > tok.expires:
            raise GraphError(190, f"Error validating access token: Session has expired on "
                                  f"{_fmt_expiry(tok.expires)}. The current time is {_fmt_expiry(now)}.", 463)
        for subject in (tok.fb_user_id, tok.ig_user_id):
            if subject and self.sim.revoked.get(subject, -1) >= tok.issued:
                raise GraphError(190, "Error validating access token: The user has not authorized application "
                                      f"{self.sim.app_id}.", 467)
        if tok.kind != "page" and now > tok.issued + DATA_ACCESS_S:
            raise GraphError(190, "Error validating access token: Data access has expired for this user.", 463)
        if self.sim.config.require_appsecret_proof:
            self.check_proof(ctx, raw)
        ctx.token = tok
        return tok

    def check_proof(self, ctx: Ctx, raw: str) -> None:
        proof, t = ctx.params.get("appsecret_proof"), ctx.params.get("appsecret_time")
        if not proof:
            raise param_error("API calls from the server require an appsecret_proof argument")
        key = self.sim.app_secret.encode()
        if t:
            good = hmac.new(key, f"{raw}|{t}".encode(), hashlib.sha256).hexdigest()
            try:
                fresh = abs(_time.time() - int(t)) <= 300
            except ValueError:
                fresh = False
            if not fresh or not hmac.compare_digest(good, proof):
                raise param_error("Invalid appsecret_proof provided in the API argument")
        else:
            good = hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(good, proof):
                raise param_error("Invalid appsecret_proof provided in the API argument")

    def can_see(self, tok: Token, account) -> bool:
        if self.sim.revoked.get(account.id, -1) >= tok.issued:
            raise GraphError(190, "Error validating access token: The user has not authorized application "
                                  f"{self.sim.app_id}.", 467)
        if tok.kind == "ig":
            return tok.ig_user_id == account.id
        if tok.kind == "page":
            return tok.page_id == account.page_id
        return tok.fb_user_id == account.fb_user_id

    # --- resolution ------------------------------------------------------------------------------
    def resolve_account(self, segs: list[str], token_raw: str | None, now: float) -> str | None:
        if segs:
            first = segs[0]
            if first in self.world.by_id:
                return first
            if first.startswith(("179", "180")) and len(first) == 16 and first.isdigit():
                idx = int(first[3:8])
                if idx < len(self.world.accounts):
                    return self.world.accounts[idx].id
            page = self.world.pages.get(first)
            if page is not None:
                return page.ig_id
        if segs and segs[0] == "me" and token_raw:
            tok = self.sim.codec.parse(token_raw)
            if tok is not None:
                if tok.ig_user_id:
                    return tok.ig_user_id
                if tok.page_id:
                    return self.world.pages[tok.page_id].ig_id if tok.page_id in self.world.pages else None
        return None

    # --- dispatch --------------------------------------------------------------------------------
    async def dispatch(self, ctx: Ctx, method: str, segs: list[str]) -> dict:
        p = ctx.params
        if segs == ["oauth", "access_token"]:
            return self.oauth_access_token(ctx)
        if segs == ["access_token"]:
            return self.ig_exchange(ctx)
        if segs == ["refresh_access_token"]:
            return self.ig_refresh(ctx)
        if segs == ["debug_token"]:
            return self.debug_token(ctx)
        if not segs:
            raise GraphError(100, "(#100) Missing batch or node id", status=400)
        tok = self.auth(ctx)
        if method not in ("GET",):
            raise unsupported_get(segs[0], "post" if method == "POST" else method.lower())
        fields = parse_fields(p.get("fields"))
        first = segs[0]
        if first == "me":
            if len(segs) == 1:
                return self.me(ctx, tok, fields)
            if segs[1:] == ["accounts"] and tok.fb_user_id and tok.kind == "user":
                return self.accounts(ctx, tok, fields)
            if segs[1:] in (["media"], ["stories"], ["insights"]) and tok.ig_user_id:
                require_basic(tok)
                return await self.ig_edge(ctx, tok, self.world.by_id[tok.ig_user_id], segs[1], fields)
            raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
        if first in self.world.by_id:
            account = self.world.by_id[first]
            if not self.can_see(tok, account):
                raise unsupported_get(first)
            require_basic(tok)
            if len(segs) == 1:
                return self.ig_node(ctx, account, fields)
            if len(segs) == 2 and segs[1] in ("media", "stories", "insights"):
                return await self.ig_edge(ctx, tok, account, segs[1], fields)
            raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
        if first in self.world.pages:
            page = self.world.pages[first]
            if not (tok.fb_user_id == page.fb_user_id and tok.kind in ("user", "page")) or (
                    tok.kind == "page" and tok.page_id != page.id):
                raise unsupported_get(first)
            if len(segs) == 1:
                return self.page_node(ctx, tok, page, fields)
            raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
        if first in self.world.fb_by_id:
            user = self.world.fb_by_id[first]
            if tok.fb_user_id != user.id or tok.kind != "user":
                raise unsupported_get(first)
            if len(segs) == 1:
                return self.me(ctx, tok, fields)
            if segs[1:] == ["accounts"]:
                return self.accounts(ctx, tok, fields)
            raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
        media = self.world.find_media(first, ctx.now)
        if media is not None and self.can_see(tok, media.account):
            require_basic(tok)
            view = MediaView(self.sim, ctx)
            if len(segs) == 1:
                return view.fields(media, fields)
            if segs[1:] == ["insights"]:
                return {"data": view.insights(media, _metrics(p), p.get("breakdown"))}
            if segs[1:] == ["children"]:
                kids = [self.world.child_at(media, c) for c in range(1, media.children + 1)]
                return {"data": [view.fields(k, fields) for k in kids]}
            raise GraphError(2500, f"Unknown path components: /{'/'.join(segs[1:])}")
        raise unsupported_get(first)

    def me(self, ctx: Ctx, tok: Token, fields) -> dict:
        names = [s.name for s in fields] if fields else None
        if tok.kind == "ig":
            require_basic(tok)
            a = self.world.by_id[tok.ig_user_id]
            node = self.ig_node(ctx, a, [Sel(n, {}, None) for n in (names or ["id", "username"])
                                         if n not in ("user_id",)], me=True)
            if names and "user_id" in names:
                node["user_id"] = a.id
            return node
        if tok.kind == "page":
            return self.page_node(ctx, tok, self.world.pages[tok.page_id], fields)
        user = self.world.fb_by_id.get(tok.fb_user_id)
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

    def page_dict(self, ctx: Ctx, tok: Token, page, names) -> dict:
        out = {}
        for n in names:
            if n == "id":
                out["id"] = page.id
            elif n == "name":
                out["name"] = page.name
            elif n == "access_token":
                if tok.kind == "user":
                    out["access_token"] = self.sim.page_token(tok, page.id)
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

    def page_node(self, ctx, tok, page, fields) -> dict:
        names = [s.name for s in fields] if fields else ["name", "id"]
        out = self.page_dict(ctx, tok, page, names)
        out.setdefault("id", page.id)
        return out

    def accounts(self, ctx: Ctx, tok: Token, fields) -> dict:
        user = self.world.fb_by_id[tok.fb_user_id]
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
        out = {"data": [self.page_dict(ctx, tok, pg, names) for pg in pages]}
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
                 "is_published", "media", "stories", "business_discovery", "user_id"}

    def ig_node(self, ctx: Ctx, a, fields, me: bool = False) -> dict:
        out = {}
        w, now = self.world, ctx.now
        for sel in fields or [Sel("id", {}, None)]:
            n = sel.name
            if n not in self.IG_FIELDS or (n == "user_id" and not me):
                raise param_error(f"Tried accessing nonexisting field ({n}) on node type (IGUser)")
            if n == "id":
                out["id"] = a.id
            elif n == "user_id":
                out["user_id"] = a.id
            elif n == "ig_id":
                out["ig_id"] = int(h64(w.seed, "igu", a.id) % 10 ** 10)
            elif n == "username":
                out["username"] = a.username
            elif n == "name":
                out["name"] = a.name
            elif n == "biography":
                out["biography"] = f"{a.name} — official account"
            elif n == "website":
                if a.website:
                    out["website"] = a.website
            elif n == "profile_picture_url":
                out[n] = cdn_url(w.seed, a.id, now, "jpg")
            elif n == "followers_count":
                out[n] = w.followers_now(a, now)
            elif n == "follows_count":
                out[n] = a.follows_count
            elif n == "media_count":
                out[n] = w.media_count(a, now)
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
                body = self.media_list(sub, a, sel.sub, stories=(n == "stories"))
                ctx.nested += sub.nested
                out[n] = body
            elif n == "business_discovery":
                out[n] = self.business_discovery(ctx, sel)
        if "id" not in out:
            out["id"] = a.id
        return out

    def business_discovery(self, ctx: Ctx, sel: Sel) -> dict:
        username = sel.mods.get("username")
        target = next((a for a in self.world.accounts if a.username == username), None)
        if target is None:
            raise GraphError(110, "(#110) Invalid user id")
        allowed = {"id", "username", "name", "biography", "website", "profile_picture_url", "followers_count",
                   "follows_count", "media_count", "media"}
        subs = sel.sub or [Sel("id", {}, None)]
        for s in subs:
            if s.name not in allowed:
                raise param_error(f"Tried accessing nonexisting field ({s.name}) on node type (IGUser)")
        out = self.ig_node(ctx, target, [s for s in subs if s.name != "media"])
        for s in subs:
            if s.name == "media":
                sub = Ctx(ctx.version, ctx.now, ctx.base, {k: v for k, v in (("limit", s.mods.get("limit")),
                                                                            ("after", s.mods.get("after"))) if v},
                          ctx.token_raw)
                inner = [x for x in (s.sub or [Sel("id", {}, None)]) if x.name != "insights"]
                out["media"] = self.media_list(sub, target, inner)
        return out

    async def ig_edge(self, ctx: Ctx, tok: Token, a, edge: str, fields) -> dict:
        if edge == "insights":
            return AccountInsights(self.sim, ctx, a).run(ctx.params)
        return self.media_list(ctx, a, fields, stories=(edge == "stories"))

    def media_list(self, ctx: Ctx, a, fields, stories: bool = False) -> dict:
        p, now, w = ctx.params, ctx.now, self.world
        limit = parse_limit(p.get("limit"))
        view = MediaView(self.sim, ctx)
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
                    paging["next"] = self._next_url(ctx, f"{a.id}/stories", paging["cursors"]["after"])
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
                if not self.sim.config.nested_insights_fail_whole_page and fields and any(
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
                paging["next"] = self._next_url(ctx, f"{a.id}/media", c_after)
            if more_newer:
                paging["previous"] = self._next_url(ctx, f"{a.id}/media", c_before, key="before")
            out["paging"] = paging
        return out

    def _next_url(self, ctx: Ctx, path: str, cursor: str, key: str = "after") -> str:
        q = {k: v for k, v in ctx.params.items() if k not in ("after", "before", "appsecret_proof", "appsecret_time")}
        q[key] = cursor
        return f"{ctx.base}/v{ctx.version}.0/{path}?{urlencode(q)}"

    # --- token endpoints -------------------------------------------------------------------------
    def _check_app(self, p: dict, need_secret: bool = True) -> None:
        if p.get("client_id") is not None and p.get("client_id") != self.sim.app_id:
            raise GraphError(101, "Error validating application. Invalid application ID.")
        if need_secret and p.get("client_secret") != self.sim.app_secret:
            raise GraphError(100, "Error validating client secret.", 36010 - 1)

    def oauth_access_token(self, ctx: Ctx) -> dict:
        p, now, sim = ctx.params, ctx.now, self.sim
        grant = p.get("grant_type")
        if grant == "fb_exchange_token":
            if not p.get("client_id"):
                raise param_error("Missing client_id parameter.")
            self._check_app(p)
            short = p.get("fb_exchange_token")
            tok = sim.codec.parse(short)
            if tok is None or tok.kind != "user":
                raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
            if tok.expires and now > tok.expires:
                raise GraphError(190, f"Error validating access token: Session has expired on "
                                      f"{_fmt_expiry(tok.expires)}. The current time is {_fmt_expiry(now)}.", 463)
            token, life = sim.mint_user(tok.fb_user_id, long=True, scopes=tok.scopes)
            return {"access_token": token, "token_type": "bearer", "expires_in": life}
        if grant == "client_credentials":
            self._check_app(p)
            return {"access_token": sim.app_token(), "token_type": "bearer"}
        if grant not in (None, "authorization_code"):
            raise param_error(f"Unsupported grant_type: {grant}")
        for name in ("client_id", "redirect_uri", "client_secret", "code"):
            if not p.get(name):
                raise param_error(f"Missing {name} parameter.")
        self._check_app(p)
        code = sim.codes.get(p["code"])
        if code is None or "fb_user_id" not in code:  # an Instagram Login code is not a Facebook one
            raise GraphError(100, "Invalid verification code format.", 36009)
        if code["used"]:
            raise GraphError(100, "This authorization code has been used.", 36009)
        if now > code["issued"] + 600:
            raise GraphError(100, "This authorization code has expired.", 36007)
        if p["redirect_uri"] != code["redirect_uri"]:
            raise GraphError(100, "Error validating verification code. Please make sure your redirect_uri is "
                                  "identical to the one you used in the OAuth dialog request", 36008)
        code["used"] = True
        token, life = sim.mint_user(code["fb_user_id"], long=False, scopes=code["granted"])
        return {"access_token": token, "token_type": "bearer", "expires_in": life}

    def ig_exchange(self, ctx: Ctx) -> dict:
        p, sim = ctx.params, self.sim
        if p.get("grant_type") != "ig_exchange_token":
            raise param_error("Unsupported grant_type, expected ig_exchange_token")
        if p.get("client_secret") != sim.app_secret:
            raise GraphError(100, "Error validating client secret.")
        tok = self.auth(ctx)
        if tok.kind != "ig":
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
        now = int(ctx.now)
        token = sim.codec.mint("ig", ig_user_id=tok.ig_user_id, issued=now, expires=now + LONG_S, long=True,
                               scopes=tok.scopes)
        return {"access_token": token, "token_type": "bearer", "expires_in": LONG_S}

    def ig_refresh(self, ctx: Ctx) -> dict:
        p, sim = ctx.params, self.sim
        if p.get("grant_type") != "ig_refresh_token":
            raise param_error("Unsupported grant_type, expected ig_refresh_token")
        tok = self.auth(ctx)
        if tok.kind != "ig" or not tok.long:
            raise param_error("Only long-lived Instagram User tokens can be refreshed")
        if ctx.now - tok.issued < DAY:
            raise param_error("The access token can only be refreshed after it is at least 24 hours old")
        now = int(ctx.now)
        token = sim.codec.mint("ig", ig_user_id=tok.ig_user_id, issued=now, expires=now + LONG_S, long=True,
                               scopes=tok.scopes)
        return {"access_token": token, "token_type": "bearer", "expires_in": LONG_S}

    def debug_token(self, ctx: Ctx) -> dict:
        p, sim = ctx.params, self.sim
        if ctx.token_raw != sim.app_token():
            tok = sim.codec.parse(ctx.token_raw)
            if tok is None:
                raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
        raw = p.get("input_token")
        if not raw:
            raise param_error("The parameter input_token is required")
        tok = sim.codec.parse(raw)
        base = {"app_id": sim.app_id, "application": "IG Pipeline Simulator"}
        if tok is None:
            return {"data": {**base, "error": {"code": 190, "message": "Invalid OAuth access token - Cannot parse "
                                                                       "access token"},
                             "is_valid": False, "scopes": []}}
        probe = Ctx(ctx.version, ctx.now, ctx.base, {}, raw)
        err = None
        try:
            saved = sim.config.require_appsecret_proof
            sim.config.require_appsecret_proof = False
            try:
                self.auth(probe)
            finally:
                sim.config.require_appsecret_proof = saved
        except GraphError as e:
            err = e
        ig_ids, page_ids = self._targets(tok)
        kind = {"user": "USER", "page": "PAGE", "ig": "USER"}[tok.kind]
        scopes = list(tok.granted())
        data = {**base, "type": kind, "data_access_expires_at": tok.issued + DATA_ACCESS_S,
                "expires_at": tok.expires, "is_valid": err is None, "issued_at": tok.issued, "scopes": scopes,
                "granular_scopes": [{"scope": s, "target_ids": ig_ids if s.startswith("instagram") else page_ids}
                                    for s in scopes], "user_id": tok.ig_user_id if tok.kind == "ig" else tok.fb_user_id}
        if tok.kind == "page":
            data["profile_id"] = tok.page_id
        if err is not None:
            data["error"] = {"code": err.code, "message": err.message, "subcode": err.subcode}
        return {"data": data}

    def _targets(self, tok: Token) -> tuple[list[str], list[str]]:
        if tok.kind == "ig":
            return [tok.ig_user_id], []
        user = self.world.fb_by_id.get(tok.fb_user_id)
        pages = [pg for pg in (user.pages if user else []) if tok.kind == "user" or pg.id == tok.page_id]
        return [pg.ig_id for pg in pages if pg.ig_id], [pg.id for pg in pages]


def _metrics(params: dict) -> list[str]:
    return split_list(params.get("metric"))


# --- HTTP layer -------------------------------------------------------------------------------------

def parse_version(segs: list[str]) -> tuple[int | None, list[str], str | None]:
    """(major, remaining segments, bad version string)."""
    if segs and segs[0][:1] == "v" and segs[0][1:2].isdigit():
        raw = segs[0]
        try:
            major, minor = raw[1:].split(".")
            major_i = int(major)
            if minor != "0" or major_i not in VERSIONS:
                raise ValueError
        except ValueError:
            return None, segs[1:], raw
        return major_i, segs[1:], None
    return DEFAULT_VERSION, segs, None


async def run_item(sim: Simulator, graph: Graph, method: str, version: int, segs: list[str], params: dict,
                   token_raw: str | None, base: str, *, in_batch: bool, path: str) -> Item:
    now = sim.now()
    item = Item()
    ctx = Ctx(version, now, base, params, token_raw)
    account = None
    try:
        account = graph.resolve_account(segs, token_raw, now)
        item.account = account
        has_metric = bool(params.get("metric")) or "insights.metric(" in params.get("fields", "")
        fault = sim.match_fault(account, path, in_batch, has_metric) if sim.faults else None
        if fault is not None:
            kind = fault["kind"]
            if kind == "hang":
                item.hang = True
                try:
                    await asyncio.sleep(HANG_S)
                except asyncio.CancelledError:  # server shutting down
                    item.reset = True
                    return item
            elif kind == "reset":
                item.reset = True
            elif kind == "batch_null":
                item.null = True
                return item
            elif kind in FAULT_ERRORS:
                raise FAULT_ERRORS[kind]()
            elif kind == "rate_limit_80002":
                raise buc_error(1)
            elif kind == "unsupported_metric":
                if not fault.get("metric"):
                    names = params.get("metric") or params.get("fields", "").split("insights.metric(")[-1].split(")")[0]
                    fault["metric"] = [n for n in names.split(",") if n][-1]
                ctx.fault_metric = fault["metric"]
            elif kind in ("malformed_json", "truncated_page"):
                item.body = kind
        platform = "business_discovery" in params.get("fields", "")
        if platform:  # Business Discovery runs under Platform limits (app: 200 calls/hour per account)
            if sim.app_calls.get(int(now // 3600), 0) >= 200 * max(1, len(sim.world.accounts)):
                raise GraphError(4, "(#4) Application request limit reached", status=403, transient=True)
            account = item.account = None
            sim.app_calls[int(now // 3600)] = sim.app_calls.get(int(now // 3600), 0) + 1
        if account and sim.buc.throttled(account, now):
            raise buc_error(sim.buc.minutes_to_regain(account, now))
        body = await graph.dispatch(ctx, method, segs)
        item.counted = 1 + ctx.nested
        if item.body == "malformed_json":
            item.body = '{"data": [{"id": "1"}, oops not json'
        elif item.body == "truncated_page":
            text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
            item.body = text[:max(1, len(text) // 2)]
        else:
            item.body = body
    except GraphError as e:
        item.status, item.body, item.error_code = e.status, e.envelope(sim.trace()), e.code
        if e.eta_minutes is not None and account:
            item.headers["X-Business-Use-Case-Usage"] = sim.buc.header(account, now, e.eta_minutes)
    except Exception:  # noqa: BLE001 - never a traceback to the client
        log.exception("simulator error on %s", path)
        err = GraphError(1, "An unknown error has occurred.", transient=True)
        item.status, item.body, item.error_code = 500, err.envelope(sim.trace()), 1
    if account:
        sim.buc.add(account, now, ctx.nested)
        sim.count_app_call(now)
        item.headers.setdefault("X-Business-Use-Case-Usage", sim.buc.header(account, now))
    item.headers["X-App-Usage"] = sim.app_usage_header(now)
    return item


def _token_from(request: Request, params: dict) -> str | None:
    token = params.get("access_token")
    if token:
        return token
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") or auth.lower().startswith("oauth "):
        return auth.split(" ", 1)[1].strip()
    return None


def json_response(status: int, body, headers: dict | None = None) -> Response:
    if isinstance(body, str):
        content = body.encode()
    else:
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content, status_code=status, headers=headers,
                    media_type="application/json; charset=UTF-8")


class ResetCatcher:
    """Swallows ResetConnection so uvicorn drops the half-sent response (the client sees a broken read)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        try:
            await self.app(scope, receive, send)
        except ResetConnection:
            return


class ResetResponse(Response):
    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"data":[', "more_body": True})
        raise ResetConnection()


def create_app(config) -> Starlette:
    sim = Simulator(config)
    graph = Graph(sim)
    from ig_pipeline.simulator import admin, dialog, ratelimit

    async def graph_endpoint(request: Request) -> Response:
        now = sim.now()
        path = request.url.path
        segs = [s for s in path.split("/") if s]
        params = dict(request.query_params)
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            try:
                if ctype.startswith("multipart/"):
                    form = await request.form()
                    params.update({k: v for k, v in form.items() if isinstance(v, str)})
                else:
                    raw = (await request.body()).decode("utf-8", "replace")
                    if ctype.startswith("application/json"):
                        body = json.loads(raw or "{}")
                        if isinstance(body, dict):
                            params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
                    else:
                        params.update(dict(parse_qsl(raw, keep_blank_values=True)))
            except Exception:  # noqa: BLE001 - a body we cannot read is treated as empty
                pass
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        version, rest, bad = parse_version(segs)
        base = str(request.base_url).rstrip("/")
        if bad is not None:
            err = GraphError(12, f"(#12) Unsupported version {bad}. Supported versions: "
                                 f"{', '.join(f'v{v}.0' for v in VERSIONS)}")
            sim.record({"at": iso(now), "method": request.method, "path": path, "params": redact(params),
                        "account": None, "counted_calls": 1, "status": 400, "error_code": 12})
            return json_response(400, err.envelope(sim.trace()))
        if rest == ["dialog", "oauth"]:
            return await dialog.handle(sim, request, version, params)
        if rest == ["oauth", "authorize"]:
            return await dialog.handle_ig_authorize(sim, request, params)
        if rest == ["oauth", "access_token"] and request.method == "POST" and \
                params.get("grant_type") == "authorization_code":
            fault = sim.match_fault(None, path, False, False) if sim.faults else None
            if fault is not None and fault["kind"] in FAULT_ERRORS:  # an outage hits this host too
                err = FAULT_ERRORS[fault["kind"]]()
                status, body = err.status, err.envelope(sim.trace())
            else:
                status, body = dialog.ig_code_exchange(sim, params)
            sim.record({"at": iso(now), "method": "POST", "path": path, "params": redact(params), "account": None,
                        "counted_calls": 1, "status": status, "error_code": (body.get("code") or
                                                                               body.get("error", {}).get("code"))
                        if status != 200 else None})
            return json_response(status, body)
        token_raw = _token_from(request, params)
        if request.method == "POST" and "batch" in params:
            return await batch(request, version, params, token_raw, base, path, now)
        item = await run_item(sim, graph, request.method, version, rest, params, token_raw, base,
                              in_batch=False, path=path)
        sim.record({"at": iso(now), "method": request.method, "path": path, "params": redact(params),
                    "account": item.account, "counted_calls": item.counted, "status": item.status,
                    "error_code": item.error_code})
        if item.reset:
            return ResetResponse()
        return json_response(item.status, item.body, item.headers)

    async def batch(request, version, params, token_raw, base, path, now) -> Response:
        try:
            ops = json.loads(params["batch"])
        except (ValueError, TypeError):
            ops = None
        error = None
        if not isinstance(ops, list):
            error = param_error("The parameter batch must be a JSON-encoded array")
        elif not ops:
            error = param_error("The parameter batch must contain at least one request")
        elif len(ops) > 50:
            error = GraphError(1, "Too many requests in batch message. Maximum batch size is 50", status=400)
        if error is None and token_raw is None and not any(
                isinstance(o, dict) and "access_token" in str(o.get("relative_url", "")) for o in ops):
            error = GraphError(104, "An access token is required to request this resource.")
        if error is not None:
            sim.record({"at": iso(now), "method": "POST", "path": path, "params": redact(params), "account": None,
                        "counted_calls": 1, "status": error.status, "error_code": error.code})
            return json_response(error.status, error.envelope(sim.trace()))
        include_headers = str(params.get("include_headers", "true")).lower() != "false"
        results, logged, total, reset, accounts = [], [], 0, False, {}
        for op in ops:
            if not isinstance(op, dict) or not isinstance(op.get("relative_url"), str):
                err = param_error("Each batch operation must be an object with a relative_url")
                results.append({"code": 400, **({"headers": []} if include_headers else {}),
                                "body": json.dumps(err.envelope(sim.trace()))})
                total += 1
                logged.append({"path": None, "status": 400, "error_code": 100, "account": None, "counted_calls": 1})
                continue
            method = str(op.get("method", "GET")).upper()
            split = urlsplit(op["relative_url"].lstrip("/"))
            item_params = dict(parse_qsl(split.query, keep_blank_values=True))
            if isinstance(op.get("body"), str):
                item_params.update(dict(parse_qsl(op["body"], keep_blank_values=True)))
            segs = [s for s in split.path.split("/") if s]
            item_version, rest, bad = parse_version(segs)
            if not segs or not segs[0].startswith("v"):
                item_version, rest = version, segs
            item_token = item_params.get("access_token") or token_raw
            if "appsecret_proof" not in item_params and "appsecret_proof" in params:
                item_params["appsecret_proof"] = params["appsecret_proof"]
                if "appsecret_time" in params:
                    item_params["appsecret_time"] = params["appsecret_time"]
            item_path = f"/v{item_version}.0/{'/'.join(rest)}"
            if bad is not None:
                err = GraphError(12, f"(#12) Unsupported version {bad}")
                item = Item(400, err.envelope(sim.trace()), {}, None, 1, 12)
            else:
                item = await run_item(sim, graph, method, item_version, rest, item_params, item_token, base,
                                      in_batch=True, path=item_path)
            total += item.counted
            reset = reset or item.reset
            logged.append({"path": item_path, "params": redact(item_params), "account": item.account,
                           "counted_calls": item.counted, "status": None if item.null else item.status,
                           "error_code": item.error_code})
            if item.null:
                results.append(None)
                continue
            if item.account and "X-Business-Use-Case-Usage" in item.headers:
                accounts.update(json.loads(item.headers["X-Business-Use-Case-Usage"]))
            body = item.body if isinstance(item.body, str) else json.dumps(item.body, separators=(",", ":"),
                                                                          ensure_ascii=False)
            entry = {"code": item.status}
            if include_headers:
                entry["headers"] = [{"name": "Content-Type", "value": "application/json; charset=UTF-8"}] + [
                    {"name": k, "value": v} for k, v in item.headers.items()]
            entry["body"] = body
            results.append(entry)
        first = next((entry["account"] for entry in logged if entry.get("account")), None)
        sim.record({"at": iso(now), "method": "POST", "path": path, "params": redact(
            {k: v for k, v in params.items() if k != "batch"}), "account": first, "counted_calls": total,
            "status": 200, "error_code": None, "batch": logged})
        if reset:
            return ResetResponse()
        headers = {"X-App-Usage": sim.app_usage_header(now)}
        if accounts:
            headers["X-Business-Use-Case-Usage"] = json.dumps(dict(list(accounts.items())[:32]),
                                                              separators=(",", ":"))
        return json_response(200, results, headers)

    routes = admin.routes(sim, graph) + ratelimit.routes(sim) + [
        Route("/{path:path}", graph_endpoint, methods=["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]),
    ]

    async def on_error(request, exc):
        err = GraphError(1, "An unknown error has occurred.", transient=True)
        return json_response(500, err.envelope(sim.trace()))

    app = Starlette(routes=routes, exception_handlers={Exception: on_error},
                    middleware=[Middleware(ResetCatcher)])
    app.state.sim = sim
    return app
