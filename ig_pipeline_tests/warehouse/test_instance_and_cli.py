import os
import shutil
import subprocess
import sys
import uuid

import dagster as dg
import pytest
from sqlalchemy.engine import make_url

from ig_pipeline.dagster_instance import DAGSTER_YAML
from ig_pipeline_tests.conftest import create_database, drop_database


@pytest.fixture
def dagster_pg_url(pg_admin_uri):
    name = f"dagster_{uuid.uuid4().hex[:10]}"
    url = create_database(pg_admin_uri, name)
    yield make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)
    drop_database(pg_admin_uri, name)


def test_dagster_yaml_instance_materializes_on_postgres(tmp_path, monkeypatch, dagster_pg_url):
    shutil.copyfile(DAGSTER_YAML, tmp_path / "dagster.yaml")
    monkeypatch.setenv("IG_DAGSTER_PG_URL", dagster_pg_url)

    @dg.asset
    def trivial() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"dagster/row_count": 1})

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = dg.materialize([trivial], instance=instance)
        assert result.success
        event = instance.get_latest_materialization_event(dg.AssetKey("trivial"))
        assert event.asset_materialization.metadata["dagster/row_count"].value == 1


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("IG_")} | env
    return subprocess.run([sys.executable, "-m", "ig_pipeline.cli", *args], capture_output=True, text=True,
                          env=environment, timeout=60)


@pytest.mark.parametrize("url, expected", [
    ("postgresql://user:hunter2@127.0.0.1:9/nowhere", "cannot reach the warehouse at postgresql://user@127.0.0.1:9"),
    ("not a url at all", "IG_DATABASE_URL is not a valid database URL"),
    ("mysql://user:hunter2@db/x", "IG_DATABASE_URL must be a postgresql:// URL"),
])
def test_bad_database_url_gives_one_clear_error(url, expected, tmp_path):
    result = _cli("migrate", IG_DATABASE_URL=url, IG_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and expected in result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr + result.stdout


@pytest.mark.parametrize("module", ["ig_pipeline.cli", "ig_pipeline"])
def test_a_command_error_is_one_line_under_python_dash_m(module, tmp_path):
    """Run as ``__main__``, cli.py once had a UserError of its own that the commands' did not match."""
    result = subprocess.run([sys.executable, "-m", module, "connect-link", "--owner", " "], capture_output=True,
                            text=True, timeout=60, env=os.environ | {"IG_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr == "error: --owner must be a non-empty id and --ttl a positive number of seconds\n"


def test_migrate_command_twice_changes_nothing(database_url, tmp_path):
    first = _cli("migrate", IG_DATABASE_URL=database_url, IG_DATA_DIR=str(tmp_path))
    second = _cli("migrate", IG_DATABASE_URL=database_url, IG_DATA_DIR=str(tmp_path))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "already at revision" in second.stdout and "partitions created 0, dropped 0" in second.stdout


def test_dagster_and_dg_wrappers_validate_the_code_location_on_the_project_instance(server_dir):
    try:
        result = _cli("dagster", "definitions", "validate", "-w", "workspace.yaml", IG_DATA_DIR=str(server_dir))
        assert result.returncode == 0, result.stderr[-2000:]
        assert "All code locations passed validation" in result.stdout + result.stderr
        result = _cli("dg", "check", "defs", IG_DATA_DIR=str(server_dir))
        assert result.returncode == 0, result.stderr[-2000:]
        assert "All definitions loaded successfully" in result.stdout + result.stderr
        assert "does not match the virtual environment" not in result.stdout + result.stderr
    finally:
        _cli("db-stop", IG_DATA_DIR=str(server_dir))
