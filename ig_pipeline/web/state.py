"""The OAuth ``state``: random, signed, bound to a browser cookie, single use, 10 minutes.

The signed state carries the owner and a nonce; the same nonce sits in an HttpOnly SameSite=Lax
cookie, so a state from another browser fails. Used nonces are remembered (in this process) until
they expire, so a replayed callback fails too.
"""

from __future__ import annotations

import secrets
import threading
import time

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ig_pipeline.config import Settings

STATE_TTL_S = 600
COOKIE = "ig_oauth_state"


class StateRejected(ValueError):
    pass


class StateStore:
    def __init__(self, settings: Settings):
        self._serializer = URLSafeTimedSerializer(settings.require("app_secret"), salt="ig_pipeline.oauth-state")
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, owner_id: str, login_type: str = "facebook") -> tuple[str, str]:
        """(state for the dialog URL, nonce for the cookie). The state remembers which login started."""
        nonce = secrets.token_urlsafe(24)
        return self._serializer.dumps({"owner": owner_id, "nonce": nonce, "login": login_type}), nonce

    def consume(self, state: str | None, cookie_nonce: str | None) -> tuple[str, str]:
        """(owner, login type) the state was issued for; raises StateRejected otherwise (and burns it)."""
        if not state:
            raise StateRejected("The sign-in response has no state. Start again from your connect link.")
        try:
            payload = self._serializer.loads(state, max_age=STATE_TTL_S)
        except SignatureExpired:
            raise StateRejected("The sign-in took longer than 10 minutes. Start again from your connect link.") from None
        except BadSignature:
            raise StateRejected("The sign-in response was tampered with or is not ours.") from None
        nonce = payload.get("nonce")
        if not cookie_nonce or not secrets.compare_digest(str(nonce), cookie_nonce):
            raise StateRejected("This sign-in was started in another browser. Start again from your connect link.")
        now = time.monotonic()
        with self._lock:
            self._used = {n: t for n, t in self._used.items() if now - t < STATE_TTL_S}
            if nonce in self._used:
                raise StateRejected("This sign-in response was already used.")
            self._used[nonce] = now
        return str(payload["owner"]), str(payload.get("login", "facebook"))
