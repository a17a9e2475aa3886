"""Comments in the warehouse: retention and text purge, the comments view, the incremental cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.personal_data import purge_comments
from ig_pipeline.warehouse.sync_state import load_cursors, record_success, save_cursor
from ig_pipeline.warehouse.upsert import bulk_upsert

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
ACCOUNT, OWNER = "17841400000000001", "tenant-1"


def _comment(comment_id: str, media_id: str, username: str, days_ago: float, parent: str | None = None) -> dict:
    return {"comment_id": comment_id, "owner_id": OWNER, "ig_user_id": ACCOUNT, "media_id": media_id,
            "parent_comment_id": parent, "username": username, "text": f"text of {comment_id}", "like_count": 1,
            "commented_at": NOW - timedelta(days=days_ago), "source": "api", "last_seen_at": NOW}


def _load(conn) -> None:
    conn.execute(sa.insert(schema.instagram_connection).values(ig_user_id=ACCOUNT, owner_id=OWNER,
                                                               login_type="facebook", username="brand"))
    bulk_upsert(conn, schema.instagram_media_comment, [
        _comment("c1", "m1", "ann", 1), _comment("c2", "m1", "bob", 2), _comment("c3", "m1", "ann", 3),
        _comment("r1", "m1", "brand", 0.5, parent="c1"), _comment("r2", "m1", "cid", 0.4, parent="c1"),
        _comment("c4", "m2", "dee", 100),
    ])
    conn.execute(sa.insert(schema.instagram_mention).values(
        [{"ig_user_id": ACCOUNT, "media_id": "x1", "comment_id": "", "owner_id": OWNER,
          "received_at": NOW - timedelta(days=200)},
         {"ig_user_id": ACCOUNT, "media_id": "x2", "comment_id": "y", "owner_id": OWNER, "received_at": NOW}]))


def test_retention_deletes_old_comments_and_mentions_and_keeps_the_rest(warehouse):
    with warehouse.transaction() as conn:
        _load(conn)
        report = purge_comments(conn, NOW, retention_days=90, keep_text=True)
        ids = set(conn.execute(sa.text("SELECT comment_id FROM instagram_media_comment")).scalars())
        mentions = set(conn.execute(sa.text("SELECT media_id FROM instagram_mention")).scalars())
        texts = conn.execute(sa.text("SELECT count(*) FROM instagram_media_comment WHERE text IS NULL")).scalar()
    assert report == {"comments_deleted": 1, "mentions_deleted": 1, "comment_texts_cleared": 0}
    assert ids == {"c1", "c2", "c3", "r1", "r2"} and mentions == {"x2"} and texts == 0


def test_turning_text_off_clears_the_text_already_stored(warehouse):
    with warehouse.transaction() as conn:
        _load(conn)
        report = purge_comments(conn, NOW, retention_days=3650, keep_text=False)
        left = conn.execute(sa.text("SELECT count(*) FROM instagram_media_comment WHERE text IS NOT NULL")).scalar()
        usernames = conn.execute(sa.text("SELECT count(username) FROM instagram_media_comment")).scalar()
    assert report["comment_texts_cleared"] == 6 and report["comments_deleted"] == 0
    assert left == 0 and usernames == 6


def test_comment_summary_counts_comments_replies_and_top_commenters(warehouse):
    with warehouse.transaction() as conn:
        _load(conn)
        rows = {r.media_id: r for r in conn.execute(sa.text("SELECT * FROM ig_comment_summary"))}
    m1 = rows["m1"]
    assert (m1.comments, m1.replies, m1.own_replies, m1.commenters) == (3, 2, 1, 3)
    assert m1.top_commenters == ["ann", "bob", "cid"]  # the account itself (brand) is left out
    assert m1.username == "brand" and m1.last_comment_at == NOW - timedelta(days=0.4)
    assert (rows["m2"].comments, rows["m2"].replies, rows["m2"].top_commenters) == (1, 0, ["dee"])


def test_the_comments_cursor_survives_the_success_record(warehouse):
    with warehouse.transaction() as conn:
        save_cursor(conn, ig_user_id=ACCOUNT, owner_id=OWNER, kind="comments", cursor={"comments_count": {"m1": 5}})
        record_success(conn, ig_user_id=ACCOUNT, owner_id=OWNER, kind="comments", now=NOW, run_id="r")
        cursors = load_cursors(conn, "comments", [ACCOUNT, "other"])
        other_kind = load_cursors(conn, "media", [ACCOUNT])
    assert cursors == {ACCOUNT: {"comments_count": {"m1": 5}}} and other_kind == {}


def test_comments_export_by_when_they_were_written(database_url):
    from ig_pipeline.warehouse.database import get_engine
    from ig_pipeline.warehouse.export import relations

    known = relations(get_engine(database_url))
    assert known["instagram_media_comment"].date_column == "commented_at"  # ig-pipeline export --since/--until
    assert (known["instagram_tagged_media"].date_column, known["instagram_mention"].date_column) == (
        "posted_day", "received_at")


def test_the_daily_upkeep_applies_the_comment_settings(warehouse, monkeypatch):
    import dagster as dg

    from ig_pipeline.automation.upkeep import upkeep_job
    from ig_pipeline.clock import PipelineClock
    from ig_pipeline.resources import default_resources

    monkeypatch.setenv("IG_COMMENT_RETENTION_DAYS", "2")
    monkeypatch.setenv("IG_COMMENT_TEXT", "off")
    with warehouse.transaction() as conn:
        _load(conn)
    with dg.instance_for_test() as instance:
        result = upkeep_job.execute_in_process(
            instance=instance, op_selection=["comment_retention_op"],
            resources=default_resources() | {"warehouse": warehouse,  # options from the environment above
                                             "clock": PipelineClock(fixed_now=NOW.isoformat())})
    assert result.output_for_node("comment_retention_op") == {
        "comments_deleted": 2, "mentions_deleted": 1, "comment_texts_cleared": 4}
    with warehouse.transaction() as conn:
        left = conn.execute(sa.text("SELECT comment_id, text FROM instagram_media_comment ORDER BY 1")).all()
    assert [tuple(r) for r in left] == [("c1", None), ("c2", None), ("r1", None), ("r2", None)]
