"""Signed, expiring connect links: who the app user (tenant) is when they come to connect.

The link carries the owner id signed with a key derived from the app secret (itsdangerous), so
it cannot be forged or altered, and it expires (24 h by default). An operator can revoke every link
of an owner signed until now (``ig-pipeline connect-link --revoke``; connections/ownership.py). A reverse proxy
that already authenticates users may instead pass the owner in ``X-IG-Owner`` when
IG_TRUST_PROXY_HEADER=1 (then the handler must be reachable only through that proxy: docs/oauth.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ig_pipeline.config import Settings

DEFAULT_TTL_S = 86_400


class LinkRejected(ValueError):
    """The link was forged, altered or has expired (the message says which, never its content)."""


def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.require("app_secret"), salt=f"ig_pipeline.{salt}")


def make_connect_link(owner_id: str, settings: Settings, ttl_s: int = DEFAULT_TTL_S) -> str:
    token = _serializer(settings, "connect-link").dumps({"owner": owner_id, "ttl": ttl_s})
    return f"{settings.oauth_public_url}/instagram/connect?{urlencode({'link': token})}"


def make_disconnect_link(owner_id: str, ig_user_id: str, settings: Settings, ttl_s: int = DEFAULT_TTL_S) -> str:
    """The confirmation page for disconnecting one account, opened with a connect link of its owner."""
    token = _serializer(settings, "connect-link").dumps({"owner": owner_id, "ttl": ttl_s})
    return f"{settings.oauth_public_url}/instagram/disconnect?{urlencode({'link': token, 'ig_user_id': ig_user_id})}"


def verify_link(token: str, settings: Settings,
                revoked_before: Callable[[str], datetime | None] | None = None) -> str:
    """The owner id of a valid link. ``revoked_before(owner)`` gives the owner's revocation cut-off:
    a link signed at or before it is refused (signatures carry whole seconds, so a link signed in the
    same second as the revocation is refused too)."""
    serializer = _serializer(settings, "connect-link")
    try:
        payload = serializer.loads(token, max_age=7 * DEFAULT_TTL_S)
        _, signed_at = serializer.loads(token, max_age=int(payload["ttl"]), return_timestamp=True)
        owner = str(payload["owner"])
    except SignatureExpired:
        raise LinkRejected("This connect link has expired. Ask for a new one.") from None
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
        raise LinkRejected("This connect link is not valid.") from None
    cutoff = revoked_before(owner) if revoked_before else None
    if cutoff is not None and signed_at <= cutoff:
        raise LinkRejected("This connect link was revoked. Ask for a new one.")
    return owner
