"""Batch requests (``POST /`` with ``batch``)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

from starlette.responses import Response

from ig_pipeline.simulator.calls import Item, run_item
from ig_pipeline.simulator.days import iso
from ig_pipeline.simulator.errors import GraphError, param_error
from ig_pipeline.simulator.httpio import ResetResponse, json_response, redact
from ig_pipeline.simulator.params import parse_version


async def run_batch(sim, version, params, token_raw, base, path, now) -> Response:
    """``POST /`` with ``batch``: up to 50 operations, one HTTP response holding each one's answer."""
    try:
        ops = json.loads(params["batch"])
    except (ValueError, TypeError):
        ops = None
    error = None
    if not isinstance(ops, list):
        error = param_error("The parameter batch must be a JSON-encoded array")
    elif not ops:
        error = param_error("The parameter batch must contain at least one request")
    elif len(ops) > 50:
        error = GraphError(1, "Too many requests in batch message. Maximum batch size is 50", status=400)
    if error is None and token_raw is None and not any(
            isinstance(o, dict) and "access_token" in str(o.get("relative_url", "")) for o in ops):
        error = GraphError(104, "An access token is required to request this resource.")
    if error is not None:
        sim.record({"at": iso(now), "method": "POST", "path": path, "params": redact(params), "account": None,
                    "counted_calls": 1, "status": error.status, "error_code": error.code})
        return json_response(error.status, error.envelope(sim.trace()))
    include_headers = str(params.get("include_headers", "true")).lower() != "false"
    results, logged, total, reset, accounts = [], [], 0, False, {}
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("relative_url"), str):
            err = param_error("Each batch operation must be an object with a relative_url")
            results.append({"code": 400, **({"headers": []} if include_headers else {}),
                            "body": json.dumps(err.envelope(sim.trace()))})
            total += 1
            logged.append({"path": None, "status": 400, "error_code": 100, "account": None, "counted_calls": 1})
            continue
        method = str(op.get("method", "GET")).upper()
        split = urlsplit(op["relative_url"].lstrip("/"))
        item_params = dict(parse_qsl(split.query, keep_blank_values=True))
        if isinstance(op.get("body"), str):
            item_params.update(dict(parse_qsl(op["body"], keep_blank_values=True)))
        segs = [s for s in split.path.split("/") if s]
        item_version, rest, bad = parse_version(segs)
        if not segs or not segs[0].startswith("v"):
            item_version, rest = version, segs
        item_token = item_params.get("access_token") or token_raw
        if "appsecret_proof" not in item_params and "appsecret_proof" in params:
            item_params["appsecret_proof"] = params["appsecret_proof"]
            if "appsecret_time" in params:
                item_params["appsecret_time"] = params["appsecret_time"]
        item_path = f"/v{item_version}.0/{'/'.join(rest)}"
        if bad is not None:
            err = GraphError(12, f"(#12) Unsupported version {bad}")
            item = Item(400, err.envelope(sim.trace()), {}, None, 1, 12)
        else:
            item = await run_item(sim, method, item_version, rest, item_params, item_token, base,
                                  in_batch=True, path=item_path)
        total += item.counted
        reset = reset or item.reset
        logged.append({"path": item_path, "params": redact(item_params), "account": item.account,
                       "counted_calls": item.counted, "status": None if item.null else item.status,
                       "error_code": item.error_code})
        if item.null:
            results.append(None)
            continue
        if item.account and "X-Business-Use-Case-Usage" in item.headers:
            accounts.update(json.loads(item.headers["X-Business-Use-Case-Usage"]))
        body = item.body if isinstance(item.body, str) else json.dumps(item.body, separators=(",", ":"),
                                                                      ensure_ascii=False)
        entry = {"code": item.status}
        if include_headers:
            entry["headers"] = [{"name": "Content-Type", "value": "application/json; charset=UTF-8"}] + [
                {"name": k, "value": v} for k, v in item.headers.items()]
        entry["body"] = body
        results.append(entry)
    first = next((entry["account"] for entry in logged if entry.get("account")), None)
    sim.record({"at": iso(now), "method": "POST", "path": path, "params": redact(
        {k: v for k, v in params.items() if k != "batch"}), "account": first, "counted_calls": total,
        "status": 200, "error_code": None, "batch": logged})
    if reset:
        return ResetResponse()
    headers = {"X-App-Usage": sim.app_usage_header(now)}
    if accounts:
        headers["X-Business-Use-Case-Usage"] = json.dumps(dict(list(accounts.items())[:32]),
                                                          separators=(",", ":"))
    return json_response(200, results, headers)
