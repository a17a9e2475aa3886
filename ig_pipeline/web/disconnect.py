"""Disconnecting an account: the connect link opens a confirmation page; only its POST disconnects.

A connect link is a long-lived bearer token, so it alone never disconnects anything: the GET page
hands out a confirmation token signed for this owner and account that lasts 10 minutes, and the POST
must carry it, come from the handler's own origin (web/security.py) and fit FORM_MAX_BYTES. A
cross-site page cannot read the confirmation token (the page may not be framed), so it cannot post it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from urllib.parse import parse_qs

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ig_pipeline.config import Settings
from ig_pipeline.connections import store as connections
from ig_pipeline.web.limits import FORM_MAX_BYTES, BodyTooLarge, read_capped
from ig_pipeline.web.links import LinkRejected
from ig_pipeline.web.security import cross_origin

CONFIRM_TTL_S = 600


def handlers(settings: Settings, engine: Callable, owner_of: Callable, page: Callable):
    """(GET confirmation page, POST disconnect) for the app's routes."""
    signer = URLSafeTimedSerializer(settings.require("app_secret"), salt="ig_pipeline.disconnect-confirm")

    async def confirm(request: Request) -> Response:
        try:
            owner = await run_in_threadpool(owner_of, request, request.query_params.get("link"))
        except LinkRejected as exc:
            return page(403, "Cannot disconnect", str(exc))
        ig_user_id = request.query_params.get("ig_user_id", "")

        def username() -> str | None:
            with engine().connect() as conn:
                return connections.owned_username(conn, ig_user_id, owner)

        name = await run_in_threadpool(username)
        if name is None:
            return page(404, "Not found", "No such connected account for you.")
        token = signer.dumps({"owner": owner, "id": ig_user_id})
        return HTMLResponse(
            "<!doctype html><html><head><meta charset='utf-8'><title>Disconnect</title></head><body>"
            f"<h1>Disconnect @{html.escape(name)}?</h1><p>Its access token is deleted and its analytics stop "
            "being collected; the data already collected stays. Connect again any time with a connect link.</p>"
            "<form method='post' action='/instagram/disconnect'>"
            f"<input type='hidden' name='confirm' value='{html.escape(token)}'>"
            "<button type='submit'>Disconnect</button></form></body></html>")

    async def disconnect(request: Request) -> Response:
        if cross_origin(request, settings.oauth_public_url):
            return page(403, "Cannot disconnect", "This request came from another site.")
        try:
            body = await read_capped(request, FORM_MAX_BYTES)
        except BodyTooLarge:
            return page(413, "Cannot disconnect", "The form is too large.")
        try:
            form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)  # ValueError beyond 10
            claim = signer.loads((form.get("confirm") or [""])[0], max_age=CONFIRM_TTL_S)
            owner, ig_user_id = str(claim["owner"]), str(claim["id"])
        except SignatureExpired:
            return page(403, "Cannot disconnect", "The confirmation expired. Open the disconnect page again.")
        except (BadSignature, KeyError, TypeError, ValueError):
            return page(400, "Cannot disconnect", "Disconnecting needs the confirmation page: open "
                        "/instagram/disconnect?link=…&ig_user_id=… with your connect link and confirm there.")

        def update() -> int:
            with engine().begin() as conn:
                return connections.disconnect(conn, ig_user_id, owner)

        if not await run_in_threadpool(update):
            return page(404, "Not found", "No such connected account for you.")
        return page(200, "Disconnected", "The account is disconnected and its access token deleted.")

    return confirm, disconnect
