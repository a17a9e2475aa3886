"""Call plans: what to ask the Graph API for, per account, and the rows that come back.

Each plan takes the shared GraphClient and one AccountRef and returns a FetchResult; API errors
never escape (they go in ``.error``, partial no-data goes in ``.warnings``). Which calls each
plan makes, and what they cost, is written down in docs/graph-client.md.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ig_pipeline.days import pacific_day
from ig_pipeline.graph import catalog, transforms
from ig_pipeline.graph.calls import Call, next_call
from ig_pipeline.graph.client import GraphClient
from ig_pipeline.graph.errors import ErrorClass, GraphError
from ig_pipeline.graph.freshness import due_for_refresh
from ig_pipeline.graph.media import (
    MEDIA_FIELDS,
    count_listing_calls,
    insight_rows,
    media_jobs,
    media_list_call,
    product_of,
)
from ig_pipeline.graph.models import AccountRef, FetchResult, MediaRef
from ig_pipeline.graph.session import AccountSession, InsightJob

__all__ = ["due_for_refresh", "fetch_account_days", "fetch_demographics", "fetch_intraday",
           "fetch_media_insights", "fetch_media_list", "fetch_online_followers", "fetch_recent"]

WINDOW_DAYS = 29  # a 30-day since/until span can fail (docs/graph-client.md)
ACCOUNT = "account"
FATAL = (ErrorClass.TOKEN_INVALID, ErrorClass.RATE_LIMITED, ErrorClass.TRANSIENT)

# --- account days -------------------------------------------------------------------------------


def _windows(days: list[date], today: date) -> list[tuple[date, date, bool]]:
    """(first, last, follower_count allowed) windows of ≤29 consecutive days covering ``days``;
    never mixing days inside follower_count's 30-day horizon with days outside it."""
    horizon = today - timedelta(days=30)
    windows: list[tuple[date, date, bool]] = []
    for day in sorted(set(days)):
        recent = horizon <= day < today
        if windows:
            first, last, flag = windows[-1]
            if day == last + timedelta(days=1) and flag == recent and (day - first).days < WINDOW_DAYS:
                windows[-1] = (first, day, flag)
                continue
        windows.append((day, day, recent))
    return windows


def _account_groups(client: GraphClient, on: date) -> tuple[list[list[str]], list[tuple[str | None, list[str]]]]:
    """(time_series request groups, [(breakdown, total_value request group)]) from the catalog."""
    series: list[list[str]] = []
    totals: list[tuple[str | None, list[str]]] = []
    for group in catalog.request_groups(catalog.account_metrics(client.version, on)):
        names = [metric.name for metric in group]
        if group[0].metric_type == "time_series":
            series.append(names)
        else:
            totals.append((group[0].breakdown, names))
    return series, totals


def _insights_call(ig_user_id: str, metrics: list[str], first: date, last: date, **extra) -> Call:
    since, until = transforms.day_bounds(first, last)
    return Call(f"{ig_user_id}/insights", {"metric": metrics, "period": "day", "since": since, "until": until,
                                           **extra})


async def fetch_account_days(client: GraphClient, account: AccountRef, days: list[date],
                             snapshot_day: date | None) -> FetchResult:
    """instagram_account_daily rows, one per day: time series in ≤29-day windows, totals per day and
    request group, the count snapshot only on ``snapshot_day`` — all in batches of ≤50. The same node
    read returns the account_type (``.profile``), which keeps the connection's copy current."""
    session = AccountSession(client, account)
    if not days:
        return session.result({"instagram_account_daily": []})
    fetched_at = client.now()
    # the asset passes yesterday as snapshot_day, so "today" is known without trusting a clock
    today = snapshot_day + timedelta(days=1) if snapshot_day else min(pacific_day(fetched_at),
                                                                      max(days) + timedelta(days=1))
    series, totals = _account_groups(client, today)
    uid = account.ig_user_id
    jobs = []
    for first, last, recent in _windows(days, today):
        for group in series:
            names = [m for m in group if recent or transforms.ACCOUNT_BY_NAME[m].history_days is None]
            jobs.append(InsightJob(("series", first), ACCOUNT, names, lambda m, f=first, la=last: _insights_call(
                uid, m, f, la, metric_type="time_series")))
    for day in sorted(set(days)):
        for breakdown, names in totals:
            extra = {"metric_type": "total_value"} | ({"breakdown": breakdown} if breakdown else {})
            jobs.append(InsightJob(("total", day, breakdown), ACCOUNT, names,
                                   lambda m, d=day, e=extra: _insights_call(uid, m, d, d, **e)))
    node = [Call(uid, {"fields": ",".join((*transforms.SNAPSHOT_FIELDS, "account_type"))})] \
        if snapshot_day in days else []
    outcomes, node_outcomes = await session.insights(jobs, extra=node)
    snapshot = node_outcomes[0] if node_outcomes else None
    if isinstance(snapshot, GraphError):
        if snapshot.error_class in FATAL:
            return session.result(error=snapshot)
        session.warn(f"account {uid} counts: {snapshot}")
    rows = {day: transforms.account_daily_row(account, day, fetched_at) for day in days}
    for key, outcome in outcomes.items():
        if isinstance(outcome, GraphError):
            if outcome.error_class in FATAL:
                return session.result(error=outcome)
            session.warn(f"account {uid} {key[0]} {key[1]}: {outcome}")
        elif key[0] == "series":
            for day, values in transforms.time_series_by_day(outcome, fetched_at).items():
                if day in rows:
                    rows[day].update(values)
        else:
            rows[key[1]].update(transforms.insight_columns(outcome, transforms.ACCOUNT_BY_NAME))
    profile = {}
    if isinstance(snapshot, dict):
        counts = transforms.snapshot_counts(snapshot)
        if counts:
            rows[snapshot_day].update(counts, counts_captured_at=fetched_at)
        if isinstance(snapshot.get("account_type"), str):
            profile["account_type"] = snapshot["account_type"]
    return session.result({"instagram_account_daily": list(rows.values())}, profile=profile)


