"""Per-account rate-limit governor (docs/graph-client.md, "Rate limits").

Instagram limits are Business Use Case (BUC) budgets per app + IG account, reported after
responses in ``X-Business-Use-Case-Usage`` (keyed by business object id, each key a list of
usage dicts) and, for the app as a whole, in ``X-App-Usage``. The governor keeps the latest
usage per account (and for the app), and before every call says how long to wait:

- under ``slow_at`` % (75): no wait;
- from ``slow_at`` to ``pause_at`` % (95): a delay growing linearly to ``pause_s``;
- from ``pause_at`` %: a pause of ``pause_s``;
- after a rate-limit error: no calls to that account until the announced
  ``estimated_time_to_regain_access`` (minutes) has passed. A wait longer than ``max_wait_s``
  is not slept: the call fails RATE_LIMITED with ``retry_after_s``, so the run finishes the
  other accounts and the scheduler comes back later instead of blocking for an hour.

A missing header means "unknown", not zero; usage older than ``stale_after_s`` is forgotten.
State is per account, so a throttled account never delays the others (only app-wide usage,
which is shared by definition, slows everyone).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from ig_pipeline.graph.errors import ErrorClass, GraphError

APP = "__app__"  # the key of app-wide usage and blocks


@dataclass
class _State:
    usage: float = 0.0  # percent, max over call_count / total_cputime / total_time
    seen_at: float = float("-inf")
    blocked_until: float = float("-inf")


def parse_usage(headers: Mapping[str, str]) -> tuple[float | None, float | None, float | None]:
    """(BUC usage %, minutes to regain access, app usage %) from response headers; None = unknown.
    Every key and every entry of the BUC header counts: which key Instagram uses is unverified."""
    buc, app = headers.get("x-business-use-case-usage"), headers.get("x-app-usage")
    return _parse_usage(buc if isinstance(buc, str) else None, app if isinstance(app, str) else None)


@functools.lru_cache(maxsize=4096)
def _parse_usage(buc_header: str | None, app_header: str | None) -> tuple[float | None, float | None, float | None]:
    """Cached by the headers' text: every item of a batch repeats its account's usage (this parse was
    ~6 % of a daily sync's CPU before the cache)."""
    buc = _json(buc_header)
    buc_usage = regain = None
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                if not isinstance(entry, dict):
                    continue
                buc_usage = max(buc_usage or 0.0, _peak(entry))
                minutes = _number(entry.get("estimated_time_to_regain_access"))
                if minutes is not None:
                    regain = max(regain or 0.0, minutes)
    app = _json(app_header)
    app_usage = _peak(app) if isinstance(app, dict) else None
    return buc_usage, regain, app_usage


def _json(raw: str | None):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _peak(entry: dict) -> float:
    return max((_number(entry.get(k)) or 0.0) for k in ("call_count", "total_cputime", "total_time"))


class Governor:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable] | None = None, max_wait_s: float = 60.0,
                 slow_at: float = 75.0, pause_at: float = 95.0, pause_s: float = 30.0,
                 stale_after_s: float = 600.0, default_block_s: float = 60.0):
        self._clock, self._sleep = clock, sleep
        self.max_wait_s, self.slow_at, self.pause_at, self.pause_s = max_wait_s, slow_at, pause_at, pause_s
        self.stale_after_s, self.default_block_s = stale_after_s, default_block_s
        self._states: dict[str, _State] = {}

    def _state(self, key: str) -> _State:
        return self._states.setdefault(key, _State())

    def usage(self, key: str) -> float:
        """Known usage % for an account (app-wide usage included); 0 when unknown or stale."""
        now = self._clock()
        return max((s.usage for s in (self._state(key), self._state(APP)) if now - s.seen_at <= self.stale_after_s),
                   default=0.0)

    def delay_for(self, usage: float) -> float:
        """Seconds to wait before the next call at this usage %."""
        if usage < self.slow_at:
            return 0.0
        if usage >= self.pause_at:
            return self.pause_s
        return self.pause_s * (usage - self.slow_at) / (self.pause_at - self.slow_at)

    def wait_before_call(self, key: str) -> float:
        """Seconds to wait before calling for ``key``; raises RATE_LIMITED when that exceeds max_wait_s."""
        now = self._clock()
        blocked_until = max(self._state(key).blocked_until, self._state(APP).blocked_until)
        block = max(0.0, blocked_until - now)
        if block > self.max_wait_s:
            raise GraphError(ErrorClass.RATE_LIMITED,
                             f"rate limited: the API asked to wait {block:.0f} s before calling this account again",
                             retry_after_s=block)
        return max(block, self.delay_for(self.usage(key)))

    async def before_call(self, key: str) -> None:
        wait = self.wait_before_call(key)
        if wait > 0 and self._sleep is not None:
            await self._sleep(wait)

    def observe(self, key: str, headers: Mapping[str, str]) -> None:
        """Record usage from a response's headers (header names lower-case)."""
        buc, regain, app = parse_usage(headers)
        now = self._clock()
        if buc is not None:
            state = self._state(key)
            state.usage, state.seen_at = buc, now
        if regain:
            self.block(key, regain * 60)
        if app is not None:
            state = self._state(APP)
            state.usage, state.seen_at = app, now

    def blocked_for(self, key: str) -> float:
        """Seconds left on a block of ``key`` (0 when not blocked)."""
        return max(0.0, self._state(key).blocked_until - self._clock())

    def block(self, key: str, seconds: float | None) -> float:
        """Stop calling ``key`` for ``seconds`` (default_block_s when unknown); returns the block length."""
        seconds = seconds if seconds and seconds > 0 else self.default_block_s
        state = self._state(key)
        state.blocked_until = max(state.blocked_until, self._clock() + seconds)
        return state.blocked_until - self._clock()
