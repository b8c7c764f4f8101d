"""The acts on member towns (`cyberhub.hub.nodes`): each audited in its own transaction with
who did it, without a token, password or callback path in the log; the checks on a new
town's slug, name and Land. Enrolment and rotation over HTTP are in web/test_node_api.py."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from cyberhub.core import signing, timestamps
from cyberhub.hub import accounts, audit, nodes
from cyberhub.hub.storage.models import AuditEntry, Node


def _log(db, action: str | None = None) -> list[dict]:
    with db.session() as session:
        return [e for e in audit.entries(session) if action is None or e["action"] == action]


def _add(db, slug="zell", name="Gemeinde Zell", land="BW", **options) -> dict:
    with db.writing() as session:
        return nodes.add_node(session, slug, name, land, now=timestamps.now_us(),
                              token_ttl_hours=1, **options)


def test_adding_a_town_is_audited_without_its_secrets(db, initialised):
    added = _add(db, actor="anna", share_name=True)
    [entry] = _log(db, "node.added")
    assert (entry["actor"], entry["subject"]) == ("anna", "node:zell")
    assert entry["detail"] == {"name": "Gemeinde Zell", "land": "BW", "share_name": True,
                               "identity": added["identity"]}
    [issued] = _log(db, "node.token-issued")
    assert issued["actor"] == "anna" and issued["detail"] == {
        "expires": added["enrollment_expires"]}
    logged = json.dumps(_log(db))
    assert added["enrollment_token"] not in logged and added["password"] not in logged
    with db.session() as session:
        assert session.scalar(select(Node.share_name)) is True


def test_enrolment_rotation_and_callback_are_audited_as_the_town(db, make_town):
    town = make_town("aue")
    [enrolled] = _log(db, "node.key-added")
    assert enrolled["actor"] == "node-aue" and enrolled["detail"] == {
        "kid": town.kid, "how": "enrolment"}
    upcoming = Ed25519PrivateKey.generate()
    request = signing.sign_request(
        town.key, {"sub": town.identity, "new_jwk": signing.public_jwk(upcoming),
                   "retire_signing_key": True},
        issuer=town.identity, audience=town.hub_identity, issued_at=int(time.time()))
    with db.writing() as session:
        account = session.scalar(select(Node.account_id).where(Node.slug == "aue"))
        kid = nodes.rotate_key(session, account, request, hub_identity=town.hub_identity,
                               now=timestamps.now_us())
    [rotated] = _log(db, "node.key-rotated")
    assert rotated["actor"] == "node-aue" and rotated["detail"] == {
        "kid": kid, "signed_by": town.kid, "retired": town.kid}
    with db.writing() as session:
        nodes.set_callback(session, account, "https://aue.example:8443/push?key=geheim")
        # The same address again changes nothing and is not logged twice.
        nodes.set_callback(session, account, "https://aue.example:8443/push?key=geheim")
    [callback] = _log(db, "node.callback-set")
    assert callback["actor"] == "node-aue"
    assert callback["detail"] == {"callback": "https://aue.example:8443"}
    assert "geheim" not in json.dumps(_log(db))


def test_operator_acts_are_audited_once_each(db, initialised):
    _add(db)
    key = signing.public_jwk(Ed25519PrivateKey.generate())
    now = timestamps.now_us()
    with db.writing() as session:
        kid = nodes.add_key(session, "zell", key, now=now, actor="anna")
        nodes.new_enrollment_token(session, "zell", now=now, token_ttl_hours=1, actor="anna")
        nodes.set_options(session, "zell", share_name=True, now=now, actor="anna")
        nodes.set_options(session, "zell", share_name=True, now=now, actor="anna")
        assert nodes.revoke_key(session, "zell", kid, now=now, actor="anna") is True
        assert nodes.revoke_key(session, "zell", kid, now=now, actor="anna") is False
        assert nodes.disable(session, "zell", now=now, actor="anna") is True
        assert nodes.disable(session, "zell", now=now, actor="anna") is False
    acts = [(e["action"], e["detail"]) for e in _log(db) if e["actor"] == "anna"]
    assert [action for action, _ in acts] == [
        "node.key-added", "node.token-issued", "node.options-changed", "node.key-revoked",
        "node.disabled"]
    assert acts[0][1] == {"kid": kid, "how": "operator"}
    assert acts[2][1] == {"share_name": True} and acts[3][1] == {"kid": kid}


def test_a_failed_act_leaves_no_entry(db, initialised):
    _add(db)
    before = len(_log(db))
    with pytest.raises(nodes.NodeError) as refused, db.writing() as session:
        nodes.revoke_key(session, "zell", "no-such-kid", now=timestamps.now_us(), actor="anna")
    assert refused.value.code == "key-unknown" and len(_log(db)) == before


def test_a_disabled_town_gets_no_new_token_and_loses_its_open_one(db, initialised):
    added = _add(db)
    with db.writing() as session:
        nodes.disable(session, "zell", now=timestamps.now_us(), actor="anna")
    with pytest.raises(nodes.NodeError) as refused, db.writing() as session:
        nodes.new_enrollment_token(session, "zell", now=timestamps.now_us(),
                                   token_ttl_hours=1)
    assert refused.value.code == "node-disabled"
    with pytest.raises(nodes.NodeError) as stale, db.writing() as session:
        nodes.enroll(session, added["enrollment_token"],
                     signing.public_jwk(Ed25519PrivateKey.generate()), now=timestamps.now_us())
    assert stale.value.code == "enrollment-invalid"


@pytest.mark.parametrize("slug, name, land, problems", [
    ("zell", "Gemeinde Zell", "bw", {}),
    ("zell\n", "Gemeinde Zell", "BW", {"slug": "bad-slug"}),
    ("Zell", "Gemeinde Zell", "BW", {"slug": "bad-slug"}),
    ("-zell", "Gemeinde Zell", "BW", {"slug": "bad-slug"}),
    ("z" * 64, "Gemeinde Zell", "BW", {"slug": "bad-slug"}),
    ("zell", " ", "BW", {"name": "bad-name"}),
    ("zell", "x" * 201, "BW", {"name": "bad-name"}),
    ("zell", "Zell\x00", "BW", {"name": "bad-name"}),
    ("zell", "Zell\nOrt", "BW", {"name": "bad-name"}),
    ("zell", "Zell", "AT", {"land": "bad-land"}),
    (None, None, None, {"slug": "bad-slug", "name": "bad-name", "land": "bad-land"}),
])
def test_identity_problems_name_every_wrong_field(slug, name, land, problems):
    assert nodes.identity_problems(slug, name, land) == problems


def test_a_new_town_is_checked_and_stored_trimmed(db, initialised):
    with pytest.raises(nodes.NodeError) as refused, db.writing() as session:
        nodes.add_node(session, "zell\n", "Zell", "BW", now=0, token_ttl_hours=1)
    assert refused.value.code == "bad-slug"
    added = _add(db, name="  Gemeinde Zell ", land="bw")
    assert (added["name"], added["land"]) == ("Gemeinde Zell", "BW")
    with pytest.raises(nodes.NodeError) as taken:
        _add(db)
    assert taken.value.code == "node-exists"


def test_a_slug_whose_account_name_is_taken_is_refused_cleanly(db, initialised):
    with db.writing() as session:
        accounts.create_account(session, "node-zell", "correct horse battery staple",
                                now=timestamps.now_us())
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(nodes.NodeError) as taken:
        _add(db)
    assert taken.value.code == "node-exists"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Node)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
