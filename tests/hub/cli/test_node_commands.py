"""`cyberhub nodes`: every change audited with the actor "cli", a refused one not at all,
and no token or password in the log."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cyberhub.cli import main
from cyberhub.core import signing
from cyberhub.hub import audit


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _log(db) -> list[dict]:
    with db.session() as session:
        return [e for e in audit.entries(session) if e["subject"].startswith("node:")]


def test_every_change_is_audited_as_the_command_line(runner, db, initialised, tmp_path):
    added = _json(runner.invoke(main, ["nodes", "add", "zell", "--name", "Gemeinde Zell",
                                       "--land", "BW", "--share-name", "--json"]))
    key_file = tmp_path / "key.jwk"
    key_file.write_text(json.dumps(signing.public_jwk(Ed25519PrivateKey.generate())))
    kid = _json(runner.invoke(main, ["nodes", "add-key", "zell", "--jwk", str(key_file),
                                     "--json"]))["kid"]
    renewed = _json(runner.invoke(main, ["nodes", "new-token", "zell", "--json"]))
    _json(runner.invoke(main, ["nodes", "set", "zell", "--callback",
                               "https://zell.example/hook/s3cret", "--json"]))
    _json(runner.invoke(main, ["nodes", "revoke-key", "zell", kid, "--json"]))
    _json(runner.invoke(main, ["nodes", "disable", "zell", "--json"]))
    log = _log(db)
    assert [(e["actor"], e["action"]) for e in log] == [
        ("cli", "node.added"), ("cli", "node.token-issued"), ("cli", "node.key-added"),
        ("cli", "node.token-issued"), ("cli", "node.options-changed"),
        ("cli", "node.key-revoked"), ("cli", "node.disabled")]
    assert log[0]["detail"]["share_name"] is True
    assert log[4]["detail"] == {"callback": "https://zell.example"}
    written = json.dumps(log)
    for secret in (added["enrollment_token"], added["password"], renewed["enrollment_token"],
                   "s3cret"):
        assert secret not in written


def test_a_refused_command_changes_nothing_and_logs_nothing(runner, db, initialised):
    refused = runner.invoke(main, ["nodes", "add", "zell\n", "--name", "Zell", "--land", "BW"])
    assert refused.exit_code == 1 and "slug" in refused.output
    assert "Traceback" not in refused.output
    assert runner.invoke(main, ["nodes", "disable", "ghost"]).exit_code == 1
    assert _log(db) == []
