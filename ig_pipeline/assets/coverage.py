"""Metric coverage checks: a metric the API serves must not be silently NULL.

For each metric the catalog says a product type supports on the API version in use, the share
of the run's rows (its partition day or intraday window) that hold a value. ERROR when a metric
is NULL on every eligible row of a product type; WARN when its share is under ``WARN_BELOW``.
Failing product types, metrics, account ids and media ids go in the check's metadata.

NULLs the API legitimately leaves are not counted against a metric (docs/runbook.md):

- media older than two years at capture: the API keeps insights for two years;
- media posted before the account's conversion to a professional account: the API refuses them
  (error 2108006). Rows cannot say so, but the conversion is one instant per account, so an
  insight-less row posted before the account's oldest row *with* insights is read as that;
- follower metrics (new_followers, follows/unfollows) of accounts under 100 followers, and
  new_followers of days more than 30 days before the run (the API keeps 30 days);
- facebook_views / crossposted_views exist only for media shared to Facebook and are asked only
  with the client's ``fetch_facebook_views`` setting: measured only then, they never ERROR, and
  WARN only when not one of at least ``CONDITIONAL_MIN_ROWS`` rows has them.

Stories under 5 viewers need no rule: the API answers no insights at all and no row is written.
"""


from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import dagster as dg

from ig_pipeline.graph import catalog

WARN_BELOW = 0.9  # share of eligible rows with a value
CONDITIONAL = frozenset({"facebook_views", "crossposted_views"})
CONDITIONAL_MIN_ROWS = 20
FOLLOWER_COLUMNS = frozenset({"new_followers", "follows_and_unfollows", "follows", "unfollows"})
SMALL_ACCOUNT = 100
TWO_YEARS = timedelta(days=730)
ACCOUNT = "ACCOUNT"  # the "product type" of account rows
SAMPLE = 20  # ids listed per failing metric


@dataclass
class Coverage:
    product: str
    column: str
    eligible: int = 0
    with_value: int = 0
    missing_media: list[str] = field(default_factory=list)
    missing_accounts: set[str] = field(default_factory=set)
    conditional: bool = False  # asked only on request and served only for some media: never an ERROR

    @property
    def share(self) -> float:
        return self.with_value / self.eligible if self.eligible else 1.0


@dataclass
class CoverageResult:
    coverages: list[Coverage]
    errors: list[Coverage]
    warnings: list[Coverage]
    rows: int
    excluded: dict[str, int]

    @property
    def passed(self) -> bool:
        return not self.errors and not self.warnings

    @property
    def severity(self) -> dg.AssetCheckSeverity:
        return dg.AssetCheckSeverity.ERROR if self.errors else dg.AssetCheckSeverity.WARN

    def metadata(self) -> dict:
        def describe(items: list[Coverage]) -> list[dict]:
            return [{"product_type": c.product, "metric": c.column, "rows": c.eligible, "with_value": c.with_value,
                     "account_ids": sorted(c.missing_accounts)[:SAMPLE], "media_ids": c.missing_media[:SAMPLE]}
                    for c in items]
        return {"rows_checked": self.rows, "warn_below_share": WARN_BELOW,
                "null_on_every_row": dg.MetadataValue.json(describe(self.errors)),
                "below_threshold": dg.MetadataValue.json(describe(self.warnings)),
                "legitimate_nulls_excluded": dg.MetadataValue.json(self.excluded),
                "coverage": dg.MetadataValue.json({f"{c.product}.{c.column}": round(c.share, 4)
                                                   for c in self.coverages})}

    def check_result(self, asset_key: dg.AssetKey | str | None = None) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(asset_key=asset_key, check_name="metric_coverage", passed=self.passed,
                                   severity=self.severity, metadata=self.metadata())


def media_columns(product: str, version: str, on: date, opt_in: bool = False) -> list[tuple[str, bool]]:
    """(column, conditional) for every metric the catalog says ``product`` supports on ``version``
    (``opt_in``: also the metrics asked only on request, as the client's fetch_facebook_views does)."""
    out = []
    for metric in catalog.MEDIA_METRICS:
        if product in metric.products and metric.available(version, on):
            if metric.requested_by_default or (opt_in and metric.name in CONDITIONAL):
                for column in (metric.column, *metric.breakdown_columns.values()):
                    out.append((column, metric.name in CONDITIONAL))
    return out


def account_columns(version: str, on: date) -> list[tuple[str, bool]]:
    return [(column, False) for metric in catalog.account_metrics(version, on)
            for column in (metric.column, *metric.breakdown_columns.values())]


def _judge(coverages: Iterable[Coverage]) -> tuple[list, list]:
    errors, warnings = [], []
    for c in coverages:
        if not c.eligible:
            continue
        if c.conditional:
            if c.with_value == 0 and c.eligible >= CONDITIONAL_MIN_ROWS:
                warnings.append(c)
        elif c.with_value == 0:
            errors.append(c)
        elif c.share < WARN_BELOW:
            warnings.append(c)
    return errors, warnings


