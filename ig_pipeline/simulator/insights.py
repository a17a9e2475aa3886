"""IG User insights: account metrics by period, metric type and breakdown, and demographics."""

from __future__ import annotations

import math
from datetime import date
from urllib.parse import urlencode

from ig_pipeline.simulator.days import DAY, day_end, day_start, iso, pacific_ordinal
from ig_pipeline.simulator.draws import split, unit
from ig_pipeline.simulator.entities import CONTACT_TYPES, FOLLOW_TYPES, PRODUCT_BREAKDOWN, UNIQUE, Account
from ig_pipeline.simulator.errors import GraphError, param_error, require_insights
from ig_pipeline.simulator.metrics import (
    ACCOUNT_TABLE,
    AGES,
    CLICK_SERIES,
    DEMO_VALUES,
    DEMOGRAPHICS,
    FOLLOWER_COUNT_MSG,
    GENDERS,
    IMPRESSIONS_MSG,
    PERIODS,
    RANGE_MSG,
    TITLES,
    TS,
    TV,
    UNKNOWN_ERROR_MSG,
    account_metric_names,
    old_clicks_ok,
)
from ig_pipeline.simulator.params import parse_time_param, split_list


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
