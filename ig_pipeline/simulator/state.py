"""The simulator's state: the virtual clock, the world, tokens, faults, the request log and the app's
hourly Platform usage."""

from __future__ import annotations

import hashlib
import json
import os
import random
import time as _time
from collections import deque
from datetime import UTC, datetime

from ig_pipeline.simulator.public import PublicPopulation, hashtag_id
from ig_pipeline.simulator.ratelimit import BucMeter
from ig_pipeline.simulator.talk import Talk
from ig_pipeline.simulator.tokens import LONG_S, SHORT_S, Token, TokenCodec
from ig_pipeline.simulator.world import World

REQUEST_LOG_MAX = 20000


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


def epoch_param(value) -> float:
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
            start = config.start.timestamp() if isinstance(config.start, datetime) else epoch_param(config.start)
        self.clock = Clock(start, config.frozen)
        self.world = World(config.seed, config.accounts, self.clock.now(), config.media_per_account)
        self.public = PublicPopulation(self.world)
        self.talk = Talk(self.world, self.public)
        self.hashtag_searches: dict[str, dict[str, float]] = {}  # IG user -> hashtag id -> first query time
        self.hashtag_names = {hashtag_id(n): n for n in self.public.vocabulary()}  # ids are global and static
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
        self.webhook_deliveries: dict[str, dict] = {}  # story id -> its story_insights webhook, once sent
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
        """A Platform-limited call (Business Discovery, hashtag search) counts toward the app's hourly usage
        (``X-App-Usage``); Instagram calls under Business Use Case limits do not."""
        hour = int(now // 3600)
        self.app_calls[hour] = self.app_calls.get(hour, 0) + 1
        if len(self.app_calls) > 48:
            for old in sorted(self.app_calls)[:-48]:
                del self.app_calls[old]

    def platform_capacity(self) -> int:
        """The app's hourly Platform budget: calls per user (200 by default) × the app's users."""
        return max(1, int(self.config.platform_calls_per_user_hour)) * max(1, len(self.world.accounts))

    def app_usage_header(self, now: float) -> str:
        hour = int(now // 3600)
        calls = self.app_calls.get(hour, 0)
        pct = min(100, int(calls * 100 / self.platform_capacity()))
        return json.dumps({"call_count": pct, "total_cputime": pct // 2, "total_time": pct // 2},
                          separators=(",", ":"))

    # --- request log -----------------------------------------------------------------------------
    def record(self, entry: dict) -> None:
        self.request_seq += 1
        entry["id"] = self.request_seq
        self.round_trips += 1
        self.counted_calls += entry.get("counted_calls", 0)
        self.requests.append(entry)
