"""The `cyberhub` command: stable --json keys, idempotent init, one-line errors."""

import json

import pytest

from cyberhub.cli import main


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_init_twice_is_safe_and_reports_what_it_made(runner, settings):
    first = _json(runner.invoke(main, ["init", "--json"]))
    assert "hub signing key" in first["created"] and "collection reports" in first["created"]
    assert first["admin"]["username"] == "admin" and len(first["admin"]["password"]) >= 16
    key = settings.home / "hub_signing_key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    key_bytes = key.read_bytes()
    second = _json(runner.invoke(main, ["init", "--json"]))
    assert second["created"] == [] and "admin" not in second
    assert second["hub_identity"] == first["hub_identity"]
    assert key.read_bytes() == key_bytes


def test_info_json_keys(runner):
    runner.invoke(main, ["init"])
    info = _json(runner.invoke(main, ["info", "--json"]))
    assert set(info) >= {"hub_identity", "discovery_url", "api_root", "collections"}
    assert info["hub_identity"].startswith("identity--")
    assert [c["alias"] for c in info["collections"]] == [
        "reports", "campaigns", "advisories", "indicators"]
    assert all(set(c) >= {"alias", "id", "title"} for c in info["collections"])


def test_collections_add_and_list(runner):
    runner.invoke(main, ["init"])
    added = _json(runner.invoke(main, ["collections", "add", "sachsen", "--title", "Sachsen",
                                       "--description", "Meldungen aus Sachsen", "--json"]))
    assert set(added) >= {"id", "alias"} and added["alias"] == "sachsen"
    listed = _json(runner.invoke(main, ["collections", "list", "--json"]))
    assert added["id"] in [c["id"] for c in listed]


def test_accounts_add_generates_a_password_that_works(runner, settings):
    from cyberhub import create_app
    from conftest import basic

    runner.invoke(main, ["init"])
    added = _json(runner.invoke(main, ["accounts", "add", "musterstadt", "--write", "reports",
                                       "--read", "advisories", "--json"]))
    assert added["username"] == "musterstadt" and len(added["password"]) >= 16
    client = create_app(settings).test_client()
    body = client.get("/taxii2/hub/collections/",
                      headers=basic("musterstadt", added["password"])).get_json()
    assert {c["alias"] for c in body["collections"]} == {"reports", "advisories"}


def test_accounts_add_reads_password_from_stdin(runner):
    runner.invoke(main, ["init"])
    added = _json(runner.invoke(main, ["accounts", "add", "x", "--password-stdin", "--json"],
                                input="a long enough password\n"))
    assert added["password"] is None
    listed = _json(runner.invoke(main, ["accounts", "list", "--json"]))
    assert "a long enough password" not in json.dumps(listed)


@pytest.mark.parametrize("args, fragment", [
    (["collections", "add", "Bad Alias", "--title", "x"], "alias"),
    (["collections", "add", "reports", "--title", "x"], "already exists"),
    (["accounts", "add", "y", "--read", "nope"], "no collection with alias nope"),
    (["accounts", "add", "admin"], "already exists"),
    (["accounts", "add", "bad name"], "username"),
])
def test_errors_are_one_line_and_exit_nonzero(runner, args, fragment):
    runner.invoke(main, ["init"])
    result = runner.invoke(main, args)
    assert result.exit_code != 0
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert fragment in result.output and "Traceback" not in result.output


def test_short_password_on_stdin_is_refused(runner):
    runner.invoke(main, ["init"])
    result = runner.invoke(main, ["accounts", "add", "z", "--password-stdin"], input="short\n")
    assert result.exit_code == 1 and "at least 12" in result.output


def test_commands_before_init_say_what_to_do(runner):
    result = runner.invoke(main, ["info"])
    assert result.exit_code == 1 and "cyberhub init" in result.output


def test_bad_configuration_is_one_line(runner, tmp_path):
    result = runner.invoke(main, ["info"], env={"CYBERHUB_PORT": "not-a-port"})
    assert result.exit_code == 1 and result.output.startswith("error: invalid setting port")


def test_unreachable_database_is_one_line(runner, tmp_path):
    result = runner.invoke(main, ["init"], env={
        "CYBERHUB_DATABASE_URL": "postgresql://nobody:x@127.0.0.1:1/none"})
    assert result.exit_code == 1
    assert result.output.startswith("error: database error") and result.output.count("\n") == 1
