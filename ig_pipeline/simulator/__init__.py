"""Local Instagram Graph API simulator (Facebook Login flavour plus the Instagram Login token endpoints).

Full documentation, with the Meta reference pages each behaviour follows: docs/simulator.md.

Graph endpoints (prefix ``/vNN.0`` for v21.0–v27.0; no prefix = v24.0; token as ``access_token`` or
``Authorization: Bearer``):

- ``GET /dialog/oauth`` (HTML Allow/Deny form) → POST → 302 to ``redirect_uri?code=&state=`` or the error params
- ``GET /oauth/authorize`` (Instagram Login page) and ``POST /oauth/access_token`` with
  ``grant_type=authorization_code`` (Instagram Login code exchange, IG error shape)
- ``GET /oauth/access_token`` (code exchange, ``fb_exchange_token``), ``GET /access_token`` (``ig_exchange_token``),
  ``GET /refresh_access_token`` (``ig_refresh_token``, refused under 24 h), ``GET /debug_token``
- ``GET /me``, ``GET /me/accounts``, ``GET /{page-id}``, ``GET /{fb-user-id}[/accounts]``
- ``GET /{ig-user-id}`` (node fields, ``business_discovery.username(x){…}``, ``media.limit(n){…}``,
  ``mentioned_media.media_id(m){…}``, ``mentioned_comment.comment_id(c){…}``)
- ``GET /{ig-user-id}/media``, ``/stories``, ``/insights``, ``/tags``, ``/recently_searched_hashtags``
- ``GET /{media-id}``, ``/{media-id}/insights``, ``/{media-id}/children``, ``/{media-id}/comments``
- ``GET /{comment-id}``, ``/{comment-id}/replies``
- ``GET /ig_hashtag_search?user_id&q``, ``/{hashtag-id}``, ``/{hashtag-id}/top_media``, ``/recent_media``
- ``POST /`` or ``POST /vNN.0/`` with ``batch`` (≤ 50 operations)

Admin (``/_sim``, JSON, no auth, not logged): ``clock`` (GET/POST), ``requests`` (GET/DELETE), ``faults``
(GET/POST/DELETE, ``faults/{id}`` DELETE), ``world``, ``accounts`` (POST), ``tokens`` (POST), ``revoke`` (POST),
``truth/…`` (see docs/simulator.md), ``buc/{ig}`` (rate-limit state), ``webhooks/deliver`` (POST),
``config`` (GET/POST).

Fault kinds: transient_1, transient_2, hang, reset, malformed_json, truncated_page, rate_limit_4,
rate_limit_17, rate_limit_32, rate_limit_613, rate_limit_80002, token_expired (190/463),
token_password_changed (190/460), token_revoked (190/467), permission_10, permission_200,
unsupported_metric, batch_null.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class SimConfig:
    accounts: int = 25
    seed: int = 1
    latency_ms: float = 0
    start: datetime | float | str | None = None
    frozen: bool = False
    app_id: str | None = None
    app_secret: str | None = None
    media_per_account: int | None = None
    buc_calls_per_impression: float = 4800  # Meta: 24 h calls = 4800 × impressions; 0 = unlimited
    require_appsecret_proof: bool = False
    nested_insights_fail_whole_page: bool = True
    redirect_uris: list[str] | None = None
    platform_calls_per_user_hour: int = 200  # Platform (app) limit: this × app users per hour, see X-App-Usage


def create_app(config: SimConfig | None = None):
    """The Starlette app (``app.state.sim`` is the Simulator)."""
    from ig_pipeline.simulator.app import create_app as _create

    return _create(config or SimConfig())


__all__ = ["SimConfig", "create_app"]
