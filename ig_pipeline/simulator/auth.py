"""Access-token checks of a Graph call: parse, expiry, revocation, data access, appsecret_proof, and
which accounts a token may see."""

from __future__ import annotations

import hashlib
import hmac
import time as _time
from datetime import datetime

from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.days import PT
from ig_pipeline.simulator.errors import GraphError, param_error
from ig_pipeline.simulator.tokens import DATA_ACCESS_S, Token


def fmt_expiry(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, PT).strftime("%A, %d-%b-%y %H:%M:%S %Z")


def authenticate(sim, ctx: Ctx) -> Token:
    raw = ctx.token_raw
    if not raw:
        raise GraphError(104, "An access token is required to request this resource.")
    tok = sim.codec.parse(raw)
    if tok is None:
        raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
    now = ctx.now
    if tok.expires and now > tok.expires:
        raise GraphError(190, f"Error validating access token: Session has expired on "
                              f"{fmt_expiry(tok.expires)}. The current time is {fmt_expiry(now)}.", 463)
    for subject in (tok.fb_user_id, tok.ig_user_id):
        if subject and sim.revoked.get(subject, -1) >= tok.issued:
            raise GraphError(190, "Error validating access token: The user has not authorized application "
                                  f"{sim.app_id}.", 467)
    if tok.kind != "page" and now > tok.issued + DATA_ACCESS_S:
        raise GraphError(190, "Error validating access token: Data access has expired for this user.", 463)
    if sim.config.require_appsecret_proof:
        check_proof(sim, ctx, raw)
    ctx.token = tok
    return tok


def check_proof(sim, ctx: Ctx, raw: str) -> None:
    proof, t = ctx.params.get("appsecret_proof"), ctx.params.get("appsecret_time")
    if not proof:
        raise param_error("API calls from the server require an appsecret_proof argument")
    key = sim.app_secret.encode()
    if t:
        good = hmac.new(key, f"{raw}|{t}".encode(), hashlib.sha256).hexdigest()
        try:
            fresh = abs(_time.time() - int(t)) <= 300
        except ValueError:
            fresh = False
        if not fresh or not hmac.compare_digest(good, proof):
            raise param_error("Invalid appsecret_proof provided in the API argument")
    else:
        good = hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(good, proof):
            raise param_error("Invalid appsecret_proof provided in the API argument")


def can_see(sim, tok: Token, account) -> bool:
    if sim.revoked.get(account.id, -1) >= tok.issued:
        raise GraphError(190, "Error validating access token: The user has not authorized application "
                              f"{sim.app_id}.", 467)
    if tok.kind == "ig":
        return tok.ig_user_id == account.id
    if tok.kind == "page":
        return tok.page_id == account.page_id
    return tok.fb_user_id == account.fb_user_id
