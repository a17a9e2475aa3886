"""``python -m ig_pipeline``: the ``ig-pipeline`` command (what the demo uses to start its children)."""

import sys

from ig_pipeline.cli import main

sys.exit(main())
