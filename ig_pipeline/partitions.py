"""Partitions, defined once and shared by assets, jobs and schedules.

Daily partitions are Instagram reporting days (US Pacific, days.py). Intraday partitions are 30-minute
windows in UTC; ``end_offset=1`` makes the window in progress the newest partition, so the
30-minute schedule captures the window it runs in.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from ig_pipeline.config import ConfigError
from ig_pipeline.days import PACIFIC

# Two years before this release: Meta keeps about two years of insights (account-level data only
# 90 days for sure), so earlier partitions could never load. A deployment sets the first day it
# loads; the demo sets its first backfilled day. A fixed date, not "today minus N": a moving start
# would change the code location's partitions from one process (and day) to the next.
DEFAULT_DAILY_START = "2024-12-01"
DEFAULT_INTRADAY_START = "2026-11-01"  # 30-minute windows from 00:00 UTC of this day
INTRADAY_FORMAT = "%Y-%m-%d-%H:%M"


def _first_day(variable: str, default: str, env=None) -> str:
    raw = (os.environ if env is None else env).get(variable, "").strip()
    try:
        return date.fromisoformat(raw or default).isoformat()
    except ValueError:
        raise ConfigError(f"{variable} must be a day like 2026-01-01, got {raw!r}") from None


def daily_start(env=None) -> str:
    """IG_DAILY_PARTITIONS_START (YYYY-MM-DD, a Pacific reporting day), or the default."""
    return _first_day("IG_DAILY_PARTITIONS_START", DEFAULT_DAILY_START, env)


def intraday_start(env=None) -> str:
    """The first 30-minute window: 00:00 UTC of IG_INTRADAY_PARTITIONS_START (YYYY-MM-DD), or the default.
    A past window can never be captured, so a deployment sets the day it starts snapshots."""
    return _first_day("IG_INTRADAY_PARTITIONS_START", DEFAULT_INTRADAY_START, env) + "-00:00"


DAILY_START = daily_start()
daily_partitions = dg.DailyPartitionsDefinition(start_date=DAILY_START, timezone=PACIFIC.key)

intraday_partitions = dg.TimeWindowPartitionsDefinition(
    start=intraday_start(), cron_schedule="*/30 * * * *", fmt=INTRADAY_FORMAT, timezone="UTC", end_offset=1,
)

# The run tags with which one run covers a partition range (single-run backfill policy).
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def range_tags(start: str, end: str) -> dict[str, str]:
    """Tags that make one run cover the days ``start`` to ``end`` (YYYY-MM-DD, inclusive)."""
    return {RANGE_START: start, RANGE_END: end}


def intraday_key(moment: datetime) -> str:
    """The key of the 30-minute window containing ``moment`` (UTC)."""
    utc = moment.astimezone(ZoneInfo("UTC"))
    return utc.replace(minute=utc.minute - utc.minute % 30, second=0, microsecond=0).strftime(INTRADAY_FORMAT)
