"""Pure functions from Graph API JSON to warehouse rows. No I/O, no clock.

Defensive by rule (docs/graph-client.md): IDs stay strings; numbers sent as strings are
coerced; a metric the API did not return is None, never 0; unknown enum values are kept as
given; breakdown values are upper-cased; dimension positions are looked up by key name (the
doc's demographic sample puts "timeframe" first). ``end_time`` marks the END of a Pacific day;
a value whose ``end_time`` is after the run's clock belongs to a day still in progress (the API
serves it, partial) and is dropped, so a partial day is never stored as a final one. Rows carry
only the columns a call fetched: a column left out keeps what the warehouse holds (the upsert
writes present columns only), so nothing stored is ever blanked by a call that did not ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from ig_pipeline.days import day_end, day_start, pacific_day
from ig_pipeline.graph import catalog
from ig_pipeline.graph.catalog import Metric
from ig_pipeline.graph.models import AccountRef, MediaRef

STORY_LIFETIME = timedelta(hours=24)
ACCOUNT_BY_NAME = {m.name: m for m in catalog.ACCOUNT_METRICS}
MEDIA_BY_NAME = {m.name: m for m in catalog.MEDIA_METRICS}
SNAPSHOT_FIELDS = ("followers_count", "follows_count", "media_count")


def number(value) -> int | float | None:
    """An API number as int/float ("12" -> 12, "1.5" -> 1.5); None for absent or non-numeric."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            as_float = float(value.strip())
        except ValueError:
            return None
        return int(as_float) if as_float.is_integer() and "." not in value else as_float
    return None


def parse_time(value) -> datetime | None:
    """ISO-8601 with '+0000' / 'Z' / '+00:00', or Unix seconds, as tz-aware UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def day_of_end_time(value) -> date | None:
    """The Pacific day a bucket with this ``end_time`` covers (07:00/08:00 UTC = end of the day before)."""
    moment = parse_time(value)
    return pacific_day(moment - timedelta(seconds=1)) if moment else None


def day_bounds(first: date, last: date) -> tuple[int, int]:
    """Unix seconds from the Pacific midnight starting ``first`` to the one ending ``last``."""
    return int(day_start(first).timestamp()), int(day_end(last).timestamp())


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _get(value, key):
    return value.get(key) if isinstance(value, dict) else None


def _id(value) -> str | None:
    return None if value is None else str(value)


def _upper(value) -> str:
    return str(value).strip().upper()


# --- insights ---------------------------------------------------------------------------------

def _entries(body) -> list[dict]:
    data = body.get("data") if isinstance(body, dict) else body
    return [entry for entry in _list(data) if isinstance(entry, dict) and isinstance(entry.get("name"), str)]


def _breakdown_values(total_value: dict, metric: Metric) -> dict[str, int | float]:
    """Breakdown results of one metric mapped to warehouse columns (values for one column summed)."""
    out: dict[str, int | float] = {}
    for breakdown in _list(total_value.get("breakdowns")):
        keys = [str(k).lower() for k in _list(_get(breakdown, "dimension_keys"))]
        if metric.breakdown not in keys:
            continue
        position = keys.index(metric.breakdown)
        for result in _list(_get(breakdown, "results")):
            values = _list(_get(result, "dimension_values"))
            column = metric.breakdown_columns.get(_upper(values[position])) if position < len(values) else None
            value = number(_get(result, "value"))
            if column and value is not None:
                out[column] = out.get(column, 0) + value
    return out


def insight_columns(body, by_name: dict[str, Metric]) -> dict[str, int | float]:
    """Column values present in an insights response: the total (``values[0]`` or ``total_value``)
    under the metric's column and its breakdown under the breakdown columns. Absent stays absent."""
    out: dict[str, int | float] = {}
    for entry in _entries(body):
        metric = by_name.get(entry["name"])
        if metric is None:
            continue
        total_value = entry.get("total_value") if isinstance(entry.get("total_value"), dict) else {}
        values = _list(entry.get("values"))
        total = number(total_value.get("value"))
        if total is None and values and isinstance(values[0], dict):
            total = number(values[0].get("value"))
        split = _breakdown_values(total_value, metric) if metric.breakdown else {}
        if total is None and split:
            total = sum(split.values())
        if total is not None:
            out[metric.column] = total
        out.update(split)
    return out


def _ended(point, now: datetime) -> date | None:
    """The day a time-series point covers, or None when it is malformed or the day has not ended
    by ``now`` (an in-progress day's ``end_time`` is in the future)."""
    end = parse_time(point.get("end_time")) if isinstance(point, dict) else None
    return day_of_end_time(point["end_time"]) if end is not None and end <= now else None


def time_series_by_day(body, now: datetime) -> dict[date, dict[str, int | float]]:
    """``{day: {column: value}}`` from a time_series account insights response (ended days only)."""
    out: dict[date, dict[str, int | float]] = {}
    for entry in _entries(body):
        metric = ACCOUNT_BY_NAME.get(entry["name"])
        if metric is None:
            continue
        for point in _list(entry.get("values")):
            day = _ended(point, now)
            value = number(point.get("value")) if day else None
            if value is not None:
                out.setdefault(day, {})[metric.column] = value
    return out


def account_daily_row(account: AccountRef, day: date, fetched_at: datetime) -> dict:
    """The key of an instagram_account_daily row; the caller adds the columns it fetched."""
    return {"owner_id": account.owner_id, "ig_user_id": account.ig_user_id, "day": day, "fetched_at": fetched_at}


