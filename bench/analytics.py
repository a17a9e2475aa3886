"""Analyst side at scale (issue 7): view query latency and streamed export speed and memory.

Loads 100 accounts × 365 days of account insights, 1,000 media with 30 days of lifetime snapshots,
and N rows of 30-minute media snapshots (default 1M), then times per-account view queries and
``ig-pipeline export`` of the whole snapshot table in a child process, whose peak RSS is reported
(the export streams with COPY, so memory must not grow with the table).

    .venv/bin/python bench/analytics.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench._common import emit, scratch_database  # noqa: E402
from bench.load import make_rows  # noqa: E402
from ig_pipeline.warehouse import schema  # noqa: E402
from ig_pipeline.warehouse.table_partitions import ensure_partitions, month_start  # noqa: E402
from ig_pipeline.warehouse.upsert import bulk_upsert  # noqa: E402

ACCOUNTS = 100
MEDIA = 1000


def account_id(i: int) -> str:
    return f"1784100{i:010d}"


def media_id(i: int) -> str:
    return f"1790000{i:010d}"


def load(engine, rows: int) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        ensure_partitions(conn, "instagram_media_intraday", [month_start(start), month_start(start + timedelta(days=45))])
        bulk_upsert(conn, schema.instagram_connection, [
            {"ig_user_id": account_id(a), "owner_id": f"owner-{a % 37}", "login_type": "facebook", "status": "active"}
            for a in range(ACCOUNTS)])
        bulk_upsert(conn, schema.instagram_account_daily, [
            {"ig_user_id": account_id(a), "owner_id": f"owner-{a % 37}", "day": date(2025, 11, 1) + timedelta(days=d),
             "reach": 100 + d, "views": 300 + d, "total_interactions": 10 + d % 7, "new_followers": d % 5,
             "follows": d % 6, "unfollows": d % 2, "followers_count": 1000 + d}
            for a in range(ACCOUNTS) for d in range(365)])
        bulk_upsert(conn, schema.instagram_media, [
            {"media_id": media_id(m), "owner_id": f"owner-{(m // 10) % 37}", "ig_user_id": account_id(m // 10),
             "media_product_type": "REELS" if m % 3 == 0 else "FEED", "media_type": "VIDEO",
             "posted_at": start - timedelta(days=m % 300), "posted_day": (start - timedelta(days=m % 300)).date()}
            for m in range(MEDIA)])
        bulk_upsert(conn, schema.instagram_media_daily, [
            {"media_id": media_id(m), "owner_id": f"owner-{(m // 10) % 37}", "ig_user_id": account_id(m // 10),
             "day": date(2026, 10, 1) + timedelta(days=d), "captured_at": start - timedelta(days=30 - d),
             "reach": 50 + d, "total_interactions": 5 + d}
            for m in range(MEDIA) for d in range(30)])
    generated = make_rows(rows)
    for i in range(0, len(generated), 100_000):
        with engine.begin() as conn:
            bulk_upsert(conn, schema.instagram_media_intraday, generated[i:i + 100_000])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


QUERIES = {
    "post_performance_one_account": "SELECT * FROM ig_post_performance WHERE ig_user_id = :a",
    "daily_engagement_one_account_year": "SELECT * FROM ig_daily_engagement WHERE ig_user_id = :a",
    "follower_growth_one_account_year": "SELECT * FROM ig_follower_growth WHERE ig_user_id = :a",
    "account_overview_all": "SELECT * FROM ig_account_overview",
    "product_type_summary_one_account": "SELECT * FROM ig_product_type_summary WHERE ig_user_id = :a",
}


def time_queries(engine, repeats: int = 5) -> dict[str, float]:
    result = {}
    with engine.connect() as conn:
        for name, query in QUERIES.items():
            best = float("inf")
            for r in range(repeats):
                t0 = time.perf_counter()
                conn.execute(text(query), {"a": account_id(7 + r)}).all()
                best = min(best, time.perf_counter() - t0)
            result[f"{name}_ms"] = round(best * 1000, 1)
    return result


def time_export(engine, rows: int) -> dict:
    out = Path(tempfile.mkdtemp()) / "intraday.csv"
    env = os.environ | {"IG_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "ig_pipeline.cli", "export", "--table", "instagram_media_intraday",
                              "--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watched, peak = psutil.Process(child.pid), 0
    while child.poll() is None:  # sample the export process's own RSS (getrusage mixes in other children)
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.01)
    seconds = time.perf_counter() - t0
    assert child.returncode == 0, child.returncode
    peak_mb = peak / 1e6
    size_mb = out.stat().st_size / 1e6
    out.unlink()
    return {"export_rows": rows, "export_s": round(seconds, 1), "export_rows_per_s": round(rows / seconds),
            "export_csv_mb": round(size_mb, 1), "export_peak_rss_mb": round(peak_mb, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with scratch_database() as engine:
        load(engine, args.rows)
        result = {"benchmark": "analytics", "accounts": ACCOUNTS, "media": MEDIA} | time_queries(engine)
        result |= time_export(engine, args.rows)
    emit(result)


if __name__ == "__main__":
    main()
