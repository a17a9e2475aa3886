"""The per-request context every Graph handler reads: version, virtual now, parameters, token."""

from __future__ import annotations

from dataclasses import dataclass

from ig_pipeline.simulator.tokens import Token


@dataclass
class Ctx:
    version: int
    now: float
    base: str
    params: dict
    token_raw: str | None
    account: object = None
    nested: int = 0
    fault_metric: str | None = None
    token: Token | None = None
