"""Response headers for every page of the handler, and the Origin check for state-changing POSTs
(issue 13, finding 7).

The handler's pages carry state (connect links, confirmation tokens) or a tenant's account list:
they are never cached, framed or sniffed, and send no Referer (a connect link in the address bar must
not leak to the next site).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ig_pipeline.web.style import CSP_STYLE_SOURCE

HEADERS = {
    b"content-security-policy": b"default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
                                b"style-src " + CSP_STYLE_SOURCE.encode(),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"cache-control": b"no-store",
}


class SecurityHeaders:
    """Pure ASGI middleware (streams untouched) that sets HEADERS on every response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in HEADERS.items() if k not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_origin(request: Request, public_url: str) -> bool:
    """True when a browser says this POST comes from another site: an Origin that is not the handler's
    public origin (``null`` included), or Sec-Fetch-Site cross-site. Non-browser clients send neither."""
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() != _origin(public_url):
        return True
    return request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")
