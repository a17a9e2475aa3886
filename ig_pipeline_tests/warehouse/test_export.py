"""ig-pipeline export: streamed CSV of any table or view, with clear errors for bad requests."""

from __future__ import annotations

import io
from urllib.parse import quote

import pandas as pd
import pytest
import sqlalchemy as sa

from ig_pipeline.cli import main
from ig_pipeline.warehouse import roles, schema
from ig_pipeline.warehouse.database import get_engine
from ig_pipeline.warehouse.export import HIDDEN_COLUMNS, build_query, relations


@pytest.fixture
def cli(known_data, database_url, monkeypatch, capsys):
    monkeypatch.setenv("IG_DATABASE_URL", database_url)

    def run(*args) -> tuple[int, str, str]:
        code = main(["export", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_every_table_and_view_round_trips_through_pandas(cli, known_data, tmp_path):
    found = relations(known_data.engine())  # what the database holds now, views added later included
    assert set(roles.VIEWS) <= set(found) and {t.name for t in schema.TENANT_TABLES} <= set(found)
    assert "alembic_version" not in found
    for name, relation in found.items():
        out = tmp_path / f"{name}.csv"
        code, stdout, err = cli(f"--{relation.kind}", name, "--out", str(out))
        assert code == 0, err
        assert stdout == ""
        frame = pd.read_csv(out)
        expected = [c for c in relation.columns if c not in HIDDEN_COLUMNS]
        assert list(frame.columns) == expected, name
        assert not HIDDEN_COLUMNS & set(frame.columns), name
        with known_data.engine().connect() as conn:
            count = conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        assert len(frame) == count, name
        assert err == f"{count} row(s) written to {out}\n"


def test_round_trip_values(cli):
    code, out, err = cli("--table", "instagram_account_daily", "--account", "A1")
    assert code == 0 and err == ""  # stdout: no summary line
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame["day"]) == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert list(frame["reach"]) == [100, 200, 0] and list(frame["views"]) == [300, 500, 50]
    assert frame["followers_count"].isna().tolist() == [False, True, False]  # NULL stays empty


def test_tokens_are_never_exported(cli):
    code, out, _ = cli("--table", "instagram_connection")
    assert code == 0 and "token_encrypted" not in out
    assert "secret-a" not in out and b"secret-a".hex() not in out
    assert sorted(_csv(out)["ig_user_id"]) == ["A1", "A2", "B1"]


def test_relations_added_later_export_and_never_carry_a_token(cli, known_data):
    with known_data.engine().begin() as conn:
        conn.execute(sa.text("CREATE VIEW zz_leaky AS SELECT ig_user_id, username, token_encrypted "
                             "FROM instagram_connection"))
        conn.execute(sa.text("CREATE MATERIALIZED VIEW zz_daily AS SELECT ig_user_id, day, reach "
                             "FROM instagram_account_daily"))
    code, out, err = cli("--view", "zz_leaky", "--account", "B1")
    assert code == 0, err
    assert out.splitlines() == ["ig_user_id,username", "B1,beta"]
    code, out, err = cli("--view", "zz_daily", "--since", "2026-11-02")
    assert code == 0, err
    assert out.splitlines() == ["ig_user_id,day,reach", "A1,2026-11-02,200", "A1,2026-11-03,0"]


def test_account_and_inclusive_day_filters(cli):
    code, out, _ = cli("--view", "ig_daily_engagement", "--account", "A1", "--since", "2026-11-02",
                       "--until", "2026-11-03")
    frame = _csv(out)
    assert code == 0
    assert list(frame["day"]) == ["2026-11-02", "2026-11-03"] and set(frame["ig_user_id"]) == {"A1"}
    assert float(frame["engagement_rate"][0]) == 0.15


def test_posted_day_filter(cli):
    code, out, _ = cli("--table", "instagram_media", "--since", "2026-10-05", "--until", "2026-10-20")
    assert code == 0
    assert list(_csv(out)["media_id"]) == ["P1", "P2", "Q1"]


def test_instant_columns_filter_by_utc_day(cli):
    code, out, _ = cli("--table", "instagram_account_intraday", "--since", "2026-11-03", "--until", "2026-11-03")
    assert code == 0
    assert list(_csv(out)["followers_count"]) == ["1007"]
    code, out, _ = cli("--table", "instagram_account_intraday", "--account", "A1", "--until", "2026-11-02")
    assert list(_csv(out)["followers_count"]) == ["1004", "1006"]


def test_instant_filter_ignores_the_session_time_zone(cli, database_url, monkeypatch):
    """In Pacific time 2026-11-03 07:30 UTC is still Nov 2: the filter must not follow the session."""
    separator = "&" if "?" in database_url else "?"
    pacific = f"{database_url}{separator}options={quote('-c TimeZone=America/Los_Angeles')}"
    with get_engine(pacific).connect() as conn:
        assert conn.execute(sa.text("SHOW TimeZone")).scalar_one() == "America/Los_Angeles"
    monkeypatch.setenv("IG_DATABASE_URL", pacific)
    code, out, err = cli("--table", "instagram_account_intraday", "--since", "2026-11-03", "--until", "2026-11-03")
    assert code == 0, err
    assert list(_csv(out)["followers_count"]) == ["1007"]


def test_output_is_ordered_by_key_or_by_every_column_of_a_view(cli, known_data):
    _, out, _ = cli("--table", "instagram_account_daily")
    frame = _csv(out)
    keys = list(zip(frame["ig_user_id"], frame["day"], strict=True))
    assert keys == sorted(keys)
    view = relations(known_data.engine())["ig_sync_health"]
    order = build_query(view, account=None, since=None, until=None).as_string(None).partition(" ORDER BY ")[2]
    assert order == ", ".join(f'"{c}"' for c in view.columns)
    _, out, _ = cli("--view", "ig_sync_health")
    frame = _csv(out)
    assert list(zip(frame["ig_user_id"], frame["sync_kind"], strict=True)) == [
        ("A1", "account_daily"), ("A1", "media"), ("A2", ""), ("B1", "account_daily")]


@pytest.mark.parametrize(("args", "message"), [
    (["--table", "no_such_table"], "unknown table 'no_such_table'; tables: ig_hashtag_search_ledger, ig_tenant_member, ig_tracked_competitor"),
    (["--view", "no_such_view"], "unknown view 'no_such_view'; views: ig_account_overview, "),
    (["--view", "instagram_media"], "instagram_media is a table: use --table"),
    (["--table", "ig_sync_health"], "ig_sync_health is a view: use --view"),
    (["--table", "alembic_version"], "unknown table"),
    (["--table", 'x"; DROP TABLE instagram_media; --'], "unknown table"),
    (["--table", "instagram_media", "--account", "NOPE"], "unknown account 'NOPE'"),
    (["--table", "instagram_media", "--account", "NOPE"], "accounts: A1, A2, B1"),
    (["--table", "instagram_media", "--since", "2026-13-01"], "--since '2026-13-01' is not a date: use YYYY-MM-DD"),
    (["--table", "instagram_media", "--until", "yesterday"], "--until 'yesterday' is not a date"),
    (["--table", "instagram_media", "--since", "2026-1-01"], "is not a date"),
    (["--table", "instagram_media", "--since", "2026-W45-1"], "is not a date"),
    (["--table", "instagram_media", "--since", "2026-11-05", "--until", "2026-11-01"], "is after --until"),
    (["--table", "ig_tenant_member", "--account", "A1"], "has no ig_user_id column"),
    (["--table", "ig_tenant_member", "--account", "A1"], "tables with one: ig_hashtag_search_ledger, ig_tracked_hashtag, instagram_account_daily"),
    (["--table", "instagram_connection", "--since", "2026-11-01"], "has no date column"),
    (["--view", "ig_sync_health", "--until", "2026-11-01"], "views with one: ig_competitor_benchmark, ig_daily_engagement"),
])
def test_bad_requests_exit_2_with_one_line_and_leave_the_file_alone(cli, known_data, tmp_path, args, message):
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    code, stdout, err = cli(*args, "--out", str(out))
    assert code == 2
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert out.read_text() == "precious\n" and list(tmp_path.iterdir()) == [out]
    assert stdout == ""
    with known_data.engine().connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM instagram_media")).scalar_one() == 6


def test_bad_request_does_not_create_the_out_file(cli, tmp_path):
    out = tmp_path / "new.csv"
    code, _, err = cli("--table", "no_such_table", "--out", str(out))
    assert code == 2 and err.startswith("error: ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("where", "message"), [("nope/x.csv", "does not exist"), (".", "is a directory")])
def test_unusable_output_path_is_a_clear_error(cli, tmp_path, where, message):
    code, _, err = cli("--table", "instagram_media", "--out", str(tmp_path / where))
    assert code == 2 and err.startswith("error: ") and message in err
    assert list(tmp_path.iterdir()) == []


def test_unmigrated_database_says_to_migrate(empty_database_url, monkeypatch, capsys):
    monkeypatch.setenv("IG_DATABASE_URL", empty_database_url)
    assert main(["export", "--table", "instagram_media"]) == 2
    assert "run `ig-pipeline migrate` first" in capsys.readouterr().err


def test_until_the_last_representable_day_is_one_error_line(cli, tmp_path):
    for relation in (["--table", "instagram_account_intraday"], ["--table", "instagram_account_daily"]):
        code, stdout, err = cli(*relation, "--until", "9999-12-31")
        assert code == 2 and stdout == "", err
        assert err.startswith("error: --until 9999-12-31 is out of range") and len(err.splitlines()) == 1
    code, _, err = cli("--table", "instagram_account_intraday", "--until", "9999-12-30")
    assert code == 0, err


def test_out_dash_is_stdout(cli):
    assert cli("--table", "instagram_account_daily", "--out", "-")[:2] == cli("--table", "instagram_account_daily")[:2]
    code, out, err = cli("--table", "instagram_account_daily", "--out", "-")
    assert code == 0 and out.startswith("ig_user_id,") and err == ""


def test_special_targets_are_written_directly_never_replaced(cli, tmp_path):
    import os
    import stat
    import threading

    # A null device of our own: a regression must not replace the machine's /dev/null (found the hard way).
    if os.geteuid() == 0:
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        code, _, err = cli("--table", "instagram_account_daily", "--out", str(device))
        assert code == 0, err
        assert stat.S_ISCHR(os.stat(device).st_mode)  # still the device: a rename would have replaced it
        device.unlink()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, _, err = cli("--table", "instagram_account_daily", "--out", str(fifo))
    reader.join(timeout=30)
    assert code == 0, err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and received[0].startswith(b"ig_user_id,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no temporary file left behind


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tlead", "plain -dash"]


@pytest.fixture
def formula_captions(known_data):
    with known_data.engine().begin() as conn:
        media = conn.execute(sa.text("SELECT media_id FROM instagram_media ORDER BY media_id")).scalars().all()
        for media_id, caption in zip(media, FORMULAS, strict=False):
            conn.execute(sa.text("UPDATE instagram_media SET caption = :c WHERE media_id = :m"),
                         {"c": caption, "m": media_id})
    return FORMULAS[:len(media)]


def test_formulas_are_escaped_in_files_and_raw_on_stdout(cli, formula_captions, tmp_path):
    out = tmp_path / "media.csv"
    assert cli("--table", "instagram_media", "--out", str(out))[0] == 0
    escaped = list(_csv(out.read_text())["caption"])
    expected = [("'" + c if c[0] in "=+-@\t" else c) for c in formula_captions]
    assert escaped[:len(expected)] == expected
    code, stdout, _ = cli("--table", "instagram_media")
    assert list(_csv(stdout)["caption"])[:len(expected)] == formula_captions  # programs get the data as stored
    assert cli("--table", "instagram_media", "--out", str(out), "--formulas", "raw")[0] == 0
    assert list(_csv(out.read_text())["caption"])[:len(expected)] == formula_captions
    code, stdout, _ = cli("--table", "instagram_media", "--formulas", "escape")
    assert list(_csv(stdout)["caption"])[:len(expected)] == expected
    numbers = _csv(cli("--table", "instagram_account_daily", "--formulas", "escape")[1])
    assert not any(v.startswith("'") for column in numbers for v in numbers[column])  # numbers never touched
