"""The pipeline's notion of "now", as a resource so tests and the simulator can move it.

Against the real API it is the machine's clock. Against the simulator with an advanced virtual
clock, tests set ``fixed_now`` to the simulator's time so that "yesterday" and "the current
30-minute window" mean the same thing on both sides.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg


class PipelineClock(dg.ConfigurableResource):
    fixed_now: str | None = None  # ISO-8601 instant; unset = the machine's clock

    def now(self) -> datetime:
        if self.fixed_now:
            moment = datetime.fromisoformat(self.fixed_now)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return datetime.now(UTC)
