"""classify(): every Graph API error code we know lands in its class; messages stay token-free."""

from __future__ import annotations

import pickle

import pytest

from ig_pipeline.graph.errors import ErrorClass, GraphError, classify, redact, transport_error


def envelope(code, subcode=None, message="(#x) something", transient=None):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    return {"error": error}


@pytest.mark.parametrize(("status", "body", "expected"), [
    (500, envelope(1, message="An unknown error occurred", transient=True), ErrorClass.TRANSIENT),
    (500, envelope(2, message="Service temporarily unavailable", transient=True), ErrorClass.TRANSIENT),
    (500, envelope(1, message="Please reduce the amount of data you're asking for"), ErrorClass.TRANSIENT),
    (400, envelope(9999, transient=True), ErrorClass.TRANSIENT),
    (503, envelope(9999), ErrorClass.TRANSIENT),
    (403, envelope(4, message="Application request limit reached", transient=True), ErrorClass.RATE_LIMITED),
    (400, envelope(17, message="User request limit reached"), ErrorClass.RATE_LIMITED),
    (400, envelope(32), ErrorClass.RATE_LIMITED),
    (400, envelope(613), ErrorClass.RATE_LIMITED),
    (400, envelope(80001), ErrorClass.RATE_LIMITED),
    (400, envelope(80002, message="There have been too many calls to this Instagram account"),
     ErrorClass.RATE_LIMITED),
    (400, envelope(368), ErrorClass.RATE_LIMITED),
    (400, envelope(10, message="(#10) Not enough viewers for the media to show insights"), ErrorClass.NO_DATA),
    (400, envelope(10, message="(#10) Application does not have permission for this action"),
     ErrorClass.TOKEN_INVALID),
    (400, envelope(200, message="(#200) Requires instagram_manage_insights"), ErrorClass.TOKEN_INVALID),
    (400, envelope(299), ErrorClass.TOKEN_INVALID),
    (400, envelope(100, message="(#100) The metric shares is not supported"), ErrorClass.BAD_REQUEST),
    (400, envelope(100, 33, message="Unsupported get request."), ErrorClass.BAD_REQUEST),
    (400, envelope(100, 2108006, message="Invalid parameter"), ErrorClass.NO_DATA),
    (400, envelope(190), ErrorClass.TOKEN_INVALID),
    (400, envelope(190, 463, message="Session has expired on Friday"), ErrorClass.TOKEN_INVALID),
    (400, envelope(190, 460), ErrorClass.TOKEN_INVALID),
    (400, envelope(190, 467), ErrorClass.TOKEN_INVALID),
    (400, envelope(190, 458), ErrorClass.TOKEN_INVALID),
    (400, envelope(190, 459), ErrorClass.TOKEN_INVALID),
    (400, envelope(190, 464), ErrorClass.TOKEN_INVALID),
    (400, envelope(190, 492), ErrorClass.TOKEN_INVALID),
    (400, envelope(102), ErrorClass.TOKEN_INVALID),
    (400, envelope(12, message="(#12) version deprecated"), ErrorClass.BAD_REQUEST),
    (200, None, ErrorClass.TRANSIENT),
    (502, "<html>Bad gateway</html>", ErrorClass.TRANSIENT),
    (500, {"unexpected": True}, ErrorClass.TRANSIENT),
    (404, {"unexpected": True}, ErrorClass.BAD_REQUEST),
    (400, {"error_type": "OAuthException", "code": 400,
           "error_message": "Matching code was not found or was already used"}, ErrorClass.BAD_REQUEST),
])
def test_classify(status, body, expected):
    error = classify(status, body)
    assert isinstance(error, GraphError)
    assert error.error_class == expected


def test_codes_and_messages_are_kept():
    error = classify(400, envelope("190", "463", message="Session has expired"))
    assert (error.code, error.subcode, error.message) == (190, 463, "Session has expired")
    assert str(error) == "token_invalid (190/463): Session has expired"


def test_policy_block_asks_for_hours():
    assert classify(400, envelope(368)).retry_after_s >= 3600


SECRET = "EAAGsecretTOKENvalue1234567890"


def test_redact_removes_tokens_proofs_and_secrets():
    text = (f"GET https://graph.facebook.com/v24.0/me?access_token={SECRET}&appsecret_proof=abc123&fields=id "
            f"Authorization: Bearer {SECRET} client_secret=shh code=AQD123 input_token=IGAAxyzxyzxyzxyzxyz "
            f"app 1000000000000001|demo-app-secret")
    cleaned = redact(text, ("custom-secret",))
    for leaked in (SECRET, "abc123", "shh", "AQD123", "IGAAxyz", "demo-app-secret"):
        assert leaked not in cleaned
    assert "fields=id" in cleaned
    assert redact("a custom-secret here", ("custom-secret",)) == "a *** here"


def test_error_text_repr_and_pickle_are_token_free():
    error = classify(400, envelope(190, message=f"Bad token access_token={SECRET} or {SECRET}"))
    for text in (str(error), repr(error), error.message, str(pickle.loads(pickle.dumps(error)))):
        assert SECRET not in text
    assert pickle.loads(pickle.dumps(error)).error_class == ErrorClass.TOKEN_INVALID


def test_transport_errors_keep_only_the_type():
    import httpx

    exc = httpx.ConnectTimeout(f"timed out https://x/v24.0/me?access_token={SECRET}")
    error = transport_error(exc, "GET /me")
    assert error.error_class == ErrorClass.TRANSIENT
    assert SECRET not in str(error) and "ConnectTimeout" in str(error)
