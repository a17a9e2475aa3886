"""The OAuth server and the connections package run without Dagster (docs/decisions/0010-package-layout.md)."""

import subprocess
import sys


def test_the_oauth_handler_and_the_connections_package_do_not_import_dagster():
    code = ("import sys, ig_pipeline.web.app, ig_pipeline.connections.store, ig_pipeline.connections.lifecycle, "
            "ig_pipeline.connections.ownership; print(sorted(m for m in sys.modules if m.split('.')[0] == 'dagster'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
