"""Metric coverage checks: the pure computation on hand-made rows, then the checks in real runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from ig_pipeline.assets import coverage
from ig_pipeline.days import pacific_day
from ig_pipeline.graph import catalog
from ig_pipeline.partitions import intraday_key

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
VERSION = "v24.0"


def _media(media_id: str, product: str, account: str = "a1", posted: datetime | None = None, **values) -> dict:
    row = {"media_id": media_id, "ig_user_id": account, "media_product_type": product,
           "posted_at": posted or NOW - timedelta(days=3), **dict.fromkeys(catalog.MEDIA_INSIGHT_COLUMNS)}
    for column, _ in coverage.media_columns(product, VERSION, NOW.date(), opt_in=True):
        row[column] = 1
    return row | values


def _by(result, product: str, column: str):
    return next(c for c in result.coverages if (c.product, c.column) == (product, column))


def test_a_metric_null_on_every_row_of_a_product_type_is_an_error_naming_media_and_accounts():
    rows = [_media("f1", "FEED", reach=None), _media("f2", "FEED", "a2", reach=None), _media("r1", "REELS")]
    result = coverage.media_coverage(rows, VERSION, NOW)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert [(c.product, c.column) for c in result.errors] == [("FEED", "reach")]
    meta = result.metadata()["null_on_every_row"].data
    assert meta == [{"product_type": "FEED", "metric": "reach", "rows": 2, "with_value": 0,
                     "account_ids": ["a1", "a2"], "media_ids": ["f1", "f2"]}]
    assert _by(result, "REELS", "reach").share == 1.0


def test_a_metric_below_the_threshold_warns():
    rows = [_media(f"s{i}", "STORY", replies=None if i < 2 else 3) for i in range(10)]
    result = coverage.media_coverage(rows, VERSION, NOW)
    assert result.errors == [] and [(c.product, c.column) for c in result.warnings] == [("STORY", "replies")]
    assert result.severity == dg.AssetCheckSeverity.WARN and _by(result, "STORY", "replies").share == 0.8


def test_full_rows_pass_and_every_supported_metric_is_measured():
    rows = [_media("f1", "FEED"), _media("r1", "REELS"), _media("s1", "STORY")]
    result = coverage.media_coverage(rows, VERSION, NOW)
    assert result.passed
    measured = {(c.product, c.column) for c in result.coverages}
    assert ("REELS", "reels_avg_watch_time_ms") in measured and ("STORY", "taps_forward") in measured
    assert ("FEED", "impressions") not in measured  # retired on v22+
    assert ("STORY", "likes") not in measured  # not served for stories


def test_media_older_than_two_years_and_before_the_conversion_are_legitimate_nulls():
    empty = dict.fromkeys(catalog.MEDIA_INSIGHT_COLUMNS)
    rows = [_media("new", "FEED", posted=NOW - timedelta(days=100)),
            _media("before", "FEED", posted=NOW - timedelta(days=300)) | empty,
            _media("ancient", "FEED", posted=NOW - timedelta(days=800)) | empty]
    result = coverage.media_coverage(rows, VERSION, NOW)
    assert result.passed, result.metadata()
    assert result.excluded == {"older_than_two_years": 1, "posted_before_conversion": 1}
    # an empty row *younger* than a row with insights is not pre-conversion: it counts
    rows.append(_media("young_empty", "FEED", posted=NOW - timedelta(days=1)) | empty)
    assert not coverage.media_coverage(rows, VERSION, NOW).passed


def test_facebook_views_never_errors_and_warns_only_when_absent_on_many_rows():
    few = [_media(f"r{i}", "REELS", facebook_views=None, crossposted_views=None) for i in range(5)]
    assert coverage.media_coverage(few, VERSION, NOW, opt_in=True).passed
    many = [_media(f"r{i}", "REELS", facebook_views=None) for i in range(coverage.CONDITIONAL_MIN_ROWS)]
    result = coverage.media_coverage(many, VERSION, NOW, opt_in=True)
    assert result.errors == [] and [c.column for c in result.warnings] == ["facebook_views"]
    some = many[:-1] + [_media("shared", "REELS", facebook_views=7)]
    assert coverage.media_coverage(some, VERSION, NOW, opt_in=True).passed
    # not asked for (fetch_facebook_views off): not measured
    assert coverage.media_coverage(many, VERSION, NOW).passed


def _day_row(account: str, day: date, **values) -> dict:
    row = {"ig_user_id": account, "day": day}
    row.update({column: 5 for column, _ in coverage.account_columns(VERSION, day)})
    return row | values


def test_account_follower_metrics_may_be_null_under_100_followers_and_beyond_30_days():
    today = pacific_day(NOW)
    yesterday, old = today - timedelta(days=1), today - timedelta(days=40)
    rows = [_day_row("small", yesterday, new_followers=None, follows=None, unfollows=None,
                     follows_and_unfollows=None),
            _day_row("big", yesterday), _day_row("big", old, new_followers=None)]
    result = coverage.account_coverage(rows, VERSION, today, {"small": 60, "big": 5000})
    assert result.passed, result.metadata()
    assert result.excluded == {"follower_metrics_under_100_followers": 4, "new_followers_older_than_30_days": 1}
    rows.append(_day_row("big", yesterday, reach=None))
    result = coverage.account_coverage([_day_row("big", yesterday, reach=None)], VERSION, today, {"big": 5000})
    assert [c.column for c in result.errors] == ["reach"] and result.errors[0].missing_accounts == {"big"}


def _checks(result) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def test_coverage_checks_pass_on_real_runs_and_fail_when_a_served_metric_is_dropped(make_env, monkeypatch):
    env = make_env(accounts=4, media=60)
    yesterday = (pacific_day(env.now()) - timedelta(days=1)).isoformat()
    runs = [env.run("instagram_media_daily_job", partition_key=yesterday),
            env.run("instagram_intraday_job", partition_key=intraday_key(env.now())),
            env.run("instagram_account_daily_job", partition_key=yesterday)]
    checks = {k: v for run in runs for k, v in _checks(run).items() if k[1] == "metric_coverage"}
    assert set(checks) == {(a, "metric_coverage") for a in ("instagram_media_daily", "instagram_media_intraday",
                                                            "instagram_account_daily", "instagram_account_intraday")}
    problems = {k: {m: v.value for m, v in c.metadata.items()} for k, c in checks.items() if not c.passed}
    assert not problems, problems
    assert checks[("instagram_media_daily", "metric_coverage")].metadata["rows_checked"].value > 0

    # the client silently loses a metric the API served (what issue 12 found for feed and story reach)
    from ig_pipeline.graph import transforms

    keep = transforms.insight_columns
    monkeypatch.setattr(transforms, "insight_columns",
                        lambda body, by_name: {k: v for k, v in keep(body, by_name).items() if k != "reach"})
    env.advance(86400)
    today = (pacific_day(env.now()) - timedelta(days=1)).isoformat()
    failed = _checks(env.run("instagram_media_daily_job", partition_key=today))[
        ("instagram_media_daily", "metric_coverage")]
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    errors = failed.metadata["null_on_every_row"].value
    assert {(e["product_type"], e["metric"]) for e in errors} >= {("FEED", "reach"), ("REELS", "reach")}
    assert all(e["media_ids"] and e["account_ids"] for e in errors)


def test_combining_account_groups_gives_the_result_of_one_pass():
    rows = [_media(f"m{i}", "FEED", account=f"acct-{i % 7}", reach=None if i % 3 == 0 else 5) for i in range(60)]
    whole = coverage.media_coverage(rows, VERSION, NOW)
    by_account: dict[str, list[dict]] = {}
    for row in rows:
        by_account.setdefault(row["ig_user_id"], []).append(row)
    parts = coverage.combined(coverage.media_coverage(r, VERSION, NOW) for r in by_account.values())
    assert (parts.rows, parts.excluded, parts.passed) == (whole.rows, whole.excluded, whole.passed)
    assert {(c.product, c.column, c.eligible, c.with_value) for c in parts.coverages} == {
        (c.product, c.column, c.eligible, c.with_value) for c in whole.coverages}
    assert [(c.column, c.missing_accounts) for c in parts.warnings] == [
        (c.column, c.missing_accounts) for c in whole.warnings]


def test_a_batch_run_checks_its_own_accounts_group_by_group(make_env, monkeypatch):
    """The other batch's rows in the same partition are not the run's (they were judged by their own run),
    and reading a group of one account at a time judges exactly what one pass would."""
    import sqlalchemy as sa

    from ig_pipeline.assets import coverage_checks
    from ig_pipeline.assets.selection import BATCH_TAG, batch_of

    env = make_env(accounts=6, media=30)
    yesterday = (pacific_day(env.now()) - timedelta(days=1)).isoformat()
    env.run("instagram_media_daily_job", partition_key=yesterday, tags={BATCH_TAG: "1/2"})
    with env.warehouse.transaction() as conn:  # the other batch's rows now hold a NULL the check would flag
        conn.execute(sa.text("UPDATE instagram_media_daily SET reach = NULL WHERE day = :d"), {"d": yesterday})
    mine = [a for a in env.accounts if batch_of(a, 2) == 0]
    assert mine and len(mine) < len(env.accounts)

    def check_of_batch_zero():
        run = env.run("instagram_media_daily_job", partition_key=yesterday, tags={BATCH_TAG: "0/2"})
        return _checks(run)[("instagram_media_daily", "metric_coverage")]

    whole = check_of_batch_zero()
    monkeypatch.setattr(coverage_checks, "ACCOUNTS_PER_GROUP", 1)
    grouped = check_of_batch_zero()
    with env.warehouse.transaction() as conn:
        expected = conn.execute(sa.text("SELECT count(*) FROM instagram_media_daily WHERE day = :d "
                                        "AND ig_user_id = ANY(:a)"), {"d": yesterday, "a": mine}).scalar()
    for check in (whole, grouped):
        assert check.passed, {k: v.value for k, v in check.metadata.items()}
        assert check.metadata["rows_checked"].value == expected > 0
    assert whole.metadata["coverage"].value == grouped.metadata["coverage"].value
