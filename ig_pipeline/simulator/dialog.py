"""The Facebook Login dialog and the Instagram Login authorize page (HTML, Allow / Deny), their redirects,
and the Instagram Login code exchange (``POST /oauth/access_token``).

Both list the requested permissions as ticked checkboxes the user may untick, as Meta's dialogs do;
the code, and every token made from it, carries only what stayed ticked. A client that is not a
browser chooses the same way: it posts the form with ``permissions_form=1`` and a ``grant_<permission>``
field for each permission it keeps (without ``permissions_form`` everything requested is granted).
Each checkbox has its own name so that a one-value-per-name form reader submits every ticked box."""

from __future__ import annotations

import html
import secrets
from urllib.parse import urlencode, urlsplit

from starlette.responses import HTMLResponse, RedirectResponse, Response

from ig_pipeline.simulator.days import iso
from ig_pipeline.simulator.faults import FAULT_ERRORS, match_fault
from ig_pipeline.simulator.httpio import json_response, redact
from ig_pipeline.simulator.tokens import IG_SCOPES


def redirect_allowed(sim, uri: str) -> bool:
    if uri in sim.redirect_uris:
        return True
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")


def requested_scopes(scope: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.strip() for s in scope.replace(" ", ",").split(",") if s.strip()))


def granted_scopes(params: dict, requested: tuple[str, ...]) -> tuple[str, ...]:
    """The permissions left ticked in the posted form (all requested ones when no checkbox form was posted)."""
    if not params.get("permissions_form"):
        return requested
    return tuple(s for s in requested if params.get(f"grant_{s}"))


def _checkboxes(requested: tuple[str, ...]) -> str:
    boxes = "".join(f'<li><label><input type="checkbox" name="grant_{html.escape(s, quote=True)}" value="1" '
                    f"checked> {html.escape(s)}</label></li>" for s in requested)
    return f'<input type="hidden" name="permissions_form" value="1"><ul>{boxes}</ul>'


def _error_page(title: str, message: str) -> HTMLResponse:
    body = (f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>")
    return HTMLResponse(body, status_code=400)


async def handle(sim, request, version: int, params: dict):
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state")
    scope = params.get("scope", "")
    if client_id != sim.app_id:
        return _error_page("Invalid App ID", "The provided app ID does not look like a valid app ID.")
    if not redirect_uri or not redirect_allowed(sim, redirect_uri):
        return _error_page("URL Blocked", "This redirect failed because the redirect URI is not whitelisted in the "
                                          "app's Client OAuth Settings.")
    if request.method == "POST":
        decision = params.get("decision")
        sep = "&" if "?" in redirect_uri else "?"
        if decision == "allow":
            fb_user = params.get("fb_user")
            if fb_user not in sim.world.fb_by_id:
                return _error_page("Unknown user", "Choose a Facebook user.")
            code = "AQ" + secrets.token_urlsafe(48)
            sim.codes[code] = {"fb_user_id": fb_user, "redirect_uri": redirect_uri, "issued": sim.now(),
                               "used": False, "granted": granted_scopes(params, requested_scopes(scope))}
            query = {"code": code} | ({"state": state} if state is not None else {})
        else:
            query = {"error": "access_denied", "error_reason": "user_denied",
                     "error_description": "Permissions error"} | ({"state": state} if state is not None else {})
        return RedirectResponse(redirect_uri + sep + urlencode(query), status_code=302)
    chosen = params.get("sim_user")
    options = []
    for user in sim.world.fb_users:
        igs = [p.ig_id for p in user.pages if p.ig_id]
        label = f"{user.name} ({user.id}) — {len(user.pages)} Page(s), {len(igs)} Instagram account(s)"
        sel = " selected" if user.id == chosen else ""
        options.append(f'<option value="{html.escape(user.id)}"{sel}>{html.escape(label)}</option>')
    hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v or "", quote=True)}">'
                     for k, v in (("client_id", client_id), ("redirect_uri", redirect_uri),
                                  ("state", state or ""), ("scope", scope)))
    if state is None:
        hidden = hidden.replace('<input type="hidden" name="state" value="">', "")
    scopes = _checkboxes(requested_scopes(scope))
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Log in with Facebook (simulator)</title></head>
<body>
<h1>IG Pipeline Simulator wants to access your Pages and Instagram accounts</h1>
<form method="post" action="/v{version}.0/dialog/oauth">
{hidden}
{scopes}
<label>Continue as <select name="fb_user">{''.join(options)}</select></label>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>"""
    return HTMLResponse(page)


async def handle_ig_authorize(sim, request, params: dict):
    """Instagram Login authorize page (``/oauth/authorize``): pick an IG professional account."""
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state")
    scope = params.get("scope", "")
    if client_id != sim.app_id:
        return _error_page("Invalid app ID", "Invalid platform app")
    if not redirect_uri or not redirect_allowed(sim, redirect_uri):
        return _error_page("Invalid redirect_uri", "Invalid redirect_uri")
    if request.method == "POST":
        sep = "&" if "?" in redirect_uri else "?"
        if params.get("decision") == "allow" and params.get("ig_user") in sim.world.by_id:
            code = "AQB" + secrets.token_urlsafe(48)
            sim.codes[code] = {"ig_user_id": params["ig_user"], "redirect_uri": redirect_uri, "issued": sim.now(),
                               "used": False,
                               "granted": granted_scopes(params, requested_scopes(scope) or IG_SCOPES)}
            query = {"code": code} | ({"state": state} if state is not None else {})
        else:
            query = {"error": "access_denied", "error_reason": "user_denied",
                     "error_description": "The user denied your request."} | ({"state": state} if state else {})
        return RedirectResponse(redirect_uri + sep + urlencode(query) + "#_", status_code=302)
    options = "".join(f'<option value="{a.id}"{" selected" if a.id == params.get("sim_user") else ""}>'
                      f'{html.escape(a.username)} ({a.account_type})</option>' for a in sim.world.accounts)
    hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v or "", quote=True)}">'
                     for k, v in (("client_id", client_id), ("redirect_uri", redirect_uri),
                                  ("state", state or ""), ("scope", scope)))
    return HTMLResponse(f"""<!doctype html><html><head><meta charset="utf-8"><title>Instagram (simulator)</title>
