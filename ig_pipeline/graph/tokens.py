"""OAuth and token endpoints (docs/graph-client.md, docs/oauth.md) for the OAuth handler and token
upkeep: ``TokenEndpoints(client)`` wraps an open GraphClient and uses only its public methods
(``get``, ``paged``, ``post_form``), so the client does not know about them.

Code exchanges are never retried: a code works once, so a retry after a timeout would only earn a
"code already used" error. Results are returned as the API sends them (they contain tokens:
callers store them encrypted and never log them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ig_pipeline.graph.calls import Call
from ig_pipeline.graph.errors import ErrorClass, GraphError

if TYPE_CHECKING:
    from ig_pipeline.graph.client import GraphClient


class TokenEndpoints:
    def __init__(self, client: GraphClient):
        self.client = client

    async def exchange_code(self, code: str, redirect_uri: str, app_id: str, app_secret: str) -> dict:
        """Facebook Login: authorization code -> short-lived user token."""
        return await self.client.get(Call("oauth/access_token", {"client_id": app_id, "redirect_uri": redirect_uri,
                                          "client_secret": app_secret, "code": code}), None, retry=False)

    async def exchange_long_lived(self, token: str, app_id: str, app_secret: str) -> dict:
        """Short-lived user token -> long-lived (~60 days; a different string)."""
        return await self.client.get(Call("oauth/access_token", {
            "grant_type": "fb_exchange_token", "client_id": app_id, "client_secret": app_secret,
            "fb_exchange_token": token}), None)

    async def debug_token(self, token: str, app_id: str, app_secret: str) -> dict:
        """The ``data`` object of /debug_token (expiry, data-access expiry, scopes, granular scopes).
        A bad inspected token is not an exception: ``is_valid`` is false and ``error`` is inside."""
        body = await self.client.get(Call("debug_token", {"input_token": token,
                                                          "access_token": f"{app_id}|{app_secret}"}), None)
        return body.get("data") or {}

    async def pages(self, user_token: str) -> list[dict]:
        """Every Page the user granted, with its Page token and linked IG account (all pages of results)."""
        return await self.client.paged(Call("me/accounts", {
            "fields": "id,name,access_token,category,tasks,instagram_business_account", "limit": 100}), user_token)

    async def page_instagram_account(self, page_id: str, token: str) -> str | None:
        """The IG professional account id linked to a Page, or None."""
        body = await self.client.get(Call(page_id, {"fields": "instagram_business_account"}), token)
        linked = body.get("instagram_business_account")
        return str(linked["id"]) if isinstance(linked, dict) and linked.get("id") is not None else None

    async def ig_user(self, ig_user_id: str, token: str, fields: str | list[str],
                      login_type: str = "facebook") -> dict:
        """The IG user node (``me`` works for Instagram Login tokens)."""
        return await self.client.get(Call(ig_user_id, {"fields": fields}), token, login_type=login_type)

    async def ig_exchange_code(self, code: str, redirect_uri: str, app_id: str, app_secret: str,
                               oauth_url: str) -> dict:
        """Instagram Login: POST {oauth_url}/oauth/access_token (form) -> {access_token, user_id, permissions}.
        Accepts the documented ``{"data": [{…}]}`` body and the flat one; strips the ``#_`` Meta appends."""
        form = {"client_id": app_id, "client_secret": app_secret, "grant_type": "authorization_code",
                "redirect_uri": redirect_uri, "code": code.split("#")[0]}
        body = await self.client.post_form(f"{oauth_url.rstrip('/')}/oauth/access_token", form)
        data = body.get("data") if isinstance(body, dict) else None
        item = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else body
        if not isinstance(item, dict) or not item.get("access_token"):
            raise GraphError(ErrorClass.TRANSIENT, "POST /oauth/access_token: no access_token in the response")
        return item

    async def ig_exchange_token(self, token: str, app_secret: str) -> dict:
        """Instagram Login: short-lived -> long-lived token (unversioned path on graph.instagram.com)."""
        return await self.client.get(Call("access_token", {"grant_type": "ig_exchange_token",
                                                           "client_secret": app_secret, "access_token": token}),
                                     None, login_type="instagram", versioned=False)

    async def ig_refresh_token(self, token: str) -> dict:
        """Instagram Login: refresh a long-lived token (≥ 24 h old, not expired) for 60 more days."""
        return await self.client.get(Call("refresh_access_token", {"grant_type": "ig_refresh_token",
                                                                   "access_token": token}),
                                     None, login_type="instagram", versioned=False)
