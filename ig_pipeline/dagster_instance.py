"""A Dagster home for this project: the repository's dagster.yaml on the warehouse's server.

``dagster.yaml`` (repository root) reads its storage URL from ``IG_DAGSTER_PG_URL``; this module
creates ``$IG_DATA_DIR/dagster_home`` with that file and computes the environment that the
webserver, the daemon and run workers need, so they all share one Postgres.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ig_pipeline.config import Settings, load_settings
from ig_pipeline.warehouse.database import dagster_storage_url

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGSTER_YAML = REPO_ROOT / "dagster.yaml"
WORKSPACE_YAML = REPO_ROOT / "workspace.yaml"


def dagster_environment(settings: Settings | None = None) -> dict[str, str]:
    settings = settings or load_settings()
    home = settings.data_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    return {"DAGSTER_HOME": str(home), "IG_DAGSTER_PG_URL": dagster_storage_url(settings)}
