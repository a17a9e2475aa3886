"""Analyst views against a small hand-made data set, and tenant isolation through roles and RLS.

The expected numbers below were worked out by hand from the rows that ``known_data`` inserts.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from ig_pipeline.warehouse import roles, schema
from ig_pipeline_tests.warehouse.known_data import utc


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


def test_roles_command_maps_a_login_member_to_a_tenant(known_data, database_url, monkeypatch, capsys):
    from ig_pipeline.cli import main

    monkeypatch.setenv("IG_DATABASE_URL", database_url)
    monkeypatch.setenv("TENANT_PW", "pw-" + uuid.uuid4().hex)
    name = f"tenant_cli_{uuid.uuid4().hex[:8]}"
    assert main(["roles", "--tenant", "owner-b", "--member", name, "--password-env", "TENANT_PW"]) == 0
    out = capsys.readouterr().out
    assert f"role {name} (created) reads rows of tenant owner-b" in out and "pw-" not in out
    assert {o for (o,) in _as_role(known_data, name, "SELECT DISTINCT owner_id FROM ig_post_performance")} == {"owner-b"}
    with known_data.transaction() as conn:
        assert conn.execute(sa.text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": name}).scalar_one()


@pytest.mark.parametrize(("args", "message"), [
    (["--tenant", "owner-a"], "--tenant and --member go together"),
    (["--analyst", "x_1", "--password-env", "UNSET_VAR_FOR_TEST"], "UNSET_VAR_FOR_TEST"),
    (["--analyst", "Bad-Name"], "must be lower-case"),
])
def test_roles_command_bad_input(warehouse, database_url, monkeypatch, capsys, args, message):
    from ig_pipeline.cli import main

    monkeypatch.setenv("IG_DATABASE_URL", database_url)
    assert main(["roles", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_sql_clients_see_the_dictionary_as_comments(warehouse):
    rows = _query(warehouse, "SELECT col_description('ig_daily_engagement'::regclass, a.attnum) AS doc "
                             "FROM pg_attribute a WHERE a.attrelid = 'ig_daily_engagement'::regclass "
                             "AND a.attname = 'engagement_rate'")
    assert rows[0]["doc"].startswith("total_interactions / reach")
    assert _query(warehouse, "SELECT obj_description('instagram_account_daily'::regclass) AS d")[0]["d"].startswith(
        "Grain: account × Pacific reporting day")


@pytest.mark.reliability
def test_a_tenant_can_neither_update_nor_delete_any_row_of_any_table(known_data, reader_roles):
    role = reader_roles["a"]
    for table in schema.metadata.sorted_tables:
        first = next(iter(table.columns)).name
        for statement in (f"UPDATE {table.name} SET {first} = {first}", f"DELETE FROM {table.name}",
                          f"INSERT INTO {table.name} DEFAULT VALUES"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                _as_role(known_data, role, statement)
    with known_data.transaction() as conn:  # nothing changed
        assert conn.execute(sa.text("SELECT count(*) FROM instagram_media WHERE owner_id = 'owner-b'")).scalar() == 1
