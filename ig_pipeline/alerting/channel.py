"""Where alerts go, as a Dagster resource (configured in ig_pipeline/resources.py)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field


class AlertChannel(dg.ConfigurableResource):
    webhook_url: str | None = Field(default=None, description="IG_ALERT_WEBHOOK_URL (Slack-compatible); unset: "
                                                              "alerts are only stored in instagram_alert_log")
    dagster_ui_url: str = Field(default="http://127.0.0.1:3000", description="IG_DAGSTER_UI_URL: run links")

    def __repr_args__(self):  # a webhook URL is a credential (Slack's carry their secret in the path)
        return [(k, "***" if k == "webhook_url" and v else v) for k, v in super().__repr_args__()]

    def __str__(self) -> str:
        return repr(self)
