"""The login dialogs let the user untick permissions; tokens, debug_token and the Instagram Login
exchange carry only what was granted, and calls that need a missing permission fail with code 10."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

ALL_FB = "instagram_basic,instagram_manage_insights,pages_show_list,pages_read_engagement"
REDIRECT = "http://127.0.0.1:9999/cb"


def facebook_token(c, granted: list[str] | None) -> tuple[str, dict]:
    """Run the Facebook Login dialog over HTTP, keeping ``granted`` ticked (None: post without the checkboxes)."""
    sim, user = c.sim, next(u for u in c.world["fb_users"] if any(p["instagram_business_account"]
                                                                      for p in u["pages"]))
    page = c.http.get("/v24.0/dialog/oauth", params={"client_id": sim.app_id, "redirect_uri": REDIRECT,
                                                     "scope": ALL_FB, "sim_user": user["id"]})
    for scope in ALL_FB.split(","):
        assert f'name="grant_{scope}" value="1" checked' in page.text
    form = {"client_id": sim.app_id, "redirect_uri": REDIRECT, "scope": ALL_FB, "fb_user": user["id"],
            "decision": "allow"}
    if granted is not None:  # what a browser posts: the hidden marker and one field per box left ticked
        form |= {"permissions_form": "1"} | {f"grant_{s}": "1" for s in granted}
    r = c.http.post("/v24.0/dialog/oauth", data=form)
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    short = c.http.get("/v24.0/oauth/access_token", params={
        "client_id": sim.app_id, "client_secret": sim.app_secret, "redirect_uri": REDIRECT, "code": code}).json()
    long = c.http.get("/v24.0/oauth/access_token", params={
        "grant_type": "fb_exchange_token", "client_id": sim.app_id, "client_secret": sim.app_secret,
        "fb_exchange_token": short["access_token"]}).json()
    return long["access_token"], user


def debug(c, token: str) -> dict:
    return c.http.get("/v24.0/debug_token", params={"input_token": token,
                                                    "access_token": f"{c.sim.app_id}|{c.sim.app_secret}"}).json()["data"]


def test_unticked_insights_permission_is_missing_everywhere(c):
    token, user = facebook_token(c, ["instagram_basic", "pages_show_list", "pages_read_engagement"])
    info = debug(c, token)
    assert info["scopes"] == ["instagram_basic", "pages_show_list", "pages_read_engagement"]
    assert [g["scope"] for g in info["granular_scopes"]] == info["scopes"]
    pages = c.http.get("/v24.0/me/accounts", params={
        "access_token": token, "fields": "id,access_token,instagram_business_account"}).json()["data"]
    ig = next(p["instagram_business_account"]["id"] for p in pages if p.get("instagram_business_account"))
    assert c.http.get(f"/v24.0/{ig}", params={"access_token": token, "fields": "username"}).status_code == 200
    media = c.http.get(f"/v24.0/{ig}/media", params={"access_token": token, "fields": "id"}).json()["data"]
    refused = [
        c.http.get(f"/v24.0/{ig}/insights", params={"access_token": token, "metric": "reach", "period": "day"}),
        c.http.get(f"/v24.0/{media[0]['id']}/insights", params={"access_token": token, "metric": "reach"}),
        c.http.get(f"/v24.0/{ig}/media", params={"access_token": token, "fields": "id,insights.metric(reach)"}),
    ]
    page_token = next(p["access_token"] for p in pages if p.get("instagram_business_account"))
    refused.append(c.http.get(f"/v24.0/{ig}/insights", params={"access_token": page_token, "metric": "reach",
                                                               "period": "day"}))
    for r in refused:
        assert r.status_code == 400 and r.json()["error"]["code"] == 10, r.text
        assert r.json()["error"]["message"] == "(#10) Application does not have permission for this action"


def test_without_pages_show_list_the_pages_list_is_empty_and_without_basic_nodes_are_refused(c):
    token, _ = facebook_token(c, ["instagram_manage_insights", "pages_read_engagement"])
    assert c.http.get("/v24.0/me/accounts", params={"access_token": token}).json()["data"] == []
    assert debug(c, token)["scopes"] == ["instagram_manage_insights", "pages_read_engagement"]
    everything, user = facebook_token(c, None)  # a form without checkboxes grants what was asked
    assert debug(c, everything)["scopes"] == ALL_FB.split(",")
    ig = next(p["instagram_business_account"] for p in user["pages"] if p["instagram_business_account"])
    r = c.http.get(f"/v24.0/{ig}", params={"access_token": token, "fields": "username"})
    assert r.status_code == 400 and r.json()["error"]["code"] == 10


def test_instagram_login_grants_only_the_ticked_permissions(c):
    sim, a = c.sim, c.world["accounts"][0]
    scope = "instagram_business_basic,instagram_business_manage_insights"
    page = c.http.get("/oauth/authorize", params={"client_id": sim.app_id, "redirect_uri": REDIRECT,
                                                  "response_type": "code", "scope": scope})
    assert 'name="grant_instagram_business_manage_insights" value="1" checked' in page.text
    r = c.http.post("/oauth/authorize", data={"client_id": sim.app_id, "redirect_uri": REDIRECT, "scope": scope,
                                              "ig_user": a["id"], "decision": "allow", "permissions_form": "1",
                                              "grant_instagram_business_basic": "1"})
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    body = c.http.post("/oauth/access_token", data={
        "client_id": sim.app_id, "client_secret": sim.app_secret, "grant_type": "authorization_code",
        "redirect_uri": REDIRECT, "code": code}).json()["data"][0]
    assert body["permissions"] == "instagram_business_basic"
    token = body["access_token"]
    assert debug(c, token)["scopes"] == ["instagram_business_basic"]
    assert c.http.get("/v24.0/me", params={"access_token": token, "fields": "user_id,username"}).status_code == 200
    insights = c.http.get("/v24.0/me/insights", params={"access_token": token, "metric": "reach", "period": "day"})
    assert insights.status_code == 400 and insights.json()["error"]["code"] == 10
