"""The one metric catalog: every Instagram insight metric we know, as data.

Each entry says which endpoint serves it (account or media insights), how it must be asked for
(period, metric_type, breakdown), for which media product types, between which API versions and
until which date Meta serves it, and which warehouse column holds it. The warehouse schema, the
client's call plans and the transforms read this table; nothing else in the pipeline lists
metrics (the simulator keeps its own independent table, so a wrong entry here shows up as a
refusal instead of being mirrored). A retired metric stays here (and as a NULL column in the
warehouse) with its end date. ``request_groups`` splits a metric list into the requests the API
accepts: metrics share one request only when they share period, metric_type and breakdown.

``VERSIONS`` lists Graph API versions with their release and end-of-availability dates.
Sources and the reasoning behind each entry: docs/graph-client.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

FEED, REELS, STORY = "FEED", "REELS", "STORY"
ALL_PRODUCTS = frozenset({FEED, REELS, STORY})


@dataclass(frozen=True)
class Metric:
    name: str  # API metric name
    column: str  # warehouse column (for breakdown metrics: the column of the total)
    scope: str  # "account" | "media"
    period: str = "day"  # "day" | "lifetime"
    metric_type: str | None = "total_value"  # account metrics: how to ask; None for media
    breakdown: str | None = None  # breakdown dimension requested with the metric
    # breakdown value (upper case) -> warehouse column; values not listed go to nowhere
    breakdown_columns: dict[str, str] = field(default_factory=dict)
    products: frozenset[str] = ALL_PRODUCTS  # media product types that support it
    min_version: int = 0  # first API major version that serves it
    removed_in_version: int | None = None  # major version from which it is refused
    removed_everywhere_on: date | None = None  # date from which every version refuses it
    requested_by_default: bool = True  # False: only on request (e.g. needs FB cross-posting)
    history_days: int | None = None  # how far back the API answers (follower_count: 30)
    unit: str = "count"
    description: str = ""

    def available(self, version: str | int, on: date) -> bool:
        major = version if isinstance(version, int) else version_major(version)
        if major < self.min_version:
            return False
        if self.removed_in_version is not None and major >= self.removed_in_version:
            return False
        return not (self.removed_everywhere_on is not None and on >= self.removed_everywhere_on)


def version_major(version: str) -> int:
    """'v24.0' -> 24."""
    return int(version.lstrip("v").split(".")[0])


_IMPRESSIONS_END = dict(removed_in_version=22, removed_everywhere_on=date(2025, 4, 21))
_CLICKS_END = dict(removed_in_version=21, removed_everywhere_on=date(2025, 1, 8))
_V18_END = dict(removed_in_version=18, removed_everywhere_on=date(2023, 12, 11))

ACCOUNT_METRICS: tuple[Metric, ...] = (
    Metric("reach", "reach", "account", metric_type="time_series",
           description="Unique accounts that saw any content that day. Never sum across days."),
    Metric("follower_count", "new_followers", "account", metric_type="time_series", history_days=30,
           description="New followers that day (not the total). Last 30 days only; none under 100 followers."),
    Metric("views", "views", "account", description="Times content was played or displayed."),
    Metric("accounts_engaged", "accounts_engaged", "account",
           description="Unique accounts that interacted with content. Never sum across days."),
    Metric("total_interactions", "total_interactions", "account",
           description="Likes, comments, saves, shares and replies on content."),
    Metric("likes", "likes", "account"),
    Metric("comments", "comments", "account"),
    Metric("saves", "saves", "account"),
    Metric("shares", "shares", "account"),
    Metric("replies", "replies", "account", description="Replies to stories."),
    Metric("reposts", "reposts", "account"),
    Metric("profile_views", "profile_views", "account"),
    Metric("website_clicks", "website_clicks", "account"),
    Metric("profile_links_taps", "profile_links_taps", "account", breakdown="contact_button_type",
           breakdown_columns={"BOOK_NOW": "taps_book_now", "CALL": "taps_call", "DIRECTION": "taps_direction",
                              "EMAIL": "taps_email", "INSTANT_EXPERIENCE": "taps_instant_experience",
                              "TEXT": "taps_text", "UNDEFINED": "taps_other"},
           description="Taps on the profile's contact buttons, split by button."),
    Metric("follows_and_unfollows", "follows_and_unfollows", "account", breakdown="follow_type",
           breakdown_columns={"FOLLOWER": "follows", "NON_FOLLOWER": "unfollows"},
           description="FOLLOWER = follows gained, NON_FOLLOWER = unfollows. None under 100 followers."),
    # Retired: kept so old rows keep their meaning; never requested on current versions.
    Metric("impressions", "impressions", "account", **_IMPRESSIONS_END),
    Metric("email_contacts", "email_contacts", "account", metric_type="time_series", **_CLICKS_END),
    Metric("phone_call_clicks", "phone_call_clicks", "account", metric_type="time_series", **_CLICKS_END),
    Metric("text_message_clicks", "text_message_clicks", "account", metric_type="time_series", **_CLICKS_END),
    Metric("get_directions_clicks", "get_directions_clicks", "account", metric_type="time_series",
           **_CLICKS_END),
)

# Lifetime account metrics with their own tables (not columns of instagram_account_daily).
ONLINE_FOLLOWERS = Metric("online_followers", "online_followers", "account", period="lifetime",
                          metric_type="time_series", history_days=30,
                          description="Followers online per hour of the day (keys '0'..'23').")
DEMOGRAPHIC_METRICS: tuple[Metric, ...] = tuple(
    Metric(name, name, "account", period="lifetime", breakdown="age,city,country,gender")
    for name in ("follower_demographics", "engaged_audience_demographics", "reached_audience_demographics")
)
DEMOGRAPHIC_BREAKDOWNS = ("age", "gender", "country", "city")
DEMOGRAPHIC_TIMEFRAMES = ("this_week", "this_month")

_FB_NOTE = ("Served only for media shared to Facebook; fetched only with the Graph resource's "
            "fetch_facebook_views setting (one more request per media), so NULL when it is off or the media "
            "was not shared to Facebook.")
_FEED_REELS = frozenset({FEED, REELS})
_FEED_STORY = frozenset({FEED, STORY})

MEDIA_METRICS: tuple[Metric, ...] = (
    Metric("reach", "reach", "media", period="lifetime", metric_type=None),
    Metric("views", "views", "media", period="lifetime", metric_type=None),
    Metric("likes", "likes", "media", period="lifetime", metric_type=None, products=_FEED_REELS),
    Metric("comments", "comments", "media", period="lifetime", metric_type=None, products=_FEED_REELS),
    Metric("saved", "saved", "media", period="lifetime", metric_type=None, products=_FEED_REELS),
    Metric("shares", "shares", "media", period="lifetime", metric_type=None),
    Metric("total_interactions", "total_interactions", "media", period="lifetime", metric_type=None),
    Metric("reposts", "reposts", "media", period="lifetime", metric_type=None),
    Metric("follows", "follows", "media", period="lifetime", metric_type=None, products=_FEED_STORY),
    Metric("profile_visits", "profile_visits", "media", period="lifetime", metric_type=None,
           products=_FEED_STORY),
    Metric("profile_activity", "profile_activity", "media", period="lifetime", metric_type=None,
           products=_FEED_STORY, breakdown="action_type",
           breakdown_columns={"BIO_LINK_CLICKED": "activity_bio_link_clicked", "CALL": "activity_call",
                              "DIRECTION": "activity_direction", "EMAIL": "activity_email",
                              "OTHER": "activity_other", "TEXT": "activity_text"}),
    Metric("navigation", "navigation", "media", period="lifetime", metric_type=None,
           products=frozenset({STORY}), breakdown="story_navigation_action_type",
           breakdown_columns={"TAP_FORWARD": "taps_forward", "TAP_BACK": "taps_back",
                              "TAP_EXIT": "taps_exit", "SWIPE_FORWARD": "swipes_forward"}),
    Metric("replies", "replies", "media", period="lifetime", metric_type=None, products=frozenset({STORY})),
    Metric("ig_reels_avg_watch_time", "reels_avg_watch_time_ms", "media", period="lifetime",
           metric_type=None, products=frozenset({REELS}), unit="milliseconds"),
    Metric("ig_reels_video_view_total_time", "reels_view_total_time_ms", "media", period="lifetime",
           metric_type=None, products=frozenset({REELS}), unit="milliseconds"),
    Metric("reels_skip_rate", "reels_skip_rate", "media", period="lifetime", metric_type=None,
           products=frozenset({REELS}), unit="percent"),
    # Served only for media shared to Facebook (refused for the others, and no media field says which
    # are), so asked only when the resource's fetch_facebook_views is on, in a request of their own.
    Metric("facebook_views", "facebook_views", "media", period="lifetime", metric_type=None,
           requested_by_default=False, description=_FB_NOTE),
    Metric("crossposted_views", "crossposted_views", "media", period="lifetime", metric_type=None,
           products=frozenset({REELS}), requested_by_default=False, description=_FB_NOTE),
    # Retired media metrics.
    Metric("impressions", "impressions", "media", period="lifetime", metric_type=None, **_IMPRESSIONS_END),
    Metric("plays", "plays", "media", period="lifetime", metric_type=None, products=frozenset({REELS}),
           **_IMPRESSIONS_END),
    Metric("video_views", "video_views", "media", period="lifetime", metric_type=None,
           products=_FEED_REELS, **_CLICKS_END),
    Metric("engagement", "engagement", "media", period="lifetime", metric_type=None, products=_FEED_REELS,
           **_V18_END),
)


def account_metrics(version: str, on: date) -> list[Metric]:
    """Account daily metrics the given API version serves on the given date."""
    return [m for m in ACCOUNT_METRICS if m.available(version, on) and m.requested_by_default]


def media_metrics(product_type: str, version: str, on: date, opt_in: bool = False) -> list[Metric]:
    """Media lifetime metrics to request for a product type (AD and unknown types read as FEED);
    ``opt_in`` adds the metrics asked only on request (facebook_views, crossposted_views)."""
    product = product_type if product_type in ALL_PRODUCTS else FEED
    return [m for m in MEDIA_METRICS
            if product in m.products and m.available(version, on) and (m.requested_by_default or opt_in)]


def request_groups(metrics: Iterable[Metric]) -> list[list[Metric]]:
    """``metrics`` split into the requests the API accepts, in catalog order: one group per
    (period, metric_type, breakdown). The API refuses a breakdown any requested metric does not
    support, and a period or metric_type one of them does not take, so mixing fails the call.
    Metrics asked only on request get requests of their own, so their refusal costs nothing else."""
    groups: dict[tuple, list[Metric]] = {}
    for metric in metrics:
        key = (metric.period, metric.metric_type, metric.breakdown, metric.requested_by_default)
        groups.setdefault(key, []).append(metric)
    return list(groups.values())


def media_request_groups(product_type: str, version: str, on: date, opt_in: bool = False) -> list[list[str]]:
    """Metric names per request for one media of ``product_type``."""
    return [[m.name for m in group] for group in request_groups(media_metrics(product_type, version, on, opt_in))]


@dataclass(frozen=True)
class Version:
    name: str
    released: date
    available_until: date | None  # None: Meta has not announced it yet


# Graph API versions and how long each is served (Meta's changelog, docs/graph-client.md).
VERSIONS: tuple[Version, ...] = (
    Version("v19.0", date(2024, 1, 23), date(2026, 5, 21)),
    Version("v20.0", date(2024, 5, 21), date(2026, 9, 24)),
    Version("v21.0", date(2024, 10, 2), date(2027, 1, 21)),
    Version("v22.0", date(2025, 1, 21), date(2027, 5, 20)),
    Version("v23.0", date(2025, 5, 29), date(2027, 10, 8)),
    Version("v24.0", date(2025, 10, 8), date(2028, 2, 18)),
    Version("v25.0", date(2026, 2, 18), date(2028, 7, 29)),
    Version("v26.0", date(2026, 7, 29), None),
)
EXPIRY_WARNING = timedelta(days=90)


def version_warning(version: str, on: date) -> str | None:
    """A warning when the pinned ``version`` is unknown, no longer served, or within
    ``EXPIRY_WARNING`` of its end of availability on ``on``; None when it is safe."""
    known = {v.name: v for v in VERSIONS}
    entry = known.get(version if "." in version else f"{version}.0")
    if entry is None:
        return (f"Graph API version {version} is not in the version table (known: "
                f"{', '.join(known)}); its end of availability is unknown")
    if entry.available_until is None:
        return None
    left = (entry.available_until - on).days
    if left < 0:
        return f"Graph API version {entry.name} stopped being available on {entry.available_until}"
    if left <= EXPIRY_WARNING.days:
        return (f"Graph API version {entry.name} stops being available on {entry.available_until} "
                f"({left} days left): move IG_GRAPH_VERSION to a newer version")
    return None


def metric_columns(metrics: tuple[Metric, ...]) -> list[str]:
    """Warehouse columns for metrics, breakdown columns included, in catalog order, no repeats."""
    columns: list[str] = []
    for metric in metrics:
        for column in (metric.column, *metric.breakdown_columns.values()):
            if column not in columns:
                columns.append(column)
    return columns


ACCOUNT_DAILY_COLUMNS = metric_columns(ACCOUNT_METRICS)
MEDIA_INSIGHT_COLUMNS = metric_columns(MEDIA_METRICS)
