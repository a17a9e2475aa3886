"""A tiny in-process Graph API for client mechanics tests (httpx.MockTransport): routes are
functions of (path, params) returning (status, body[, headers]); every request is logged."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx

from ig_pipeline.graph.client import GraphClient


def run(coro):
    return asyncio.run(coro)


class FakeTime:
    """Injected sleeper + monotonic clock: sleeping advances the clock, nothing really waits."""

    def __init__(self):
        self.now, self.slept = 0.0, []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def error(code, message="(#x) error", subcode=None, status=400, transient=None):
    body = {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A"}}
    if subcode is not None:
        body["error"]["error_subcode"] = subcode
    if transient is not None:
        body["error"]["is_transient"] = transient
    return status, body


class FakeGraph:
    def __init__(self, handler: Callable):
        self.handler = handler
        self.requests: list[dict] = []  # {"path", "params", "headers", "batch"}

    def _dispatch(self, path: str, params: dict, headers: dict):
        self.requests.append({"path": path, "params": params, "headers": headers})
        result = self.handler(path, params)
        if isinstance(result, Exception):
            raise result
        return result if len(result) == 3 else (*result, {})

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            path = request.url.path.split("/", 2)[-1] if request.url.path.startswith("/v") else request.url.path[1:]
            params = dict(request.url.params)
            headers = dict(request.headers)
            if request.method == "POST":
                form = dict(parse_qsl(request.content.decode()))
                self.requests.append({"path": "<batch>", "params": form, "headers": headers})
                out = []
                for item in json.loads(form["batch"]):
                    parts = urlsplit(item["relative_url"])
                    item_path = parts.path.split("/", 1)[1]
                    try:
                        status, body, extra = self._dispatch(item_path, dict(parse_qsl(parts.query)), {})
                    except Exception:
                        out.append(None)
                        continue
                    if body == "NULL":
                        out.append(None)
                        continue
                    out.append({"code": status, "headers": [{"name": k, "value": v} for k, v in extra.items()],
                                "body": body if isinstance(body, str) else json.dumps(body)})
                return httpx.Response(200, json=out)
            status, body, extra = self._dispatch(path, params, headers)
            content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            return httpx.Response(status, content=content, headers=extra)

        return httpx.MockTransport(handle)

    def client(self, time: FakeTime | None = None, **options) -> GraphClient:
        time = time or FakeTime()
        defaults = dict(base_url="https://graph.test", instagram_base_url="https://ig.test", version="v24.0",
                        app_secret="app-secret-xyz", backoff_base_s=0.5)
        return GraphClient(**(defaults | options), sleep=time.sleep, clock=time.clock, transport=self.transport())

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]
