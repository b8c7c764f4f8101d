"""Enrolment, key rotation and the hub's JWKS over HTTP."""

import time

import pytest
from conftest import TAXII, post_objects
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from cyberhub.core import signing, timestamps
from cyberhub.hub import nodes


def _add(db, slug="musterstadt", ttl_hours=1, now=None):
    with db.writing() as session:
        return nodes.add_node(session, slug, "Stadt Musterstadt", "SN",
                              now=now or timestamps.now_us(), token_ttl_hours=ttl_hours)


def test_enrolment_returns_credentials_and_hub_keys(client, db, initialised):
    added = _add(db)
    key = Ed25519PrivateKey.generate()
    response = client.post("/nodes/enroll", json={"token": added["enrollment_token"],
                                                  "jwk": signing.public_jwk(key)})
    assert response.status_code == 201
    body = response.get_json()
    assert body["identity"] == added["identity"] and body["username"] == added["username"]
    assert body["password"] == added["password"]
    assert body["kid"] == signing.thumbprint(signing.public_jwk(key))
    assert body["hub_identity"] == initialised.hub_identity
    assert body["hub_jwks"] == client.get("/.well-known/cyberhub/jwks.json").get_json()
    assert "d" not in body["hub_jwks"]["keys"][0]


def test_enrolment_token_works_once(client, db, initialised):
    added = _add(db)
    first = client.post("/nodes/enroll", json={"token": added["enrollment_token"],
                                               "jwk": signing.public_jwk(
                                                   Ed25519PrivateKey.generate())})
    assert first.status_code == 201
    again = client.post("/nodes/enroll", json={"token": added["enrollment_token"],
                                               "jwk": signing.public_jwk(
                                                   Ed25519PrivateKey.generate())})
    assert again.status_code == 403 and again.get_json()["error_code"] == "enrollment-used"
    with db.session() as session:
        assert len(nodes.list_nodes(session)[0]["keys"]) == 1


def test_expired_token_is_refused(client, db, initialised):
    added = _add(db, now=timestamps.now_us() - 2 * 3_600_000_000)
    response = client.post("/nodes/enroll", json={"token": added["enrollment_token"],
                                                  "jwk": signing.public_jwk(
                                                      Ed25519PrivateKey.generate())})
    assert response.status_code == 403 and response.get_json()["error_code"] == \
        "enrollment-expired"


