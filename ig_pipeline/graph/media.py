"""Media calls and their rows: which fields and metrics to ask for, and per-media outcomes -> rows.

Metric sets come from the catalog by product type (AD and unknown types read as FEED), split into
the requests the API accepts (``catalog.media_request_groups``: one per breakdown), so a FEED post
costs two insight requests (plain metrics; ``profile_activity`` by ``action_type``), a story three
and a reel one. A metric the API rejected is remembered per ``PRODUCT:MEDIA_TYPE`` scope (older
FEED videos may refuse ``views`` while FEED images serve it).

Insights are not nested in the ``/media`` listing: a listing mixes FEED and REELS and one nested
expression carries one breakdown, so only the metrics common to both without a breakdown could be
nested, and every media would still need its own request for the rest — more counted calls, not
fewer (docs/benchmarks.md).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ig_pipeline.graph import catalog, transforms
from ig_pipeline.graph.calls import Call
from ig_pipeline.graph.errors import ErrorClass, GraphError
from ig_pipeline.graph.models import MediaRef
from ig_pipeline.graph.session import AccountSession, InsightJob

CHILD_FIELDS = "id,media_type,media_url,thumbnail_url"
MEDIA_FIELDS = ("id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,timestamp,"
                f"like_count,comments_count,is_comment_enabled,children{{{CHILD_FIELDS}}}")
PAGE_SIZE = 100
COUNT_FIELDS = "id,like_count,comments_count"
# Older posts due for their weekly refresh per counts listing: about a seventh of the catalogue is
# due on a day, so a window around 12 of them holds ~84 posts, inside one page of PAGE_SIZE.
COUNTS_PER_LISTING = 12
_BREAKDOWNS = {m.name: m.breakdown for m in catalog.MEDIA_METRICS if m.breakdown}


def product_of(ref: MediaRef) -> str:
    product = (ref.media_product_type or "").upper()
    return product if product in catalog.ALL_PRODUCTS else catalog.FEED


def scope_of(ref: MediaRef) -> str:
    return f"{product_of(ref)}:{(ref.media_type or '').upper()}"


def media_list_call(ig_user_id: str, since: datetime | None, until: datetime | None, *, fields: str) -> Call:
    params = {"fields": fields, "limit": PAGE_SIZE, "since": int(since.timestamp()) if since else None,
              "until": int(until.timestamp()) if until else None}
    return Call(f"{ig_user_id}/media", params)


def count_listing_calls(ig_user_id: str, posts: list[MediaRef]) -> list[Call]:
    """``/media`` listings over time windows around ``posts`` that carry their like/comment counts:
    one counted call per ~COUNTS_PER_LISTING posts instead of one media node read per post (a
    listing is one call whatever it returns; a window holding more than a page is paged on)."""
    ordered = sorted(posts, key=lambda ref: ref.posted_at)
    calls = []
    for start in range(0, len(ordered), COUNTS_PER_LISTING):
        window = ordered[start:start + COUNTS_PER_LISTING]
        calls.append(media_list_call(ig_user_id, window[0].posted_at - timedelta(seconds=1),
                                     window[-1].posted_at + timedelta(seconds=1), fields=COUNT_FIELDS))
    return calls


def insights_call(media_id: str, metrics: list[str]) -> Call:
    """One media insights request; ``metrics`` must be one request group (at most one breakdown)."""
    breakdowns = sorted({_BREAKDOWNS[m] for m in metrics if m in _BREAKDOWNS})
    return Call(f"{media_id}/insights", {"metric": metrics, "breakdown": ",".join(breakdowns) or None})


def media_jobs(session: AccountSession, refs: list[MediaRef], on: date) -> list[InsightJob]:
    """Insights jobs per media, one per request group of its product type's metrics; the jobs of
    one media share its id as key, so their data is merged."""
    jobs = []
    for ref in refs:
        for names in catalog.media_request_groups(product_of(ref), session.client.version, on,
                                                  opt_in=session.client.fetch_facebook_views):
            jobs.append(InsightJob(ref.media_id, scope_of(ref), names,
                                   lambda metrics, media_id=ref.media_id: insights_call(media_id, metrics),
                                   media_id=ref.media_id))
    return jobs


def insight_rows(session: AccountSession, refs: list[MediaRef], outcomes: dict, counts: dict[str, dict],
                 extra: dict) -> tuple[list[dict], GraphError | None]:
    """Rows for media with insights (``extra`` adds day/captured_at) and the account-level error, if
    any: a token or rate-limit error, or every media failing transiently. NO_DATA media keep a row
    with their like/comment counts when those are known."""
    rows, failures = [], []
    for ref in refs:
        outcome = outcomes.get(ref.media_id)
        known = counts.get(ref.media_id)
        known = known if known and (known.get("like_count") is not None or known.get("comments_count") is not None) \
            else None
        if isinstance(outcome, dict):
            values = transforms.insight_columns(outcome, transforms.MEDIA_BY_NAME)
            rows.append(transforms.media_insight_row(session.account, ref, values, known) | extra)
            continue
        if not isinstance(outcome, GraphError):
            continue
        if outcome.error_class in (ErrorClass.TOKEN_INVALID, ErrorClass.RATE_LIMITED):
            return [], outcome
        session.warn(f"media {ref.media_id} ({scope_of(ref)}): no insights: {outcome}")
        if outcome.error_class == ErrorClass.NO_DATA:
            if known:
                rows.append(transforms.media_insight_row(session.account, ref, {}, known) | extra)
        else:
            failures.append(outcome)
    if refs and failures and len(failures) == len(refs) and failures[0].error_class == ErrorClass.TRANSIENT:
        return [], failures[0]
    return rows, None
