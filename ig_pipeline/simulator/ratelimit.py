"""Instagram Business Use Case (BUC) rate limiting, as Meta's "Rate Limits" page describes it
(https://developers.facebook.com/docs/graph-api/overview/rate-limiting/):

- calls within a rolling 24 h per (app, Instagram professional account) = 4800 × the account's
  impressions (times its content entered someone's screen in the last 24 h), so a dormant account
  gets a small budget and a busy one a large budget;
- every call counts once, a batch counts each of its items; CPU time and total time are metered
  alongside and the account is throttled when any of the three reaches 100 %;
- ``X-Business-Use-Case-Usage`` reports the three as integer percentages, keyed by the IG account id
  with ``type: instagram``, plus ``estimated_time_to_regain_access`` in minutes;
- a throttled account gets code 80002 until enough of the window has passed.

The simulator app has one app, so the (app, account) pair is the account. Usage is kept in hourly
buckets of virtual time. CPU and total time are not documented as numbers; the simulator charges a
call one unit of each plus 1/25 of a unit per media whose insights a listing computed (a listing of
25 media with nested insights costs two units), so for ordinary calls the three percentages agree.
"""

from __future__ import annotations

import json
import math

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

NESTED_COST = 1 / 25
WINDOW_HOURS = 24


class BucMeter:
    def __init__(self, sim):
        self.sim = sim
        self.usage: dict[str, dict[int, list[float]]] = {}  # ig id -> hour -> [calls, cpu units]
        self._impressions: dict[tuple[str, int], int] = {}  # (ig id, hour) -> impressions in 24 h

    def calls_per_impression(self) -> float:
        return float(self.sim.config.buc_calls_per_impression or 0)

    def impressions(self, ig: str, now: float) -> int:
        key = (ig, int(now // 3600))
        if key not in self._impressions:
            if len(self._impressions) > 50000:
                self._impressions.clear()
            self._impressions[key] = self.sim.world.impressions_24h(self.sim.world.by_id[ig], now)
        return self._impressions[key]

    def limit(self, ig: str, now: float) -> int:
        """Calls allowed in 24 h (0 = unlimited); an account with no impressions still gets one's worth."""
        per = self.calls_per_impression()
        if per <= 0:
            return 0
        return max(1, math.floor(per * max(1, self.impressions(ig, now)) + 1e-9))

    def totals(self, ig: str, now: float) -> tuple[int, float]:
        buckets = self.usage.get(ig)
        if not buckets:
            return 0, 0.0
        hour = int(now // 3600)
        for old in [h for h in buckets if h <= hour - WINDOW_HOURS or h > hour]:
            del buckets[old]
        return int(sum(v[0] for v in buckets.values())), sum(v[1] for v in buckets.values())

    def percentages(self, ig: str, now: float) -> tuple[int, int, int]:
        limit = self.limit(ig, now)
        if not limit:
            return 0, 0, 0
        calls, cpu = self.totals(ig, now)
        return int(calls * 100 // limit), int(cpu * 100 // limit), int(cpu * 100 // limit)

    def throttled(self, ig: str, now: float) -> bool:
        return max(self.percentages(ig, now)) >= 100

    def add(self, ig: str, now: float, nested: int) -> None:
        bucket = self.usage.setdefault(ig, {}).setdefault(int(now // 3600), [0, 0.0])
        bucket[0] += 1
        bucket[1] += 1 + nested * NESTED_COST

    def minutes_to_regain(self, ig: str, now: float) -> int:
        """Minutes until enough hourly buckets leave the rolling window for usage to fall below 100 %."""
        limit = self.limit(ig, now)
        calls, cpu = self.totals(ig, now)
        used = max(calls, cpu)
        for hour in sorted(self.usage.get(ig, {})):
            if used < limit:
                break
            calls_h, cpu_h = self.usage[ig][hour]
            used -= max(calls_h, cpu_h)
            freed_at = (hour + WINDOW_HOURS) * 3600
            if used < limit:
                return max(1, math.ceil((freed_at - now) / 60))
        return 1

    def header(self, ig: str, now: float, eta: int | None = None) -> str:
        call_count, cputime, total_time = (min(100, p) for p in self.percentages(ig, now))
        return json.dumps({ig: [{"type": "instagram", "call_count": call_count, "total_cputime": cputime,
                                 "total_time": total_time, "estimated_time_to_regain_access": eta or 0}]},
                          separators=(",", ":"))

    def state(self, ig: str, now: float) -> dict:
        calls, cpu = self.totals(ig, now)
        call_count, cputime, total_time = self.percentages(ig, now)
        return {"ig_user_id": ig, "impressions_24h": self.impressions(ig, now), "calls_limit": self.limit(ig, now),
                "calls": calls, "cpu_units": round(cpu, 3), "call_count": call_count, "total_cputime": cputime,
                "total_time": total_time}


async def buc_state(request: Request):
    """``GET /_sim/buc/{ig}``: the account's impressions, 24 h call limit and usage (admin, not metered)."""
    sim = request.app.state.sim
    ig = request.path_params["ig"]
    if ig not in sim.world.by_id:
        return JSONResponse({"error": f"unknown account {ig}"}, status_code=404)
    return JSONResponse(sim.buc.state(ig, sim.now()))


ROUTES = [Route("/_sim/buc/{ig}", buc_state, methods=["GET"])]
