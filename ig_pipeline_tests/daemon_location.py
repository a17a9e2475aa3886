"""The code location that ig_pipeline_tests/daemon.py serves to the real dagster-daemon.

The project's definitions with every resource configured from the environment, as in production
(ig_pipeline/resources.py), except the clock: it is fixed at IG_FIXED_NOW, the simulator's time,
so that "yesterday" and "now" mean the same instant in the run workers and in the simulator.
"""

import os

from ig_pipeline.clock import PipelineClock
from ig_pipeline.definitions import make_definitions

defs = make_definitions({"clock": PipelineClock(fixed_now=os.environ["IG_FIXED_NOW"])})
