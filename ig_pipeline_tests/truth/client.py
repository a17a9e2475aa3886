"""The simulator's /_sim/truth API over HTTP, cached per (question, instant)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

import httpx


def epoch(moment: datetime) -> float:
    return moment.timestamp()


class Truth:
    def __init__(self, url: str):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=120)
        self._media: dict[tuple[str, float], dict | None] = {}

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, **params) -> dict:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    @cache  # noqa: B019 - one Truth per scenario
    def node(self, ig_user_id: str, at: float) -> dict:
        return self._get(f"/_sim/truth/account/{ig_user_id}/node", at=at)

    @cache  # noqa: B019
    def account_days(self, ig_user_id: str, first: date, last: date, at: float) -> dict[date, dict]:
        body = self._get(f"/_sim/truth/account/{ig_user_id}", since=first.isoformat(), until=last.isoformat(),
                         as_served=1, at=at)
        return {date.fromisoformat(d["day"]): d["metrics"] for d in body["days"]}

    @cache  # noqa: B019
    def listed(self, ig_user_id: str, since: float, until: float, at: float) -> tuple[str, ...]:
        """Top-level posts posted in [since, until) that exist at ``at``, newest first."""
        data = self._get(f"/_sim/truth/account/{ig_user_id}/media", since=since, until=until, at=at)["data"]
        return tuple(m["media_id"] for m in data)

    @cache  # noqa: B019
    def stories(self, ig_user_id: str, at: float) -> tuple[str, ...]:
        return tuple(self._get(f"/_sim/truth/account/{ig_user_id}/stories", at=at)["data"])

    @cache  # noqa: B019
    def demographics(self, ig_user_id: str, at: float) -> list[dict]:
        return self._get(f"/_sim/truth/account/{ig_user_id}/demographics", at=at)["data"]

    @cache  # noqa: B019
    def online_followers(self, ig_user_id: str, at: float) -> dict[str, dict[str, int]]:
        return self._get(f"/_sim/truth/account/{ig_user_id}/online_followers", at=at)["data"]

    def webhooks(self) -> list[dict]:
        return self._get("/_sim/truth/webhooks")["deliveries"]

    def refusals(self) -> dict[str, str]:
        return self._get("/_sim/truth/refusals")["refusals"]

    def prefetch_media(self, pairs: set[tuple[str, float]]) -> None:
        todo = sorted(p for p in pairs if p not in self._media)
        for start in range(0, len(todo), 2000):
            chunk = todo[start:start + 2000]
            response = self.http.post("/_sim/truth/media", json={"items": [{"media_id": m, "at": at}
                                                                            for m, at in chunk]})
            response.raise_for_status()
            for pair, answer in zip(chunk, response.json()["media"], strict=True):
                self._media[pair] = answer

    def media(self, media_id: str, at: float) -> dict | None:
        if (media_id, at) not in self._media:
            self.prefetch_media({(media_id, at)})
        return self._media[(media_id, at)]

    def debug_token(self, token: str, app_token: str) -> dict:
        response = self.http.get("/v24.0/debug_token", params={"input_token": token, "access_token": app_token})
        response.raise_for_status()
        return response.json()["data"]
