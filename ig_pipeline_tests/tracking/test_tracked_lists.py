"""Tracked competitors and hashtags: the commands, and the hashtag budget they share with every run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ig_pipeline.cli import main
from ig_pipeline.tracking import ledger, store


@pytest.fixture
def cli(database_url, monkeypatch, capsys):
    monkeypatch.setenv("IG_DATABASE_URL", database_url)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _connect(warehouse, ig_user_id: str, owner: str, login_type: str = "facebook") -> None:
    with warehouse.transaction() as conn:
        conn.execute(sa.text("INSERT INTO instagram_connection (ig_user_id, owner_id, login_type, status) "
                             "VALUES (:a, :o, :l, 'active')"), {"a": ig_user_id, "o": owner, "l": login_type})


def _searched(warehouse, ig_user_id: str, owner: str, count: int, first_at: datetime) -> None:
    """``count`` hashtags searched (outside the tracked list), one an hour from ``first_at``."""
    with warehouse.transaction() as conn:
        for i in range(count):
            conn.execute(sa.text("INSERT INTO ig_hashtag_search_ledger (ig_user_id, hashtag_id, owner_id, hashtag, "
                                 "window_started_at, last_searched_at, source) "
                                 "VALUES (:a, :id, :o, :h, :at, :at, 'pipeline')"),
                         {"a": ig_user_id, "id": f"1784{i:06d}", "o": owner, "h": f"old{i}",
                          "at": first_at + timedelta(hours=i)})


def test_competitors_add_list_remove(cli):
    assert cli("competitors", "add", "--owner", "o1", "--username", "@Rival.Studio")[0] == 0
    assert cli("competitors", "add", "--owner", "o1", "--username", "rival.studio")[1].startswith("already tracking")
    assert cli("competitors", "add", "--owner", "o2", "--username", "other")[0] == 0
    assert cli("competitors", "list", "--owner", "o1")[1] == "rival.studio\n"
    assert cli("competitors", "remove", "--owner", "o1", "--username", "rival.studio")[0] == 0
    assert cli("competitors", "list", "--owner", "o1")[1] == ""
    code, _, err = cli("competitors", "remove", "--owner", "o1", "--username", "rival.studio")
    assert code == 2 and err.startswith("error: owner o1 does not track")
    code, _, err = cli("competitors", "add", "--owner", "o1", "--username", "no spaces!")
    assert code == 2 and "is not an Instagram username" in err


def test_hashtag_add_needs_a_facebook_login_account_of_the_owner(cli, warehouse):
    _connect(warehouse, "111", "o1", login_type="instagram")
    _connect(warehouse, "222", "o2")
    code, _, err = cli("hashtags", "add", "--owner", "o1", "--tag", "coffee")
    assert code == 2 and "0 active Facebook Login accounts" in err
    code, _, err = cli("hashtags", "add", "--owner", "o1", "--tag", "coffee", "--account", "222")
    assert code == 2 and "not an active Facebook Login account of owner o1" in err
    code, out, _ = cli("hashtags", "add", "--owner", "o2", "--tag", "#Coffee")
    assert code == 0 and "tracking #coffee for owner o2, searched by account 222 (29 of 30" in out
    code, _, err = cli("hashtags", "add", "--owner", "o2", "--tag", "☕")
    assert code == 2 and "not a hashtag the API can search" in err


def test_adding_a_hashtag_beyond_the_weekly_budget_is_refused_with_when_it_frees(cli, warehouse):
    _connect(warehouse, "222", "o2")
    first = datetime.now(UTC) - timedelta(days=3)
    _searched(warehouse, "222", "o2", 29, first)
    assert cli("hashtags", "add", "--owner", "o2", "--tag", "last")[0] == 0  # the 30th slot
    code, _, err = cli("hashtags", "add", "--owner", "o2", "--tag", "onemore")
    frees = (first + timedelta(days=7)).isoformat(timespec="minutes")
    assert code == 2 and err.startswith("error: account 222 has used its 30 unique hashtag searches")
    assert f"the next slot frees up at {frees}" in err and len(err.strip().splitlines()) == 1
    with warehouse.transaction() as conn:
        assert [t.hashtag for t in store.hashtags(conn, "o2")] == ["last"]
    # a hashtag already searched in the window holds its slot: tracking it costs nothing
    assert cli("hashtags", "add", "--owner", "o2", "--tag", "old5")[0] == 0


def test_the_refusal_says_to_remove_one_when_tracked_hashtags_hold_every_slot(warehouse):
    _connect(warehouse, "222", "o2")
    now = datetime.now(UTC)
    with warehouse.transaction() as conn:
        for i in range(30):
            store.add_hashtag(conn, "o2", f"tag{i}", None, now)
        with pytest.raises(store.TrackingError, match="every slot is held by a tracked hashtag; remove one"):
            store.add_hashtag(conn, "o2", "tag30", None, now)


def test_a_run_never_reserves_more_than_30_slots_and_expired_ones_free_up(warehouse):
    now = datetime.now(UTC)
    _searched(warehouse, "222", "o2", 25, now - timedelta(days=8))  # expired: frees its slots
    with warehouse.transaction() as conn:
        granted = [ledger.reserve(conn, "o2", "222", f"t{i}", None, now) for i in range(40)]
        assert granted == [True] * 30 + [False] * 10
        assert ledger.reserve(conn, "o2", "222", "t3", None, now)  # a repeat inside the window is free
        used = conn.execute(sa.text("SELECT count(*) FROM ig_hashtag_search_ledger WHERE ig_user_id = '222' "
                                    "AND window_started_at > :s"), {"s": now - store.WINDOW}).scalar_one()
        assert used == 30


def test_reconcile_follows_what_the_api_counts(warehouse):
    now = datetime.now(UTC)
    _searched(warehouse, "222", "o2", 3, now - timedelta(days=1))
    with warehouse.transaction() as conn:
        ledger.reconcile(conn, "o2", "222", ["1784000001", "99999"], now)
        rows = conn.execute(sa.text("SELECT hashtag_id, hashtag, source FROM ig_hashtag_search_ledger "
                                    "ORDER BY 1")).all()
    assert [tuple(r) for r in rows] == [("1784000001", "old1", "pipeline"), ("99999", None, "recently_searched")]
