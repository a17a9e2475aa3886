"""instagram_report: real data loaded from the simulator, charts rendered from the views."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import matplotlib.image
import sqlalchemy as sa

from ig_pipeline.assets.report import _post_label, render_account
from ig_pipeline.days import pacific_day
from ig_pipeline.reports import charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _check_png(path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), path
    height, width, *_ = matplotlib.image.imread(path).shape
    assert height > 100 and width > 100


def test_report_writes_valid_pngs_for_every_account_and_embeds_them(make_env, tmp_path, monkeypatch):
    monkeypatch.setenv("IG_DATA_DIR", str(tmp_path))
    env = make_env(accounts=3)
    yesterday = pacific_day(env.now()) - timedelta(days=1)
    env.run("instagram_account_daily_job", tags={"dagster/asset_partition_range_start":
                                                 (yesterday - timedelta(days=13)).isoformat(),
                                                 "dagster/asset_partition_range_end": yesterday.isoformat()})
    env.run("instagram_media_daily_job", partition_key=yesterday.isoformat())
    with env.warehouse.transaction() as conn:  # a fourth account connected but without any data yet
        conn.execute(sa.text("INSERT INTO instagram_connection (ig_user_id, owner_id, login_type, status) "
                             "VALUES ('999', 'owner-x', 'facebook', 'active')"))

    result = env.run("instagram_report_job")
    meta = next(e.materialization for e in result.all_events if e.is_step_materialization).metadata
    assert meta["accounts"].value == 4
    per_account = {key: value.value for key, value in meta.items() if key.startswith("charts ")}
    assert len(per_account) == 4 and all(md.count("data:image/png;base64,") == 3 for md in per_account.values())
    markdown = "".join(per_account.values())
    overview = meta["overview"].value.splitlines()[2:]  # one row per account, the largest first
    assert [row.split(" | ")[1] for row in overview][-1] == "999"  # no data yet: last
    assert all(account in meta["overview"].value for account in env.accounts)
    assert len(markdown) < 4 * 3 * 60_000  # small embedded copies (figsize 6x3 at 80 dpi), not full-size images

    reports = tmp_path / "reports"
    files = sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*.png"))
    assert files == sorted(f"{a}/{c}.png" for a in [*env.accounts, "999"] for c in ("followers", "reach_views",
                                                                                   "top_posts"))
    for path in reports.rglob("*.png"):
        _check_png(path)
    # The account without data gets the "no data yet" charts; one with data gets real ones.
    empty = {"followers": charts.follower_growth([], [], []), "reach_views": charts.reach_and_views([], [], []),
             "top_posts": charts.top_posts([], [])}
    for name, png in empty.items():
        assert (reports / "999" / f"{name}.png").read_bytes() == png
        assert (reports / env.accounts[0] / f"{name}.png").read_bytes() != png, name

    before = {p: p.stat().st_mtime_ns for p in reports.rglob("*.png")}
    env.run("instagram_report_job")
    after = {p: p.stat().st_mtime_ns for p in reports.rglob("*.png")}
    assert set(after) == set(before)  # a re-run overwrites the same files…
    assert all(after[p] > before[p] for p in before)  # …and does rewrite each of them


def test_charts_render_something_even_without_data():
    for png in (charts.follower_growth([], [], []), charts.reach_and_views([], [], []), charts.top_posts([], []),
                charts.follower_growth([date(2026, 1, 1)], [None], [None])):
        assert png.startswith(PNG_SIGNATURE)


def test_top_posts_from_the_same_day_get_a_bar_each():
    rows = [SimpleNamespace(posted_day=date(2026, 1, 1), media_product_type="REELS", total_interactions=n)
            for n in (30, 20, 10)]
    labels = [_post_label(rank, row) for rank, row in enumerate(rows, start=1)]
    assert len(set(labels)) == 3 and labels[0] == "#1 2026-01-01 reels"
    pngs = render_account({"growth": [], "engagement": [], "top": rows})
    assert set(pngs) == {"followers", "reach_views", "top_posts"}
    assert all(png.startswith(PNG_SIGNATURE) for png in pngs.values())
