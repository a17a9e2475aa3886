"""valid_rows on real runs: it judges the rows its run wrote, and fails when the run writes a negative count."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ig_pipeline.days import pacific_day


def _valid_rows(result, asset: str):
    return next(e for e in result.get_asset_check_evaluations()
                if (e.asset_key.to_user_string(), e.check_name) == (asset, "valid_rows"))


def test_valid_rows_judges_the_runs_rows_and_fails_on_a_negative_count(make_env, monkeypatch):
    env = make_env(accounts=3, media=20)
    today = pacific_day(env.now())
    yesterday = today - timedelta(days=1)
    first = env.run("instagram_media_daily_job", partition_key=yesterday.isoformat())
    assert _valid_rows(first, "instagram_media_daily").passed
    with env.warehouse.transaction() as conn:  # a bad row in another partition is not this run's
        conn.execute(sa.text("UPDATE instagram_media_daily SET reach = -5 WHERE day = :d"), {"d": yesterday})
    assert _valid_rows(env.run("instagram_media_daily_job", partition_key=today.isoformat()),
                       "instagram_media_daily").passed

    from ig_pipeline.graph import transforms

    keep = transforms.insight_columns
    monkeypatch.setattr(transforms, "insight_columns",
                        lambda body, by_name: {k: (-v if k == "reach" and v else v)
                                               for k, v in keep(body, by_name).items()})
    env.advance(86400)
    bad = _valid_rows(env.run("instagram_media_daily_job", partition_key=pacific_day(env.now()).isoformat()),
                      "instagram_media_daily")
    assert not bad.passed and bad.metadata["rows_with_negative_counts"].value > 0
