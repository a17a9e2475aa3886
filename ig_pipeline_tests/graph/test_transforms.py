"""Pure transforms over sample JSON shaped like Meta's and odd input."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from ig_pipeline.graph import catalog, transforms
from ig_pipeline.graph.models import AccountRef
from ig_pipeline_tests.graph import fixtures

ACCOUNT = AccountRef("17841400000000001", "owner-1", "tok")
NOW = datetime(2025, 6, 3, 12, tzinfo=UTC)


def test_end_time_marks_the_end_of_a_pacific_day():
    assert transforms.day_of_end_time("2025-06-02T07:00:00+0000") == date(2025, 6, 1)  # summer
    assert transforms.day_of_end_time("2025-01-02T08:00:00+0000") == date(2025, 1, 1)  # winter
    assert transforms.day_of_end_time("nonsense") is None


def test_day_bounds_are_pacific_midnights():
    since, until = transforms.day_bounds(date(2025, 6, 1), date(2025, 6, 1))
    assert datetime.fromtimestamp(since, UTC) == datetime(2025, 6, 1, 7, tzinfo=UTC)
    assert until - since == 86400


def test_time_series_sample():
    by_day = transforms.time_series_by_day(fixtures.TIME_SERIES, NOW)
    assert by_day == {date(2025, 6, 1): {"reach": 812, "new_followers": 14},
                      date(2025, 6, 2): {"reach": 944, "new_followers": 9}}


def test_a_day_still_in_progress_is_never_taken_as_final():
    """The API serves the unfinished day with an end_time in the future: it must not be stored."""
    in_progress = datetime(2025, 6, 2, 20, tzinfo=UTC)  # 13:00 Pacific on June 2: June 2 ends at 07:00 UTC June 3
    assert transforms.time_series_by_day(fixtures.TIME_SERIES, in_progress) == {
        date(2025, 6, 1): {"reach": 812, "new_followers": 14}}
    body = {"data": [{"name": "online_followers", "period": "lifetime", "values": [
        {"value": {"0": 12}, "end_time": "2025-06-02T07:00:00+0000"},
        {"value": {"0": 3}, "end_time": "2025-06-03T07:00:00+0000"}]}]}
    assert [r["day"] for r in transforms.online_follower_rows(ACCOUNT, body, in_progress)] == [date(2025, 6, 1)]


def test_total_value_with_breakdowns():
    taps = {"data": [{"name": "profile_links_taps", "period": "day", "total_value": {"value": "7", "breakdowns": [
        {"dimension_keys": ["contact_button_type"], "results": [
            {"dimension_values": ["call"], "value": 3}, {"dimension_values": ["EMAIL"], "value": "2"},
            {"dimension_values": ["BRAND_NEW_BUTTON"], "value": 2}]}]}}]}
    values = transforms.insight_columns(taps, transforms.ACCOUNT_BY_NAME)
    assert values == {"profile_links_taps": 7, "taps_call": 3, "taps_email": 2}
    follows = {"data": [{"name": "follows_and_unfollows", "total_value": {"breakdowns": [
        {"dimension_keys": ["follow_type"], "results": [{"dimension_values": ["FOLLOWER"], "value": 5},
                                                         {"dimension_values": ["NON_FOLLOWER"], "value": 2}]}]}}]}
    assert transforms.insight_columns(follows, transforms.ACCOUNT_BY_NAME) == {
        "follows_and_unfollows": 7, "follows": 5, "unfollows": 2}
    assert transforms.insight_columns(fixtures.TOTAL_VALUE, transforms.ACCOUNT_BY_NAME) == {"reach": 2240}


def test_missing_metric_is_absent_not_zero():
    row = transforms.account_daily_row(ACCOUNT, date(2025, 6, 1), NOW)
    row.update(transforms.insight_columns({"data": []}, transforms.ACCOUNT_BY_NAME))
    assert not set(catalog.ACCOUNT_DAILY_COLUMNS) & set(row)  # not fetched: not in the row, never NULLed
    assert transforms.snapshot_counts({"followers_count": 7}) == {"followers_count": 7}
    assert transforms.insight_columns({"data": [{"name": "likes", "total_value": {}}]},
                                      transforms.ACCOUNT_BY_NAME) == {}


def test_media_row_from_sample():
    reel, album = (transforms.media_row(ACCOUNT, item, NOW) for item in fixtures.MEDIA_LIST["data"])
    assert reel["media_id"] == "17900000000000001" and reel["like_count"] == 143
    assert reel["posted_at"] == datetime(2025, 6, 1, 16, 20, tzinfo=UTC)
    assert reel["posted_day"] == date(2025, 6, 1) and reel["story_expires_at"] is None
    assert reel["children"] is None and reel["owner_id"] == "owner-1"
    assert album["children"] == [{"id": "17900000000000003", "media_type": None, "media_url": None,
                                  "thumbnail_url": None}, {"id": "17900000000000004", "media_type": None,
                                                           "media_url": None, "thumbnail_url": None}]
    assert album["caption"] is None and album["like_count"] is None


def test_media_row_odd_input():
    item = {"id": 17900000000000099, "media_type": "VIDEO", "media_product_type": "HOLOGRAM",
            "timestamp": "2025-06-01T16:20:00Z", "like_count": "12", "comments_count": "x"}
    row = transforms.media_row(ACCOUNT, item, NOW)
    assert row["media_id"] == "17900000000000099" and row["media_product_type"] == "HOLOGRAM"
    assert row["like_count"] == 12 and row["comments_count"] is None
    ref = transforms.media_ref(item)
    assert ref.media_product_type == "HOLOGRAM" and ref.posted_at.tzinfo is not None
    assert transforms.media_ref({"id": "1"}) is None  # no timestamp: not a usable media


def test_story_row_expires_after_24_hours():
    row = transforms.media_row(ACCOUNT, {"id": "1", "media_product_type": "STORY", "media_type": "IMAGE",
                                         "timestamp": "2025-06-01T16:20:00+0000"}, NOW)
    assert row["story_expires_at"] == datetime(2025, 6, 2, 16, 20, tzinfo=UTC)


def test_media_insights_plain_and_lower_case_breakdown():
    assert transforms.insight_columns(fixtures.MEDIA_INSIGHTS, transforms.MEDIA_BY_NAME) == {
        "reach": 1532, "reels_avg_watch_time_ms": 11900}
    nav = transforms.insight_columns(fixtures.STORY_NAVIGATION, transforms.MEDIA_BY_NAME)
    assert nav == {"navigation": 40, "taps_forward": 25, "taps_back": 5, "taps_exit": 8, "swipes_forward": 2}


def test_media_insight_row_carries_only_fetched_columns():
    ref = transforms.media_ref(fixtures.MEDIA_LIST["data"][0])
    row = transforms.media_insight_row(ACCOUNT, ref, {"reach": 5}, {"like_count": "3", "comments_count": None})
    assert row["reach"] == 5 and row["like_count"] == 3
    assert "views" not in row and "comments_count" not in row


def test_demographics_sample_and_timeframe_key_first():
    rows = transforms.demographic_rows(ACCOUNT, fixtures.DEMOGRAPHICS, date(2025, 6, 3), "this_month", "gender")
    assert {(r["dimension_value"], r["value"]) for r in rows} == {("F", 965), ("M", 207)}
    doc_style = {"data": [{"name": "follower_demographics", "total_value": {"breakdowns": [
        {"dimension_keys": ["timeframe", "country"], "results": [
            {"dimension_values": ["LAST_90_DAYS", "US"], "value": "40"},
            {"dimension_values": ["LAST_90_DAYS", "DE"], "value": 7}]}]}}]}
    rows = transforms.demographic_rows(ACCOUNT, doc_style, date(2025, 6, 3), "this_week", "country")
    assert {(r["dimension_value"], r["value"]) for r in rows} == {("US", 40), ("DE", 7)}
    assert all(r["metric"] == "follower_demographics" and r["breakdown"] == "country" for r in rows)


def test_online_followers():
    body = {"data": [{"name": "online_followers", "period": "lifetime", "values": [
        {"value": {"0": 12, "1": "30", "23": 4, "bogus": 1}, "end_time": "2025-06-02T07:00:00+0000"},
        {"value": {}, "end_time": "2025-06-03T07:00:00+0000"}]}]}
    rows = transforms.online_follower_rows(ACCOUNT, body, NOW)
    assert sorted((r["day"], r["hour"], r["value"]) for r in rows) == [
        (date(2025, 6, 1), 0, 12), (date(2025, 6, 1), 1, 30), (date(2025, 6, 1), 23, 4)]


def test_parse_time_forms():
    expected = datetime(2024, 1, 15, 7, tzinfo=UTC)
    for value in ("2024-01-15T07:00:00+0000", "2024-01-15T07:00:00Z", "2024-01-15T07:00:00+00:00",
                  "2024-01-14T23:00:00-0800", int(expected.timestamp())):
        assert transforms.parse_time(value) == expected


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=20)
metric_names = st.sampled_from([m.name for m in catalog.ACCOUNT_METRICS + catalog.MEDIA_METRICS])
entry = st.fixed_dictionaries({"name": metric_names}, optional={
    "values": json_values, "total_value": json_values, "period": json_values})


@given(st.lists(entry | json_values, max_size=5))
def test_insight_transforms_never_crash_and_only_emit_numbers(data):
    body = {"data": data}
    for by_name in (transforms.ACCOUNT_BY_NAME, transforms.MEDIA_BY_NAME):
        values = transforms.insight_columns(body, by_name)
        assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values.values())
    transforms.time_series_by_day(body, NOW)
    transforms.demographic_rows(ACCOUNT, body, date(2025, 1, 1), "this_week", "age")
    transforms.online_follower_rows(ACCOUNT, body, NOW)


@given(st.dictionaries(st.sampled_from(["id", "timestamp", "media_type", "media_product_type", "like_count",
                                        "children", "caption", "is_comment_enabled"]), json_values))
def test_media_row_never_crashes(item):
    row = transforms.media_row(ACCOUNT, item, NOW)
    assert row["media_id"] is None or isinstance(row["media_id"], str)


def test_parse_time_rejects_out_of_range():
    assert transforms.parse_time(float("inf")) is None and transforms.parse_time(10**20) is None
