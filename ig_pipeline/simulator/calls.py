"""One Graph call, alone or inside a batch: faults, Platform and Business Use Case limits, dispatch,
and the error envelope; the result is an ``Item`` the HTTP layer turns into a response."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.discovery import is_business_discovery
from ig_pipeline.simulator.errors import GraphError
from ig_pipeline.simulator.faults import FAULT_ERRORS, HANG_S, buc_error, match_fault
from ig_pipeline.simulator.hashtags import is_platform_call
from ig_pipeline.simulator.router import dispatch, resolve_account
from ig_pipeline.simulator.state import Simulator

log = logging.getLogger(__name__)


@dataclass
class Item:
    status: int = 200
    body: object = None  # dict/list, or a raw str (malformed)
    headers: dict = field(default_factory=dict)
    account: str | None = None
    counted: int = 1
    error_code: int | None = None
    null: bool = False
    reset: bool = False
    hang: bool = False


async def run_item(sim: Simulator, method: str, version: int, segs: list[str], params: dict,
                   token_raw: str | None, base: str, *, in_batch: bool, path: str) -> Item:
    now = sim.now()
    item = Item()
    ctx = Ctx(version, now, base, params, token_raw)
    account = None
    try:
        account = resolve_account(sim, segs, token_raw, now)
        item.account = account
        has_metric = bool(params.get("metric")) or "insights.metric(" in params.get("fields", "")
        fault = match_fault(sim, account, path, in_batch, has_metric) if sim.faults else None
        if fault is not None:
            kind = fault["kind"]
            if kind == "hang":
                item.hang = True
                try:
                    await asyncio.sleep(HANG_S)
                except asyncio.CancelledError:  # server shutting down
                    item.reset = True
                    return item
            elif kind == "reset":
                item.reset = True
            elif kind == "batch_null":
                item.null = True
                return item
            elif kind in FAULT_ERRORS:
                raise FAULT_ERRORS[kind]()
            elif kind == "rate_limit_80002":
                raise buc_error(1)
            elif kind == "unsupported_metric":
                if not fault.get("metric"):
                    names = params.get("metric") or params.get("fields", "").split("insights.metric(")[-1].split(")")[0]
                    fault["metric"] = [n for n in names.split(",") if n][-1]
                ctx.fault_metric = fault["metric"]
            elif kind in ("malformed_json", "truncated_page"):
                item.body = kind
        platform = is_business_discovery(params) or is_platform_call(sim, segs)
        if platform:  # Business Discovery and hashtag search run under Platform limits (200 calls/hour per user)
            if sim.app_calls.get(int(now // 3600), 0) >= sim.platform_capacity():
                raise GraphError(4, "(#4) Application request limit reached", status=403, transient=True)
            account = item.account = None
            sim.count_app_call(now)
        if account and sim.buc.throttled(account, now):
            raise buc_error(sim.buc.minutes_to_regain(account, now))
        body = await dispatch(sim, ctx, method, segs)
        item.counted = 1 + ctx.nested
        if item.body == "malformed_json":
            item.body = '{"data": [{"id": "1"}, oops not json'
        elif item.body == "truncated_page":
            text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
            item.body = text[:max(1, len(text) // 2)]
        else:
            item.body = body
    except GraphError as e:
        item.status, item.body, item.error_code = e.status, e.envelope(sim.trace()), e.code
        if e.eta_minutes is not None and account:
            item.headers["X-Business-Use-Case-Usage"] = sim.buc.header(account, now, e.eta_minutes)
    except Exception:  # noqa: BLE001 - never a traceback to the client
        log.exception("simulator error on %s", path)
        err = GraphError(1, "An unknown error has occurred.", transient=True)
        item.status, item.body, item.error_code = 500, err.envelope(sim.trace()), 1
    if account:
        sim.buc.add(account, now, ctx.nested)  # BUC calls stay out of the app's Platform usage (Meta)
        item.headers.setdefault("X-Business-Use-Case-Usage", sim.buc.header(account, now))
    item.headers["X-App-Usage"] = sim.app_usage_header(now)
    return item
