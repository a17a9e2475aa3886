"""Tags and comments rows (pure): hidden like counts stay NULL, replies keep their parent, text can be
left out, and the comments cursor picks only posts whose count moved."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ig_pipeline.graph.engagement import changed_media
from ig_pipeline.graph.engagement_rows import comment_rows, tagged_rows
from ig_pipeline.graph.models import AccountRef

ACCOUNT = AccountRef("17841400000000001", "tenant-1", token="secret-token")
SEEN = datetime(2026, 12, 6, 12, tzinfo=UTC)


def test_tagged_rows_keep_the_poster_and_leave_a_hidden_like_count_null():
    items = [{"id": "1801", "username": "fan", "timestamp": "2026-12-05T07:30:00+0000", "comments_count": 4,
              "media_type": "IMAGE", "permalink": "https://www.instagram.com/p/x/"},
             {"id": "1802", "username": "fan2", "like_count": 0, "comments_count": 0}, {"no": "id"}]
    rows = {r["media_id"]: r for r in tagged_rows(ACCOUNT, items, SEEN)}
    assert set(rows) == {"1801", "1802"}
    first = rows["1801"]
    assert (first["username"], first["like_count"], first["comments_count"]) == ("fan", None, 4)
    assert first["posted_day"] == date(2026, 12, 4)  # 07:30 UTC is still the 4th in Pacific time
    assert rows["1802"]["like_count"] == 0 and first["owner_id"] == "tenant-1" and first["last_seen_at"] == SEEN


def _comments():
    return [{"id": "c1", "text": "hi", "username": "ann", "like_count": 2, "timestamp": "2026-12-05T10:00:00+0000",
             "replies": {"data": [{"id": "r1", "text": "hello", "username": "brand", "timestamp": 1764930000}],
                         "paging": {"cursors": {"after": "x"}}}},
            {"id": "c2", "text": "more", "username": "bob",
             "replies": {"data": [{"id": "r2", "text": "first page"}], "paging": {"next": "https://…"}}}]


def test_comment_rows_flatten_replies_under_their_parent():
    every_reply_of_c2 = {"c2": [{"id": "r2", "text": "first page"}, {"id": "r3", "text": "second page"}]}
    rows = {r["comment_id"]: r for r in comment_rows(ACCOUNT, "m1", _comments(), every_reply_of_c2, SEEN, True)}
    assert set(rows) == {"c1", "r1", "c2", "r2", "r3"}
    assert rows["c1"]["parent_comment_id"] is None and rows["r1"]["parent_comment_id"] == "c1"
    assert rows["r3"]["parent_comment_id"] == "c2" and rows["r3"]["media_id"] == "m1"
    assert rows["c1"]["text"] == "hi" and rows["c1"]["like_count"] == 2 and rows["c2"]["like_count"] is None
    assert rows["r1"]["commented_at"] == datetime.fromtimestamp(1764930000, UTC)
    assert all(r["source"] == "api" for r in rows.values())


def test_comment_text_is_left_out_when_turned_off():
    rows = comment_rows(ACCOUNT, "m1", _comments(), {}, SEEN, keep_text=False)
    assert len(rows) == 4 and all(r["text"] is None for r in rows) and {r["username"] for r in rows} >= {"ann"}


def test_only_posts_whose_comment_count_moved_are_read_again():
    listed = [{"id": "m1", "comments_count": 3}, {"id": "m2", "comments_count": 5}, {"id": "m3", "comments_count": 0},
              {"id": "m4", "comments_count": 2}, {"id": "m5"}, {"id": "m6", "comments_count": True}]
    assert changed_media(listed, {"m1": 3, "m2": 4, "m4": 3}) == {"m2": 5, "m4": 2}
    assert changed_media(listed, {}) == {"m1": 3, "m2": 5, "m4": 2}  # the first run: every post with comments
