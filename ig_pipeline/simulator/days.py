"""Pacific reporting days and timestamps (the Graph API's day boundaries are Pacific time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

PT = ZoneInfo("America/Los_Angeles")
DAY = 86400


@lru_cache(maxsize=16384)
def day_start(ordinal: int) -> int:
    """Unix seconds of the Pacific midnight starting the day."""
    return int(datetime.combine(date.fromordinal(ordinal), time(), PT).timestamp())


def day_end(ordinal: int) -> int:
    return day_start(ordinal + 1)


def pacific_ordinal(epoch: float) -> int:
    return datetime.fromtimestamp(epoch, PT).date().toordinal()


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
