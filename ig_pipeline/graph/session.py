"""One account's view of the client: its token, its governor key, its meter and warnings, and
the insights retry logic that drops metrics the API rejects.

A metric the API refuses (code 100 naming it, graph-api.md §4.5/§5.3) is dropped for its scope
(``"account"``, or a media's ``PRODUCT:MEDIA_TYPE``) for the rest of the client's life with one
warning, and the call is repeated without it; when the error names no metric the call is split
into one call per metric (§12), so a single retired metric never fails a sync. Range errors
("only the last 30 days") drop the metric for that call only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ig_pipeline.graph.client import Call, GraphClient, Meter
from ig_pipeline.graph.errors import ErrorClass, GraphError
from ig_pipeline.graph.models import AccountRef, FetchResult

MAX_ROUNDS = 4


@dataclass
class InsightJob:
    """Insights to fetch for one subject (a media, an account day group) in one scope."""

    key: object
    scope: str
    metrics: list[str]
    build: Callable[[list[str]], Call]
    split: bool = False  # one call per metric


class AccountSession:
    def __init__(self, client: GraphClient, account: AccountRef):
        self.client, self.account = client, account
        self.meter = Meter()
        self.warnings: list[str] = []

    @property
    def key(self) -> str:
        return self.account.ig_user_id

    async def get(self, call: Call):
        return await self.client.get(call, self.account.token, key=self.key, meter=self.meter,
                                     login_type=self.account.login_type)

    async def batch(self, calls: list[Call]) -> list:
        return await self.client.batch(calls, self.account.token, key=self.key, meter=self.meter,
                                       login_type=self.account.login_type)

    async def paged(self, call: Call) -> list[dict]:
        return await self.client.paged(call, self.account.token, key=self.key, meter=self.meter,
                                       login_type=self.account.login_type)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def result(self, rows: dict[str, list[dict]] | None = None, error: GraphError | None = None,
               media=None) -> FetchResult:
        return FetchResult(account=self.account, rows={} if error else dict(rows or {}), error=error,
                           warnings=list(self.warnings), calls=self.meter.calls,
                           round_trips=self.meter.round_trips, media=list(media or []))

    def allowed(self, scope: str, metrics: list[str]) -> list[str]:
        rejected = self.client.rejected_metrics.get(scope, set())
        return [m for m in metrics if m not in rejected]

    async def insights(self, jobs: list[InsightJob], extra: list[Call] = ()) -> tuple[dict, list]:
        """Run insight jobs in batches: ({key: merged body ``{"data": [...]}`` or GraphError}, the
        outcomes of ``extra`` plain calls, which ride along in the first batch)."""
        results: dict[object, dict | GraphError] = {}
        parts: dict[object, list[dict]] = {}
        pending = [InsightJob(j.key, j.scope, self.allowed(j.scope, j.metrics), j.build) for j in jobs]
        extra_outcomes: list = []
        for _ in range(MAX_ROUNDS):
            for job in pending:
                parts.setdefault(job.key, [])  # every key answers, even with all its metrics dropped
            pending = [job for job in pending if job.metrics]
            if not pending and not extra:
                break
            outcomes = await self.batch(list(extra) + [job.build(job.metrics) for job in pending])
            extra_outcomes, outcomes, extra = outcomes[:len(extra)], outcomes[len(extra):], []
            retry: list[InsightJob] = []
            for job, outcome in zip(pending, outcomes, strict=True):
                if not isinstance(outcome, GraphError):
                    parts[job.key].extend(outcome.get("data") or [] if isinstance(outcome, dict) else [])
                    continue
                if outcome.error_class != ErrorClass.BAD_REQUEST:
                    results.setdefault(job.key, outcome)
                    continue
                retry.extend(self._after_rejection(job, outcome))
            pending = retry
        for key, data in parts.items():
            if key not in results or (data and results[key].error_class == ErrorClass.NO_DATA):
                results[key] = {"data": data}
        return results, extra_outcomes

    def _after_rejection(self, job: InsightJob, error: GraphError) -> list[InsightJob]:
        named = rejected_metrics(error.message, job.metrics)
        if named:
            if not _range_error(error.message):
                self.client.rejected_metrics.setdefault(job.scope, set()).update(named)
            for metric in sorted(named):
                self.warn(f"dropped metric {metric} for {job.scope}: {error.message}")
            left = [m for m in job.metrics if m not in named]
            return [InsightJob(job.key, job.scope, left, job.build, job.split)] if left else []
        if len(job.metrics) > 1:
            return [InsightJob(job.key, job.scope, [m], job.build, True) for m in job.metrics]
        self.client.rejected_metrics.setdefault(job.scope, set()).update(job.metrics)
        self.warn(f"dropped metric {job.metrics[0]} for {job.scope}: {error.message}")
        return []


def rejected_metrics(message: str, requested: list[str]) -> set[str]:
    """Which requested metrics an error message rejects: those it names, or for "must be one of the
    following values: ..." those missing from the allowed list."""
    lowered = message.lower()
    allowed = re.search(r"must be one of the following values:\s*(.*)", lowered)
    if allowed:
        valid = set(re.findall(r"[a-z_]+", allowed.group(1)))
        missing = {m for m in requested if m not in valid}
        if missing:
            return missing
    return {m for m in requested if re.search(rf"(?<![a-z_]){re.escape(m)}(?![a-z_])", lowered)}


def _range_error(message: str) -> bool:
    return "days" in message.lower()
