"""Bounded request bodies and comparisons that never raise on attacker text (issue 13, findings 2 and 4).

A body is refused with 413 before it is read when its declared length is too large, and while it is
read when it grows past the limit (chunked uploads declare nothing), so no request can make the
handler hold more than the limit in memory. The webhook's HMAC is computed chunk by chunk as the
body arrives. Secrets are compared as bytes: ``hmac.compare_digest`` raises TypeError on non-ASCII
``str``, which used to turn a header or parameter into a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from starlette.requests import Request

WEBHOOK_MAX_BYTES = 1024 * 1024  # Meta batches webhook updates; a story_insights batch is far smaller
FORM_MAX_BYTES = 16 * 1024  # the disconnect form carries two short fields
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")


class BodyTooLarge(ValueError):
    """The request body is (or declares to be) larger than the limit."""


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time equality of two texts of any characters (bytes, so non-ASCII cannot raise)."""
    return hmac.compare_digest((given or "").encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() else -1


async def read_capped(request: Request, limit: int, digest: hmac.HMAC | None = None) -> bytes:
    """The body, at most ``limit`` bytes, fed to ``digest`` as it arrives; BodyTooLarge otherwise."""
    declared = declared_length(request)
    if declared is not None and not 0 <= declared <= limit:
        raise BodyTooLarge(f"request body larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"request body larger than {limit} bytes")
        if digest is not None:
            digest.update(chunk)
        chunks.append(chunk)
    return b"".join(chunks)


def webhook_signature_shape(header: str | None) -> bool:
    """Whether X-Hub-Signature-256 can be a signature at all (checked before reading any body)."""
    return bool(header) and _SIGNATURE.fullmatch(header) is not None


async def signed_webhook_body(request: Request, secret: str) -> bytes | None:
    """The body when its X-Hub-Signature-256 matches (HMAC-SHA256 with the app secret), else None.
    BodyTooLarge when the body exceeds WEBHOOK_MAX_BYTES."""
    header = request.headers.get("x-hub-signature-256")
    if not webhook_signature_shape(header):
        return None
    digest = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    body = await read_capped(request, WEBHOOK_MAX_BYTES, digest)
    return body if same_secret(header, "sha256=" + digest.hexdigest()) else None
