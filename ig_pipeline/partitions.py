"""Partitions, defined once and shared by assets, jobs and schedules.

Daily partitions are Instagram reporting days (US Pacific). Intraday partitions are 30-minute
windows in UTC; ``end_offset=1`` makes the window in progress the newest partition, so the
30-minute schedule captures the window it runs in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

PACIFIC = ZoneInfo("America/Los_Angeles")
DAILY_START = "2024-01-01"  # the API keeps about two years of media insights
INTRADAY_START = "2026-11-01-00:00"
INTRADAY_FORMAT = "%Y-%m-%d-%H:%M"

daily_partitions = dg.DailyPartitionsDefinition(start_date=DAILY_START, timezone="America/Los_Angeles")

intraday_partitions = dg.TimeWindowPartitionsDefinition(
    start=INTRADAY_START, cron_schedule="*/30 * * * *", fmt=INTRADAY_FORMAT, timezone="UTC", end_offset=1,
)


def pacific_day(moment: datetime) -> date:
    """The Instagram reporting day an instant falls in."""
    return moment.astimezone(PACIFIC).date()


def day_key(day: date) -> str:
    return day.isoformat()


def day_start(day: date) -> datetime:
    """Pacific midnight that starts ``day`` (tz-aware)."""
    return datetime(day.year, day.month, day.day, tzinfo=PACIFIC)


def day_end(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


def intraday_key(moment: datetime) -> str:
    """The key of the 30-minute window containing ``moment`` (UTC)."""
    utc = moment.astimezone(ZoneInfo("UTC"))
    return utc.replace(minute=utc.minute - utc.minute % 30, second=0, microsecond=0).strftime(INTRADAY_FORMAT)
