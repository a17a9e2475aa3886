"""The OAuth handler: connect link → Facebook Login dialog (or Instagram Login, ``?login=instagram``)
→ callback → encrypted connections.

Pages are plain HTML with the original troubleshooting explanations. Tokens, codes and secrets
never appear in pages, logs or exceptions; every Graph call goes through the one Graph client.
An account connected by one owner is never moved to another by a connect (connections/ownership.py); bodies
are bounded (web/limits.py); every page gets the headers of web/security.py. docs/oauth.md.
"""

from __future__ import annotations

import html
import json
import logging
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import uvicorn
from sqlalchemy.dialects.postgresql import insert as pg_insert
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ig_pipeline.config import Settings, _is_local, load_settings
from ig_pipeline.connections.crypto import TokenCipher
from ig_pipeline.connections.ownership import links_revoked_before, store_connections
from ig_pipeline.connections.store import connection_row
from ig_pipeline.connections.store import owners as connection_owners
from ig_pipeline.graph.client import INSTAGRAM_GRAPH_URL, GraphClient
from ig_pipeline.graph.errors import ErrorClass, GraphError
from ig_pipeline.graph.tokens import TokenEndpoints
from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.database import get_engine, warehouse_url
from ig_pipeline.warehouse.upsert import bulk_upsert
from ig_pipeline.web import disconnect as disconnect_pages
from ig_pipeline.web.limits import BodyTooLarge, same_secret, signed_webhook_body
from ig_pipeline.web.links import LinkRejected, verify_link
from ig_pipeline.web.security import SecurityHeaders
from ig_pipeline.web.state import COOKIE, STATE_TTL_S, StateRejected, StateStore
from ig_pipeline.web.style import STYLE_TAG
from ig_pipeline.web.webhooks import comment_rows, mention_rows, story_insight_rows

log = logging.getLogger(__name__)

# instagram_manage_comments is asked for but optional: without it only the comments sync fails for that account.
SCOPES = ("instagram_basic", "instagram_manage_insights", "pages_show_list", "pages_read_engagement",
          "business_management", "instagram_manage_comments")
REQUIRED_SCOPES = {"instagram_basic", "instagram_manage_insights"}
NODE_FIELDS = "id,username,name,account_type,profile_picture_url"
LOGIN_TYPES = ("facebook", "instagram")
INSTAGRAM_SCOPES = ("instagram_business_basic", "instagram_business_manage_insights", "instagram_business_manage_comments")
INSTAGRAM_REQUIRED = {"instagram_business_basic", "instagram_business_manage_insights"}
INSTAGRAM_ME_FIELDS = "user_id,username,name,account_type,profile_picture_url"
PROFESSIONAL = {"BUSINESS", "MEDIA_CREATOR"}
PERSONAL_ACCOUNT = ("This Instagram account is a personal account. Only Business and Creator accounts have "
                    "insights: switch it to a professional account in the Instagram app (Settings → Account type "
                    "and tools) and connect again.")
MISSING_PERMISSIONS = ("Missing permissions: the app needs Instagram basic access and insights. Connect again "
                       "and keep every permission ticked (the app's Instagram permissions must also be approved "
                       "in Meta's App Review).")
CONNECTED_ELSEWHERE = ("Already connected by another owner of this service. An account belongs to the first "
                       "owner who connected it and a connect never moves it. If it should be yours, ask the "
                       "service's operator for a transfer (they confirm with the current owner first).")
NO_BUSINESS_ACCOUNT = ("No Instagram Business Account found. Ensure the Instagram account is set to Business or "
                       "Creator (personal accounts are not supported), connect it to a Facebook Page, and make sure "
                       "you selected that Page when connecting.")


HOME_INTRO = ("This service reads the insights of Instagram Business and Creator accounts (reach, views, "
              "followers, posts and stories) for the analytics of the team that sent you here.")
HOME_HOW = ("To connect an account, open the personal connect link you received from that team; it signs you "
            "in with Facebook or Instagram and asks for read-only permissions. You can disconnect at any time.")


