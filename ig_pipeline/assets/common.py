"""Settings every API-bound asset shares."""

from datetime import timedelta

import dagster as dg

API_POOL = "instagram_api"  # instance-wide bound on concurrent API work (dagster.yaml / `dagster instance concurrency`)
GROUP = "instagram"
ASSET_KINDS = {"instagram", "postgres"}
# Whole-run faults (database restart, network outage): retry the step with backoff.
API_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


# Freshness shown in the UI: daily tables must be updated within a day and a half, intraday within an hour.
DAILY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=36), warn_window=timedelta(hours=26))
INTRADAY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1),
                                                    warn_window=timedelta(minutes=40))


def accounts_check_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec("accounts_synced", asset=asset, blocking=True,
                             description="WARN when an account failed this run (their ids in the metadata); "
                                         "ERROR, failing the run, when every account failed.")
