"""GraphClient: the one place that talks HTTP to the Graph API.

- ``get`` (one call), ``batch`` (≤ ``batch_size`` calls per POST; ``null`` and transient or
  rate-limited items are retried alone), ``paged`` (cursor paging: stop when ``paging.next`` is
  absent, guard against repeated cursors and truncated pages).
- Retries: TRANSIENT errors up to ``max_attempts`` with exponential backoff and jitter;
  RATE_LIMITED waits for the governor's block when it is short (≤ ``max_wait_s``), otherwise
  fails with ``retry_after_s``; TOKEN_INVALID, NO_DATA and BAD_REQUEST are never retried.
- The governor is consulted before every call and fed every response's usage headers.
- Tokens travel in the ``Authorization`` header (never in a URL httpx could print); batch
  items carrying their own token put it in their relative_url, inside the POST body. Every
  call carries a timestamped ``appsecret_proof`` when the app secret is known.

Calls are metered per account (``Meter``) so every FetchResult says what it cost: one counted
call per GET or batch item, and one round trip per HTTP request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import orjson

from ig_pipeline.graph.calls import Call, Meter, next_call
from ig_pipeline.graph.errors import ErrorClass, GraphError, classify, redact, transport_error
from ig_pipeline.graph.governor import APP, Governor

log = logging.getLogger(__name__)


class _NoQueryStrings(logging.Filter):
    """httpx logs every request URL at INFO; ours carry tokens, codes and secrets in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                str(a.copy_with(query=None)) + "?…" if isinstance(a, httpx.URL) and a.query else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,)))
        return True


logging.getLogger("httpx").addFilter(_NoQueryStrings())

APP_WIDE_CODES = frozenset({4})  # app-level limit: every account backs off
MAX_PAGES = 200  # /media serves at most 10 000 items; at limit=100 that is 100 pages
INSTAGRAM_GRAPH_URL = "https://graph.instagram.com"  # Instagram-Login accounts' root
ACCOUNTS_PER_POOL = 4  # accounts in flight per httpx connection pool (see __aenter__)