</head><body><h1>Allow access to your Instagram professional account?</h1>
<form method="post" action="/oauth/authorize">{hidden}{_checkboxes(requested_scopes(scope) or IG_SCOPES)}
<label>Account <select name="ig_user">{options}</select></label>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Cancel</button></form></body></html>""")


def ig_code_exchange(sim, params: dict) -> tuple[int, dict]:
    """``POST /oauth/access_token`` with ``grant_type=authorization_code`` (Instagram Login shape)."""
    def fail(message):
        return 400, {"error_type": "OAuthException", "code": 400, "error_message": message}
    if params.get("client_id") != sim.app_id:
        return fail("Invalid platform app")
    if params.get("client_secret") != sim.app_secret:
        return fail("Error validating client secret.")
    raw = (params.get("code") or "").split("#")[0]
    code = sim.codes.get(raw)
    if code is None or code.get("used") or "ig_user_id" not in code or sim.now() > code["issued"] + 600:
        return fail("Matching code was not found or was already used")
    if params.get("redirect_uri") != code["redirect_uri"]:
        return fail("Error validating verification code. Please make sure your redirect_uri is identical to the "
                    "one you used in the OAuth dialog request")
    code["used"] = True
    now = int(sim.now())
    token = sim.codec.mint("ig", ig_user_id=code["ig_user_id"], issued=now, expires=now + 3600, long=False,
                           scopes=code["granted"])
    return 200, {"data": [{"access_token": token, "user_id": code["ig_user_id"],
                           "permissions": ",".join(code["granted"])}]}


async def instagram_code_exchange(sim, path: str, params: dict, now: float) -> Response:
    """``POST /oauth/access_token`` with ``grant_type=authorization_code``: the Instagram Login code exchange."""
    fault = match_fault(sim, None, path, False, False) if sim.faults else None
    if fault is not None and fault["kind"] in FAULT_ERRORS:  # an outage hits this host too
        err = FAULT_ERRORS[fault["kind"]]()
        status, body = err.status, err.envelope(sim.trace())
    else:
        status, body = ig_code_exchange(sim, params)
    sim.record({"at": iso(now), "method": "POST", "path": path, "params": redact(params), "account": None,
                "counted_calls": 1, "status": status, "error_code": (body.get("code") or
                                                                       body.get("error", {}).get("code"))
                if status != 200 else None})
    return json_response(status, body)