# --- media ----------------------------------------------------------------------------------------


async def fetch_media_list(client: GraphClient, account: AccountRef, since: datetime | None,
                           until: datetime | None) -> FetchResult:
    """instagram_media rows (carousel children expanded in the same call) for media posted in
    [since, until); ``.media`` lists them."""
    session = AccountSession(client, account)
    try:
        items = await session.paged(media_list_call(account.ig_user_id, since, until, fields=MEDIA_FIELDS))
    except GraphError as error:
        return session.result(error=error)
    seen_at = client.now()
    rows, refs = _media_rows(account, items, seen_at, since, until)
    return session.result({"instagram_media": rows}, media=refs)


def _media_rows(account: AccountRef, items: list[dict], seen_at: datetime, since: datetime | None = None,
                until: datetime | None = None) -> tuple[list[dict], list[MediaRef]]:
    rows, refs = [], []
    for item in items:
        ref = transforms.media_ref(item)
        if ref is None or (since and ref.posted_at < since) or (until and ref.posted_at >= until):
            continue
        rows.append(transforms.media_row(account, item, seen_at))
        refs.append(ref)
    return transforms.dedupe(rows, "media_id"), list({r.media_id: r for r in refs}.values())


async def fetch_media_insights(client: GraphClient, account: AccountRef, media: list[MediaRef], day: date,
                               captured_at: datetime) -> FetchResult:
    """instagram_media_daily rows: lifetime insights as of ``captured_at`` attributed to ``day``
    (one request per media and request group) with each post's like/comment counts, read in the
    same batch from ``/media`` listings over windows around the posts (``count_listing_calls``: one
    call per ~12 posts, not one per post; stories have none)."""
    session = AccountSession(client, account)
    posts = [ref for ref in media if product_of(ref) != catalog.STORY]
    listings = count_listing_calls(account.ig_user_id, posts)
    outcomes, listed = await session.insights(media_jobs(session, media, captured_at.date()), extra=listings)
    counts, errors = await _listed_counts(session, listings, listed)
    for ref in posts:
        if ref.media_id not in counts:
            why = f": {errors[0]}" if errors else " (not in the listing: deleted?)"
            session.warn(f"media {ref.media_id}: like/comment counts not read{why}")
    rows, error = insight_rows(session, media, outcomes, counts, {"day": day, "captured_at": captured_at})
    return session.result({"instagram_media_daily": rows}, error=error, media=media)


async def _listed_counts(session: AccountSession, calls: list[Call],
                         outcomes: list) -> tuple[dict[str, dict], list[GraphError]]:
    """Media id -> listed item (id, like_count, comments_count) from the count listings, and their errors."""
    counts: dict[str, dict] = {}
    errors: list[GraphError] = []
    for call, outcome in zip(calls, outcomes, strict=True):
        if not isinstance(outcome, dict):
            errors.extend([outcome] if isinstance(outcome, GraphError) else [])
            continue
        items = list(outcome.get("data") or [])
        following = next_call(outcome, call)
        if following is not None:  # more than a page in this window
            try:
                items += await session.paged(following)
            except GraphError as error:
                errors.append(error)
        counts.update({item["id"]: item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)})
    return counts, errors


async def fetch_recent(client: GraphClient, account: AccountRef, since: datetime, day: date,
                       captured_at: datetime) -> FetchResult:
    """The steady-state path: media posted since ``since`` (one listing call per 100, with their
    like/comment counts) and their insights in batches, one request per media and request group."""
    session = AccountSession(client, account)
    try:
        items = await session.paged(media_list_call(account.ig_user_id, since, None, fields=MEDIA_FIELDS))
    except GraphError as error:
        return session.result(error=error)
    seen_at = client.now()
    media_rows, refs = _media_rows(account, items, seen_at, since)
    outcomes, _ = await session.insights(media_jobs(session, refs, captured_at.date()))
    counts = {row["media_id"]: row for row in media_rows}
    rows, error = insight_rows(session, refs, outcomes, counts, {"day": day, "captured_at": captured_at})
    return session.result({"instagram_media": media_rows, "instagram_media_daily": rows}, error=error,
                          media=refs)


