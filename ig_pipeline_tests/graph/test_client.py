"""GraphClient mechanics over a mock transport: retries by class, batch, paging, auth, secrecy."""

from __future__ import annotations

import json

import httpx
import pytest

from ig_pipeline.graph.calls import Call, Meter
from ig_pipeline.graph.errors import ErrorClass, GraphError
from ig_pipeline.graph.tokens import TokenEndpoints
from ig_pipeline_tests.graph.fake import FakeGraph, FakeTime, error, run

TOKEN = "EAAGtokenForTestsOnly1234567890"


async def get(fake, call, time=None, **options):
    async with fake.client(time, **options) as client:
        meter = Meter()
        try:
            return await client.get(call, TOKEN, key="acct", meter=meter), meter
        except GraphError as exc:
            return exc, meter


def test_transient_is_retried_with_backoff_then_succeeds():
    answers = iter([error(1, status=500, transient=True), (200, "{truncated"), (200, {"id": "1"})])
    fake, time = FakeGraph(lambda path, params: next(answers)), FakeTime()
    body, meter = run(get(fake, Call("1", {"fields": "id"}), time))
    assert body == {"id": "1"} and meter.round_trips == 3 and meter.calls == 3
    assert len(time.slept) == 2 and 0.25 <= time.slept[0] <= 0.75 and 0.5 <= time.slept[1] <= 1.5


def test_transient_gives_up_after_max_attempts():
    fake = FakeGraph(lambda path, params: error(2, status=500))
    result, meter = run(get(fake, Call("1")))
    assert isinstance(result, GraphError) and result.error_class == ErrorClass.TRANSIENT
    assert meter.round_trips == 3


@pytest.mark.parametrize("code,subcode", [(190, 463), (190, 460), (190, 467), (100, None), (10, None)])
def test_never_retried(code, subcode):
    fake = FakeGraph(lambda path, params: error(code, subcode=subcode))
    result, meter = run(get(fake, Call("1")))
    assert isinstance(result, GraphError) and meter.round_trips == 1


def test_timeouts_and_resets_are_transient_and_token_free():
    def boom(path, params):
        return httpx.ReadTimeout(f"timed out on https://graph.test/v24.0/1?access_token={TOKEN}")
    fake = FakeGraph(boom)
    result, meter = run(get(fake, Call("1")))
    assert result.error_class == ErrorClass.TRANSIENT and meter.round_trips == 3
    assert TOKEN not in str(result) and result.__cause__ is None and "ReadTimeout" in result.message


