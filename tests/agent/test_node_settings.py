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
    ("pol_interval = 5\n", {}, "Ungültige Einstellung pol_interval: diese Einstellung gibt es "
                               "nicht (die Einstellungen stehen in config/node.example.toml)"),
    ("", {"CYBERHUB_AGENT_COLLECTORS": "x"}, "Unbekannte Einstellung in der Umgebung"),
    ('default_tlp = "white"\n', {}, "Ungültige Einstellung default_tlp: möglich sind: 'clear', "
                                    "'green', 'amber', 'amber+strict', 'red'"),
    ('[[collectors]]\nkind = "syslog"\npath = "/x"\n', {},
     "Ungültige Einstellung collectors.0.kind"),
    ("poll_interval = \n", {}, "ist kein gültiges TOML"),
    ("poll_interval = 0\n", {}, "Ungültige Einstellung poll_interval: muss mindestens 1 sein"),
    ('poll_interval = "oft"\n', {}, "poll_interval: muss eine ganze Zahl sein"),
    ('listen = "127.0.0.1:8471; rm -rf"\n', {}, "Ungültige Einstellung listen"),
    # A rule about two settings names neither, and pydantic's "Value error, " stays away.
    ('listen = "0.0.0.0:8471"\n', {}, "Ungültige Einstellungen: Lauschen auf allen Adressen "
                                      "braucht callback_url"),
    ('callback_url = "ftp://x"\n', {}, "Ungültige Einstellungen: callback_url muss eine "
                                       "http(s)-Adresse sein"),
])
def test_mistakes_are_named(tmp_path, toml, environ, message):
    (tmp_path / "agent.toml").write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path), **environ})
    assert message in str(caught.value)
    assert "Value error" not in str(caught.value) and "invalid setting" not in str(caught.value)


def test_mistakes_in_english_when_asked(tmp_path):
    (tmp_path / "agent.toml").write_text("poll_interval = 0\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path)})
    assert caught.value.text("en") == "invalid setting poll_interval: must be at least 1"
    with pytest.raises(ConfigError) as missing:
        load_settings(environ={"CYBERHUB_AGENT_CONFIG": str(tmp_path / "nicht-da.toml")})
    assert missing.value.text("de") == (f"Die Einstellungsdatei {tmp_path / 'nicht-da.toml'} "
                                        "gibt es nicht")
    assert missing.value.text("en") == f"config file not found: {tmp_path / 'nicht-da.toml'}"


def test_the_push_url_defaults_to_the_listen_address(tmp_path):
    settings = load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path),
                                      "CYBERHUB_AGENT_LISTEN": "127.0.0.1:8471"})
    assert settings.push_url == "http://127.0.0.1:8471/push"
    behind = load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path),
                                    "CYBERHUB_AGENT_LISTEN": "0.0.0.0:8471",
                                    "CYBERHUB_AGENT_CALLBACK_URL": "https://rathaus.example/p"})
    assert behind.push_url == "https://rathaus.example/p"
