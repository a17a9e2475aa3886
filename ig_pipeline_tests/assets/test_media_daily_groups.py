"""instagram_media_daily reads older posts due for a refresh one group of accounts at a time (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import httpx
import sqlalchemy as sa

from ig_pipeline.assets.media_daily import due_media
from ig_pipeline.days import pacific_day
from ig_pipeline.graph.freshness import YOUNG
from ig_pipeline.partitions import range_tags
from ig_pipeline.warehouse.resource import PostgresWarehouse


def test_due_older_posts_of_every_account_are_refreshed_when_read_group_by_group(make_env):
    env = make_env(accounts=5, seed=11, media=60)
    now = env.now()
    today = pacific_day(now)
    yesterday = today - timedelta(days=1)
    env.run("instagram_media_job", tags=range_tags((today - timedelta(days=200)).isoformat(),
                                                   (today - timedelta(days=31)).isoformat()))
    with env.warehouse.transaction() as conn:  # what one read of every account at once says is due
        due = due_media(conn, env.accounts, yesterday, now)
    expected = {ref.media_id for refs in due.values() for ref in refs}
    assert len(due) == len(env.accounts) and len(expected) > 30

    small_groups = PostgresWarehouse(database_url=env.warehouse.database_url, accounts_per_write=2)
    defs = env.defs(warehouse=small_groups, graph=env.graph(concurrency=2))
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("instagram_media_daily_job").execute_in_process(
            instance=instance, partition_key=yesterday.isoformat())
    assert result.success
    meta = next(e.materialization.metadata for e in result.get_asset_materialization_events()
                if e.asset_key.to_user_string() == "instagram_media_daily")
    assert meta["older_media_refreshed"].value == len(expected)

    with env.warehouse.transaction() as conn:
        stored = {r.media_id: r for r in conn.execute(sa.text(
            "SELECT d.media_id, d.like_count, d.comments_count FROM instagram_media_daily d "
            "JOIN instagram_media m USING (media_id) WHERE d.day = :d AND m.posted_at < :young"),
            {"d": yesterday, "young": now - YOUNG})}
    assert set(stored) == expected
    for media_id in sorted(expected)[::7]:  # a sample against the simulator's ground truth
        truth = httpx.get(f"{env.url}/_sim/truth/media/{media_id}").json()
        assert (stored[media_id].like_count, stored[media_id].comments_count) == (
            truth["like_count"], truth["comments_count"]), media_id