def media_coverage(rows: list[dict], version: str, now: datetime, opt_in: bool = False) -> CoverageResult:
    """Coverage of media insight rows (instagram_media_daily / _intraday) joined with ``posted_at``."""
    by_product: dict[str, list[dict]] = {}
    for row in rows:
        product = (row.get("media_product_type") or catalog.FEED).upper()
        by_product.setdefault(product if product in catalog.ALL_PRODUCTS else catalog.FEED, []).append(row)
    every_insight = catalog.MEDIA_INSIGHT_COLUMNS
    has_insights = [r for r in rows if any(r.get(c) is not None for c in every_insight)]
    converted_by: dict[str, datetime] = {}
    for r in has_insights:
        if r.get("posted_at") is not None:
            account = r["ig_user_id"]
            converted_by[account] = min(converted_by.get(account, r["posted_at"]), r["posted_at"])
    excluded = {"older_than_two_years": 0, "posted_before_conversion": 0}
    coverages = []
    for product, product_rows in sorted(by_product.items()):
        eligible = []
        for r in product_rows:
            posted = r.get("posted_at")
            empty = all(r.get(c) is None for c in every_insight)
            if posted is not None and now - posted > TWO_YEARS:
                excluded["older_than_two_years"] += 1
            elif empty and posted is not None and posted < converted_by.get(r["ig_user_id"], posted):
                excluded["posted_before_conversion"] += 1
            else:
                eligible.append(r)
        for column, is_conditional in media_columns(product, version, now.date(), opt_in):
            c = Coverage(product, column, conditional=is_conditional)
            for r in eligible:
                c.eligible += 1
                if r.get(column) is None:
                    c.missing_media.append(r["media_id"])
                    c.missing_accounts.add(r["ig_user_id"])
                else:
                    c.with_value += 1
            coverages.append(c)
    errors, warnings = _judge(coverages)
    return CoverageResult(coverages, errors, warnings, len(rows), excluded)


def account_coverage(rows: list[dict], version: str, today: date, followers: dict[str, int | None]) -> CoverageResult:
    """Coverage of instagram_account_daily rows; ``followers`` is each account's newest known count."""
    excluded = {"follower_metrics_under_100_followers": 0, "new_followers_older_than_30_days": 0}
    coverages = []
    for column, _ in account_columns(version, today):
        c = Coverage(ACCOUNT, column)
        for r in rows:
            small = (followers.get(r["ig_user_id"]) or 0) < SMALL_ACCOUNT
            if column in FOLLOWER_COLUMNS and small:
                excluded["follower_metrics_under_100_followers"] += 1
                continue
            if column == "new_followers" and r["day"] < today - timedelta(days=30):
                excluded["new_followers_older_than_30_days"] += 1
                continue
            c.eligible += 1
            if r.get(column) is None:
                c.missing_accounts.add(r["ig_user_id"])
            else:
                c.with_value += 1
        coverages.append(c)
    errors, warnings = _judge(coverages)
    return CoverageResult(coverages, errors, warnings, len(rows), excluded)


def snapshot_coverage(rows: list[dict]) -> CoverageResult:
    """instagram_account_intraday: every account's follower/following/media counts."""
    coverages = []
    for column in ("followers_count", "follows_count", "media_count"):
        c = Coverage(ACCOUNT, column)
        for r in rows:
            c.eligible += 1
            if r.get(column) is None:
                c.missing_accounts.add(r["ig_user_id"])
            else:
                c.with_value += 1
        coverages.append(c)
    errors, warnings = _judge(coverages)
    return CoverageResult(coverages, errors, warnings, len(rows), {})


def combined(results: Iterable[CoverageResult]) -> CoverageResult:
    """One result from results over disjoint sets of accounts (a check reads its rows account group by
    account group, so its memory does not grow with the number of accounts). Exact: every rule above
    is decided within one account's rows."""
    merged: dict[tuple[str, str], Coverage] = {}
    rows, excluded = 0, {}
    for result in results:
        rows += result.rows
        for name, count in result.excluded.items():
            excluded[name] = excluded.get(name, 0) + count
        for c in result.coverages:
            into = merged.setdefault((c.product, c.column), Coverage(c.product, c.column, conditional=c.conditional))
            into.eligible += c.eligible
            into.with_value += c.with_value
            into.missing_media.extend(c.missing_media[:max(0, SAMPLE - len(into.missing_media))])
            into.missing_accounts |= c.missing_accounts
    coverages = list(merged.values())
    errors, warnings = _judge(coverages)
    return CoverageResult(coverages, errors, warnings, rows, excluded)
