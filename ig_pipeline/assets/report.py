"""instagram_report: per-account PNG charts from the analyst views, shown in the Dagster UI.

Files go to ``$IG_DATA_DIR/reports/<ig_user_id>/{followers,reach_views,top_posts}.png`` (a re-run
overwrites them), and per owner that tracks competitors ``owners/<owner_id>/competitors.png`` (followers
by week, own accounts next to competitors); the materialization's markdown metadata embeds small copies
so the charts show on the asset's page without access to that directory.
"""

import base64
import re
from datetime import timedelta
from pathlib import Path

import dagster as dg
from sqlalchemy import text

from ig_pipeline.assets.common import GROUP
from ig_pipeline.clock import PipelineClock
from ig_pipeline.connections import store as connections
from ig_pipeline.days import pacific_day
from ig_pipeline.reports import charts, competitors
from ig_pipeline.resources import PipelineOptions
from ig_pipeline.warehouse.resource import PostgresWarehouse

MAX_EMBEDDED = 25  # accounts whose charts are embedded in the metadata (the files cover all)
_SAFE_ID = re.compile(r"[0-9A-Za-z_-]+")

_GROWTH = text("SELECT day, followers_count, new_followers FROM ig_follower_growth "
               "WHERE ig_user_id = :id AND day >= :since ORDER BY day")
_ENGAGEMENT = text("SELECT day, reach, views FROM ig_daily_engagement WHERE ig_user_id = :id AND day >= :since "
                   "ORDER BY day")
_TOP = text("SELECT posted_day, media_product_type, total_interactions FROM ig_post_performance "
            "WHERE ig_user_id = :id AND posted_day >= :since AND NOT deleted AND total_interactions IS NOT NULL "
            "ORDER BY total_interactions DESC, media_id LIMIT 10")


class ReportConfig(dg.Config):
    days: int = 90


def _post_label(rank: int, row) -> str:
    """Unique per bar: a categorical axis draws repeated labels (two reels posted the same day) as one bar."""
    return f"#{rank} {row.posted_day} {(row.media_product_type or '').lower()}".rstrip()


def load_account(conn, ig_user_id: str, since) -> dict[str, list]:
    """The rows one account's charts are drawn from (I/O only)."""
    return {
        "growth": conn.execute(_GROWTH, {"id": ig_user_id, "since": since}).all(),
        "engagement": conn.execute(_ENGAGEMENT, {"id": ig_user_id, "since": since}).all(),
        "top": conn.execute(_TOP, {"id": ig_user_id, "since": since}).all(),
    }


def render_account(rows: dict[str, list]) -> dict[str, bytes]:
    """Rows from load_account → PNG bytes per chart (pure: no database, no files)."""
    growth, engagement, top = rows["growth"], rows["engagement"], rows["top"]
    return {
        "followers": charts.follower_growth([r.day for r in growth], [r.followers_count for r in growth],
                                            [r.new_followers for r in growth]),
        "reach_views": charts.reach_and_views([r.day for r in engagement], [r.reach for r in engagement],
                                              [r.views for r in engagement]),
        "top_posts": charts.top_posts([_post_label(rank, r) for rank, r in enumerate(top, start=1)],
                                      [r.total_interactions for r in top]),
    }


@dg.asset(name="instagram_report", group_name=GROUP, kinds={"postgres", "matplotlib"},
          deps=["instagram_account_daily", "instagram_media_daily", "instagram_account_intraday",
                "instagram_competitor_daily"])
def instagram_report(context: dg.AssetExecutionContext, config: ReportConfig, warehouse: PostgresWarehouse,
                     options: PipelineOptions, clock: PipelineClock) -> dg.MaterializeResult:
    """Charts per active account over the last ``days``: follower growth, reach and views per day,
    top posts by interactions."""
    since = pacific_day(clock.now()) - timedelta(days=config.days)
    root = Path(options.data_dir) / "reports"
    with warehouse.transaction() as conn:  # read everything first: no transaction held open while drawing
        accounts = connections.active_usernames(conn)
        data = {a.ig_user_id: load_account(conn, a.ig_user_id, since) for a in accounts}
        benchmarks = competitors.load(conn, since)
    # Largest accounts first: the overview table and one metadata entry per account (its own
    # [Show Markdown] in the UI), so a chart is found by name instead of in one page of 75 images.
    accounts = sorted(accounts, key=lambda a: (-(_latest_followers(data[a.ig_user_id]) or -1), a.ig_user_id))
    overview, charts_by_account = [], {}
    for account in accounts:
        if not _SAFE_ID.fullmatch(account.ig_user_id):  # it names a directory: never a path like "../x"
            context.log.warning(f"report: skipped an account whose id is not a plain name: {account.ig_user_id!r}")
            continue
        images = render_account(data[account.ig_user_id])
        folder = root / account.ig_user_id
        folder.mkdir(parents=True, exist_ok=True)
        for name, png in images.items():
            (folder / f"{name}.png").write_bytes(png)
        label = f"@{account.username}" if account.username else account.ig_user_id
        followers = _latest_followers(data[account.ig_user_id])
        overview.append(f"| {label} | {account.ig_user_id} | {'' if followers is None else f'{followers:,}'} | "
                        f"`{folder}` |")
        if len(charts_by_account) < MAX_EMBEDDED:
            charts_by_account[f"charts {label}"] = dg.MetadataValue.md(" ".join(
                f"![{name}](data:image/png;base64,{base64.b64encode(png).decode()})" for name, png in images.items()))
    for owner, rows in benchmarks.items():  # owners/<owner>/competitors.png: own accounts next to competitors
        if _SAFE_ID.fullmatch(owner):
            png = competitors.render(rows)
            (root / "owners" / owner).mkdir(parents=True, exist_ok=True)
            (root / "owners" / owner / "competitors.png").write_bytes(png)
            if len(charts_by_account) < MAX_EMBEDDED:
                charts_by_account[f"competitors {owner}"] = dg.MetadataValue.md(
                    f"![competitors](data:image/png;base64,{base64.b64encode(png).decode()})")
    context.log.info(f"report: {len(accounts)} account(s) rendered under {root}")
    more = (f"\n\nCharts of the first {MAX_EMBEDDED} accounts are embedded below; every account's are in its "
            "folder.") if len(accounts) > MAX_EMBEDDED else ""
    table = "| account | id | followers | charts |\n|---|---|---|---|\n" + "\n".join(overview) + more
    return dg.MaterializeResult(metadata={
        "accounts": len(accounts), "since": since.isoformat(), "report_dir": dg.MetadataValue.path(str(root)),
        "overview": dg.MetadataValue.md(table if overview else "No active accounts."),
        **charts_by_account,
    })


def _latest_followers(rows: dict[str, list]) -> int | None:
    counts = [r.followers_count for r in rows["growth"] if r.followers_count is not None]
    return counts[-1] if counts else None
