"""Connect simulated accounts the way a person would: connect link → dialog → Allow → callback.

Everything goes over HTTP through the real OAuth handler and the simulator's login dialog, so
the demo exercises the same code path as a real creator connecting their account.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx


class _FormParser(HTMLParser):
    """The first form of a page: its action, method and the fields a browser would submit."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = "get"
        self.fields: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self._select: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self._in_form = True
            self.action, self.method = attrs.get("action", ""), (attrs.get("method") or "get").lower()
        elif not self._in_form:
            return
        elif tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "checkbox"):
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "input" and attrs.get("type") == "checkbox" and "checked" in attrs and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "on")
        elif tag == "select":
            self._select = attrs.get("name")
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select:
            self.options[self._select].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


class ConnectError(RuntimeError):
    def __init__(self, message: str, response: httpx.Response | None = None):
        super().__init__(message)
        self.response = response


def connect_through_dialog(http: httpx.Client, connect_link: str, fb_user_id: str) -> httpx.Response:
    """Open the connect link, pick the simulated Facebook user, click Allow; returns the result page."""
    dialog = http.get(connect_link, follow_redirects=True)
    form = _FormParser()
    form.feed(dialog.text)
    if form.action is None:
        raise ConnectError(f"no login form at {dialog.url.copy_with(query=None)} (HTTP {dialog.status_code})")
    fields = dict(form.fields)
    fields["fb_user"] = fb_user_id
    fields["decision"] = "allow"
    target = urljoin(str(dialog.url), form.action)
    result = http.post(target, data=fields, follow_redirects=True)
    if result.status_code != 200:
        raise ConnectError(f"connecting Facebook user {fb_user_id} ended with HTTP {result.status_code}", result)
    return result