def test_auth_travels_in_header_with_a_timestamped_proof():
    fake = FakeGraph(lambda path, params: (200, {"id": "1"}))
    run(get(fake, Call("1", {"fields": "id"})))
    request = fake.requests[0]
    assert request["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in request["params"]
    assert len(request["params"]["appsecret_proof"]) == 64 and request["params"]["appsecret_time"].isdigit()


def test_short_rate_limit_waits_the_announced_time_via_the_sleeper():
    headers = {"x-business-use-case-usage": json.dumps({"acct": [{"type": "instagram", "call_count": 100,
                                                                   "estimated_time_to_regain_access": 1}]})}
    answers = iter([(*error(80002, "too many calls"), headers), (200, {"id": "1"})])
    fake, time = FakeGraph(lambda path, params: next(answers)), FakeTime()
    body, meter = run(get(fake, Call("1"), time))
    assert body == {"id": "1"} and 60 in time.slept and meter.round_trips == 2


def test_long_rate_limit_fails_fast_with_retry_after():
    headers = {"x-business-use-case-usage": json.dumps({"acct": [{"type": "instagram", "call_count": 100,
                                                                   "estimated_time_to_regain_access": 30}]})}
    fake, time = FakeGraph(lambda path, params: (*error(80002), headers)), FakeTime()
    result, meter = run(get(fake, Call("1"), time))
    assert result.error_class == ErrorClass.RATE_LIMITED and result.retry_after_s == 1800
    assert meter.round_trips == 1 and time.slept == []


def test_batch_chunks_nulls_and_per_item_tokens():
    seen = []

    def handler(path, params):
        seen.append(path)
        if path == "7" and seen.count("7") == 1:
            return 200, "NULL"
        if path == "8":
            return error(1, status=500, transient=True) if seen.count("8") == 1 else (200, {"id": "8"})
        if path == "9":
            return error(100, "(#100) nope")
        return 200, {"id": path}

    fake = FakeGraph(handler)

    async def go():
        async with fake.client() as client:
            meter = Meter()
            calls = [Call(str(i)) for i in range(120)] + [Call("other", token="EAAGotherTokenForTests1234")]
            return await client.batch(calls, TOKEN, key="acct", meter=meter), meter

    results, meter = run(go())
    posts = [r for r in fake.requests if r["path"] == "<batch>"]
    assert [len(json.loads(p["params"]["batch"])) for p in posts] == [50, 50, 21]
    assert results[0] == {"id": "0"} and results[7] == {"id": "7"} and results[8] == {"id": "8"}
    assert isinstance(results[9], GraphError) and results[9].error_class == ErrorClass.BAD_REQUEST
    assert meter.round_trips == 3 + 2 and meter.calls == 121 + 2
    last = json.loads(posts[-1]["params"]["batch"])[-1]["relative_url"]
    assert "access_token=EAAGother" in last and "appsecret_proof=" in last
    assert "access_token" not in posts[0]["params"] and posts[0]["headers"]["authorization"].endswith(TOKEN)


def test_paging_follows_next_until_absent_and_stops_on_loops():
    def handler(path, params):
        page = int(params.get("after", 0))
        body = {"data": [{"id": f"{page}-{i}"} for i in range(2)]}
        if page < 2:
            body["paging"] = {"next": f"https://elsewhere.example/v24.0/{path}?after={page + 1}&access_token=LEAK"}
        return 200, body

    fake = FakeGraph(handler)

    async def go(call):
        async with fake.client() as client:
            return await client.paged(call, TOKEN, key="acct")

    items = run(go(Call("1/media", {"limit": 2})))
    assert [i["id"] for i in items] == ["0-0", "0-1", "1-0", "1-1", "2-0", "2-1"]
    assert all("access_token" not in r["params"] and r["params"].get("limit") in (None, "2") for r in fake.requests)

    loop = FakeGraph(lambda path, params: (200, {"data": [{"id": "x"}], "paging": {
        "next": "https://graph.test/v24.0/1/media?after=SAME"}}))
    fake = loop
    assert len(run(go(Call("1/media")))) == 2  # first page, then the repeated cursor page once


def test_truncated_page_is_retried():
    answers = iter([(200, {"paging": {}}), (200, {"data": [{"id": "1"}]})])
    fake = FakeGraph(lambda path, params: next(answers))

    async def go():
        async with fake.client() as client:
            return await client.paged(Call("1/media"), TOKEN, key="acct")

    assert run(go()) == [{"id": "1"}]


def test_client_repr_has_no_secret():
    fake = FakeGraph(lambda path, params: (200, {}))
    client = fake.client(app_secret="app-secret-xyz")
    assert "app-secret-xyz" not in repr(client) and "app-secret-xyz" not in str(vars(client).get("base_url"))


def test_raised_errors_carry_no_httpx_context():
    fake = FakeGraph(lambda path, params: httpx.ConnectError(f"reset https://graph.test/v24.0/1?access_token={TOKEN}"))
    result, _ = run(get(fake, Call("1")))
    assert result.__context__ is None and result.__cause__ is None


def test_token_endpoints():
    def handler(path, params):
        if path == "oauth/access_token" and "code" in params:
            return error(1, status=500, transient=True)  # a code works once: never retried
        if path == "oauth/access_token":
            return 200, {"access_token": "EAAGlongLived1234567890", "token_type": "bearer", "expires_in": 5183944}
        if path == "debug_token":
            return 200, {"data": {"is_valid": False, "error": {"code": 190, "message": "expired"}}}
        if path == "me/accounts":
            after = params.get("after")
            body = {"data": [{"id": "p2" if after else "p1"}]}
            if not after:
                body["paging"] = {"next": "https://graph.test/v24.0/me/accounts?after=X&access_token=T"}
            return 200, body
        if path == "p1":
            return 200, {"instagram_business_account": {"id": 17841400000000001}, "id": "p1"}
        if path in ("access_token", "refresh_access_token"):
            return 200, {"access_token": "IGAAnew1234567890123", "expires_in": 5183944, "path": path}
        return 200, {"id": path, "username": "acme"}

    fake = FakeGraph(handler)

    async def go():
        async with fake.client() as graph_client:
            client = TokenEndpoints(graph_client)
            try:
                await client.exchange_code("CODE", "https://x/cb", "1", "s")
            except GraphError as exc:
                code_error = exc
            return (code_error, await client.exchange_long_lived("EAAGshort123456789012", "1", "s"),
                    await client.debug_token("EAAGx12345678901234", "1", "s"), await client.pages("EAAGu1234567890123"),
                    await client.page_instagram_account("p1", "EAAGp1234567890123"),
                    await client.ig_user("me", "IGAAx1234567890123", "user_id,username", login_type="instagram"),
                    await client.ig_exchange_token("IGAAshort12345678901", "s"),
                    await client.ig_refresh_token("IGAAlong123456789012"))

    code_error, long_lived, debug, pages, linked, user, exchanged, refreshed = run(go())
    assert code_error.error_class == ErrorClass.TRANSIENT and "CODE" not in str(code_error)
    assert fake.paths().count("oauth/access_token") == 2
    assert long_lived["expires_in"] == 5183944 and debug["is_valid"] is False
    assert [p["id"] for p in pages] == ["p1", "p2"] and linked == "17841400000000001"
    assert user["username"] == "acme" and exchanged["path"] == "access_token"
    assert refreshed["path"] == "refresh_access_token"
