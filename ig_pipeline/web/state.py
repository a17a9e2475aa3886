"""The OAuth ``state``: random, signed, bound to a browser cookie, single use, 10 minutes.

The signed state carries the owner and a nonce; the same nonce sits in an HttpOnly SameSite=Lax
cookie, so a state from another browser fails. A consumed nonce is written to the warehouse
(``ig_oauth_state_used``) until it expires, so a replayed callback fails at every handler process
and after a restart; expired rows are deleted as new states are consumed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ig_pipeline.config import Settings
from ig_pipeline.web.limits import same_secret

STATE_TTL_S = 600
COOKIE = "ig_oauth_state"
ALREADY_USED = "This sign-in response was already used."
_USE = text("INSERT INTO ig_oauth_state_used (nonce, expires_at) VALUES (:nonce, :expires) "
            "ON CONFLICT (nonce) DO NOTHING RETURNING nonce")
_USED = text("SELECT 1 FROM ig_oauth_state_used WHERE nonce = :nonce")
_FORGET_EXPIRED = text("DELETE FROM ig_oauth_state_used WHERE expires_at < now()")


class StateRejected(ValueError):
    pass


class StateStore:
    def __init__(self, settings: Settings, engine: Callable[[], Engine]):
        self._serializer = URLSafeTimedSerializer(settings.require("app_secret"), salt="ig_pipeline.oauth-state")
        self._engine = engine

    def issue(self, owner_id: str, login_type: str = "facebook") -> tuple[str, str]:
        """(state for the dialog URL, nonce for the cookie). The state remembers which login started."""
        nonce = secrets.token_urlsafe(24)
        return self._serializer.dumps({"owner": owner_id, "nonce": nonce, "login": login_type}), nonce

    def consume(self, state: str | None, cookie_nonce: str | None) -> tuple[str, str]:
        """(owner, login type) the state was issued for; raises StateRejected otherwise (and burns it).
        Blocking (one database round trip): call it from a worker thread."""
        if not state:
            raise StateRejected("The sign-in response has no state. Start again from your connect link.")
        try:
            payload, signed_at = self._serializer.loads(state, max_age=STATE_TTL_S, return_timestamp=True)
            nonce = str(payload["nonce"])
        except SignatureExpired:
            raise StateRejected("The sign-in took longer than 10 minutes. Start again from your connect link.") from None
        except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
            raise StateRejected("The sign-in response was tampered with or is not ours.") from None
        expires = max(signed_at + timedelta(seconds=STATE_TTL_S), datetime.now(UTC)) + timedelta(minutes=1)
        with self._engine().begin() as conn:
            # A replay is told it was used even though the callback cleared its cookie.
            if conn.execute(_USED, {"nonce": nonce}).first() is not None:
                raise StateRejected(ALREADY_USED)
            if not cookie_nonce or not same_secret(cookie_nonce, nonce):
                raise StateRejected("This sign-in was started in another browser. Start again from your "
                                    "connect link.")
            conn.execute(_FORGET_EXPIRED)
            if conn.execute(_USE, {"nonce": nonce, "expires": expires}).first() is None:
                raise StateRejected(ALREADY_USED)
        return str(payload["owner"]), str(payload.get("login", "facebook"))
