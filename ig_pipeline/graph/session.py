"""One account's view of the client: its token, its governor key, its meter and warnings, and
the insights retry logic for metrics the API refuses.

How a refusal (code 100) is read, by what the message complains about:

- a metric that does not exist on this version or for this product type ("must be one of the
  following values", "does not support the X metric for this media product type", "no longer
  supported"): the named metrics are dropped for the scope (``"account"`` or a media's
  ``PRODUCT:MEDIA_TYPE``) for the rest of the client's life and the call is repeated without them;
- the *shape* of the request (a breakdown, period, metric_type or timeframe the metrics do not
  take together): nothing is dropped — the message lists every metric of the request, which
  says nothing about the metrics themselves. The group is refused for this call only;
- a range ("only the last 30 days") or one media's state ("only available for media shared to
  Facebook"): the named metrics are left out of this call only;
- no metric named: the call is split into one call per metric, so one bad metric never fails
  the others.

Every refusal is recorded in ``refusals`` (account, media, metrics, the API's message) and as a
warning, so it reaches the run's metadata and the checks: a refused metric is never silent.
Docs: docs/graph-client.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from ig_pipeline.graph.calls import Call, Meter
from ig_pipeline.graph.client import GraphClient
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
    media_id: str | None = None  # the media the insights are about (None: the account)


class AccountSession:
    def __init__(self, client: GraphClient, account: AccountRef):
        self.client, self.account = client, account
        self.meter = Meter()
        self.warnings: list[str] = []
        self.refusals: list[dict] = []  # {"account", "media", "metrics", "message"} per refused request

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
               media=None, profile: dict | None = None) -> FetchResult:
        return FetchResult(account=self.account, rows={} if error else dict(rows or {}), error=error,
                           warnings=list(self.warnings), calls=self.meter.calls,
                           round_trips=self.meter.round_trips, media=list(media or []),
                           refusals=list(self.refusals), profile=dict(profile or {}))

    def refused(self, job: InsightJob, metrics: list[str], error: GraphError, dropped: bool) -> None:
        """Record one refused request: a warning and a structured entry for the run's metadata."""
        subject = f"media {job.media_id} ({job.scope})" if job.media_id else f"account {job.key}"
        what = "dropped for the rest of the run" if dropped else "not fetched this time"
        self.warn(f"account {self.key}: {subject}: metrics {','.join(metrics)} refused, {what}: {error.message}")
        self.refusals.append({"account": self.key, "media": job.media_id, "scope": job.scope,
                              "metrics": list(metrics), "message": error.message})

    def allowed(self, scope: str, metrics: list[str]) -> list[str]:
        rejected = self.client.rejected_metrics.get(scope, set())
        return [m for m in metrics if m not in rejected]

    async def insights(self, jobs: list[InsightJob], extra: list[Call] = ()) -> tuple[dict, list]:
        """Run insight jobs in batches: ({key: merged body ``{"data": [...]}`` or GraphError}, the
        outcomes of ``extra`` plain calls, which ride along in the first batch). Several jobs may
        share a key (one per request group of a media): their data is merged; a key answers with an
        error only when none of its jobs returned data, or when the error stops the account."""
        parts: dict[object, list[dict]] = {}
        errors: dict[object, list[GraphError]] = {}
        pending = [replace(j, metrics=self.allowed(j.scope, j.metrics)) for j in jobs]
        extra_outcomes: list = []
        for _ in range(MAX_ROUNDS):
            for job in pending:
                parts.setdefault(job.key, [])  # every key answers, even with all its metrics dropped
            pending = [job for job in pending if job.metrics]
            if not pending and not extra:
                break
            outcomes = await self.batch(list(extra) + [job.build(job.metrics) for job in pending])
            if extra:  # the plain calls ride in the first round only
                extra_outcomes, outcomes, extra = outcomes[:len(extra)], outcomes[len(extra):], []
            retry: list[InsightJob] = []
            for job, outcome in zip(pending, outcomes, strict=True):
                if not isinstance(outcome, GraphError):
                    parts[job.key].extend(outcome.get("data") or [] if isinstance(outcome, dict) else [])
                elif outcome.error_class == ErrorClass.BAD_REQUEST:
                    retry.extend(self._after_rejection(job, outcome))
                else:
                    errors.setdefault(job.key, []).append(outcome)
            pending = retry
        return {key: self._merged(key, data, errors.get(key, [])) for key, data in parts.items()}, extra_outcomes

    def _merged(self, key, data: list[dict], errors: list[GraphError]):
        stopping = [e for e in errors if e.error_class in (ErrorClass.TOKEN_INVALID, ErrorClass.RATE_LIMITED)]
        if stopping or (errors and not data):
            return (stopping or errors)[0]
        for error in errors:  # data from the other groups is kept; the failed group is said, not hidden
            self.warn(f"account {self.key}: {key}: part of the insights failed: {error}")
        return {"data": data}

    def _after_rejection(self, job: InsightJob, error: GraphError) -> list[InsightJob]:
        kind = rejection_kind(error.message)
        if kind == SHAPE:
            self.refused(job, job.metrics, error, dropped=False)
            return []
        named = rejected_metrics(error.message, job.metrics)
        if named:
            scope_wide = kind == METRIC
            if scope_wide:
                self.client.rejected_metrics.setdefault(job.scope, set()).update(named)
            self.refused(job, sorted(named), error, dropped=scope_wide)
            left = [m for m in job.metrics if m not in named]
            return [replace(job, metrics=left)] if left else []
        if len(job.metrics) > 1:
            return [replace(job, metrics=[m]) for m in job.metrics]
        self.client.rejected_metrics.setdefault(job.scope, set()).update(job.metrics)
        self.refused(job, job.metrics, error, dropped=True)
        return []


SHAPE, RANGE, THIS_MEDIA, METRIC = "shape", "range", "this_media", "metric"
_SHAPE_WORDS = ("breakdown", "metric type", "metric_type", "specified with parameter", "timeframe",
                "incompatible", "period")


def rejection_kind(message: str) -> str:
    """What a code-100 refusal complains about: the request's SHAPE (breakdown/period/metric_type/
    timeframe combination), a RANGE (days asked), THIS_MEDIA (one media's state) or the METRIC."""
    lowered = message.lower()
    if any(word in lowered for word in _SHAPE_WORDS):
        return SHAPE
    if "days" in lowered:
        return RANGE
    if "only available for media" in lowered:
        return THIS_MEDIA
    return METRIC


def rejected_metrics(message: str, requested: list[str]) -> set[str]:
    """Which requested metrics an error message rejects: those it names (not the replacement it
    suggests: "... Please use views instead"), or for "must be one of the following values: ..."
    those missing from the allowed list."""
    lowered = re.split(r"\b(?:please )?use [a-z_]+ instead", message.lower())[0]
    allowed = re.search(r"must be one of the following values:\s*(.*)", lowered)
    if allowed:
        valid = set(re.findall(r"[a-z_]+", allowed.group(1)))
        missing = {m for m in requested if m not in valid}
        if missing:
            return missing
    return {m for m in requested if re.search(rf"(?<![a-z_]){re.escape(m)}(?![a-z_])", lowered)}

