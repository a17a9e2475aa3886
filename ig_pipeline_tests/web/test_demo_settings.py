"""Demo secrets are public: they switch on only for a Graph URL whose host is exactly loopback, and
IG_DEMO with any other Graph URL is refused (issue 13, finding 7)."""

import pytest

from ig_pipeline.config import DEMO_APP_SECRET, ConfigError, load_settings


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765",
                                 "http://127.0.0.2:8765"])
def test_demo_secrets_for_an_exact_loopback_host(url):
    assert load_settings({"IG_GRAPH_URL": url}).app_secret == DEMO_APP_SECRET
    assert load_settings({"IG_GRAPH_URL": url, "IG_DEMO": "1"}).demo


@pytest.mark.parametrize("url", ["http://localhost.evil.example", "https://graph.example/?next=127.0.0.1",
                                 "http://127.0.0.1.nip.io", "http://localhost@evil.example",
                                 "https://graph.facebook.com"])
def test_no_demo_secrets_when_the_host_merely_mentions_loopback(url):
    settings = load_settings({"IG_GRAPH_URL": url})
    assert settings.app_secret is None and not settings.demo


@pytest.mark.parametrize("env", [{"IG_DEMO": "1"}, {"IG_DEMO": "1", "IG_GRAPH_URL": "https://graph.facebook.com"},
                                 {"IG_DEMO": "true", "IG_GRAPH_URL": "http://localhost.evil.example"}])
def test_demo_mode_is_refused_with_a_graph_url_that_is_not_loopback(env):
    with pytest.raises(ConfigError, match="IG_DEMO is set but IG_GRAPH_URL .* not a loopback simulator"):
        load_settings(env)
