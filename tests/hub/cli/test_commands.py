"""The `cyberhub` command: stable --json keys, idempotent init, one-line errors."""

import json

import pytest
from conftest import DATA

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
        "reports", "campaigns", "advisories", "indicators", "vulnerabilities", "answers"]
    assert all(set(c) >= {"alias", "id", "title"} for c in info["collections"])


def test_collections_add_and_list(runner):
    runner.invoke(main, ["init"])
    added = _json(runner.invoke(main, ["collections", "add", "sachsen", "--title", "Sachsen",
                                       "--description", "Meldungen aus Sachsen", "--json"]))
    assert set(added) >= {"id", "alias"} and added["alias"] == "sachsen"
    listed = _json(runner.invoke(main, ["collections", "list", "--json"]))
    assert added["id"] in [c["id"] for c in listed]


def test_accounts_add_generates_a_password_that_works(runner, settings):
    from conftest import basic

    from cyberhub.hub.web.app import create_app

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


def test_nodes_add_json_keys_and_list(runner):
    runner.invoke(main, ["init"])
    added = _json(runner.invoke(main, ["nodes", "add", "musterstadt", "--name",
                                       "Stadt Musterstadt", "--land", "SN", "--json"]))
    assert set(added) >= {"slug", "identity", "username", "password", "enrollment_token"}
    assert added["identity"].startswith("identity--")
    listed = _json(runner.invoke(main, ["nodes", "list", "--json"]))
    assert listed[0]["slug"] == "musterstadt" and listed[0]["enrolled"] is False


