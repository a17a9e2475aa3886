"""The simulator's own tables of what the Graph API accepts: versions, account and media metrics,
periods, breakdowns, demographic values and the messages of refused metrics.

Independent of ``ig_pipeline.graph``: written from Meta's Instagram Platform reference (sources listed
in docs/simulator.md)."""

from __future__ import annotations

from datetime import date

from ig_pipeline.simulator.entities import ACTION_TYPES, FEED, NAV_TYPES, REELS, STORY
from ig_pipeline.simulator.errors import GraphError, param_error

VERSIONS = (21, 22, 23, 24, 25, 26, 27)  # release and end-of-availability dates: docs/simulator.md
DEFAULT_VERSION = 24
IMPRESSIONS_END = date(2025, 4, 21)
CLICKS_END = date(2025, 1, 8)
MEDIA_IMPRESSIONS_CREATED_BEFORE = date(2024, 7, 2)


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
