"""InstagramGraphAPI: the Dagster resource every asset talks to the Graph API through.

Stateless configuration only; ``client()`` hands out a GraphClient (a few small httpx connection
pools taken in turn, one governor, one cache of rejected metrics) for the duration of a run. The code location configures
it from the environment (ig_pipeline/resources.py: the secret as ``dg.EnvVar``, so the Dagster UI
shows the variable's name, not its value).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import datetime

import dagster as dg
import httpx
from pydantic import Field

from ig_pipeline.config import DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION, _is_local
from ig_pipeline.graph.client import INSTAGRAM_GRAPH_URL, GraphClient


class InstagramGraphAPI(dg.ConfigurableResource):
    base_url: str = Field(default=DEFAULT_GRAPH_URL, description="Graph API root (IG_GRAPH_URL)")
    instagram_base_url: str | None = Field(
        default=None, description="Root for Instagram-Login accounts; unset: graph.instagram.com, or base_url "
                                  "when that is local (the simulator serves both)")
    version: str = Field(default=DEFAULT_GRAPH_VERSION, description="Pinned API version (IG_GRAPH_VERSION)")
    app_secret: str | None = Field(default=None, description="IG_APP_SECRET, for appsecret_proof on every call; "
                                                             "null: no proof")
    timeout_s: float = 30.0
    max_attempts: int = 3
    concurrency: int = 32  # accounts in flight
    batch_size: int = 50
    backoff_base_s: float = 0.5
    max_wait_s: float = Field(default=60.0, description="Longest rate-limit wait slept inside a run; longer "
                                                        "blocks fail the account as rate_limited")
    fetch_facebook_views: bool = Field(
        default=False, description="Also ask facebook_views / crossposted_views: one more request per media, "
                                   "answered only for media shared to Facebook (the others are refused)")

    def __repr_args__(self):
        return [(k, "***" if k == "app_secret" and v else v) for k, v in super().__repr_args__()]

    def __str__(self) -> str:
        return repr(self)

    def client(self, *, sleep: Callable[[float], Awaitable] | None = None, clock: Callable[[], float] | None = None,
               now: Callable[[], datetime] | None = None, transport: httpx.AsyncBaseTransport | None = None,
               rng: random.Random | None = None) -> GraphClient:
        """A GraphClient (use ``async with``). ``sleep``/``clock``/``now`` replace real waiting and time
        in tests; ``transport`` swaps the network (httpx.MockTransport)."""
        base_url = self.base_url.rstrip("/")
        instagram = self.instagram_base_url or (base_url if _is_local(base_url) else INSTAGRAM_GRAPH_URL)
        secret = (self.app_secret or "").strip() or None  # a Secret mounted from a file often ends in a newline
        return GraphClient(base_url=base_url, instagram_base_url=instagram, version=self.version,
                           app_secret=secret, timeout_s=self.timeout_s, max_attempts=self.max_attempts,
                           batch_size=self.batch_size, concurrency=self.concurrency,
                           backoff_base_s=self.backoff_base_s, max_wait_s=self.max_wait_s, sleep=sleep, clock=clock,
                           now=now, transport=transport, rng=rng, fetch_facebook_views=self.fetch_facebook_views)
