"""Agent settings: defaults < agent.toml < CYBERHUB_AGENT_* environment; unknown keys fail."""

from __future__ import annotations

import pytest

from cyberhub.agent.node_settings import ConfigError, load_settings

REPO_CONFIG = __import__("pathlib").Path(__file__).resolve().parents[2] / "config"


def test_the_documented_example_loads(tmp_path):
    settings = load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path),
                                      "CYBERHUB_AGENT_CONFIG": str(REPO_CONFIG /
                                                                   "node.example.toml")})
    assert settings.home == tmp_path  # the environment names the data directory
    assert [c.kind for c in settings.collectors] == ["sshd", "web"]
    assert settings.thresholds.ssh_failures == 10
    assert settings.blocklists == tmp_path / "blocklists"


def test_agent_toml_in_home_then_environment(tmp_path):
    (tmp_path / "agent.toml").write_text('poll_interval = 60\ndefault_tlp = "green"\n')
    settings = load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path),
                                      "CYBERHUB_AGENT_POLL_INTERVAL": "30"})
    assert settings.poll_interval == 30 and settings.default_tlp == "green"


@pytest.mark.parametrize("toml, environ, message", [
    ("pol_interval = 5\n", {}, "invalid setting pol_interval: Extra inputs are not permitted"),
    ("", {"CYBERHUB_AGENT_COLLECTORS": "x"}, "Unbekannte Einstellung in der Umgebung"),
    ('default_tlp = "white"\n', {}, "invalid setting default_tlp"),
    ('[[collectors]]\nkind = "syslog"\npath = "/x"\n', {}, "invalid setting collectors.0.kind"),
    ("poll_interval = \n", {}, "is not valid TOML"),
    ('listen = "127.0.0.1:8471; rm -rf"\n', {}, "invalid setting listen"),
    ('listen = "0.0.0.0:8471"\n', {}, "Lauschen auf allen Adressen braucht callback_url"),
    ('callback_url = "ftp://x"\n', {}, "callback_url muss eine http(s)-Adresse sein"),
])
def test_mistakes_are_named(tmp_path, toml, environ, message):
    (tmp_path / "agent.toml").write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path), **environ})
    assert message in str(caught.value)


def test_the_push_url_defaults_to_the_listen_address(tmp_path):
    settings = load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path),
                                      "CYBERHUB_AGENT_LISTEN": "127.0.0.1:8471"})
    assert settings.push_url == "http://127.0.0.1:8471/push"
    behind = load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path),
                                    "CYBERHUB_AGENT_LISTEN": "0.0.0.0:8471",
                                    "CYBERHUB_AGENT_CALLBACK_URL": "https://rathaus.example/p"})
    assert behind.push_url == "https://rathaus.example/p"
