"""Graph API errors, classified once.

Every caller acts on ``GraphError.error_class``, never on raw codes: ``classify`` is the one
place that reads Meta's codes (listed in docs/graph-client.md). The HTTP status is not a reliable signal
(most errors are 400, rate limits are never 429), so the body decides and the status only
breaks ties. Messages pass through ``redact`` so tokens, proofs and secrets never reach a log
line, an exception text or Dagster metadata.
"""

from __future__ import annotations

import re
from enum import StrEnum


class ErrorClass(StrEnum):
    TRANSIENT = "transient"  # retry with backoff
    RATE_LIMITED = "rate_limited"  # stop calling this account for a while
    TOKEN_INVALID = "token_invalid"  # never retry; the account needs reconnecting (or re-consent)
    NO_DATA = "no_data"  # recorded as absent, not a failure
    BAD_REQUEST = "bad_request"  # do not retry unchanged (bad/removed metric, gone object)


TOKEN_CODES = frozenset({102, 190})
TOKEN_SUBCODES = frozenset({458, 459, 460, 463, 464, 467, 492})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002})
TRANSIENT_CODES = frozenset({1, 2})
POLICY_BLOCK_CODE = 368  # "temporarily blocked for policy reasons": stop for hours
POLICY_BLOCK_S = 6 * 3600.0
PRE_CONVERSION_SUBCODE = 2108006

_SECRET_PARAMS = ("access_token", "input_token", "fb_exchange_token", "client_secret", "appsecret_proof",
                  "code", "refresh_token")
_SECRET_QUERY = re.compile(r"(?i)\b(" + "|".join(_SECRET_PARAMS) + r")=([^&\s\"'<>]+)")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._|\-]+")
# Meta tokens look like EAAG…/IGAA…/IGQV…; app tokens are "app_id|secret".
_TOKEN_SHAPES = re.compile(r"\b(?:EAA|IGAA|IGQV)[A-Za-z0-9_\-]{12,}|\b\d{6,}\|[A-Za-z0-9_\-]{8,}")


def redact(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """``text`` with token-bearing query parameters, bearer headers, token-shaped strings and the
    given secret values replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", text)
    text = _BEARER.sub("Bearer ***", text)
    return _TOKEN_SHAPES.sub("***", text)


class GraphError(Exception):
    """A failed Graph API call, by class. ``message`` is token-free; ``retry_after_s`` is set for
    rate limits when the API (or the governor) says how long to stay away."""

    def __init__(self, error_class: ErrorClass, message: str, *, code: int | None = None,
                 subcode: int | None = None, retry_after_s: float | None = None,
                 http_status: int | None = None):
        self.error_class = ErrorClass(error_class)
        self.message = redact(message)[:1000]
        self.code = code
        self.subcode = subcode
        self.retry_after_s = retry_after_s
        self.http_status = http_status
        super().__init__(str(self))

    def __str__(self) -> str:
        codes = f"{self.code}/{self.subcode}" if self.subcode is not None else f"{self.code}"
        return f"{self.error_class} ({codes}): {self.message}"

    def __repr__(self) -> str:
        return f"GraphError({self.error_class.value!r}, code={self.code}, subcode={self.subcode}, " \
               f"message={self.message!r})"

    def __reduce__(self):  # picklable across processes without re-running redaction oddly
        return (_rebuild, (self.error_class.value, self.message, self.code, self.subcode, self.retry_after_s,
                           self.http_status))


def _rebuild(error_class, message, code, subcode, retry_after_s, http_status) -> GraphError:
    return GraphError(error_class, message, code=code, subcode=subcode, retry_after_s=retry_after_s,
                      http_status=http_status)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def classify(http_status: int | None, body) -> GraphError:
    """The GraphError for a failed response: ``body`` is the decoded JSON (or None / a string when
    it could not be decoded, which is treated as transient)."""
    if not isinstance(body, dict):
        return GraphError(ErrorClass.TRANSIENT, f"HTTP {http_status}: response body is not valid JSON",
                          http_status=http_status)
    error = body.get("error")
    if not isinstance(error, dict):
        if "error_message" in body or "error_type" in body:  # api.instagram.com OAuth shape
            return GraphError(ErrorClass.BAD_REQUEST, str(body.get("error_message") or body.get("error_type")),
                              code=_int(body.get("code")), http_status=http_status)
        if isinstance(error, str):  # bare {"error": "..."}
            error = {"message": error}
        else:
            cls = ErrorClass.TRANSIENT if http_status is None or http_status >= 500 else ErrorClass.BAD_REQUEST
            return GraphError(cls, f"HTTP {http_status} without an error object", http_status=http_status)
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    message = str(error.get("message") or error.get("error_user_msg") or "no message")
    return GraphError(_class_of(code, subcode, message, error.get("is_transient") is True, http_status),
                      message, code=code, subcode=subcode, http_status=http_status,
                      retry_after_s=POLICY_BLOCK_S if code == POLICY_BLOCK_CODE else None)


def _class_of(code: int | None, subcode: int | None, message: str, transient: bool,
              http_status: int | None) -> ErrorClass:
    lowered = message.lower()
    if code == 10 and "not enough viewers" in lowered:
        return ErrorClass.NO_DATA  # code 10 doubles as "story under 5 viewers": not a permission problem
    if code == 100 and subcode == PRE_CONVERSION_SUBCODE:
        return ErrorClass.NO_DATA
    if code in TOKEN_CODES or subcode in TOKEN_SUBCODES:
        return ErrorClass.TOKEN_INVALID
    if code == 10 or (code is not None and 200 <= code <= 299):
        return ErrorClass.TOKEN_INVALID  # permission missing: only re-consent fixes it
    if code in RATE_LIMIT_CODES or code == POLICY_BLOCK_CODE:
        return ErrorClass.RATE_LIMITED
    if code in TRANSIENT_CODES or transient or (http_status is not None and http_status >= 500):
        return ErrorClass.TRANSIENT
    return ErrorClass.BAD_REQUEST


def transport_error(exc: BaseException, what: str) -> GraphError:
    """A timeout / reset / protocol error as a transient GraphError. Only the exception's type is
    kept: httpx messages carry the full URL, query string (token) included."""
    return GraphError(ErrorClass.TRANSIENT, f"{type(exc).__name__} calling {redact(what)}")
