"""A run's failed accounts: recorded, reported in the asset check, named in every warning (assets/runner.py)."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import sqlalchemy as sa

from ig_pipeline.days import PACIFIC
from ig_pipeline.graph.models import AccountRef


def _check(result, asset: str) -> dg.AssetCheckEvaluation:
    return next(c for c in result.get_asset_check_evaluations()
                if c.asset_key.to_user_string() == asset and c.check_name == "accounts_synced")


def test_a_run_in_which_every_account_failed_fails_after_recording_them(make_env):
    env = make_env(accounts=2, media=5)
    for account in env.accounts:
        env.fault(kind="token_expired", account=account)
    day = (env.now() - timedelta(days=1)).astimezone(PACIFIC).date().isoformat()
    result = env.run("instagram_account_daily_job", partition_key=day, raise_on_error=False)
    assert not result.success  # `dagster asset materialize` exits non-zero on it
    check = _check(result, "instagram_account_daily")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["failed_account_ids"].value == ", ".join(sorted(env.accounts))
    assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] == \
        ["instagram_account_daily"]  # what happened is on the asset's page
    with env.warehouse.transaction() as conn:
        failing = conn.execute(sa.text("SELECT count(*) FROM instagram_sync_state WHERE consecutive_failures = 1"))
        assert failing.scalar_one() == 2


def test_one_failed_account_only_warns_and_the_check_names_it(make_env):
    env = make_env(accounts=3, media=5)
    env.fault(kind="token_expired", account=env.accounts[0])
    result = env.run("instagram_account_daily_job", partition_key=(env.now() - timedelta(days=1)).astimezone(
        PACIFIC).date().isoformat())
    check = _check(result, "instagram_account_daily")
    assert result.success and not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["failed_account_ids"].value == env.accounts[0]


def test_every_warning_in_the_run_metadata_names_its_account(make_env):
    """Warnings from a call plan that did not say which account they are about get its id in front."""
    import logging
    from types import SimpleNamespace

    from ig_pipeline.assets.runner import run_sync
    from ig_pipeline.graph.models import FetchResult

    env = make_env(accounts=2, media=3)
    accounts = [AccountRef(ig_user_id, "owner-0", "token") for ig_user_id in env.accounts]

    async def fetch(client, account):
        return FetchResult(account=account, warnings=["online_followers: (#10) not allowed",
                                                      f"account {account.ig_user_id} counts: partial"])

    context = SimpleNamespace(run=SimpleNamespace(run_id="run-1"), log=logging.getLogger("test"))
    summary = run_sync(context, kind="audience", accounts=accounts, graph=env.graph(), warehouse=env.warehouse,
                       now=env.now(), fetch=fetch)
    assert sorted(summary.warnings) == sorted(
        [f"account {a}: online_followers: (#10) not allowed" for a in env.accounts]
        + [f"account {a} counts: partial" for a in env.accounts])