@pytest.mark.parametrize("body, status, code", [
    ({"token": "nope", "jwk": {}}, 403, "enrollment-invalid"),
    ({"jwk": {}}, 403, "enrollment-invalid"),
    ({"token": "TOKEN", "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}, 400, "key-unsupported"),
    ({"token": "TOKEN", "jwk": {"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}}, 400,
     "key-unsupported"),
    ({"token": "TOKEN", "jwk": "PRIVATE"}, 400, "key-unsupported"),
])
def test_bad_enrolment_requests(client, db, initialised, body, status, code):
    added = _add(db)
    if body.get("token") == "TOKEN":
        body = dict(body, token=added["enrollment_token"])
    if body.get("jwk") == "PRIVATE":
        key = Ed25519PrivateKey.generate()
        body = dict(body, jwk={**signing.public_jwk(key),
                               "d": signing.b64url(key.private_bytes_raw())})
    response = client.post("/nodes/enroll", json=body)
    assert response.status_code == status and response.content_type == TAXII
    assert response.get_json()["error_code"] == code
    with db.session() as session:
        assert nodes.list_nodes(session)[0]["enrolled"] is False


def test_malformed_enrolment_body(client, initialised):
    for raw in ('{"token": "a", "token": "b"}', "[]", "not json"):
        response = client.post("/nodes/enroll", data=raw,
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 400


def _rotation(town, new_key, *, sub=None, key=None, **claims):
    return signing.sign_request(
        key or town.key, {"sub": sub or town.identity, "new_jwk": signing.public_jwk(new_key),
                          **claims},
        issuer=town.identity, audience=town.hub_identity, issued_at=int(time.time()))


def test_key_rotation_keeps_the_old_key_until_revoked(client, db, collection_ids, make_town):
    town = make_town("musterstadt")
    new_key = Ed25519PrivateKey.generate()
    response = client.post("/nodes/keys", json={"request": _rotation(town, new_key)},
                           headers=town.headers)
    assert response.status_code == 201
    new_kid = response.get_json()["kid"]
    reports = collection_ids["reports"]
    # Both keys sign now; then the old one is revoked and refused.
    assert post_objects(client, town.headers, reports,
                        town.sign(town.report(1))).status_code == 202
    assert post_objects(client, town.headers, reports,
                        town.sign(town.report(2), key=new_key)).status_code == 202
    with db.writing() as session:
        nodes.revoke_key(session, "musterstadt", town.kid, now=timestamps.now_us())
    refused = post_objects(client, town.headers, reports, town.sign(town.report(3)))
    assert refused.get_json()["error_code"] == "key-revoked"
    with db.session() as session:
        keys = nodes.list_nodes(session)[0]["keys"]
    assert {(k["kid"], k["revoked"]) for k in keys} == {(town.kid, True), (new_kid, False)}


def test_rotation_can_retire_the_signing_key_at_once(client, db, collection_ids, make_town):
    town = make_town("musterstadt")
    new_key = Ed25519PrivateKey.generate()
    response = client.post("/nodes/keys", json={"request": _rotation(
        town, new_key, retire_signing_key=True)}, headers=town.headers)
    assert response.status_code == 201
    refused = post_objects(client, town.headers, collection_ids["reports"],
                           town.sign(town.report(1)))
    assert refused.get_json()["error_code"] == "key-revoked"
    assert post_objects(client, town.headers, collection_ids["reports"],
                        town.sign(town.report(1), key=new_key)).status_code == 202
    # Asking again with the new key says the key is known: how an agent that crashed after
    # the hub's answer learns that its rotation went through.
    again = client.post("/nodes/keys", json={"request": _rotation(town, new_key, key=new_key)},
                        headers=town.headers)
    assert again.status_code == 409 and again.get_json()["error_code"] == "key-exists"


def _receipt(**overrides):
    return {"id": "report--5b7c2d9e-1f3a-4b6c-8d9e-0a1b2c3d4e5f",
            "version": "2026-11-21T08:00:00.000Z", "state": "applied", **overrides}


def test_receipts_are_recorded_and_replaced(client, db, make_town):
    from cyberhub.hub import receipts

    town = make_town("musterstadt")
    first = client.post("/nodes/receipts", json=_receipt(), headers=town.headers)
    assert first.status_code == 201 and first.get_json()["node"] == "musterstadt"
    again = client.post("/nodes/receipts", json=_receipt(state="refused", detail="hash-mismatch"),
                        headers=town.headers)
    assert again.status_code == 201
    with db.session() as session:
        stored = receipts.list_receipts(session)
    assert [(r["node"], r["state"], r["detail"]) for r in stored] == [
        ("musterstadt", "refused", "hash-mismatch")]


@pytest.mark.parametrize("body, message", [
    (_receipt(id="report-1"), "'id' must be the STIX id"),
    (_receipt(version="yesterday"), "'version' must be the advisory's modified timestamp"),
    (_receipt(state="ignored"), "'state' must be one of applied, withdrawn, refused"),
    (_receipt(detail="x" * 1001), "'detail' must be a text of at most 1000 characters"),
    # 60 fraction digits do not fit the version column (PostgreSQL refused it with a 500).
    (_receipt(version="2026-11-21T08:00:00." + "1" * 60 + "Z"),
     "'version' must be the advisory's modified timestamp"),
])
def test_bad_receipts_are_refused_and_change_nothing(client, db, make_town, body, message):
    from cyberhub.hub import receipts

    town = make_town("musterstadt")
    response = client.post("/nodes/receipts", json=body, headers=town.headers)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error_code"] == "bad-receipt"
    assert message in response.get_json()["description"]
    with db.session() as session:
        assert receipts.list_receipts(session) == []


@pytest.mark.parametrize("path, body", [
    ("/nodes/receipts", _receipt(detail="Sperre gesetzt\x00")),
    ("/nodes/callback", {"url": "https://aue.example/\x00push"}),
])
def test_a_nul_character_is_refused_before_it_reaches_the_database(client, db, make_town,
                                                                   path, body):
    from cyberhub.hub import receipts
    from cyberhub.hub.storage.models import Node

    town = make_town("musterstadt")
    response = client.post(path, json=body, headers=town.headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.content_type == TAXII
    assert "NUL" in response.get_json()["description"]
    with db.session() as session:
        assert receipts.list_receipts(session) == []
        assert session.scalars(select(Node.callback_url)).all() == [None]


def test_receipts_only_from_nodes(client, admin, initialised):
    response = client.post("/nodes/receipts", json=_receipt(), headers=admin)
    assert response.status_code == 403 and response.get_json()["error_code"] == "not-a-node"
    assert client.post("/nodes/receipts", json=_receipt()).status_code == 401


def test_rotation_for_another_nodes_key_is_refused(client, db, make_town):
    town = make_town("musterstadt")
    neighbour = make_town("nachbarort")
    new_key = Ed25519PrivateKey.generate()
    # Signed by the town, asking for a key on the neighbour's identity.
    response = client.post("/nodes/keys", json={
        "request": _rotation(town, new_key, sub=neighbour.identity)}, headers=town.headers)
    assert response.status_code == 403 and response.get_json()["error_code"] == \
        "identity-mismatch"
    # Signed by the neighbour, sent with the town's credentials.
    response = client.post("/nodes/keys", json={"request": _rotation(neighbour, new_key)},
                           headers=town.headers)
    assert response.status_code == 403 and response.get_json()["error_code"] == \
        "identity-mismatch"
    with db.session() as session:
        assert all(len(n["keys"]) == 1 for n in nodes.list_nodes(session))


def test_rotation_request_cannot_be_replayed(client, make_town):
    town = make_town("musterstadt")
    request = _rotation(town, Ed25519PrivateKey.generate())
    assert client.post("/nodes/keys", json={"request": request},
                       headers=town.headers).status_code == 201
    again = client.post("/nodes/keys", json={"request": request}, headers=town.headers)
    assert again.get_json()["error_code"] in ("token-replayed", "key-exists")


def test_rotation_needs_a_valid_signature(client, make_town):
    town = make_town("musterstadt")
    request = _rotation(town, Ed25519PrivateKey.generate(), key=Ed25519PrivateKey.generate())
    response = client.post("/nodes/keys", json={"request": request}, headers=town.headers)
    assert response.get_json()["error_code"] == "key-unknown"


def test_rotation_by_a_non_node_account_is_refused(client, admin, make_town):
    town = make_town("musterstadt")
    response = client.post("/nodes/keys", json={"request": _rotation(
        town, Ed25519PrivateKey.generate())}, headers=admin)
    assert response.status_code == 403 and response.get_json()["error_code"] == "not-a-node"


def test_hub_jwks_is_public_and_matches_the_key_file(client, settings, initialised):
    from cyberhub.core.keyfiles import read_key_file

    body = client.get("/.well-known/cyberhub/jwks.json")
    assert body.status_code == 200 and body.content_type == "application/jwk-set+json"
    private = read_key_file(settings.signing_key_path)
    assert body.get_json()["keys"][0]["x"] == signing.public_jwk(private)["x"]


def test_a_new_token_replaces_an_unused_one(client, db, initialised):
    first = _add(db)
    with db.writing() as session:
        second = nodes.new_enrollment_token(session, "musterstadt", now=timestamps.now_us(),
                                            token_ttl_hours=1)
    jwk = signing.public_jwk(Ed25519PrivateKey.generate())
    old = client.post("/nodes/enroll", json={"token": first["enrollment_token"], "jwk": jwk})
    assert old.status_code == 403 and old.get_json()["error_code"] == "enrollment-invalid"
    new = client.post("/nodes/enroll", json={"token": second["enrollment_token"], "jwk": jwk})
    assert new.status_code == 201
    password = new.get_json()["password"]
    assert password != first["password"]
    from conftest import basic
    assert client.get("/taxii2/", headers=basic(first["username"], password)).status_code == 200
