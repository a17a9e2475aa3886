"""The Starlette application: the Graph endpoint (versions, login dialogs, token endpoints, batch,
single calls), the ``/_sim`` admin and truth routes, and the error and reset handling around them."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ig_pipeline.simulator.admin import ROUTES as ADMIN_ROUTES
from ig_pipeline.simulator.batch import run_batch
from ig_pipeline.simulator.calls import run_item
from ig_pipeline.simulator.days import iso
from ig_pipeline.simulator.dialog import handle, handle_ig_authorize, instagram_code_exchange
from ig_pipeline.simulator.engagement_truth import ROUTES as ENGAGEMENT_TRUTH_ROUTES
from ig_pipeline.simulator.errors import GraphError
from ig_pipeline.simulator.httpio import (
    ResetCatcher,
    ResetResponse,
    json_response,
    read_params,
    redact,
    token_from,
)
from ig_pipeline.simulator.metrics import VERSIONS
from ig_pipeline.simulator.params import parse_version
from ig_pipeline.simulator.public_truth import ROUTES as PUBLIC_TRUTH_ROUTES
from ig_pipeline.simulator.ratelimit import ROUTES as RATE_LIMIT_ROUTES
from ig_pipeline.simulator.state import Simulator
from ig_pipeline.simulator.truth_routes import ROUTES as TRUTH_ROUTES
from ig_pipeline.simulator.webhooks import ROUTES as WEBHOOK_ROUTES


async def graph_endpoint(request: Request) -> Response:
    sim = request.app.state.sim
    now = sim.now()
    path = request.url.path
    segs = [s for s in path.split("/") if s]
    params = await read_params(request)
    if sim.config.latency_ms:
        await asyncio.sleep(sim.config.latency_ms / 1000)
    version, rest, bad = parse_version(segs)
    base = str(request.base_url).rstrip("/")
    if bad is not None:
        err = GraphError(12, f"(#12) Unsupported version {bad}. Supported versions: "
                             f"{', '.join(f'v{v}.0' for v in VERSIONS)}")
        sim.record({"at": iso(now), "method": request.method, "path": path, "params": redact(params),
                    "account": None, "counted_calls": 1, "status": 400, "error_code": 12})
        return json_response(400, err.envelope(sim.trace()))
    if rest == ["dialog", "oauth"]:
        return await handle(sim, request, version, params)
    if rest == ["oauth", "authorize"]:
        return await handle_ig_authorize(sim, request, params)
    if rest == ["oauth", "access_token"] and request.method == "POST" and \
            params.get("grant_type") == "authorization_code":
        return await instagram_code_exchange(sim, path, params, now)
    token_raw = token_from(request, params)
    if request.method == "POST" and "batch" in params:
        return await run_batch(sim, version, params, token_raw, base, path, now)
    item = await run_item(sim, request.method, version, rest, params, token_raw, base, in_batch=False, path=path)
    sim.record({"at": iso(now), "method": request.method, "path": path, "params": redact(params),
                "account": item.account, "counted_calls": item.counted, "status": item.status,
                "error_code": item.error_code})
    if item.reset:
        return ResetResponse()
    return json_response(item.status, item.body, item.headers)


async def on_error(request: Request, exc: Exception) -> Response:
    err = GraphError(1, "An unknown error has occurred.", transient=True)
    return json_response(500, err.envelope(request.app.state.sim.trace()))


def create_app(config) -> Starlette:
    sim = Simulator(config)
    routes = (ADMIN_ROUTES + TRUTH_ROUTES + PUBLIC_TRUTH_ROUTES + ENGAGEMENT_TRUTH_ROUTES + WEBHOOK_ROUTES
              + RATE_LIMIT_ROUTES) + [
        Route("/{path:path}", graph_endpoint, methods=["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]),
    ]
    app = Starlette(routes=routes, exception_handlers={Exception: on_error},
                    middleware=[Middleware(ResetCatcher)])
    app.state.sim = sim
    return app
