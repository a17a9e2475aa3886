"""Fault matrix and crash safety: the warehouse never loses or duplicates data.

Each test compares a warehouse written under faults (or after a killed run) with one written by
a clean run of the same simulated world at the same virtual instant, row for row.
"""

from __future__ import annotations

import random
import subprocess
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ig_pipeline.days import pacific_day
from ig_pipeline.partitions import intraday_key
from ig_pipeline_tests.reliability.conftest import snapshot

pytestmark = pytest.mark.reliability

ACCOUNTS = 50
RATE = 0.05
# fault kind -> error classes an account may end with (empty: retries must absorb it entirely)
TRANSIENT = {"transient_1", "transient_2", "reset", "malformed_json", "truncated_page", "batch_null", "hang"}
PERMANENT = {"token_expired": {"token_invalid"}, "token_password_changed": {"token_invalid"},
             "token_revoked": {"token_invalid"},
             # only re-consent cures a missing permission, so the client marks the account for reconnection
             "permission_10": {"token_invalid"}, "permission_200": {"token_invalid"},
             # a rate limit means "stop calling that scope" (4 is app-wide): with the test's short wait cap
             # the affected accounts end rate_limited with a next_retry_at, the others complete
             "rate_limit_4": {"rate_limited"}, "rate_limit_17": {"rate_limited"},
             "rate_limit_32": {"rate_limited"}, "rate_limit_613": {"rate_limited"},
             "rate_limit_80002": {"rate_limited"}}
JOBS = ("instagram_account_daily_job", "instagram_media_daily_job")


def _failures(env) -> dict[str, str]:
    with env.warehouse.transaction() as conn:
        return dict(conn.execute(sa.text(
            "SELECT ig_user_id, last_error_class FROM instagram_sync_state WHERE consecutive_failures > 0")).all())


def _sync(env, day: str, graph=None) -> None:
    defs = env.defs(**({"graph": graph} if graph else {}))
    for job in JOBS:
        result = defs.resolve_job_def(job).execute_in_process(partition_key=day, raise_on_error=False)
        assert result.success, f"{job} did not finish under faults"




@pytest.mark.parametrize("kind", sorted(TRANSIENT | set(PERMANENT) | {"unsupported_metric"}))
def test_fault_matrix(kind, make_env, new_warehouse):
    clean = make_env(accounts=ACCOUNTS, seed=5, media=12)
    day = (pacific_day(clean.now()) - timedelta(days=1)).isoformat()
    _sync(clean, day)
    faulty = clean.with_warehouse(new_warehouse())
    faulty.fault(kind=kind, rate=RATE)
    # Short time-out so the "hang" fault costs seconds; no real waits on rate limits.
    _sync(faulty, day, graph=faulty.graph(timeout_s=1.5, max_wait_s=0.5))
    failed = _failures(faulty)

    if kind in TRANSIENT:
        assert failed == {}, f"{kind}: retries should absorb a {RATE:.0%} fault rate, got {failed}"
    elif kind in PERMANENT:
        assert set(failed.values()) <= PERMANENT[kind], failed
        if PERMANENT[kind] == {"rate_limited"} and failed:
            with faulty.warehouse.transaction() as conn:
                waiting = conn.execute(sa.text("SELECT count(*) FROM instagram_sync_state WHERE "
                                               "last_error_class = 'rate_limited' AND next_retry_at IS NULL")).scalar()
            assert waiting == 0, "every rate-limited account must know when to try again"
        if PERMANENT[kind] == {"token_invalid"} and failed:
            with faulty.warehouse.transaction() as conn:
                statuses = set(conn.execute(sa.text(
                    "SELECT status FROM instagram_connection WHERE ig_user_id = ANY(:ids)"),
                    {"ids": list(failed)}).scalars())
            assert statuses == {"needs_reauth"}
    else:  # unsupported_metric: the metric is dropped for the run, the sync completes
        assert failed == {}
        return
    assert snapshot(faulty.warehouse, set(failed)) == snapshot(clean.warehouse, set(failed))


def test_killed_runs_then_rerun_equal_a_clean_run(make_env, new_warehouse):
    clean = make_env(accounts=10, seed=9, media=15, latency_ms=15)
    day = (pacific_day(clean.now()) - timedelta(days=1)).isoformat()
    now = clean.now()
    db = clean.warehouse.database_url

    def run_in_process(env) -> subprocess.Popen:
        return env.start_run("instagram_media_daily_job", day, now)

    started = time.monotonic()
    clean.finish(run_in_process(clean))
    duration = time.monotonic() - started
    assert db == clean.warehouse.database_url
    expected = snapshot(clean.warehouse)
    assert expected["instagram_media_daily"]

    rng = random.Random(20261124)
    trials = 10
    for trial in range(trials):
        target = clean.with_warehouse(new_warehouse())
        process = run_in_process(target)
        time.sleep(rng.uniform(0.3, 1.0) * duration)
        process.kill()
        process.wait(timeout=30)
        rerun = run_in_process(target)
        target.finish(rerun)
        assert snapshot(target.warehouse) == expected, f"trial {trial}: warehouse differs from the clean run"


def test_daily_sync_overlapping_an_intraday_snapshot_equals_running_them_in_turn(make_env, new_warehouse):
    """Both jobs upsert instagram_media for the same accounts at once (separate processes, as run workers
    are): neither deadlocks or fails, and every account ends exactly as if the two had run one after the
    other, in one order or the other (the daily job refreshes older media the snapshot job may have listed
    first, so the order matters, but nothing in between may appear)."""
    concurrent = make_env(accounts=6, seed=5, media=20)
    now = concurrent.now()
    day = (pacific_day(now) - timedelta(days=1)).isoformat()
    jobs = [("instagram_media_daily_job", day), ("instagram_intraday_job", intraday_key(now))]
    runs = [concurrent.start_run(job, key, now) for job, key in jobs]
    for run in runs:
        concurrent.finish(run)
    orders = []
    for order in (jobs, jobs[::-1]):
        in_turn = concurrent.with_warehouse(new_warehouse())
        for job, key in order:
            in_turn.finish(in_turn.start_run(job, key, now))
        orders.append(in_turn)
    assert snapshot(concurrent.warehouse)["instagram_media_intraday"]
    for account in concurrent.accounts:
        others = set(concurrent.accounts) - {account}
        mine = snapshot(concurrent.warehouse, others)
        assert mine in [snapshot(o.warehouse, others) for o in orders], f"account {account} is in a mixed state"
