"""Configuration reaches assets, schedules and sensors as Dagster resources, built here and only here.

``default_resources()`` reads the environment once, through ``config.load_settings()`` (which
validates every variable and supplies the demo fallbacks for a loopback simulator), when the code
location loads. A secret that is set in the environment is handed to Dagster as ``dg.EnvVar``, so
the UI's resource page and the run config show the variable's name and the value is read by the
process that uses it; only the public demo values (loopback simulator only) appear as literals.
Asset and sensor bodies never read the environment themselves.
"""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from ig_pipeline.alerting.channel import AlertChannel
from ig_pipeline.clock import PipelineClock
from ig_pipeline.config import Settings, load_settings
from ig_pipeline.connections.crypto import TokenCipher
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.warehouse.resource import PostgresWarehouse


class TokenVault(dg.ConfigurableResource):
    """The keys that encrypt stored access tokens (IG_TOKEN_KEYS: comma-separated Fernet keys; the
    first encrypts, every key decrypts, so a key can be rotated without downtime)."""

    token_keys: str = Field(description="Comma-separated Fernet keys; configured from IG_TOKEN_KEYS")

    def __repr_args__(self):
        return [(k, "***" if k == "token_keys" else v) for k, v in super().__repr_args__()]

    def __str__(self) -> str:
        return repr(self)

    def cipher(self) -> TokenCipher:
        return TokenCipher(tuple(k.strip() for k in self.token_keys.split(",") if k.strip()))


class PipelineOptions(dg.ConfigurableResource):
    """The pipeline's tunables (README "Configuration" documents each variable)."""

    data_dir: str = Field(description="IG_DATA_DIR: reports are written under it")
    restatement_days: int = Field(default=3, ge=1, le=29, description="IG_RESTATEMENT_DAYS: days before "
                                  "yesterday that the daily sync pulls again (Instagram restates 48 h)")
    backfill_days: int = Field(default=30, ge=1, le=730, description="IG_BACKFILL_DAYS: history loaded when an "
                               "account connects")
    daily_batches: int = Field(default=1, ge=1, le=1000, description="IG_DAILY_BATCHES: runs the daily sync "
                               "is split into (account batches)")
    intraday_retention_months: int = Field(default=13, ge=1, le=120, description="IG_INTRADAY_RETENTION_MONTHS")
    comment_text: bool = Field(default=True, description="IG_COMMENT_TEXT: off stores comments without text")
    comment_retention_days: int = Field(default=90, ge=1, le=3650, description="IG_COMMENT_RETENTION_DAYS")


def _secret(name: str, value: str | None) -> str | dg.EnvVar | None:
    """``dg.EnvVar(name)`` when the variable is set; else the settings' value (a public demo value on a
    loopback simulator, or None)."""
    return dg.EnvVar(name) if os.environ.get(name, "").strip() else value


def default_resources(settings: Settings | None = None) -> dict:
    """Every resource the code location needs, configured from the environment."""
    settings = settings or load_settings()
    return {
        "graph": InstagramGraphAPI(base_url=settings.graph_url, version=settings.graph_version,
                                   app_secret=_secret("IG_APP_SECRET", settings.app_secret)),
        "warehouse": PostgresWarehouse(database_url=_secret("IG_DATABASE_URL", None)),
        "tokens": TokenVault(token_keys=_secret("IG_TOKEN_KEYS", ",".join(settings.token_keys))),
        "options": PipelineOptions(
            data_dir=str(settings.data_dir), restatement_days=settings.restatement_days,
            backfill_days=settings.backfill_days, daily_batches=settings.daily_batches,
            intraday_retention_months=settings.intraday_retention_months, comment_text=settings.comment_text,
            comment_retention_days=settings.comment_retention_days),
        "alerts": AlertChannel(webhook_url=_secret("IG_ALERT_WEBHOOK_URL", None),
                               dagster_ui_url=settings.dagster_ui_url),
        "clock": PipelineClock(),
    }
