"""`cyberhub accounts`, `cyberhub collections` and `cyberhub audit`: the console's acts from
the command line through the same services, audited as `cli`, with --json and one-line
errors that change nothing."""

from __future__ import annotations

import json

import pytest
from conftest import basic

from cyberhub.cli import main
from cyberhub.hub.cli.audit_commands import audit_log
from cyberhub.hub.web.app import create_app

PASSWORD = "a long enough password"


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def team(runner):
    assert runner.invoke(main, ["init"]).exit_code == 0
    added = runner.invoke(main, ["accounts", "add", "robot", "--read", "indicators",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    return runner


def _audit(runner, *args):
    return _json(runner.invoke(audit_log, [*args, "--json"]))


def test_disable_enable_reset_and_delete(team):
    assert _json(team.invoke(main, ["accounts", "disable", "robot", "--json"])) == {
        "username": "robot"}
    listed = {a["username"]: a for a in _json(team.invoke(main, ["accounts", "list", "--json"]))}
    assert listed["robot"]["disabled"] and listed["robot"]["tokens"] == 0
    assert not listed["robot"]["town"] and "password" not in json.dumps(listed)
    assert team.invoke(main, ["accounts", "enable", "robot"]).exit_code == 0
    reset = _json(team.invoke(main, ["accounts", "reset-password", "robot", "--json"]))
    assert len(reset["password"]) >= 20
    assert team.invoke(main, ["accounts", "reset-second-factor", "robot"]).exit_code == 0
    refused = team.invoke(main, ["accounts", "delete", "robot"], input="n\n")
    assert refused.exit_code == 1
    assert team.invoke(main, ["accounts", "delete", "robot", "--yes"]).exit_code == 0
    names = [a["username"] for a in _json(team.invoke(main, ["accounts", "list", "--json"]))]
    assert names == ["admin"]
    history = _audit(team, "--subject", "robot")
    assert [(e["actor"], e["action"]) for e in history] == [
        ("cli", "account.created"), ("cli", "account.disabled"), ("cli", "account.enabled"),
        ("cli", "account.password-reset"), ("cli", "account.second-factor-reset"),
        ("cli", "account.deleted")]
    assert reset["password"] not in json.dumps(history)


def test_tokens_are_made_listed_and_revoked(team, settings):
    made = _json(team.invoke(main, ["accounts", "token", "add", "robot", "OpenCTI", "--json"]))
    assert made["token"].startswith("chub_") and made["name"] == "OpenCTI"
    client = create_app(settings).test_client()
    assert client.get("/taxii2/hub/collections/",
                      headers=basic("robot", made["token"])).status_code == 200
    listed = _json(team.invoke(main, ["accounts", "token", "list", "robot", "--json"]))
    # The GET above used the token: the request layer noted when.
    assert len(listed) == 1 and listed[0]["last_used"] >= made["created"]
    assert {k: listed[0][k] for k in ("id", "name", "created")} == {
        "id": made["id"], "name": "OpenCTI", "created": made["created"]}
    human = team.invoke(main, ["accounts", "token", "list", "robot"]).output
    assert "OpenCTI" in human and made["token"] not in human
    assert team.invoke(main, ["accounts", "token", "revoke", "robot",
                             str(made["id"])]).exit_code == 0
    assert client.get("/taxii2/hub/collections/",
                      headers=basic("robot", made["token"])).status_code == 401
    assert [e["action"] for e in _audit(team, "--action", "account.token")] == [
        "account.token-created", "account.token-revoked"]


@pytest.mark.parametrize("args, fragment", [
    (["accounts", "disable", "ghost"], "no account 'ghost'"),
    (["accounts", "disable", "admin"], "last enabled admin"),
    (["accounts", "delete", "admin", "--yes"], "last enabled admin"),
    (["accounts", "role", "admin", "analyst"], "last enabled admin"),
    (["accounts", "add", "cli"], "reserved"),
    (["accounts", "token", "add", "robot", ""], "token's name"),
    (["accounts", "token", "add", "ghost", "x"], "no account 'ghost'"),
    (["accounts", "token", "revoke", "robot", "7"], "has no token 7"),
    (["accounts", "reset-password", "a\x00b"], "no account"),
    (["collections", "delete", "reports", "--yes"], "hub's own collections"),
    (["collections", "change", "nothing", "--title", "x"], "no collection"),
    (["collections", "change", "indicators", "--title", " "], "title must be"),
])
def test_bad_input_is_one_line_and_changes_nothing(team, args, fragment):
    before = _audit(team)
    result = team.invoke(main, args)
    assert result.exit_code == 1, result.output
    assert fragment in result.output and len(result.output.strip().splitlines()) == 1
    assert _audit(team) == before


def test_a_towns_account_belongs_to_its_node(team):
    assert team.invoke(main, ["nodes", "add", "aue", "--name", "Aue", "--land",
                             "SN"]).exit_code == 0
    result = team.invoke(main, ["accounts", "role", "node-aue", "analyst"])
    assert result.exit_code == 1 and "town's account" in result.output


def test_collections_are_changed_and_deleted_with_an_audit_trail(team):
    assert team.invoke(main, ["collections", "add", "extra", "--title", "Extra"]).exit_code == 0
    changed = _json(team.invoke(main, ["collections", "change", "extra", "--title", "Mehr",
                                      "--json"]))
    assert changed["title"] == "Mehr"
    assert _json(team.invoke(main, ["collections", "delete", "extra", "--yes",
                                   "--json"]))["alias"] == "extra"
    aliases = [c["alias"] for c in _json(team.invoke(main, ["collections", "list", "--json"]))]
    assert "extra" not in aliases
    trail = _audit(team, "--action", "collection.")
    assert [(e["actor"], e["action"], e["subject"]) for e in trail] == [
        ("cli", "collection.created", "extra"), ("cli", "collection.changed", "extra"),
        ("cli", "collection.deleted", "extra")]
    assert trail[1]["detail"] == {"title": "Mehr"}


def test_audit_filters_and_their_errors(team):
    team.invoke(main, ["accounts", "disable", "robot"])
    assert [e["action"] for e in _audit(team, "--actor", "cli", "--action", "account.dis")] \
        == ["account.disabled"]
    assert _audit(team, "--since", "01.01.2999") == []
    assert len(_audit(team, "--limit", "1")) == 1
    for args, fragment in ((["--since", "05.12.26"], "--since must be a date"),
                           (["--action", "Account"], "--action must be lowercase"),
                           (["--since", "2026-12-06", "--until", "2026-12-05"],
                            "--until must not be before")):
        result = team.invoke(audit_log, args)
        assert result.exit_code == 1 and fragment in result.output
    assert "account.disabled" in team.invoke(audit_log, []).output
