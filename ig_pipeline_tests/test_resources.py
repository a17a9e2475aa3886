"""Resources are configured from the environment once, with secrets handed to Dagster as env var names."""

from __future__ import annotations

import dagster as dg
import pytest
from cryptography.fernet import Fernet
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster_shared.serdes import serialize_value

from ig_pipeline.config import DEMO_APP_SECRET, DEMO_TOKEN_KEY, ConfigError
from ig_pipeline.definitions import make_definitions
from ig_pipeline.resources import default_resources

SECRETS = {
    "IG_APP_SECRET": "app-secret-value-1f2e",
    "IG_TOKEN_KEYS": Fernet.generate_key().decode(),
    "IG_ALERT_WEBHOOK_URL": "https://hooks.example.com/services/T0/B0/s3cr3tpath",
    "IG_DATABASE_URL": "postgresql://ig:db-password-9c8b@db.internal:5432/warehouse",
}


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("IG_GRAPH_URL", "https://graph.facebook.com")
    monkeypatch.delenv("IG_DEMO", raising=False)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def test_secrets_reach_dagster_as_variable_names_never_values(production_env):
    """What the UI, the run config and the code-location snapshot show: the variable's name."""
    repo = make_definitions().get_repository_def()
    snapshot = serialize_value(RepositorySnap.from_def(repo))
    for value in SECRETS.values():
        assert value not in snapshot
    configured = {r.name: r.configured_values for r in RepositorySnap.from_def(repo).resources}
    assert configured["graph"]["app_secret"].name == "IG_APP_SECRET"
    assert configured["tokens"]["token_keys"].name == "IG_TOKEN_KEYS"
    assert configured["alerts"]["webhook_url"].name == "IG_ALERT_WEBHOOK_URL"
    assert configured["warehouse"]["database_url"].name == "IG_DATABASE_URL"


def test_the_process_that_uses_a_resource_reads_the_value(production_env):
    resources = default_resources()
    with dg.build_resources({k: resources[k] for k in ("graph", "tokens", "alerts")}) as built:
        assert built.graph.client().proof("t")  # the secret is there: proofs on
        assert built.graph.app_secret == SECRETS["IG_APP_SECRET"]
        cipher = built.tokens.cipher()
        assert cipher.decrypt(cipher.encrypt("token")) == "token"
        assert built.alerts.webhook_url == SECRETS["IG_ALERT_WEBHOOK_URL"]
        for text in (repr(built.graph), repr(built.tokens), repr(built.alerts)):
            assert not any(value in text for value in SECRETS.values())


def test_options_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("IG_DAILY_BATCHES", "4")
    monkeypatch.setenv("IG_RESTATEMENT_DAYS", "5")
    monkeypatch.setenv("IG_COMMENT_TEXT", "off")
    monkeypatch.setenv("IG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IG_GRAPH_VERSION", "v25.0")
    resources = default_resources()
    options = resources["options"]
    assert (options.daily_batches, options.restatement_days, options.comment_text) == (4, 5, False)
    assert options.data_dir == str(tmp_path)
    assert resources["graph"].version == "v25.0"


def test_demo_values_only_on_a_loopback_simulator(monkeypatch):
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IG_GRAPH_URL", "http://127.0.0.1:8765")
    local = default_resources()
    assert local["graph"].app_secret == DEMO_APP_SECRET and local["tokens"].token_keys == DEMO_TOKEN_KEY
    monkeypatch.setenv("IG_GRAPH_URL", "https://graph.facebook.com")
    remote = default_resources()
    assert remote["graph"].app_secret is None  # no demo secret ever goes to Meta
    with pytest.raises(ConfigError, match="IG_TOKEN_KEYS is not set"):
        remote["tokens"].cipher()


def test_bad_option_values_are_refused_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("IG_DAILY_BATCHES", "0")
    with pytest.raises(ConfigError, match="IG_DAILY_BATCHES"):
        default_resources()
