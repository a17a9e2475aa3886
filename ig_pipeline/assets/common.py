"""Settings every API-bound asset shares."""

import dagster as dg

API_POOL = "instagram_api"  # instance-wide bound on concurrent API work (dagster.yaml / `dagster instance concurrency`)
GROUP = "instagram"
KINDS = {"instagram", "postgres"}
# Whole-run faults (database restart, network outage): retry the step with backoff.
API_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def accounts_check_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec("accounts_synced", asset=asset,
                             description="WARN when an account failed this run, ERROR when most did.")
