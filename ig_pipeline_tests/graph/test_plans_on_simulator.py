"""Call plans against the simulator over real HTTP: every product type gets its insights, a
request never mixes metrics the API refuses together, and a refusal is reported, never silent."""

from __future__ import annotations

from datetime import timedelta

from ig_pipeline.days import pacific_day
from ig_pipeline.graph import plans
from ig_pipeline.graph.errors import ErrorClass, GraphError
from ig_pipeline.graph.session import AccountSession, InsightJob, rejection_kind
from ig_pipeline_tests.graph.fake import run
from ig_pipeline_tests.graph.test_simulator import with_client

BREAKDOWN_MESSAGE = ("(#100) The breakdown (action_type) is not supported for the metrics "
                     "(reach,views,likes,comments,saved,shares,total_interactions,reposts,follows,profile_activity)")


def truth_of(sim, media_id: str) -> dict:
    return sim.http.get(f"/_sim/truth/media/{media_id}").json()


def test_feed_reels_and_story_rows_hold_the_served_insights(fresh, graph, fake_time):
    account = fresh.accounts()[0]
    now = fresh.now()
    yesterday = pacific_day(now) - timedelta(days=1)

    async def sync(client):
        recent = await plans.fetch_recent(client, account, now - timedelta(days=30), yesterday, now)
        listed = await plans.fetch_media_list(client, account, now - timedelta(days=200), now - timedelta(days=30))
        older = await plans.fetch_media_insights(client, account, listed.media[:12], yesterday, now)
        return recent, older, await plans.fetch_intraday(client, account, now)

    results = run(with_client(graph, fresh, fake_time, sync))
    for result in results:
        assert result.ok and not result.refusals, (result.error, result.refusals)
    rows = [row for result in results for table in ("instagram_media_daily", "instagram_media_intraday")
            for row in result.rows.get(table, [])]
    by_product: dict[str, list[dict]] = {}
    for row in rows:
        by_product.setdefault(row["media_product_type"], []).append(row)
    assert {"FEED", "REELS", "STORY"} <= set(by_product), sorted(by_product)
    checked = 0
    for row in rows:
        truth = truth_of(fresh, row["media_id"])
        metrics = truth["metrics"]
        if truth["pre_conversion"] or "reach" not in row:
            continue  # the API serves no insights for it (pre-conversion, older than 2 years, few viewers)
        assert row["reach"] == metrics["reach"] and row["views"] == metrics["views"], row["media_id"]
        if row["media_product_type"] in ("FEED", "STORY"):
            assert row["profile_activity"] == metrics["profile_activity"]["total"], row["media_id"]
        if row["media_product_type"] == "STORY":
            assert row["navigation"] == metrics["navigation"]["total"] and row["replies"] == metrics["replies"]
        if row["media_product_type"] == "REELS":
            assert row["reels_skip_rate"] == metrics["reels_skip_rate"]
        checked += 1
    with_values = {p: sum("reach" in r for r in rs) for p, rs in by_product.items()}
    assert all(with_values[p] > 0 for p in ("FEED", "REELS", "STORY")), with_values
    assert checked >= 10


def test_a_breakdown_complaint_never_drops_the_metrics_it_lists(fresh, graph, fake_time):
    """The message lists every metric of the request; none of them is refused as such, so none is
    dropped for the rest of the run. The refused group is reported with account, media, metrics
    and the API's words."""
    account = fresh.accounts()[0]
    assert rejection_kind(BREAKDOWN_MESSAGE) == "shape"

    async def go(client):
        session = AccountSession(client, account)
        job = InsightJob("m1", "FEED:IMAGE", ["reach", "views", "profile_activity"], lambda m: None, media_id="m1")
        session._after_rejection(job, GraphError(ErrorClass.BAD_REQUEST, BREAKDOWN_MESSAGE, code=100))
        return session, client.rejected_metrics

    session, rejected = run(with_client(graph, fresh, fake_time, go))
    assert rejected == {}
    assert session.refusals == [{"account": account.ig_user_id, "media": "m1", "scope": "FEED:IMAGE",
                                 "metrics": ["reach", "views", "profile_activity"], "message": BREAKDOWN_MESSAGE}]
    assert any("m1" in w and "reach" in w and "breakdown (action_type)" in w for w in session.warnings)


def test_facebook_views_setting_fetches_them_where_served_and_loses_nothing_elsewhere(fresh, graph, fake_time):
    account = fresh.accounts()[0]
    now = fresh.now()
    yesterday = pacific_day(now) - timedelta(days=1)

    async def sync(client):
        listed = await plans.fetch_media_list(client, account, now - timedelta(days=120), now)
        posts = [m for m in listed.media if m.posted_at > now - timedelta(days=700)][:25]
        return await plans.fetch_media_insights(client, account, posts, yesterday, now), client.rejected_metrics

    result, rejected = run(with_client(graph, fresh, fake_time, sync, fetch_facebook_views=True))
    assert result.ok and not {"facebook_views", "crossposted_views"} & set().union(*rejected.values())
    shared = 0
    for row in result.rows["instagram_media_daily"]:
        truth = truth_of(fresh, row["media_id"])
        if truth["pre_conversion"]:
            continue
        assert row["reach"] == truth["metrics"]["reach"]  # the refused opt-in request cost nothing else
        if "facebook_views" in row:
            shared += 1
            assert row["facebook_views"] == truth["metrics"]["facebook_views"]
    assert shared > 0
    refused = {tuple(r["metrics"]) for r in result.refusals}
    assert refused <= {("facebook_views",), ("facebook_views", "crossposted_views"), ("crossposted_views",)}


def test_older_posts_counts_come_from_listings_not_one_call_per_post(fresh, graph, fake_time):
    """30 older posts: their like/comment counts (equal to the simulator's truth) cost one listing
    call per 12 posts in the insights batch, not one node read each."""
    account = fresh.accounts()[0]
    now = fresh.now()
    yesterday = pacific_day(now) - timedelta(days=1)

    async def go(client):
        listed = await plans.fetch_media_list(client, account, now - timedelta(days=700), now - timedelta(days=30))
        posts = [ref for ref in listed.media if ref.media_product_type != "STORY"][:30]
        fresh.http.delete("/_sim/requests")
        return posts, await plans.fetch_media_insights(client, account, posts, yesterday, now)

    posts, result = run(with_client(graph, fresh, fake_time, go))
    assert len(posts) == 30 and result.ok
    items = [item for entry in fresh.requests()["requests"] for item in entry.get("batch") or [entry]]
    listings = [item for item in items if item["path"].endswith("/media")]
    node_reads = [item for item in items if item["path"].rsplit("/", 1)[-1] in {p.media_id for p in posts}]
    assert len(listings) == 3 and not node_reads
    rows = {row["media_id"]: row for row in result.rows["instagram_media_daily"]}
    compared = 0
    for ref in posts:
        truth = truth_of(fresh, ref.media_id)
        if ref.media_id in rows and truth["like_count"] is not None:
            assert rows[ref.media_id]["like_count"] == truth["like_count"], ref.media_id
            compared += 1
    assert compared >= 20 and not any("counts not read" in w for w in result.warnings)
