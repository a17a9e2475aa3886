"""Stateless HMAC-signed access tokens: kind, subject, issue and expiry time are inside the string,
so a restarted simulator with the same seed and app secret accepts tokens it issued before."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

SHORT_S = 5108
LONG_S = 5183944
IG_SHORT_S = 3600
DATA_ACCESS_S = 90 * 86400

# kind: "user" (FB user, short or long), "page" (Page token), "ig" (Instagram Login user token)
FB_SCOPES = ("instagram_basic", "instagram_manage_insights", "pages_show_list", "pages_read_engagement",
             "business_management", "instagram_manage_comments")
IG_SCOPES = ("instagram_business_basic", "instagram_business_manage_insights")
FB_DEFAULT = (*FB_SCOPES[:4], "instagram_manage_comments")  # tokens minted without a permission list
IG_DEFAULT = (*IG_SCOPES, "instagram_business_manage_comments")


@dataclass(frozen=True)
class Token:
    kind: str  # user | page | ig
    fb_user_id: str | None
    page_id: str | None
    ig_user_id: str | None
    issued: int
    expires: int  # 0 = never
    long: bool
    nonce: int
    raw: str = ""
    scopes: tuple[str, ...] | None = None  # granted permissions; None = every permission of its login type

    def granted(self) -> tuple[str, ...]:
        if self.scopes is not None:
            return self.scopes
        return IG_DEFAULT if self.kind == "ig" else FB_DEFAULT

    def has(self, scope: str) -> bool:
        return scope in self.granted()


class TokenCodec:
    def __init__(self, seed: int, app_secret: str):
        self.key = hashlib.sha256(f"ig-sim|{seed}|{app_secret}".encode()).digest()
        self.counter = 0

    def mint(self, kind: str, *, fb_user_id=None, page_id=None, ig_user_id=None, issued: int, expires: int,
             long: bool, scopes: tuple[str, ...] | None = None) -> str:
        self.counter += 1
        body = "|".join([kind, fb_user_id or "", page_id or "", ig_user_id or "", str(int(issued)),
                         str(int(expires)), "L" if long else "S", str(self.counter),
                         "*" if scopes is None else ",".join(scopes)])
        payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
        sig = hmac.new(self.key, payload.encode(), hashlib.sha256).hexdigest()[:24]
        prefix = "IGAA" if kind == "ig" else "EAAG"
        return f"{prefix}{payload}.{sig}"

    def parse(self, raw: str | None) -> Token | None:
        if not raw or len(raw) > 2000 or "." not in raw or raw[:4] not in ("IGAA", "EAAG"):
            return None
        payload, _, sig = raw[4:].rpartition(".")
        good = hmac.new(self.key, payload.encode(), hashlib.sha256).hexdigest()[:24]
        if not hmac.compare_digest(good, sig):
            return None
        try:
            body = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
            kind, fb, page, ig, issued, expires, long, nonce, *rest = body.split("|")
            scopes = None if not rest or rest[0] == "*" else tuple(s for s in rest[0].split(",") if s)
            return Token(kind, fb or None, page or None, ig or None, int(issued), int(expires), long == "L",
                         int(nonce), raw, scopes)
        except (ValueError, UnicodeDecodeError):
            return None
