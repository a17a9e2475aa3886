"""The competitor and hashtag assets against the simulator over HTTP and a real Postgres, compared with
``/_sim/truth/competitor`` and ``/_sim/truth/hashtag`` at the run's instant."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import httpx
import sqlalchemy as sa

from ig_pipeline.config import load_settings
from ig_pipeline.days import pacific_day
from ig_pipeline.graph.transforms import parse_time
from ig_pipeline.partitions import range_tags
from ig_pipeline.reports import charts, competitors
from ig_pipeline.tracking import store
from ig_pipeline.tracking.store import BUDGET

FIELDS = ("caption", "media_type", "media_product_type", "permalink", "like_count", "comments_count")


def _rows(env, sql: str, **params) -> list[dict]:
    with env.warehouse.transaction() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def _owner_of(env, ig_user_id: str) -> str:
    return _rows(env, "SELECT owner_id FROM instagram_connection WHERE ig_user_id = :a", a=ig_user_id)[0]["owner_id"]


def _check(result, asset: str) -> dg.AssetCheckEvaluation:
    return next(e for e in result.get_asset_check_evaluations() if e.asset_key.to_user_string() == asset)


def test_competitors_match_the_truth_hidden_likes_are_null_and_a_refused_one_is_isolated(make_env):
    env = make_env(accounts=4)
    owner = _owner_of(env, env.accounts[1])
    public = {a["username"]: a for a in httpx.get(f"{env.url}/_sim/world").json()["public_accounts"]}
    hiding = next(u for u, a in public.items() if a["discoverable"] and a["hides_some_like_counts"])
    plain = next(u for u, a in public.items() if a["discoverable"] and not a["hides_some_like_counts"])
    gated = next(u for u, a in public.items() if a["kind"] == "AGE_GATED")
    with env.warehouse.transaction() as conn:
        for name in (hiding, plain, gated):
            store.add_competitor(conn, owner, name)
    now = env.now()
    day = pacific_day(now)
    result = env.run("instagram_tracking_job", partition_key=day.isoformat())
    assert result.success
    check = _check(result, "instagram_competitor_daily")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN

    daily = {r["username"]: r for r in _rows(env, "SELECT * FROM instagram_competitor_daily")}
    assert set(daily) == {hiding, plain}
    hidden_seen = 0
    for name in (hiding, plain):
        truth = httpx.get(f"{env.url}/_sim/truth/competitor/{name}", params={"at": now.isoformat()}).json()
        profile = truth["profile"]
        row = daily[name]
        assert (row["owner_id"], row["day"], row["captured_at"], row["competitor_ig_id"]) == (owner, day, now,
                                                                                            profile["id"])
        for column in ("name", "biography", "website", "followers_count", "follows_count", "media_count"):
            assert row[column] == profile.get(column), (name, column)
        media = {r["media_id"]: r for r in _rows(env, "SELECT * FROM instagram_competitor_media WHERE username = :u",
                                                 u=name)}
        assert set(media) == {m["id"] for m in profile["media"]["data"]}
        for item in profile["media"]["data"]:
            row = media[item["id"]]
            assert {c: row[c] for c in FIELDS} == {c: item.get(c) for c in FIELDS}, item["id"]
            assert row["posted_at"] == parse_time(item["timestamp"]) and row["day"] == day
            hidden_seen += item["like_count_hidden"]
            assert (row["like_count"] is None) == item["like_count_hidden"]
    assert hidden_seen > 0  # the world hides some like counts: they are NULL, never 0
    failing = _rows(env, "SELECT * FROM instagram_sync_state WHERE sync_kind = :k", k=f"competitor:{gated}")
    assert len(failing) == 1 and failing[0]["last_error_code"] == 110 and failing[0]["consecutive_failures"] == 1
    ok = _rows(env, "SELECT * FROM instagram_sync_state WHERE sync_kind = :k", k=f"competitor:{plain}")
    assert ok[0]["last_success_at"] == now

    assert env.run("instagram_report_job").success  # the report's competitor chart for this owner
    chart = load_settings().data_dir / "reports" / "owners" / owner / "competitors.png"
    with env.warehouse.transaction() as conn:
        drawn = competitors.render(competitors.load(conn, day - timedelta(days=30))[owner])
    assert chart.read_bytes() == drawn and drawn != charts.competitor_followers({}, set())

    past = (day - timedelta(days=3)).isoformat()
    refused = env.run("instagram_tracking_job", partition_key=past, raise_on_error=False)
    assert not refused.success
    assert not _rows(env, "SELECT 1 FROM instagram_competitor_daily WHERE day = :d", d=day - timedelta(days=3))


def test_hashtag_media_match_the_truth_with_ranks_and_own_posts_marked(make_env):
    env = make_env(accounts=4, media=None)  # full posting history: the own account posted with #lumen lately
    account = env.accounts[1]  # lumen.2 in seed 3: its posts carry #lumen
    owner = _owner_of(env, account)
    word = _rows(env, "SELECT username FROM instagram_connection WHERE ig_user_id = :a", a=account)[0]["username"]
    word = word.split(".")[0]
    now = env.now()
    day = pacific_day(now)
    env.run("instagram_media_job", tags=range_tags((day - timedelta(days=8)).isoformat(), day.isoformat()))
    with env.warehouse.transaction() as conn:
        for tag in (word, "coffee"):
            store.add_hashtag(conn, owner, tag, account, now)
    assert env.run("instagram_tracking_job", partition_key=day.isoformat()).success

    own_accounts = {r["ig_user_id"] for r in _rows(env, "SELECT ig_user_id FROM instagram_connection "
                                                         "WHERE owner_id = :o", o=owner)}
    own_seen = 0
    for tag in (word, "coffee"):
        truth = httpx.get(f"{env.url}/_sim/truth/hashtag/{tag}", params={"at": now.isoformat()}).json()
        for kind in ("top", "recent"):
            stored = {r["rank"]: r for r in _rows(env, "SELECT * FROM instagram_hashtag_media WHERE hashtag = :h "
                                                       "AND list_kind = :k", h=tag, k=kind)}
            expected = truth[kind][:50]
            assert sorted(stored) == [item["rank"] for item in expected], (tag, kind)
            for item in expected:
                row = stored[item["rank"]]
                assert row["media_id"] == item["id"] and row["hashtag_id"] == truth["id"]
                assert {c: row[c] for c in FIELDS} == {c: item.get(c) for c in FIELDS}, (tag, kind, item["rank"])
                assert row["is_own_post"] == (item["owner_ig_user_id"] in own_accounts)
                assert (row["owner_id"], row["ig_user_id"], row["day"], row["captured_at"]) == (owner, account, day,
                                                                                               now)
                own_seen += row["is_own_post"]
    assert own_seen > 0
    perf = _rows(env, "SELECT * FROM ig_hashtag_performance WHERE hashtag = :h", h=word)
    assert perf and perf[0]["own_posts_seen"] > 0 and perf[0]["best_own_top_rank"] is not None


def test_the_hashtag_budget_is_never_exceeded_even_when_the_account_searched_elsewhere(make_env):
    """28 hashtags searched outside the pipeline (the ledger does not know them), then 5 tracked: the run
    learns the 28 from recently_searched_hashtags, searches 2 and refuses 3 itself — the API never has to."""
    env = make_env(accounts=4)
    account = env.accounts[2]
    owner = _owner_of(env, account)
    token = httpx.post(f"{env.url}/_sim/tokens", json={"ig_user_id": account}).json()["access_token"]
    names = [h["name"] for h in httpx.get(f"{env.url}/_sim/world").json()["hashtags"]]
    for i in range(BUDGET - 2):
        httpx.get(f"{env.url}/v24.0/ig_hashtag_search", params={"user_id": account, "q": f"elsewhere{i}"},
                  headers={"Authorization": f"Bearer {token}"}).raise_for_status()
    now = env.now()
    tracked = names[:5]
    with env.warehouse.transaction() as conn:
        for name in tracked:
            store.add_hashtag(conn, owner, name, account, now)  # the ledger is empty: the command allows it
    result = env.run("instagram_tracking_job", partition_key=pacific_day(now).isoformat())
    assert result.success

    budget = httpx.get(f"{env.url}/_sim/truth/hashtag_budget/{account}").json()
    assert budget["used"] == BUDGET
    states = {r["sync_kind"]: r for r in _rows(env, "SELECT * FROM instagram_sync_state WHERE sync_kind LIKE 'hashtag:%'")}
    refused = sorted(k for k, r in states.items() if r["last_error_class"] == "rate_limited")
    assert len(refused) == 3 and len(states) == 5
    assert all("Hashtag Search limit" not in (r["last_error_message"] or "") for r in states.values())
    assert all("a slot frees at" in states[k]["last_error_message"] for k in refused)
    searched = {r["hashtag"] for r in _rows(env, "SELECT DISTINCT hashtag FROM instagram_hashtag_media")}
    assert len(searched) <= 2 and searched <= set(tracked)


def test_a_hashtag_the_api_refuses_fails_alone_and_holds_no_slot(make_env):
    env = make_env(accounts=4)
    account = env.accounts[2]
    owner = _owner_of(env, account)
    now = env.now()
    with env.warehouse.transaction() as conn:
        for tag in ("nsfw", "coffee"):  # the simulator refuses sensitive hashtags with a generic error, as Meta does
            store.add_hashtag(conn, owner, tag, account, now)
    result = env.run("instagram_tracking_job", partition_key=pacific_day(now).isoformat())
    assert result.success
    check = _check(result, "instagram_hashtag_media")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    states = {r["sync_kind"]: r for r in _rows(env, "SELECT * FROM instagram_sync_state WHERE sync_kind LIKE 'hashtag:%'")}
    assert states["hashtag:nsfw"]["last_error_code"] == 100 and states["hashtag:coffee"]["last_success_at"] == now
    assert {r["hashtag"] for r in _rows(env, "SELECT DISTINCT hashtag FROM instagram_hashtag_media")} == {"coffee"}
    ledger_rows = _rows(env, "SELECT hashtag, hashtag_id FROM ig_hashtag_search_ledger")
    budget = httpx.get(f"{env.url}/_sim/truth/hashtag_budget/{account}").json()
    assert [(r["hashtag"], r["hashtag_id"]) for r in ledger_rows] == [(h["name"], h["id"]) for h in budget["hashtags"]]
    with env.warehouse.transaction() as conn:
        assert store.budget(conn, account, now).used == 2  # coffee's slot + nsfw still tracked (to search)
