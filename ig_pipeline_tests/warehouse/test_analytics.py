"""Analyst views against a small hand-made data set, and tenant isolation through roles and RLS.

The expected numbers below were worked out by hand from the rows that ``known_data`` inserts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from ig_pipeline.warehouse import roles, schema
from ig_pipeline.warehouse.partitions import ensure_partitions, month_start
from ig_pipeline.warehouse.upsert import bulk_upsert


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


NOW = datetime.now(UTC)


@pytest.fixture
def known_data(warehouse):
    a, b = "owner-a", "owner-b"
    rows = {
        schema.instagram_connection: [
            {"ig_user_id": "A1", "owner_id": a, "login_type": "facebook", "username": "alpha", "status": "active",
             "token_encrypted": b"secret-a"},
            {"ig_user_id": "A2", "owner_id": a, "login_type": "instagram", "username": "alpha2",
             "status": "needs_reauth", "token_encrypted": b"secret-a2"},
            {"ig_user_id": "B1", "owner_id": b, "login_type": "facebook", "username": "beta", "status": "active",
             "token_encrypted": b"secret-b"},
        ],
        schema.instagram_account_daily: [
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 1), "reach": 100, "views": 300,
             "total_interactions": 10, "new_followers": 5, "follows": 6, "unfollows": 1,
             "followers_count": 1000, "fetched_at": utc(2026, 11, 2, 9)},
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 2), "reach": 200, "views": 500,
             "total_interactions": 30, "new_followers": 8, "follows": 9, "unfollows": 2},
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 3), "reach": 0, "views": 50,
             "total_interactions": 0, "followers_count": 1010, "fetched_at": utc(2026, 11, 4, 9)},
            {"ig_user_id": "B1", "owner_id": b, "day": date(2026, 11, 1), "reach": 7, "views": 7,
             "total_interactions": 7, "followers_count": 70, "fetched_at": utc(2026, 11, 2, 9)},
        ],
        schema.instagram_account_intraday: [
            # Pacific 11-02 12:00, 15:00 and 23:30: the last one is that day's closing count.
            {"ig_user_id": "A1", "owner_id": a, "captured_at": utc(2026, 11, 2, 20), "followers_count": 1004},
            {"ig_user_id": "A1", "owner_id": a, "captured_at": utc(2026, 11, 2, 23), "followers_count": 1006},
            {"ig_user_id": "A1", "owner_id": a, "captured_at": utc(2026, 11, 3, 7, 30), "followers_count": 1007},
            {"ig_user_id": "B1", "owner_id": b, "captured_at": utc(2026, 11, 2, 20), "followers_count": 71},
        ],
        schema.instagram_media: [
            _media("P1", a, "A1", "FEED", utc(2026, 10, 5, 18)),
            _media("P2", a, "A1", "REELS", utc(2026, 10, 20, 18)),
            _media("P3", a, "A1", "FEED", utc(2026, 11, 1, 18)),
            _media("S1", a, "A1", "STORY", utc(2026, 11, 2, 10)) | {"story_expires_at": utc(2026, 11, 3, 10)},
            _media("S2", a, "A1", "STORY", utc(2026, 11, 2, 12)) | {"story_expires_at": utc(2026, 11, 3, 12)},
            _media("Q1", b, "B1", "FEED", utc(2026, 10, 5, 18)),
        ],
        schema.instagram_media_daily: [
            _media_metrics("P1", a, "A1", utc(2026, 11, 2, 9), 50, 5) | {"day": date(2026, 11, 1)},
            _media_metrics("P1", a, "A1", utc(2026, 11, 3, 9), 80, 8) | {"day": date(2026, 11, 2)},
            _media_metrics("P2", a, "A1", utc(2026, 11, 3, 9), 400, 40) | {"day": date(2026, 11, 2)},
            _media_metrics("Q1", b, "B1", utc(2026, 11, 3, 9), 1, 1) | {"day": date(2026, 11, 2)},
        ],
        schema.instagram_media_intraday: [
            _media_metrics("P1", a, "A1", utc(2026, 11, 3, 10), 90, 9),
            _media_metrics("S1", a, "A1", utc(2026, 11, 2, 12), 10, 1) | {"replies": 1},
            _media_metrics("S1", a, "A1", utc(2026, 11, 3, 9, 30), 20, 2) | {"replies": 2},
            _media_metrics("S1", a, "A1", utc(2026, 11, 3, 11), 99, 9) | {"replies": 9},  # after expiry
            _media_metrics("Q1", b, "B1", utc(2026, 11, 3, 10), 2, 2),
        ],
        schema.instagram_story_insights: [
            {"media_id": "S2", "owner_id": a, "ig_user_id": "A1", "received_at": utc(2026, 11, 3, 12),
             "reach": 30, "views": -1, "replies": 3, "payload": {"media_id": "S2"}},
            {"media_id": "T1", "owner_id": b, "ig_user_id": "B1", "received_at": utc(2026, 11, 3, 12),
             "reach": 5, "payload": {"media_id": "T1"}},
        ],
        schema.instagram_online_followers: [
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 2), "hour": 9, "value": 100},
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 2), "hour": 10, "value": 50},
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 9), "hour": 9, "value": 200},
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 4), "hour": 9, "value": None},
            {"ig_user_id": "B1", "owner_id": b, "day": date(2026, 11, 2), "hour": 9, "value": 5},
        ],
        schema.instagram_account_demographics: [
            {"ig_user_id": "A1", "owner_id": a, "day": date(2026, 11, 2), "metric": "follower_demographics",
             "timeframe": "this_month", "breakdown": "country", "dimension_value": "US", "value": 10},
            {"ig_user_id": "B1", "owner_id": b, "day": date(2026, 11, 2), "metric": "follower_demographics",
             "timeframe": "this_month", "breakdown": "country", "dimension_value": "FR", "value": 3},
        ],
        schema.instagram_sync_state: [
            {"ig_user_id": "A1", "sync_kind": "account_daily", "owner_id": a, "last_success_at": NOW - timedelta(hours=1),
             "consecutive_failures": 0},
            {"ig_user_id": "A1", "sync_kind": "media", "owner_id": a, "last_success_at": NOW - timedelta(hours=5),
             "consecutive_failures": 2, "failing_since": NOW - timedelta(hours=3), "last_error_class": "transient"},
            {"ig_user_id": "B1", "sync_kind": "account_daily", "owner_id": b, "last_success_at": NOW - timedelta(hours=40),
             "consecutive_failures": 0},
        ],
    }
    with warehouse.transaction() as conn:
        for table in schema.INTRADAY_TABLES:
            ensure_partitions(conn, table.name, [month_start(date(2026, 11, 1))])
        for table, table_rows in rows.items():
            bulk_upsert(conn, table, table_rows)
    return warehouse


def _media(media_id, owner, account, product, posted_at) -> dict:
    pacific_day = (posted_at - timedelta(hours=8)).date()
    return {"media_id": media_id, "owner_id": owner, "ig_user_id": account, "media_product_type": product,
            "media_type": "IMAGE", "posted_at": posted_at, "posted_day": pacific_day}


def _media_metrics(media_id, owner, account, captured_at, reach, interactions) -> dict:
    return {"media_id": media_id, "owner_id": owner, "ig_user_id": account, "captured_at": captured_at,
            "reach": reach, "total_interactions": interactions}


def _query(warehouse, sql: str, **params) -> list[dict]:
    with warehouse.transaction() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def test_every_declared_view_exists(warehouse):
    found = {r["table_name"] for r in _query(
        warehouse, "SELECT table_name FROM information_schema.views WHERE table_schema = current_schema()")}
    assert found == set(roles.VIEWS)


def test_follower_growth_uses_the_days_last_count_and_nets_consecutive_days(known_data):
    rows = _query(known_data, "SELECT day, followers_count, new_followers, net_follows, net_change "
                              "FROM ig_follower_growth WHERE ig_user_id = 'A1' ORDER BY day")
    assert rows == [
        {"day": date(2026, 11, 1), "followers_count": 1000, "new_followers": 5, "net_follows": 5, "net_change": None},
        {"day": date(2026, 11, 2), "followers_count": 1007, "new_followers": 8, "net_follows": 7, "net_change": 7},
        {"day": date(2026, 11, 3), "followers_count": 1010, "new_followers": None, "net_follows": None,
         "net_change": 3},
    ]


def test_daily_engagement_rate_is_interactions_over_reach_and_null_without_reach(known_data):
    rows = _query(known_data, "SELECT day, engagement_rate FROM ig_daily_engagement "
                              "WHERE ig_user_id = 'A1' ORDER BY day")
    assert [(r["day"].day, r["engagement_rate"]) for r in rows] == [(1, 0.1), (2, 0.15), (3, None)]


def test_account_overview_takes_the_newest_counts_from_either_source(known_data):
    rows = {r["ig_user_id"]: r for r in _query(known_data, "SELECT * FROM ig_account_overview")}
    assert set(rows) == {"A1", "A2", "B1"}
    a1 = rows["A1"]
    assert (a1["followers_count"], a1["counts_as_of"]) == (1010, utc(2026, 11, 4, 9))
    assert (a1["latest_day"], a1["latest_day_reach"], a1["latest_day_engagement_rate"]) == (date(2026, 11, 3), 0, None)
    assert a1["last_daily_sync_at"] is not None
    assert rows["A2"]["followers_count"] is None and rows["A2"]["connection_status"] == "needs_reauth"
    assert "token_encrypted" not in a1


def test_post_performance_takes_the_latest_numbers_and_ranks_within_account_and_month(known_data):
    rows = {r["media_id"]: r for r in _query(
        known_data, "SELECT media_id, posted_month, reach, total_interactions, engagement_rate, "
                    "rank_in_account_month FROM ig_post_performance WHERE ig_user_id = 'A1'")}
    assert set(rows) == {"P1", "P2", "P3"}  # stories are not posts
    assert (rows["P1"]["reach"], rows["P1"]["total_interactions"]) == (90, 9)  # intraday is newest
    assert rows["P1"]["engagement_rate"] == pytest.approx(0.1)
    assert [rows[m]["rank_in_account_month"] for m in ("P2", "P1", "P3")] == [1, 2, 1]
    assert rows["P1"]["posted_month"] == date(2026, 10, 1) and rows["P3"]["posted_month"] == date(2026, 11, 1)
    assert rows["P3"]["reach"] is None


def test_story_performance_prefers_the_webhook_else_the_last_snapshot_before_expiry(known_data):
    rows = {r["media_id"]: r for r in _query(known_data, "SELECT * FROM ig_story_performance")}
    assert set(rows) == {"S1", "S2", "T1"}
    s1, s2 = rows["S1"], rows["S2"]
    assert (s1["source"], s1["reach"], s1["replies"], s1["final_as_of"]) == ("snapshot", 20, 2, utc(2026, 11, 3, 9, 30))
    assert (s2["source"], s2["reach"], s2["views"], s2["replies"], s2["some_withheld"]) == ("webhook", 30, None, 3, True)


def test_product_type_summary_compares_reels_feed_and_stories(known_data):
    rows = {(r["month"], r["product_type"]): r for r in _query(
        known_data, "SELECT * FROM ig_product_type_summary WHERE ig_user_id = 'A1'")}
    assert set(rows) == {(date(2026, 10, 1), "FEED"), (date(2026, 10, 1), "REELS"),
                         (date(2026, 11, 1), "FEED"), (date(2026, 11, 1), "STORY")}
    stories = rows[(date(2026, 11, 1), "STORY")]
    assert (stories["posts"], float(stories["avg_reach"])) == (2, 25.0)
    assert float(rows[(date(2026, 10, 1), "REELS")]["avg_reach"]) == 400.0


def test_best_time_to_post_averages_by_weekday_and_hour(known_data):
    rows = _query(known_data, "SELECT weekday, weekday_name, hour, avg_online_followers, days_observed, "
                              "rank_in_account FROM ig_best_time_to_post WHERE ig_user_id = 'A1' ORDER BY rank_in_account")
    assert rows == [
        {"weekday": 1, "weekday_name": "Mon", "hour": 9, "avg_online_followers": 150.0, "days_observed": 2,
         "rank_in_account": 1},
        {"weekday": 1, "weekday_name": "Mon", "hour": 10, "avg_online_followers": 50.0, "days_observed": 1,
         "rank_in_account": 2},
    ]


def test_sync_health_names_the_state_of_each_account_and_kind(known_data):
    rows = {(r["ig_user_id"], r["sync_kind"]): r["health"] for r in _query(known_data, "SELECT * FROM ig_sync_health")}
    assert rows == {("A1", "account_daily"): "ok", ("A1", "media"): "failing", ("A2", None): "needs_reauth",
                    ("B1", "account_daily"): "stale"}


# -- roles and row-level security ----------------------------------------------------------------------------------

RELATIONS = [t.name for t in schema.TENANT_TABLES] + list(roles.VIEWS)


@pytest.fixture
def reader_roles(known_data):
    with known_data.transaction() as conn:
        if not conn.execute(sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles "
                                    "WHERE rolname = current_user")).scalar_one():
            pytest.skip("the test database user may not create roles")
        suffix = uuid.uuid4().hex[:8]
        names = {"a": f"tenant_a_{suffix}", "b": f"tenant_b_{suffix}", "analyst": f"analyst_{suffix}"}
        roles.add_member(conn, names["a"], tenant="owner-a")
        roles.add_member(conn, names["b"], tenant="owner-b")
        roles.add_member(conn, names["analyst"])
    return names


def _as_role(warehouse, role: str, sql: str):
    with warehouse.transaction() as conn:
        conn.execute(sa.text(f'SET LOCAL ROLE "{role}"'))
        return conn.execute(sa.text(sql)).all()


def test_a_tenant_sees_only_its_own_rows_in_every_table_and_view(known_data, reader_roles):
    for owner, role in (("owner-a", reader_roles["a"]), ("owner-b", reader_roles["b"])):
        for relation in RELATIONS:
            owners = _as_role(known_data, role, f"SELECT DISTINCT owner_id FROM {relation}")
            assert {o for (o,) in owners} <= {owner}, (role, relation)
        # … and does see its own
        assert _as_role(known_data, role, "SELECT count(*) FROM instagram_media")[0][0] > 0


def test_the_analyst_sees_every_row_of_every_table_and_view(known_data, reader_roles):
    for relation in RELATIONS:
        total = _query(known_data, f"SELECT count(*) AS n FROM {relation}")[0]["n"]
        assert _as_role(known_data, reader_roles["analyst"], f"SELECT count(*) FROM {relation}")[0][0] == total


@pytest.mark.parametrize("who", ["a", "analyst"])
def test_readers_never_read_tokens_nor_write(known_data, reader_roles, who):
    role = reader_roles[who]
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        _as_role(known_data, role, "SELECT token_encrypted FROM instagram_connection")
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        _as_role(known_data, role, "UPDATE instagram_media SET caption = 'x'")


def test_a_tenant_cannot_widen_its_scope(known_data, reader_roles):
    role = reader_roles["a"]
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        _as_role(known_data, role, "INSERT INTO ig_tenant_member (member_role, owner_id) "
                                   f"VALUES ('{role}', 'owner-b')")
    assert _as_role(known_data, role, "SELECT owner_id FROM ig_tenant_member") == [("owner-a",)]
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        _as_role(known_data, role, "SELECT * FROM instagram_alert_log")


def test_roles_setup_is_idempotent(known_data, reader_roles):
    with known_data.transaction() as conn:
        roles.ensure_roles(conn)
        roles.ensure_roles(conn)
        assert roles.add_member(conn, reader_roles["a"], tenant="owner-a").endswith("reads rows of tenant owner-a")
    test_a_tenant_sees_only_its_own_rows_in_every_table_and_view(known_data, reader_roles)


@pytest.mark.parametrize("name", ["Robert'); DROP TABLE x;--", "ig_analyst", "1abc", ""])
def test_bad_role_names_are_refused(warehouse, name):
    with warehouse.transaction() as conn, pytest.raises(roles.RoleError):
        roles.add_member(conn, name, tenant="owner-a")


# -- data dictionary ------------------------------------------------------------------------------------------------

def test_the_data_dictionary_documents_every_column_of_every_table_and_view(warehouse):
    from ig_pipeline.warehouse import dictionary

    for table in schema.metadata.sorted_tables:
        for column in table.columns:
            assert dictionary.column_doc(table.name, column.name), f"{table.name}.{column.name} is undocumented"
    for view in roles.VIEWS:
        actual = [r["column_name"] for r in _query(
            warehouse, "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                       "AND table_name = :v ORDER BY ordinal_position", v=view)]
        assert set(dictionary.view_columns(view)) == set(actual), view


def test_docs_warehouse_md_is_the_generated_dictionary():
    from pathlib import Path

    from ig_pipeline.warehouse import dictionary

    doc = Path(__file__).parents[2] / "docs" / "warehouse.md"
    assert doc.read_text() == dictionary.render() + "\n", \
        "regenerate: python -m ig_pipeline.warehouse.dictionary > docs/warehouse.md"


def test_the_dictionary_lists_every_table():
    from ig_pipeline.warehouse import dictionary

    assert set(dictionary.TABLES) == set(schema.metadata.tables)