def snapshot_counts(node: dict) -> dict[str, int | float]:
    """The follower/following/media counts the node returned (absent ones left out)."""
    return {name: value for name in SNAPSHOT_FIELDS if (value := number(node.get(name))) is not None}


# --- media ------------------------------------------------------------------------------------

def media_ref(item: dict) -> MediaRef | None:
    """The MediaRef of a media item; None when it has no id or no timestamp."""
    posted = parse_time(item.get("timestamp"))
    if item.get("id") is None or posted is None:
        return None
    return MediaRef(str(item["id"]), str(item.get("media_type") or ""),
                    str(item.get("media_product_type") or catalog.FEED), posted)


def _children(item: dict) -> list[dict] | None:
    children = item.get("children")
    data = children.get("data") if isinstance(children, dict) else children
    if not isinstance(data, list):
        return None
    return [{"id": _id(c.get("id")), "media_type": c.get("media_type"), "media_url": c.get("media_url"),
             "thumbnail_url": c.get("thumbnail_url")} for c in data if isinstance(c, dict)]


def media_row(account: AccountRef, item: dict, seen_at: datetime) -> dict:
    """An instagram_media row from a /media or /stories item."""
    posted = parse_time(item.get("timestamp"))
    product = item.get("media_product_type")
    story = product is not None and _upper(product) == catalog.STORY
    return {
        "owner_id": account.owner_id, "media_id": _id(item.get("id")), "ig_user_id": account.ig_user_id,
        "media_type": item.get("media_type"), "media_product_type": product, "caption": item.get("caption"),
        "permalink": item.get("permalink"), "shortcode": item.get("shortcode"), "media_url": item.get("media_url"),
        "thumbnail_url": item.get("thumbnail_url"), "posted_at": posted,
        "posted_day": pacific_day(posted) if posted else None, "children": _children(item),
        "is_comment_enabled": item.get("is_comment_enabled") if isinstance(item.get("is_comment_enabled"), bool)
        else None,
        "like_count": number(item.get("like_count")), "comments_count": number(item.get("comments_count")),
        "story_expires_at": posted + STORY_LIFETIME if story and posted else None, "last_seen_at": seen_at,
    }


def media_insight_row(account: AccountRef, media: MediaRef, insights: dict[str, int | float],
                      counts: dict | None = None) -> dict:
    """Columns shared by instagram_media_daily and instagram_media_intraday (add day/captured_at):
    the key, and only the counts and insight columns that were fetched."""
    fetched = {name: value for name in ("like_count", "comments_count")
               if (value := number((counts or {}).get(name))) is not None}
    return {"owner_id": account.owner_id, "media_id": media.media_id, "ig_user_id": account.ig_user_id,
            "media_product_type": media.media_product_type, **fetched,
            **{column: insights[column] for column in catalog.MEDIA_INSIGHT_COLUMNS if column in insights}}


# --- audience ---------------------------------------------------------------------------------

def demographic_rows(account: AccountRef, body, day: date, timeframe: str, breakdown: str) -> list[dict]:
    """instagram_account_demographics rows for one (timeframe, breakdown) response."""
    rows: dict[tuple, dict] = {}
    for entry in _entries(body):
        total_value = entry.get("total_value") if isinstance(entry.get("total_value"), dict) else {}
        for block in _list(total_value.get("breakdowns")):
            keys = [str(k).lower() for k in _list(_get(block, "dimension_keys"))]
            if breakdown not in keys:
                continue
            position = keys.index(breakdown)
            for result in _list(_get(block, "results")):
                values = _list(_get(result, "dimension_values"))
                value = number(_get(result, "value"))
                if position >= len(values) or value is None:
                    continue
                dimension = str(values[position]).strip()
                dimension = dimension.upper() if breakdown in ("gender",) else dimension
                key = (entry["name"], dimension)
                if key in rows:
                    rows[key]["value"] += value
                else:
                    rows[key] = {"owner_id": account.owner_id, "ig_user_id": account.ig_user_id, "day": day,
                                 "metric": entry["name"], "timeframe": timeframe, "breakdown": breakdown,
                                 "dimension_value": dimension, "value": value}
    return list(rows.values())


def online_follower_rows(account: AccountRef, body, now: datetime) -> list[dict]:
    """instagram_online_followers rows: one per (day, hour) from ``online_followers`` values of
    days that ended by ``now``."""
    rows = []
    for entry in _entries(body):
        if entry["name"] != catalog.ONLINE_FOLLOWERS.name:
            continue
        for point in _list(entry.get("values")):
            day = _ended(point, now)
            hours = point.get("value") if day else None
            if not isinstance(hours, dict):
                continue
            for hour, value in hours.items():
                hour_number, count = number(hour), number(value)
                if isinstance(hour_number, int) and 0 <= hour_number <= 23 and count is not None:
                    rows.append({"owner_id": account.owner_id, "ig_user_id": account.ig_user_id, "day": day,
                                 "hour": hour_number, "value": count})
    return rows


def dedupe(rows: Iterable[dict], *key: str) -> list[dict]:
    """Rows unique on ``key`` (the last one wins): one upsert batch must not touch a row twice."""
    return list({tuple(row[k] for k in key): row for row in rows}.values())
