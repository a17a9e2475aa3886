"""Response bodies shaped like the examples in Meta's Instagram insights reference (docs/graph-client.md)."""

TIME_SERIES = {"data": [
    {"name": "reach", "period": "day", "title": "Accounts reached", "description": "…",
     "values": [{"value": 812, "end_time": "2025-06-02T07:00:00+0000"},
                {"value": 944, "end_time": "2025-06-03T07:00:00+0000"}],
     "id": "17841400000000001/insights/reach/day"},
    {"name": "follower_count", "period": "day", "title": "Follower Count", "description": "…",
     "values": [{"value": 14, "end_time": "2025-06-02T07:00:00+0000"},
                {"value": 9, "end_time": "2025-06-03T07:00:00+0000"}],
     "id": "17841400000000001/insights/follower_count/day"}],
    "paging": {"previous": "https://graph.facebook.com/v24.0/1784/insights?since=1&until=2",
               "next": "https://graph.facebook.com/v24.0/1784/insights?since=3&until=4"}}

TOTAL_VALUE = {"data": [
    {"name": "reach", "period": "day", "title": "Accounts reached", "description": "…",
     "total_value": {"value": 2240, "breakdowns": [{"dimension_keys": ["media_product_type"], "results": [
         {"dimension_values": ["POST"], "value": 1240},
         {"dimension_values": ["CAROUSEL_CONTAINER"], "value": 1000}]}]},
     "id": "17841400000000001/insights/reach/day"}]}

DEMOGRAPHICS = {"data": [{"name": "follower_demographics", "period": "lifetime", "title": "Follower demographics",
                          "description": "…", "total_value": {"breakdowns": [{"dimension_keys": ["age", "gender"],
                          "results": [{"dimension_values": ["18-24", "F"], "value": 310},
                                      {"dimension_values": ["18-24", "M"], "value": 207},
                                      {"dimension_values": ["25-34", "F"], "value": 655}]}]},
                          "id": "17841400000000001/insights/follower_demographics/lifetime"}]}

MEDIA_LIST = {"data": [
    {"id": "17900000000000001", "caption": "New roast", "media_type": "VIDEO", "media_product_type": "REELS",
     "media_url": "https://scontent…mp4", "thumbnail_url": "https://scontent…jpg",
     "permalink": "https://www.instagram.com/reel/AbC123/", "timestamp": "2025-06-01T16:20:00+0000",
     "like_count": 143, "comments_count": 12},
    {"id": "17900000000000002", "media_type": "CAROUSEL_ALBUM", "media_product_type": "FEED",
     "timestamp": "2025-05-30T10:00:00+0000",
     "children": {"data": [{"id": "17900000000000003"}, {"id": "17900000000000004"}]}}],
    "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"},
               "next": "https://graph.facebook.com/v24.0/1784/media?after=QVFJ"}}

MEDIA_INSIGHTS = {"data": [
    {"name": "reach", "period": "lifetime", "values": [{"value": 1532}], "title": "Accounts reached",
     "description": "…", "id": "17900000000000001/insights/reach/lifetime"},
    {"name": "ig_reels_avg_watch_time", "period": "lifetime", "values": [{"value": 11900}], "title": "…",
     "description": "…", "id": "17900000000000001/insights/ig_reels_avg_watch_time/lifetime"}]}

STORY_NAVIGATION = {"data": [
    {"name": "navigation", "period": "lifetime", "values": [{"value": 40}],
     "total_value": {"value": 40, "breakdowns": [{"dimension_keys": ["story_navigation_action_type"], "results": [
         {"dimension_values": ["tap_forward"], "value": 25}, {"dimension_values": ["tap_back"], "value": 5},
         {"dimension_values": ["tap_exit"], "value": 8}, {"dimension_values": ["swipe_forward"], "value": 2}]}]},
     "id": "18020000000000001/insights/navigation/lifetime"}]}
