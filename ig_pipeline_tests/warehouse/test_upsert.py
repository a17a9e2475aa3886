from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.table_partitions import existing_partitions, maintain
from ig_pipeline.warehouse.upsert import Written, bulk_upsert, bulk_upsert_counts


def _daily(day: date, **metrics) -> dict:
    return {"owner_id": "owner-1", "ig_user_id": "17841400000000001", "day": day, **metrics}


def _all(conn, table: str, order: str) -> list:
    return conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {order}")).mappings().all()


def test_same_batch_twice_gives_the_same_rows_and_touches_nothing(warehouse):
    rows = [_daily(date(2026, 11, d), reach=100 + d, likes=d) for d in range(1, 11)]
    with warehouse.transaction() as conn:
        assert bulk_upsert(conn, schema.instagram_account_daily, rows) == 10
        first = _all(conn, "instagram_account_daily", "day")
    with warehouse.transaction() as conn:
        assert bulk_upsert(conn, schema.instagram_account_daily, rows) == 0
        second = _all(conn, "instagram_account_daily", "day")
    assert second == first  # updated_at included: unchanged rows are not rewritten


def test_changed_values_are_updated_and_absent_columns_kept(warehouse):
    with warehouse.transaction() as conn:
        bulk_upsert(conn, schema.instagram_account_daily, [_daily(date(2026, 11, 1), reach=5, likes=7)])
    with warehouse.transaction() as conn:
        assert bulk_upsert(conn, schema.instagram_account_daily, [_daily(date(2026, 11, 1), reach=6)]) == 1
        row = _all(conn, "instagram_account_daily", "day")[0]
    assert (row["reach"], row["likes"]) == (6, 7)


def test_counts_tell_inserted_updated_and_unchanged_apart(warehouse):
    table = schema.instagram_media_intraday  # partitioned: the count must work there too
    at = datetime(2026, 11, 1, 10, tzinfo=UTC)
    rows = [{"owner_id": "o", "media_id": f"m{i}", "ig_user_id": "1", "captured_at": at, "reach": i} for i in range(4)]
    with warehouse.transaction() as conn:
        assert bulk_upsert_counts(conn, table, rows[:3]) == Written(inserted=3)
    with warehouse.transaction() as conn:
        again = [rows[0], rows[1] | {"reach": 99}, rows[2], rows[3]]
        assert bulk_upsert_counts(conn, table, again) == Written(inserted=1, updated=1, unchanged=2)


def test_a_later_fetch_of_the_same_values_moves_fetched_at_and_counts_as_unchanged(warehouse):
    day = date(2026, 11, 1)
    first, later = datetime(2026, 11, 2, 9, tzinfo=UTC), datetime(2026, 11, 4, 9, tzinfo=UTC)
    with warehouse.transaction() as conn:
        bulk_upsert_counts(conn, schema.instagram_account_daily, [_daily(day, reach=5, fetched_at=first)])
    with warehouse.transaction() as conn:
        written = bulk_upsert_counts(conn, schema.instagram_account_daily, [_daily(day, reach=5, fetched_at=later)])
        row = _all(conn, "instagram_account_daily", "day")[0]
    assert written == Written(unchanged=1) and row["fetched_at"] == later and row["reach"] == 5


def test_null_and_zero_stay_distinct(warehouse):
    with warehouse.transaction() as conn:
        bulk_upsert(conn, schema.instagram_account_daily,
                         [_daily(date(2026, 11, 1), reach=0, likes=None, new_followers=0)])
        row = _all(conn, "instagram_account_daily", "day")[0]
    assert row["reach"] == 0 and row["new_followers"] == 0
    assert row["likes"] is None and row["views"] is None  # never asked, never returned: NULL


@pytest.mark.parametrize("caption, stored", [
    ("Fresh roast ☕️🔥 — ünïcødé 𝒻𝒶𝓃𝒸𝓎", "Fresh roast ☕️🔥 — ünïcødé 𝒻𝒶𝓃𝒸𝓎"),
    ("x" * 20_000, "x" * 20_000),
    ("nul\x00byte\x00s kept\x00 🎉", "nulbytes kept 🎉"),
    ("tab\tnew\nline back\\slash", "tab\tnew\nline back\\slash"),
])
def test_captions_survive_the_copy_path(warehouse, caption, stored):
    media = {"owner_id": "o", "media_id": "17900000000000001", "ig_user_id": "1", "caption": caption,
             "children": [{"id": "2", "caption": "child\x00"}]}
    with warehouse.transaction() as conn:
        bulk_upsert(conn, schema.instagram_media, [media])
        row = _all(conn, "instagram_media", "media_id")[0]
    assert row["caption"] == stored
    assert row["children"] == [{"id": "2", "caption": "child"}]


def test_json_values_postgres_cannot_hold_are_made_storable(warehouse):
    """Python's json writes NaN/Infinity and NUL, which jsonb refuses: they become null / are dropped."""
    state = {"ig_user_id": "1", "sync_kind": "media", "owner_id": "o",
             "cursor": {"a\x00": [float("nan"), float("inf"), 1.5, "x\x00y"]}}
    with warehouse.transaction() as conn:
        bulk_upsert(conn, schema.instagram_sync_state, [state])
        assert _all(conn, "instagram_sync_state", "ig_user_id")[0]["cursor"] == {"a": [None, None, 1.5, "xy"]}