async def fetch_intraday(client: GraphClient, account: AccountRef, captured_at: datetime,
                         recent_n: int = 10) -> FetchResult:
    """The 30-minute snapshot: (1) one batch with the count snapshot, the latest ``recent_n`` posts
    and the live stories; (2) per-media insights by request group, 50 to a batch (one batch up to
    ~10 live stories: a post takes 2 items, a story 3)."""
    session = AccountSession(client, account)
    uid = account.ig_user_id
    node, posts, stories = await session.batch([
        Call(uid, {"fields": ",".join(transforms.SNAPSHOT_FIELDS)}),
        Call(f"{uid}/media", {"fields": MEDIA_FIELDS, "limit": recent_n}),
        Call(f"{uid}/stories", {"fields": MEDIA_FIELDS, "limit": 100}),
    ])
    if isinstance(node, GraphError):
        return session.result(error=node)
    for name, outcome in (("media", posts), ("stories", stories)):
        if isinstance(outcome, GraphError):
            if outcome.error_class in FATAL:
                return session.result(error=outcome)
            session.warn(f"account {uid} {name}: {outcome}")
    posts, stories = (o if isinstance(o, dict) else {} for o in (posts, stories))
    story_items = list(stories.get("data") or [])
    if (stories.get("paging") or {}).get("next"):
        try:
            story_items = await session.paged(Call(f"{uid}/stories", {"fields": MEDIA_FIELDS, "limit": 100}))
        except GraphError as error:
            return session.result(error=error)
    seen_at = client.now()
    items = list(posts.get("data") or [])[:recent_n] + story_items
    media_rows, refs = _media_rows(account, items, seen_at)
    outcomes, _ = await session.insights(media_jobs(session, refs, captured_at.date()))
    counts = {row["media_id"]: row for row in media_rows}
    rows, error = insight_rows(session, refs, outcomes, counts, {"captured_at": captured_at})
    account_row = {"owner_id": account.owner_id, "ig_user_id": uid, "captured_at": captured_at,
                   **transforms.snapshot_counts(node)}
    return session.result({"instagram_account_intraday": [account_row], "instagram_media_intraday": rows,
                           "instagram_media": media_rows}, error=error, media=refs)


# --- audience ------------------------------------------------------------------------------------


async def fetch_demographics(client: GraphClient, account: AccountRef, day: date) -> FetchResult:
    """instagram_account_demographics rows: one call per (timeframe, breakdown) with all three
    demographic metrics, in one batch. Under 100 followers/engagements the API returns nothing."""
    session = AccountSession(client, account)
    names = [m.name for m in catalog.DEMOGRAPHIC_METRICS if m.available(client.version, day)]
    specs = [(tf, bd) for tf in catalog.DEMOGRAPHIC_TIMEFRAMES for bd in catalog.DEMOGRAPHIC_BREAKDOWNS]
    jobs = [InsightJob((tf, bd), ACCOUNT, names, lambda m, tf=tf, bd=bd: Call(
        f"{account.ig_user_id}/insights", {"metric": m, "period": "lifetime", "metric_type": "total_value",
                                           "timeframe": tf, "breakdown": bd})) for tf, bd in specs]
    outcomes, _ = await session.insights(jobs)
    rows = []
    for (timeframe, breakdown), outcome in outcomes.items():
        if isinstance(outcome, GraphError):
            if outcome.error_class in FATAL:
                return session.result(error=outcome)
            session.warn(f"demographics {timeframe}/{breakdown}: {outcome}")
            continue
        rows.extend(transforms.demographic_rows(account, outcome, day, timeframe, breakdown))
    return session.result({"instagram_account_demographics": rows})


async def fetch_online_followers(client: GraphClient, account: AccountRef) -> FetchResult:
    """instagram_online_followers rows for the last 29 days the API reports (it keeps 30). Two calls:
    without since/until the API answers for its own latest day, which anchors the 29-day window
    without trusting this machine's clock (the simulator's clock may differ)."""
    session = AccountSession(client, account)
    now = client.now()
    call = Call(f"{account.ig_user_id}/insights", {"metric": catalog.ONLINE_FOLLOWERS.name, "period": "lifetime"})
    try:
        latest_body = await session.get(call)
        days = [day for row in transforms.online_follower_rows(account, latest_body, now) if (day := row["day"])]
        body = latest_body
        if days:
            since, until = transforms.day_bounds(max(days) - timedelta(days=WINDOW_DAYS - 1), max(days))
            body = await session.get(Call(call.path, call.params | {"since": since, "until": until}))
    except GraphError as error:
        if error.error_class in FATAL:
            return session.result(error=error)
        session.warn(f"online_followers: {error}")
        body = latest_body = {"data": []}
    rows = (transforms.online_follower_rows(account, latest_body, now)
            + transforms.online_follower_rows(account, body, now))
    return session.result({"instagram_online_followers": transforms.dedupe(rows, "day", "hour")})
