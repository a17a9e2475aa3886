"""What the world is made of: Facebook users, Pages, IG professional accounts and media, and the
enumerations the metrics break down by."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from ig_pipeline.simulator.days import DAY


@dataclass
class Page:
    id: str
    name: str
    fb_user_id: str
    ig_id: str | None = None


@dataclass
class FbUser:
    id: str
    name: str
    pages: list[Page] = field(default_factory=list)


@dataclass
class Account:
    index: int
    id: str
    username: str
    name: str
    account_type: str
    fb_user_id: str
    page_id: str
    f0: float  # followers at the reference day
    growth: float  # per day, exponential
    small: bool  # always under 100 followers
    ref_day: int
    content_start: int
    converted: int  # unix seconds of the last conversion to a business account
    rate_old: float
    rate_recent: float
    recent_from: int
    stories_rate: float
    follows_count: int
    website: str | None
    cum: array = field(default_factory=lambda: array("I", [0]))
    blocks: dict = field(default_factory=dict)


FEED, REELS, STORY = "FEED", "REELS", "STORY"
PRODUCT_BREAKDOWN = ("POST", "CAROUSEL_CONTAINER", "REEL", "STORY")
FOLLOW_TYPES = ("FOLLOWER", "NON_FOLLOWER", "UNKNOWN")
CONTACT_TYPES = ("BOOK_NOW", "CALL", "DIRECTION", "EMAIL", "INSTANT_EXPERIENCE", "TEXT", "UNDEFINED")
ACTION_TYPES = ("BIO_LINK_CLICKED", "CALL", "DIRECTION", "EMAIL", "OTHER", "TEXT")
NAV_TYPES = ("TAP_FORWARD", "TAP_BACK", "TAP_EXIT", "SWIPE_FORWARD")
SETTLE = 48 * 3600
TWO_YEARS = 730 * DAY

ACCOUNT_DAILY = ("reach", "follower_count", "views", "accounts_engaged", "total_interactions", "likes",
                 "comments", "saves", "shares", "replies", "reposts", "profile_views", "website_clicks")
UNIQUE = {"reach", "accounts_engaged"}


@dataclass(frozen=True)
class Media:
    account: Account
    id: str
    day: int
    k: int
    child: int  # 0 = top-level
    ts: int
    media_type: str  # IMAGE | VIDEO | CAROUSEL_ALBUM
    product: str  # FEED | REELS | STORY
    children: int
    parent_id: str | None = None

    @property
    def is_story(self) -> bool:
        return self.product == STORY