class GraphClient:
    """Async context manager owning a few ``httpx.AsyncClient`` connection pools (see ``__aenter__``).
    Shared by all accounts of a run."""

    def __init__(self, *, base_url: str, instagram_base_url: str, version: str, app_secret: str | None,
                 timeout_s: float = 30.0, max_attempts: int = 3, batch_size: int = 50, concurrency: int = 32,
                 backoff_base_s: float = 0.5, max_wait_s: float = 60.0,
                 sleep: Callable[[float], Awaitable] | None = None, clock: Callable[[], float] | None = None,
                 now: Callable[[], datetime] | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 rng: random.Random | None = None, fetch_facebook_views: bool = False):
        self.base_url, self.instagram_base_url = base_url.rstrip("/"), instagram_base_url.rstrip("/")
        self.version = version
        self._app_secret = app_secret or None
        self.timeout_s, self.max_attempts, self.batch_size = timeout_s, max(1, max_attempts), min(batch_size, 50)
        self.concurrency, self.backoff_base_s = concurrency, backoff_base_s
        self._sleep = sleep or asyncio.sleep
        self._now = now or (lambda: datetime.now(UTC))
        self.governor = Governor(clock=clock or time.monotonic, sleep=self._sleep, max_wait_s=max_wait_s)
        self._transport = transport
        self._rng = rng or random.Random()
        self._pools: list[httpx.AsyncClient] = []
        # metric names the API rejected, per scope ("account" or a media product type): never asked again
        self.rejected_metrics: dict[str, set[str]] = {}
        self.fetch_facebook_views = fetch_facebook_views  # ask facebook_views/crossposted_views (catalog)

    def __repr__(self) -> str:
        return f"GraphClient(base_url={self.base_url!r}, version={self.version!r})"

    async def __aenter__(self) -> GraphClient:
        # Several small connection pools, taken in turn, instead of one large one: httpcore walks every
        # connection of a pool (polling idle sockets, and in a loop inside a loop) twice per request,
        # which was ~22 % of a 1,000-account run's CPU with one 64-connection pool (docs/benchmarks.md).
        pools = 1 if self._transport is not None else max(1, self.concurrency // ACCOUNTS_PER_POOL)
        in_flight = max(2, -(-self.concurrency // pools))  # per pool, rounded up
        limits = httpx.Limits(max_connections=max(4, in_flight * 2), max_keepalive_connections=in_flight)
        tls = httpx.create_ssl_context()  # one for all pools: each takes ~30 ms to load the CA bundle
        self._pools = [httpx.AsyncClient(timeout=self.timeout_s, limits=limits, transport=self._transport,
                                         verify=tls) for _ in range(pools)]
        self._turn = itertools.count()
        return self

    async def __aexit__(self, *exc) -> None:
        pools, self._pools = self._pools, []
        for pool in pools:
            await pool.aclose()

    @property
    def _http(self) -> httpx.AsyncClient:
        """The next connection pool, in turn (each request may take another; none holds state)."""
        if not self._pools:
            raise RuntimeError("GraphClient used outside `async with`")
        return self._pools[next(self._turn) % len(self._pools)]

    def now(self) -> datetime:
        return self._now()

    def root(self, login_type: str = "facebook") -> str:
        return self.instagram_base_url if login_type == "instagram" else self.base_url

    # --- auth -----------------------------------------------------------------------------------

    def proof(self, token: str) -> dict[str, str]:
        """Timestamped appsecret_proof (docs/graph-client.md), fresh per request; {} without a secret."""
        if not self._app_secret or not token:
            return {}
        stamp = str(int(time.time()))
        digest = hmac.new(self._app_secret.encode(), f"{token}|{stamp}".encode(), hashlib.sha256).hexdigest()
        return {"appsecret_proof": digest, "appsecret_time": stamp}

    def _redact(self, text: str, token: str | None = None) -> str:
        return redact(text, (token, self._app_secret))

    # --- single calls ---------------------------------------------------------------------------

    async def get(self, call: Call, token: str | None, *, key: str = APP, meter: Meter | None = None,
                  login_type: str = "facebook", versioned: bool = True, retry: bool = True,
                  validate: Callable[[object], bool] | None = None):
        """GET one call; the decoded JSON body, or GraphError after the retry policy gave up."""
        root = self.root(login_type)
        url = f"{root}/{self.version}/{call.path}" if versioned else f"{root}/{call.path}"
        params = call.query() | (self.proof(token) if token else {})
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        what = f"GET /{call.path}"
        return await self._with_retries(
            lambda: self._http.get(url, params=params, headers=headers), call, key=key, meter=meter,
            what=what, token=token, attempts=self.max_attempts if retry else 1, validate=validate)

    async def post_form(self, url: str, form: dict, *, key: str = APP, retry: bool = False):
        """POST a form to an absolute URL outside the Graph roots (the Instagram Login code exchange);
        the decoded JSON body, or GraphError. Not retried unless asked: such posts usually spend a
        one-time code."""
        path = urlsplit(url).path
        return await self._with_retries(
            lambda: self._http.post(url, data=form), Call(path.lstrip("/")), key=key, meter=None,
            what=f"POST {path}", token=None, attempts=self.max_attempts if retry else 1)

    async def _with_retries(self, send: Callable[[], Awaitable[httpx.Response]], call: Call, *, key: str,
                            meter: Meter | None, what: str, token: str | None, attempts: int,
                            validate: Callable[[object], bool] | None = None, cost: int = 1):
        meter = meter if meter is not None else Meter()
        for attempt in range(1, attempts + 1):
            await self.governor.before_call(key)
            meter.round_trips += 1
            meter.calls += cost
            try:
                response = await send()
            except httpx.HTTPError as exc:
                error = transport_error(exc, what)
            else:
                self.governor.observe(key, response.headers)
                body = _decode(response)
                well_formed = response.status_code == 200 and isinstance(body, dict | list) and "error" not in body
                if well_formed and (validate is None or validate(body)):
                    return body
                error = (GraphError(ErrorClass.TRANSIENT, f"{what}: truncated or malformed response")
                         if well_formed else classify(response.status_code, body))
                error.message = self._redact(error.message, token)
            if not await self._should_retry(error, key, attempt, attempts, what):
                raise error
        raise AssertionError("unreachable")

    async def _should_retry(self, error: GraphError, key: str, attempt: int, attempts: int, what: str) -> bool:
        if error.error_class == ErrorClass.RATE_LIMITED:
            scope = APP if error.code in APP_WIDE_CODES else key
            remaining = self.governor.blocked_for(scope)
            if remaining <= 0 or (error.retry_after_s or 0) > remaining:
                remaining = self.governor.block(scope, error.retry_after_s)
            error.retry_after_s = remaining
            log.info("%s: rate limited (code %s), blocked for %.0f s", what, error.code, remaining)
            return attempt < attempts and remaining <= self.governor.max_wait_s
        if error.error_class != ErrorClass.TRANSIENT or attempt >= attempts:
            return False
        delay = self.backoff_base_s * 2 ** (attempt - 1) * self._rng.uniform(0.5, 1.5)
        log.info("%s: transient failure (%s), retry %d in %.2f s", what, error.message, attempt, delay)
        await self._sleep(delay)
        return True

    # --- batch ----------------------------------------------------------------------------------

    async def batch(self, calls: list[Call], token: str, *, key: str = APP, meter: Meter | None = None,
                    login_type: str = "facebook") -> list:
        """Each call's decoded body or GraphError, in order. ≤ batch_size items per POST; items that
        come back null, transient or rate-limited are retried alone with the full retry policy."""
        meter = meter if meter is not None else Meter()
        results: list = [None] * len(calls)
        for start in range(0, len(calls), self.batch_size):
            chunk = list(range(start, min(start + self.batch_size, len(calls))))
            try:
                outcomes = await self._post_batch([calls[i] for i in chunk], token, key, meter, login_type)
            except GraphError as error:
                if error.error_class in (ErrorClass.TOKEN_INVALID, ErrorClass.RATE_LIMITED):
                    for i in chunk:
                        results[i] = error
                    continue
                outcomes = [None] * len(chunk)  # retry each alone
            retry = [i for i, outcome in zip(chunk, outcomes, strict=True) if _retry_alone(outcome)]
            for i, outcome in zip(chunk, outcomes, strict=True):
                results[i] = outcome
            if retry:
                singles = await asyncio.gather(*(self._single(calls[i], token, key, meter, login_type)
                                                 for i in retry))
                for i, outcome in zip(retry, singles, strict=True):
                    results[i] = outcome
        return results

    async def _single(self, call: Call, token: str, key: str, meter: Meter, login_type: str):
        try:
            return await self.get(call, call.token or token, key=key, meter=meter, login_type=login_type)
        except GraphError as error:
            return error

    async def _post_batch(self, calls: list[Call], token: str, key: str, meter: Meter, login_type: str) -> list:
        items = [{"method": "GET", "relative_url": self._relative_url(c, token)} for c in calls]
        data = {"batch": json.dumps(items), "include_headers": "true"} | self.proof(token)
        url = f"{self.root(login_type)}/{self.version}/"
        body = await self._with_retries(
            lambda: self._http.post(url, content=form_encode(data), headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded"}),
            Call("batch"), key=key, meter=meter, what=f"POST batch of {len(calls)}", token=token,
            attempts=self.max_attempts, validate=lambda b: isinstance(b, list) and len(b) == len(calls),
            cost=len(calls))
        return [self._item_outcome(item, key, call.token or token) for call, item in zip(calls, body, strict=True)]

    def _relative_url(self, call: Call, token: str) -> str:
        query = call.query()
        if call.token and call.token != token:
            query |= {"access_token": call.token} | self.proof(call.token)
        return f"{self.version}/{call.path}" + (f"?{form_encode(query)}" if query else "")

    def _item_outcome(self, item, key: str, token: str):
        """One batch element: body, GraphError, or None (did not complete)."""
        if not isinstance(item, dict):
            return None
        headers = {h.get("name", "").lower(): h.get("value", "") for h in item.get("headers") or []
                   if isinstance(h, dict)}
        self.governor.observe(key, headers)
        try:
            body = loads(item.get("body") or "null")
        except (TypeError, ValueError):
            body = None
        code = item.get("code")
        if code == 200 and isinstance(body, dict | list) and "error" not in body:
            return body
        error = classify(code, body)
        error.message = self._redact(error.message, token)
        if error.error_class == ErrorClass.RATE_LIMITED:
            self.governor.block(APP if error.code in APP_WIDE_CODES else key, error.retry_after_s)
        return error

    # --- paging ---------------------------------------------------------------------------------

    async def paged(self, call: Call, token: str, *, key: str = APP, meter: Meter | None = None,
                    login_type: str = "facebook", max_pages: int = MAX_PAGES) -> list[dict]:
        """Every item of a cursor-paged edge. Follows ``paging.next`` (rebuilt on our own root, auth
        re-added) until it is absent; a repeated cursor or ``max_pages`` ends the walk with a log line."""
        items: list[dict] = []
        seen: set[str] = set()
        for _ in range(max_pages):
            body = await self.get(call, token, key=key, meter=meter, login_type=login_type,
                                  validate=_has_data_list)
            items.extend(item for item in body["data"] if isinstance(item, dict))
            following = next_call(body, call)
            if following is None:
                return items
            marker = json.dumps(following.params, sort_keys=True)
            if marker in seen:
                log.warning("GET /%s: paging loops back to a page already read; stopping", call.path)
                return items
            seen.add(marker)
            call = following
        log.warning("GET /%s: stopped after %d pages", call.path, max_pages)
        return items


_FORM_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
# indexed by byte value (str.translate looks a list up faster than a dict)
_FORM_QUOTED = [chr(b) if b in _FORM_SAFE else "+" if b == 0x20 else f"%{b:02X}" for b in range(256)]


def form_encode(fields: dict) -> str:
    """``urllib.parse.urlencode(fields)``, the same text, with the quoting done by ``str.translate``
    (C) instead of the standard quoter's Python loop over every byte, which was ~10 % of a 10,000-
    account daily sync's CPU on the batch bodies (~10 KB of JSON each)."""
    return "&".join(f"{_form_quote(key)}={_form_quote(value)}" for key, value in fields.items())


def _form_quote(value) -> str:
    return str(value).encode().decode("latin-1").translate(_FORM_QUOTED)


def _has_data_list(body) -> bool:
    return isinstance(body, dict) and isinstance(body.get("data"), list)


def _retry_alone(outcome) -> bool:
    return outcome is None or (isinstance(outcome, GraphError)
                               and outcome.error_class in (ErrorClass.TRANSIENT, ErrorClass.RATE_LIMITED))


def _decode(response: httpx.Response):
    try:
        return loads(response.content)
    except ValueError:
        return None


def loads(raw: bytes | str):
    """JSON text → Python objects with orjson (several times faster: JSON decoding was ~16 % of a
    daily sync's CPU; docs/decisions/0011-orjson.md); what orjson refuses (text that is not UTF-8,
    NaN) goes to the standard library. ValueError when neither can read it. One difference: an
    integer beyond 64 bits comes back as a float (the API sends ids as strings)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)
