"""``$IG_DATA_DIR/demo.env``: the demo's settings for another terminal.

``source`` it and the runbook's commands (``ig-pipeline connect-link``, ``ig-pipeline dagster asset
materialize …``) act on the demo: its data directory, its simulator, its OAuth handler. Settings the
demo does not use are unset, so a production secret or Graph URL left in that shell cannot mix
with the demo's (demo tokens never go to graph.facebook.com). The file holds no secret: the demo's
credentials are the documented demo defaults that ``IG_DEMO=1`` selects; ``IG_DATABASE_URL`` and
``IG_ALERT_WEBHOOK_URL``, the two settings a demo user may bring, stay in the user's environment.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

EXPORTED = ("IG_DEMO", "IG_DATA_DIR", "IG_GRAPH_URL", "IG_OAUTH_PUBLIC_URL", "IG_REDIRECT_URI",
            "IG_DAGSTER_UI_URL", "IG_BACKFILL_DAYS", "IG_DAILY_PARTITIONS_START", "IG_INTRADAY_PARTITIONS_START")
UNSET = ("IG_APP_ID", "IG_APP_SECRET", "IG_INSTAGRAM_APP_ID", "IG_INSTAGRAM_APP_SECRET", "IG_TOKEN_KEYS",
         "IG_WEBHOOK_VERIFY_TOKEN", "IG_GRAPH_VERSION", "IG_INTRADAY_RETENTION_MONTHS", "IG_RESTATEMENT_DAYS",
         "IG_DAILY_BATCHES", "DAGSTER_HOME", "IG_DAGSTER_PG_URL")


def write_env_file(env: dict[str, str], data_dir: Path) -> Path:
    """Write demo.env (replaced atomically, readable by its owner only); returns its path."""
    lines = ["# Written by `ig-pipeline demo`: `source` this file to run ig-pipeline commands on the demo.",
             f"unset {' '.join(UNSET)}"]
    lines += [f"export {name}={shlex.quote(env[name])}" for name in EXPORTED if name in env]
    path = data_dir / "demo.env"
    temporary = path.with_suffix(".env.tmp")
    data_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    temporary.replace(path)
    return path


def source_line(path: Path) -> str:
    return f"source {shlex.quote(str(path))}"
