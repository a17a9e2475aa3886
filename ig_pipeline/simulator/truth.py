"""Ground truth at an instant: what the simulated API serves (or why it serves nothing) for media,
stories, accounts, demographics, online followers and delivered story webhooks.

Each answer is computed by the same code that serves the Graph API, evaluated at the instant
asked for (``at``, default the simulator's now), so a test can say "this row was fetched at t;
the API served exactly this at t". A value the API refuses comes back as ``{"refused": reason}``
with one of the reasons in ``REFUSALS`` (the only legitimate NULLs a warehouse may hold).
"""

from __future__ import annotations

from datetime import date

from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.days import day_end, pacific_ordinal
from ig_pipeline.simulator.entities import TWO_YEARS, Media
from ig_pipeline.simulator.errors import GraphError
from ig_pipeline.simulator.insights import AccountInsights
from ig_pipeline.simulator.media import MEDIA_FIELDS, MediaView
from ig_pipeline.simulator.metrics import (
    DEFAULT_VERSION,
    DEMOGRAPHICS,
    MEDIA_BREAKDOWNS,
    TS,
    media_metric_names,
)
from ig_pipeline.simulator.nodes import ig_node
from ig_pipeline.simulator.params import Sel

# Why the API serves no value for a metric of a media at an instant.
REFUSALS = {
    "pre_conversion": "posted before the account's last conversion to a professional account (error 100/2108006)",
    "older_than_two_years": "media insights are kept for two years; older media answer an empty data list",
    "story_expired": "a story's insights are served only while it is live (24 h); afterwards data is empty",
    "below_5_viewers": "a story seen by fewer than 5 accounts answers error 10 (not enough viewers)",
    "not_for_product_type": "the metric is not served for this media product type",
    "not_shared_to_facebook": "facebook_views/crossposted_views exist only for media shared to Facebook",
}
NODE_FIELDS = [n for n in sorted(MEDIA_FIELDS) if n != "insights"]
CHILD_FIELDS = [Sel(n, {}, None) for n in ("id", "media_type", "media_url", "thumbnail_url", "permalink",
                                           "shortcode", "timestamp")]


def _ctx(at: float, version: int):

    return Ctx(version, at, "", {}, None)


def _refusal(view: MediaView, m: Media, name: str, error: GraphError | None) -> str:
    if error is None:  # an empty data list
        return "older_than_two_years" if view.ctx.now - m.ts > TWO_YEARS else "story_expired"
    if error.subcode == 2108006:
        return "pre_conversion"
    if error.code == 10:
        return "below_5_viewers"
    if name in ("facebook_views", "crossposted_views") and "shared to Facebook" in error.message:
        return "not_shared_to_facebook"
    return "not_for_product_type"


def media_insights(view: MediaView, m: Media) -> dict:
    """{metric: {"value": v, "breakdown": {KEY: v}} | {"refused": reason}} for every metric the
    version knows, each asked on its own (with its breakdown) at the view's instant."""
    today = pacific_ordinal(view.ctx.now)
    out = {}
    for name in media_metric_names(view.ctx.version, date.fromordinal(today)):
        breakdown = MEDIA_BREAKDOWNS.get(name, (None,))[0]
        try:
            data = view.insights(m, [name], breakdown)
        except GraphError as error:
            out[name] = {"refused": _refusal(view, m, name, error)}
            continue
        if not data:
            out[name] = {"refused": _refusal(view, m, name, None)}
            continue
        item = data[0]
        entry = {"value": item["values"][0]["value"]}
        if "total_value" in item:
            results = item["total_value"]["breakdowns"][0]["results"]
            entry["breakdown"] = {r["dimension_values"][0].upper(): r["value"] for r in results}
        out[name] = entry
    return out


def media_truth(sim, media_id: str, at: float, version: int = DEFAULT_VERSION) -> dict | None:
    """Node fields and insights of a media (story, post, carousel child) as served at ``at``."""
    m = sim.world.find_media(media_id, at)
    if m is None:
        return None
    view = MediaView(sim, _ctx(at, version))
    sels = [Sel(n, {}, CHILD_FIELDS if n == "children" else None) for n in NODE_FIELDS]
    node = view.fields(m, sels)
    out = {"media_id": m.id, "at": at, "node": node, "pre_conversion": m.ts < m.account.converted,
           "shared_to_facebook": sim.world.shared_to_facebook(m), "ig_user_id": m.account.id,
           "older_than_two_years": at - m.ts > TWO_YEARS}
    if not m.child:
        out["insights"] = media_insights(view, m)
    return out


def media_ids(sim, account, since: float, until: float, at: float) -> list[dict]:
    """Top-level posts (not stories) posted in [since, until) that exist at ``at``, newest first."""
    out = []
    for m in sim.world.iter_media(account, min(at, until - 1)):
        if m.ts < since:
            break
        out.append({"media_id": m.id, "posted_at": m.ts, "media_product_type": m.product,
                    "media_type": m.media_type})
    return out


def live_stories(sim, account, at: float) -> list[str]:
    return [s.id for s in sim.world.live_stories(account, at)]


def account_node(sim, account, at: float, version: int = DEFAULT_VERSION) -> dict:
    names = ("id", "username", "name", "account_type", "followers_count", "follows_count", "media_count",
             "profile_picture_url", "website", "biography")
    return ig_node(sim, _ctx(at, version), account, [Sel(n, {}, None) for n in names])


def demographics(sim, account, at: float, version: int = DEFAULT_VERSION) -> list[dict]:
    """Every (metric, timeframe, breakdown, dimension value, value) the API serves at ``at``
    for single-breakdown demographic requests (what the pipeline asks for)."""

    insights = AccountInsights(sim, _ctx(at, version), account)
    today = pacific_ordinal(at)
    rows = []
    for name in sorted(DEMOGRAPHICS):
        for timeframe in ("this_week", "this_month"):
            for breakdown in ("age", "gender", "country", "city"):
                item = insights.metric(name, "lifetime", "total_value", [breakdown], [], at, timeframe, today)
                if item is None:
                    continue
                for block in item["total_value"].get("breakdowns", []):
                    for result in block["results"]:
                        rows.append({"metric": name, "timeframe": timeframe, "breakdown": breakdown,
                                     "dimension_value": result["dimension_values"][0], "value": result["value"]})
    return rows


def online_followers(sim, account, at: float, version: int = DEFAULT_VERSION) -> dict[str, dict[str, int]]:
    """{day: {hour: followers online}} for every day the API serves at ``at`` (its last 30)."""

    insights = AccountInsights(sim, _ctx(at, version), account)
    today = pacific_ordinal(at)
    days = list(range(today - 31, today))
    item = insights.metric("online_followers", "lifetime", TS, [], days, at, None, today)
    if item is None:
        return {}
    out = {}
    for d, value in zip((d for d in days if d >= today - 30 and day_end(d) <= at), item["values"], strict=True):
        out[date.fromordinal(d).isoformat()] = value["value"]
    return out