def test_nodes_add_key_revoke_and_disable(runner, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cyberhub.core import signing

    runner.invoke(main, ["init"])
    runner.invoke(main, ["nodes", "add", "musterstadt", "--name", "M", "--land", "by"])
    jwk_file = tmp_path / "key.jwk"
    jwk_file.write_text(json.dumps(signing.public_jwk(Ed25519PrivateKey.generate())))
    added = _json(runner.invoke(main, ["nodes", "add-key", "musterstadt", "--jwk",
                                       str(jwk_file), "--json"]))
    revoked = _json(runner.invoke(main, ["nodes", "revoke-key", "musterstadt", added["kid"],
                                         "--json"]))
    assert revoked["revoked"] is True
    _json(runner.invoke(main, ["nodes", "disable", "musterstadt", "--json"]))
    listed = _json(runner.invoke(main, ["nodes", "list", "--json"]))
    assert listed[0]["disabled"] is True and listed[0]["keys"][0]["revoked"] is True


@pytest.mark.parametrize("args, content, fragment", [
    (["nodes", "add", "xy", "--name", "X", "--land", "ZZ"], None, "land must be one of"),
    (["nodes", "add", "Bad Slug", "--name", "X", "--land", "SN"], None, "slug"),
    (["nodes", "add-key", "ghost", "--jwk", "KEYFILE"], '{"kty":"OKP"}', "no node"),
    (["nodes", "add-key", "mo", "--jwk", "KEYFILE"], '{"kty":"RSA","n":"x","e":"y"}', "Ed25519"),
    (["nodes", "add-key", "mo", "--jwk", "KEYFILE"], '{"a":1,"a":2}', "duplicate key"),
    (["nodes", "add-key", "mo", "--jwk", "/nonexistent/key.jwk"], None, "No such file"),
    (["nodes", "revoke-key", "mo", "nokid"], None, "no key"),
    (["nodes", "disable", "ghost"], None, "no node"),
])
def test_nodes_errors_are_one_line(runner, tmp_path, args, content, fragment):
    runner.invoke(main, ["init"])
    runner.invoke(main, ["nodes", "add", "mo", "--name", "M", "--land", "SN"])
    if content is not None:
        (tmp_path / "k.jwk").write_text(content)
    args = [str(tmp_path / "k.jwk") if a == "KEYFILE" else a for a in args]
    result = runner.invoke(main, args)
    assert result.exit_code != 0 and result.output.startswith("error: ")
    assert result.output.count("\n") == 1 and fragment in result.output, result.output


def test_collections_add_signed(runner):
    runner.invoke(main, ["init"])
    added = _json(runner.invoke(main, ["collections", "add", "landesmeldungen", "--title", "L",
                                       "--signed", "--json"]))
    assert added["signed"] is True
    listed = {c["alias"]: c["signed"] for c in _json(runner.invoke(
        main, ["collections", "list", "--json"]))}
    assert listed["reports"] is True and listed["indicators"] is False


def _advisory_file(tmp_path, **changes):
    data = json.loads((DATA / "hub_bundle.json")
                      .read_text(encoding="utf-8"))
    for obj in data["objects"]:
        obj.update(changes.get(obj["type"], {}))
    path = tmp_path / "advisory.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_publish_signs_with_the_hub_key(runner, settings, tmp_path):
    from sqlalchemy import select

    from cyberhub.core import signing
    from cyberhub.core.keyfiles import read_key_file
    from cyberhub.hub import collections, setup
    from cyberhub.hub.storage.database import Database
    from cyberhub.hub.storage.models import StoredObject

    runner.invoke(main, ["init"])
    result = runner.invoke(main, ["publish", "indicators", str(_advisory_file(tmp_path)),
                                  "--json"])
    published = _json(result)
    assert published["collection"] == "indicators" and len(published["stored"]) == 5
    db = Database(settings.effective_database_url)
    with db.session() as session:
        identity = setup.hub_identity(session)["id"]
        target = collections.find(session, "indicators")
        bodies = session.scalars(select(StoredObject.body).where(
            StoredObject.collection_id == target.id)).all()
    db.dispose()
    objects = [json.loads(body) for body in bodies]
    signature = next(o for o in objects if o["type"] == signing.SIGNATURE_TYPE
                     and "report--a1f3c5e7-2b4d-4f6a-8c0e-1d3f5a7b9c20" in o["object_refs"])
    covered = [o for o in objects if o["id"] in signature["object_refs"]]
    public = signing.public_jwk(read_key_file(settings.signing_key_path))
    registered = signing.RegisteredKey(signing.thumbprint(public), public, identity)
    verified = signing.verify_published(signature["jws"], covered, keys=lambda kid: registered,
                                        signer_ref=signature["created_by_ref"])
    assert verified.issuer == identity and len(verified.object_ids) == 4


@pytest.mark.parametrize("change, fragment", [
    ({"report": {"created_by_ref": "identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}},
     "is attributed to identity--0c7b5b88"),
    ({"indicator": {"pattern": "[ipv4-addr:value = "}}, "invalid-stix"),
])
def test_publish_refuses_what_the_hub_did_not_write_or_is_invalid(runner, tmp_path, change,
                                                                 fragment):
    runner.invoke(main, ["init"])
    result = runner.invoke(main, ["publish", "indicators",
                                  str(_advisory_file(tmp_path, **change))])
    assert result.exit_code == 1 and fragment in result.output
    assert len(result.output.strip().splitlines()) == 1
    receipts = runner.invoke(main, ["receipts"])
    assert receipts.output == "no receipts yet\n"


def test_publish_file_problems(runner, tmp_path):
    runner.invoke(main, ["init"])
    (tmp_path / "bad.json").write_text("{\"objects\": [1, 2")
    (tmp_path / "empty.json").write_text("{\"objects\": []}")
    bad = runner.invoke(main, ["publish", "indicators", str(tmp_path / "bad.json")])
    assert bad.exit_code == 1 and "is not valid JSON" in bad.output
    empty = runner.invoke(main, ["publish", "indicators", str(tmp_path / "empty.json")])
    assert empty.exit_code == 1 and "holds no STIX objects" in empty.output
    unknown = runner.invoke(main, ["publish", "nowhere", str(_advisory_file(tmp_path))])
    assert unknown.exit_code == 1 and "no collection 'nowhere'" in unknown.output
    # Advisories reach towns only through the four-eyes workflow.
    addressed = runner.invoke(main, ["publish", "advisories", str(_advisory_file(tmp_path))])
    assert addressed.exit_code == 1 and "cyberhub advisories draft" in addressed.output


def test_key_ids_that_start_with_a_dash_can_be_revoked(runner, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cyberhub.core import signing

    runner.invoke(main, ["init"])
    runner.invoke(main, ["nodes", "add", "mo", "--name", "M", "--land", "BY"])
    kids = []
    while len(kids) < 20:  # one key in 64 has a thumbprint that starts with "-"
        jwk = signing.public_jwk(Ed25519PrivateKey.generate())
        if signing.thumbprint(jwk).startswith("-"):
            jwk_file = tmp_path / "key.jwk"
            jwk_file.write_text(json.dumps(jwk))
            kids.append(_json(runner.invoke(main, ["nodes", "add-key", "mo", "--jwk",
                                                   str(jwk_file), "--json"]))["kid"])
    kids.append("-h" + kids[0][2:])  # what a help flag would look like
    for kid in kids[:-1]:
        revoked = _json(runner.invoke(main, ["nodes", "revoke-key", "mo", kid, "--json"]))
        assert revoked == {"slug": "mo", "kid": kid, "revoked": True}
    unknown = runner.invoke(main, ["nodes", "revoke-key", "mo", kids[-1]])
    assert unknown.exit_code == 1 and unknown.output.startswith("error: ")
