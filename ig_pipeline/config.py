"""Settings from environment variables, read in one place.

Every variable has a documented default (README "Configuration"). Values that must exist
outside the demo (app id/secret, redirect URI, token keys) fall back to the documented demo
values only when the Graph URL's host is exactly a loopback address (a local simulator), so a
production deployment cannot silently run with demo secrets. ``IG_DEMO`` with a Graph URL that is
not loopback is refused: demo secrets are public, and demo tokens must never reach Meta.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v24.0"

# Documented demo credentials: the simulator accepts these when IG_APP_ID/IG_APP_SECRET are
# unset, so the OAuth handler and the simulator agree with no setup. Never valid at Meta.
DEMO_APP_ID = "1000000000000001"
DEMO_APP_SECRET = "demo-app-secret-not-for-production"
DEMO_TOKEN_KEY = "ZGVtby1rZXktZGVtby1rZXktZGVtby1rZXktZGVtb28="  # Fernet key, demo only
DEMO_REDIRECT_URI = "http://127.0.0.1:8766/instagram/callback"
DEMO_WEBHOOK_VERIFY_TOKEN = "demo-verify-token"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def _is_local(url: str) -> bool:
    """True only when the URL's host is exactly ``localhost`` or a loopback IP (127.0.0.0/8, ::1);
    a host that merely contains such text (``localhost.example.com``, ``?u=127.0.0.1``) is not."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a malformed port raises ValueError
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    graph_url: str
    graph_version: str
    app_id: str | None
    app_secret: str | None = field(repr=False)
    redirect_uri: str | None
    token_keys: tuple[str, ...] = field(repr=False)
    alert_webhook_url: str | None
    webhook_verify_token: str | None = field(repr=False)
    oauth_public_url: str
    dagster_ui_url: str
    intraday_retention_months: int
    restatement_days: int  # days before yesterday that the daily sync pulls again (Instagram restates 48 h)
    backfill_days: int  # history loaded when an account connects
    daily_batches: int  # account batches (runs) the daily sync is split into
    demo: bool
    # Instagram Login (Business Login for Instagram) has its own app id and secret in the Meta app;
    # unset, the Facebook app's are used (as in the simulator).
    instagram_app_id: str | None = None
    instagram_app_secret: str | None = field(default=None, repr=False)
    # Comment text is personal data (docs/comments-and-tags.md): off stores NULL text; rows are kept this long.
    comment_text: bool = True
    comment_retention_days: int = 90

    def require(self, attribute: str):
        """The value of a setting that this code path cannot do without, or a ConfigError naming it."""
        value = getattr(self, attribute)
        if not value:
            variable = _VARIABLES[attribute]
            raise ConfigError(
                f"{variable} is not set. It is required when IG_GRAPH_URL points at the real Graph API "
                f"({self.graph_url}); see README 'Configuration'."
            )
        return value


_VARIABLES = {
    "app_id": "IG_APP_ID",
    "app_secret": "IG_APP_SECRET",
    "redirect_uri": "IG_REDIRECT_URI",
    "token_keys": "IG_TOKEN_KEYS",
    "webhook_verify_token": "IG_WEBHOOK_VERIFY_TOKEN",
    "instagram_app_id": "IG_INSTAGRAM_APP_ID (or IG_APP_ID)",
    "instagram_app_secret": "IG_INSTAGRAM_APP_SECRET (or IG_APP_SECRET)",
}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    graph_url = env.get("IG_GRAPH_URL", DEFAULT_GRAPH_URL).rstrip("/")
    demo_asked = env.get("IG_DEMO", "") not in ("", "0", "false")
    if demo_asked and not _is_local(graph_url):
        raise ConfigError(f"IG_DEMO is set but IG_GRAPH_URL ({graph_url}) is not a loopback simulator: demo "
                          "credentials are public and are only used against http://127.0.0.1:PORT or "
                          "http://localhost:PORT. Unset IG_DEMO, or point IG_GRAPH_URL at the simulator.")
    demo = demo_asked or _is_local(graph_url)

    def secret(name: str, demo_default: str) -> str | None:
        """Set value; else the demo value in demo mode; else None (Settings.require() complains)."""
        value = env.get(name, "").strip()
        return value or (demo_default if demo else None)

    version = env.get("IG_GRAPH_VERSION", DEFAULT_GRAPH_VERSION).strip()
    if not (version.startswith("v") and version[1:].replace(".", "", 1).isdigit()):
        raise ConfigError(f"IG_GRAPH_VERSION must look like v24.0, got {version!r}")

    def positive_int(name: str, default: int, maximum: int) -> int:
        raw = env.get(name, str(default)).strip()
        if not raw.isdigit() or not 1 <= int(raw) <= maximum:
            raise ConfigError(f"{name} must be a whole number from 1 to {maximum}, got {raw!r}")
        return int(raw)

    def on_off(name: str, default: bool) -> bool:
        raw = env.get(name, "").strip().lower()
        if raw in ("", "on", "off"):
            return default if not raw else raw == "on"
        raise ConfigError(f"{name} must be on or off, got {raw!r}")

    keys = tuple(k.strip() for k in (secret("IG_TOKEN_KEYS", DEMO_TOKEN_KEY) or "").split(",") if k.strip())
    return Settings(
        database_url=env.get("IG_DATABASE_URL") or None,
        data_dir=Path(env.get("IG_DATA_DIR", "./.ig_pipeline")).expanduser().resolve(),
        graph_url=graph_url,
        graph_version=version,
        app_id=secret("IG_APP_ID", DEMO_APP_ID),
        app_secret=secret("IG_APP_SECRET", DEMO_APP_SECRET),
        redirect_uri=secret("IG_REDIRECT_URI", DEMO_REDIRECT_URI),
        token_keys=keys,
        alert_webhook_url=env.get("IG_ALERT_WEBHOOK_URL") or None,
        webhook_verify_token=secret("IG_WEBHOOK_VERIFY_TOKEN", DEMO_WEBHOOK_VERIFY_TOKEN),
        oauth_public_url=env.get("IG_OAUTH_PUBLIC_URL", "http://127.0.0.1:8766").rstrip("/"),
        dagster_ui_url=env.get("IG_DAGSTER_UI_URL", "http://127.0.0.1:3000").rstrip("/"),
        intraday_retention_months=positive_int("IG_INTRADAY_RETENTION_MONTHS", 13, 120),
        restatement_days=positive_int("IG_RESTATEMENT_DAYS", 3, 29),
        backfill_days=positive_int("IG_BACKFILL_DAYS", 30, 730),
        daily_batches=positive_int("IG_DAILY_BATCHES", 1, 1000),
        demo=demo,
        instagram_app_id=env.get("IG_INSTAGRAM_APP_ID") or secret("IG_APP_ID", DEMO_APP_ID),
        instagram_app_secret=env.get("IG_INSTAGRAM_APP_SECRET") or secret("IG_APP_SECRET", DEMO_APP_SECRET),
        comment_text=on_off("IG_COMMENT_TEXT", True),
        comment_retention_days=positive_int("IG_COMMENT_RETENTION_DAYS", 90, 3650),
    )
