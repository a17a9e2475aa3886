"""What a Graph API request is, independent of how it is sent: ``Call`` (one GET: path and query),
``Meter`` (what a unit of work cost) and ``next_call`` (the Call that reads the next page of a
cursor-paged edge). The client, the call plans and the token endpoints all speak in these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

AUTH_PARAMS = frozenset({"access_token", "appsecret_proof", "appsecret_time"})


@dataclass
class Meter:
    """Counted calls (one per GET or batch item) and HTTP round trips, per account."""

    calls: int = 0
    round_trips: int = 0


@dataclass(frozen=True)
class Call:
    """One GET: a path relative to the version root and its query parameters. ``token`` (optional)
    overrides the batch's token for this item."""

    path: str
    params: dict = field(default_factory=dict)
    token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # params of token endpoints carry secrets: show names only
        return f"Call({self.path!r}, params={sorted(self.params)})"

    def query(self) -> dict[str, str]:
        return {k: ",".join(v) if isinstance(v, list | tuple) else str(v) for k, v in self.params.items()
                if v is not None}


def next_call(body: dict, current: Call) -> Call | None:
    """The Call for ``paging.next`` (path relative to the version root, auth params dropped), or None."""
    paging = body.get("paging") if isinstance(body, dict) else None
    url = paging.get("next") if isinstance(paging, dict) else None
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[0].startswith("v") and segments[0][1:].replace(".", "").isdigit():
        segments = segments[1:]
    params = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in AUTH_PARAMS}
    return Call("/".join(segments) or current.path, params, current.token)
