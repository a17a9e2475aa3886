"""Injected faults (``/_sim/faults``): the kinds, the Graph errors they raise, and which request a
fault hits."""

from __future__ import annotations

from ig_pipeline.simulator.errors import GraphError

FAULT_KINDS = {"transient_1", "transient_2", "hang", "reset", "malformed_json", "truncated_page", "rate_limit_4",
               "rate_limit_17", "rate_limit_32", "rate_limit_613", "rate_limit_80002", "token_expired",
               "token_password_changed", "token_revoked", "permission_10", "permission_200", "unsupported_metric",
               "batch_null"}
HANG_S = 120.0


FAULT_ERRORS = {
    "transient_1": lambda: GraphError(1, "An unknown error has occurred.", transient=True),
    "transient_2": lambda: GraphError(2, "An unexpected error has occurred. Please retry your request later.",
                                      transient=True),
    "rate_limit_4": lambda: GraphError(4, "(#4) Application request limit reached", status=403, transient=True),
    "rate_limit_17": lambda: GraphError(17, "(#17) User request limit reached", transient=True),
    "rate_limit_32": lambda: GraphError(32, "(#32) Page request limit reached", transient=True),
    "rate_limit_613": lambda: GraphError(613, "(#613) Calls to this api have exceeded the rate limit.",
                                         transient=True),
    "token_expired": lambda: GraphError(190, "Error validating access token: Session has expired on Monday, "
                                             "01-Jan-24 00:00:00 PST. The current time is later.", 463),
    "token_password_changed": lambda: GraphError(
        190, "Error validating access token: The session has been invalidated because the user changed their "
             "password or Facebook has changed the session for security reasons.", 460),
    "token_revoked": lambda: GraphError(190, "Error validating access token: The user has not authorized "
                                             "application or the session was invalidated.", 467),
    "permission_10": lambda: GraphError(10, "(#10) Application does not have permission for this action"),
    "permission_200": lambda: GraphError(200, "(#200) Requires instagram_manage_insights permission to manage "
                                              "the object"),
}


def buc_error(eta: int) -> GraphError:
    return GraphError(80002, "(#80002) There have been too many calls to this Instagram account. Wait a bit and "
                             "try again. For more info, please refer to "
                             "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
                      transient=True, eta_minutes=eta)


def match_fault(sim, account: str | None, path: str, in_batch: bool, has_metric: bool) -> dict | None:
    for f in list(sim.faults.values()):
        if f["account"] and f["account"] != account:
            continue
        if f["path"] and f["path"] not in path:
            continue
        if f["kind"] == "batch_null" and not in_batch:
            continue
        if f["kind"] == "unsupported_metric" and not has_metric:
            continue
        if f["count"] is not None and f["count"] <= 0:
            continue
        if f["rate"] < 1 and sim.rng.random() >= f["rate"]:
            continue
        if f["count"] is not None:
            f["count"] -= 1
        f["hits"] += 1
        return f
    return None
