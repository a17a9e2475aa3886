"""Analysts find the account's username where they look: growth, engagement and post performance (0004)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ig_pipeline.warehouse.migrate import migrate

VIEWS = ("ig_follower_growth", "ig_daily_engagement", "ig_post_performance")


def _rows(warehouse, sql: str) -> list[dict]:
    with warehouse.transaction() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql)).mappings()]


@pytest.mark.parametrize("view", VIEWS)
def test_the_view_names_each_account_right_after_its_id(known_data, view):
    columns = [r["column_name"] for r in _rows(known_data, "SELECT column_name FROM information_schema.columns "
                                                           f"WHERE table_name = '{view}' ORDER BY ordinal_position")]
    assert columns[columns.index("ig_user_id") + 1] == "username"
    names = {(r["ig_user_id"], r["username"]) for r in _rows(known_data, f"SELECT ig_user_id, username FROM {view}")}
    assert ("A1", "alpha") in names and all(name for _, name in names), names


def test_downgrade_to_0003_and_upgrade_again_keep_the_views_and_their_rows(known_data):
    from alembic import command

    from ig_pipeline.warehouse.migrate import _config

    before = {view: _rows(known_data, f"SELECT count(*) AS n FROM {view}")[0]["n"] for view in VIEWS}
    engine = known_data.engine()
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0003")
    assert "username" not in {r["column_name"] for r in _rows(
        known_data, "SELECT column_name FROM information_schema.columns WHERE table_name = 'ig_daily_engagement'")}
    migrate(engine)
    after = {view: _rows(known_data, f"SELECT count(*) AS n FROM {view}")[0]["n"] for view in VIEWS}
    assert after == before and all(before.values())
    assert _rows(known_data, "SELECT count(*) AS n FROM ig_product_type_summary")[0]["n"] > 0
