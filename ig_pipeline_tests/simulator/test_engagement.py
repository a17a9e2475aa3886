"""Tags, @mentions and comments over HTTP against ground truth: /tags paging, mentioned_media and
mentioned_comment, comments and replies appearing over virtual time, the permission, and the signed
``comments``/``mentions`` webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta

import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from ig_pipeline_tests.simulator.conftest import START

COMMENT_FIELDS = "id,text,timestamp,like_count,username,replies{id,text,timestamp,like_count,username}"


def busy(c) -> dict:
    """Our account with the most followers (most comments)."""
    return max(c.world["accounts"], key=lambda a: a["followers_count"])


def all_pages(c, path: str, ig: str, **params) -> list[dict]:
    out, after = [], None
    while True:
        body = c.get(path, ig, **params, **({"after": after} if after else {})).json()
        assert "error" not in body, body
        out += body["data"]
        after = body.get("paging", {}).get("cursors", {}).get("after") if body.get("paging", {}).get("next") else None
        if not after:
            return out


def commented_post(c, ig: str) -> str:
    """A post with a fair number of comments (the tests page through all of them)."""
    media = c.get(f"/v24.0/{ig}/media", ig, fields="id,comments_count", limit=50).json()["data"]
    return min((m for m in media if m["comments_count"] >= 15), key=lambda m: m["comments_count"])["id"]


def test_tags_list_public_posts_tagging_the_account_with_the_poster(c):
    a = busy(c)
    served = all_pages(c, f"/v24.0/{a['id']}/tags", a["id"], limit=50,
                       fields="id,username,caption,media_type,media_product_type,permalink,timestamp,like_count,"
                              "comments_count")
    truth = c.http.get(f"/_sim/truth/account/{a['id']}/tags").json()["data"]
    assert served and [m["id"] for m in served] == [m["id"] for m in truth]
    own = {x["username"] for x in c.world["accounts"]}
    assert all(m["username"] not in own for m in served)
    assert served == sorted(served, key=lambda m: m["timestamp"], reverse=True)
    other = next(x for x in c.world["accounts"] if x["id"] != a["id"])
    theirs = c.get(f"/v24.0/{other['id']}/tags", other["id"], limit=50).json()["data"]
    assert theirs and not {m["id"] for m in theirs} & {m["id"] for m in served}  # each post tags one account


def test_comments_permission_is_enforced(c):
    a = busy(c)
    token = c.http.post("/_sim/tokens", json={"ig_user_id": a["id"], "scopes": [
        "instagram_basic", "instagram_manage_insights", "pages_show_list", "pages_read_engagement"]}).json()[
        "access_token"]
    post = commented_post(c, a["id"])
    for path in (f"/v24.0/{post}/comments", f"/v24.0/{a['id']}/tags"):
        assert c.error(c.get(path, a["id"], access_token=token))["code"] == 10


def test_comments_and_replies_match_truth_through_both_edges(c):
    a = busy(c)
    post = commented_post(c, a["id"])
    top = all_pages(c, f"/v24.0/{post}/comments", a["id"], fields=COMMENT_FIELDS, limit=3)
    truth = c.http.get(f"/_sim/truth/media/{post}/comments").json()
    count = c.get(f"/v24.0/{post}", a["id"], fields="comments_count").json()["comments_count"]
    assert truth["comments_count"] == count == len(truth["comments"])
    truth_top = [x for x in truth["comments"] if x["parent_id"] is None]
    assert [x["id"] for x in top] == [x["id"] for x in reversed(truth_top)]  # newest first
    by_parent: dict[str, list[str]] = {}
    for x in truth["comments"]:
        if x["parent_id"]:
            by_parent.setdefault(x["parent_id"], []).append(x["id"])
    assert by_parent, "the busiest post should have replies"
    for item in [x for x in top if x["id"] in by_parent][:5] + top[:3]:
        replies = all_pages(c, f"/v24.0/{item['id']}/replies", a["id"], fields="id,text,username", limit=2)
        assert [r["id"] for r in replies] == by_parent.get(item["id"], [])
        nested = [r["id"] for r in item["replies"]["data"]]
        assert nested == by_parent.get(item["id"], [])[:len(nested)]
    truth_by_id = {x["id"]: x for x in truth["comments"]}
    for item in top:
        assert {k: item[k] for k in ("text", "timestamp", "like_count", "username")} == {
            k: truth_by_id[item["id"]][k] for k in ("text", "timestamp", "like_count", "username")}


def test_comments_appear_over_virtual_time(c):
    a = busy(c)
    fresh = c.get(f"/v24.0/{a['id']}/media", a["id"], fields="id,timestamp", limit=5).json()["data"][0]["id"]
    counts, ids = [], []
    for hours in (0, 6, 24, 72):
        c.http.post("/_sim/clock", json={"set": (START + timedelta(hours=hours)).isoformat()})
        truth = c.http.get(f"/_sim/truth/media/{fresh}/comments").json()
        counts.append(truth["comments_count"])
        ids.append([x["id"] for x in truth["comments"]])
        now = (START + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S+0000")
        assert all(x["timestamp"] <= now for x in truth["comments"])
    assert counts == sorted(counts) and counts[-1] > counts[0]
    assert all(ids[i] == ids[i + 1][:len(ids[i])] for i in range(3))  # earlier comments stay, new ones follow


def test_mentioned_media_and_mentioned_comment(c):
    for a in c.world["accounts"]:
        truth = c.http.get(f"/_sim/truth/account/{a['id']}/mentions",
                           params={"since": (START - timedelta(days=7)).isoformat()}).json()
        if truth["media"] and truth["comments"]:
            break
    else:
        raise AssertionError("no account is @mentioned in both a caption and a comment")
    media_id = truth["media"][0]["media_id"]
    body = c.get(f"/v24.0/{a['id']}", a["id"],
                 fields=f"mentioned_media.media_id({media_id}){{id,caption,username,timestamp}}").json()
    assert body["mentioned_media"]["id"] == media_id and f"@{a['username']}" in body["mentioned_media"]["caption"]
    mention = truth["comments"][0]
    body = c.get(f"/v24.0/{a['id']}", a["id"], fields=f"mentioned_comment.comment_id({mention['comment_id']})"
                                                      "{id,text,timestamp,media{id}}").json()
    assert body["mentioned_comment"]["media"]["id"] == mention["media_id"]
    assert f"@{a['username']}" in body["mentioned_comment"]["text"]
    other = next(x for x in c.world["accounts"] if x["id"] != a["id"])
    err = c.error(c.get(f"/v24.0/{other['id']}", other["id"],
                        fields=f"mentioned_media.media_id({media_id}){{id}}"))
    assert err["code"] == 100


@contextmanager
def receiver():
    received: list[tuple[bytes, str]] = []

    async def hook(request):
        received.append((await request.body(), request.headers["x-hub-signature-256"]))
        return Response("ok")

    srv = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
                                       host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    srv.install_signal_handlers = lambda: None
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    th = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    th.start()
    while not srv.started:
        pass
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook", received
    finally:
        srv.should_exit = True
        th.join(5)


def test_comments_and_mentions_webhooks_are_signed_match_truth_and_are_sent_once(c, server):
    sim = server.app.state.sim
    a = busy(c)
    since = (START - timedelta(days=1)).timestamp()
    with receiver() as (url, received):
        body = {"url": url, "ig_user_id": a["id"], "fields": ["comments", "mentions"], "since": since}
        sent = c.http.post("/_sim/webhooks/deliver", json=body).json()["sent"]
        changes = []
        for raw, sig in received:
            assert sig == "sha256=" + hmac.new(sim.app_secret.encode(), raw, hashlib.sha256).hexdigest()
            entry = json.loads(raw)["entry"][0]
            assert entry["id"] == a["id"]
            changes += entry["changes"]
        assert sent == len(changes) > 0
        assert c.http.post("/_sim/webhooks/deliver", json=body).json()["sent"] == 0
    comments = [ch["value"] for ch in changes if ch["field"] == "comments"]
    mentions = [ch["value"] for ch in changes if ch["field"] == "mentions"]
    assert comments and mentions
    for value in comments[:5]:
        truth = c.http.get(f"/_sim/truth/media/{value['media']['id']}/comments").json()["comments"]
        match = next(x for x in truth if x["id"] == value["id"])
        assert (match["text"], match["username"], match["parent_id"]) == (
            value["text"], value["from"]["username"], value.get("parent_id"))
    truth = c.http.get(f"/_sim/truth/account/{a['id']}/mentions", params={"since": since}).json()
    assert sorted(json.dumps(v, sort_keys=True) for v in mentions) == sorted(
        json.dumps(v, sort_keys=True) for v in truth["media"] + truth["comments"])
    delivered = c.http.get("/_sim/truth/webhooks").json()["deliveries"]
    assert {d["value"].get("id") for d in delivered if d["field"] == "comments"} >= {v["id"] for v in comments}
