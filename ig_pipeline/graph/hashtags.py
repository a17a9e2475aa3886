"""Hashtag search call plans (Instagram Public Content Access, Facebook Login only).

- ``GET /ig_hashtag_search?user_id={own}&q={tag}`` → the hashtag id; spends one of the account's 30 unique
  hashtags per rolling 7 days (a repeat inside the window is free): callers check the ledger first
  (tracking/ledger.py).
- ``GET /{hashtag-id}/top_media`` and ``/recent_media`` (last 24 h) with ``user_id``: 50 per page.
- ``GET /{own}/recently_searched_hashtags``: the hashtag ids the API counts against the account.
All run under the app's Platform limit (``X-App-Usage``): the governor's app-wide key.
References: https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-hashtag-search
and https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-hashtag
"""

from __future__ import annotations

from ig_pipeline.graph.calls import Call, Meter
from ig_pipeline.graph.client import GraphClient
from ig_pipeline.graph.governor import APP
from ig_pipeline.graph.models import AccountRef

MEDIA_FIELDS = ("id", "caption", "media_type", "media_product_type", "timestamp", "permalink", "like_count",
                "comments_count")
PAGE = 50  # the edges' page size (and the first page is what is kept: ranks 1..50 of each list)
LISTS = ("top", "recent")


async def search(client: GraphClient, account: AccountRef, hashtag: str, meter: Meter) -> str:
    body = await client.get(Call("ig_hashtag_search", {"user_id": account.ig_user_id, "q": hashtag}),
                            account.token, key=APP, meter=meter, login_type=account.login_type)
    return str(body["data"][0]["id"])


async def media(client: GraphClient, account: AccountRef, hashtag_id: str, kind: str, meter: Meter) -> list[dict]:
    """The first page of the hashtag's top or recent media, in the order served (the rank)."""
    call = Call(f"{hashtag_id}/{kind}_media", {"user_id": account.ig_user_id, "fields": MEDIA_FIELDS,
                                              "limit": PAGE})
    body = await client.get(call, account.token, key=APP, meter=meter, login_type=account.login_type)
    return [item for item in body.get("data") or [] if isinstance(item, dict)]


async def recently_searched(client: GraphClient, account: AccountRef, meter: Meter) -> list[str]:
    call = Call(f"{account.ig_user_id}/recently_searched_hashtags", {"limit": 30})
    items = await client.paged(call, account.token, key=APP, meter=meter, login_type=account.login_type,
                               max_pages=2)
    return [str(item["id"]) for item in items if "id" in item]
