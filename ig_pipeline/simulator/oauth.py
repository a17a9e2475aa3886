"""Token endpoints: ``/oauth/access_token`` (code, ``fb_exchange_token``, ``client_credentials``,
Instagram Login code), ``/access_token``, ``/refresh_access_token`` and ``/debug_token``."""

from __future__ import annotations

from ig_pipeline.simulator.auth import authenticate, fmt_expiry
from ig_pipeline.simulator.context import Ctx
from ig_pipeline.simulator.days import DAY
from ig_pipeline.simulator.errors import GraphError, param_error
from ig_pipeline.simulator.tokens import DATA_ACCESS_S, LONG_S, Token


def _check_app(sim, p: dict, need_secret: bool = True) -> None:
    if p.get("client_id") is not None and p.get("client_id") != sim.app_id:
        raise GraphError(101, "Error validating application. Invalid application ID.")
    if need_secret and p.get("client_secret") != sim.app_secret:
        raise GraphError(100, "Error validating client secret.", 36010 - 1)


def oauth_access_token(sim, ctx: Ctx) -> dict:
    p, now = ctx.params, ctx.now
    grant = p.get("grant_type")
    if grant == "fb_exchange_token":
        if not p.get("client_id"):
            raise param_error("Missing client_id parameter.")
        _check_app(sim, p)
        short = p.get("fb_exchange_token")
        tok = sim.codec.parse(short)
        if tok is None or tok.kind != "user":
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
        if tok.expires and now > tok.expires:
            raise GraphError(190, f"Error validating access token: Session has expired on "
                                  f"{fmt_expiry(tok.expires)}. The current time is {fmt_expiry(now)}.", 463)
        token, life = sim.mint_user(tok.fb_user_id, long=True, scopes=tok.scopes)
        return {"access_token": token, "token_type": "bearer", "expires_in": life}
    if grant == "client_credentials":
        _check_app(sim, p)
        return {"access_token": sim.app_token(), "token_type": "bearer"}
    if grant not in (None, "authorization_code"):
        raise param_error(f"Unsupported grant_type: {grant}")
    for name in ("client_id", "redirect_uri", "client_secret", "code"):
        if not p.get(name):
            raise param_error(f"Missing {name} parameter.")
    _check_app(sim, p)
    code = sim.codes.get(p["code"])
    if code is None or "fb_user_id" not in code:  # an Instagram Login code is not a Facebook one
        raise GraphError(100, "Invalid verification code format.", 36009)
    if code["used"]:
        raise GraphError(100, "This authorization code has been used.", 36009)
    if now > code["issued"] + 600:
        raise GraphError(100, "This authorization code has expired.", 36007)
    if p["redirect_uri"] != code["redirect_uri"]:
        raise GraphError(100, "Error validating verification code. Please make sure your redirect_uri is "
                              "identical to the one you used in the OAuth dialog request", 36008)
    code["used"] = True
    token, life = sim.mint_user(code["fb_user_id"], long=False, scopes=code["granted"])
    return {"access_token": token, "token_type": "bearer", "expires_in": life}


def ig_exchange(sim, ctx: Ctx) -> dict:
    p = ctx.params
    if p.get("grant_type") != "ig_exchange_token":
        raise param_error("Unsupported grant_type, expected ig_exchange_token")
    if p.get("client_secret") != sim.app_secret:
        raise GraphError(100, "Error validating client secret.")
    tok = authenticate(sim, ctx)
    if tok.kind != "ig":
        raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
    now = int(ctx.now)
    token = sim.codec.mint("ig", ig_user_id=tok.ig_user_id, issued=now, expires=now + LONG_S, long=True,
                           scopes=tok.scopes)
    return {"access_token": token, "token_type": "bearer", "expires_in": LONG_S}


def ig_refresh(sim, ctx: Ctx) -> dict:
    p = ctx.params
    if p.get("grant_type") != "ig_refresh_token":
        raise param_error("Unsupported grant_type, expected ig_refresh_token")
    tok = authenticate(sim, ctx)
    if tok.kind != "ig" or not tok.long:
        raise param_error("Only long-lived Instagram User tokens can be refreshed")
    if ctx.now - tok.issued < DAY:
        raise param_error("The access token can only be refreshed after it is at least 24 hours old")
    now = int(ctx.now)
    token = sim.codec.mint("ig", ig_user_id=tok.ig_user_id, issued=now, expires=now + LONG_S, long=True,
                           scopes=tok.scopes)
    return {"access_token": token, "token_type": "bearer", "expires_in": LONG_S}


def debug_token(sim, ctx: Ctx) -> dict:
    p = ctx.params
    if ctx.token_raw != sim.app_token():
        tok = sim.codec.parse(ctx.token_raw)
        if tok is None:
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
    raw = p.get("input_token")
    if not raw:
        raise param_error("The parameter input_token is required")
    tok = sim.codec.parse(raw)
    base = {"app_id": sim.app_id, "application": "IG Pipeline Simulator"}
    if tok is None:
        return {"data": {**base, "error": {"code": 190, "message": "Invalid OAuth access token - Cannot parse "
                                                                   "access token"},
                         "is_valid": False, "scopes": []}}
    probe = Ctx(ctx.version, ctx.now, ctx.base, {}, raw)
    err = None
    try:
        saved = sim.config.require_appsecret_proof
        sim.config.require_appsecret_proof = False
        try:
            authenticate(sim, probe)
        finally:
            sim.config.require_appsecret_proof = saved
    except GraphError as e:
        err = e
    ig_ids, page_ids = _targets(sim, tok)
    kind = {"user": "USER", "page": "PAGE", "ig": "USER"}[tok.kind]
    scopes = list(tok.granted())
    data = {**base, "type": kind, "data_access_expires_at": tok.issued + DATA_ACCESS_S,
            "expires_at": tok.expires, "is_valid": err is None, "issued_at": tok.issued, "scopes": scopes,
            "granular_scopes": [{"scope": s, "target_ids": ig_ids if s.startswith("instagram") else page_ids}
                                for s in scopes], "user_id": tok.ig_user_id if tok.kind == "ig" else tok.fb_user_id}
    if tok.kind == "page":
        data["profile_id"] = tok.page_id
    if err is not None:
        data["error"] = {"code": err.code, "message": err.message, "subcode": err.subcode}
    return {"data": data}


def _targets(sim, tok: Token) -> tuple[list[str], list[str]]:
    if tok.kind == "ig":
        return [tok.ig_user_id], []
    user = sim.world.fb_by_id.get(tok.fb_user_id)
    pages = [pg for pg in (user.pages if user else []) if tok.kind == "user" or pg.id == tok.page_id]
    return [pg.ig_id for pg in pages if pg.ig_id], [pg.id for pg in pages]
