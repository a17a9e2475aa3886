"""Tokens and the app secret never show in repr, str, exception texts or returned results."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ig_pipeline.graph import plans
from ig_pipeline.graph.models import AccountRef, FetchResult
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline_tests.graph.fake import FakeGraph, error, run

TOKEN = "EAAGverySecretToken0123456789"
SECRET = "app-secret-never-shown"


def test_reprs_hide_token_and_secret():
    account = AccountRef("1784", "owner", TOKEN)
    resource = InstagramGraphAPI(base_url="http://127.0.0.1:1", app_secret=SECRET)
    client = resource.client()
    for text in (repr(account), str(account), repr(resource), str(resource), repr(client),
                 repr(FetchResult(account=account))):
        assert TOKEN not in text and SECRET not in text


def test_resource_client_settings():
    local = InstagramGraphAPI(base_url="http://127.0.0.1:9999/", version="v25.0").client()
    assert (local.base_url, local.instagram_base_url, local.version) == (
        "http://127.0.0.1:9999", "http://127.0.0.1:9999", "v25.0")  # the simulator serves both hosts
    remote = InstagramGraphAPI(base_url="https://graph.facebook.com").client()
    assert remote.instagram_base_url == "https://graph.instagram.com"
    assert not InstagramGraphAPI().client().proof("t")  # no secret: no proof
    # A secret mounted from a file usually ends in a newline; the proof must use the secret itself.
    assert InstagramGraphAPI(app_secret="s\n").client().proof("t") == InstagramGraphAPI(app_secret="s").client().proof("t")


def test_error_echoing_the_token_is_redacted_everywhere():
    fake = FakeGraph(lambda path, params: error(190, f"Invalid OAuth access token {TOKEN} (access_token={TOKEN})"))

    async def go():
        async with fake.client(app_secret=SECRET) as client:
            return await plans.fetch_account_days(client, AccountRef("1784", "o", TOKEN), [date(2026, 11, 9)],
                                                  None)

    result = run(go())
    assert not result.ok
    for text in (str(result.error), repr(result.error), repr(result), " ".join(result.warnings)):
        assert TOKEN not in text and SECRET not in text


def test_client_now_is_injectable():
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert InstagramGraphAPI().client(now=lambda: moment).now() == moment


def test_call_repr_shows_parameter_names_only():
    from ig_pipeline.graph.calls import Call

    call = Call("debug_token", {"input_token": TOKEN, "access_token": f"1|{SECRET}"}, token=TOKEN)
    assert TOKEN not in repr(call) and SECRET not in repr(call) and "input_token" in repr(call)
