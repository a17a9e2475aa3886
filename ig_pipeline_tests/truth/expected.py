"""Expected warehouse rows, built from the simulator's truth at the instants the scenario's runs ran.

For each table: ``required`` rows (keyed by primary key) the warehouse must hold, and ``optional``
rows it may hold (e.g. older media refreshed on their weekly turn) — both with every column's
expected value. A value may be a ``Check`` when it cannot be known exactly (a wall-clock instant
of the OAuth handler, a token encrypted with a random IV). Values the API does not serve at the
instant are expected NULL; why, is in ``REFUSED`` and the simulator's ``/_sim/truth/refusals``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from ig_pipeline.days import day_end, day_start, pacific_day
from ig_pipeline.graph import catalog
from ig_pipeline.warehouse.schema import STORY_WEBHOOK_COUNTS
from ig_pipeline_tests.assets.truth import expected_columns
from ig_pipeline_tests.truth.client import Truth, epoch
from ig_pipeline_tests.truth.scenario import Scenario

YOUNG = timedelta(days=30)  # media_daily lists media posted in the last 30 days (with their insights)
RECENT_POSTS = 10  # the intraday snapshot's newest posts
STORY_LIFE = timedelta(hours=24)

# NULLs that are right because the API cannot serve the value at that instant (each tested in
# test_refusals.py against the simulator over HTTP).
REFUSED = {
    "no_historical_counts": "followers/follows/media counts are a snapshot of now: a past day that no run "
                            "captured as 'yesterday' has none",
    "follower_count_30_days": "follower_count (new_followers) is served for the last 30 days only",
    "retired_metric": "the metric is refused on the API version in use (impressions, plays, video_views, …)",
}


@dataclass(frozen=True)
class Check:
    """An expected value known only by a property (shown as ``text``)."""
    test: Callable[[object], bool]
    text: str

    def __eq__(self, other):
        return self.test(other)

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return self.text


def within(bounds: tuple[datetime, datetime]) -> Check:
    lo, hi = bounds
    return Check(lambda v: isinstance(v, datetime) and lo - timedelta(seconds=1) <= v <= hi + timedelta(seconds=1),
                 f"wall clock in [{lo:%H:%M:%S}, {hi:%H:%M:%S}]")


@dataclass
class Expected:
    key: tuple[str, ...]
    required: dict[tuple, dict] = field(default_factory=dict)
    optional: dict[tuple, dict] = field(default_factory=dict)
    count: int | None = None  # rows the table must hold, when their keys cannot be known (nonces)


def _at(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _media_columns(answer: dict) -> dict:
    """instagram_media_daily/intraday metric columns from a media truth answer."""
    insights = answer.get("insights") or {}
    out = {}
    for metric in catalog.MEDIA_METRICS:
        entry = insights.get(metric.name) or {}
        served = "value" in entry
        if metric.column not in out or served:
            out[metric.column] = entry.get("value") if served else None
        for key, column in metric.breakdown_columns.items():
            out[column] = (entry.get("breakdown") or {}).get(key) if served else None
    return out


def _insight_row(scenario: Scenario, answer: dict) -> dict:
    node = answer["node"]
    return {"media_id": answer["media_id"], "owner_id": scenario.owners[answer["ig_user_id"]],
            "ig_user_id": answer["ig_user_id"], "media_product_type": node.get("media_product_type"),
            "like_count": node.get("like_count"), "comments_count": node.get("comments_count"),
            **_media_columns(answer)}


def _served_any(answer: dict) -> bool:
    return any("value" in v for v in (answer.get("insights") or {}).values())


def account_daily(scenario: Scenario, truth: Truth) -> Expected:
    out = Expected(("ig_user_id", "day"))
    runs = scenario.of("instagram_account_daily_job")
    for ig in scenario.env.accounts:
        last_fetch: dict[date, datetime] = {}
        snapshot: dict[date, datetime] = {}
        fetched: dict[date, list] = {}
        for run in runs:
            first, last = date.fromisoformat(run.first_day), date.fromisoformat(run.last_day)
            yesterday = pacific_day(run.at) - timedelta(days=1)
            for n in range((last - first).days + 1):
                day = first + timedelta(days=n)
                last_fetch[day] = run.at
                fetched.setdefault(day, []).append(run)
                if day == yesterday:
                    snapshot.setdefault(day, run.at)
        for day, at in last_fetch.items():
            metrics = truth.account_days(ig, day, day, epoch(at))[day]
            # a re-pull that served the same values need not rewrite the row: fetched_at is then the
            # instant of any run that fetched exactly these values (never the machine's clock)
            same = {_at(r.at) for r in fetched[day] if truth.account_days(ig, day, day, epoch(r.at))[day] == metrics}
            row = {"ig_user_id": ig, "day": day, "owner_id": scenario.owners[ig],
                   "fetched_at": Check(lambda v, ok=frozenset(same): v in ok,
                                       f"a run instant that fetched these values: {sorted(same)}"),
                   **expected_columns(metrics)}
            if day < pacific_day(at) - timedelta(days=30):
                row["new_followers"] = None  # REFUSED["follower_count_30_days"]
            node = truth.node(ig, epoch(snapshot[day])) if day in snapshot else {}
            for name in ("followers_count", "follows_count", "media_count"):
                row[name] = node.get(name)  # None: REFUSED["no_historical_counts"]
            row["counts_captured_at"] = _at(snapshot[day]) if day in snapshot else None
            out.required[(ig, day)] = row
    return out


def _listings(scenario: Scenario, truth: Truth) -> dict[str, list[tuple[datetime, tuple[str, ...]]]]:
    """Per account: (instant, media ids the API listed to a run at that instant)."""
    out: dict[str, list] = {ig: [] for ig in scenario.env.accounts}
    for run in scenario.runs:
        t = epoch(run.at)
        for ig in scenario.env.accounts:
            if run.job == "instagram_media_job":
                first, last = date.fromisoformat(run.first_day), date.fromisoformat(run.last_day)
                since, until = epoch(day_start(first)), min(epoch(day_end(last)), t)
                out[ig].append((run.at, truth.listed(ig, since, until, t)))
            elif run.job == "instagram_media_daily_job":
                day = date.fromisoformat(run.partition)
                out[ig].append((run.at, truth.listed(ig, epoch(day_start(day)), min(epoch(day_end(day)), t), t)))
                out[ig].append((run.at, truth.listed(ig, epoch(run.at - YOUNG), t + 1, t)))
            elif run.job == "instagram_intraday_job":
                newest = truth.listed(ig, 0, t + 1, t)[:RECENT_POSTS]
                out[ig].append((run.at, newest + truth.stories(ig, t)))
    return out


def media(scenario: Scenario, truth: Truth) -> Expected:
    out = Expected(("media_id",))
    last_seen: dict[str, datetime] = {}
    for listings in _listings(scenario, truth).values():
        for at, ids in listings:
            for media_id in ids:
                last_seen[media_id] = max(at, last_seen.get(media_id, at))
    truth.prefetch_media({(m, epoch(at)) for m, at in last_seen.items()})
    for media_id, at in last_seen.items():
        answer = truth.media(media_id, epoch(at))
        node = answer["node"]
        posted = datetime.fromisoformat(node["timestamp"].replace("+0000", "+00:00"))
        story = node["media_product_type"] == catalog.STORY
        children = node.get("children")
        out.required[(media_id,)] = {
            "media_id": media_id, "owner_id": scenario.owners[answer["ig_user_id"]],
            "ig_user_id": answer["ig_user_id"], "media_type": node.get("media_type"),
            "media_product_type": node.get("media_product_type"), "caption": node.get("caption"),
            "permalink": node.get("permalink"), "shortcode": node.get("shortcode"),
            "media_url": node.get("media_url"), "thumbnail_url": node.get("thumbnail_url"), "posted_at": posted,
            "posted_day": pacific_day(posted),
            "children": None if children is None else [
                {k: c.get(k) for k in ("id", "media_type", "media_url", "thumbnail_url")} for c in children["data"]],
            "is_comment_enabled": node.get("is_comment_enabled"), "like_count": node.get("like_count"),
            "comments_count": node.get("comments_count"),
            "story_expires_at": posted + STORY_LIFE if story else None, "last_seen_at": _at(at), "deleted_at": None}
    return out


def media_daily(scenario: Scenario, truth: Truth, stored_keys: set[tuple]) -> Expected:
    """Young media (listed with insights) are required every day; older media are refreshed on a
    weekly turn, so their rows are optional, but every value of a row that exists is checked."""
    out = Expected(("media_id", "day"))
    wanted = {}
    for run in scenario.of("instagram_media_daily_job"):
        day, t = date.fromisoformat(run.partition), epoch(run.at)
        for ig in scenario.env.accounts:
            for media_id in truth.listed(ig, epoch(run.at - YOUNG), t + 1, t):
                wanted[(media_id, day)] = (run.at, True)
        for media_id, stored_day in stored_keys:
            if stored_day == day and (media_id, day) not in wanted:
                wanted[(media_id, day)] = (run.at, False)
    truth.prefetch_media({(m, epoch(at)) for (m, _), (at, _) in wanted.items()})
    for (media_id, day), (at, required) in wanted.items():
        answer = truth.media(media_id, epoch(at))
        row = _insight_row(scenario, answer) | {"day": day, "captured_at": _at(at)}
        (out.required if required else out.optional)[(media_id, day)] = row
    return out


def _intraday_runs(scenario: Scenario):
    for run in scenario.of("instagram_intraday_job"):
        window = datetime.strptime(run.partition, "%Y-%m-%d-%H:%M").replace(tzinfo=UTC)
        yield run, window


def media_intraday(scenario: Scenario, truth: Truth) -> Expected:
    out = Expected(("media_id", "captured_at"))
    wanted = []
    for run, window in _intraday_runs(scenario):
        t = epoch(run.at)
        for ig in scenario.env.accounts:
            for media_id in truth.listed(ig, 0, t + 1, t)[:RECENT_POSTS] + truth.stories(ig, t):
                wanted.append((media_id, run.at, window))
    truth.prefetch_media({(m, epoch(at)) for m, at, _ in wanted})
    for media_id, at, window in wanted:
        answer = truth.media(media_id, epoch(at))
        row = _insight_row(scenario, answer) | {"captured_at": window}
        # a media the API serves no insight for (a story under 5 viewers) has no row to hold
        (out.required if _served_any(answer) else out.optional)[(media_id, window)] = row
    return out


def account_intraday(scenario: Scenario, truth: Truth) -> Expected:
    out = Expected(("ig_user_id", "captured_at"))
    for run, window in _intraday_runs(scenario):
        for ig in scenario.env.accounts:
            node = truth.node(ig, epoch(run.at))
            out.required[(ig, window)] = {"ig_user_id": ig, "captured_at": window, "owner_id": scenario.owners[ig],
                                          **{k: node.get(k) for k in ("followers_count", "follows_count",
                                                                      "media_count")}}
    return out


SYNC_KINDS = {"account_daily": ("instagram_account_daily_job",),
              "media": ("instagram_media_job", "instagram_media_daily_job"),
              "media_daily": ("instagram_media_daily_job",), "intraday": ("instagram_intraday_job",),
              "audience": ("instagram_audience_job",)}


def sync_state(scenario: Scenario, truth: Truth) -> Expected:
    out = Expected(("ig_user_id", "sync_kind"))
    for kind, jobs in SYNC_KINDS.items():
        last = scenario.of(*jobs)[-1]
        for ig in scenario.env.accounts:
            out.required[(ig, kind)] = {
                "ig_user_id": ig, "sync_kind": kind, "owner_id": scenario.owners[ig],
                "last_attempt_at": _at(last.at), "last_success_at": _at(last.at), "last_error_class": None,
                "last_error_code": None, "last_error_message": None, "consecutive_failures": 0,
                "failing_since": None, "next_retry_at": None, "last_run_id": last.run_id, "cursor": None}
    return out


def demographics(scenario: Scenario, truth: Truth) -> Expected:
    out = Expected(("ig_user_id", "day", "metric", "timeframe", "breakdown", "dimension_value"))
    for run in scenario.of("instagram_audience_job"):
        day = pacific_day(run.at)
        for ig in scenario.env.accounts:
            for r in truth.demographics(ig, epoch(run.at)):
                key = (ig, day, r["metric"], r["timeframe"], r["breakdown"], r["dimension_value"])
                out.required[key] = {"ig_user_id": ig, "day": day, "owner_id": scenario.owners[ig], **r}
    return out


def online_followers(scenario: Scenario, truth: Truth) -> Expected:
    """The API serves 30 days; the pipeline asks for 29 (a since/until span of 30 days can be
    refused), so the oldest served day is optional."""
    out = Expected(("ig_user_id", "day", "hour"))
    for run in scenario.of("instagram_audience_job"):
        for ig in scenario.env.accounts:
            served = truth.online_followers(ig, epoch(run.at))
            oldest = min(served) if served else None
            for day, hours in served.items():
                for hour, value in hours.items():
                    key = (ig, date.fromisoformat(day), int(hour))
                    row = {"ig_user_id": ig, "day": key[1], "hour": key[2], "owner_id": scenario.owners[ig],
                           "value": value}
                    (out.optional if day == oldest else out.required)[key] = row
    return out


def story_insights(scenario: Scenario, truth: Truth) -> Expected:
    out = Expected(("media_id",))
    wall = (scenario.webhook_wall[0][0], scenario.webhook_wall[-1][1])
    for delivery in truth.webhooks():
        if delivery["ig_user_id"] not in scenario.owners or delivery.get("field", "story_insights") != "story_insights":
            continue  # an account nobody connected (the handler ignores it), or a mentions change
        value = delivery["value"]
        out.required[(delivery["media_id"],)] = {
            "media_id": delivery["media_id"], "owner_id": scenario.owners[delivery["ig_user_id"]],
            "ig_user_id": delivery["ig_user_id"], "received_at": within(wall), "payload": value,
            **{c: value.get(c) for c in STORY_WEBHOOK_COUNTS}}
    return out


def connection(scenario: Scenario, truth: Truth, decrypt: Callable[[bytes], str], app_token: str) -> Expected:
    """Connections made through the dialog: the account node at connect time, the token's facts as
    debug_token reports them (the stored token is encrypted with a random IV: checked by decrypting)."""
    out = Expected(("ig_user_id",))
    at = epoch(scenario.connect_at)
    debug: dict[str, dict] = {}

    def token_of(ig: str) -> Check:
        def valid(value) -> bool:
            try:
                token = decrypt(bytes(value))
            except Exception:  # noqa: BLE001 - not a token we can read
                return False
            debug[ig] = truth.debug_token(token, app_token)
            return bool(debug[ig].get("is_valid"))
        return Check(valid, "decrypts to a token debug_token calls valid")

    def from_debug(ig: str, name: str) -> Check:
        def same(value) -> bool:
            data = debug.get(ig, {})
            want = data.get(name)
            if name.endswith("_at"):
                want = datetime.fromtimestamp(want, UTC) if want else None
            if name == "scopes":
                return sorted(value or []) == sorted(want or [])
            return value == want
        return Check(same, f"debug_token {name}")

    for ig, owner in scenario.owners.items():
        node = truth.node(ig, at)
        out.required[(ig,)] = {
            "ig_user_id": ig, "owner_id": owner, "login_type": "facebook", "fb_user_id": node["fb_user_id"],
            "page_id": node["page_id"], "page_name": node["page_name"], "username": node["username"],
            "name": node["name"], "account_type": node["account_type"],
            "profile_picture_url": node.get("profile_picture_url"), "token_encrypted": token_of(ig),
            "token_expires_at": from_debug(ig, "expires_at"),
            "data_access_expires_at": from_debug(ig, "data_access_expires_at"),
            "token_refreshed_at": within(scenario.connected),
            "scopes": from_debug(ig, "scopes"), "status": "active", "status_reason": None,
            "connected_at": within(scenario.connected)}
    return out


def used_states(scenario: Scenario, stored: list[dict]) -> Expected:
    """One used OAuth state per completed connect; its nonce is random, so only its shape and expiry
    (after the connect began) can be expected."""
    began = scenario.connected[0]
    row = {"nonce": Check(lambda v: isinstance(v, str) and len(v) >= 16, "a random nonce"),
           "expires_at": Check(lambda v: isinstance(v, datetime) and v > began, "expires after the connect")}
    return Expected(("nonce",), optional={(r["nonce"],): row for r in stored}, count=scenario.connects)


def last_counts(scenario: Scenario, truth: Truth, ig: str) -> dict:
    """The account's newest follower/following/media counts the pipeline captured, and their instant
    (an intraday window start, or the instant of the daily run that captured yesterday's counts)."""
    captures = [(window, run.at) for run, window in _intraday_runs(scenario)]
    for run in scenario.of("instagram_account_daily_job"):
        if run.last_day == (pacific_day(run.at) - timedelta(days=1)).isoformat():
            captures.append((_at(run.at), run.at))
    as_of, at = max(captures)
    node = truth.node(ig, epoch(at))
    return {"followers_count": node["followers_count"], "follows_count": node["follows_count"],
            "media_count": node["media_count"], "counts_as_of": as_of}