def page(status: int, title: str, *paragraphs: str, items: list[str] = ()) -> HTMLResponse:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    if items:
        body += "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
    return HTMLResponse(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                        f"<meta name='viewport' content='width=device-width'>{STYLE_TAG}</head>"
                        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>", status_code=status)


def dialog_url(settings: Settings) -> str:
    base = settings.graph_url if _is_local(settings.graph_url) else "https://www.facebook.com"
    return f"{base}/{settings.graph_version}/dialog/oauth"


def instagram_authorize_url(settings: Settings) -> str:
    base = settings.graph_url if _is_local(settings.graph_url) else "https://www.instagram.com"
    return f"{base}/oauth/authorize"


def instagram_oauth_url(settings: Settings) -> str:
    """Where Instagram Login codes are exchanged (api.instagram.com; the simulator serves it too)."""
    return settings.graph_url if _is_local(settings.graph_url) else "https://api.instagram.com"


def graph_client_for(settings: Settings, app_secret: str | None) -> GraphClient:
    """The Graph client for one sign-in (use ``async with``); the simulator serves both roots when local."""
    local = _is_local(settings.graph_url)
    return GraphClient(base_url=settings.graph_url, instagram_base_url=settings.graph_url if local else INSTAGRAM_GRAPH_URL,
                       version=settings.graph_version, app_secret=app_secret)


def create_app(settings: Settings | None = None, database_url: str | None = None) -> Starlette:
    settings = settings or load_settings()
    for name in ("app_id", "app_secret", "redirect_uri", "token_keys"):
        settings.require(name)
    cipher = TokenCipher.from_settings(settings)
    trust_header = os.environ.get("IG_TRUST_PROXY_HEADER") == "1"

    def engine():
        return get_engine(database_url or warehouse_url(settings))

    states = StateStore(settings, engine)

    def revoked_before(owner: str):
        with engine().connect() as conn:
            return links_revoked_before(conn, owner)

    def owner_of(request: Request, link: str | None) -> str:
        """Blocking (reads revocations): call from a worker thread."""
        if trust_header and request.headers.get("x-ig-owner"):
            return request.headers["x-ig-owner"]
        if not link:
            raise LinkRejected("Open this page through your connect link.")
        return verify_link(link, settings, revoked_before)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def home(request: Request) -> Response:
        return page(200, "Connect your Instagram account", HOME_INTRO, HOME_HOW)

    async def connect(request: Request) -> Response:
        try:
            owner = await run_in_threadpool(owner_of, request, request.query_params.get("link"))
        except LinkRejected as exc:
            return page(403, "Cannot connect", str(exc))
        login = request.query_params.get("login", "facebook")
        if login not in LOGIN_TYPES:
            return page(400, "Cannot connect", "Unknown login type: use login=facebook or login=instagram.")
        state, nonce = states.issue(owner, login)
        if login == "instagram":
            query = urlencode({"client_id": settings.require("instagram_app_id"), "redirect_uri": settings.redirect_uri,
                               "state": state, "response_type": "code", "scope": ",".join(INSTAGRAM_SCOPES)})
            target = f"{instagram_authorize_url(settings)}?{query}"
        else:
            query = urlencode({"client_id": settings.app_id, "redirect_uri": settings.redirect_uri, "state": state,
                               "response_type": "code", "scope": ",".join(SCOPES)})
            target = f"{dialog_url(settings)}?{query}"
        response = RedirectResponse(target, status_code=302)
        response.set_cookie(COOKIE, nonce, max_age=STATE_TTL_S, httponly=True, samesite="lax",
                            secure=settings.oauth_public_url.startswith("https://"), path="/instagram")
        return response

    async def callback(request: Request) -> Response:
        params = request.query_params
        try:
            owner, login = await run_in_threadpool(states.consume, params.get("state"), request.cookies.get(COOKIE))
        except StateRejected as exc:  # the cookie stays: a forged callback must not end a genuine sign-in
            return page(400, "Connection failed", str(exc))
        response = await _finish_callback(params, owner, login)
        response.delete_cookie(COOKIE, path="/instagram", httponly=True, samesite="lax",
                               secure=settings.oauth_public_url.startswith("https://"))
        return response

    async def _finish_callback(params, owner: str, login: str) -> Response:
        provider = "Instagram" if login == "instagram" else "Facebook"
        if params.get("error"):
            if params["error"] == "access_denied":
                return page(400, "Nothing was connected", f"You declined the permissions on {provider}, so no "
                            "account was connected. Use your connect link again to retry.")
            return page(400, "Nothing was connected", f"{provider} reported an error during sign-in.")
        if not params.get("code"):
            return page(400, "Connection failed", "The sign-in response has no authorization code.")
        try:
            if login == "instagram":
                connected, notes = await _connect_instagram(params["code"], owner)
            else:
                connected, notes = await _connect_accounts(params["code"], owner)
        except GraphError as exc:
            log.warning("OAuth callback failed: %s (code %s)", exc.error_class, exc.code)
            if exc.error_class in (ErrorClass.TRANSIENT, ErrorClass.RATE_LIMITED):
                return page(502, "Instagram did not answer", f"{provider}'s servers did not complete the "
                            "connection. Nothing was saved; please try again in a few minutes.")
            return page(400, "Connection failed", "The sign-in code is invalid, expired or was already used. "
                        "Nothing was saved; use your connect link again.")
        except _Refused as exc:
            return page(exc.status, "Nothing was connected", str(exc), items=exc.items)
        if not connected:
            return page(409, "Already connected elsewhere", CONNECTED_ELSEWHERE, *notes)
        return page(200, "Instagram connected", "These accounts are now connected; their analytics will be "
                    "collected automatically.", *notes, items=connected)

    async def _connect_accounts(code: str, owner: str) -> tuple[list[str], list[str]]:
        secret, app_id = settings.app_secret, settings.app_id
        async with graph_client_for(settings, settings.app_secret) as graph_client:
            client = TokenEndpoints(graph_client)
            short = await client.exchange_code(code, settings.redirect_uri, app_id, secret)
            long = await client.exchange_long_lived(short["access_token"], app_id, secret)
            token = long["access_token"]
            info = await client.debug_token(token, app_id, secret)
            scopes = set(info.get("scopes") or [])
            if not REQUIRED_SCOPES <= scopes:
                raise _Refused(403, MISSING_PERMISSIONS)
            pages = await client.pages(token)
            if not pages:
                raise _Refused(400, "No Facebook Pages were shared. " + NO_BUSINESS_ACCOUNT)
            rows, notes = [], []
            now = datetime.now(UTC)
            for fb_page in pages:
                linked = (fb_page.get("instagram_business_account") or {}).get("id")
                if not linked:
                    notes.append(f"The Page “{fb_page.get('name', fb_page.get('id'))}” has no Instagram Business "
                                 "or Creator account linked; it was skipped.")
                    continue
                node = await client.ig_user(str(linked), token, NODE_FIELDS)
                rows.append(connection_row(
                    ig_user_id=str(linked), owner_id=owner, login_type="facebook", profile=node, page=fb_page,
                    fb_user_id=str(info.get("user_id") or "") or None, token_encrypted=cipher.encrypt(token),
                    scopes=scopes, now=now, token_expires_at=_instant(info.get("expires_at")),
                    data_access_expires_at=_instant(info.get("data_access_expires_at"))))
        if not rows:
            raise _Refused(400, NO_BUSINESS_ACCOUNT, items=notes)
        stored, refused = await run_in_threadpool(_store, rows)
        log.info("owner connected %d Instagram account(s); %d owned by another owner refused",
                 len(stored), len(refused))
        notes += [f"@{r['username'] or r['ig_user_id']} was not connected: {CONNECTED_ELSEWHERE}" for r in refused]
        return [f"@{r['username'] or r['ig_user_id']} (Facebook Page: {r['page_name']})" for r in stored], notes

    async def _connect_instagram(code: str, owner: str) -> tuple[list[str], list[str]]:
        """Instagram Login: code → short-lived → long-lived (60 days, refreshable) token → the account."""
        secret = settings.require("instagram_app_secret")
        # Calls made with Instagram Login tokens are signed with the Instagram app's secret.
        async with graph_client_for(settings, settings.instagram_app_secret) as graph_client:
            client = TokenEndpoints(graph_client)
            short = await client.ig_exchange_code(code, settings.redirect_uri, settings.require("instagram_app_id"),
                                                  secret, instagram_oauth_url(settings))
            granted = short.get("permissions") or ""
            scopes = set(granted if isinstance(granted, list) else str(granted).split(","))
            if not INSTAGRAM_REQUIRED <= scopes:
                raise _Refused(403, MISSING_PERMISSIONS)
            long = await client.ig_exchange_token(short["access_token"], secret)
            token = long["access_token"]
            node = await client.ig_user("me", token, INSTAGRAM_ME_FIELDS, login_type="instagram")
        if node.get("account_type") not in PROFESSIONAL:
            raise _Refused(400, PERSONAL_ACCOUNT)
        now = datetime.now(UTC)
        expires_in = _seconds(long.get("expires_in"))
        row = connection_row(
            ig_user_id=str(node.get("user_id") or short.get("user_id")), owner_id=owner, login_type="instagram",
            profile=node, token_encrypted=cipher.encrypt(token), scopes=scopes, now=now,
            token_expires_at=now + timedelta(seconds=expires_in) if expires_in else None)
        stored, _ = await run_in_threadpool(_store, [row])
        if not stored:
            log.info("Instagram Login connect refused: the account belongs to another owner")
            return [], []
        log.info("owner connected 1 Instagram account (Instagram Login)")
        return [f"@{row['username'] or row['ig_user_id']} (Instagram Login)"], []

    def _store(rows: list[dict]) -> tuple[list[dict], list[dict]]:
        with engine().begin() as conn:
            return store_connections(conn, rows)

    async def webhook_verify(request: Request) -> Response:
        params = request.query_params
        expected = settings.require("webhook_verify_token")
        if params.get("hub.mode") == "subscribe" and same_secret(params.get("hub.verify_token"), expected):
            return PlainTextResponse(params.get("hub.challenge", ""))
        return PlainTextResponse("verification failed", status_code=403)

    async def webhook(request: Request) -> Response:
        try:
            body = await signed_webhook_body(request, settings.app_secret)
        except BodyTooLarge as exc:
            return PlainTextResponse(str(exc), status_code=413, headers={"Connection": "close"})
        if body is None:
            return PlainTextResponse("bad signature", status_code=403, headers={"Connection": "close"})
        try:
            payload = json.loads(body)
            entries = payload["entry"] if isinstance(payload, dict) else None
            if not isinstance(entries, list):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("malformed JSON payload", status_code=400)
        stored = await run_in_threadpool(_store_story_insights, entries)
        return PlainTextResponse(f"stored {stored}")

    def _store_story_insights(entries: list) -> int:
        """story_insights, comments and mentions fields, in one transaction (idempotent: a redelivery
        rewrites the same rows; a mention keeps the instant it first arrived)."""
        with engine().begin() as conn:
            owners, now = connection_owners(conn), datetime.now(UTC)
            stored = bulk_upsert(conn, schema.instagram_story_insights, story_insight_rows(entries, owners, now))
            stored += bulk_upsert(conn, schema.instagram_media_comment,
                                  comment_rows(entries, owners, now, settings.comment_text))
            mentions = mention_rows(entries, owners, now)
            if mentions:
                stored += conn.execute(pg_insert(schema.instagram_mention).on_conflict_do_nothing(), mentions).rowcount
            return stored

    confirm, disconnect = disconnect_pages.handlers(settings, engine, owner_of, page)
    # No trailing-slash redirect: Starlette builds its Location from the Host header.
    app = Starlette(routes=[
        Route("/", home),
        Route("/healthz", healthz),
        Route("/instagram/connect", connect),
        Route("/instagram/callback", callback),
        Route("/instagram/disconnect", confirm, methods=["GET"]),
        Route("/instagram/disconnect", disconnect, methods=["POST"]),
        Route("/webhooks/instagram", webhook_verify, methods=["GET"]),
        Route("/webhooks/instagram", webhook, methods=["POST"]),
    ])
    app.router.redirect_slashes = False
    app.add_middleware(SecurityHeaders)
    return app


class _Refused(Exception):
    def __init__(self, status: int, message: str, items: list[str] = ()):
        super().__init__(message)
        self.status, self.items = status, list(items)


def _instant(epoch) -> datetime | None:
    """debug_token times: Unix seconds, 0 meaning never."""
    try:
        return datetime.fromtimestamp(int(epoch), UTC) if epoch and int(epoch) > 0 else None
    except (TypeError, ValueError, OverflowError):
        return None


def _seconds(value) -> int | None:
    try:
        return int(value) if value and int(value) > 0 else None
    except (TypeError, ValueError):
        return None


def serve(host: str, port: int) -> None:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise OSError(f"port {port} on {host} is already in use; choose another with --port") from None
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


