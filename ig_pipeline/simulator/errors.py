"""Graph API error envelopes and the permission checks that raise them (code 10, 100, 190 …).

``GraphError`` here is the server's side: raised inside a handler and rendered as Meta's error
envelope. The pipeline's ``ig_pipeline.graph.errors.GraphError`` is the client's side: what a
response is classified into. The names match because both stand for a Graph API error; no module
imports both (the simulator never imports ``ig_pipeline.graph``; docs/decisions/0010)."""

from __future__ import annotations


class GraphError(Exception):
    def __init__(self, code: int, message: str, subcode: int | None = None, *, status: int | None = None,
                 transient: bool = False, extra: dict | None = None, eta_minutes: int | None = None):
        super().__init__(message)
        self.code, self.message, self.subcode = code, message, subcode
        self.status = status or (500 if code in (1, 2) else 400)
        self.transient, self.extra, self.eta_minutes = transient, extra or {}, eta_minutes

    def envelope(self, trace: str) -> dict:
        err = {"message": self.message, "type": "OAuthException", "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        err.update(self.extra)
        err["is_transient"] = self.transient
        err["fbtrace_id"] = trace
        return {"error": err}


def unsupported_get(obj_id: str, method: str = "get") -> GraphError:
    return GraphError(100, f"Unsupported {method} request. Object with ID '{obj_id}' does not exist, cannot be "
                           "loaded due to missing permissions, or does not support this operation. Please read the "
                           "Graph API documentation at https://developers.facebook.com/docs/graph-api", 33)


def param_error(message: str) -> GraphError:
    return GraphError(100, f"(#100) {message}")


NO_PERMISSION = "(#10) Application does not have permission for this action"


def require_scope(token, facebook_scope: str, instagram_scope: str) -> None:
    """Refuse (code 10) when the token's user did not grant the permission the call needs; ``token`` is
    None for the simulator's own truth computations, which need no permission."""
    if token is None:
        return
    if not token.has(instagram_scope if token.kind == "ig" else facebook_scope):
        raise GraphError(10, NO_PERMISSION)


def require_basic(token) -> None:
    require_scope(token, "instagram_basic", "instagram_business_basic")


def require_insights(token) -> None:
    require_scope(token, "instagram_manage_insights", "instagram_business_manage_insights")
