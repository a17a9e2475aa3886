"""instagram_report: per-account PNG charts from the analyst views, shown in the Dagster UI.

Files go to ``$IG_DATA_DIR/reports/<ig_user_id>/{followers,reach_views,top_posts}.png`` (a re-run
overwrites them); the materialization's markdown metadata embeds small copies so the charts show on
the asset's page without access to that directory.
"""

import base64
from datetime import timedelta

import dagster as dg
from sqlalchemy import text

from ig_pipeline.assets.common import GROUP
from ig_pipeline.clock import PipelineClock
from ig_pipeline.config import load_settings
from ig_pipeline.partitions import pacific_day
from ig_pipeline.reports import charts
from ig_pipeline.warehouse.resource import PostgresWarehouse

CHARTS = ("followers", "reach_views", "top_posts")
MAX_EMBEDDED = 25  # accounts whose charts are embedded in the metadata (the files cover all)

_ACCOUNTS = text("SELECT ig_user_id, username FROM instagram_connection WHERE status = 'active' ORDER BY ig_user_id")
_GROWTH = text("SELECT day, followers_count, new_followers FROM ig_follower_growth "
               "WHERE ig_user_id = :id AND day >= :since ORDER BY day")
_ENGAGEMENT = text("SELECT day, reach, views FROM ig_daily_engagement WHERE ig_user_id = :id AND day >= :since "
                   "ORDER BY day")
_TOP = text("SELECT posted_day, media_product_type, total_interactions FROM ig_post_performance "
            "WHERE ig_user_id = :id AND posted_day >= :since AND NOT deleted AND total_interactions IS NOT NULL "
            "ORDER BY total_interactions DESC, media_id LIMIT 10")


class ReportConfig(dg.Config):
    days: int = 90


def render_account(conn, ig_user_id: str, since) -> dict[str, bytes]:
    growth = conn.execute(_GROWTH, {"id": ig_user_id, "since": since}).all()
    engagement = conn.execute(_ENGAGEMENT, {"id": ig_user_id, "since": since}).all()
    top = conn.execute(_TOP, {"id": ig_user_id, "since": since}).all()
    return {
        "followers": charts.follower_growth([r.day for r in growth], [r.followers_count for r in growth],
                                            [r.new_followers for r in growth]),
        "reach_views": charts.reach_and_views([r.day for r in engagement], [r.reach for r in engagement],
                                              [r.views for r in engagement]),
        "top_posts": charts.top_posts([f"{r.posted_day} {(r.media_product_type or '').lower()}" for r in top],
                                      [r.total_interactions for r in top]),
    }


@dg.asset(name="instagram_report", group_name=GROUP, kinds={"postgres", "matplotlib"},
          deps=["instagram_account_daily", "instagram_media_daily", "instagram_account_intraday"])
def instagram_report(context: dg.AssetExecutionContext, config: ReportConfig, warehouse: PostgresWarehouse,
                     clock: PipelineClock) -> dg.MaterializeResult:
    """Charts per active account over the last ``days``: follower growth, reach and views per day,
    top posts by interactions."""
    since = pacific_day(clock.now()) - timedelta(days=config.days)
    root = load_settings().data_dir / "reports"
    sections = []
    with warehouse.transaction() as conn:
        accounts = conn.execute(_ACCOUNTS).all()
        for index, account in enumerate(accounts):
            images = render_account(conn, account.ig_user_id, since)
            folder = root / account.ig_user_id
            folder.mkdir(parents=True, exist_ok=True)
            for name, png in images.items():
                (folder / f"{name}.png").write_bytes(png)
            if index < MAX_EMBEDDED:
                embedded = " ".join(f"![{name}](data:image/png;base64,{base64.b64encode(png).decode()})"
                                    for name, png in images.items())
                sections.append(f"### {account.username or account.ig_user_id}\n\n{embedded}")
    context.log.info(f"report: {len(accounts)} account(s) rendered under {root}")
    more = f"\n\n…and {len(accounts) - MAX_EMBEDDED} more accounts in {root}" if len(accounts) > MAX_EMBEDDED else ""
    return dg.MaterializeResult(metadata={
        "accounts": len(accounts), "since": since.isoformat(), "report_dir": dg.MetadataValue.path(str(root)),
        "charts": dg.MetadataValue.md("\n\n".join(sections) + more if sections else "No active accounts."),
    })
