"""What the call plans take and return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ig_pipeline.graph.errors import GraphError


@dataclass(frozen=True)
class AccountRef:
    """One connected IG account. The token is kept out of repr (and so out of logs and metadata)."""

    ig_user_id: str
    owner_id: str  # tenant (app user): goes into every row
    token: str = field(repr=False)
    login_type: str = "facebook"  # "facebook" -> graph URL; "instagram" -> graph.instagram.com


@dataclass(frozen=True)
class MediaRef:
    media_id: str
    media_type: str  # IMAGE | VIDEO | CAROUSEL_ALBUM (unknown values tolerated)
    media_product_type: str  # FEED | REELS | STORY | AD (unknown tolerated, treated as FEED)
    posted_at: datetime  # tz-aware UTC


@dataclass
class FetchResult:
    account: AccountRef
    rows: dict[str, list[dict]] = field(default_factory=dict)  # table -> rows keyed by column
    error: GraphError | None = None  # None: the account succeeded (partial no-data is not an error)
    warnings: list[str] = field(default_factory=list)
    calls: int = 0  # counted calls (each GET and each batch item counts)
    round_trips: int = 0  # HTTP requests
    media: list[MediaRef] = field(default_factory=list)
    refusals: list[dict] = field(default_factory=list)  # refused metric requests (graph.session)
    profile: dict = field(default_factory=dict)  # account node fields read on the way (account_type)

    @property
    def ok(self) -> bool:
        return self.error is None
