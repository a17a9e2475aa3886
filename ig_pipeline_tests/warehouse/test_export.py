"""ig-pipeline export: streamed CSV of any table or view, with clear errors for bad requests."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import sqlalchemy as sa

from ig_pipeline.cli import main
from ig_pipeline.warehouse import roles, schema
from ig_pipeline.warehouse.export import relations


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
    found = relations(known_data.engine())
    assert set(roles.VIEWS) <= set(found) and {t.name for t in schema.TENANT_TABLES} <= set(found)
    for name, relation in found.items():
        out = tmp_path / f"{name}.csv"
        code, _, err = cli(f"--{relation.kind}", name, "--out", str(out))
        assert code == 0, err
        frame = pd.read_csv(out)
        expected = [c for c in relation.columns if c not in roles.SECRET_COLUMNS.get(name, set())]
        assert list(frame.columns) == expected, name
        with known_data.engine().connect() as conn:
            count = conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
        assert len(frame) == count, name
        assert f"{count} row(s) written to {out}" in err


def test_tokens_are_never_exported(cli):
    code, out, _ = cli("--table", "instagram_connection")
    assert code == 0 and "token_encrypted" not in out and "secret-a" not in out
    assert sorted(_csv(out)["ig_user_id"]) == ["A1", "A2", "B1"]


def test_account_and_inclusive_day_filters(cli):
    code, out, _ = cli("--view", "ig_daily_engagement", "--account", "A1", "--since", "2026-11-02",
                       "--until", "2026-11-03")
    frame = _csv(out)
    assert code == 0
    assert list(frame["day"]) == ["2026-11-02", "2026-11-03"] and set(frame["ig_user_id"]) == {"A1"}
    assert float(frame["engagement_rate"][0]) == 0.15


def test_instant_columns_filter_by_utc_day(cli):
    code, out, _ = cli("--table", "instagram_account_intraday", "--since", "2026-11-03", "--until", "2026-11-03")
    assert code == 0
    assert list(_csv(out)["followers_count"]) == ["1007"]


def test_stdout_output_is_ordered_by_key(cli):
    _, out, _ = cli("--table", "instagram_account_daily")
    frame = _csv(out)
    assert list(zip(frame["ig_user_id"], frame["day"], strict=True)) == sorted(
        zip(frame["ig_user_id"], frame["day"], strict=True))


@pytest.mark.parametrize(("args", "message"), [
    (["--table", "no_such_table"], "unknown table 'no_such_table'; tables: "),
    (["--view", "instagram_media"], "instagram_media is a table: use --table"),
    (["--table", "ig_sync_health"], "ig_sync_health is a view: use --view"),
    (["--table", "alembic_version"], "unknown table"),
    (["--table", "instagram_media", "--account", "NOPE"], "unknown account 'NOPE'"),
    (["--table", "instagram_media", "--since", "2026-13-01"], "--since '2026-13-01' is not a date"),
    (["--table", "instagram_media", "--until", "yesterday"], "--until 'yesterday' is not a date"),
    (["--table", "instagram_media", "--since", "2026-11-05", "--until", "2026-11-01"], "is after --until"),
    (["--table", "ig_tenant_member", "--account", "A1"], "has no ig_user_id column"),
    (["--table", "instagram_connection", "--since", "2026-11-01"], "has no date column"),
])
def test_bad_requests_exit_nonzero_with_one_line_and_leave_the_file_alone(cli, tmp_path, args, message):
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    code, stdout, err = cli(*args, "--out", str(out))
    assert code == 2
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert out.read_text() == "precious\n" and list(tmp_path.iterdir()) == [out]
    assert stdout == ""


def test_missing_output_directory_is_a_clear_error(cli, tmp_path):
    code, _, err = cli("--table", "instagram_media", "--out", str(tmp_path / "nope" / "x.csv"))
    assert code == 2 and "does not exist" in err
