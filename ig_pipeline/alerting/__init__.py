"""Alerting: failure, staleness and reconnect alerts (stored in instagram_alert_log, posted to a webhook)."""
