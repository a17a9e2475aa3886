"""Business Discovery call plan: another public Business or Creator account's profile and newest posts.

``GET /{own-ig-user-id}?fields=business_discovery.username(NAME){…,media.limit(N){…}}`` (Facebook Login
only). It is metered on the app's Platform limit, reported in ``X-App-Usage``, not on the calling account's
Business Use Case limit: calls go through the governor under the app-wide key, so rising app usage spaces
every Business Discovery call of the process. Reference:
https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/business-discovery
"""

from __future__ import annotations

from ig_pipeline.graph.calls import Call, Meter
from ig_pipeline.graph.client import GraphClient
from ig_pipeline.graph.governor import APP
from ig_pipeline.graph.models import AccountRef

PROFILE_FIELDS = ("id", "username", "name", "biography", "website", "profile_picture_url", "followers_count",
                  "follows_count", "media_count")
MEDIA_FIELDS = ("id", "caption", "media_type", "media_product_type", "timestamp", "permalink", "like_count",
                "comments_count")
MEDIA_LIMIT = 25  # the competitor's newest posts per day: one call, enough for a weekly posting cadence


def discovery_fields(username: str, media_limit: int = MEDIA_LIMIT) -> str:
    media = f"media.limit({media_limit}){{{','.join(MEDIA_FIELDS)}}}"
    return f"business_discovery.username({username}){{{','.join(PROFILE_FIELDS)},{media}}}"


async def fetch_competitor(client: GraphClient, account: AccountRef, username: str, meter: Meter) -> dict:
    """The competitor's profile with ``media.data``; GraphError (e.g. code 110: unknown, personal or
    age-gated account) when the API refuses."""
    body = await client.get(Call(account.ig_user_id, {"fields": discovery_fields(username)}), account.token,
                            key=APP, meter=meter, login_type=account.login_type)
    return body.get("business_discovery") or {}
