"""Settings: defaults < TOML file < environment, and unknown keys are errors."""

import pytest
from conftest import REPO

from cyberhub.hub.settings import ConfigError, load_settings


def test_defaults(tmp_path):
    settings = load_settings(environ={"CYBERHUB_HOME": str(tmp_path)})
    assert settings.port == 8000 and settings.api_root == "hub"
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'cyberhub.db'}"
    assert settings.discovery_url == "http://127.0.0.1:8000/taxii2/"


def test_file_then_environment_take_precedence(tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text('port = 9000\ntitle = "Landes-CERT"\nhost = "0.0.0.0"\n')
    settings = load_settings(environ={"CYBERHUB_CONFIG": str(path), "CYBERHUB_PORT": "9100"})
    assert settings.port == 9100
    assert settings.title == "Landes-CERT"
    assert settings.host == "0.0.0.0"


def test_database_url_overrides_the_home_database(tmp_path):
    settings = load_settings(environ={"CYBERHUB_HOME": str(tmp_path),
                                      "CYBERHUB_DATABASE_URL": "postgresql://h/db"})
    assert settings.effective_database_url == "postgresql://h/db"


def test_unknown_key_in_file_is_an_error(tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text("prot = 9000\n")
    with pytest.raises(ConfigError, match="unknown setting .*prot"):
        load_settings(environ={"CYBERHUB_CONFIG": str(path)})


def test_unknown_environment_setting_is_an_error():
    with pytest.raises(ConfigError, match="CYBERHUB_PROT"):
        load_settings(environ={"CYBERHUB_PROT": "1"})


def test_agent_and_test_variables_are_not_hub_settings():
    load_settings(environ={"CYBERHUB_AGENT_HOME": "/x", "CYBERHUB_TEST_DATABASE_URL": "y"})


@pytest.mark.parametrize("env, fragment", [
    ({"CYBERHUB_PORT": "eighty"}, "port"),
    ({"CYBERHUB_PORT": "70000"}, "port"),
    ({"CYBERHUB_STATUS_RETENTION_HOURS": "2"}, "status_retention_hours"),
    ({"CYBERHUB_API_ROOT": "a/b"}, "api_root"),
])
def test_wrong_types_and_ranges_name_the_setting(env, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_settings(environ=env)


def test_broken_toml_is_reported(tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text("port = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={"CYBERHUB_CONFIG": str(path)})


def test_missing_config_file_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(environ={"CYBERHUB_CONFIG": str(tmp_path / "nope.toml")})


def test_secret_is_created_once_with_mode_0600(tmp_path):
    settings = load_settings(environ={"CYBERHUB_HOME": str(tmp_path / "home")})
    first = settings.secret()
    assert settings.secret() == first
    assert (tmp_path / "home" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_the_documented_example_config_loads():

    example = REPO / "config" / "hub.example.toml"
    settings = load_settings(environ={"CYBERHUB_CONFIG": str(example)})
    assert settings.api_root == "hub" and settings.workers == 1


def test_forwarding_rules_take_only_levels_that_may_leave_the_hub(tmp_path):
    home = str(tmp_path / "home")
    settings = load_settings(environ={"CYBERHUB_HOME": home,
                                      "CYBERHUB_FORWARD_ORIGINAL": "clear, green",
                                      "CYBERHUB_FORWARD_PSEUDONYMISED": ""})
    assert settings.forward_original == ("clear", "green")
    assert settings.forward_pseudonymised == ()
    for variable, value, said in (
            ("CYBERHUB_FORWARD_ORIGINAL", "red", "forward_original"),
            ("CYBERHUB_FORWARD_PSEUDONYMISED", "amber+strict", "forward_pseudonymised"),
            ("CYBERHUB_FORWARD_ORIGINAL", "amber", "forward_original"),
            ("CYBERHUB_FORWARD_PSEUDONYMISED", "green", "a report goes up in one form")):
        with pytest.raises(ConfigError, match=said):
            load_settings(environ={"CYBERHUB_HOME": home, variable: value})
