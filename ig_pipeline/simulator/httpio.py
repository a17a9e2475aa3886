"""HTTP plumbing: request parameters, the bearer token, JSON responses, redaction for the request log,
and the dropped connection of the ``reset`` fault."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ResetConnection(Exception):
    """Raised to drop the connection mid-response (fault ``reset``)."""


REDACT = {"access_token", "client_secret", "fb_exchange_token", "input_token", "appsecret_proof", "code"}


def redact(params: dict) -> dict:
    return {k: ("[redacted]" if k in REDACT else v) for k, v in params.items()}


def token_from(request: Request, params: dict) -> str | None:
    token = params.get("access_token")
    if token:
        return token
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") or auth.lower().startswith("oauth "):
        return auth.split(" ", 1)[1].strip()
    return None


def json_response(status: int, body, headers: dict | None = None) -> Response:
    if isinstance(body, str):
        content = body.encode()
    else:
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content, status_code=status, headers=headers,
                    media_type="application/json; charset=UTF-8")


class ResetCatcher:
    """Swallows ResetConnection so uvicorn drops the half-sent response (the client sees a broken read)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        try:
            await self.app(scope, receive, send)
        except ResetConnection:
            return


class ResetResponse(Response):
    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"data":[', "more_body": True})
        raise ResetConnection()


async def read_params(request: Request) -> dict:
    """Query parameters, plus a POST body's form, urlencoded or JSON fields (an unreadable body counts as empty)."""
    params = dict(request.query_params)
    if request.method == "POST":
        ctype = request.headers.get("content-type", "")
        try:
            if ctype.startswith("multipart/"):
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
            else:
                raw = (await request.body()).decode("utf-8", "replace")
                if ctype.startswith("application/json"):
                    body = json.loads(raw or "{}")
                    if isinstance(body, dict):
                        params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
                else:
                    params.update(dict(parse_qsl(raw, keep_blank_values=True)))
        except Exception:  # noqa: BLE001 - a body we cannot read is treated as empty
            pass
    return params


def bad_request(message: str, status: int = 400) -> JSONResponse:
    """An ``/_sim`` admin error (plain JSON, not a Graph error envelope)."""
    return JSONResponse({"error": message}, status_code=status)


async def json_body(request: Request) -> dict:
    """An ``/_sim`` request's JSON object body; anything else counts as ``{}``."""
    try:
        body = await request.json()
    except Exception:  # noqa: BLE001
        return {}
    return body if isinstance(body, dict) else {}
