"""Instagram reporting days: Meta's daily insights are cut at midnight US Pacific time.

Dagster-free on purpose: the Graph client, the transforms, the assets and the tests all need to
know which day an instant belongs to; only the assets need Dagster's partitions (partitions.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")


def pacific_day(moment: datetime) -> date:
    """The Instagram reporting day an instant falls in."""
    return moment.astimezone(PACIFIC).date()


def pacific_yesterday(moment: datetime) -> date:
    """The reporting day before the one ``moment`` falls in: what a daily run just after midnight stores."""
    return pacific_day(moment) - timedelta(days=1)


def day_start(day: date) -> datetime:
    """Pacific midnight that starts ``day`` (tz-aware)."""
    return datetime(day.year, day.month, day.day, tzinfo=PACIFIC)


def day_end(day: date) -> datetime:
    return day_start(day + timedelta(days=1))