def test_repeated_key_in_one_batch_keeps_the_last(warehouse):
    rows = [_daily(date(2026, 11, 1), reach=1), _daily(date(2026, 11, 1), reach=2)]
    with warehouse.transaction() as conn:
        bulk_upsert(conn, schema.instagram_account_daily, rows)
        assert [r["reach"] for r in _all(conn, "instagram_account_daily", "day")] == [2]


def test_bad_rows_are_refused_before_anything_is_written(warehouse):
    with pytest.raises(ValueError, match="unknown or database-managed columns.*bogus"):
        with warehouse.transaction() as conn:
            bulk_upsert(conn, schema.instagram_account_daily, [_daily(date(2026, 11, 1), bogus=1)])
    with pytest.raises(ValueError, match="lack key columns.*day"):
        with warehouse.transaction() as conn:
            bulk_upsert(conn, schema.instagram_account_daily, [{"owner_id": "o", "ig_user_id": "1"}])


def test_a_failed_transaction_leaves_the_old_rows(warehouse):
    with warehouse.transaction() as conn:
        bulk_upsert(conn, schema.instagram_account_daily, [_daily(date(2026, 11, 1), reach=1)])
    with pytest.raises(RuntimeError):
        with warehouse.transaction() as conn:
            bulk_upsert(conn, schema.instagram_account_daily, [_daily(date(2026, 11, 1), reach=99)])
            raise RuntimeError("crash between account writes")
    with warehouse.transaction() as conn:
        assert _all(conn, "instagram_account_daily", "day")[0]["reach"] == 1


def test_intraday_rows_create_their_month_partition(warehouse):
    captured = datetime(2031, 7, 15, 10, 30, tzinfo=UTC)
    row = {"owner_id": "o", "ig_user_id": "1", "captured_at": captured, "followers_count": 10}
    with warehouse.transaction() as conn:
        assert "instagram_account_intraday_p2031_07" not in existing_partitions(
            conn, "instagram_account_intraday").values()
        bulk_upsert(conn, schema.instagram_account_intraday, [row])
        assert date(2031, 7, 1) in existing_partitions(conn, "instagram_account_intraday")
        count = conn.execute(sa.text("SELECT count(*) FROM instagram_account_intraday_p2031_07")).scalar()
    assert count == 1


def test_retention_drops_old_partitions_and_creates_ahead(warehouse):
    old = datetime(2030, 1, 10, tzinfo=UTC)
    with warehouse.transaction() as conn:
        bulk_upsert(conn, schema.instagram_media_intraday,
                         [{"owner_id": "o", "media_id": "m", "ig_user_id": "1", "captured_at": old, "reach": 1}])
        report = maintain(conn, today=date(2031, 3, 5), keep_months=13)
        months = existing_partitions(conn, "instagram_media_intraday")
    assert "instagram_media_intraday_p2030_01" in report["dropped"]
    assert date(2030, 1, 1) not in months
    assert {date(2031, 3, 1), date(2031, 4, 1), date(2031, 5, 1), date(2031, 6, 1)} <= set(months)
    with warehouse.transaction() as conn:
        assert maintain(conn, today=date(2031, 3, 5), keep_months=13) == {"created": [], "dropped": []}


def test_a_window_partly_stored_falls_back_to_the_merge_and_keeps_the_transaction(warehouse):
    """New intraday rows go straight in by COPY; a stored key further down makes that COPY fail, and only
    it is undone (savepoint): earlier writes of the transaction stay and the merge counts every row."""
    table = schema.instagram_media_intraday
    at = datetime(2026, 11, 1, 10, tzinfo=UTC)
    rows = [{"owner_id": "o", "media_id": f"m{i}", "ig_user_id": "1", "captured_at": at, "reach": i} for i in range(3)]
    account = {"owner_id": "o", "ig_user_id": "1", "captured_at": at, "followers_count": 5}
    with warehouse.transaction() as conn:
        assert bulk_upsert_counts(conn, table, rows[1:]) == Written(inserted=2)
        stored = _all(conn, "instagram_media_intraday", "media_id")
    with warehouse.transaction() as conn:
        assert bulk_upsert_counts(conn, schema.instagram_account_intraday, [account]) == Written(inserted=1)
        again = [rows[0], rows[1] | {"reach": 99}, rows[2]]  # first row new: the direct COPY is tried
        assert bulk_upsert_counts(conn, table, again) == Written(inserted=1, updated=1, unchanged=1)
    with warehouse.transaction() as conn:
        after = _all(conn, "instagram_media_intraday", "media_id")
        assert _all(conn, "instagram_account_intraday", "ig_user_id")[0]["followers_count"] == 5
    assert [r["reach"] for r in after] == [0, 99, 2]
    assert after[2] == stored[1]  # m2 unchanged: not rewritten, updated_at included
