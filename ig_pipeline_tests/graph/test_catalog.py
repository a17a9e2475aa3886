"""The catalog's request groups and version table."""

from __future__ import annotations

from datetime import date

from ig_pipeline.graph import catalog


def test_media_metrics_are_grouped_by_breakdown_for_every_product_type():
    on = date(2026, 11, 10)
    feed = catalog.media_request_groups("FEED", "v24.0", on)
    story = catalog.media_request_groups("STORY", "v24.0", on)
    assert ["profile_activity"] in feed and len(feed) == 2
    assert ["profile_activity"] in story and ["navigation"] in story and len(story) == 3
    assert len(catalog.media_request_groups("REELS", "v24.0", on)) == 1
    for groups in (feed, story):
        for group in groups:
            assert len({catalog_breakdown(name) for name in group}) == 1, group


def catalog_breakdown(name: str) -> str | None:
    return next(m.breakdown for m in catalog.MEDIA_METRICS if m.name == name)


def test_account_metrics_share_a_request_only_with_the_same_period_type_and_breakdown():
    groups = catalog.request_groups(catalog.account_metrics("v24.0", date(2026, 11, 10)))
    for group in groups:
        assert len({(m.period, m.metric_type, m.breakdown) for m in group}) == 1
    assert {m.name for m in groups[0]} == {"reach", "follower_count"}  # the time-series pair


def test_version_close_to_its_end_of_availability_is_warned_about():
    assert catalog.version_warning("v24.0", date(2026, 12, 6)) is None
    warning = catalog.version_warning("v21.0", date(2026, 12, 6))  # ends 2027-01-21: 46 days left
    assert warning and "2027-01-21" in warning and "46 days" in warning
    assert "stopped" in catalog.version_warning("v20.0", date(2026, 12, 6))
    assert "not in the version table" in catalog.version_warning("v27.0", date(2026, 12, 6))
    assert catalog.version_warning("v26.0", date(2026, 12, 6)) is None  # end not announced
